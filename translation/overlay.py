"""Laying a Hindi overlay (content/hi/*.yml) over an English content tree."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from translation import DEFAULT_LANGUAGE

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"
OVERLAY_DIRS = {"hi": CONTENT_DIR / "hi"}


@dataclass(frozen=True)
class Leaf:
    """One translated text: where it is, its English and Hindi, and whether it was reviewed."""

    file: str
    path: str
    english: str
    text: str
    reviewed: bool


def is_leaf(node: object, language: str = "hi") -> bool:
    return isinstance(node, Mapping) and language in node and "reviewed" in node


def _by_id(items: list[Any]) -> dict[str, Any] | None:
    """A list of mappings each with an `id` is matched by id, not by position."""
    if items and all(isinstance(item, Mapping) and "id" in item for item in items):
        return {str(item["id"]): item for item in items}
    return None


def localize(base: Any, overlay: Any, language: str = "hi") -> Any:
    """The English tree with every text the overlay translates replaced by its translation."""
    if overlay is None:
        return base
    if is_leaf(overlay, language):
        return str(overlay[language]) if isinstance(base, str) else base
    if isinstance(base, Mapping) and isinstance(overlay, Mapping):
        return {key: localize(value, overlay.get(key), language) for key, value in base.items()}
    if isinstance(base, list) and isinstance(overlay, list):
        indexed = _by_id(base)
        if indexed is not None:
            by_id = {str(item.get("id")): item for item in overlay if isinstance(item, Mapping)}
            return [localize(item, by_id.get(str(item["id"])), language) for item in base]
        return [
            localize(item, overlay[index] if index < len(overlay) else None, language)
            for index, item in enumerate(base)
        ]
    return base


def leaves(base: Any, overlay: Any, file: str, path: str = "") -> Iterator[Leaf]:
    """Every translated text of one overlay, with its English counterpart ('' if none)."""
    if is_leaf(overlay):
        english = base if isinstance(base, str) else ""
        yield Leaf(file, path, english, str(overlay["hi"]), bool(overlay["reviewed"]))
        return
    if isinstance(overlay, Mapping):
        for key, value in overlay.items():
            child = base.get(key) if isinstance(base, Mapping) else None
            yield from leaves(child, value, file, f"{path}.{key}" if path else str(key))
    elif isinstance(overlay, list):
        indexed = _by_id(base) if isinstance(base, list) else None
        for index, item in enumerate(overlay):
            if indexed is not None and isinstance(item, Mapping) and "id" in item:
                child = indexed.get(str(item["id"]))
                label = f"{path}[{item['id']}]"
            else:
                child = base[index] if isinstance(base, list) and index < len(base) else None
                label = f"{path}[{index}]"
            yield from leaves(child, item, file, label)


def read_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def overlay_path(name: str, language: str) -> Path | None:
    directory = OVERLAY_DIRS.get(language)
    return directory / name if directory is not None else None


def read_overlay(name: str, language: str) -> Any:
    """The overlay of content/<name> for a language; None for English or where none exists."""
    path = overlay_path(name, language)
    if path is None or not path.exists():
        return None
    return read_yaml(path)


def localized_tree(base: Any, name: str, language: str) -> Any:
    """An English tree (already read) in a language, by the overlay of content/<name>."""
    if language == DEFAULT_LANGUAGE:
        return base
    return localize(base, read_overlay(name, language), language)


@cache
def localized_file(name: str, language: str = DEFAULT_LANGUAGE) -> Any:
    """content/<name> in a language, read once per language."""
    return localized_tree(read_yaml(CONTENT_DIR / name), name, language)
