"""The receipt's PDF document: an A4 page in the shipped font, written a paragraph at a time.

Shaping is turned on for each paragraph that needs it (Devanagari, any script from Hebrew
on, combining marks), so a Hindi name in an English receipt is shaped too, while Latin-only
text is written glyph by glyph by fpdf2 (unkerned: text extraction reads it as whole words).
Shaped lines are written as glyph runs (storage/receipt_glyphs.py), the bytes fpdf2's
`cell()` writes for them at a fraction of the CPU. Letters the font lacks (emoji or another
script in a patient's name) render as blanks rather than raising.
"""

from __future__ import annotations

import functools

from fpdf import FPDF

from storage.receipt_fonts import (
    FONT_FAMILY,
    FONT_PATH,
    VARIATION_TABLES,
    fit_font_box,
    needs_shaping,
)
from storage.receipt_fonts import word_widths as word_widths
from storage.receipt_glyphs import fragments, shared_fragments, write_line

LINE_HEIGHT = 6
# A space's advance in the shipped font, in ems; lines are filled to this share of the
# width, a margin for the kerning between words that measuring them apart leaves out.
SPACE_EM = 0.26
WRAP_MARGIN = 0.98
# Paragraphs worded the same for every patient, broken into lines once per process.
SHARED_PARAGRAPHS = 128


def line_breaks(text: str, size: float, width: float) -> list[str] | None:
    """The lines of a paragraph at `size` within `width` (document units). fpdf2's own line
    breaking measures the text again for every character it adds, and shapes it each time
    where shaping is on (0.4 s of CPU for a Hindi receipt); here each line of the source is
    shaped once by HarfBuzz and its words measured from that. None if a word is wider than
    the page."""
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


@functools.lru_cache(maxsize=SHARED_PARAGRAPHS)
def _shared_line_breaks(text: str, size: float, width: float) -> tuple[str, ...] | None:
    """`line_breaks` of a paragraph every patient's receipt has, kept for the process."""
    lines = line_breaks(text, size, width)
    return None if lines is None else tuple(lines)


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
        # The subset keeps each glyph's outline as stored, bounding box included: recomputing
        # the boxes would decode and re-encode every glyph embedded (half of a Hindi receipt's
        # output time). The font-wide boxes and maxima stay the whole font's, which bound the
        # subset's.
        embedded.recalcBBoxes = False
        self.pdf.add_page()

    def paragraph(self, text: str, size: float = 10, gap: float = 1, shared: bool = False) -> None:
        """A paragraph in the text width; `shared`: worded the same for every patient, so
        its lines and their shaping are kept for the process (never a patient's own text)."""
        shaped = needs_shaping(text)
        self.pdf.set_text_shaping(shaped)
        self.pdf.set_font(FONT_FAMILY, size=size)
        lines = self._wrapped(text, shared)
        if lines is None:
            self.pdf.multi_cell(0, LINE_HEIGHT, text, new_x="LMARGIN", new_y="NEXT")
        else:
            for line in lines:
                self._line(line, shaped, shared)
        self.pdf.ln(gap)

    def _line(self, line: str, shaped: bool, shared: bool) -> None:
        """One line, as fpdf2's `cell()` would draw it."""
        if shaped:
            alias = self.pdf.str_alias_nb_pages
            glyphs = shared_fragments(line, alias) if shared else fragments(line, alias)
            if glyphs is not None and write_line(self.pdf, glyphs, LINE_HEIGHT):
                return
        self.pdf.cell(0, LINE_HEIGHT, line, new_x="LMARGIN", new_y="NEXT")

    def _wrapped(self, text: str, shared: bool = False) -> list[str] | None:
        """The lines of a paragraph in the text width (see `line_breaks`)."""
        size = self.pdf.font_size  # in the document's unit (mm), as epw
        if not shared:
            return line_breaks(text, size, self.pdf.epw)
        lines = _shared_line_breaks(text, size, self.pdf.epw)
        return None if lines is None else list(lines)

    def output(self) -> bytes:
        """The finished PDF."""
        font = self.pdf.fonts[FONT_FAMILY]
        fit_font_box(font.ttfont, font.subset.get_all_glyph_names())
        return bytes(self.pdf.output())
