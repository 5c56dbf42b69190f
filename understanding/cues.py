"""Question cues read deterministically from `content/cues.yml`."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import yaml

from understanding.everyday import everyday_words
from understanding.text import flat, tokenize

# At most so many words of a name before its last word ("Kessler fold lift").
_NAME_WORDS = 3
# A word with a surgical ending is a procedure's name on its own.
_SURGICAL_ENDINGS = ("plasty", "plasti", "ectomy", "otomy", "pexy")
# Words that open a sentence or a noun, never a name.
_LEADING = frozenset({"the", "a", "an", "is", "this", "that", "my", "about", "of", "for", "kya"})

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "content" / "cues.yml"


class Cues:
    """The compiled cues; each method reads one message."""

    def __init__(
        self,
        category_question: str,
        practical: dict[str, str],
        second_opinion: str,
        person: str,
        specialist: str,
        own_case: str,
        procedure_head: str,
        category_named: str,
    ) -> None:
        self._category = _compile(category_question)
        self._practical = {topic: _compile(pattern) for topic, pattern in practical.items()}
        self._second_opinion = _compile(second_opinion)
        self._person = _compile(person)
        self._specialist = _compile(specialist)
        self._own_case = _compile(own_case)
        self._procedure_head = re.compile(rf"^(?:{procedure_head})$")
        self._category_named = _compile(category_named)

    def asks_category(self, text: str) -> bool:
        """Whether the message asks which category something is."""
        return bool(self._category.search(flat(text)))

    def names_a_category(self, text: str) -> bool:
        """Whether the message says plastic, cosmetic or reconstructive."""
        return bool(self._category_named.search(flat(text)))

    def asks_second_opinion(self, text: str) -> bool:
        return bool(self._second_opinion.search(flat(text)))

    def asks_person(self, text: str) -> bool:
        return bool(self._person.search(flat(text)))

    def asks_specialist(self, text: str) -> bool:
        """Whether the message asks which kind of doctor: a dermatologist or a surgeon."""
        return bool(self._specialist.search(flat(text)))

    def asks_about_own_case(self, text: str) -> bool:
        """Whether the message asks about the patient's own case without saying what it is."""
        return bool(self._own_case.search(flat(text)))

    def unknown_name(self, text: str) -> str | None:
        """A procedure's name the patient wrote ("Kessler fold lift") that looks like one:
        one to three words before a procedure's last word, one of them no everyday word."""
        tokens = tokenize(text)
        for index, token in enumerate(tokens):
            if token.text.endswith(_SURGICAL_ENDINGS) and len(token.text) > len("plasty") + 2:
                return text[token.start : token.end]  # "hymenoplasty", "hepatectomy"
            if index == 0 or not self._procedure_head.match(token.text):
                continue
            name = tokens[max(0, index - _NAME_WORDS) : index]
            while name and name[0].text in _LEADING:
                name = name[1:]
            if name and any(t.text.isalpha() and t.text not in everyday_words() for t in name):
                return text[name[0].start : token.end]
        return None

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
        document["specialist"],
        document["own_case"],
        document["procedure_head"],
        document["category_named"],
    )
