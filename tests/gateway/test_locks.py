"""Conversation and turn locks shared by several workers, against a real Redis (Rasa issue 9213).

Each store instance stands for one worker process. A worker "gets in the middle" of another
through `_in_the_middle`: it acts just before the other's next write to Redis, which is where
Rasa's read-modify-write loses or duplicates tickets and where an atomic script cannot be cut.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis
from rasa.core.lock_store import RedisLockStore

from bot.locks import (
    COUNTER_GRACE_MS,
    LOCK_KEY_GRACE_MS,
    TURN_LOCK_LIFETIME,
    AtomicRedisLockStore,
    turn_lock,
    turn_lock_id,
)

pytestmark = pytest.mark.redis

REDIS_HOST, REDIS_PORT, REDIS_DB = "127.0.0.1", 6379, 15  # db 15, like bench.lock_race
# The store under test. Point it at RedisLockStore to see the ticket tests fail with Rasa's own.
STORE_CLASS: type[RedisLockStore] = AtomicRedisLockStore
# Commands that change a lock: Rasa's SET/DEL or one of our scripts.
WRITES = {"SET", "DEL", "EVAL", "EVALSHA"}

MakeStore = Callable[[], RedisLockStore]


@pytest.fixture(scope="module")
def client() -> redis.Redis:
    client = redis.Redis(REDIS_HOST, REDIS_PORT, db=REDIS_DB, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis not reachable at {REDIS_HOST}:{REDIS_PORT} ({error})")
    return client


@pytest.fixture
def stores(client: redis.Redis) -> MakeStore:
    """One new store = one more worker process on the shared Redis."""

    def make() -> RedisLockStore:
        return STORE_CLASS(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB)

    return make


@pytest.fixture
def conversation(client: redis.Redis) -> Iterator[str]:
    """A conversation id no other test (or earlier run) used; its keys are deleted afterwards."""
    conversation_id = f"test-locks-{uuid.uuid4().hex}"
    yield conversation_id
    for key in client.scan_iter(match=f"*{conversation_id}*"):
        client.delete(key)


@pytest.fixture
def chats(client: redis.Redis) -> Iterator[Callable[[], int]]:
    """Fresh chat ids; their keys (turn locks, conversation locks) are deleted afterwards."""
    made: list[int] = []

    def new_chat() -> int:
        made.append(uuid.uuid4().int % 10**12 + 10**12)
        return made[-1]

    yield new_chat
    for chat_id in made:
        for key in client.scan_iter(match=f"*{chat_id}"):  # turn lock and Rasa lock
            client.delete(key)


def _in_the_middle(store: RedisLockStore, action: Callable[[], object]) -> None:
    """Run `action` (another worker) once, just before `store`'s next write to Redis."""
    red = store.red
    original = red.execute_command

    def execute(*args: object, **options: object) -> object:
        if args and str(args[0]).upper() in WRITES:
            red.execute_command = original  # type: ignore[method-assign]
            action()
        return original(*args, **options)

    red.execute_command = execute  # type: ignore[method-assign]


def _numbers(store: RedisLockStore, conversation_id: str) -> list[int]:
    lock = store.get_lock(conversation_id)
    return [] if lock is None else [ticket.number for ticket in lock.tickets]


def _stored_numbers(client: redis.Redis, key: str) -> list[int] | None:
    """The ticket numbers as written in Redis (expired ones included), None without a key."""
    raw = client.get(key)
    if raw is None:
        return None
    return [json.loads(ticket)["number"] for ticket in json.loads(raw)["tickets"]]


# Tickets across workers.


def test_a_worker_issuing_in_the_middle_of_another_gets_another_ticket(
    stores: MakeStore, conversation: str
) -> None:
    first, second = stores(), stores()
    theirs: list[int] = []
    _in_the_middle(first, lambda: theirs.append(second.issue_ticket(conversation)))
    mine = first.issue_ticket(conversation)
    assert theirs, "the second worker did get in"
    assert mine != theirs[0], "two workers hold the same ticket: both would be served at once"
    assert sorted(_numbers(first, conversation)) == sorted([mine, theirs[0]]), "a ticket was lost"


def test_many_workers_at_once_get_unique_increasing_tickets(
    stores: MakeStore, conversation: str
) -> None:
    workers, each = 4, 25
    start = threading.Barrier(workers)
    issued: list[list[int]] = [[] for _ in range(workers)]

    def worker(index: int) -> None:
        store = stores()
        start.wait()
        for _ in range(each):
            issued[index].append(store.issue_ticket(conversation))

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [ticket for tickets in issued for ticket in tickets]
    assert len(set(everything)) == workers * each
    assert all(tickets == sorted(tickets) for tickets in issued)
    assert sorted(_numbers(stores(), conversation)) == sorted(everything), "tickets were lost"


@pytest.mark.parametrize("operation", ["finish_serving", "cleanup", "update_lock"])
def test_a_worker_changing_the_lock_keeps_the_ticket_another_worker_just_took(
    stores: MakeStore, conversation: str, operation: str
) -> None:
    first, second = stores(), stores()
    mine = first.issue_ticket(conversation)
    theirs: list[int] = []
    _in_the_middle(first, lambda: theirs.append(second.issue_ticket(conversation)))
    if operation == "update_lock":
        first.update_lock(conversation)
    else:
        getattr(first, operation)(conversation, mine)
    assert theirs and theirs[0] in _numbers(second, conversation), "the other worker's ticket went"
    if operation != "update_lock":
        lock = second.get_lock(conversation)
        assert lock is not None and not lock.is_locked(theirs[0]), "the other worker is next"


def test_a_finished_ticket_does_not_remove_a_ticket_of_a_recreated_lock(
    stores: MakeStore, conversation: str
) -> None:
    first, second = stores(), stores()
    stale = first.issue_ticket(conversation)
    first.delete_lock(conversation)  # as if the lock had expired while the first worker was slow
    fresh = second.issue_ticket(conversation)
    assert fresh > stale, "ticket numbers went back when the lock was recreated"
    first.cleanup(conversation, stale)
    assert _numbers(second, conversation) == [fresh]


def test_expired_tickets_are_dropped(
    client: redis.Redis, stores: MakeStore, conversation: str
) -> None:
    first, second = stores(), stores()
    first.issue_ticket(conversation, 0.05)
    time.sleep(0.1)
    theirs = second.issue_ticket(conversation, 30)
    key = second.key_prefix + conversation
    assert _stored_numbers(client, key) == [theirs], "the expired ticket is still stored"
    lock = first.get_lock(conversation)
    assert lock is not None and not lock.is_locked(theirs)

    only_expired = stores()
    only_expired.issue_ticket(f"{conversation}-2", 0.05)
    time.sleep(0.1)
    only_expired.update_lock(f"{conversation}-2")
    assert client.get(only_expired.key_prefix + f"{conversation}-2") is None, "empty lock kept"


def test_the_lock_key_and_the_counter_expire_by_themselves(
    client: redis.Redis, stores: MakeStore, conversation: str
) -> None:
    store = stores()
    ticket = store.issue_ticket(conversation, 30)
    ttl = client.pttl(store.key_prefix + conversation)
    assert 29_000 < ttl <= 30_000 + LOCK_KEY_GRACE_MS, "an abandoned lock would stay forever"
    assert isinstance(store, AtomicRedisLockStore)
    assert client.pttl(store._counter_key(conversation)) > 30_000 + COUNTER_GRACE_MS - 5_000
    store.cleanup(conversation, ticket)
    assert client.exists(store.key_prefix + conversation) == 0


def test_locks_written_by_rasas_own_store_are_read_and_continued(
    client: redis.Redis, stores: MakeStore, conversation: str
) -> None:
    rasa = RedisLockStore(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB)
    old = [rasa.issue_ticket(conversation), rasa.issue_ticket(conversation)]
    store = stores()
    new = store.issue_ticket(conversation)
    assert new > max(old)
    assert _numbers(store, conversation) == [*old, new]
    assert _numbers(rasa, conversation) == [*old, new], "Rasa's get_lock reads our JSON"


# Rasa's lock() as Agent and MessageProcessor use it: lock(sender_id), defaults otherwise.


async def test_a_waiting_worker_gets_in_soon_after_the_release(
    stores: MakeStore, conversation: str
) -> None:
    first, second = stores(), stores()
    released = asyncio.Event()
    released_at: list[float] = []

    async def holder() -> None:
        async with first.lock(conversation):
            await released.wait()
            released_at.append(time.monotonic())

    async def waiter() -> float:
        async with second.lock(conversation):
            return time.monotonic()

    holding = asyncio.create_task(holder())
    await asyncio.sleep(0.05)
    waiting = asyncio.create_task(waiter())
    await asyncio.sleep(0.1)
    released.set()
    entered = await asyncio.wait_for(waiting, 5)
    await holding
    # Rasa polls every second by default; a queued turn should not wait that long.
    assert entered - released_at[0] < 0.6


async def test_the_lifetime_counts_from_entry_not_from_the_queue(
    stores: MakeStore, conversation: str
) -> None:
    first, second = stores(), stores()

    async def holder() -> None:
        async with first.lock(conversation, 10):
            await asyncio.sleep(0.6)

    async def late() -> bool:
        async with second.lock(conversation, 1.0) as held:
            ticket = held.now_serving
            await asyncio.sleep(0.6)  # 1.2 s after the ticket was issued
            lock = stores().get_lock(conversation)
            return lock is not None and not lock.is_locked(ticket)

    holding = asyncio.create_task(holder())
    await asyncio.sleep(0.02)
    assert await asyncio.wait_for(late(), 5), "the holder's ticket expired mid-turn"
    await holding


# The bot's own per-chat turn lock.


async def test_turn_lock_runs_one_turn_of_a_chat_at_a_time_in_arrival_order(
    stores: MakeStore, chats: Callable[[], int]
) -> None:
    workers = [stores(), stores()]
    chat_id = chats()
    inside, peak, order = 0, 0, []

    async def turn(number: int) -> None:
        nonlocal inside, peak
        async with turn_lock(workers[number % 2], chat_id):
            inside += 1
            peak = max(peak, inside)
            order.append(number)
            await asyncio.sleep(0.02)
            inside -= 1

    await asyncio.wait_for(asyncio.gather(*(turn(number) for number in range(6))), 10)
    assert peak == 1
    assert order == list(range(6))


async def test_turn_lock_lets_different_chats_run_at_once(
    stores: MakeStore, chats: Callable[[], int]
) -> None:
    store = stores()
    entered = {chat_id: asyncio.Event() for chat_id in (chats(), chats())}

    async def turn(chat_id: int) -> None:
        async with turn_lock(store, chat_id):
            entered[chat_id].set()
            for event in entered.values():
                await event.wait()  # only returns if the other chat's turn got in meanwhile

    await asyncio.wait_for(asyncio.gather(*(turn(chat_id) for chat_id in entered)), 5)


async def test_turn_lock_is_released_on_an_exception(
    client: redis.Redis, stores: MakeStore, chats: Callable[[], int]
) -> None:
    store, chat_id = stores(), chats()
    with pytest.raises(RuntimeError):
        async with turn_lock(store, chat_id):
            raise RuntimeError("the turn failed")
    assert client.exists(store.key_prefix + turn_lock_id(chat_id)) == 0

    async def next_turn() -> None:
        async with turn_lock(stores(), chat_id):
            pass

    await asyncio.wait_for(next_turn(), 1)


async def test_turn_lock_is_released_on_cancellation(
    stores: MakeStore, chats: Callable[[], int]
) -> None:
    first, second, chat_id = stores(), stores(), chats()
    inside = asyncio.Event()

    async def turn(store: RedisLockStore) -> None:
        async with turn_lock(store, chat_id):
            inside.set()
            await asyncio.sleep(60)

    holding = asyncio.create_task(turn(first))
    await inside.wait()
    waiting = asyncio.create_task(turn(second))
    await asyncio.sleep(0.1)
    assert len(_numbers(first, turn_lock_id(chat_id))) == 2
    waiting.cancel()  # cancelled while queued
    await asyncio.gather(waiting, return_exceptions=True)
    assert len(_numbers(first, turn_lock_id(chat_id))) == 1
    holding.cancel()  # cancelled while holding the lock
    await asyncio.gather(holding, return_exceptions=True)
    assert first.get_lock(turn_lock_id(chat_id)) is None


async def test_turn_lock_covers_a_slow_turn_and_not_rasas_conversation_lock(
    stores: MakeStore, chats: Callable[[], int]
) -> None:
    store, chat_id = stores(), chats()
    store.lease_seconds = 0.3  # type: ignore[attr-defined]
    async with turn_lock(store, chat_id):
        first = store.get_lock(turn_lock_id(chat_id))
        assert first is not None and first.tickets[0].expires - time.time() <= TURN_LOCK_LIFETIME
        ticket = first.now_serving
        # A turn three leases long still holds its ticket: the lease is renewed as it runs.
        await asyncio.sleep(0.9)
        lock = store.get_lock(turn_lock_id(chat_id))
        assert lock is not None and lock.now_serving == ticket
        # The Rasa call inside the turn takes the conversation's own lock: no deadlock.
        async with store.lock(str(chat_id)):
            pass


async def test_a_killed_workers_ticket_runs_out_after_one_lease(
    stores: MakeStore, chats: Callable[[], int]
) -> None:
    """A worker SIGKILLed mid-turn renews nothing: the next worker gets in after the lease."""
    dead, alive, chat_id = stores(), stores(), chats()
    dead.lease_seconds = alive.lease_seconds = 0.5  # type: ignore[attr-defined]
    # What SIGKILL does: its renewals stop, and its `finally` never runs (never exited).
    dead._keep_leased = lambda *_: asyncio.sleep(3600)  # type: ignore[attr-defined]
    held = dead.lock(turn_lock_id(chat_id), 120)  # kept: collecting it would run the `finally`
    await asyncio.wait_for(held.__aenter__(), 2)
    started = time.monotonic()
    async with alive.lock(turn_lock_id(chat_id), 120):
        waited = time.monotonic() - started
    assert 0.2 < waited < 1.5, f"took over after {waited:.2f} s"


async def test_a_turn_nobody_waits_for_costs_two_round_trips_and_a_queued_one_still_waits(
    stores: MakeStore, chats: Callable[[], int]
) -> None:
    """Issue and cleanup only: a ticket with nobody ahead is served from its issue."""
    first, second, chat_id = stores(), stores(), chats()
    commands: list[str] = []
    original = first.red.execute_command

    def counted(*args: object, **options: object) -> object:
        commands.append(str(args[0]).upper())
        return original(*args, **options)

    first.red.execute_command = counted  # type: ignore[method-assign]
    async with turn_lock(first, chat_id):
        assert len(commands) == 1, commands
        # The second worker's ticket is behind the first's: it waits for the release.
        waiting = asyncio.create_task(_enter(second, chat_id))
        await asyncio.sleep(0.2)
        assert not waiting.done()
    assert len(commands) == 2, commands
    await asyncio.wait_for(waiting, 2)


async def _enter(store: RedisLockStore, chat_id: int) -> None:
    async with turn_lock(store, chat_id):
        pass


async def test_turn_lock_without_a_store_does_nothing() -> None:
    async with turn_lock(None, 1):
        pass


async def test_two_workers_handle_one_chat_one_turn_at_a_time_in_arrival_order(
    stores: MakeStore,
) -> None:
    from telegram import Chat, Message, Update

    from bot.ordering import PerChatUpdateProcessor

    chat_id = int(uuid.uuid4().int % 10**9)
    workers = [PerChatUpdateProcessor(max_concurrent_updates=8) for _ in range(2)]
    for worker in workers:
        worker.shared_locks = stores()
    inside = 0
    most_inside = 0
    order: list[int] = []

    async def turn(update_id: int) -> None:
        nonlocal inside, most_inside
        inside += 1
        most_inside = max(most_inside, inside)
        order.append(update_id)
        await asyncio.sleep(0.02)
        inside -= 1

    def update(update_id: int) -> Update:
        chat = Chat(chat_id, Chat.PRIVATE)
        return Update(update_id, message=Message(update_id, None, chat))  # type: ignore[arg-type]

    tasks = []
    for update_id in range(10):
        worker = workers[update_id % 2]  # round robin, as the proxy does
        tasks.append(asyncio.create_task(worker.process_update(update(update_id), turn(update_id))))
        await asyncio.sleep(0.001)
    await asyncio.gather(*tasks)
    assert most_inside == 1, "two workers were inside one chat's turn at once"
    assert order == list(range(10))


def test_a_redis_url_with_a_user_and_password_authenticates_as_that_user(
    client: redis.Redis,
) -> None:
    from bot.runtime import make_lock_store

    user, password = f"triage-{uuid.uuid4().hex[:8]}", "p@ss/word"
    client.acl_setuser(
        user, enabled=True, passwords=[f"+{password}"], keys=["*"], commands=["+@all"]
    )
    try:
        url = f"redis://{user}:p%40ss%2Fword@{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}"
        store = make_lock_store(url)
        assert store is not None
        assert store.red.acl_whoami() == user
    finally:
        client.acl_deluser(user)
