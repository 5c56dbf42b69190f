"""The ORM half of the consent records' append-only rule (the database half is a trigger).

Unit-of-work changes fire mapper events; bulk `update()` / `delete()` statements through
a session do not, so both are guarded. storage/models.py guards ConsentRecord with it as
soon as the class is defined, so no code path can load the model without the guard.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import ORMExecuteState, Session

from storage.errors import AppendOnlyError


def _reject_change(_mapper: Any, _connection: Any, _target: Any) -> None:
    raise AppendOnlyError("consent records are append-only: record a new decision instead")


def guard_append_only(model: type) -> None:
    """Refuse every update and delete of the model's rows, one by one or in bulk."""

    def _reject_bulk_change(state: ORMExecuteState) -> None:
        if not (state.is_update or state.is_delete):
            return
        mapper = state.bind_mapper
        if mapper is not None and mapper.class_ is model:
            _reject_change(mapper, None, None)

    sa.event.listen(model, "before_update", _reject_change)
    sa.event.listen(model, "before_delete", _reject_change)
    sa.event.listen(Session, "do_orm_execute", _reject_bulk_change)
