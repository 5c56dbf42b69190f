"""The console's queue of waiting cases, and how it reads a wait."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from console.pages import duration
from storage import Database, Repository
from storage.models import Case
from tests.console.conftest import SignIn
from tests.console.seed import (
    OTHER_USER,
    PATIENT_USER,
    references,
    seed_case,
    signed_in,
)


async def test_queue_lists_waiting_cases_urgent_first_with_their_wait(
    sign_in: SignIn, repository: Repository, database: Database
) -> None:
    client, staff_id = await signed_in(sign_in, repository)
    long_wait = await seed_case(repository, PATIENT_USER, "Meera Shah")
    urgent = await seed_case(
        repository, OTHER_USER, "Kabir Das", urgency="urgent", reason="emergency"
    )
    taken = await seed_case(repository, 5_550_001, "Ila Sen")
    await repository.claim_case(taken.id, staff_id)
    async with database.session() as session, session.begin():
        await session.execute(
            sa.update(Case)
            .where(Case.id == long_wait.id)
            .values(queued_at=datetime.now(timezone.utc) - timedelta(hours=2, minutes=5))
        )

    response = await client.get("/queue")

    assert response.status_code == 200
    assert response.headers["refresh"] == "30"
    assert references(response.text) == [urgent.reference, long_wait.reference]
    assert "2 h 5 min" in response.text
    assert "1 urgent" in response.text
    assert "Ila Sen" not in response.text


async def test_an_empty_queue(sign_in: SignIn) -> None:
    client = await sign_in()
    response = await client.get("/queue")
    assert response.status_code == 200
    assert "Nobody is waiting." in response.text


def test_durations_read_as_people_say_them() -> None:
    assert [duration(s) for s in (0, 59, 60, 3599, 3600, 7500, 86_400, 90_000, -5)] == [
        "0 s",
        "59 s",
        "1 min",
        "59 min",
        "1 h",
        "2 h 5 min",
        "1 d",
        "1 d 1 h",
        "0 s",
    ]
