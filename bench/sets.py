"""The independent evaluation sets of tests/understanding/sets/, and the check that none of
their messages is training data."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SETS = ROOT / "tests" / "understanding" / "sets"
NLU = ROOT / "nlu"


@dataclass(frozen=True)
class SetItem:
    text: str
    kind: str
    language: str


def documents(name: str) -> list[dict[str, Any]]:
    """The raw items of one set file."""
    document = yaml.safe_load((SETS / name).read_text(encoding="utf-8"))
    return [dict(item) for item in document["items"]]


def items(name: str) -> list[SetItem]:
    return [
        SetItem(str(i["text"]), str(i.get("kind", "")), str(i.get("language", "")))
        for i in documents(name)
    ]


def comparable(text: str) -> str:
    """How two examples are compared: case and spacing aside."""
    return " ".join(text.casefold().split())


def training_examples() -> set[str]:
    """Every example and lookup entry of nlu/, comparable."""
    examples: set[str] = set()
    for path in NLU.glob("*.yml"):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
            for line in str(item.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    examples.add(comparable(re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line[2:])))
    return examples


def overlap_with_training(texts: Iterable[str]) -> list[str]:
    """The texts that appear in nlu/ (the sets must be independent of it)."""
    seen = training_examples()
    return sorted({text for text in texts if comparable(text) in seen})
