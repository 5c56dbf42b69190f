"""Re-consent through the emulator (issue 15, point 2): clause 2 goes to version 2.

A world of its own, started with CONSENT_FILE naming a variant of content/consent.yml
(clause 2 at version 2, new wording) so that the action server and the gateway both read
it; the real clause texts are never touched. The patient agreed to all five clauses at
version 1 earlier (records put in place as the gateway stores them). Asking for a second
opinion now asks clause 2 only, in its new wording, before the handoff; the old record
stays as it was and the receipt shows both.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
import yaml

from tests.e2e.conftest import start_world, stop_world
from tests.e2e.harness import World, button_labels, joined, texts

ROOT = Path(__file__).resolve().parents[2]
NEW_TEXT = (
    "I understand that technical difficulties may occur before or during the telehealth "
    "sessions, and that a session may then be moved to another time or to a voice call."
)


@pytest_asyncio.fixture
async def bumped_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[World]:
    data = yaml.safe_load((ROOT / "content" / "consent.yml").read_text(encoding="utf-8"))
    clause = next(c for c in data["clauses"] if c["number"] == 2)
    clause["version"], clause["text"] = 2, NEW_TEXT
    variant = tmp_path / "consent.yml"
    variant.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    # Set before the world starts: the action server is a child process and inherits it.
    monkeypatch.setenv("CONSENT_FILE", str(variant))
    world = await start_world(tmp_path)
    try:
        yield world
    finally:
        await stop_world(world)


async def test_a_changed_clause_is_asked_alone_before_the_next_handoff(
    bumped_world: World,
) -> None:
    world = bumped_world
    repository = world.runtime.repository
    assert repository is not None
    patient = await world.new_patient("Meena", "J")
    stored = await repository.upsert_patient(patient.user_id, patient.chat_id, "Meena J", "en")
    real = yaml.safe_load((ROOT / "content" / "consent.yml").read_text(encoding="utf-8"))
    for clause in real["clauses"]:  # version 1 of each, as agreed before the change
        await repository.record_consent(
            patient_id=stored.id,
            clause_id=clause["id"],
            version=clause["version"],
            text_sha256=hashlib.sha256(clause["text"].encode("utf-8")).hexdigest(),
            decision="agreed",
            answered_message_id=None,
        )
    before = await repository.consent_history(stored.id)

    await patient.send(
        "my surgeon says the operation is risky and honestly I don't trust him anymore"
    )
    for _ in range(4):
        if "Continue" in button_labels(patient.history[-1]):
            break
        await patient.press("No")
    intro = joined(patient.history[-2:])
    assert "point 2 of the telehealth consent has changed" in intro, intro
    asked = await patient.press("Continue")
    shown = joined(asked).replace("\n", " ")
    assert "Consent 2 of 5" in shown and NEW_TEXT in shown
    assert "you agreed to version 1, this is version 2" in shown
    assert not any(f"Consent {n} of 5" in shown for n in (1, 3, 4, 5))
    assert "Your case" not in shown, "no handoff before the changed clause is agreed"

    done = await patient.press("I agree")
    assert any("Your case" in t for t in texts(done)), texts(done)
    history = await repository.consent_history(stored.id)
    assert history[: len(before)] == before, "the old records stay as they were"
    new = history[-1]
    assert (new.clause_id, new.version, new.decision) == ("telehealth-2", 2, "agreed")
    assert new.text_sha256 == hashlib.sha256(NEW_TEXT.encode("utf-8")).hexdigest()
    receipt = next(t for t in texts(done) if "Telehealth consent receipt" in t)
    clause_2 = receipt.split("Clause 2 (version 2)")[1].split("Clause 3")[0]
    assert "Your answer to version 1: Agreed" in clause_2
    assert "Your answer: Agreed" in clause_2 and NEW_TEXT in clause_2
    assert [d for d in done if d["kind"] == "document"], "the receipt's PDF"
