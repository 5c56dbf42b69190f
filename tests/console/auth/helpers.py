"""Reading sign-in links and cookies in the sign-in tests."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import httpx

HTML = {"Accept": "text/html,application/xhtml+xml"}


def link_path(link: str) -> str:
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def link_token(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def cookie_header(response: httpx.Response) -> str:
    cookies = response.headers.get_list("set-cookie")
    assert len(cookies) == 1, cookies
    return cookies[0]


def cookie_attributes(set_cookie: str) -> dict[str, str]:
    parts = [part.strip() for part in set_cookie.split(";")]
    return {p.split("=", 1)[0].lower(): [*p.split("=", 1), ""][1] for p in parts[1:]}


async def csrf_of(client: httpx.AsyncClient) -> str:
    response = await client.get("/probe/whoami")
    assert response.status_code == 200, response.text
    return str(response.json()["csrf"])
