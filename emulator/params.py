"""Bot API request parameters from JSON, query strings, form and multipart bodies.

PTB sends form data (multipart when files are attached) where every non-string value is
JSON-encoded into a string; a JSON body carries typed values. Typed getters hide the
difference: they decode a string only when the caller asks for a number, flag or object.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from emulator.errors import ApiError, bad_request


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request."""

    content: bytes
    file_name: str | None
    mime_type: str | None


class Params:
    """One request's parameters with typed access and Telegram's error wording."""

    def __init__(self, values: dict[str, Any], uploads: dict[str, UploadedFile]) -> None:
        self._values = values
        self._uploads = uploads

    def __contains__(self, name: str) -> bool:
        return name in self._values or name in self._uploads

    def raw(self, name: str) -> Any:
        return self._values.get(name)

    def string(self, name: str, *, required: bool = False) -> str | None:
        value = self._values.get(name)
        if value is None or value == "":
            if required:
                raise bad_request(f"{name} is empty")
            return None
        return value if isinstance(value, str) else str(value)

    def integer(self, name: str, *, required: bool = False) -> int | None:
        value = self._values.get(name)
        if value is None or value == "":
            if required:
                raise bad_request(f"{name} is empty")
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def number(self, name: str) -> float | None:
        value = self._values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def flag(self, name: str, default: bool = False) -> bool:
        value = self._values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, str):
            return value.lower() in ("true", "1")
        return bool(value)

    def obj(self, name: str) -> Any:
        """A JSON object/array parameter, decoded from a string if it came as form data."""
        value = self._values.get(name)
        if isinstance(value, str):
            if value == "":
                return None
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value

    def chat_id(self, name: str = "chat_id", *, required: bool = True) -> int | str | None:
        value = self._values.get(name)
        if value is None or value == "":
            if required:
                raise bad_request("chat_id is empty")
            return None
        if isinstance(value, int):
            return value
        text = str(value)
        if text.startswith("@"):
            return text
        try:
            return int(text)
        except ValueError:
            raise bad_request("chat not found") from None

    def upload(self, name: str) -> UploadedFile | str | None:
        """An input file: the uploaded part, or a string (file_id, URL or attach://name)."""
        if name in self._uploads:
            return self._uploads[name]
        value = self.string(name)
        if value and value.startswith("attach://"):
            return self._uploads.get(value.removeprefix("attach://"))
        return value

    def loggable(self) -> dict[str, Any]:
        """The parameters without file contents, for the call log."""
        logged = dict(self._values)
        for name, upload in self._uploads.items():
            logged[name] = {"file_name": upload.file_name, "size": len(upload.content)}
        return logged


async def read_params(request: web.Request) -> Params:
    values: dict[str, Any] = dict(request.query)
    uploads: dict[str, UploadedFile] = {}
    if request.method == "POST" and request.can_read_body:
        content_type = request.content_type
        if content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise ApiError(400, "Bad Request: can't parse JSON body") from None
            if not isinstance(body, dict):
                raise ApiError(400, "Bad Request: JSON body must be an object")
            values.update(body)
        elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for name, value in form.items():
                if isinstance(value, web.FileField):
                    uploads[name] = UploadedFile(
                        content=value.file.read(),
                        file_name=value.filename,
                        mime_type=value.content_type,
                    )
                else:
                    values[name] = value
    return Params(values, uploads)
