"""Sizes in a rendered SVG, in CSS pixels at 100% zoom (1 pt = 4/3 px), for legibility tests."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

PX_PER = {"pt": 4 / 3, "px": 1.0, "": 1.0, "in": 96.0, "cm": 96 / 2.54, "mm": 96 / 25.4}


def _length(text: str) -> float:
    match = re.fullmatch(r"\s*([0-9.]+)\s*([a-z]*)\s*", text)
    assert match, f"unreadable SVG length {text!r}"
    return float(match.group(1)) * PX_PER[match.group(2)]


def svg_size(svg: str) -> tuple[float, float]:
    """(width, height) of the picture in CSS pixels at 100%."""
    root = ET.fromstring(svg[svg.index("<svg"):])
    return _length(root.get("width", "0")), _length(root.get("height", "0"))


def smallest_text(svg: str) -> float | None:
    """The smallest font size in the picture, in CSS pixels at 100% (None: no text elements).

    Font sizes are in the SVG's user units; the viewBox maps those onto the width.
    """
    root = ET.fromstring(svg[svg.index("<svg"):])
    width = _length(root.get("width", "0"))
    box = root.get("viewBox")
    per_unit = width / float(box.split()[2]) if box else 1.0
    sizes = [float(m) for m in re.findall(r'font-size="([0-9.]+)', svg)]
    return min(sizes) * per_unit if sizes else None
