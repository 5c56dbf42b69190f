"""What the gateway's parts see of each other and of the staff side, below all of them.

`Gateway` (bot/gateway.py) is built from PatientTurns (bot/patient_turns.py), which is built
on DialogueEffects (bot/effects.py); /withdraw (bot/withdrawal.py) and the language offer
(bot/language.py) are handed the gateway. None of them imports another to name its types:
where a turn came from (`TurnContext`), what the gateway needs from the staff side
(`StaffDesk`) and what withdrawal and the language offer use of the gateway (`PatientDesk`)
live here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from telegram import Message, User

if TYPE_CHECKING:
    from bot.outbox import Outbox
    from storage.refs import IncomingRecord
    from storage.repository import CaseRef, PatientRef, Repository

TextFormat = Literal["html", "markdown", "plain"]


@dataclass(frozen=True)
class TurnContext:
    """Where a patient's turn came from, for consent records and Rasa's metadata."""

    chat_id: int
    message_id: int | None
    callback_message_id: int | None = None
    # The pressed button's own words: the transcript keeps what the patient saw and chose.
    button_label: str | None = None

    def metadata(self) -> dict[str, Any]:
        return {
            "telegram": {
                "chat_id": self.chat_id,
                "message_id": self.message_id,
                "callback_message_id": self.callback_message_id,
            }
        }

    @property
    def answered_message_id(self) -> int | None:
        """The bot's message the patient answered (a button's message), else their own message."""
        return self.callback_message_id or self.message_id


class StaffDesk(Protocol):
    """What the gateway needs from the staff side."""

    # The first staff group: cases announced before there were several are in it.
    chat_id: int

    async def announce_case(self, case: CaseRef, patient: PatientRef) -> None: ...

    async def holds(self, patient: PatientRef) -> bool: ...

    def holds_case(self, case: CaseRef | None) -> bool: ...

    async def relay_from_patient(self, patient: PatientRef, incoming: Message) -> None: ...

    async def notify_blocked(self, patient: PatientRef) -> None: ...

    async def forget_topics(self, thread_ids: Sequence[int]) -> None: ...

    async def cases_to_forget(
        self, patient: PatientRef
    ) -> Sequence[tuple[int, int | None, int | None]]: ...

    async def forget_cases(self, cases: Sequence[tuple[int, int | None, int | None]]) -> None: ...

    async def relay_patient_edit(self, patient: PatientRef, edited: Message) -> None: ...

    async def alert_emergency(self, patient: PatientRef) -> None: ...

    async def notice_in_topic(self, case: CaseRef, text: str) -> None: ...


class PatientDesk(Protocol):
    """What /withdraw and the language offer use of the gateway."""

    repository: Repository
    outbox: Outbox
    staff: StaffDesk | None

    async def say(
        self,
        patient: PatientRef,
        text: str,
        buttons: Sequence[Any] = (),
        *,
        fmt: TextFormat = "html",
        keep: bool = True,
    ) -> None: ...

    async def register(self, user: User, chat_id: int) -> PatientRef: ...

    async def begin_turn(
        self, user: User, chat_id: int, incoming: IncomingRecord
    ) -> tuple[PatientRef, bool]: ...

    async def queue_receipt(self, patient: PatientRef, case_id: int | None) -> None: ...
