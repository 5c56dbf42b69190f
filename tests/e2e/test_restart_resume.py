"""Consent survives a restart: 3 of 5 agreed, the whole bot restarts, the patient goes on at 4."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import start_world, stop_world
from tests.e2e.harness import Patient, World, button_labels, joined
from tests.pg import fresh_database


async def reach_consent(patient: Patient) -> None:
    """From nothing to "Consent 1 of 5", answering yes to the criteria."""
    await patient.send("I want a second opinion from a US specialist")
    for _ in range(8):
        last = patient.history[-1]
        if "Consent 1 of 5" in (last.get("plain_text") or ""):
            return
        labels = button_labels(last)
        await patient.press("Continue" if "Continue" in labels else "Yes")
    raise AssertionError(f"never reached the consent: {joined(patient.history[-3:])}")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_agreed_clauses_survive_a_restart(backend: str, tmp_path: Path) -> None:
    url = fresh_database("triage_e2e_restart") if backend == "postgresql" else None
    world: World = await start_world(tmp_path, url)
    try:
        patient = await world.new_patient("Nisha", "K")
        await reach_consent(patient)
        for number in (2, 3, 4):
            assert f"Consent {number} of 5" in joined(await patient.press("I agree"))
        clause_four = patient.history[-1]
    finally:
        await world.runtime.stop()

    # A new process would build everything anew: a new Runtime on the same database.
    restarted = await start_world(tmp_path, url, emulator=world.emulator)
    patient.world = restarted
    try:
        after = await patient.press_on(clause_four, "I agree")
        assert "Consent 5 of 5" in joined(after), joined(after)
        repository = restarted.runtime.repository
        assert repository is not None
        stored = await repository.get_patient(patient.user_id)
        assert stored is not None
        decisions = [r.clause_id for r in await repository.consent_history(stored.id)]
        assert decisions == [f"telehealth-{n}" for n in range(1, 5)]
    finally:
        await stop_world(restarted)
