"""Text as Telegram sees it: markup parsing (HTML, MarkdownV2), UTF-16 lengths, command entities.

Telegram rejects malformed markup with "can't parse entities"; a bot that forgets to escape
a patient's "<" in HTML mode must fail here the way it would fail in production.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from emulator.errors import bad_request

COMMAND_PATTERN = re.compile(
    r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@/])"
)
MARKDOWN_V2_RESERVED = set("_*[]()~`>#+-=|{}.!")
HTML_TAG_ENTITIES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def command_entities(text: str) -> list[dict[str, Any]]:
    """bot_command entities like Telegram computes them, offsets in UTF-16 code units."""
    return [
        {
            "type": "bot_command",
            "offset": utf16_length(text[: match.start()]),
            "length": utf16_length(match.group()),
        }
        for match in COMMAND_PATTERN.finditer(text)
    ]


class _TelegramHtmlParser(HTMLParser):
    """Collects plain text and entities; raises on tags Telegram does not support."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.plain: list[str] = []
        self.entities: list[dict[str, Any]] = []
        self._open: list[tuple[str, int, dict[str, Any]]] = []
        self._offset = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in HTML_TAG_ENTITIES:
            raise bad_request(f'can\'t parse entities: Unsupported start tag "{tag}"')
        entity: dict[str, Any] = {"type": HTML_TAG_ENTITIES[tag]}
        attributes = dict(attrs)
        if tag == "a":
            entity["url"] = attributes.get("href") or ""
        self._open.append((tag, self._offset, entity))

    def handle_endtag(self, tag: str) -> None:
        if not self._open or self._open[-1][0] != tag:
            raise bad_request(
                f'can\'t parse entities: Can\'t find end tag corresponding to start tag "{tag}"'
            )
        _, start, entity = self._open.pop()
        if self._offset > start:
            self.entities.append({**entity, "offset": start, "length": self._offset - start})

    def handle_data(self, data: str) -> None:
        self.plain.append(data)
        self._offset += utf16_length(data)

    def finish(self) -> tuple[str, list[dict[str, Any]]]:
        self.close()
        if self._open:
            raise bad_request(
                "can't parse entities: Can't find end tag corresponding to start tag "
                f'"{self._open[-1][0]}"'
            )
        self.entities.sort(key=lambda entity: entity["offset"])
        return "".join(self.plain), self.entities


def _parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    if re.search(r"<(?![A-Za-z/])", text):
        raise bad_request("can't parse entities: Unexpected \"<\" character; use &lt; instead")
    parser = _TelegramHtmlParser()
    parser.feed(text)
    return parser.finish()


def _parse_markdown_v2(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Strips MarkdownV2 markup; rejects unescaped reserved characters as Telegram does.

    Entities are not reconstructed: the plain text is what tests look at.
    """
    plain: list[str] = []
    markers = {"*": 0, "_": 0, "~": 0, "|": 0}
    index = 0
    in_code = False
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            plain.append(text[index + 1])
            index += 2
            continue
        if char == "`":
            in_code = not in_code
            index += 1
            continue
        if in_code:
            plain.append(char)
        elif char in "*_~":
            markers[char] += 1
        elif char == "|" and text.startswith("||", index):
            markers["|"] += 1
            index += 1
        elif char == "[":
            close = text.find("](", index)
            end = text.find(")", close) if close != -1 else -1
            if close == -1 or end == -1:
                raise bad_request(
                    f"can't parse entities: Character '{char}' is reserved and must be "
                    "escaped with the preceding '\\'"
                )
            plain.append(_parse_markdown_v2(text[index + 1 : close])[0])
            index = end + 1
            continue
        elif char in MARKDOWN_V2_RESERVED:
            raise bad_request(
                f"can't parse entities: Character '{char}' is reserved and must be escaped "
                "with the preceding '\\'"
            )
        else:
            plain.append(char)
        index += 1
    if in_code or any(count % 2 for count in markers.values()):
        raise bad_request("can't parse entities: Can't find end of the entity")
    return "".join(plain), []


def _parse_markdown_legacy(text: str) -> tuple[str, list[dict[str, Any]]]:
    return re.sub(r"[*_`]|\[([^\]]*)\]\([^)]*\)", lambda m: m.group(1) or "", text), []


def to_plain_text(text: str, parse_mode: str | None) -> tuple[str, list[dict[str, Any]]]:
    """The text the user sees and its formatting entities, for a parse_mode as sent."""
    mode = (parse_mode or "").lower()
    if not mode:
        return text, []
    if mode == "html":
        return _parse_html(text)
    if mode == "markdownv2":
        return _parse_markdown_v2(text)
    if mode == "markdown":
        return _parse_markdown_legacy(text)
    raise bad_request(f"unsupported parse_mode {parse_mode!r}")
