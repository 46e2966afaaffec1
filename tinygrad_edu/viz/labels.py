"""Escaping for pictures: any user text made safe inside Graphviz labels and HTML pages.

Values and shapes are formatted by ``tinygrad_edu.formatting`` (shared with the text trace);
what is left here only matters once text goes into markup.  ``escape`` makes tensor names,
module labels and values safe inside Graphviz HTML-like labels and the backprop page.
"""

from __future__ import annotations

from typing import Any

from ..formatting import visible


def escape(text: Any) -> str:
    """Make text safe inside a Graphviz HTML-like label or an HTML page.

    ``& < > " '`` become entities and control characters (newlines included) become
    visible escapes, so a hostile tensor name can neither close the label nor add markup.
    """
    out = visible(text)
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"),
                         ("'", "&#39;")):
        out = out.replace(char, entity)
    return out


def escape_lines(text: str, align: str = "LEFT") -> str:
    """Escape multi-line text and join the lines with Graphviz line breaks.

    Leading spaces become non-breaking spaces, so matrix rows stay aligned in every renderer.
    """
    lines = []
    for line in text.split("\n"):
        stripped = line.lstrip(" ")
        lines.append("&#160;" * (len(line) - len(stripped)) + escape(stripped))
    return f'<BR ALIGN="{align}"/>'.join(lines)
