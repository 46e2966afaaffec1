"""Text for pictures and traces: numbers, shapes, and escaping.

The graph pictures, the chain-rule trace and the backprop page all print values the same
way: the whole value for small tensors (at most ``SMALL`` elements), summary statistics for
bigger ones.  ``escape`` makes any user text (tensor names, module labels) safe inside
Graphviz HTML-like labels and HTML pages.
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


_CONTROL = {i: f"\\x{i:02x}" for i in range(32)}
_CONTROL.update({ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): " "})


def visible(text: Any) -> str:
    """Replace newlines and other control characters by visible escapes (``\\n``)."""
    return str(text).translate(_CONTROL)


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


def format_options(options: dict[str, Any]) -> str:
    """An op's keyword options, short: ``axis=(0, 1), keepdims=False``; arrays by shape."""
    parts = []
    for key in sorted(options):
        value = options[key]
        if isinstance(value, np.ndarray):
            text = f"array{format_shape(value.shape)}" if value.size > 4 else describe(value)
        elif isinstance(value, (float, np.floating)):
            text = format_number(value)
        elif isinstance(value, np.dtype):
            text = str(value)
        else:
            text = repr(value)
        if len(text) > 24:
            text = text[:21] + "..."
        parts.append(f"{key}={text}")
    return ", ".join(parts)


def argument_names(count: int) -> tuple[str, ...]:
    """How op rules call their arguments: ``x`` alone, ``x`` and ``y``, or ``x1, x2, ...``."""
    if count == 1:
        return ("x",)
    if count == 2:
        return ("x", "y")
    return tuple(f"x{i + 1}" for i in range(count))


def graph_tensors(root: Any) -> list[Any]:
    """Every tensor of ``root``'s graph, in the engine's own order (parents first).

    The engine's ``topological_order`` lists the tensors that need a gradient; an op's
    constant inputs (no gradient) are slotted in just before the op's output, in argument
    order, so pictures can show them too.  Each tensor appears once.
    """
    from ..autograd import topological_order  # the engine's order, reused (not re-derived)

    seen: set[int] = set()
    out: list[Any] = []
    for tensor in topological_order([root]) if root.requires_grad else [root]:
        node = tensor._ctx
        if node is not None:
            for parent in node.inputs:
                if not parent.requires_grad and id(parent) not in seen:
                    seen.add(id(parent))
                    out.append(parent)
        if id(tensor) not in seen:
            seen.add(id(tensor))
            out.append(tensor)
    return out


def tensor_labels(tensors: list[Any], root: Any) -> dict[int, str]:
    """A readable, unique label for every tensor, keyed by ``id`` (never shown).

    A tensor's own ``name`` wins (``fc1.weight``); an unnamed output is named after its op
    and a counter (``mul1``, ``sigmoid2``), an unnamed constant of one element after its
    value, other unnamed leaves ``leaf1``/``const1``, and an unnamed root ``L`` (scalar) or
    ``out``.  A name used twice gets ``#2``, ``#3``... so each label points at one tensor.
    """
    labels: dict[int, str] = {}
    taken: dict[str, int] = {}
    counters: dict[str, int] = {}

    def next_name(stem: str) -> str:
        counters[stem] = counters.get(stem, 0) + 1
        return f"{stem}{counters[stem]}"

    for t in tensors:
        if t.name:
            label = visible(t.name)
        elif t is root:
            label = "L" if t.size == 1 else "out"
        elif t._ctx is not None:
            label = next_name(t._ctx.name.lower())
        elif not t.requires_grad and t.size == 1:
            labels[id(t)] = format_number(t.data.item())  # repeated constants may share a label
            continue
        else:
            label = next_name("leaf" if t.requires_grad else "const")
        if label in taken:
            taken[label] += 1
            label = f"{label}#{taken[label]}"
        taken.setdefault(label, 1)
        labels[id(t)] = label
    return labels
