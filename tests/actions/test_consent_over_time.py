"""Consent over time (issue 15): the form asks only what is not agreed at its current version.

The gateway sends the agreements in force with every message (`metadata.consent.agreed`,
clause id → version); these tests give the tracker that metadata directly. Re-consent is
tested on a variant of content/consent.yml in a temporary file (CONSENT_FILE), clause 2 at
version 2 with new wording; the real clause texts are never touched.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from actions.consent import (
    ActionAskConsent2,
    ActionConsentFinish,
    ValidateConsentForm,
)
from actions.consent_state import stored_agreements
from actions.content import consent_clauses
from actions.second_opinion import ActionSecondOpinionResult
from tests.actions.conftest import custom_payloads, slot_events, texts

ROOT = Path(__file__).resolve().parents[2]
ALL_V1 = {f"telehealth-{n}": 1 for n in range(1, 6)}
NEW_TEXT = (
    "I understand that technical difficulties may occur before or during the telehealth "
    "sessions, and that a session may then be moved to another time or to a voice call."
)


def consent(agreed: dict[str, int]) -> dict[str, Any]:
    """The metadata the gateway sends: the agreements in force."""
    return {"telegram": {"chat_id": 1, "message_id": 5}, "consent": {"agreed": agreed}}


def slots_of(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


@pytest.fixture
def bumped_consent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """content/consent.yml with clause 2 at version 2 and new wording, in a temp file."""
    data = yaml.safe_load((ROOT / "content" / "consent.yml").read_text(encoding="utf-8"))
    clause = next(c for c in data["clauses"] if c["number"] == 2)
    clause["version"] = 2
    clause["text"] = NEW_TEXT
    variant = tmp_path / "consent.yml"
    variant.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    monkeypatch.setenv("CONSENT_FILE", str(variant))
    yield variant


def test_the_variant_is_what_both_sides_read(bumped_consent: Path) -> None:
    from storage.consent_texts import load_clauses

    assert consent_clauses()[1].version == 2 and consent_clauses()[1].text == NEW_TEXT
    assert load_clauses()[1].version == 2 and load_clauses()[1].text == NEW_TEXT


def test_the_real_file_is_read_without_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONSENT_FILE", raising=False)
    assert all(clause.version == 1 for clause in consent_clauses())


async def test_first_consent_asks_from_clause_1(dispatcher, make_tracker, domain) -> None:
    tracker = make_tracker("/affirm", "affirm", metadata=consent({}))
    events = await ValidateConsentForm().run(dispatcher, tracker, domain)
    assert slots_of(events) == {"requested_slot": "consent_1"}
    assert custom_payloads(dispatcher) == []  # "Continue" is not a decision


async def test_everything_in_force_asks_nothing_and_sends_no_new_receipt(
    dispatcher, make_tracker, domain
) -> None:
    tracker = make_tracker("/affirm", "affirm", metadata=consent(ALL_V1))
    events = await ValidateConsentForm().run(dispatcher, tracker, domain)
    assert slots_of(events) == {
        **{f"consent_{n}": True for n in range(1, 6)},
        "requested_slot": None,
    }
    finished = make_tracker(
        "/affirm",
        "affirm",
        slots={f"consent_{n}": True for n in range(1, 6)},
        metadata=consent(ALL_V1),
    )
    dispatcher.messages.clear()
    await ActionConsentFinish().run(dispatcher, finished, domain)
    kinds = [payload["type"] for payload in custom_payloads(dispatcher)]
    assert kinds == ["handoff"]  # no consent_completed: nothing new to put on a receipt
    assert "already agreed" in texts(dispatcher)[0]


async def test_a_bumped_clause_is_the_only_one_asked(
    bumped_consent, dispatcher, make_tracker, domain
) -> None:
    tracker = make_tracker("/affirm", "affirm", metadata=consent(ALL_V1))
    events = await ValidateConsentForm().run(dispatcher, tracker, domain)
    assert slots_of(events) == {
        "consent_1": True,
        "consent_3": True,
        "consent_4": True,
        "consent_5": True,
        "requested_slot": "consent_2",
    }


async def test_the_intro_and_the_clause_say_the_wording_changed(
    bumped_consent, dispatcher, make_tracker, domain
) -> None:
    result = make_tracker(
        "it is risky", "inform_criteria", slots={"doctor_warned": True}, metadata=consent(ALL_V1)
    )
    await ActionSecondOpinionResult().run(
        dispatcher, make_tracker(slots={"doctor_warned": True}, metadata=None), domain
    )
    assert "one point at a time" in texts(dispatcher)[-1]  # no metadata: the usual intro
    dispatcher.messages.clear()
    await ActionSecondOpinionResult().run(dispatcher, result, domain)
    assert "point 2 of the telehealth consent has changed" in texts(dispatcher)[-1]

    dispatcher.messages.clear()
    await ActionAskConsent2().run(dispatcher, result, domain)
    [message] = dispatcher.messages
    assert "you agreed to version 1, this is version 2" in message["text"]
    assert message["text"].endswith(NEW_TEXT)
    assert [b["payload"] for b in message["buttons"]] == [
        '/affirm{"clause":"2"}',
        '/deny{"clause":"2"}',
    ]


async def test_agreeing_to_the_new_version_records_it_and_completes(
    bumped_consent, dispatcher, make_tracker, domain
) -> None:
    others = {f"consent_{n}": True for n in (1, 3, 4, 5)}
    tracker = make_tracker(
        '/affirm{"clause":"2"}',
        "affirm",
        entities=[{"entity": "clause", "value": "2"}],
        slots={**others, "requested_slot": "consent_2"},
        metadata=consent(ALL_V1),
    )
    events = await ValidateConsentForm().run(dispatcher, tracker, domain)
    assert slots_of(events) == {"consent_2": True, "requested_slot": None}
    assert custom_payloads(dispatcher) == [
        {
            "type": "consent_decision",
            "clause_id": "telehealth-2",
            "version": 2,
            "text_sha256": hashlib.sha256(NEW_TEXT.encode("utf-8")).hexdigest(),
            "language": "en",
            "decision": "agreed",
        }
    ]
    dispatcher.messages.clear()
    done = make_tracker(
        '/affirm{"clause":"2"}',
        "affirm",
        slots={**others, "consent_2": True},
        metadata=consent(ALL_V1),  # read before this turn's decision was stored
    )
    await ActionConsentFinish().run(dispatcher, done, domain)
    kinds = [payload["type"] for payload in custom_payloads(dispatcher)]
    assert kinds == ["consent_completed", "handoff"]


async def test_refusing_the_new_version_ends_the_form(
    bumped_consent, dispatcher, make_tracker, domain
) -> None:
    tracker = make_tracker(
        '/deny{"clause":"2"}',
        "deny",
        entities=[{"entity": "clause", "value": "2"}],
        slots={"consent_1": True, "requested_slot": "consent_2"},
        metadata=consent(ALL_V1),
    )
    events = await ValidateConsentForm().run(dispatcher, tracker, domain)
    assert slot_events(events) == {"consent_2": False, "requested_slot": None}
    assert custom_payloads(dispatcher)[0]["version"] == 2
    assert custom_payloads(dispatcher)[0]["decision"] == "refused"


async def test_a_withdrawn_clause_is_asked_again_alone(dispatcher, make_tracker, domain) -> None:
    agreed = {k: v for k, v in ALL_V1.items() if k != "telehealth-3"}
    result = make_tracker(
        "risky", "inform_criteria", slots={"doctor_warned": True}, metadata=consent(agreed)
    )
    await ActionSecondOpinionResult().run(dispatcher, result, domain)
    assert "consent to point 3 of the telehealth consent" in texts(dispatcher)[-1]
    tracker = make_tracker("/affirm", "affirm", metadata=consent(agreed))
    events = await ValidateConsentForm().run(dispatcher, tracker, domain)
    assert slots_of(events)["requested_slot"] == "consent_3"
    assert [n for n in range(1, 6) if slots_of(events).get(f"consent_{n}")] == [1, 2, 4, 5]


async def test_a_withdrawal_in_the_middle_of_the_form_asks_that_clause_again(
    dispatcher, make_tracker, domain
) -> None:
    """Clauses 1 and 2 agreed in this form, then /withdraw of clause 1, then a yes to 3."""
    tracker = make_tracker(
        '/affirm{"clause":"3"}',
        "affirm",
        entities=[{"entity": "clause", "value": "3"}],
        slots={"consent_1": True, "consent_2": True, "requested_slot": "consent_3"},
        metadata=consent({"telehealth-2": 1}),
    )
    events = await ValidateConsentForm().run(dispatcher, tracker, domain)
    assert slots_of(events) == {
        "consent_3": True,
        "consent_1": None,
        "requested_slot": "consent_1",
    }


async def test_a_question_keeps_the_clause_asked_even_after_a_withdrawal(
    dispatcher, make_tracker, domain
) -> None:
    tracker = make_tracker(
        "will insurance pay?",
        "ask_consent_question",
        slots={"consent_1": True, "requested_slot": "consent_2"},
        metadata=consent({}),
    )
    events = await ValidateConsentForm().run(dispatcher, tracker, domain)
    assert slots_of(events) == {
        "consent_2": None,
        "consent_1": None,
        "requested_slot": "consent_2",
    }


@pytest.mark.parametrize(
    "metadata",
    [{}, {"consent": None}, {"consent": {"agreed": ["x"]}}, {"consent": {"agreed": {"a": "b"}}}],
)
def test_missing_or_malformed_metadata_means_nothing_known(make_tracker, metadata) -> None:
    assert stored_agreements(make_tracker("hi", "greet", metadata=metadata)) is None
