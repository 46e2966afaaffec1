"""Graphviz labels of the layer view: a layer box, a backward edge, and a heat-map of a matrix.

``graph.py`` draws the picture; for ``view="layers"`` it asks this module what to write in
each module box and on each edge between boxes, from a ``viz.layers.Layer`` (rule texts
already filled in, numbers from the engine's trace).  Small tensors are printed in full;
larger ones as a shape, a one-line range and a heat-map of coloured cells (red positive,
blue negative, white zero, scaled to the largest magnitude).
"""

from __future__ import annotations

import numpy as np

from ..formatting import format_array, format_number
from .labels import escape, escape_lines
from .layers import Layer, Quantity

FULL = 16  # tensors with at most this many numbers are printed in full, if the lines are short
LINE = 56  # ...and no printed line is longer than this (a box that wide dwarfs the rest)
HEAT_MAX = 64  # a dimension longer than this gets no heat-map (just the summary)
GRAD_FILL, GRAD_TEXT, PARAM_FILL, MUTED = "#fdebe8", "#a93226", "#e3eefa", "#6b6b6b"


def dims(shape: tuple[int, ...]) -> str:
    """``32×16`` for a shape, ``scalar`` for ``()``."""
    return "×".join(str(n) for n in shape) if shape else "scalar"


def heat_colour(v: float) -> str:
    """A diverging colour for v in [-1, 1]: blue, white at 0, red."""
    v = max(-1.0, min(1.0, v))
    end = (178, 24, 43) if v > 0 else (33, 102, 172)
    rgb = (round(255 + (c - 255) * abs(v)) for c in end)
    return "#" + "".join(f"{c:02x}" for c in rgb)


def heatmap(array: np.ndarray) -> str:
    """The matrix (or vector, as one row) as a table of coloured cells, or '' if too big."""
    grid = np.asarray(array, dtype=np.float64)
    grid = grid.reshape(1, -1) if grid.ndim <= 1 else grid
    if grid.ndim != 2 or max(grid.shape) > HEAT_MAX or not np.isfinite(grid).all():
        return ""
    scale = float(np.abs(grid).max()) or 1.0
    # At most about 160 points wide and 40 high: a batch of 32 rows stays a strip, not a tower.
    width = max(2, min(10, 160 // grid.shape[1]))
    height = max(1, min(10, 40 // grid.shape[0]))
    rows = "".join("<TR>" + "".join(
        f'<TD WIDTH="{width}" HEIGHT="{height}" FIXEDSIZE="TRUE" BGCOLOR="{heat_colour(v / scale)}"></TD>'
        for v in row) + "</TR>" for row in grid)
    # A fixed size, or Graphviz stretches the columns to the width of the box around it.
    return (f'<TABLE BORDER="1" COLOR="#bbbbbb" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0" '
            f'FIXEDSIZE="TRUE" WIDTH="{width * grid.shape[1] + 2}" HEIGHT="{height * grid.shape[0] + 2}">'
            f"{rows}</TABLE>")


def in_full(value: np.ndarray) -> bool:
    """Whether the numbers are few and short enough to print them all."""
    text = format_array(value, FULL)
    return value.size <= FULL and max(len(line) for line in text.split("\n")) <= LINE


def numbers(value: np.ndarray) -> tuple[str, str]:
    """``(text, heat-map)``: the numbers when few, else a one-line range and the heat-map."""
    if in_full(value):
        return format_array(value, FULL), ""
    v = value.astype(np.float64)
    text = (f"mean {format_number(v.mean())}, range [{format_number(v.min())}, "
            f"{format_number(v.max())}]")
    return text, heatmap(value)


def _row(text: str, colour: str = "", size: int = 10, face: str = "", fill: str = "") -> str:
    font = f' POINT-SIZE="{size}"' + (f' COLOR="{colour}"' if colour else "") + \
        (f' FACE="{face}"' if face else "")
    bg = f' BGCOLOR="{fill}"' if fill else ""
    return (f'<TR><TD ALIGN="LEFT" BALIGN="LEFT"{bg}><FONT{font}>{escape_lines(text)}</FONT>'
            "</TD></TR>")


def _value_rows(value: np.ndarray, fill: str, colour: str = "") -> list[str]:
    text, heat = numbers(value)
    rows = [_row(text, colour, 10, "Courier", fill)]
    if heat:
        rows.append(f'<TR><TD ALIGN="LEFT" BGCOLOR="{fill}">{heat}</TD></TR>')
    return rows


def layer_box(layer: Layer, params: dict[str, np.ndarray], backward: bool) -> str:
    """The label of one layer box: name, forward in matrix form, parameters, and -- in the
    backward view -- δ and the gradients this layer gives its parameters (or cannot give)."""
    s = layer.symbols
    rows = [f'<TR><TD ALIGN="LEFT"><B>{escape(layer.scope[-1])}</B></TD></TR>']
    rows += [_row(line, face="Courier", size=11) for line in layer.forward]
    shapes = ", ".join(f"{s[r]} {dims(layer.shapes[r])}" for r in ("x", "W", "b", "y")
                       if r in layer.shapes)
    if layer.shapes.get("x") != layer.shapes["out"] or "W" in layer.shapes:  # not for activations
        rows.append(_row(f"{shapes} → {s['out']} {dims(layer.shapes['out'])}", MUTED, 9))
    names = [f"{s[role]} = {layer.tensors[role]}" for role in ("W", "b") if role in params]
    if names:
        rows.append(_row(",  ".join(names), size=10, fill=PARAM_FILL))
    for role in ("W", "b"):
        if role in params and in_full(params[role]):
            rows += _value_rows(params[role], PARAM_FILL)
    if backward and layer.upstream is not None:
        rows.append(_row(f"{layer.upstream.text}  ({dims(layer.upstream.shape)})", GRAD_TEXT, 10))
        for q in layer.grads:
            if q.role in ("W", "b", "z") or q.value is None:
                rows += quantity_rows(q)
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2">{"".join(rows)}</TABLE>>'


def quantity_rows(q: Quantity) -> list[str]:
    """One backward line (rule and shape) and its numbers, as table rows."""
    if q.value is None:
        note = f": {q.note}" if q.note else ""
        return [_row(f"{q.text}  ({dims(q.shape)}){note}", MUTED if q.note else GRAD_TEXT, 10)]
    text, heat = numbers(q.value)
    head = f"{q.text}  ({dims(q.shape)})"
    if "\n" in text:  # a small matrix, printed in full below its rule
        rows = [_row(head, GRAD_TEXT, 10, fill=GRAD_FILL), _row(text, GRAD_TEXT, 10, "Courier", GRAD_FILL)]
    else:  # rule and numbers on one line: the picture stays short
        rows = [_row(f"{head}  =  {text}" if in_full(q.value) else f"{head}:  {text}",
                     GRAD_TEXT, 10, fill=GRAD_FILL)]
    if heat:
        rows.append(f'<TR><TD ALIGN="LEFT" BGCOLOR="{GRAD_FILL}">{heat}</TD></TR>')
    return rows


def edge_label(q: Quantity) -> str:
    """The label of the backward edge a layer sends to its input: the rule and its numbers."""
    rows = "".join(quantity_rows(q))
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{rows}</TABLE>>'
