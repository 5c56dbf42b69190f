"""The procedure knowledge the actions use: finding a procedure from what a patient typed,
and generating `nlu/procedures.yml` from `content/procedures.yml`. The catalog itself (its
records, loading and validation) is understanding/procedure_catalog.py, re-exported here.

`python -m actions.procedures` regenerates the NLU file; `--check` exits 1 when stale.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from understanding.catalog import catalog_matcher
from understanding.procedure_catalog import (
    CATEGORIES,
    DEFAULT_CONTENT_PATH,
    PURPOSE_CATEGORIES,
    PURPOSES,
    Procedure,
    PurposeAnswer,
    load_procedures,
    normalize,
    parse_procedures,
)

__all__ = [
    "CATEGORIES",
    "DEFAULT_CONTENT_PATH",
    "DEFAULT_NLU_PATH",
    "PURPOSES",
    "PURPOSE_CATEGORIES",
    "Procedure",
    "PurposeAnswer",
    "find_procedure",
    "load_procedures",
    "main",
    "nlu_is_current",
    "normalize",
    "parse_procedures",
    "render_nlu",
    "write_nlu",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_NLU_PATH = REPO_ROOT / "nlu" / "procedures.yml"

NLU_HEADER = (
    "# GENERATED from content/procedures.yml by actions/procedures.py: do not edit by hand.\n"
    "# Regenerate with: .venv/bin/python -m actions.procedures\n"
    "# Check it is current with: .venv/bin/python -m actions.procedures --check\n"
)


# --- finding a procedure from typed text --------------------------------------------


def find_procedure(name: str) -> Procedure | None:
    """The procedure a patient means by `name` (id, name or synonym), or None if unknown.

    Case, spacing and punctuation do not matter and a small typo is forgiven
    (understanding/catalog.py); a name only similar to a known one ("Kessler fold lift")
    is not guessed at. Within a longer text, the first procedure it names.
    """
    matches = catalog_matcher().find(name)
    return load_procedures()[matches[0].procedure_id] if matches else None


# --- NLU generation -----------------------------------------------------------------


def _example_lines(terms: Iterable[str]) -> list[str]:
    """Block-scalar example lines, each term once (Rasa compares them case-insensitively)."""
    seen: set[str] = set()
    lines: list[str] = []
    for term in terms:
        if term.casefold() not in seen:
            seen.add(term.casefold())
            lines.append(f"    - {term}")
    return lines


def render_nlu(procedures: dict[str, Procedure]) -> str:
    """The Rasa NLU YAML for nlu/procedures.yml: a `procedure` lookup table of every name
    and synonym, and synonyms mapping each of them to the procedure id."""
    lines = [NLU_HEADER.rstrip("\n"), 'version: "3.1"', "nlu:"]
    lines += ["- lookup: procedure", "  examples: |"]
    lines += _example_lines(term for procedure in procedures.values() for term in procedure.terms)
    for procedure in procedures.values():
        # A term spelled like the id already is the value; listing it would map it to itself.
        terms = [term for term in procedure.terms if term.casefold() != procedure.id]
        if not terms:
            continue
        lines += [f"- synonym: {procedure.id}", "  examples: |", *_example_lines(terms)]
    return "\n".join(lines) + "\n"


def nlu_is_current(
    content_path: Path = DEFAULT_CONTENT_PATH, nlu_path: Path = DEFAULT_NLU_PATH
) -> bool:
    """Whether the NLU file holds exactly what the content file generates."""
    expected = render_nlu(load_procedures(content_path))
    try:
        return nlu_path.read_text(encoding="utf-8") == expected
    except FileNotFoundError:
        return False


def write_nlu(content_path: Path = DEFAULT_CONTENT_PATH, nlu_path: Path = DEFAULT_NLU_PATH) -> None:
    nlu_path.parent.mkdir(parents=True, exist_ok=True)
    nlu_path.write_text(render_nlu(load_procedures(content_path)), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m actions.procedures",
        description="Generate nlu/procedures.yml from content/procedures.yml.",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if the NLU file is stale")
    parser.add_argument("--content", type=Path, default=DEFAULT_CONTENT_PATH)
    parser.add_argument("--nlu", type=Path, default=DEFAULT_NLU_PATH)
    args = parser.parse_args(argv)
    if args.check:
        if nlu_is_current(args.content, args.nlu):
            return 0
        print(f"{args.nlu} is stale: run `python -m actions.procedures`", file=sys.stderr)
        return 1
    write_nlu(args.content, args.nlu)
    print(f"wrote {args.nlu}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
