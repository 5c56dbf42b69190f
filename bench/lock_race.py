"""Does a lock store keep one conversation on one worker at a time? (Rasa issue 9213)

    python -m bench.lock_race [--store ours|rasa] [--redis-url redis://127.0.0.1:6379/15]
        [--workers 4] [--rounds 50]

Each worker is a thread with its own event loop and its own lock store, as separate servers
would have, all taking the lock of the same conversation over and over. Inside the lock a
worker counts itself in and out with an atomic Redis counter; if the counter ever reads more
than one, two workers were inside the same conversation's lock at once.
"""

from __future__ import annotations

import argparse
import asyncio
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rasa.core.lock_store import LockStore

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


@dataclass
class RaceResult:
    workers: int
    rounds: int
    entries: int = 0
    overlaps: int = 0
    lock_errors: int = 0
    # Waited longer than `give_up_after` for a lock: a ticket lost in a race is never served.
    stuck: int = 0

    @property
    def safe(self) -> bool:
        return self.overlaps == 0 and self.lock_errors == 0 and self.stuck == 0


def race(
    make_store: Callable[[], LockStore],
    counter_url: str,
    workers: int = 4,
    rounds: int = 50,
    hold_seconds: float = 0.002,
    lock_lifetime: float = 2.0,
    give_up_after: float = 5.0,
) -> RaceResult:
    """Run the workers; count entries and how often the lock held more than one of them."""
    import redis

    conversation_id = f"bench-race-{uuid.uuid4().hex}"
    inside_key = f"{conversation_id}:inside"
    counter = redis.Redis.from_url(counter_url)
    result = RaceResult(workers, rounds)
    tally = threading.Lock()

    async def worker() -> None:
        from rasa.core.lock_store import LockError

        store = make_store()

        async def one_turn() -> int:
            async with store.lock(conversation_id, lock_lifetime, 0.001):
                inside = int(counter.incr(inside_key))
                await asyncio.sleep(hold_seconds)
                counter.decr(inside_key)
            return inside

        for _ in range(rounds):
            try:
                inside = await asyncio.wait_for(one_turn(), give_up_after)
            except LockError:
                with tally:
                    result.lock_errors += 1
                continue
            except asyncio.TimeoutError:
                counter.set(inside_key, 0)
                with tally:
                    result.stuck += 1
                continue
            with tally:
                result.entries += 1
                result.overlaps += inside > 1

    threads = [threading.Thread(target=asyncio.run, args=(worker(),)) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counter.delete(inside_key)
    return result


def interleaved_tickets(make_store: Callable[[], LockStore]) -> tuple[int, int]:
    """Two workers take a ticket for one conversation, the second one in the middle of the
    first one's read-then-write (if the store does it that way); returns both tickets.

    A store that is safe across workers gives two different tickets whatever the timing.
    """
    conversation_id = f"bench-interleave-{uuid.uuid4().hex}"
    first, second = make_store(), make_store()
    tickets: list[int] = []
    client = getattr(first, "red", None)
    if client is not None:
        original_set = client.set

        def set_after_the_other_worker(*args: object, **kwargs: object) -> object:
            client.set = original_set
            tickets.append(second.issue_ticket(conversation_id))
            return original_set(*args, **kwargs)

        client.set = set_after_the_other_worker
    ticket = first.issue_ticket(conversation_id)
    if not tickets:  # the first store never wrote with SET: take the second ticket after it
        tickets.append(second.issue_ticket(conversation_id))
    first.delete_lock(conversation_id)
    return ticket, tickets[0]


def ours(redis_url: str) -> Callable[[], LockStore]:
    """The lock store the bot builds from REDIS_URL (bot/runtime.py)."""
    from bot.runtime import make_lock_store

    def make() -> LockStore:
        store = make_lock_store(redis_url)
        assert store is not None
        return store

    return make


def rasa(redis_url: str) -> Callable[[], LockStore]:
    """Rasa's own RedisLockStore on the same Redis, for comparison."""
    from rasa.core.lock_store import RedisLockStore

    from bot.runtime import redis_lock_store_arguments

    arguments = redis_lock_store_arguments(redis_url)

    def make() -> LockStore:
        return RedisLockStore(**arguments)

    return make


STORES: dict[str, Callable[[str], Callable[[], LockStore]]] = {"ours": ours, "rasa": rasa}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.lock_race")
    parser.add_argument("--store", choices=sorted(STORES), default="ours")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    make_store = STORES[args.store](args.redis_url)
    result = race(make_store, args.redis_url, args.workers, args.rounds)
    verdict = "SAFE" if result.safe else "UNSAFE"
    print(
        f"{verdict} ({args.store}): {result.overlaps} of {result.entries} entries overlapped "
        f"another worker ({result.workers} workers x {result.rounds} rounds, "
        f"{result.lock_errors} LockErrors, {result.stuck} waits over 5 s)"
    )


if __name__ == "__main__":
    main()
