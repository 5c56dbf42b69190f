"""Where the translations stand: every text a patient reads, its translation, and whether
the client's translator has reviewed it (content/translations.yml says which texts)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from translation.overlay import CONTENT_DIR, Leaf, leaves, read_overlay, read_yaml

PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class FileSpec:
    name: str
    source: str
    include: tuple[str, ...]
    exclude: tuple[str, ...]


@cache
def _spec() -> dict[str, Any]:
    return dict(read_yaml(CONTENT_DIR / "translations.yml"))


def languages() -> tuple[str, ...]:
    return tuple(str(language) for language in _spec()["languages"])


def file_specs() -> tuple[FileSpec, ...]:
    return tuple(
        FileSpec(
            name=str(name),
            source=str((entry or {}).get("source") or name),
            include=tuple((entry or {}).get("include") or ()),
            exclude=tuple((entry or {}).get("exclude") or ()),
        )
        for name, entry in _spec()["files"].items()
    )


def _pattern(path: str) -> re.Pattern[str]:
    """A path pattern: `*` is one key, index or id; a match covers what lies below it."""
    body = re.escape(path).replace(r"\*", r"[^.\[\]]+")
    return re.compile(rf"{body}(?:$|[.\[])")


def _selected(path: str, spec: FileSpec) -> bool:
    if spec.include and not any(_pattern(p).match(path) for p in spec.include):
        return False
    return not any(_pattern(p).match(path) for p in spec.exclude)


def _texts(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string of an English tree by path (list items with ids by id)."""
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, Mapping):
        for key, value in node.items():
            yield from _texts(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        with_ids = bool(node) and all(isinstance(i, Mapping) and "id" in i for i in node)
        for index, item in enumerate(node):
            yield from _texts(item, f"{path}[{item['id'] if with_ids else index}]")


def english_texts(spec: FileSpec) -> dict[str, str]:
    """The texts of one content file that patients read, by path."""
    tree = read_yaml(CONTENT_DIR / spec.source)
    return {path: text for path, text in _texts(tree) if _selected(path, spec)}


def translations(spec: FileSpec, language: str) -> dict[str, Leaf]:
    """The translated texts of one file, by path."""
    base = read_yaml(CONTENT_DIR / spec.source)
    overlay = read_overlay(spec.name, language)
    return {leaf.path: leaf for leaf in leaves(base, overlay, spec.name)}


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


@dataclass(frozen=True)
class Problem:
    file: str
    path: str
    what: str


def problems(language: str) -> list[Problem]:
    """Texts without a translation, translations of nothing, and placeholders that differ."""
    found: list[Problem] = []
    for spec in file_specs():
        english = english_texts(spec)
        translated = translations(spec, language)
        for path in english.keys() - translated.keys():
            found.append(Problem(spec.name, path, "no translation"))
        for path, leaf in translated.items():
            if path not in english:
                found.append(Problem(spec.name, path, "translates no patient text"))
            elif placeholders(leaf.text) != placeholders(english[path]):
                found.append(Problem(spec.name, path, "placeholders differ"))
    return sorted(found, key=lambda problem: (problem.file, problem.path))


def unreviewed(language: str) -> list[Leaf]:
    """The translated texts the client's translator has not signed off yet."""
    return [
        leaf
        for spec in file_specs()
        for leaf in translations(spec, language).values()
        if not leaf.reviewed
    ]
