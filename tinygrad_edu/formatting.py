"""Numbers, shapes and values as text, the same way everywhere.

The chain-rule trace (``explain.py``), the graph pictures and the backprop page (``viz/``)
and the command line all print values with these helpers: the whole value for small
tensors (at most ``SMALL`` elements), summary statistics for bigger ones.  Nothing here
knows about graphs; escaping for Graphviz and HTML is the pictures' business (``viz/labels.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

SMALL = 16  # tensors with at most this many elements are shown number by number


def format_number(value: Any) -> str:
    """One number with four significant digits (``16``, ``0.1235``, ``-2.5e-05``, ``True``)."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    v = float(value)
    if v == 0.0:
        return "0"  # also turns -0 into 0, which only confuses a reader
    return f"{v:.4g}"


def format_shape(shape: tuple[int, ...]) -> str:
    """``scalar`` for shape ``()``, otherwise the tuple as Python prints it: ``(2, 4)``."""
    return "scalar" if shape == () else str(tuple(int(n) for n in shape))


def format_array(array: Any, small: int = SMALL) -> str:
    """The value of a tensor as text; rows of a matrix go on separate lines.

    At most ``small`` elements are printed in full; a bigger array becomes
    ``shape (64, 10): mean 0.01, std 0.98, min -3.1, max 2.9``.
    """
    arr = np.asarray(array)
    if arr.size <= small:
        return "\n".join(_nested_lines(arr))
    return f"shape {format_shape(arr.shape)}: {summary(arr)}"


def summary(array: Any) -> str:
    """Mean, standard deviation, min and max (saying so when there are NaNs or infinities)."""
    arr = np.asarray(array)
    if arr.size == 0:
        return "empty"
    if arr.dtype.kind == "b":
        return f"{int(arr.sum())} of {arr.size} True"
    values = arr.astype(np.float64)
    finite = np.isfinite(values)
    note = "" if finite.all() else f", {int((~finite).sum())} non-finite"
    if not finite.any():
        return f"all {arr.size} values non-finite"
    v = values[finite]
    return (f"mean {format_number(v.mean())}, std {format_number(v.std())}, "
            f"min {format_number(v.min())}, max {format_number(v.max())}{note}")


def _nested_lines(arr: np.ndarray) -> list[str]:
    """``[[1, 2],`` / `` [3, 4]]``: NumPy's layout, with our number format."""
    if arr.ndim == 0:
        return [format_number(arr.item())]
    if arr.ndim == 1:
        return ["[" + ", ".join(format_number(v) for v in arr) + "]"]
    lines: list[str] = []
    for i, sub in enumerate(arr):
        sub_lines = _nested_lines(sub)
        for j, line in enumerate(sub_lines):
            first = i == 0 and j == 0
            lines.append(("[" if first else " ") + line)
        if i < len(arr) - 1:
            lines[-1] += ","
    if lines:
        lines[-1] += "]"
    else:
        lines = ["[]"]
    return lines


def describe(array: Any, small: int = SMALL) -> str:
    """A one-line description: the numbers when small, the shape otherwise."""
    arr = np.asarray(array)
    if arr.size <= small:
        return " ".join(line.strip() for line in _nested_lines(arr))
    return f"shape {format_shape(arr.shape)}"


def format_options(options: dict[str, Any]) -> str:
    """An op's keyword options, short: ``axis=(0, 1), keepdims=False``; arrays by shape."""
    parts = []
    for key in sorted(options):
        text = _option(options[key])
        if len(text) > 24:
            text = text[:21] + "..."
        parts.append(f"{key}={text}")
    return ", ".join(parts)


def _option(value: Any) -> str:
    """One option value; arrays inside tuples too (an index is often a tuple of arrays), so a
    NumPy repr such as ``array([ 0,  1, ...`` or ``np.int64(2)`` never reaches the reader."""
    if isinstance(value, np.ndarray):
        return f"array{format_shape(value.shape)}" if value.size > 4 else describe(value)
    if isinstance(value, (tuple, list)):
        inner = ", ".join(_option(v) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner}{',' if len(value) == 1 else ''})"
    if isinstance(value, (bool, np.bool_, int, np.integer, float, np.floating)):
        return format_number(value)
    if isinstance(value, np.dtype):
        return str(value)
    return repr(value)


_CONTROL = {i: f"\\x{i:02x}" for i in range(32)}
_CONTROL.update({ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): " "})


def visible(text: Any) -> str:
    """Replace newlines and other control characters by visible escapes (``\\n``).

    A tensor name is printed on one line in a trace and drawn in one box in a picture, so
    a newline in it is shown, not obeyed.
    """
    return str(text).translate(_CONTROL)
