"""The consent receipt: a message and a PDF, worded by content/receipt.yml.

fpdf2's core fonts are Latin-1 only; a Unicode TTF (DejaVu Sans, shipped with
matplotlib) is looked up at call time so that names in Hindi or with emoji do not fail.
Glyphs the font lacks render as blanks rather than raising.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from fpdf import FPDF

from storage.consent_texts import Clause
from storage.refs import ConsentRef
from storage.timeutil import utcnow
from storage.wording import load_wording

UNICODE_FONT = "DejaVuSans.ttf"
LINE_HEIGHT = 6

logger = logging.getLogger(__name__)


class _NoMissingGlyphDetails(logging.Filter):
    """fpdf2 warns with the glyphs a font lacks, i.e. letters of a patient's name: drop it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "missing the following glyphs" not in record.getMessage()


_GLYPH_FILTER = _NoMissingGlyphDetails()


def _wording() -> dict[str, Any]:
    return load_wording()["receipt"]


def _time(value: datetime) -> str:
    return value.strftime(_wording()["time_format"])


def _record_lines(record: ConsentRef, clause: Clause, noted: set[str]) -> list[str]:
    """One record: its decision and time; for another version of the clause, which one,
    and (once per text) the hash of the text the patient answered then."""
    wording = _wording()
    decision = wording["decisions"].get(record.decision, record.decision)
    time = _time(record.decided_at)
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


def _clause_blocks(records: Iterable[ConsentRef], clauses: Sequence[Clause]) -> list[list[str]]:
    """Per clause: heading, current text, its hash, then every record in the order made
    (agreements, refusals, withdrawals, answers to older versions), or "not answered"."""
    wording = _wording()
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
            lines.extend(_record_lines(record, clause, noted))
        if not answered:
            lines.append(wording["not_answered"])
        blocks.append(lines)
    return blocks


def receipt_text(
    case_reference: str, records: Iterable[ConsentRef], clauses: Sequence[Clause]
) -> str:
    """The receipt as a chat message (plain text)."""
    wording = _wording()
    parts = [wording["title"], wording["case_line"].format(reference=case_reference)]
    parts.extend("\n".join(block) for block in _clause_blocks(records, clauses))
    parts.append(wording["footer"])
    return "\n\n".join(parts)


def _unicode_font_path() -> Path | None:
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf" / UNICODE_FONT
    return path if path.exists() else None


class _ReceiptPdf:
    """Writes paragraphs in one font, Unicode when available, else Latin-1 sanitised."""

    def __init__(self, compress: bool) -> None:
        self.pdf = FPDF(format="A4")
        self.pdf.compress = compress
        self.pdf.set_auto_page_break(auto=True, margin=15)
        font_path = _unicode_font_path()
        self.unicode = font_path is not None
        if font_path is not None:
            self.pdf.add_font("receipt", fname=str(font_path))
            self.family = "receipt"
        else:
            logger.warning("no Unicode font found; receipt text is reduced to Latin-1")
            self.family = "helvetica"
        self.pdf.add_page()

    def _clean(self, text: str) -> str:
        if self.unicode:
            return text
        return text.encode("latin-1", "replace").decode("latin-1")

    def paragraph(self, text: str, size: float = 10, gap: float = 1) -> None:
        self.pdf.set_font(self.family, size=size)
        self.pdf.multi_cell(0, LINE_HEIGHT, self._clean(text), new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(gap)

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def build_receipt_pdf(
    case_reference: str,
    patient_display_name: str,
    records: Iterable[ConsentRef],
    clauses: Sequence[Clause],
    *,
    compress: bool = True,
) -> bytes:
    wording = _wording()
    fpdf_logger = logging.getLogger("fpdf.output")
    if _GLYPH_FILTER not in fpdf_logger.filters:
        fpdf_logger.addFilter(_GLYPH_FILTER)
    document = _ReceiptPdf(compress=compress)
    document.pdf.set_title(wording["title"])
    document.paragraph(wording["title"], size=16, gap=3)
    document.paragraph(wording["case_line"].format(reference=case_reference), gap=0)
    document.paragraph(wording["name_line"].format(name=patient_display_name), gap=0)
    document.paragraph(wording["issued_line"].format(time=_time(utcnow())), gap=4)
    for heading, text, *details in _clause_blocks(records, clauses):
        document.paragraph(heading, size=11, gap=0)
        document.paragraph(text, gap=0)
        for line in details:
            document.paragraph(line, size=9, gap=0)
        document.pdf.ln(3)
    document.paragraph(wording["footer"], size=8)
    return document.output()
