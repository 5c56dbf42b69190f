"""The receipt's font and its shaping: Noto Sans Devanagari, shipped in storage/fonts/ (SIL
Open Font License). It covers Latin and Devanagari, so one font serves English and Hindi.
Devanagari needs text shaping (conjuncts, vowel signs placed before or above their
consonant), done by HarfBuzz (uharfbuzz); what HarfBuzz needs of the font is loaded once
per process here.
"""

from __future__ import annotations

import bisect
import functools
import logging
import struct
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

# Noto Sans Devanagari 2.007, a variable font (wght 100-900, wdth 62.5-100) whose default
# instance is the Regular (wght 400, wdth 100) drawn here. It is added without `variations`:
# fpdf2 would instantiate the font with fontTools on every document (over a second), while
# the default instance is the glyf outlines as stored, which HarfBuzz shapes as they are.
# The variation tables are then dropped from what is embedded (a static Regular, a third of
# the size, and no gvar to subset).
FONT_PATH = Path(__file__).resolve().parent / "fonts" / "NotoSansDevanagari.ttf"
VARIATION_TABLES = ("fvar", "gvar", "avar", "cvar", "HVAR", "VVAR", "MVAR", "STAT")
FONT_FAMILY = "receipt"
# From U+0590 on (Hebrew, Arabic, Devanagari and the other Indic scripts, ...) a text needs
# shaping to be legible; below it (Latin, Greek, Cyrillic) only where a combining mark is.
SHAPED_FROM = 0x0590
# A glyf entry starts with its number of contours (negative: composite) and its box.
GLYPH_HEADER = struct.Struct(">hhhhh")


class NoMissingGlyphDetails(logging.Filter):
    """fpdf2 warns with the glyphs a font lacks, i.e. letters of a patient's name: drop it."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep every record but that warning."""
        return "missing the following glyphs" not in record.getMessage()


def needs_shaping(text: str) -> bool:
    """Whether a text is illegible glyph by glyph: conjuncts, reordered or stacked marks."""
    return any(
        ord(char) >= SHAPED_FROM or unicodedata.category(char).startswith("M") for char in text
    )


@functools.cache
def shaper() -> tuple[Any, int]:
    """The shipped font for HarfBuzz, loaded once per process, and its units per em."""
    import uharfbuzz as hb

    face = hb.Face(hb.Blob.from_file_path(str(FONT_PATH)))
    return hb.Font(face), face.upem


@functools.cache
def glyph_metrics() -> tuple[list[str], list[int]]:
    """Each glyph's name and advance (in thousandths of an em), as fpdf2 reads them."""
    from fontTools.ttLib import TTFont

    font = TTFont(FONT_PATH, lazy=True)
    names = font.getGlyphOrder()
    scale = 1000 / font["head"].unitsPerEm
    metrics = font["hmtx"].metrics
    return names, [round(scale * metrics[name][0]) for name in names]


def word_widths(text: str, size: float) -> list[float]:
    """The width of each space-separated word of `text` at `size`, shaped once as a whole."""
    import uharfbuzz as hb

    font, upem = shaper()
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


def fit_font_box(ttfont: Any, glyph_names: Iterable[str]) -> None:
    """Set the font's bounding box (head) to that of the glyphs a document embeds, with
    .notdef and the parts of composite glyphs, as recomputing it at subsetting would.
    The subset is saved without recomputing (see ReceiptPdf): a whole font's box is valid,
    but a renderer sizes its glyph cache from it (poppler then drew the 16 pt title
    anti-aliased otherwise). Read from each glyph's stored header, no outline decoded."""
    glyf = ttfont["glyf"]
    pending = {".notdef", *glyph_names}
    seen: set[str] = set()
    boxes: list[tuple[int, int, int, int]] = []
    while pending:
        name = pending.pop()
        if name in seen or name not in glyf.glyphs:
            continue
        seen.add(name)
        glyph = glyf.glyphs[name]
        data = getattr(glyph, "data", b"")
        if len(data) < GLYPH_HEADER.size:
            continue  # no outline (a space), or already decoded: no box to count here
        contours, *box = GLYPH_HEADER.unpack_from(data)
        boxes.append((box[0], box[1], box[2], box[3]))
        if contours < 0:
            pending.update(glyph.getComponentNames(glyf))
    if boxes:
        head = ttfont["head"]
        head.xMin = min(box[0] for box in boxes)
        head.yMin = min(box[1] for box in boxes)
        head.xMax = max(box[2] for box in boxes)
        head.yMax = max(box[3] for box in boxes)
