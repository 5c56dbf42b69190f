"""The consent receipt: a message and a PDF, worded by content/receipt.yml in the patient's
language (content/hi/receipt.yml laid over it for Hindi).

The PDF is set in Noto Sans Devanagari (storage/receipt_fonts.py), one font for English and
Hindi, its Devanagari shaped by HarfBuzz; the document is drawn by storage/receipt_pdf.py.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from storage.consent_texts import Clause
from storage.receipt_fonts import FONT_FAMILY as FONT_FAMILY
from storage.receipt_fonts import FONT_PATH as FONT_PATH
from storage.receipt_fonts import NoMissingGlyphDetails
from storage.receipt_fonts import needs_shaping as needs_shaping
from storage.receipt_fonts import word_widths as word_widths
from storage.receipt_pdf import ReceiptPdf
from storage.refs import ConsentRef
from storage.timeutil import utcnow
from translation import DEFAULT_LANGUAGE
from translation.overlay import localized_file

logger = logging.getLogger(__name__)
_GLYPH_FILTER = NoMissingGlyphDetails()


def _wording(language: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """The receipt's wording in a language (English where the overlay has no text)."""
    return localized_file("receipt.yml", language)["receipt"]


def _time(value: datetime, wording: dict[str, Any]) -> str:
    return value.strftime(wording["time_format"])


def _record_lines(
    record: ConsentRef, clause: Clause, noted: set[str], wording: dict[str, Any]
) -> list[str]:
    """One record: its decision and time; for another version of the clause, which one,
    and (once per text) the hash of the text the patient answered then."""
    decision = wording["decisions"].get(record.decision, record.decision)
    time = _time(record.decided_at, wording)
    if record.version == clause.version:
        lines = [wording["decision_line"].format(decision=decision, time=time)]
    else:
        lines = [
            wording["old_version_line"].format(
                version=record.version, decision=decision, time=time
            )
        ]
    if record.text_sha256 != clause.sha256 and record.text_sha256 not in noted:
        noted.add(record.text_sha256)
        lines.append(
            wording["text_changed_note"].format(
                current=clause.version, version=record.version, sha256=record.text_sha256
            )
        )
    return lines


def _clause_blocks(
    records: Iterable[ConsentRef], clauses: Sequence[Clause], wording: dict[str, Any]
) -> list[list[str]]:
    """Per clause: heading, current text, its hash, then every record in the order made
    (agreements, refusals, withdrawals, answers to older versions), or "not answered"."""
    ordered = sorted(records, key=lambda record: (record.decided_at, record.id))
    blocks = []
    for clause in sorted(clauses, key=lambda clause: clause.number):
        lines = [
            wording["clause_heading"].format(number=clause.number, version=clause.version),
            clause.text,
            wording["hash_line"].format(sha256=clause.sha256),
        ]
        noted: set[str] = set()
        answered = [record for record in ordered if record.clause_id == clause.id]
        for record in answered:
            lines.extend(_record_lines(record, clause, noted, wording))
        if not answered:
            lines.append(wording["not_answered"])
        blocks.append(lines)
    return blocks


def receipt_text(
    case_reference: str,
    records: Iterable[ConsentRef],
    clauses: Sequence[Clause],
    language: str = DEFAULT_LANGUAGE,
) -> str:
    """The receipt as a chat message (plain text), worded in `language`; the clauses come
    as the caller loaded them (load_clauses(language=...))."""
    wording = _wording(language)
    parts = [wording["title"], wording["case_line"].format(reference=case_reference)]
    parts.extend("\n".join(block) for block in _clause_blocks(records, clauses, wording))
    parts.append(wording["footer"])
    return "\n\n".join(parts)


def build_receipt_pdf(
    case_reference: str,
    patient_display_name: str,
    records: Iterable[ConsentRef],
    clauses: Sequence[Clause],
    language: str = DEFAULT_LANGUAGE,
    *,
    compress: bool = True,
) -> bytes:
    """The receipt as a PDF, worded in `language` (the order bot/receipts.py passes)."""
    wording = _wording(language)
    fpdf_logger = logging.getLogger("fpdf.output")
    if _GLYPH_FILTER not in fpdf_logger.filters:
        fpdf_logger.addFilter(_GLYPH_FILTER)
    document = ReceiptPdf(compress=compress)
    document.pdf.set_lang(language)
    document.pdf.set_title(wording["title"])
    # Worded the same for every patient (title, clauses, footer): `shared`, kept shaped.
    document.paragraph(wording["title"], size=16, gap=3, shared=True)
    document.paragraph(wording["case_line"].format(reference=case_reference), gap=0)
    document.paragraph(wording["name_line"].format(name=patient_display_name), gap=0)
    document.paragraph(wording["issued_line"].format(time=_time(utcnow(), wording)), gap=4)
    for heading, text, hash_line, *answers in _clause_blocks(records, clauses, wording):
        document.paragraph(heading, size=11, gap=0, shared=True)
        document.paragraph(text, gap=0, shared=True)
        document.paragraph(hash_line, size=9, gap=0, shared=True)
        for line in answers:
            document.paragraph(line, size=9, gap=0)
        document.pdf.ln(3)
    document.paragraph(wording["footer"], size=8, shared=True)
    return document.output()
