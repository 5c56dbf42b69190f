"""The trained dialogue model: data validation, test stories, held-out NLU (slow)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bench.evaluate import HELDOUT, ROOT, heldout_f1, rasa

HELDOUT_MIN_MACRO_F1 = 0.90
MIN_EXAMPLES_PER_INTENT = 20


@pytest.fixture(scope="session")
def model() -> Path:
    """models/triage.tar.gz, trained first if missing or older than its data."""
    from bot.model import ensure_model

    return ensure_model()


def test_every_intent_has_enough_varied_examples() -> None:
    import yaml

    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    counts: dict[str, int] = {}
    for path in (ROOT / "nlu").glob("*.yml"):
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            if "intent" in item:
                examples = [line for line in item["examples"].splitlines() if line.strip()]
                counts[item["intent"]] = counts.get(item["intent"], 0) + len(examples)
    too_few = {
        intent: counts.get(intent, 0)
        for intent in domain["intents"]
        if counts.get(intent, 0) < MIN_EXAMPLES_PER_INTENT
    }
    assert too_few == {}


@pytest.mark.slow
def test_data_validates_without_warnings() -> None:
    run = rasa(
        "data", "validate", "--fail-on-warnings", "-d", "domain.yml", "--data", "nlu", "stories"
    )
    assert run.returncode == 0, run.output[-3000:]
    warnings = [
        line
        for line in run.output.splitlines()
        if re.search(r"UserWarning|FutureWarning| WARNING ", line)
    ]
    assert warnings == []


@pytest.mark.slow
def test_every_test_story_is_predicted(model: Path, tmp_path: Path) -> None:
    # `rasa test core` replays the stories without calling the action server: it
    # emulates a form's rejection when a story leaves the form (rasa.core.test).
    run = rasa(
        "test",
        "core",
        "--model",
        str(model),
        "--stories",
        "tests/stories",
        "--fail-on-prediction-errors",
        "--out",
        str(tmp_path),
    )
    failed = tmp_path / "failed_test_stories.yml"
    details = failed.read_text(encoding="utf-8") if failed.exists() else run.output[-3000:]
    assert run.returncode == 0, details


@pytest.mark.slow
def test_heldout_intent_macro_f1(model: Path, tmp_path: Path) -> None:
    if not HELDOUT.exists():
        pytest.skip(f"{HELDOUT.relative_to(ROOT)} does not exist yet (held-out set)")
    f1 = heldout_f1(model, tmp_path)
    assert f1 >= HELDOUT_MIN_MACRO_F1, f"held-out intent macro-F1 {f1:.3f}"


@contextmanager
def action_server(startup_timeout: float = 60.0) -> Iterator[str]:
    """`python -m rasa_sdk --actions actions` on a free port; yields its webhook URL.

    A plain child process: Rasa installs an event loop policy under which asyncio
    subprocesses are unavailable in this test.
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            assert process.poll() is None, "the action server exited"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, "the action server did not start"
                time.sleep(0.25)
        yield f"http://127.0.0.1:{port}/webhook"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.slow
async def test_red_flags_and_look_alikes(model: Path) -> None:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))

    async def intent(text: str) -> str:
        return (await agent.parse_message(text))["intent"]["name"]

    assert await intent("my throat is closing up after the injection") == "emergency"
    assert await intent("i have severe chest pain") == "emergency"
    assert await intent("is removing a chest tattoo cosmetic?") != "emergency"
    assert await intent("the operation carries some risk, my doctor said") == "inform_criteria"


@pytest.mark.slow
async def test_conversations_with_the_real_action_server(model: Path) -> None:
    """CONVERSATIONS.md 1, 2, 4, 5, 6 and 8 through the trained model and custom actions."""
    from rasa.core.agent import Agent
    from rasa.utils.endpoints import EndpointConfig

    with action_server() as webhook_url:
        agent = Agent.load(str(model), action_endpoint=EndpointConfig(webhook_url))

        async def say(sender: str, text: str) -> list[dict]:
            return await agent.handle_text(text, sender_id=sender) or []

        def joined(replies: list[dict]) -> str:
            return "\n".join(r.get("text") or "" for r in replies)

        def customs(replies: list[dict]) -> list[dict]:
            return [r["custom"] for r in replies if r.get("custom")]

        # 1. A procedure question: category first.
        replies = await say("p1", "breast lift cosmetic or plastic?")
        assert joined(replies).startswith("**Cosmetic.**"), joined(replies)

        # 2. Purpose-dependent: the usual category at once, then the purpose pressed.
        replies = await say("p2", "rhinoplasty, which kind is it?")
        assert joined(replies).startswith("**Usually cosmetic.**")
        assert "**reconstructive plastic** surgery when" in joined(replies)
        replies = await say("p2", '/inform_purpose{"purpose":"function"}')
        assert "reconstructive" in joined(replies)

        # 4. Unknown procedure: no guess, no case until the patient asks for a person.
        replies = await say("p4", "is the Kessler fold lift plastic or cosmetic?")
        assert "won't guess" in joined(replies) and customs(replies) == []
        replies = await say("p4", "/request_human")
        assert customs(replies)[0]["reason"] == "unknown_procedure"

        # 5. Second opinion: one answer fills two criteria, only the rest are asked.
        replies = await say("p5", "can a specialist in America look at my reports?")
        assert "diagnosis unclear" in joined(replies)
        replies = await say(
            "p5", "my surgeon says the operation is risky and honestly I don't trust him anymore"
        )
        assert "diagnosis unclear" in joined(replies)  # asked again, the two are noted
        replies = await say("p5", "/deny")
        assert "not working" in joined(replies)
        replies = await say("p5", "/deny")
        text = joined(replies)
        assert "rare, life-threatening or risky" in text and "lost confidence" in text
        assert "Has your doctor" not in text and "lost confidence in your current" not in text

        # 6. Consent clause by clause, with a question and an old button in between.
        replies = await say("p5", "/affirm")
        assert "Consent 1 of 5:" in joined(replies)
        replies = await say("p5", '/affirm{"clause":"1"}')
        assert customs(replies)[0]["clause_id"] == "telehealth-1"
        assert "Consent 2 of 5:" in joined(replies)
        replies = await say("p5", "what if the video doesn't work?")
        assert customs(replies) == [] and "Consent 2 of 5:" in joined(replies)
        replies = await say("p5", "haan")
        assert customs(replies)[0]["clause_id"] == "telehealth-2"
        replies = await say("p5", '/affirm{"clause":"1"}')
        assert customs(replies) == [] and "Consent 3 of 5:" in joined(replies)
        for number in (3, 4):
            replies = await say("p5", f'/affirm{{"clause":"{number}"}}')
            assert customs(replies)[0]["clause_id"] == f"telehealth-{number}"
        replies = await say("p5", '/affirm{"clause":"5"}')
        types = [c["type"] for c in customs(replies)]
        assert types == ["consent_decision", "consent_completed", "handoff"]
        handoff = customs(replies)[2]
        assert handoff["reason"] == "second_opinion"
        assert handoff["summary"]["criteria_met"] == ["doctor_warned", "lost_confidence"]

        # 8. Red flag in the middle of consent.
        await say("p8", "i want a second opinion")
        for _ in range(4):
            await say("p8", "/affirm")
        replies = await say("p8", "/affirm")  # Continue -> consent 1
        assert "Consent 1 of 5:" in joined(replies)
        replies = await say("p8", "my throat is closing up after the injection")
        assert joined(replies).startswith("This may be an emergency.")
        assert customs(replies)[0]["urgency"] == "urgent"
