"""The second-opinion criteria a patient states in their own words, met or denied, read
with the phrases of `content/criteria.yml` (negation, questions and hypotheses aside).

"The doctors can't agree what I have" meets `unclear_diagnosis`; "my doctor is great, I
trust him" denies `lost_confidence`; "is it risky?" says nothing. One message may meet or
deny several criteria; each finding keeps the patient's own words for it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from understanding.lexicon import Clause, Hit, Lexicon

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "content" / "criteria.yml"
_SIGN, _DENIAL = "sign", "denial"


@dataclass(frozen=True)
class CriterionFinding:
    criterion: str
    met: bool  # True: the criterion holds; False: the patient said it does not
    said: str  # what the assistant says back ("the doctors have told you different things")
    start: int  # the patient's own words for it, as offsets in the message
    end: int

    def words(self, text: str) -> str:
        return text[self.start : self.end]


@dataclass(frozen=True)
class _Group:
    criterion: str
    kind: str  # "sign" | "denial"
    said: str
    # A context the message must also mention ("treatment": "it got worse" is no failed
    # treatment unless a treatment is spoken of), or None.
    needs: str | None


class CriteriaReader:
    """The criteria's phrases compiled once; `read` reads one message."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self._groups: dict[str, _Group] = {}
        phrases: dict[str, list[str]] = {}
        self._denied_said: dict[str, str] = {}
        for criterion in document["criteria"]:
            cid = str(criterion["id"])
            for kind, key in ((_SIGN, "signs"), (_DENIAL, "denials")):
                for index, group in enumerate(criterion.get(key) or ()):
                    name = f"{cid}/{kind}/{index}"
                    needs = group.get("needs")
                    self._groups[name] = _Group(
                        cid, kind, str(group["said"]), str(needs) if needs else None
                    )
                    phrases[name] = list(group["phrases"])
            denials = criterion.get("denials") or ()
            if not denials:
                raise ValueError(f"criteria: {cid} needs a denial to say back a negated sign")
            self._denied_said[cid] = str(denials[0]["said"])
        negations = document["negations"]
        self._lexicon = Lexicon(
            phrases,
            list(negations["before"]),
            list(negations["after"]),
            list(document.get("never_typos") or ()),
        )
        self._hypothetical = frozenset(str(w) for w in document["hypothetical"])
        self._reporting = frozenset(str(w) for w in document["reporting"])
        self._neutral = Lexicon({"neutral": list(document.get("neutral") or ())}, (), (), ())
        contexts = dict(document.get("contexts") or {})
        self._contexts = Lexicon(
            {name: list(phrases) for name, phrases in contexts.items()}, (), ()
        )
        unknown = {g.needs for g in self._groups.values() if g.needs} - set(contexts)
        if unknown:
            raise ValueError(f"criteria: unknown contexts {sorted(unknown)}")

    def read(self, text: str) -> list[CriterionFinding]:
        """Each criterion the message meets or denies, once, in the message's order; a
        criterion both met and denied ("I trust her, but I doubt the hospital") is met."""
        clauses = self._lexicon.clauses(text)
        found = self._lexicon.hits(clauses)
        neutral = self._neutral.hits(self._neutral.clauses(text)) if found else []
        if any(self._groups[hit.concept].needs for hit in found):
            spoken = {h.concept for h in self._contexts.hits(self._contexts.clauses(text))}
            found = [hit for hit in found if self._groups[hit.concept].needs in (None, *spoken)]
        hits = [
            hit
            for hit in found
            # "my blood group is rare", "I rarely get ill": words that only look like one.
            if not any(n.start <= hit.start and hit.end <= n.end for n in neutral)
            if self._states(hit, clauses[hit.clause])
            # A denial with a negation ("I don't trust him") is no denial: its sign says so.
            and not (self._groups[hit.concept].kind == _DENIAL and hit.negated)
        ]
        findings: dict[str, CriterionFinding] = {}
        for hit in _longest(hits):
            group = self._groups[hit.concept]
            met = group.kind == _SIGN and not hit.negated
            said = (
                group.said if group.kind == _DENIAL or met else self._denied_said[group.criterion]
            )
            found = CriterionFinding(group.criterion, met, said, hit.start, hit.end)
            known = findings.get(group.criterion)
            if known is None or (met and not known.met):
                findings[group.criterion] = found
        return sorted(findings.values(), key=lambda f: f.start)

    def _states(self, hit: Hit, clause: Clause) -> bool:
        """Whether the hit states the patient's situation: not a question or a supposition
        of their own ("is it risky?", "what if it is rare"); a doctor's warning reported
        ("he said if it bursts it could kill him") is stated."""
        before = clause.words[: clause.token_at_offset(hit.start)]
        if any(word in self._reporting for word in before):
            return True
        return not clause.question and not any(word in self._hypothetical for word in before)


def _longest(hits: Sequence[Hit]) -> list[Hit]:
    """Hits without those inside a longer one ("don't trust him" over "trust him")."""
    kept: list[Hit] = []
    for hit in sorted(hits, key=lambda h: (-(h.end - h.start), h.start)):
        if not any(k.start <= hit.start and hit.end <= k.end for k in kept):
            kept.append(hit)
    return sorted(kept, key=lambda h: h.start)


@functools.lru_cache(maxsize=4)
def criteria_reader(path: Path = DEFAULT_PATH) -> CriteriaReader:
    """The reader of the content file (built once per process and path)."""
    with path.open(encoding="utf-8") as handle:
        return CriteriaReader(yaml.safe_load(handle))
