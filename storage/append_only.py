"""The ORM half of the consent records' append-only rule (the database half is a trigger).

Unit-of-work changes fire mapper events; bulk `update()` / `delete()` statements through
a session do not, so both are guarded.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import ORMExecuteState, Session

from storage.errors import AppendOnlyError
from storage.models import ConsentRecord


def _reject_change(_mapper: Any, _connection: Any, target: ConsentRecord) -> None:
    raise AppendOnlyError("consent records are append-only: record a new decision instead")


def _reject_bulk_change(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    if mapper is not None and mapper.class_ is ConsentRecord:
        _reject_change(mapper, None, None)  # type: ignore[arg-type]


sa.event.listen(ConsentRecord, "before_update", _reject_change)
sa.event.listen(ConsentRecord, "before_delete", _reject_change)
sa.event.listen(Session, "do_orm_execute", _reject_bulk_change)
