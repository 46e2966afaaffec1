"""Every figure a page shows is legible at the size the page shows it.

Pages show a picture either inline, scaled down to the text column when it is wider (688 px
in the docs theme; about 830 px for the README on GitHub), or at 100% inside a scrolling
``<div class="figure-frame">`` (docs/css/figures.css).  For each picture this reads its
natural size (SVG width/height, PNG header) and its smallest text, and fails when the text
would be shown under 10 px or the picture as a strip under 100 px tall.  Graph SVGs carry
their font sizes; the plots (PNG) are drawn by ``examples/_common.py`` at 100 dpi, where
matplotlib's smallest default text (10 pt) is 13.9 px.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest
from figure_sizes import smallest_text, svg_size

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
COLUMN = {"docs": 688.0, "README.md": 830.0}
MIN_TEXT_PX = 10.0
MIN_HEIGHT_PX = 100.0
PLOT_TEXT_PX = 10 * 100 / 72  # 10 pt at 100 dpi
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+\.(?:svg|png))\)|<img [^>]*src=\"([^\"]+\.(?:svg|png))\"")
FRAME = re.compile(r'<div class="figure-frame" markdown>(.*?)</div>', re.S)


def pages() -> list[Path]:
    return [ROOT / "README.md",
            *sorted(p for p in DOCS.rglob("*.md") if "figures" not in p.relative_to(DOCS).parts)]


def shown_figures(page: Path) -> list[tuple[Path, bool]]:
    """(picture, shown in a frame at 100%) for every picture the page shows."""
    text = page.read_text(encoding="utf-8")
    framed = {m for block in FRAME.findall(text) for pair in IMAGE.findall(block) for m in pair if m}
    found = []
    for pair in IMAGE.findall(text):
        ref = pair[0] or pair[1]
        if "://" not in ref:
            found.append(((page.parent / ref).resolve(), ref in framed))
    return found


def natural(path: Path) -> tuple[float, float, float | None]:
    """(width px, height px, smallest text px) at 100%."""
    if path.suffix == ".svg":
        svg = path.read_text(encoding="utf-8")
        return (*svg_size(svg), smallest_text(svg))
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", path
    width, height = struct.unpack(">II", header[16:24])
    return float(width), float(height), PLOT_TEXT_PX


CASES = [(page, figure, framed) for page in pages() for figure, framed in shown_figures(page)]


def test_the_pages_show_figures():
    assert len(CASES) >= 30
    assert any(framed for *_, framed in CASES) and not all(framed for *_, framed in CASES)


@pytest.mark.parametrize("page, figure, framed", CASES,
                         ids=[f"{p.name}:{f.name}" for p, f, _ in CASES])
def test_each_figure_is_legible_where_it_is_shown(page, figure, framed):
    assert figure.exists(), figure
    width, height, text = natural(figure)
    column = COLUMN["README.md" if page.name == "README.md" else "docs"]
    scale = 1.0 if framed else min(1.0, column / width)
    where = "in its frame" if framed else f"at {width * scale:.0f}×{height * scale:.0f} px"
    assert height * scale >= MIN_HEIGHT_PX, f"{figure.name} is a strip {where} on {page.name}"
    if text is not None:
        assert text * scale >= MIN_TEXT_PX, (
            f"{figure.name} shows {text * scale:.1f} px text {where} on {page.name}: put it in a "
            '<div class="figure-frame" markdown> (shown at 100%, scrolling) or draw it narrower')


def test_the_check_fails_on_the_ribbon_the_issue_reported():
    """An 8,657 px wide graph with 9 pt text, shown inline, is what this test exists to catch."""
    width, text = 8657.0, 12.0
    assert text * min(1.0, COLUMN["docs"] / width) < MIN_TEXT_PX
