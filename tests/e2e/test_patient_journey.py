"""A whole patient journey: procedure, criteria, five clauses, receipt, handoff."""

from __future__ import annotations

import hashlib

from storage.consent_texts import load_clauses
from tests.e2e.harness import World, button_labels, joined, texts


def _clause_texts() -> dict[int, str]:
    return {clause.number: clause.text for clause in load_clauses()}


async def test_procedure_question_then_criteria_then_consent_then_handoff(world: World) -> None:
    patient = await world.new_patient("Asha", "R")
    clauses = _clause_texts()

    answer = await patient.send("breast lift cosmetic or plastic?")
    assert "cosmetic" in joined(answer).lower()
    assert {"Ask another", "Second opinion", "Talk to a person"} <= set(button_labels(answer[-1]))

    await patient.press("Second opinion")
    told = await patient.send(
        "my surgeon says the operation is risky and honestly I don't trust him anymore"
    )
    asked = joined(told)
    assert "risky" not in asked.split("?")[-1], "a criterion already met is asked again"
    # Only the two unknown criteria are asked, one at a time, with yes/no buttons.
    questions = 0
    while "Continue" not in button_labels(patient.history[-1]):
        assert set(button_labels(patient.history[-1])) >= {"Yes", "No"}, texts(patient.history[-2:])
        await patient.press("No")
        questions += 1
        assert questions <= 2, "asked about criteria the patient already answered"
    assert questions == 2
    result = joined(patient.history[-3:]).lower()
    assert "risky" in result and "confidence" in result

    clause_messages: dict[int, dict] = {}
    first = await patient.press("Continue")
    assert "Consent 1 of 5" in joined(first) and clauses[1] in joined(first).replace("\n", " ")
    clause_messages[1] = first[-1]
    second = await patient.press("I agree")
    assert "Consent 2 of 5" in joined(second)
    clause_messages[2] = second[-1]

    question = await patient.send("what if the video doesn't work?")
    assert "Consent 2 of 5" in joined(question), "the same clause is shown again after an answer"
    assert {"I agree", "I do not agree"} <= set(button_labels(question[-1]))

    third = await patient.send("haan")
    assert "Consent 3 of 5" in joined(third)
    fourth = await patient.press("I agree")
    assert "Consent 4 of 5" in joined(fourth)
    fifth = await patient.press("I agree")
    assert "Consent 5 of 5" in joined(fifth) and clauses[5] in joined(fifth).replace("\n", " ")
    done = await patient.press("I agree")

    documents = [r for r in done if r["kind"] == "document"]
    assert len(documents) == 1 and documents[0]["file_name"].endswith(".pdf")
    pdf = await world.emulator.file_bytes(documents[0]["file_id"])
    assert pdf.startswith(b"%PDF")
    handoff = [t for t in texts(done) if "Your case" in t]
    assert handoff, texts(done)
    reference = handoff[0].split("Your case")[1].split()[0]

    repository = world.runtime.repository
    assert repository is not None
    stored = await repository.get_patient(patient.user_id)
    assert stored is not None
    records = await repository.consent_history(stored.id)
    assert [(r.clause_id, r.decision) for r in records] == [
        (f"telehealth-{n}", "agreed") for n in range(1, 6)
    ]
    for record, number in zip(records, range(1, 6), strict=True):
        assert record.text_sha256 == hashlib.sha256(clauses[number].encode()).hexdigest()
    assert records[0].answered_message_id == clause_messages[1]["message_id"]

    # An old button of clause 2 (answered by typing) changes nothing.
    await patient.press_on(clause_messages[2], "I do not agree")
    assert len(await repository.consent_history(stored.id)) == 5

    topics = await world.emulator.topics(world.staff_chat_id)
    assert any(t["name"].startswith(f"{reference} · Asha R") for t in topics), topics
