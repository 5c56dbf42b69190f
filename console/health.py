"""Placeholder until the ops work fills it in (issue 14)."""

from typing import Any


def probes_for(runtime: Any) -> dict[str, Any]:
    return {}
