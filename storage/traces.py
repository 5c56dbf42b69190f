"""What a patient leaves outside their own rows, removed when they are erased (/delete).

Their own rows (profile, transcript, cases, Rasa's tracker) are found by their keys
(storage/privacy.py). These are not keyed by the patient, and are found here, in the same
transaction:

- `inbox_updates`, the raw updates. Those of the patient's private chat are deleted. The staff
  groups' updates about them are keyed by the group: the take-over press (its message is the
  case card: the name and the last messages), staff messages naming them, a /note.
- `outbox_messages`: what was queued for the patient's chat is deleted.
- `staff_group_sends`: what was (or was still to be) said in a staff group about their cases
  is deleted: a copy of their message holds their chat id, a notice their words.

**How a staff group's update is found.** By what the stored update itself shows, when the
patient is erased; not by a mark recorded when an update is handled. A mark is written only
by a handler that resolved a case, so an update not yet handled at the erasure (a replay
after a crash, another worker's), one that no handler tied to a case (a refused press, a
message from someone who is not staff, a service message, a press on a queue listing) or
one handled by code added later that forgets the mark, would keep the name. A raw update
shows where it happened and what it holds, handled or not. An update is redacted when:

1. it happened in a topic of the patient's cases (a message of it, a pressed card included,
   carries the topic's `message_thread_id`, in that topic's group), handled or not: the
   topic goes with the case, nothing in it is left to act on;
2. it identifies them: their Telegram id as a whole number (a forward, a mention, a
   contact) or their display name, in any case;
3. it is handled and holds a word of their display name (3 letters or more, a whole word,
   any case): a first name written in the General topic. An update not yet handled is left
   to rules 1 and 2: another patient may share that first name, and their update is still
   to be acted on.

Redacted means the payload becomes `{"update_id": key}` and the row stays: within the
repeat window it still marks the update as received (a resend is not handled twice), and
one not yet handled replays as an empty update that no handler takes. Only the rows of
groups and channels are searched (chat id < 0, or none): what other patients wrote in their
own chats is theirs, even where it names this one.

`staff_group_sends` and the groups' `outbox_messages` rows follow the same three rules
(rule 1 by the case and the topic of the send), deleted rather than redacted; a send still
pending is spared by rule 3 as an update not yet handled is.

Left alone, on purpose: `canned_replies` (staff content saved with /save: a saved reply
that quoted a patient stays until staff change or delete it), `staff_members`, the console's
tables (staff only), `audit_log` (pseudonyms and ids, never names: storage/audit.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from storage.models import InboxUpdate, OutboxMessage, StaffGroupSend

# Shorter words of a name ("R", "Al") are in too many other words to mean this patient.
NAME_WORD_MIN = 3
# LIKE's escape character: the name may hold % and _ (and a backslash, JSON-escaped).
_LIKE_ESCAPE = "!"


def _fragment(text: str) -> str:
    """How `text` appears inside our stored JSON (json.dumps, ensure_ascii=False)."""
    return json.dumps(text, ensure_ascii=False)[1:-1]


def _like(text: str) -> str:
    escaped = re.sub(r"([!%_])", r"!\1", text)
    return f"%{escaped}%"


@dataclass(frozen=True)
class Identity:
    """What identifies the patient in stored text: their Telegram ids and display name."""

    numbers: tuple[int, ...]
    name: str | None

    @property
    def name_words(self) -> tuple[str, ...]:
        if not self.name:
            return ()
        words = re.findall(r"\w+", self.name)
        return tuple(dict.fromkeys(word for word in words if len(word) >= NAME_WORD_MIN))

    def candidates(self, column: Any) -> list[ColumnElement[bool]]:
        """A quick filter in SQL: rows that may hold an identifier (checked after in Python)."""
        needles = [str(number) for number in self.numbers]
        needles += [_fragment(text) for text in (self.name, *self.name_words) if text]
        return [column.ilike(_like(needle), escape=_LIKE_ESCAPE) for needle in needles]

    def identifies(self, text: str) -> bool:
        """Rule 2: the Telegram id as a whole number, or the whole display name."""
        for number in self.numbers:
            if re.search(rf"(?<![0-9]){number}(?![0-9])", text):
                return True
        return bool(self.name) and _fragment(self.name or "").casefold() in text.casefold()

    def names(self, text: str) -> bool:
        """Rule 3: a word of the display name, as a whole word."""
        return any(
            re.search(rf"(?<!\w){re.escape(_fragment(word))}(?!\w)", text, re.IGNORECASE)
            for word in self.name_words
        )


# A topic of one of the patient's cases: (staff group chat id, message_thread_id).
Topic = tuple[int, int]


@dataclass(frozen=True)
class TracesErased:
    inbox_deleted: int = 0
    staff_updates_redacted: int = 0
    outbox_deleted: int = 0
    staff_sends_deleted: int = 0


async def erase_traces(
    session: AsyncSession,
    chat_ids: Sequence[int],
    identity: Identity,
    case_ids: Sequence[int],
    topics: Sequence[Topic],
) -> TracesErased:
    """Everything above, in the caller's transaction; before the cases lose their topics."""
    inbox, outbox = await erase_private_chat(session, chat_ids)
    redacted = await _redact_group_updates(session, identity, topics)
    outbox += await _delete_group_outbox(session, identity)
    sends = await _delete_staff_sends(session, identity, case_ids, topics)
    return TracesErased(inbox, redacted, outbox, sends)


async def erase_private_chat(session: AsyncSession, chat_ids: Sequence[int]) -> tuple[int, int]:
    """The patient's chat: its updates and what was queued for it, deleted."""
    chats = list(chat_ids)
    # What their updates sent elsewhere stays (unless the rules below find it), unlinked:
    # a later update with the same update_id must not look already answered.
    await session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.update_id.in_(
                sa.select(InboxUpdate.update_id).where(InboxUpdate.chat_id.in_(chats))
            ),
            OutboxMessage.chat_id.not_in(chats),
        )
        .values(update_id=None)
        .execution_options(synchronize_session=False)
    )
    inbox = await session.execute(
        sa.delete(InboxUpdate)
        .where(InboxUpdate.chat_id.in_(chats))
        .execution_options(synchronize_session=False)
    )
    outbox = await session.execute(
        sa.delete(OutboxMessage)
        .where(OutboxMessage.chat_id.in_(chats))
        .execution_options(synchronize_session=False)
    )
    return int(inbox.rowcount or 0), int(outbox.rowcount or 0)


def _not_private(chat_id: Any) -> ColumnElement[bool]:
    """Groups and channels (negative ids), or no chat: never a patient's private chat."""
    return sa.or_(chat_id.is_(None), chat_id < 0)


def _parsed(payload: str) -> Any:
    try:
        return json.loads(payload)
    except ValueError:
        return None


def _carries(value: Any, key: str, wanted: int) -> bool:
    """Whether `key` holds `wanted` anywhere in the JSON value (a message, its reply...)."""
    if isinstance(value, dict):
        return any(
            (name == key and item == wanted) or _carries(item, key, wanted)
            for name, item in value.items()
        )
    if isinstance(value, list):
        return any(_carries(item, key, wanted) for item in value)
    return False


def _topic_filters(
    chat_column: Any, payload_column: Any, key: str, topics: Iterable[Topic]
) -> list[ColumnElement[bool]]:
    """The quick SQL filter of rule 1: the group, and the key with the topic in the JSON."""
    return [
        sa.and_(
            chat_column == chat_id,
            payload_column.like(_like(f'"{key}": {thread_id}'), escape=_LIKE_ESCAPE),
        )
        for chat_id, thread_id in topics
    ]


def _found(payload: str, identity: Identity, handled: bool, in_topic: bool) -> bool:
    """Rules 1 to 3 over one stored payload."""
    if in_topic or identity.identifies(payload):
        return True
    return handled and identity.names(payload)


async def _redact_group_updates(
    session: AsyncSession, identity: Identity, topics: Sequence[Topic]
) -> int:
    filters = _topic_filters(InboxUpdate.chat_id, InboxUpdate.payload, "message_thread_id", topics)
    filters += identity.candidates(InboxUpdate.payload)
    rows = await session.execute(
        sa.select(
            InboxUpdate.update_id,
            InboxUpdate.chat_id,
            InboxUpdate.payload,
            InboxUpdate.processed_at,
        ).where(_not_private(InboxUpdate.chat_id), sa.or_(*filters))
    )
    redacted = 0
    for key, chat_id, payload, processed_at in rows.all():
        parsed = _parsed(payload)
        in_topic = any(
            chat_id == group and _carries(parsed, "message_thread_id", thread_id)
            for group, thread_id in topics
        )
        if not _found(payload, identity, processed_at is not None, in_topic):
            continue
        await session.execute(
            sa.update(InboxUpdate)
            .where(InboxUpdate.update_id == key)
            .values(payload=json.dumps({"update_id": key}))
            .execution_options(synchronize_session=False)
        )
        redacted += 1
    return redacted


async def _delete_group_outbox(session: AsyncSession, identity: Identity) -> int:
    """Messages queued for a group that identify the patient (the staff groups have their
    own lanes now; rows from before them may remain)."""
    rows = await session.execute(
        sa.select(OutboxMessage.id, OutboxMessage.payload, OutboxMessage.status).where(
            _not_private(OutboxMessage.chat_id), sa.or_(*identity.candidates(OutboxMessage.payload))
        )
    )
    found = [
        row_id
        for row_id, payload, status in rows.all()
        if _found(payload, identity, status != "pending", in_topic=False)
    ]
    if found:
        await session.execute(
            sa.delete(OutboxMessage)
            .where(OutboxMessage.id.in_(found))
            .execution_options(synchronize_session=False)
        )
    return len(found)


async def _delete_staff_sends(
    session: AsyncSession, identity: Identity, case_ids: Sequence[int], topics: Sequence[Topic]
) -> int:
    filters = _topic_filters(StaffGroupSend.chat_id, StaffGroupSend.payload, "thread_id", topics)
    filters += identity.candidates(StaffGroupSend.payload)
    if case_ids:
        filters.append(StaffGroupSend.case_id.in_(list(case_ids)))
    rows = await session.execute(
        sa.select(
            StaffGroupSend.id,
            StaffGroupSend.chat_id,
            StaffGroupSend.case_id,
            StaffGroupSend.payload,
            StaffGroupSend.status,
        ).where(sa.or_(*filters))
    )
    found = []
    for row_id, chat_id, case_id, payload, status in rows.all():
        parsed = _parsed(payload)
        thread_id = parsed.get("thread_id") if isinstance(parsed, dict) else None
        in_topic = case_id in case_ids or (chat_id, thread_id) in topics
        if _found(payload, identity, status != "pending", in_topic):
            found.append(row_id)
    if found:
        await session.execute(
            sa.delete(StaffGroupSend)
            .where(StaffGroupSend.id.in_(found))
            .execution_options(synchronize_session=False)
        )
    return len(found)
