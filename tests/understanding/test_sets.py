"""The independent sets: none of their messages is training data, and the trained model
with the real actions meets the targets on them (slow: trains if needed, ~4 minutes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.sets import items, overlap_with_training
from bench.understanding import (
    COVERAGE_TARGET,
    FRESH,
    Report,
    coverage_questions,
    emergencies,
    evaluate_model,
    ordinary,
    templates,
)

# The test runs every 5th coverage question (every procedure, term and template still
# appear); `make evaluate` runs all of them.
COVERAGE_STRIDE = 5
MIN_TEMPLATES = 12


def test_no_generated_question_is_training_data() -> None:
    assert overlap_with_training(q.text for q in coverage_questions()) == []


def test_no_emergency_or_ordinary_message_is_training_data() -> None:
    fresh = [item for name in FRESH for item in items(name)]
    assert overlap_with_training(i.text for i in [*emergencies(), *ordinary(), *fresh]) == []


def test_sets_have_the_size_and_mix_asked_for() -> None:
    styles = {style for _, style in templates()}
    assert len(templates()) >= MIN_TEMPLATES
    assert {"english", "hinglish", "terse", "context"} <= styles
    urgent = emergencies()
    assert len(urgent) >= 150
    assert sum(1 for i in urgent if i.kind == "self_harm") >= 30
    assert sum(1 for i in urgent if i.language in {"hinglish", "hi"}) >= 30
    texts = {i.text for i in ordinary()}
    assert len(texts) >= 300
    assert {
        "my doctor said the surgery is risky",
        "is chest liposuction cosmetic?",
        "I had breathing trouble years ago, is a revision rhinoplasty cosmetic?",
        "how much does botox cost",
    } <= texts


def test_the_stride_still_covers_every_procedure_and_template() -> None:
    sample = coverage_questions()[::COVERAGE_STRIDE]
    assert {q.procedure_id for q in sample} == {q.procedure_id for q in coverage_questions()}
    every_template = {t for t, _ in templates()}
    assert {
        t for t in every_template if any(q.text == t.replace("{term}", q.term) for q in sample)
    } == every_template


@pytest.fixture(scope="module")
async def report() -> Report:
    from bot.model import ensure_model

    model: Path = ensure_model()
    return await evaluate_model(model, every=COVERAGE_STRIDE)


@pytest.mark.slow
async def test_every_emergency_is_caught(report: Report) -> None:
    assert report.emergency_misses == []


@pytest.mark.slow
async def test_no_false_alarm_on_ordinary_or_coverage_messages(report: Report) -> None:
    assert report.false_alarms == []


@pytest.mark.slow
async def test_coverage_meets_the_target(report: Report) -> None:
    misses = "\n".join(report.lines())
    assert report.coverage_rate >= COVERAGE_TARGET, misses
