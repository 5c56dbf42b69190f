"""Shaped receipt lines written as glyph runs (storage/receipt_glyphs.py): the very bytes
fpdf2's own `cell()` writes for them, so the PDF looks exactly as before (issue 22: a Hindi
receipt at the cost of an English one). An fpdf2 upgrade that writes text otherwise fails
here rather than changing receipts unseen.
"""

from __future__ import annotations

import io
import re
import zlib
from datetime import datetime, timezone

import pytest
from fontTools.ttLib import TTFont

from storage.consent_texts import load_clauses
from storage.receipt import build_receipt_pdf
from storage.receipt_fonts import FONT_FAMILY
from storage.receipt_glyphs import fragments, shared_fragments, write_line
from storage.receipt_pdf import LINE_HEIGHT, ReceiptPdf, line_breaks

CREATED = datetime(2026, 12, 7, tzinfo=timezone.utc)
LINES = [
    "नाम: अनन्या शर्मा",
    "Name: अनन्या शर्मि Zoë",  # Latin, then Devanagari: fpdf2 shapes them apart
    "दिखाए गए पाठ का SHA-256: c9a0c095007c5a4d511623fe148ffa8a76b69391f50d4ef08fea560c90a75c08",
    "आपका जवाब: सहमति दी, 2026-11-21 18:05 UTC",
    "कृपया प्रक्रिया कि हूँ स्वास्थ्य र्कि ख़ुशी ज़्य क़",  # conjuncts, reph, nukta, matras
    "नाम: राम 😀 (परीक्षण) \\ ठीक",  # a glyph the font lacks; brackets and a backslash escaped
    "नाम: محمد",  # right to left: left to fpdf2
]
SIZES = [10, 9, 11, 16]


def _texts() -> list[str]:
    return LINES + [clause.text for clause in load_clauses(language="hi")]


def _document() -> ReceiptPdf:
    document = ReceiptPdf(compress=False)
    document.pdf.set_creation_date(CREATED)
    return document


def _draw(use_runs: bool) -> tuple[bytes, int]:
    """Every text, line by line, at each size, through pages: by cell() or glyph runs."""
    document = _document()
    pdf = document.pdf
    drawn = 0
    for round_number in range(3):
        for index, text in enumerate(_texts()):
            pdf.set_text_shaping(True)
            pdf.set_font(FONT_FAMILY, size=SIZES[(index + round_number) % len(SIZES)])
            for line in line_breaks(text, pdf.font_size, pdf.epw) or [text]:
                shaped = fragments(line, pdf.str_alias_nb_pages)
                if use_runs and shaped is not None and write_line(pdf, shaped, LINE_HEIGHT):
                    drawn += 1
                else:
                    pdf.cell(0, LINE_HEIGHT, line, new_x="LMARGIN", new_y="NEXT")
    assert pdf.page > 1  # page breaks were crossed
    return document.output(), drawn


def test_glyph_runs_write_the_bytes_fpdf2_writes() -> None:
    by_cell, _ = _draw(use_runs=False)
    by_runs, drawn = _draw(use_runs=True)
    assert drawn > 40
    assert by_runs == by_cell


def test_what_fpdf2_draws_otherwise_is_left_to_it() -> None:
    assert fragments("नाम: محمد", "{nb}") is None  # right to left
    assert fragments("पृष्ठ {nb}", "{nb}") is None  # the page-count alias
    document = _document()
    document.pdf.set_font(FONT_FAMILY, size=10)
    document.pdf.set_y(document.pdf.page_break_trigger - 1)
    shaped = fragments("स्वास्थ्य", "{nb}")
    assert shaped is not None
    assert not write_line(document.pdf, shaped, LINE_HEIGHT)  # cell() breaks the page


def _embedded_font(pdf: bytes) -> TTFont:
    number = re.search(rb"/FontFile2 (\d+) 0 R", pdf)
    assert number
    obj = re.search(rb"\n" + number.group(1) + rb" 0 obj\n<<(.*?)>>\nstream\n", pdf, re.DOTALL)
    assert obj
    length = int(re.search(rb"/Length (\d+)", obj.group(1)).group(1))  # type: ignore[union-attr]
    return TTFont(io.BytesIO(zlib.decompress(pdf[obj.end() : obj.end() + length])))


@pytest.mark.parametrize("language", ["hi", "en"])
def test_the_embedded_subset_has_its_own_bounding_box(language: str) -> None:
    """The subset is saved without recomputing glyph boxes; its head box is still its own."""
    clauses = load_clauses(language=language)
    font = _embedded_font(build_receipt_pdf("1042", "अनन्या Zoë", [], clauses, language))
    glyf = font["glyf"]
    boxes = []
    for name in font.getGlyphOrder():
        glyph = glyf[name]
        glyph.recalcBounds(glyf)
        if glyph.numberOfContours:
            boxes.append((glyph.xMin, glyph.yMin, glyph.xMax, glyph.yMax))
    head = font["head"]
    assert (head.xMin, head.yMin, head.xMax, head.yMax) == (
        min(box[0] for box in boxes),
        min(box[1] for box in boxes),
        max(box[2] for box in boxes),
        max(box[3] for box in boxes),
    )


def test_a_patients_own_lines_are_not_kept() -> None:
    """Clauses and wording are shaped once per process; names and times are not kept."""
    clauses = load_clauses(language="hi")
    build_receipt_pdf("1042", "अनन्या शर्मा", [], clauses, "hi")
    kept = shared_fragments.cache_info().currsize
    build_receipt_pdf("1043", "सीता वर्मा", [], clauses, "hi")
    assert shared_fragments.cache_info().currsize == kept
