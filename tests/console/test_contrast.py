"""WCAG 2.1 contrast of the console's colours: every text colour on its background ≥ 4.5:1.

Read from console/static/console.css itself, so changing a colour there is checked.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = Path(__file__).resolve().parents[2] / "console" / "static" / "console.css"
# WCAG 2.1 success criterion 1.4.3 (AA) for normal-size text.
MINIMUM = 4.5

# (text, background, where the CSS puts one on the other). Names are :root variables,
# or a literal colour the CSS writes out (buttons are white on the accent).
PAIRS = [
    ("--ink", "--bg", "body text"),
    ("--muted", "--bg", ".muted text"),
    ("--accent", "--bg", "links"),
    ("#fff", "--accent", "button labels"),
    ("--urgent", "--bg", ".urgent text"),
    ("--ink", "--note", "text of a staff note (.note)"),
    ("--muted", "--note", "muted text inside a staff note"),
    ("--accent", "--note", "a link inside a staff note"),
]


def root_colours(css: str) -> dict[str, str]:
    """The `--name: #hex` declarations of the `:root` rule."""
    root = re.search(r":root\s*\{([^}]*)\}", css)
    assert root, f"no :root rule in {CSS}"
    return dict(re.findall(r"(--[\w-]+)\s*:\s*(#[0-9a-fA-F]{3,8})\b", root.group(1)))


def rgb(hex_colour: str) -> tuple[int, int, int]:
    digits = hex_colour.lstrip("#")
    if len(digits) in (3, 4):
        digits = "".join(c * 2 for c in digits[:3])
    assert len(digits) in (6, 8), hex_colour
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def luminance(colour: tuple[int, int, int]) -> float:
    """Relative luminance, as WCAG 2.1 defines it (sRGB, linearised)."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_formula_matches_known_values() -> None:
    assert contrast(rgb("#000"), rgb("#fff")) == pytest.approx(21.0)
    assert contrast(rgb("#777777"), rgb("#ffffff")) == pytest.approx(4.48, abs=0.01)
    assert contrast(rgb("#fff"), rgb("#fff")) == pytest.approx(1.0)


@pytest.mark.parametrize(("text", "background", "where"), PAIRS, ids=[p[2] for p in PAIRS])
def test_text_contrast(text: str, background: str, where: str) -> None:
    colours = root_colours(CSS.read_text())

    def resolve(name: str) -> str:
        assert name.startswith("#") or name in colours, f"{name} is not in :root of {CSS}"
        return name if name.startswith("#") else colours[name]

    ratio = contrast(rgb(resolve(text)), rgb(resolve(background)))
    assert ratio >= MINIMUM, f"{where}: {text} on {background} is {ratio:.2f}:1 < {MINIMUM}:1"


def _colour_names(values: list[str]) -> set[str]:
    """`var(--x)` as `--x`, anything else as written (a hex, `white`, `rgb(...)`)."""
    names = set()
    for value in values:
        value = value.strip().removesuffix("!important").strip()
        var = re.fullmatch(r"var\((--[\w-]+)\)", value)
        names.add(var.group(1) if var else value)
    return names


def test_every_text_colour_the_css_uses_is_checked() -> None:
    """A new text or background colour in the CSS must join PAIRS, or it goes unchecked."""
    css = re.sub(r"/\*.*?\*/", "", CSS.read_text(), flags=re.S)
    checked_text = {text for text, _, _ in PAIRS} | {"inherit", "currentColor"}
    texts = _colour_names(re.findall(r"(?<![\w-])color\s*:\s*([^;}]+)", css))
    assert texts <= checked_text, f"text colours without a contrast check: {texts - checked_text}"
    # Backgrounds given as a colour (a shorthand with an image or `none` is no colour).
    values = re.findall(r"background(?:-color)?\s*:\s*([^;}]+)", css)
    colours = [v for v in values if re.fullmatch(r"\s*(var\(--[\w-]+\)|#[0-9a-fA-F]{3,8})\s*", v)]
    behind = _colour_names(colours)
    unchecked = behind - {bg for _, bg, _ in PAIRS}
    assert not unchecked, f"backgrounds without a contrast check: {unchecked}"
