"""Question cues read deterministically from `content/cues.yml`."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import yaml

from understanding.text import flat

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "content" / "cues.yml"


class Cues:
    """The compiled cues; each method reads one message."""

    def __init__(
        self,
        category_question: str,
        practical: dict[str, str],
        second_opinion: str,
        person: str,
    ) -> None:
        self._category = _compile(category_question)
        self._practical = {topic: _compile(pattern) for topic, pattern in practical.items()}
        self._second_opinion = _compile(second_opinion)
        self._person = _compile(person)

    def asks_category(self, text: str) -> bool:
        """Whether the message asks which category something is."""
        return bool(self._category.search(flat(text)))

    def asks_second_opinion(self, text: str) -> bool:
        return bool(self._second_opinion.search(flat(text)))

    def asks_person(self, text: str) -> bool:
        return bool(self._person.search(flat(text)))

    def practical_topic(self, text: str) -> str | None:
        """The first practical topic (cost, recovery, provider, travel, reports) asked about."""
        folded = flat(text)
        return next((t for t, p in self._practical.items() if p.search(folded)), None)


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\S)(?:{pattern})", re.IGNORECASE)


@functools.lru_cache(maxsize=4)
def cues(path: Path = DEFAULT_PATH) -> Cues:
    """The cues of the content file (read once per process and path)."""
    with path.open(encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    return Cues(
        document["category_question"],
        dict(document["practical"]),
        document["second_opinion"],
        document["person"],
    )
