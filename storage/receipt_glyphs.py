"""Shaped lines of the receipt written as glyph runs (issue 22: a Hindi receipt's cost).

fpdf2 writes a shaped line by handling every glyph in Python: the bidi algorithm over its
characters, HarfBuzz three times (width, glyphs, width again), then per glyph a name, a
width, a subset code, a dict and an escaped string. For a Hindi receipt that was three
quarters of its CPU, while the clause texts it shapes are the same for every patient.
Here a line is segmented and shaped once per process (shared texts are cached) exactly as
fpdf2 does it, and each document only maps the glyphs to its font subset and writes the
text operators fpdf2 would write: the same bytes, which `tests/storage/test_receipt_glyphs.py`
compares against fpdf2's own `cell()` so that an fpdf2 upgrade changing them fails there.

What fpdf2 offers no public call for is used as fpdf2's `cell()` uses it: `_out` (append to
the page's content stream) and `_set_font_for_page` (select the font on a page and list it
in the page's resources). A line this module does not draw the way fpdf2 would (right to
left, a page break, text state the receipt never sets) is left to `cell()`.
"""

from __future__ import annotations

import functools
from bisect import bisect_left
from dataclasses import dataclass

from fpdf import FPDF
from fpdf.bidi import BidiParagraph, auto_detect_base_direction
from fpdf.enums import TextDirection, TextMode
from fpdf.fonts import Glyph, TTFFont
from fpdf.unicode_script import UnicodeScript, get_unicode_script
from fpdf.util import escape_parens

from storage.receipt_fonts import glyph_metrics, shaper

NEUTRAL_SCRIPTS = (UnicodeScript.COMMON, UnicodeScript.UNKNOWN)
# Lines worded the same for every patient (clauses, headings, the footer) kept shaped; the
# patient's own lines (name, times) are shaped each time and not kept.
SHARED_LINES = 512


@dataclass(frozen=True)
class PlacedGlyph:
    """One shaped glyph: fpdf2's glyph (its subset key) and HarfBuzz's position, in font units."""

    glyph: Glyph
    x_advance: int
    y_advance: int
    x_offset: int
    y_offset: int
    # fpdf2 moves the text matrix after a glyph not advanced by its own width.
    force_positioning: bool


# A fragment: its glyphs and its width in font units as fpdf2 sums them.
Fragment = tuple[tuple[PlacedGlyph, ...], tuple[int, ...]]


def fragments(text: str, alias: str) -> tuple[Fragment, ...] | None:
    """A line as fpdf2 splits it (bidi runs, then a change of script), each shaped; None
    where fpdf2 would draw it otherwise (right to left, the page-count alias)."""
    if not text or (alias and alias in text):
        return None
    direction = auto_detect_base_direction(text)
    if direction != TextDirection.LTR:
        return None
    shaped = []
    paragraph = BidiParagraph(text=text, base_direction=direction, preserve_bn_chars=True)
    for bidi_text, bidi_direction in paragraph.get_bidi_fragments():
        if bidi_direction != TextDirection.LTR:
            return None
        shaped.extend(_shape(part) for part in _script_runs(bidi_text))
    return tuple(shaped)


@functools.lru_cache(maxsize=SHARED_LINES)
def shared_fragments(text: str, alias: str) -> tuple[Fragment, ...] | None:
    """`fragments` of a line every patient's receipt has, kept for the process."""
    return fragments(text, alias)


def _script_runs(text: str) -> list[str]:
    """fpdf2's `_parse_chars` with shaping on: a new fragment where the script changes."""
    runs: list[str] = []
    current: list[str] = []
    script = None
    for char in text:
        char_script = get_unicode_script(char)
        if char_script not in (*NEUTRAL_SCRIPTS, script):
            if current and script:
                runs.append("".join(current))
                current = []
            script = char_script
        current.append(char)
    if current:
        runs.append("".join(current))
    return runs


def _shape(text: str) -> Fragment:
    """A fragment's glyphs as fpdf2's `TTFFont.shape_text` makes them (the same clusters,
    so the same subset entries and the same text extracted from the PDF)."""
    import uharfbuzz as hb

    font, _ = shaper()
    names, widths = glyph_metrics()
    buffer = hb.Buffer()
    buffer.cluster_level = 1
    buffer.add_str(text)
    buffer.guess_segment_properties()
    buffer.direction = "ltr"
    hb.shape(font, buffer, {})
    infos, positions = buffer.glyph_infos, buffer.glyph_positions
    clusters = sorted(info.cluster for info in infos)
    by_cluster: dict[int, list[int]] = {}
    for index in range(len(text)):
        by_cluster.setdefault(_cluster_of(clusters, index), []).append(index)
    placed = []
    for info, position in zip(infos, positions, strict=True):
        indices = by_cluster.pop(info.cluster, [])
        if not info.codepoint:
            continue  # the font lacks it: fpdf2 draws nothing (a blank)
        width = widths[info.codepoint]
        glyph = Glyph(
            info.codepoint, tuple(ord(text[i]) for i in indices), names[info.codepoint], width
        )
        moved = bool(
            width != position.x_advance
            or position.x_offset
            or position.y_offset
            or position.y_advance
        )
        placed.append(
            PlacedGlyph(
                glyph,
                position.x_advance,
                position.y_advance,
                position.x_offset,
                position.y_offset,
                moved,
            )
        )
    # fpdf2's `shaped_text_width` counts every glyph HarfBuzz returns, drawn or not.
    return tuple(placed), tuple(position.x_advance for position in positions)


def _cluster_of(clusters: list[int], index: int) -> int:
    """The cluster a character belongs to (fpdf2's `get_cluster_from_text_index`)."""
    position = bisect_left(clusters, index)
    if position == 0:
        return clusters[0]
    if position == len(clusters) or clusters[position] != index:
        return clusters[position - 1]
    return clusters[position]


def plain_state(pdf: FPDF) -> bool:
    """Whether the text state is the one a receipt draws in (what `write_line` assumes)."""
    return bool(
        isinstance(pdf.current_font, TTFFont)
        and pdf.text_color == pdf.fill_color
        and not pdf.char_spacing
        and pdf.font_stretching == 100
        and pdf.text_mode == TextMode.FILL
        and not pdf.underline
        and not pdf.strikethrough
        and not pdf.font_style
    )


def write_line(pdf: FPDF, shaped: tuple[Fragment, ...], height: float) -> bool:
    """Draw a shaped line as `pdf.cell(0, height, text, new_x="LMARGIN", new_y="NEXT")`
    would; False (nothing drawn) where that cell would break the page first."""
    if pdf.will_page_break(height) or not plain_state(pdf):
        return False
    font = pdf.current_font
    assert isinstance(font, TTFFont)
    size_pt, k, font_size = pdf.font_size_pt, pdf.k, pdf.font_size
    # The arithmetic below is fpdf2's, in its order: the same floats, the same bytes.
    dx = pdf.c_margin
    top = (pdf.h - pdf.y - 0.5 * height - 0.3 * font_size) * k
    operators = [f"BT {(pdf.x + dx) * k:.2f} {top:.2f} Td"]
    if not pdf.current_font_is_set_on_page:
        # As cell() does: the font is selected for the page before the line's text object.
        pdf._out(pdf._set_font_for_page(font, size_pt))
    drawn = 0.0
    for glyphs, advances in shaped:
        baseline = pdf.y + (0.5 * height + 0.3 * font_size)
        run = _glyph_run(font, glyphs, pdf.x + dx + drawn, baseline, pdf.h, size_pt, k)
        if run:
            operators.append(run)
        width: float = 0
        for advance in advances:
            width += round(font.scale * advance + 0.001) * size_pt * 0.001
        drawn += width / k + 0.0
    operators.append("ET")
    pdf._out(" ".join(operators))
    pdf.x = pdf.l_margin
    pdf.y += height
    return True


def _glyph_run(
    font: TTFFont,
    glyphs: tuple[PlacedGlyph, ...],
    x: float,
    y: float,
    page_height: float,
    size_pt: float,
    k: float,
) -> str:
    """fpdf2's `Fragment.render_with_text_shaping` for one left-to-right fragment."""
    scale = font.scale
    pick = font.subset.pick_glyph
    out: list[str] = []
    codes: list[str] = []

    def units(position: int) -> float:
        return position * scale * size_pt * 1.0 / 1000 / k

    def flush() -> None:
        if codes:
            text = "".join(codes).encode("utf-16-be").decode("latin-1")
            out.append(f"({escape_parens(text)}) Tj ")
            codes.clear()

    for placed in glyphs:
        code = pick(placed.glyph)
        if code is None:
            continue
        if placed.x_offset or placed.y_offset:
            flush()
            offset_x = x + units(placed.x_offset)
            offset_y = y - units(placed.y_offset)
            out.append(f"1 0 0 1 {offset_x * k:.2f} {(page_height - offset_y) * k:.2f} Tm ")
        codes.append(chr(code))
        x += units(placed.x_advance) + 0.0
        y += units(placed.y_advance)
        if placed.force_positioning:
            flush()
            out.append(f"1 0 0 1 {x * k:.2f} {(page_height - y) * k:.2f} Tm ")
    flush()
    run = "".join(out)
    # fpdf2 leaves no space after the last Tj (after a last Tm, it does).
    return run[:-1] if run.endswith(" Tj ") else run
