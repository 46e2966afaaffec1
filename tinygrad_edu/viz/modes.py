"""One graph drawn twice, side by side: forward mode (tangents) and reverse mode (gradients).

Left, the tangent ẋ flows from the inputs up to the output, each op's edge labelled with its
jvp rule and the numbers (``ż = ẋ·y + x·ẏ`` then ``= term + term = ż``); right, the gradient
flows from the output back down, each edge labelled with the local rule and upstream ×
local = contribution.  The forward half comes from ``tangents.tangent_pass`` (the engine's
``run_forward``), the backward half from ``tg.explain`` (the engine's backward).  Only
reading happens here; ids come from graph order, so the DOT source is the same every run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import graphviz
import numpy as np

from ..explain import Graph, Step, Trace, explain, read_graph, rule_text
from ..formatting import describe, format_array, format_number, format_options, format_shape
from ..tensor import Tensor
from .drawer import BACK_EDGE, FILL, GRAD_FILL, GRAD_TEXT, MUTED, OP_FILL, GraphPicture
from .labels import escape, escape_lines
from .tangents import TangentPass, TangentStep, tangent_pass

TANGENT_FILL, TANGENT_TEXT, TANGENT_EDGE = "#e6f0fb", "#1f5f99", "#2e86c1"
ON_EDGE = 3  # numbers on an edge up to this many elements, the shape beyond


def draw_modes(tensor: Tensor, inputs: Tensor | Sequence[Tensor] | None = None,
               tangents: Any = None, *, rankdir: str = "BT", max_nodes: int = 60) -> GraphPicture:
    """Draw ``tensor``'s graph twice: tangents flowing forward beside gradients flowing back.

    Forward mode (left) pushes one tangent per input (``tangents``; by default ones for the
    first of ``inputs`` and zero for the others, ``inputs`` defaulting to the leaves that
    require grad) from the inputs to the output: ż = Σᵢ ∂z/∂xᵢ·ẋᵢ at every op, so the output
    ends with J·v.  Reverse mode (right) pushes ∂tensor/∂tensor = 1 (ones for a non-scalar
    tensor) back: every input ends with its gradient, a row of uᵀJ.  The caption checks the
    two against each other: Σ ẏ = Σᵢ ⟨∂/∂xᵢ, ẋᵢ⟩.  A graph of more than ``max_nodes``
    tensors and ops raises ``ValueError`` (draw a smaller part).
    """
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"draw_modes: rankdir must be 'LR', 'RL', 'TB' or 'BT', got {rankdir!r}")
    graph = read_graph(tensor) if isinstance(tensor, Tensor) else None
    forward = tangent_pass(tensor, inputs, tangents, graph=graph)
    graph = forward.graph
    boxes = len(graph.tensors) + sum(t._ctx is not None for t in graph.tensors)
    if boxes > max_nodes:
        raise ValueError(f"draw_modes: the graph of {graph.label(tensor)} has {boxes} boxes to draw "
                         f"twice, more than max_nodes={max_nodes}; draw a smaller part of it (one "
                         "layer's output), or pass a larger max_nodes=")
    backward = explain(tensor, grad=np.ones(tensor.shape, dtype=tensor.dtype), graph=graph)
    return _Modes(graph, forward, backward, rankdir).picture


def tangent_dot(forward: TangentPass, rankdir: str = "BT") -> str:
    """The forward-mode half of ``draw_modes`` alone, as DOT source (the backprop page's
    tangent view).  Ids: ``fop{k}`` the op that makes tensor k (1-based, graph order),
    ``fe{k}`` its edge to that tensor, ``fe{k}_{i}`` its input edges, ``ft{k}_value`` the
    tangent cell of tensor k (``a_ft{k}_value`` once rendered: Graphviz keeps ids on links)."""
    return _Modes(forward.graph, forward, None, rankdir).picture.source


class _Modes:
    """Writes the two halves; ``f`` and ``r`` prefix the ids of the forward and reverse copies.
    Without a backward trace, only the forward half is drawn (and no caption)."""

    def __init__(self, graph: Graph, forward: TangentPass, backward: Trace | None,
                 rankdir: str) -> None:
        self.graph, self.forward, self.backward = graph, forward, backward
        self.index = {id(t): k for k, t in enumerate(graph.tensors, start=1)}
        self.jvp_step = {id(s.node): s for s in forward.steps}
        self.vjp_step = {id(s.node): s for s in backward or ()}
        g = GraphPicture(name="tinygrad_edu_modes", graph_attr={
            "rankdir": rankdir, "fontname": "Helvetica", "fontsize": "12", "nodesep": "0.3",
            "ranksep": "0.45", "labelloc": "t", "bgcolor": "white",
            **({"label": self._caption()} if backward is not None else {"id": "fgraph"})},
            node_attr={"fontname": "Helvetica", "fontsize": "11"},
            edge_attr={"fontname": "Helvetica", "fontsize": "10", "arrowsize": "0.7"})
        if backward is None:
            self._half(g, "f")
            self.picture = g
            return
        for prefix, title, color in (
                ("f", "forward mode (jvp): the tangent ẋ flows from the inputs to the output",
                 TANGENT_TEXT),
                ("r", "reverse mode (vjp): the gradient flows from the output back to the inputs",
                 GRAD_TEXT)):
            half = graphviz.Digraph(name=f"cluster_{prefix}", graph_attr={
                "label": f"<<B>{escape(title)}</B>>", "fontcolor": color, "style": "rounded",
                "color": "#bdc3c7", "labeljust": "l",
                # a cluster's "t" follows rankdir: with BT it would sit under the inputs
                "labelloc": "b" if rankdir == "BT" else "t"})
            self._half(half, prefix)
            g.subgraph(half)
        self.picture = g

    def _caption(self) -> str:
        assert self.backward is not None  # only the two-halves picture has a caption
        root, name = self.graph.root, escape(self.graph.label(self.graph.root))
        seeds = ", ".join(f"{escape(self.graph.label(x))} = {escape(describe(t))}"
                          for x in self.forward.inputs
                          for t in [self.forward.tangent(x)] if t is not None)
        tangent = self.forward.tangent(root)
        jv = 0.0 if tangent is None else float(np.sum(tangent, dtype=np.float64))
        ujv = sum(float(np.sum(np.asarray(g, np.float64) * np.asarray(t, np.float64)))
                  for x in self.forward.inputs
                  for g, t in [(self.backward.grad(x), self.forward.tangent(x))]
                  if g is not None and t is not None)
        value = f"= {format_number(root.data.item())}" if root.size == 1 else \
            f"(shape {format_shape(root.shape)})"
        total = f"the tangent of {name}" if root.size == 1 else f"the sum of {name}'s tangent"
        others = any(self.forward.tangent(x) is None for x in self.forward.inputs)
        lines = [f"<B>Forward mode and reverse mode through one graph: {name} {escape(value)}</B>",
                 (f"forward: one pass, seeded with the tangents {seeds}"
                  + (" (the others 0)," if others else ",") if seeds else
                  "forward: one pass with no tangent seeded (all zero)"),
                 f"gives {total} = {escape(format_number(jv))}: one direction, J·ẋ",
                 f"reverse: one pass, seeded with ∂{name}/∂{name} = 1, gives every input's "
                 "gradient: uᵀJ",
                 f"they agree: Σᵢ ⟨∂{name}/∂xᵢ, ẋᵢ⟩ = {escape(format_number(ujv))}"]
        return "<" + "<BR/>".join(lines) + ">"

    # -- one half: the tensors, the ops, the edges -----------------------------------------
    def _half(self, g: Any, prefix: str) -> None:
        for t in self.graph.tensors:
            k = self.index[id(t)]
            g.node(f"{prefix}t{k}", self._tensor_label(t, prefix), shape="plain", id=f"{prefix}t{k}")
            node = t._ctx
            if node is None:
                continue
            options = format_options(node.options)
            extra = f'<BR/><FONT POINT-SIZE="9">{escape(options)}</FONT>' if options else ""
            g.node(f"{prefix}op{k}", f"<<B>{escape(node.name)}</B>{extra}>", shape="box",
                   style="rounded,filled", fillcolor=OP_FILL, color="#8e7cc3",
                   margin="0.08,0.03", id=f"{prefix}op{k}")
            for i, x in enumerate(node.inputs):
                self._input_edge(g, prefix, x, node, i, k)
            self._output_edge(g, prefix, node, k)

    def _input_edge(self, g: Any, prefix: str, x: Tensor, node: Any, i: int, k: int) -> None:
        src, dst, edge_id = f"{prefix}t{self.index[id(x)]}", f"{prefix}op{k}", f"{prefix}e{k}_{i}"
        if not x.requires_grad:  # a constant: neither a tangent nor a gradient moves along it
            g.edge(src, dst, color="#b3b6b7", style="dotted", arrowhead="none", id=edge_id)
        elif prefix == "f":  # the tangent goes in; the op's edge to its output says what it makes
            g.edge(src, dst, color=TANGENT_EDGE, id=edge_id)
        else:
            step = self.vjp_step.get(id(node))
            lines = [f"<I>{escape(rule_text(node, i))}</I>"]
            if step is not None:
                lines.append(escape(_product(step, i)))
            g.edge(src, dst, dir="back", color=BACK_EDGE, fontcolor=GRAD_TEXT, id=edge_id,
                   label="<" + "<BR/>".join(lines) + ">")

    def _output_edge(self, g: Any, prefix: str, node: Any, k: int) -> None:
        src, dst, edge_id = f"{prefix}op{k}", f"{prefix}t{k}", f"{prefix}e{k}"
        if prefix == "r":  # the upstream gradient enters the op here
            g.edge(src, dst, dir="back", color=BACK_EDGE, id=edge_id)
            return
        step = self.jvp_step.get(id(node))
        if step is None:  # no tangent reaches this op: its output's tangent is zero
            g.edge(src, dst, color=TANGENT_EDGE, style="dashed", fontcolor=MUTED, id=edge_id,
                   label="<<I>ż = 0</I>>")
            return
        g.edge(src, dst, color=TANGENT_EDGE, fontcolor=TANGENT_TEXT, id=edge_id,
               label="<" + "<BR/>".join(escape(line) for line in jvp_lines(step)) + ">")

    def _tensor_label(self, t: Tensor, prefix: str) -> str:
        kind = "param" if t._ctx is None and t.requires_grad else "const" if t._ctx is None else \
            "root" if t is self.graph.root else "result"
        rows = [f'<TR><TD ALIGN="LEFT"><B>{escape(self.graph.label(t))}</B>  <FONT POINT-SIZE="9" '
                f'COLOR="{MUTED}">{escape(format_shape(t.shape))}</FONT></TD></TR>',
                f'<TR><TD ALIGN="LEFT" BALIGN="LEFT"><FONT FACE="Courier" POINT-SIZE="10">'
                f"{escape_lines(format_array(t.data))}</FONT></TD></TR>"]
        if t.requires_grad:
            if prefix == "f":
                tangent = self.forward.tangent(t)
                text = "tangent = 0" if tangent is None else _titled("tangent =", tangent)
                fill, color = TANGENT_FILL, TANGENT_TEXT
            else:
                assert self.backward is not None
                grad = self.backward.grad(t)
                text = "grad = 0" if grad is None else _titled("grad =", grad)
                fill, color = GRAD_FILL, GRAD_TEXT
            cell = f"{prefix}t{self.index[id(t)]}_value"
            rows.append(f'<TR><TD ALIGN="LEFT" BALIGN="LEFT" BGCOLOR="{fill}" ID="{cell}" '
                        f'HREF="#{cell}"><FONT FACE="Courier" POINT-SIZE="10" COLOR="{color}">'
                        f"{escape_lines(text)}</FONT></TD></TR>")  # Graphviz keeps ids on links only
        return (f'<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" STYLE="rounded" '
                f'COLOR="#7f8c8d" BGCOLOR="{FILL[kind]}">{"".join(rows)}</TABLE>>')


def jvp_lines(step: TangentStep) -> list[str]:
    """The forward rule on one edge: ``ż = ẋ·y + x·ẏ``, then the numbers.

    A one-number elementwise step gets the rule with its numbers put in (``= 1·(-3) + 2·0 =
    -3``, from ``tg.explain_forward``); any other step gets each input's term ∂z/∂xᵢ·ẋᵢ and
    their sum (``= [..] + [..] = [..]``), a term too big to print shown by its shape.
    """
    total = _short(step.tangent)
    if step.numbers is not None:
        return [step.rule, f"= {step.numbers} = {total}"]
    terms = [_short(value) for _, value in step.terms]
    if len(terms) > 1:
        return [step.rule, "= " + " + ".join(f"({t})" if t.startswith("-") and k else t
                                             for k, t in enumerate(terms)) + f" = {total}"]
    return [step.rule, f"= {total}"]


def _product(step: Step, index: int) -> str:
    """``upstream × local = contribution`` for one input of a backward step."""
    c = step.contributions[index]
    if c.value is None:
        return "no gradient"
    up = _short(step.upstream)
    if c.local is not None:
        local = _short(c.local)
        return f"{up} × {f'({local})' if local.startswith('-') else local} = {_short(c.value)}"
    return f"{up} ↦ {_short(c.value)}"


def _short(array: np.ndarray) -> str:
    arr = np.asarray(array)
    return describe(arr) if arr.ndim <= 1 and arr.size <= ON_EDGE else format_shape(arr.shape)


def _titled(prefix: str, array: np.ndarray) -> str:
    text = format_array(array)
    return f"{prefix} {text}" if "\n" not in text and len(text) < 40 else f"{prefix}\n{text}"
