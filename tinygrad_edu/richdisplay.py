"""HTML for Jupyter: how a Tensor, a chain-rule Trace, a Module, a Keras History or summary
and the backprop page look in a notebook.

Each class has a one-line ``_repr_html_`` that calls a builder here (this module needs only
NumPy and ``formatting.py``).  Inline CSS only and no script; every text goes through
``html.escape`` and every number through ``formatting.py``, so a hostile name renders as
text and the same object always gives byte-identical HTML.
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from .formatting import SMALL, describe, format_array, format_number, format_shape, visible

# One look for every table; a notebook's own stylesheet cannot reach inline styles.
TABLE = "border-collapse:collapse;font-family:monospace;font-size:12px;margin:4px 0"
CELL = "border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top;white-space:pre"
HEAD = CELL + ";background:#f0f0f0"
CAPTION = "caption-side:top;text-align:left;font-weight:bold;padding:2px 0;white-space:nowrap"


def _e(text: Any) -> str:
    """Escaped text (quotes too, as it may land in an attribute); control characters shown."""
    return html.escape(visible(text), quote=True)


def table(caption: str, header: Sequence[str], rows: Iterable[Sequence[Any]], kind: str) -> str:
    """A ``<table class="tg-{kind}">`` with a caption, a header row (none if empty) and text cells.

    Cells are plain text (escaped here); a newline in a cell is a line break, as in ``print``.
    """
    head = "".join(f'<th style="{HEAD}">{_e(h)}</th>' for h in header)
    body = "".join(
        "<tr>" + "".join(f'<td style="{CELL}">{_cell(c)}</td>' for c in row) + "</tr>" for row in rows
    )
    thead = f"<thead><tr>{head}</tr></thead>" if header else ""
    return (f'<table class="tg-{kind}" style="{TABLE}"><caption style="{CAPTION}">{_e(caption)}'
            f"</caption>{thead}<tbody>{body}</tbody></table>")


def _cell(text: Any) -> str:
    return "\n".join(_e(line) for line in str(text).split("\n"))


def _value(array: Any) -> str:
    """The numbers (NumPy's layout, our format) when small, mean/std/min/max otherwise."""
    return format_array(np.asarray(array))


def _line(array: Any) -> str:
    """A value on one line: the numbers when small, the summary otherwise."""
    arr = np.asarray(array)
    return describe(arr) if arr.size <= SMALL else format_array(arr)


# -- Tensor ------------------------------------------------------------------------------------
def tensor_html(t: Any) -> str:
    """A tensor as a two-column table: value, shape, dtype, the op that made it, its grad."""
    grad = t.grad
    rows = [
        ("value", _value(t.data)),
        ("shape", format_shape(t.shape)),
        ("dtype", str(t.dtype)),
        ("op", "leaf (made by no op)" if t._ctx is None else t._ctx.name),
        ("requires_grad", str(bool(t.requires_grad))),
        ("grad", "None" if grad is None else _value(grad.data)),
    ]
    return table(f"Tensor {t.name}" if t.name else "Tensor", (), rows, "tensor")


# -- the chain-rule trace ----------------------------------------------------------------------
def trace_html(trace: Any) -> str:
    """``tg.explain``'s trace: one row per backward step (its rule and numbers), then the
    leaves' gradients.  Each contribution reads ``rule: upstream × local = contribution``."""
    name = trace.label(trace.root)
    caption = (f"Chain rule for {name} = {_line(trace.root.data)} ({format_shape(trace.root.shape)}, "
               f"{trace.root.dtype}): {len(trace)} backward steps, in the order the engine runs them; "
               f"seed ∂{name}/∂{name} = {_line(trace.seed)}")
    rows = [(str(s.number), s.op, s.formula, _line(s.upstream), _contributions(s)) for s in trace]
    steps = table(caption, ("step", "op", "forward", f"upstream ∂{name}/∂out", "to each input"),
                  rows, "trace")
    leaves = [(f"∂{name}/∂{trace.label(leaf)}", "no gradient reaches it" if g is None else _line(g))
              for leaf in trace.leaves for g in [trace.grad(leaf)]]
    return steps + table("Gradients of the leaves (each is the sum of its contributions)",
                         ("gradient", "value"), leaves, "trace-leaves")


def _contributions(step: Any) -> str:
    lines = []
    for c in step.contributions:
        lines.append(f"→ {c.label} (as {c.argument}): {c.rule}")
        if c.value is None:
            lines.append("   no gradient: this input does not require grad")
        elif c.local is not None:
            lines.append(f"   {_line(step.upstream)} × {_line(c.local)} = {_line(c.value)}")
        else:
            lines.append(f"   = {_line(c.value)}")
    for s in step.sums:
        lines.append(f"{s.label} already had a gradient: {_line(s.previous)} + "
                     f"{_line(s.contribution)} = {_line(s.total)}")
    return "\n".join(lines)


# -- nn.Module ---------------------------------------------------------------------------------
def module_html(module: Any) -> str:
    """The module tree, one row per sub-module (indented by depth), with its own parameters'
    shapes and the parameter count of the whole sub-tree; totals in the caption."""
    rows = []
    for path, m in module.named_modules():
        depth = path.count(".") + 1 if path else 0
        own = ", ".join(f"{n} {format_shape(p.shape)}" + ("" if p.requires_grad else " (frozen)")
                        for n, p in m._parameters.items())
        count = sum(p.size for p in m.parameters())
        rows.append(("  " * depth + (path.rsplit(".", 1)[-1] or "(root)"),
                     f"{type(m).__name__}({m.extra_repr()})", own, f"{count:,}"))
    params = list(module.parameters())
    total = sum(p.size for p in params)
    trainable = sum(p.size for p in params if p.requires_grad)
    caption = f"{type(module).__name__}: {total:,} parameters ({trainable:,} trainable)"
    return table(caption, ("module", "type", "parameters", "count"), rows, "module")


# -- Keras -------------------------------------------------------------------------------------
def history_html(history: Any) -> str:
    """``History``: one row per epoch, one column per logged quantity."""
    keys = list(history.history)
    rows = [[str(epoch + 1)] + [format_number(history.history[k][i]) if i < len(history.history[k])
                                else "" for k in keys] for i, epoch in enumerate(history.epoch)]
    return table(f"History: {len(history.epoch)} epochs", ["epoch", *keys], rows, "history")


def summary_html(model: Any) -> str:
    """``model.summary()`` as a table: the same rows and totals it prints."""
    rows, totals = model.summary_rows()
    caption = f'Model: "{model.model_name}"'
    return (table(caption, ("Layer (type)", "Output Shape", "Param #"), rows, "summary")
            + table("", (), totals, "summary-totals"))


# -- the backprop page -------------------------------------------------------------------------
def iframe_html(page: str, title: str, height: int = 640) -> str:
    """The page in a sandboxed ``<iframe srcdoc>``: scripts run, but in an opaque origin
    (no access to the notebook), and the page's own CSP still forbids any request."""
    return (f'<iframe sandbox="allow-scripts" title="{_e(title)}" style="width:100%;height:{height}px;'
            f'border:1px solid #ccc" srcdoc="{html.escape(page, quote=True)}"></iframe>')


class HtmlPage:
    """A self-contained page as text (``.html``): ``save(path)`` writes it, and in Jupyter it
    displays inline in a sandboxed iframe (``iframe_html``).  The backprop explorer, the
    gradient monitor's report and the optimizer race are pages."""

    iframe_height = 640  # px in a notebook

    def __init__(self, page: str, title: str) -> None:
        self.html, self.title = page, title

    def save(self, path: str | os.PathLike[str]) -> str:
        """Write the page to ``path`` (UTF-8) and return the path."""
        path = os.fspath(path)
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.html)
        return path

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.title!r}: {len(self.html):,} characters>"

    def _repr_html_(self) -> str:
        return iframe_html(self.html, self.title, self.iframe_height)  # escaped into srcdoc
