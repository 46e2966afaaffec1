"""The backprop explorer's other direction: forward mode, one tangent step at a time.

``backprop_page(..., forward=True)`` adds a switch to the page: *Backward (gradients)* is the
explorer as it was; *Forward (tangents)* shows the forward-mode picture (``modes.tangent_dot``)
and steps through ``tangents.tangent_pass`` -- inputs first, each op's jvp rule with its
numbers.  Everything here is self-contained: its own markup, its own data (``DATA.forward``),
its own script and style (``explorer_forward.js`` / ``.css``), so the backward explorer's
code does not change.  Text only, as in explorer_text.py; numbers through ``numbers``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..autograd import GraphFreedError
from ..explain import Graph
from ..formatting import describe
from ..tensor import Tensor
from .explorer_text import numbers
from .modes import jvp_lines, tangent_dot
from .tangents import TangentPass, TangentStep, tangent_pass

# The page's markup for this direction: the switch and its step controls (in the header, after
# the title; ``{count}`` is the number of steps), and its graph and panel (after the backward one).
SWITCH = """
  <span id="direction" role="group" aria-label="direction">
    <button id="dir-backward" type="button" aria-pressed="true"
            title="reverse mode: gradients, output first">Backward (gradients)</button>
    <button id="dir-forward" type="button" aria-pressed="false"
            title="forward mode: tangents, inputs first">Forward (tangents)</button></span>
  <div class="controls" id="forward-controls" hidden>
    <button id="fprev" type="button" title="previous tangent step (←)">◀ Previous</button>
    <input id="fslider" type="range" min="0" max="{count}" value="0" step="1" aria-label="tangent step">
    <button id="fnext" type="button" title="next tangent step (→)">Next ▶</button>
    <span id="fcounter">Step 0 of {count}</span>
  </div>"""

MAIN = """
<main id="forward-main" hidden>
  <div id="fgraph" tabindex="0" aria-label="the graph in forward mode"><div id="fcanvas"></div></div>
  <aside id="fpanel">
    <h2 id="fstep-title">Before the tangent pass</h2>
    <pre id="fstep-text"></pre>
    <h3>Tangents so far</h3>
    <pre id="tangents-so-far"></pre>
  </aside>
</main>"""


@dataclass(frozen=True)
class ForwardPart:
    """What the page adds for forward mode: the tangent view's DOT and the script's data."""

    source: str
    data: dict[str, Any]


def forward_part(tensor: Tensor, tangents: Any, rankdir: str, graph: Graph) -> ForwardPart:
    """The tangent pass of ``tensor`` (seeded by ``tangents``, see ``tangent_pass``) as page data."""
    try:
        fp = tangent_pass(tensor, None, tangents, graph=graph)
    except GraphFreedError:
        raise GraphFreedError(
            f"backprop_page(forward=True): the graph of {graph.label(tensor)} was freed by a "
            "backward() call, and forward mode needs to walk it; build the page before "
            "backward(), or call backward(retain_graph=True)") from None
    index = {id(t): k for k, t in enumerate(graph.tensors, start=1)}
    steps, cells = [], {}
    for x in fp.inputs:  # the seeds are known before the first step
        cells[f"a_ft{index[id(x)]}_value"] = 0
    for s in fp.steps:
        k = index[id(s.output)]
        cells[f"a_ft{k}_value"] = s.number
        edges = [f"fe{k}"] + [f"fe{k}_{i}" for i, x in enumerate(s.node.inputs) if x.requires_grad]
        steps.append({"title": f"Tangent step {s.number} of {len(fp.steps)} · {s.node.name}",
                      "text": step_text(s, fp), "op": f"fop{k}", "edges": edges})
    edge_step = {e: n + 1 for n, step in enumerate(steps) for e in step["edges"]}
    return ForwardPart(tangent_dot(fp, rankdir), {
        "intro": intro(fp), "steps": steps, "cells": cells, "edges": edge_step,
        "title": f"Forward mode, step by step: the tangent of {graph.label(tensor)}",
        "tangents": running_tangents(fp)})


def intro(fp: TangentPass) -> str:
    name = fp.graph.label(fp.graph.root)
    seeds = [f"  {fp.graph.label(x)}: {describe(t)}" if t is not None else
             f"  {fp.graph.label(x)}: 0 (no tangent)"
             for x in fp.inputs for t in [fp.tangent(x)]]
    return ("Forward mode pushes a tangent -- a direction of change for the inputs -- through the "
            "graph, inputs first, in the order the forward pass ran. The seeds:\n"
            + "\n".join(seeds) + "\n\n"
            f"Each step runs one op's jvp rule, ż = Σᵢ ∂z/∂xᵢ·ẋᵢ, on the tangents of its inputs. "
            f"After {len(fp.steps)} steps the tangent of {name} is J·ẋ: the derivative of {name} "
            "along the seed. One pass gives one direction; reverse mode (the other button) gives "
            "the gradient of every input in one pass.\n\nPress Next (or →) to run the first step.")


def step_text(step: TangentStep, fp: TangentPass) -> str:
    """One tangent step for the side panel: the op, its inputs' tangents, the rule, the terms."""
    graph, node = fp.graph, step.node
    names = [graph.label(x) for x in node.inputs]
    lines = [f"{step.output_label} = {node.name}({', '.join(names)})", "",
             f"jvp rule:  {step.rule}"]
    for i, x in enumerate(node.inputs):
        tangent = fp.tangent(x)
        letters = "XY" if "Ẋ" in step.rule else "xyz"  # a matmul's rule names its inputs X, Y
        role = letters[i] if i < len(letters) else f"x{i + 1}"
        state = "a constant: no tangent" if not x.requires_grad else \
            "no tangent reaches it (0)" if tangent is None else None
        lines.append(f"  {role} = {names[i]}" + (f": {state}" if state else ", tangent:"))
        if state is None:
            lines.append("    " + numbers(tangent).replace("\n", "\n    "))
    if len(step.terms) > 1:
        lines += ["", "what each input adds (∂z/∂xᵢ·ẋᵢ):"]
        lines += [f"  from {names[i]}: " + numbers(term).replace("\n", "\n    ") for i, term in step.terms]
    lines += ["", f"tangent of {step.output_label}:", "  " + numbers(step.tangent).replace("\n", "\n  ")]
    if step.tangent.size <= 3 and step.tangent.ndim <= 1:  # the edge's one line, numbers in
        lines.append(f"  ({step.rule} {jvp_lines(step)[1]})")
    return "\n".join(lines)


def running_tangents(fp: TangentPass) -> list[dict[str, Any]]:
    """Each tensor's tangent and the step that makes it known (0: a seed), in graph order."""
    made = {id(s.output): s.number for s in fp.steps}
    out = []
    for t in fp.graph.tensors:
        tangent = fp.tangent(t)
        if tangent is None:
            continue
        out.append({"name": fp.graph.label(t), "step": made.get(id(t), 0), "value": numbers(tangent)})
    return out
