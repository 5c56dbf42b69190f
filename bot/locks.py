"""Conversation locks that stay correct across several worker processes (Rasa issue 9213).

Rasa's `RedisLockStore` changes a lock by reading its JSON, editing it in Python and writing it
back, so two workers in between each other's read and write get the same ticket or wipe each
other's tickets. Here every change is one Lua script, which Redis runs atomically.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import (
    DEFAULT_REDIS_LOCK_STORE_KEY_PREFIX,
    DEFAULT_SOCKET_TIMEOUT_IN_SECONDS,
    LOCK_LIFETIME,
    LockError,
    RedisLockStore,
)

if TYPE_CHECKING:
    from rasa.core.lock_store import LockStore
    from redis.commands.core import Script

log = logging.getLogger(__name__)
# Rasa's `lock()` sleeps 1 s between polls by default, a second added to every queued turn.
POLL_SECONDS = 0.05
# A ticket is a lease: its worker renews it every third of this while it waits or holds, so a
# killed worker's tickets run out this soon and another worker can take over its chats
# (bot/failover.py), whatever lifetime the caller asked for (Rasa asks for 60 s).
LEASE_SECONDS = 15.0
# The lock key outlives its last ticket a little: ticket expiry is judged by each worker's clock.
LOCK_KEY_GRACE_MS = 1_000
# The ticket counter must outlive every ticket it issued, and a worker still busy past its
# ticket's expiry, or a recreated counter could hand out a number that worker still holds.
COUNTER_GRACE_MS = 3_600_000
# A whole bot turn (database writes, the Rasa call with its retries, the sends) holds it as
# long as it runs: the lease is renewed; a dead worker's turn lock is free after the lease.
TURN_LOCK_LIFETIME = LEASE_SECONDS
TURN_LOCK_PREFIX = "turn:"

# Shared by every script: read the lock Rasa's way (expired tickets dropped), write it back
# in Rasa's JSON layout with a TTL, or delete it once no ticket is left.
_LUA_COMMON = """
local function live_tickets(key, now)
  local live = {}
  local raw = redis.call('GET', key)
  if not raw then return live end
  local tickets = cjson.decode(raw)['tickets']
  if type(tickets) ~= 'table' then return live end
  for _, text in ipairs(tickets) do
    local ticket = cjson.decode(text)
    local expires = tonumber(ticket['expires'])
    -- rasa.core.lock.Ticket.has_expired: expired once now > expires
    if expires >= now then
      live[#live + 1] = {number = tonumber(ticket['number']), expires = expires, text = text}
    end
  end
  return live
end

local function ticket_text(number, expires)
  return string.format('{"number": %d, "expires": %.6f}', number, expires)
end

local function save(key, conversation_id, live, now, grace_ms)
  if #live == 0 then
    redis.call('DEL', key)
    return 0
  end
  local texts, last = {}, now
  for i, ticket in ipairs(live) do
    texts[i] = ticket.text
    if ticket.expires > last then last = ticket.expires end
  end
  local ttl = math.ceil((last - now) * 1000) + grace_ms
  local lock = cjson.encode({conversation_id = conversation_id, tickets = texts})
  redis.call('SET', key, lock, 'PX', ttl)
  return #live
end
"""

# KEYS: lock, counter. ARGV: conversation id, now, lock grace (ms), lifetime (s), counter TTL (ms).
# Returns {ticket number, live tickets ahead of it}: none ahead means it is served at once.
_ISSUE_LUA = (
    _LUA_COMMON
    + """
local now, lifetime = tonumber(ARGV[2]), tonumber(ARGV[4])
local live = live_tickets(KEYS[1], now)
local number = redis.call('INCR', KEYS[2])
-- Never below a live ticket: the counter may have expired, or Rasa's own store wrote the lock.
local highest = 0
for _, ticket in ipairs(live) do
  if ticket.number > highest then highest = ticket.number end
end
if number <= highest then
  number = highest + 1
  redis.call('SET', KEYS[2], string.format('%d', number))
end
local counter_ttl = tonumber(ARGV[5])
if redis.call('PTTL', KEYS[2]) < counter_ttl then
  redis.call('PEXPIRE', KEYS[2], counter_ttl)
end
local expires = now + lifetime
local ahead = #live
live[#live + 1] = {number = number, expires = expires, text = ticket_text(number, expires)}
save(KEYS[1], ARGV[1], live, now, tonumber(ARGV[3]))
return {number, ahead}
"""
)

# KEYS: lock. ARGV: conversation id, now, lock grace (ms), ticket ('' drops expired ones only).
# Returns how many tickets are left; the key is gone when none is.
_REMOVE_LUA = (
    _LUA_COMMON
    + """
local now, target = tonumber(ARGV[2]), tonumber(ARGV[4])
local kept = {}
for _, ticket in ipairs(live_tickets(KEYS[1], now)) do
  if ticket.number ~= target then kept[#kept + 1] = ticket end
end
return save(KEYS[1], ARGV[1], kept, now, tonumber(ARGV[3]))
"""
)

# KEYS: lock. ARGV: conversation id, now, lock grace (ms), ticket, lifetime (s).
# Returns 1 if the ticket was still there (and now expires `lifetime` from now), else 0.
_RENEW_LUA = (
    _LUA_COMMON
    + """
local now, target, lifetime = tonumber(ARGV[2]), tonumber(ARGV[4]), tonumber(ARGV[5])
local live = live_tickets(KEYS[1], now)
local found = 0
for _, ticket in ipairs(live) do
  if ticket.number == target then
    ticket.expires = now + lifetime
    ticket.text = ticket_text(ticket.number, ticket.expires)
    found = 1
  end
end
save(KEYS[1], ARGV[1], live, now, tonumber(ARGV[3]))
return found
"""
)


class AtomicRedisLockStore(RedisLockStore):
    """Rasa's Redis ticket lock with each change of a lock done atomically inside Redis."""

    poll_seconds: float = POLL_SECONDS
    lease_seconds: float = LEASE_SECONDS

    def __init__(
        self,
        host: str = "localhost",
        port: int = 6379,
        db: int = 1,
        username: str | None = None,
        password: str | None = None,
        use_ssl: bool = False,
        ssl_certfile: str | None = None,
        ssl_keyfile: str | None = None,
        ssl_ca_certs: str | None = None,
        key_prefix: str | None = None,
        socket_timeout: float = DEFAULT_SOCKET_TIMEOUT_IN_SECONDS,
    ) -> None:
        """Same parameters as `RedisLockStore`; registers the scripts once per client."""
        super().__init__(
            host, port, db, username, password, use_ssl,
            ssl_certfile, ssl_keyfile, ssl_ca_certs, key_prefix, socket_timeout,
        )  # fmt: skip
        # register_script sends EVALSHA and loads the script itself on NOSCRIPT.
        self._issue = self.red.register_script(_ISSUE_LUA)
        self._remove = self.red.register_script(_REMOVE_LUA)
        self._renew = self.red.register_script(_RENEW_LUA)

    def _lock_key(self, conversation_id: str) -> str:
        """The key Rasa's store keeps this conversation's lock under."""
        return self.key_prefix + conversation_id

    def _counter_key(self, conversation_id: str) -> str:
        """The ticket counter's key; '<prefix>lock_ticket:…' never equals a '<prefix>lock:…' key."""
        base = self.key_prefix[: -len(DEFAULT_REDIS_LOCK_STORE_KEY_PREFIX)]
        return f"{base}lock_ticket:{conversation_id}"

    def _run(self, script: Script, conversation_id: str, *args: str | int | float) -> int:
        """Run a script on this conversation's lock at this worker's time; its number."""
        keys = [self._lock_key(conversation_id)]
        # Ticket expiry is in this worker's clock, as in Rasa's get_lock/is_locked.
        now = repr(time.time())
        return int(script(keys=keys, args=[conversation_id, now, LOCK_KEY_GRACE_MS, *args]))

    def _issue_in_line(self, conversation_id: str, lock_lifetime: float) -> tuple[int, int, float]:
        """Append a ticket no other worker got: its number, the live tickets ahead, its expiry."""
        try:
            keys = [self._lock_key(conversation_id), self._counter_key(conversation_id)]
            counter_ttl_ms = math.ceil(lock_lifetime * 1000) + COUNTER_GRACE_MS
            now = time.time()
            args = [conversation_id, repr(now), LOCK_KEY_GRACE_MS]
            args += [repr(float(lock_lifetime)), counter_ttl_ms]
            number, ahead = self._issue(keys=keys, args=args)
        except Exception as error:  # Rasa's contract: any failure to issue is a LockError
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error
        return int(number), int(ahead), now + lock_lifetime

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """Append a ticket with a number no other worker got for this conversation."""
        return self._issue_in_line(conversation_id, lock_lifetime)[0]

    def _remove_ticket(self, conversation_id: str, ticket_number: int | None) -> int:
        """Drop expired tickets and `ticket_number`; delete the lock if none is left."""
        target = "" if ticket_number is None else ticket_number
        return self._run(self._remove, conversation_id, target)

    def update_lock(self, conversation_id: str) -> None:
        """Drop expired tickets (an empty lock goes, so a waiter whose ticket expired stops)."""
        self._remove_ticket(conversation_id, None)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        """Remove this ticket only, whatever other workers did to the lock meanwhile."""
        self._remove_ticket(conversation_id, ticket_number)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Remove the ticket and the lock if it was the last: one step, so no new ticket is lost."""
        self._remove_ticket(conversation_id, ticket_number)

    def renew_ticket(self, conversation_id: str, ticket_number: int, lock_lifetime: float) -> bool:
        """Let the ticket expire `lock_lifetime` from now; False if it had expired already."""
        lifetime = repr(float(lock_lifetime))
        return bool(self._run(self._renew, conversation_id, ticket_number, lifetime))

    def save_lock(self, lock: TicketLock) -> None:
        """Write a whole lock (not used by this store's own operations) with a TTL Rasa omits."""
        lock.remove_expired_tickets()
        if not lock.tickets:
            self.delete_lock(lock.conversation_id)
            return
        last = max(ticket.expires for ticket in lock.tickets)
        ttl_ms = max(math.ceil((last - time.time()) * 1000), 0) + LOCK_KEY_GRACE_MS
        self.red.set(self._lock_key(lock.conversation_id), lock.dumps(), px=ttl_ms)

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float | None = None,
    ) -> AsyncIterator[TicketLock]:
        """Rasa's ticket lock, polled every `poll_seconds`, its ticket a renewed lease.

        The ticket lives `min(lock_lifetime, lease_seconds)` and is renewed every third of
        that until the block ends, so a live holder keeps it however long its turn takes and
        a killed worker's ticket expires within one lease.
        """
        # Agent.handle_message and MessageProcessor call lock(sender_id) with Rasa's defaults,
        # so the short poll has to be this method's default.
        wait = self.poll_seconds if wait_time_in_seconds is None else wait_time_in_seconds
        lease = min(float(lock_lifetime), self.lease_seconds)
        ticket, ahead, expires = self._issue_in_line(conversation_id, lease)
        keeper = asyncio.create_task(self._keep_leased(conversation_id, ticket, lease))
        try:
            if ahead == 0:
                # Nobody was in line: served from the issue on, with a whole lease, and no
                # read back or renewal (most turns: two round trips in all, issue and cleanup).
                held = TicketLock(conversation_id, deque([Ticket(ticket, expires)]))
            else:
                held = await self._acquire_lock(conversation_id, ticket, wait)
                # Time spent queueing must not eat the holder's time, or a ticket could
                # expire mid-turn and let the next worker in.
                if not self.renew_ticket(conversation_id, ticket, lease):
                    raise LockError(f"Lock for conversation '{conversation_id}' expired on entry.")
            yield held
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
            self.cleanup(conversation_id, ticket)

    async def _keep_leased(self, conversation_id: str, ticket: int, lease: float) -> None:
        """Renew the ticket every third of its lease while its worker waits or holds."""
        while True:
            await asyncio.sleep(lease / 3)
            try:
                self.renew_ticket(conversation_id, ticket, lease)
            except Exception as error:  # a passing Redis failure: the next renewal may succeed
                log.warning("lock lease not renewed", extra={"error_type": type(error).__name__})


def turn_lock_id(chat_id: int) -> str:
    """The lock id of a chat's turns: never a Rasa conversation (sender) id."""
    return f"{TURN_LOCK_PREFIX}{chat_id}"


@asynccontextmanager
async def turn_lock(
    store: LockStore | None, chat_id: int, lifetime: float = TURN_LOCK_LIFETIME
) -> AsyncIterator[None]:
    """Run a whole turn of `chat_id` on one worker at a time, FIFO; no-op without a store."""
    if store is None:
        yield
        return
    # lock() removes the ticket in its `finally`, so exceptions and cancellation release it.
    async with store.lock(turn_lock_id(chat_id), lifetime, POLL_SECONDS):
        yield
