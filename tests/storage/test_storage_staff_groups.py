"""Which staff group a case goes to (the one with fewest open cases), and its topic per group."""

from __future__ import annotations

from storage import Repository
from storage.staff_lanes import StaffLaneStore

GROUPS = (-1001, -1002, -1003)


async def _case(repo: Repository, user_id: int) -> int:
    patient = await repo.upsert_patient(
        telegram_user_id=user_id, chat_id=user_id, display_name="P", language_code="en"
    )
    case = await repo.open_case(
        patient_id=patient.id, reason="human_request", urgency="normal", summary={}
    )
    return case.id


async def test_new_cases_go_to_the_group_with_fewest_open_cases(db, repo: Repository) -> None:
    lanes = StaffLaneStore(db)
    chosen = [await lanes.assign_group(await _case(repo, 500 + n), GROUPS) for n in range(9)]
    assert chosen == list(GROUPS) * 3
    counts = await lanes.open_cases_by_group(GROUPS)
    assert counts == {-1001: 3, -1002: 3, -1003: 3}
    # A case keeps its group, however busy that group gets.
    first = await _case(repo, 600)
    group = await lanes.assign_group(first, GROUPS)
    assert await lanes.assign_group(first, GROUPS) == group


async def test_a_topic_is_found_in_its_own_group(db, repo: Repository) -> None:
    lanes = StaffLaneStore(db)
    one, two = await _case(repo, 700), await _case(repo, 701)
    assert await lanes.assign_group(one, GROUPS) == -1001
    assert await lanes.assign_group(two, GROUPS) == -1002
    # Thread ids are per chat: both groups have a topic 7.
    await repo.set_case_topic(one, 7, 70)
    await repo.set_case_topic(two, 7, 71)
    found = await lanes.case_by_topic(-1002, 7, first_group=-1001)
    assert found is not None and found.id == two and found.staff_chat_id == -1002
    assert (await lanes.case_by_topic(-1003, 7, first_group=-1001)) is None
