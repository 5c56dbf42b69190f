"""The consent receipt, as a message and as a PDF."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timezone

import pytest

from storage.consent_texts import Clause, load_clauses
from storage.receipt import build_receipt_pdf, receipt_text
from storage.refs import ConsentRef

DECIDED_AT = datetime(2026, 11, 21, 18, 5, tzinfo=timezone.utc)


def _records(clauses: list[Clause], decisions: list[str]) -> list[ConsentRef]:
    return [
        ConsentRef(
            id=number,
            patient_pseudonym="p",
            case_id=42,
            clause_id=clause.id,
            version=clause.version,
            text_sha256=clause.sha256,
            decision=decision,
            decided_at=DECIDED_AT,
            answered_message_id=100 + number,
        )
        for number, (clause, decision) in enumerate(zip(clauses, decisions, strict=False))
    ]


def test_receipt_text_lists_each_clause_decision_time_and_hash() -> None:
    clauses = load_clauses()
    records = _records(clauses, ["agreed", "agreed", "agreed", "refused"])
    text = receipt_text("1042", records, clauses)
    assert "1042" in text
    for clause in clauses:
        assert clause.text in text and clause.sha256 in text
    assert text.count("Agreed, 2026-11-21 18:05 UTC") == 3
    assert text.count("Did not agree, 2026-11-21 18:05 UTC") == 1
    assert "Not answered" in text  # clause 5


def test_every_record_is_listed_in_order_and_a_changed_text_is_flagged() -> None:
    clauses = load_clauses()[:1]
    earlier = _records(clauses, ["agreed"])[0]
    later = ConsentRef(
        **{**earlier.__dict__, "id": 9, "decision": "withdrawn", "text_sha256": "ab" * 32}
    )
    later = ConsentRef(**{**later.__dict__, "decided_at": DECIDED_AT.replace(hour=19)})
    text = receipt_text("1042", [later, earlier], clauses)
    agreed = text.index("Your answer: Agreed, 2026-11-21 18:05 UTC")
    withdrawn = text.index("Your answer: Withdrawn, 2026-11-21 19:05 UTC")
    assert agreed < withdrawn
    assert "ab" * 32 in text and f"version {clauses[0].version} of this clause" in text


def test_a_withdrawal_and_a_new_version_show_with_the_old_records() -> None:
    """Agreed to version 1, withdrew, then agreed to version 2 (issue 15): all three shown."""
    current = load_clauses()[0]
    bumped = Clause(**{**current.__dict__, "version": current.version + 1, "sha256": "cd" * 32})
    agreed, withdrawn, again = (
        ConsentRef(
            id=index,
            patient_pseudonym="p",
            case_id=42,
            clause_id=current.id,
            version=version,
            text_sha256=sha,
            decision=decision,
            decided_at=DECIDED_AT.replace(hour=hour),
            answered_message_id=100 + index,
        )
        for index, (version, sha, decision, hour) in enumerate(
            [
                (current.version, current.sha256, "agreed", 10),
                (current.version, current.sha256, "withdrawn", 11),
                (bumped.version, bumped.sha256, "agreed", 12),
            ]
        )
    )
    text = receipt_text("1042", [again, withdrawn, agreed], [bumped])
    lines = text.splitlines()
    old = f"Your answer to version {current.version}: "
    assert lines.index(old + "Agreed, 2026-11-21 10:05 UTC") < lines.index(
        old + "Withdrawn, 2026-11-21 11:05 UTC"
    )
    assert lines.index(old + "Withdrawn, 2026-11-21 11:05 UTC") < lines.index(
        "Your answer: Agreed, 2026-11-21 12:05 UTC"
    )
    assert f"Clause 1 (version {bumped.version})" in text
    assert text.count(current.sha256) == 1  # the old text's hash, noted once
    assert "/withdraw" in text


def _pdf_text(pdf: bytes) -> str:
    """Text of an uncompressed fpdf2 PDF: glyph codes mapped back through its ToUnicode map."""
    to_unicode = {
        int(code, 16): chr(int(char, 16))
        for code, char in re.findall(rb"<([0-9A-F]{4})> <([0-9A-F]{4,6})>", pdf)
    }
    lines = []
    for raw in re.findall(rb"\((.*?)\) Tj", pdf, flags=re.DOTALL):
        data = re.sub(
            rb"\\([nrtbf()\\])",
            lambda m: {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}.get(
                m.group(1), m.group(1)
            ),
            raw,
        )
        codes = [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data) - 1, 2)]
        lines.append("".join(to_unicode.get(code, "?") for code in codes))
    return "\n".join(lines)


def test_receipt_pdf_holds_the_decisions() -> None:
    clauses = load_clauses()
    records = _records(clauses, ["agreed", "agreed", "refused", "agreed", "agreed"])
    pdf = build_receipt_pdf("1042", "Asha Rao", records, clauses, compress=False)
    assert pdf.startswith(b"%PDF")
    text = _pdf_text(pdf)
    assert "Case reference: 1042" in text and "Name: Asha Rao" in text
    assert text.count("Your answer: Agreed, 2026-11-21 18:05 UTC") == 4
    assert text.count("Your answer: Did not agree, 2026-11-21 18:05 UTC") == 1
    for clause in clauses:
        assert clause.sha256 in text.replace("\n", "")


@pytest.mark.parametrize("name", ["आशा राव", "Asha 🌸😀", "Zoë \u202e\u0000"])
def test_any_name_renders_and_its_letters_are_not_logged(
    name: str, caplog: pytest.LogCaptureFixture
) -> None:
    clauses = load_clauses()
    caplog.set_level(logging.DEBUG)
    pdf = build_receipt_pdf("1042", name, _records(clauses, ["agreed"] * 5), clauses)
    assert pdf.startswith(b"%PDF") and pdf.rstrip().endswith(b"%%EOF")
    assert all(letter not in caplog.text for letter in name if not letter.isascii())
