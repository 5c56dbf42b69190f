"""Cases: opening and reuse, the staff topic, claim (race-safe), release, close, rating, queue."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

from storage import CaseStateError, Database, Repository
from storage.errors import UnknownCaseError
from storage.models import Case
from storage.timeutil import utcnow


async def _patient(repo: Repository, user_id: int = 700) -> int:
    return (await repo.upsert_patient(user_id, user_id, f"Patient {user_id}", "en")).id


async def _case(repo: Repository, user_id: int = 700, urgency: str = "normal") -> int:
    patient_id = await _patient(repo, user_id)
    case = await repo.open_case(
        patient_id=patient_id, reason="second_opinion", urgency=urgency, summary={"asked": "x"}
    )
    return case.id


async def _staff(repo: Repository, count: int) -> list[int]:
    return [(await repo.upsert_staff(9000 + n, f"Staff {n}")).id for n in range(count)]


async def test_open_case_queues_a_new_case_with_a_reference(repo: Repository) -> None:
    patient_id = await _patient(repo)
    case = await repo.open_case(
        patient_id=patient_id,
        reason="second_opinion",
        urgency="normal",
        summary={"asked": "is it risky", "criteria_met": ["risky"]},
    )
    assert case.status == "queued"
    assert case.reference == str(case.id + 1000)
    assert case.summary["criteria_met"] == ["risky"]
    assert case.queued_at is not None and case.queued_at.tzinfo is not None
    assert (await repo.open_case_for(patient_id)) == case
    assert (await repo.get_case(case.id)) == case


async def test_open_case_reuses_the_open_case(repo: Repository) -> None:
    patient_id = await _patient(repo)
    first = await repo.open_case(
        patient_id=patient_id, reason="second_opinion", urgency="normal", summary={"asked": "a"}
    )
    second = await repo.open_case(
        patient_id=patient_id, reason="emergency", urgency="urgent", summary={"language": "hi"}
    )
    assert second.id == first.id
    assert second.urgency == "urgent"
    assert second.reason == "emergency"
    assert second.summary == {"asked": "a", "language": "hi"}
    assert second.queued_at == first.queued_at  # its wait goes on

    third = await repo.open_case(
        patient_id=patient_id, reason="human_request", urgency="normal", summary={}
    )
    assert third.urgency == "urgent"  # never lowered


async def test_open_case_keeps_a_case_with_staff_with_staff(repo: Repository) -> None:
    case_id = await _case(repo)
    (staff_id,) = await _staff(repo, 1)
    assert (await repo.claim_case(case_id, staff_id)).won
    case = await repo.get_case(case_id)
    reopened = await repo.open_case(
        patient_id=case.patient_id, reason="emergency", urgency="urgent", summary={}
    )
    assert (reopened.id, reopened.status, reopened.holder_staff_id) == (
        case_id,
        "with_staff",
        staff_id,
    )


async def test_a_closed_case_is_not_reused(repo: Repository) -> None:
    case_id = await _case(repo)
    (staff_id,) = await _staff(repo, 1)
    closed = await repo.close_case(case_id, staff_id)
    new = await repo.open_case(
        patient_id=closed.patient_id, reason="human_request", urgency="normal", summary={}
    )
    assert new.id != case_id and new.status == "queued"


async def test_concurrent_handoffs_make_one_case(repo: Repository) -> None:
    patient_id = await _patient(repo)
    cases = await asyncio.gather(
        *(
            repo.open_case(
                patient_id=patient_id, reason="human_request", urgency="normal", summary={"n": n}
            )
            for n in range(5)
        )
    )
    assert len({case.id for case in cases}) == 1


async def test_the_database_allows_one_open_case_per_patient(
    db: Database, repo: Repository
) -> None:
    case_id = await _case(repo)
    case = await repo.get_case(case_id)
    async with db.session() as session:
        session.add(Case(patient_id=case.patient_id, patient_pseudonym="p", status="bot"))
        with pytest.raises(sa.exc.IntegrityError):
            await session.commit()


async def test_topic_is_stored_and_found(repo: Repository) -> None:
    case_id = await _case(repo)
    await repo.set_case_topic(case_id, thread_id=4242, card_message_id=17)
    case = await repo.case_by_topic(4242)
    assert (case.id, case.thread_id, case.card_message_id) == (case_id, 4242, 17)
    assert await repo.case_by_topic(1) is None
    with pytest.raises(UnknownCaseError):
        await repo.set_case_topic(case_id + 99, thread_id=1, card_message_id=None)


async def test_ten_concurrent_claims_have_exactly_one_winner(repo: Repository) -> None:
    case_id = await _case(repo)
    staff_ids = await _staff(repo, 10)
    results = await asyncio.gather(*(repo.claim_case(case_id, staff) for staff in staff_ids))
    winners = [staff for staff, result in zip(staff_ids, results, strict=True) if result.won]
    assert len(winners) == 1
    assert {result.holder_staff_id for result in results} == {winners[0]}
    case = await repo.get_case(case_id)
    assert (case.status, case.holder_staff_id) == ("with_staff", winners[0])
    assert case.claimed_at is not None


async def test_release_returns_the_patient_to_the_bot(repo: Repository) -> None:
    case_id = await _case(repo)
    holder, other = await _staff(repo, 2)
    await repo.claim_case(case_id, holder)
    with pytest.raises(CaseStateError):
        await repo.release_case(case_id, other)
    released = await repo.release_case(case_id, holder)
    assert (released.status, released.holder_staff_id) == ("bot", None)
    with pytest.raises(CaseStateError):
        await repo.release_case(case_id, holder)
    assert (await repo.claim_case(case_id, other)).won  # can be taken over again


async def test_close_and_rate(repo: Repository) -> None:
    case_id = await _case(repo)
    (staff_id,) = await _staff(repo, 1)
    with pytest.raises(CaseStateError):
        await repo.rate_case(case_id, 5)  # not closed yet
    closed = await repo.close_case(case_id, staff_id)
    assert closed.status == "closed" and closed.closed_at is not None
    assert closed.closed_by_staff_id == staff_id
    with pytest.raises(CaseStateError):
        await repo.close_case(case_id, staff_id)
    assert not (await repo.claim_case(case_id, staff_id)).won
    for bad in (0, 6, 2.5, True):
        with pytest.raises(ValueError):
            await repo.rate_case(case_id, bad)  # type: ignore[arg-type]
    await repo.rate_case(case_id, 4)
    assert (await repo.get_case(case_id)).rating == 4
    with pytest.raises(UnknownCaseError):
        await repo.close_case(case_id + 99, staff_id)


async def test_claim_release_and_close_are_audited(db: Database, repo: Repository) -> None:
    case_id = await _case(repo)
    (staff_id,) = await _staff(repo, 1)
    await repo.claim_case(case_id, staff_id)
    await repo.claim_case(case_id, staff_id)  # lost: not audited
    await repo.release_case(case_id, staff_id)
    await repo.close_case(case_id, staff_id)
    async with db.engine.connect() as connection:
        rows = await connection.execute(sa.text("SELECT action, actor_id, target FROM audit_log"))
        entries = [tuple(row) for row in rows]
    target = f"case:{case_id}"
    assert entries == [
        ("case.claim", str(staff_id), target),
        ("case.release", str(staff_id), target),
        ("case.close", str(staff_id), target),
    ]


async def _set_queued_at(db: Database, case_id: int, seconds_ago: float) -> None:
    from datetime import timedelta

    async with db.session() as session, session.begin():
        await session.execute(
            sa.update(Case)
            .where(Case.id == case_id)
            .values(queued_at=utcnow() - timedelta(seconds=seconds_ago))
        )


async def test_queue_is_urgent_first_then_oldest(db: Database, repo: Repository) -> None:
    old_normal = await _case(repo, 701)
    new_urgent = await _case(repo, 702, urgency="urgent")
    new_normal = await _case(repo, 703)
    old_urgent = await _case(repo, 704, urgency="urgent")
    claimed = await _case(repo, 705, urgency="urgent")
    for case_id, age in ((old_normal, 600), (new_urgent, 60), (new_normal, 30), (old_urgent, 300)):
        await _set_queued_at(db, case_id, age)
    (staff_id,) = await _staff(repo, 1)
    await repo.claim_case(claimed, staff_id)
    assert [case.id for case in await repo.queue()] == [
        old_urgent,
        new_urgent,
        old_normal,
        new_normal,
    ]


async def test_waiting_cases_and_renotification(db: Database, repo: Repository) -> None:
    waiting = await _case(repo, 711)
    fresh = await _case(repo, 712)
    await _set_queued_at(db, waiting, 400)
    await _set_queued_at(db, fresh, 10)
    assert [case.id for case in await repo.cases_waiting_longer_than(300)] == [waiting]
    await repo.mark_renotified(waiting)
    assert await repo.cases_waiting_longer_than(300) == []
    assert (await repo.get_case(waiting)).last_renotified_at is not None
    assert [case.id for case in await repo.cases_waiting_longer_than(0)] == [waiting, fresh]


async def test_staff_upsert_updates_the_name(repo: Repository) -> None:
    first = await repo.upsert_staff(321, "Ravi")
    second = await repo.upsert_staff(321, "Ravi K")
    assert second.id == first.id and second.display_name == "Ravi K" and second.active
    assert await repo.staff_by_telegram_id(321) == second
    assert await repo.get_staff(first.id) == second
