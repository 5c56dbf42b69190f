"""The consent receipt in Hindi: the PDF in the patient's language, its Devanagari shaped
(conjuncts, vowel signs) in the shipped Noto Sans Devanagari, every glyph it needs in the font.

The Hindi receipt is also rendered to PNG (Debian's poppler-utils, `pdftoppm`) and kept in
var/test-artifacts/receipt-hi-1.png for a person to look at.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zlib
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
import uharfbuzz as hb
from fontTools.ttLib import TTFont

from bot.paths import VAR
from bot.receipts import ReceiptRenderer
from storage.consent_texts import Clause, load_clauses
from storage.receipt import (
    FONT_FAMILY,
    FONT_PATH,
    ReceiptPdf,
    _wording,
    build_receipt_pdf,
    needs_shaping,
    receipt_text,
    word_widths,
)
from storage.refs import ConsentRef

ARTIFACTS = VAR / "test-artifacts"
NAME = "अनन्या शर्मा"
DECIDED_AT = datetime(2026, 11, 21, 18, 5, tzinfo=timezone.utc)
# Conjuncts (स्व, स्थ्य, प्र, क्र), a vowel sign drawn before its consonant (ि), one below (ृ),
# and a candrabindu over a vowel sign (हूँ).
SHAPED_WORDS = ["स्वास्थ्य", "कृपया", "प्रक्रिया", "कि", "हूँ"]
VIRAMA = "\u094d"
JOINERS = {"\u200c", "\u200d"}  # zero-width (non-)joiners: shaping controls, never drawn


def _records(clauses: list[Clause]) -> list[ConsentRef]:
    """Clauses 1-3 agreed, clause 4 refused then agreed, clause 5 not answered."""
    decisions = [(0, "agreed"), (1, "agreed"), (2, "agreed"), (3, "refused"), (3, "agreed")]
    return [
        ConsentRef(
            id=number,
            patient_pseudonym="p",
            case_id=42,
            clause_id=clauses[index].id,
            version=clauses[index].version,
            text_sha256=clauses[index].sha256,
            decision=decision,
            decided_at=DECIDED_AT.replace(hour=18 + number),
            answered_message_id=100 + number,
            language="hi",
        )
        for number, (index, decision) in enumerate(decisions)
    ]


@pytest.fixture(scope="module")
def clauses() -> list[Clause]:
    clauses = load_clauses(language="hi")
    assert clauses and all(clause.language == "hi" for clause in clauses)
    return clauses


@pytest.fixture(scope="module")
def font() -> Iterator[hb.Font]:
    yield hb.Font(hb.Face(hb.Blob.from_file_path(str(FONT_PATH))))


def _shape(font: hb.Font, text: str) -> tuple[list[Any], list[Any]]:
    buffer = hb.Buffer()
    buffer.add_str(text)
    buffer.guess_segment_properties()
    hb.shape(font, buffer, {})
    return buffer.glyph_infos, buffer.glyph_positions


def _strings(node: object) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)


def _hindi_texts(clauses: list[Clause]) -> list[str]:
    """Every text the Hindi receipt draws: wording, clauses, name, and the filled message."""
    text = receipt_text("1042", _records(clauses), clauses, "hi")
    return [*_strings(_wording("hi")), *(clause.text for clause in clauses), NAME, text]


def _to_unicode(pdf: bytes) -> dict[int, str]:
    """An uncompressed fpdf2 PDF's ToUnicode map: glyph code -> the text it stands for."""
    return {
        int(code, 16): bytes.fromhex(text.decode()).decode("utf-16-be")
        for code, text in re.findall(rb"<([0-9A-F]{4})> <([0-9A-F]{4,})>", pdf)
    }


def _embedded_font(pdf: bytes) -> TTFont:
    """The font subset embedded in a PDF (its FontFile2 stream, always deflated by fpdf2)."""
    number = re.search(rb"/FontFile2 (\d+) 0 R", pdf)
    assert number, "no embedded TrueType font"
    obj = re.search(
        rb"\n" + number.group(1) + rb" 0 obj\n<<(.*?)>>\nstream\n", pdf, flags=re.DOTALL
    )
    assert obj and b"/FlateDecode" in obj.group(1)
    length = int(re.search(rb"/Length (\d+)", obj.group(1)).group(1))  # type: ignore[union-attr]
    return TTFont(io.BytesIO(zlib.decompress(pdf[obj.end() : obj.end() + length])))


def test_the_receipt_is_worded_in_hindi(clauses: list[Clause]) -> None:
    wording = _wording("hi")
    assert wording["title"] != _wording()["title"] and "रसीद" in wording["title"]
    assert wording["time_format"] == _wording()["time_format"]  # the time stays as it is
    text = receipt_text("1042", _records(clauses), clauses, "hi")
    assert text.startswith(wording["title"])
    assert wording["case_line"].format(reference="1042") in text
    for clause in clauses:
        assert clause.text in text and clause.sha256 in text
    agreed = wording["decision_line"].format(
        decision=wording["decisions"]["agreed"], time="2026-11-21 18:05 UTC"
    )
    assert agreed in text
    assert text.count(wording["not_answered"]) == 1  # clause 5
    assert wording["footer"] in text and "/withdraw" in text


def test_the_font_is_the_regular_and_embedded_static(clauses: list[Clause]) -> None:
    """The receipt draws the variable font's default instance, which must be the Regular."""
    axes = {axis.axisTag: axis.defaultValue for axis in TTFont(FONT_PATH, lazy=True)["fvar"].axes}
    assert axes == {"wght": 400, "wdth": 100}
    assert (FONT_PATH.parent / "OFL.txt").read_text().count("SIL OPEN FONT LICENSE") >= 1
    pdf = build_receipt_pdf("1042", NAME, _records(clauses), clauses, "hi", compress=False)
    embedded = _embedded_font(pdf)
    assert "glyf" in embedded and not {"fvar", "gvar", "HVAR"} & set(embedded.keys())
    assert embedded["head"].unitsPerEm == 1000 and len(embedded.getGlyphOrder()) > 50


def test_every_character_of_the_hindi_receipt_has_a_glyph(
    clauses: list[Clause], font: hb.Font
) -> None:
    cmap = TTFont(FONT_PATH, lazy=True).getBestCmap()
    texts = _hindi_texts(clauses)
    missing = {
        char
        for text in texts
        for char in text
        if ord(char) not in cmap and char not in JOINERS and char not in "\n\r\t"
    }
    assert not missing, f"not in {FONT_PATH.name}: {sorted(missing)}"
    # Shaped, too, no text falls back to .notdef (glyph 0, the empty box).
    for text in texts:
        for line in text.splitlines():
            infos, _ = _shape(font, line)
            assert all(info.codepoint != 0 for info in infos), line


def test_conjuncts_and_vowel_signs_are_shaped(font: hb.Font) -> None:
    """HarfBuzz with the shipped font forms conjuncts and places the vowel signs."""
    ttfont = TTFont(FONT_PATH, lazy=True)
    # Each letter's own glyph (the cmap gives names; HarfBuzz gives glyph ids).
    cmap = {code: ttfont.getGlyphID(name) for code, name in ttfont.getBestCmap().items()}
    shaped = {word: _shape(font, word) for word in SHAPED_WORDS}
    glyphs = {word: [info.codepoint for info in infos] for word, (infos, _) in shaped.items()}
    names = {word: [ttfont.getGlyphName(glyph) for glyph in ids] for word, ids in glyphs.items()}
    naive = {word: [cmap[ord(char)] for char in word] for word in SHAPED_WORDS}
    for word in SHAPED_WORDS:
        infos, positions = shaped[word]
        assert [info.cluster for info in infos] == sorted(info.cluster for info in infos), word
        # Not the letters' own glyphs side by side: other glyphs, or the same ones placed.
        placed = any(position.x_offset or position.y_offset for position in positions)
        assert glyphs[word] != naive[word] or placed or _zero_width_mark(positions), word
    # स्वास्थ्य, प्रक्रिया: conjunct glyphs, no visible virama left, fewer glyphs than letters.
    for word in ["स्वास्थ्य", "प्रक्रिया"]:
        assert cmap[ord(VIRAMA)] not in glyphs[word], names[word]
        assert len(glyphs[word]) < len(word), names[word]
        assert set(glyphs[word]) - set(naive[word]), f"{word}: no conjunct glyph"
    # कि: the vowel sign ि is drawn first, before the consonant it follows in the text.
    assert glyphs["कि"][1] == cmap[ord("क")], names["कि"]
    assert names["कि"][0].startswith("uni093F"), names["कि"]
    # प्रक्रिया: प्र, then ि before the conjunct क्र it belongs to, then य and ा.
    assert names["प्रक्रिया"][1].startswith("uni093F"), names["प्रक्रिया"]
    assert glyphs["प्रक्रिया"][-2:] == [cmap[ord("य")], cmap[ord("ा")]], names["प्रक्रिया"]
    # कृपया: ृ is a mark under क, taking no width of its own.
    _, positions = shaped["कृपया"]
    assert glyphs["कृपया"][1] == cmap[ord("\u0943")] and positions[1].x_advance == 0
    # हूँ: ू (and ँ) ligate or stack onto ह rather than standing apart.
    assert glyphs["हूँ"] != naive["हूँ"], names["हूँ"]


def _zero_width_mark(positions: list[Any]) -> bool:
    return any(position.x_advance == 0 for position in positions)


def test_the_pdf_is_shaped_and_in_hindi(clauses: list[Clause]) -> None:
    document = ReceiptPdf(compress=False)
    assert needs_shaping(NAME) and needs_shaping(clauses[0].text)
    assert not needs_shaping("Case reference: 1042") and not needs_shaping("Zoë")
    document.paragraph(clauses[0].text)
    assert document.pdf.text_shaping and document.pdf.text_shaping["use_shaping_engine"]

    pdf = build_receipt_pdf("1042", NAME, _records(clauses), clauses, "hi", compress=False)
    assert pdf.startswith(b"%PDF") and b"/Lang (hi)" in pdf
    glyph_texts = set(_to_unicode(pdf).values())
    # Drawn glyph by glyph, every glyph would stand for one letter; shaped, a conjunct glyph
    # stands for several, its virama among them (स्, र्व, ...).
    conjuncts = {text for text in glyph_texts if len(text) > 1 and VIRAMA in text}
    assert conjuncts, sorted(glyph_texts)
    assert "न्" in glyph_texts  # the half na of अनन्या
    # ि is drawn before its consonant: its glyph is mapped back with the letters it goes with.
    assert any(len(text) > 1 and text.endswith("ि") for text in glyph_texts)


async def test_the_renderer_draws_the_patients_language(clauses: list[Clause]) -> None:
    """bot/receipts.py hands the language to the child: the Hindi PDF, not the English one."""
    renderer = ReceiptRenderer()
    try:
        records = _records(clauses)
        hindi = await renderer.render("1042", NAME, records, clauses, "hi")
        english = await renderer.render("1042", NAME, records, load_clauses())
    finally:
        renderer.close()
    drawn_here = build_receipt_pdf("1042", NAME, records, clauses, "hi")
    assert hindi.startswith(b"%PDF") and english.startswith(b"%PDF")
    assert len(hindi) == pytest.approx(len(drawn_here), rel=0.01)
    assert abs(len(hindi) - len(english)) > 0.05 * len(english)


def test_the_hindi_receipt_renders_to_png(clauses: list[Clause]) -> None:
    """The PDF as pdftoppm draws it, kept in var/test-artifacts/ to be looked at."""
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.skip("pdftoppm not found: install Debian's poppler-utils to render the receipt")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("receipt-hi-*.png"):
        old.unlink()
    pdf_path = ARTIFACTS / "receipt-hi.pdf"
    pdf_path.write_bytes(build_receipt_pdf("1042", NAME, _records(clauses), clauses, "hi"))
    subprocess.run(
        [pdftoppm, "-png", "-r", "80", str(pdf_path), str(ARTIFACTS / "receipt-hi")],
        check=True,
        capture_output=True,
        timeout=60,
    )
    pages = sorted(ARTIFACTS.glob("receipt-hi-*.png"))
    assert pages and pages[0].name == "receipt-hi-1.png", pages
    first = pages[0].read_bytes()
    assert first.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(first[16:20], "big"), int.from_bytes(first[20:24], "big")
    assert abs(width - 662) <= 1 and abs(height - 936) <= 1  # A4 at 80 dpi
    print(f"receipt rendered: {', '.join(str(page) for page in pages)}")


def test_words_are_measured_as_fpdf2_measures_them_and_lines_fit_the_page(
    clauses: list[Clause],
) -> None:
    """The receipt breaks shaped lines itself (fpdf2's own breaking reshapes per character):
    each word as wide as fpdf2 makes it, and no line wider than the page."""
    document = ReceiptPdf()
    document.pdf.set_text_shaping(True)
    document.pdf.set_font(FONT_FAMILY, size=10)
    text = " ".join(clause.text for clause in clauses) + " SHA-256: " + "ab12" * 16
    widths = word_widths(text, document.pdf.font_size)
    for word, width in zip(text.split(" "), widths, strict=True):
        assert width == pytest.approx(document.pdf.get_string_width(word), abs=0.01), word
    lines = document._wrapped(text)
    assert lines is not None and len(lines) > 5
    assert " ".join(lines) == text
    assert max(document.pdf.get_string_width(line) for line in lines) <= document.pdf.epw
