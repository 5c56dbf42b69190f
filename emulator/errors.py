"""Errors the emulator answers with, shaped like the real Bot API's."""

from __future__ import annotations

import asyncio
from typing import Any


class ApiError(Exception):
    """A Bot API error: becomes `{"ok": false, "error_code": ..., "description": ...}`."""

    def __init__(
        self,
        status: int,
        description: str,
        parameters: dict[str, Any] | None = None,
        flood_limit: str | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters
        # Which sending limit refused the call (overall / group / private), for the call log.
        self.flood_limit = flood_limit

    def to_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


def forbidden(reason: str) -> ApiError:
    return ApiError(403, f"Forbidden: {reason}")


def too_many_requests(retry_after: int, flood_limit: str | None = None) -> ApiError:
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after},
        flood_limit,
    )


class ControlError(Exception):
    """A control-API call was wrong (unknown chat, no such button, ...)."""


class EmulatorTimeout(TimeoutError, asyncio.TimeoutError):
    """A wait_for_* control gave up; catchable as either kind of TimeoutError on Python 3.10."""
