"""What autogenerate and compare_metadata consider ours."""

from __future__ import annotations

from typing import Any


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    # Other tables in the same database (Rasa's `events`) are not ours to drop.
    if type_ == "table" and reflected and compare_to is None:
        return False
    return True
