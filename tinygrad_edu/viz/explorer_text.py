"""The explorer's words and numbers: each step's side panel and each element's hover card.

Everything is plain text (the page puts it in with ``textContent``, so a hostile name stays
text) and every number goes through ``tinygrad_edu.formatting``.  A mean that is only float
rounding noise (``-1.3e-19`` for gradients that cancel) prints as 0.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..explain import Step, Trace
from ..formatting import SMALL, format_array, format_number, format_shape
from ..tensor import Tensor
from .explorer_views import Layer

Card = dict[str, Any]  # {"text": always shown, "grad": shown once "step" has run, "step": int}


def numbers(array: Any) -> str:
    """The whole value up to SMALL numbers; beyond, shape and statistics without rounding noise."""
    arr = np.asarray(array)
    if arr.size <= SMALL or arr.dtype.kind not in "fc" or not np.all(np.isfinite(arr)):
        return format_array(arr)
    values = arr.astype(np.float64)
    mean = values.mean()
    # Float sums of values that cancel leave a residue of about eps·max|v|; that is not a mean.
    if abs(mean) <= 8 * np.finfo(arr.dtype).eps * np.abs(values).max():
        mean = 0.0
    return (f"shape {format_shape(arr.shape)}: mean {format_number(mean)}, "
            f"std {format_number(values.std())}, "
            f"min {format_number(values.min())}, max {format_number(values.max())}")


def _indent(text: str, by: int) -> str:
    return "\n".join(" " * by + line for line in text.split("\n"))


def step_panel(step: Step, rules: Callable[[Any, int], str]) -> str:
    """One step of backprop for the side panel (its title is shown above it, not repeated)."""
    scope = f"\ninside {' / '.join(step.scope)}" if step.scope else ""
    lines = [f"{step.formula}{scope}", "",
             f"upstream {step.d(step.output_label)}:", _indent(numbers(step.upstream), 2)]
    if len(step.upstream_parts) > 1:
        sources = ", ".join("the seed" if n == 0 else str(n) for n, _ in step.upstream_parts)
        lines.append(f"  (the sum of {len(step.upstream_parts)} contributions, from steps {sources})")
    for c in step.contributions:
        lines += ["", f"→ {c.label} (as {c.argument}):  {rules(step.node, c.index)}"]
        if c.value is None:
            lines.append("  no gradient: this input does not require grad")
        elif c.local is not None and c.value.size == 1 and step.upstream.size == 1:
            local = format_number(c.local.item())
            local = f"({local})" if local.startswith("-") else local
            lines.append(f"  upstream × local = {format_number(step.upstream.item())} × {local} = "
                         f"{format_number(c.value.item())}")
        elif c.local is not None:
            lines += ["  local:", _indent(numbers(c.local), 4),
                      "  contribution = upstream ⊙ local:", _indent(numbers(c.value), 4)]
        else:
            lines += [f"  contribution {step.d(c.label)}:", _indent(numbers(c.value), 4)]
    for s in step.sums:
        lines += ["", f"{s.label} already had a gradient, so the two add up:",
                  "  earlier:", _indent(numbers(s.previous), 4), "  + this step:",
                  _indent(numbers(s.contribution), 4), "  = total so far:", _indent(numbers(s.total), 4)]
    return "\n".join(lines)


def tensor_card(trace: Trace, t: Tensor, complete: dict[int, int]) -> Card:
    name = trace.label(t)
    kind = "the output" if t is trace.root else "made by " + t._ctx.name if t._ctx is not None else \
        "a parameter (leaf)" if t.requires_grad else "a constant"
    text = f"{name}: shape {format_shape(t.shape)}, {t.dtype}, {kind}\nvalue:\n{_indent(numbers(t.data), 2)}"
    g = trace.grad(t)
    if g is None:
        return {"text": text + "\nno gradient reaches it", "grad": "", "step": 0}
    return {"text": text, "grad": f"{trace.steps[0].d(name) if trace.steps else 'grad'}:\n"
            f"{_indent(numbers(g), 2)}", "step": complete.get(id(t), 0)}


def op_card(trace: Trace, node: Any, rules: Callable[[Any, int], str]) -> Card:
    step = next(s for s in trace if s.node is node)
    lines = [f"{step.formula}   (backward step {step.number} of {len(trace)})"]
    lines += [f"  ∂ for {c.label}: {rules(node, c.index)}" for c in step.contributions]
    return {"text": "\n".join(lines), "grad": f"upstream {step.d(step.output_label)}:\n"
            f"{_indent(numbers(step.upstream), 2)}", "step": step.number}


def layer_card(trace: Trace, layer: Layer, complete: dict[int, int]) -> Card:
    out = layer.nodes[-1].output
    ops = ", ".join(n.name for n in layer.nodes)
    steps = sorted(s.number for s in trace if any(s.node is n for n in layer.nodes))
    count = f"{len(layer.nodes)} op{'s' if len(layer.nodes) > 1 else ''}"
    text = (f"{' / '.join(layer.scope)}\n{count}: {ops}\noutput {trace.label(out)}: "
            f"shape {format_shape(out.shape)}\nbackward steps {steps[0]}–{steps[-1]} (click to open)")
    leaves = [x for n in layer.nodes for x in n.inputs if x._ctx is None and x.requires_grad]
    grads = []
    for x in dict.fromkeys(leaves):
        g = trace.grad(x)
        if g is not None:
            grads.append(f"{trace.steps[0].d(trace.label(x))}:\n{_indent(numbers(g), 2)}")
    return {"text": text, "grad": "\n".join(grads), "step": steps[-1]}


def edge_card(trace: Trace, t: Tensor, uses: tuple[tuple[Any, int], ...],
              rules: Callable[[Any, int], str]) -> Card:
    name = trace.label(t)
    if not uses:
        return {"text": f"{name} (shape {format_shape(t.shape)}) leaves {t._ctx.name if t._ctx else name}; "
                "its gradient enters here", "grad": "", "step": 0}
    steps = {id(s.node): s for s in trace}
    lines, grads, last = [f"gradient into {name}, shape {format_shape(t.shape)}"], [], 0
    for node, index in uses:
        step = steps[id(node)]
        c = step.contributions[index]
        lines.append(f"  {node.name} (step {step.number}): {rules(node, index)}")
        last = max(last, step.number)
        if c.value is not None:
            grads.append(f"contribution from step {step.number}:\n{_indent(numbers(c.value), 2)}")
    return {"text": "\n".join(lines), "grad": "\n".join(grads), "step": last}


def running_grads(trace: Trace) -> list[dict[str, Any]]:
    """Each tensor's gradient as it builds up: ``[step, text, count, total]`` per contribution."""
    d = f"∂{trace.label(trace.root)}/∂"
    entries: dict[int, dict[str, Any]] = {
        id(trace.root): {"name": d + trace.label(trace.root), "events": [[0, numbers(trace.seed), 1, 1]]}}
    totals: dict[int, int] = {}
    for step in trace:
        for c in step.contributions:
            if c.value is not None:
                totals[id(c.input)] = totals.get(id(c.input), 0) + 1
    counts: dict[int, int] = {}
    for step in trace:
        for c in step.contributions:
            if c.value is None:
                continue
            key = id(c.input)
            counts[key] = counts.get(key, 0) + 1
            total = next((s.total for s in step.sums if s.tensor is c.input), c.value) \
                if counts[key] > 1 else c.value
            entry = entries.setdefault(key, {"name": d + c.label, "events": []})
            entry["events"].append([step.number, numbers(total), counts[key], totals[key]])
    return list(entries.values())
