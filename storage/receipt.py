"""The consent receipt: a message and a PDF, worded by content/receipt.yml in the patient's
language (content/hi/receipt.yml laid over it for Hindi).

The PDF is set in Noto Sans Devanagari, shipped in storage/fonts/ (SIL Open Font License):
it covers Latin and Devanagari, so one font serves English and Hindi. Devanagari needs text
shaping (conjuncts, vowel signs placed before or above their consonant), which fpdf2 does
through HarfBuzz (uharfbuzz) with `set_text_shaping` on. Shaping is turned on for each
paragraph that needs it (Devanagari, any script from Hebrew on, combining marks), so a Hindi
name in an English receipt is shaped too, while Latin-only text is written glyph by glyph as
before (unkerned: text extraction reads it as whole words). Letters the font lacks (emoji
or another script in a patient's name) render as blanks rather than raising.
"""

from __future__ import annotations

import bisect
import functools
import logging
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from fpdf import FPDF

from storage.consent_texts import Clause
from storage.refs import ConsentRef
from storage.timeutil import utcnow
from translation import DEFAULT_LANGUAGE
from translation.overlay import localized_file

# Noto Sans Devanagari 2.007, a variable font (wght 100-900, wdth 62.5-100) whose default
# instance is the Regular (wght 400, wdth 100) drawn here. It is added without `variations`:
# fpdf2 would instantiate the font with fontTools on every document (over a second), while
# the default instance is the glyf outlines as stored, which HarfBuzz shapes as they are.
# The variation tables are then dropped from what is embedded (a static Regular, a third of
# the size, and no gvar to subset).
FONT_PATH = Path(__file__).resolve().parent / "fonts" / "NotoSansDevanagari.ttf"
VARIATION_TABLES = ("fvar", "gvar", "avar", "cvar", "HVAR", "VVAR", "MVAR", "STAT")
FONT_FAMILY = "receipt"
LINE_HEIGHT = 6
# From U+0590 on (Hebrew, Arabic, Devanagari and the other Indic scripts, ...) a text needs
# shaping to be legible; below it (Latin, Greek, Cyrillic) only where a combining mark is.
SHAPED_FROM = 0x0590
# A space's advance in the shipped font, in ems; lines are filled to this share of the
# width, a margin for the kerning between words that measuring them apart leaves out.
SPACE_EM = 0.26
WRAP_MARGIN = 0.98

logger = logging.getLogger(__name__)


class _NoMissingGlyphDetails(logging.Filter):
    """fpdf2 warns with the glyphs a font lacks, i.e. letters of a patient's name: drop it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "missing the following glyphs" not in record.getMessage()


_GLYPH_FILTER = _NoMissingGlyphDetails()


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


def needs_shaping(text: str) -> bool:
    """Whether a text is illegible glyph by glyph: conjuncts, reordered or stacked marks."""
    return any(
        ord(char) >= SHAPED_FROM or unicodedata.category(char).startswith("M") for char in text
    )


@functools.cache
def _shaper() -> tuple[Any, int]:
    """The shipped font for HarfBuzz, loaded once per process, and its units per em."""
    import uharfbuzz as hb

    face = hb.Face(hb.Blob.from_file_path(str(FONT_PATH)))
    return hb.Font(face), face.upem


def word_widths(text: str, size: float) -> list[float]:
    """The width of each space-separated word of `text` at `size`, shaped once as a whole."""
    import uharfbuzz as hb

    font, upem = _shaper()
    buffer = hb.Buffer()
    buffer.add_str(text)
    buffer.guess_segment_properties()
    hb.shape(font, buffer, {})
    # A glyph's cluster is the index of the character it came from: its word is found by it.
    starts: list[int] = []
    offset = 0
    for word in text.split(" "):
        starts.append(offset)
        offset += len(word) + 1
    widths = [0.0] * len(starts)
    scale = size / upem
    for info, position in zip(buffer.glyph_infos, buffer.glyph_positions, strict=True):
        if text[info.cluster] != " ":
            widths[bisect.bisect_right(starts, info.cluster) - 1] += position.x_advance * scale
    return widths


class ReceiptPdf:
    """An A4 document in the shipped font, written a paragraph at a time."""

    def __init__(self, compress: bool = True) -> None:
        self.pdf = FPDF(format="A4")
        self.pdf.compress = compress
        self.pdf.set_auto_page_break(auto=True, margin=15)
        self.pdf.add_font(FONT_FAMILY, fname=str(FONT_PATH))
        embedded = self.pdf.fonts[FONT_FAMILY].ttfont
        for tag in VARIATION_TABLES:
            if tag in embedded:
                del embedded[tag]
        self.pdf.add_page()

    def paragraph(self, text: str, size: float = 10, gap: float = 1) -> None:
        # Script and direction are guessed per run of text, so a line mixing Devanagari with
        # Latin (a hash, a /command) is shaped a run at a time.
        self.pdf.set_text_shaping(needs_shaping(text))
        self.pdf.set_font(FONT_FAMILY, size=size)
        lines = self._wrapped(text)
        if lines is None:
            self.pdf.multi_cell(0, LINE_HEIGHT, text, new_x="LMARGIN", new_y="NEXT")
        else:
            for line in lines:
                self.pdf.cell(0, LINE_HEIGHT, line, new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(gap)

    def _wrapped(self, text: str) -> list[str] | None:
        """The lines of a paragraph. fpdf2's own line breaking measures the text again for
        every character it adds, and shapes it each time where shaping is on (0.4 s of CPU
        for a Hindi receipt); here each line of the source is shaped once by HarfBuzz and
        its words measured from that (0.1 s, and faster for English too). None if a word
        is wider than the page."""
        width = self.pdf.epw
        size = self.pdf.font_size  # in the document's unit (mm), as epw
        lines: list[str] = []
        for source in text.split("\n"):
            words = source.split(" ")
            widths = word_widths(source, size)
            space = size * SPACE_EM
            line: list[str] = []
            used = 0.0
            for word, measured in zip(words, widths, strict=True):
                if measured > width:
                    return None
                wider = used + space + measured if line else measured
                if line and wider > width * WRAP_MARGIN:
                    lines.append(" ".join(line))
                    line, used = [word], measured
                else:
                    line.append(word)
                    used = wider
            lines.append(" ".join(line))
        return lines

    def output(self) -> bytes:
        return bytes(self.pdf.output())


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
    document.paragraph(wording["title"], size=16, gap=3)
    document.paragraph(wording["case_line"].format(reference=case_reference), gap=0)
    document.paragraph(wording["name_line"].format(name=patient_display_name), gap=0)
    document.paragraph(wording["issued_line"].format(time=_time(utcnow(), wording)), gap=4)
    for heading, text, *details in _clause_blocks(records, clauses, wording):
        document.paragraph(heading, size=11, gap=0)
        document.paragraph(text, gap=0)
        for line in details:
            document.paragraph(line, size=9, gap=0)
        document.pdf.ln(3)
    document.paragraph(wording["footer"], size=8)
    return document.output()
