"""The console lists the translated texts the client's translator has not reviewed."""

from __future__ import annotations

import html

import httpx
import pytest

from tests.console.conftest import SignIn
from translation import status


async def test_every_unreviewed_hindi_text_is_listed_with_its_english(sign_in: SignIn) -> None:
    client = await sign_in()
    response = await client.get("/translations")
    assert response.status_code == 200
    page = html.unescape(response.text)
    unreviewed = status.unreviewed("hi")
    assert f"Hindi: {len(unreviewed)} not reviewed" in page
    for leaf in unreviewed[:: max(1, len(unreviewed) // 40)]:
        assert leaf.path in page and leaf.text.strip() in page, leaf
    assert 'href="/translations"' in page  # in the navigation of every page


async def test_a_reviewed_text_leaves_the_list(
    sign_in: SignIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = status.read_overlay

    def reviewed_fallback(name: str, language: str) -> object:
        overlay = real(name, language)
        if name == "dialogue.yml":
            overlay["replies"]["fallback"][0]["text"]["reviewed"] = True
        return overlay

    monkeypatch.setattr(status, "read_overlay", reviewed_fallback)
    client = await sign_in()
    page = html.unescape((await client.get("/translations")).text)
    assert "replies.fallback[0].text" not in page
    assert "replies.fallback[0].buttons[0].title" in page


async def test_the_page_is_for_staff_only(client: httpx.AsyncClient) -> None:
    response = await client.get("/translations", follow_redirects=False)
    assert response.status_code != 200
    assert "not reviewed" not in response.text
