"""The explorer's drawings: the graph with each layer closed (one box) or open (its ops).

A *layer* is one call of an innermost module, found from the module scope the engine records
on every op (``Function.scope``): ops of one scope joined by a tensor belong to one call.  A
*view* is one choice of open layers; ``draw_view`` writes its DOT source (backward arrows,
the output on top, rules on the edges) and says which drawn element shows each tensor, op
and backward step.  Element ids are the same in every view (``t3``, ``op5``, ``L1``,
``C1`` for an open layer's frame), so the page can swap views and keep its bearings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..explain import Trace
from ..formatting import describe, format_options, format_shape
from ..tensor import Tensor
from .labels import escape

GRAD_FILL, BACK_EDGE, OP_FILL, LAYER_FILL = "#fdebe8", "#c0392b", "#efe6fa", "#e4f4ea"
FILL = {"param": "#e3eefa", "const": "#f0f0f0", "result": "#ffffff", "root": "#fff3c4"}
SHORT = 4  # a gradient of at most this many numbers is written on the graph; beyond, its shape


@dataclass(frozen=True)
class Layer:
    """One module call: ``scope`` (``("net: MLP", "fc1: Linear(2→4)")``) and its ops in graph order."""

    index: int
    scope: tuple[str, ...]
    nodes: tuple[Any, ...]
    # The layer view's declared rule for this call (viz/layers.py), when the module has one:
    # its forward in matrix form and backward rules, and the rule for the gradient it sends
    # to its input (written on the edge out of the closed box).
    rule_lines: tuple[str, ...] = ()
    input_rule: str | None = None

    @property
    def name(self) -> str:
        return self.scope[-1]


def find_layers(trace: Trace) -> list[Layer]:
    """The calls of innermost modules in ``trace``'s graph (those with something to fold), in order.

    Two calls of one module share a scope, so ops are grouped by scope *and* connection: ops
    joined by a tensor one makes and the other uses belong to the same call (union-find).
    """
    nodes = [t._ctx for t in trace.tensors if t._ctx is not None]
    scopes = {n.scope for n in nodes if n.scope}
    innermost = {s for s in scopes if not any(len(o) > len(s) and o[:len(s)] == s for o in scopes)}
    parent = {id(n): id(n) for n in nodes if n.scope in innermost}

    def find(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for n in nodes:
        for x in n.inputs if id(n) in parent else ():
            maker = x._ctx
            if maker is not None and id(maker) in parent and maker.scope == n.scope:
                parent[find(id(maker))] = find(id(n))
    members: dict[int, list[Any]] = {}
    for n in nodes:
        if id(n) in parent:
            members.setdefault(find(id(n)), []).append(n)
    # A call of one op without parameters (an activation module) would fold nothing into its
    # box: it stays that op's own box.
    groups = [group for group in members.values()
              if len(group) > 1 or any(x._ctx is None and x.requires_grad for x in group[0].inputs)]
    return [Layer(i + 1, group[0].scope, tuple(group)) for i, group in enumerate(groups)]


@dataclass
class View:
    """One drawing: its DOT source and where each thing of the trace is drawn in it."""

    source: str
    element_of_tensor: dict[int, str]  # id(tensor) -> its own box, or the layer box listing it
    step_element: list[str]  # step number - 1 -> the op or layer box that runs it
    edge_step: dict[str, int]  # edge id -> the step after which its gradient has flowed
    edges: dict[str, tuple[Tensor, tuple[tuple[Any, int], ...]]] = field(default_factory=dict)


def with_layer_rules(layers: list[Layer], view: Any) -> list[Layer]:
    """``layers`` with the declared rules of the layer view ``view`` (``viz.layers.layer_view``)
    attached: calls are matched by scope, in graph order (two calls of one module share it)."""
    declared: dict[tuple[str, ...], list[Any]] = {}
    for found in view.layers:
        if found.rule is not None:
            declared.setdefault(tuple(found.scope), []).append(found)
    out = []
    for layer in layers:
        queue = declared.get(tuple(layer.scope))
        if not queue:
            out.append(layer)
            continue
        found = queue.pop(0)
        lines = [*found.forward]
        if found.upstream is not None:
            lines.append(f"{found.upstream.text}  {_dims(found.upstream.shape)}")
        lines += [f"{q.text}  {_dims(q.shape)}" for q in found.grads if q.role != "x"]
        to_input = next((q.text for q in found.grads if q.role == "x"), None)
        out.append(Layer(layer.index, layer.scope, layer.nodes, tuple(lines), to_input))
    return out


def _dims(shape: tuple[int, ...]) -> str:
    """``(32×16)`` as the layer view writes shapes; ``(scalar)`` for a 0-d tensor."""
    return f"({'×'.join(map(str, shape)) or 'scalar'})"


def layer_edge_rule(layer: Layer, uses: tuple[tuple[Any, int], ...], rules: Callable[[Any, int], str]) -> str:
    """The rule written on an edge into a closed layer: the layer's declared rule for the
    gradient it sends to its input (``∂L/∂x = δ·W1``) when it has one; otherwise a single use
    shows its op's rule and several uses say where the gradient goes.
    """
    if layer.input_rule is not None:
        return layer.input_rule
    if len(uses) == 1:
        return rules(*uses[0])
    ops = ", ".join(dict.fromkeys(n.name for n, _ in uses))
    return f"through {layer.name}: the sum over its {len(uses)} uses ({ops})"


def draw_view(trace: Trace, layers: list[Layer], open_layers: frozenset[int],
              rules: Callable[[Any, int], str], rankdir: str) -> View:
    """The DOT source of ``trace``'s backward graph with ``open_layers`` (by index) open."""
    return _ViewWriter(trace, layers, open_layers, rules, rankdir).view


class _ViewWriter:
    def __init__(self, trace: Trace, layers: list[Layer], open_layers: frozenset[int],
                 rules: Callable[[Any, int], str], rankdir: str) -> None:
        self.trace, self.rules = trace, rules
        self.top = "b" if rankdir == "BT" else "t"  # dot flips "t" and "b" in a bottom-to-top graph
        self.labels = trace.graph.labels
        self.index = {id(t): k for k, t in enumerate(trace.tensors)}
        self.layer_of = {id(n): layer for layer in layers for n in layer.nodes}
        self.closed = {layer.index for layer in layers} - set(open_layers)
        self.users: dict[int, list[tuple[Any, int]]] = {}
        for t in trace.tensors:
            for i, x in enumerate(t._ctx.inputs if t._ctx is not None else ()):
                self.users.setdefault(id(x), []).append((t._ctx, i))
        self.step_of = {id(s.node): s.number for s in trace}
        self.complete = complete_steps(trace)
        self.folded: dict[int, list[Tensor]] = {}  # closed layer -> leaves listed inside its box
        self.element = {id(t): self._element(t) for t in trace.tensors}
        self.lines = [f"digraph explorer {{ rankdir={rankdir}; nodesep=0.3; ranksep=0.35; "
                      'bgcolor="white"; fontname="Helvetica";',
                      'node [fontname="Helvetica" fontsize=11]; edge [fontname="Helvetica" fontsize=10 '
                      'arrowsize=0.7];']
        self.edges: dict[str, tuple[Tensor, tuple[tuple[Any, int], ...]]] = {}
        self.edge_step: dict[str, int] = {}
        self._nodes(layers, open_layers)
        self._edges()
        self.lines.append("}")
        steps = [self._node_element(s.node) for s in trace]
        self.view = View("\n".join(self.lines) + "\n", self.element, steps, self.edge_step, self.edges)

    # -- where things are drawn ----------------------------------------------------------------
    def _closed_layer(self, node: Any) -> Layer | None:
        layer = self.layer_of.get(id(node))
        return layer if layer is not None and layer.index in self.closed else None

    def _node_element(self, node: Any) -> str:
        layer = self._closed_layer(node)
        return f"L{layer.index}" if layer else f"op{self.index[id(node.output)]}"

    def _element(self, t: Tensor) -> str:
        """A tensor's own box, unless a closed layer hides it (made and used only inside) or
        lists it (a parameter or scalar constant only that layer uses)."""
        own = f"t{self.index[id(t)]}"
        homes = {self._closed_layer(n) for n, _ in self.users.get(id(t), ())}
        home = next(iter(homes)) if len(homes) == 1 else None
        if t is self.trace.root or home is None:
            return own
        if t._ctx is None:
            if t.requires_grad or t.size == 1:
                self.folded.setdefault(home.index, []).append(t)
                return f"L{home.index}"
            return own
        return f"L{home.index}" if self._closed_layer(t._ctx) is home else own

    # -- nodes -------------------------------------------------------------------------------------
    def _nodes(self, layers: list[Layer], open_layers: frozenset[int]) -> None:
        frames: dict[int, list[str]] = {layer.index: [] for layer in layers if layer.index in open_layers}
        drawn: set[str] = set()
        for t in self.trace.tensors:
            node = t._ctx
            if node is not None:
                element = self._node_element(node)
                layer = self.layer_of.get(id(node))
                where = frames[layer.index] if layer is not None and layer.index in frames else self.lines
                if element not in drawn:
                    drawn.add(element)
                    if element.startswith("L"):
                        assert layer is not None
                        self.lines.append(self._layer_box(layer))
                    else:
                        where.append(self._op_box(element, node))
            own = f"t{self.index[id(t)]}"
            if self.element[id(t)] == own:
                layer = self.layer_of.get(id(node)) if node is not None else None
                where = frames[layer.index] if layer is not None and layer.index in frames else self.lines
                where.append(self._tensor_box(own, t))
        for layer in layers:
            if layer.index in frames:
                self.lines.append(f"subgraph cluster_{layer.index} {{ id=\"C{layer.index}\"; "
                                  f'label=<<B>{escape(layer.name)}</B>  <FONT POINT-SIZE="9">'
                                  '(click to close)</FONT>>; style="rounded,dashed"; color="#52be80"; '
                                  f'fontsize=11; labeljust=l; labelloc={self.top};')
                self.lines.extend("  " + line for line in frames[layer.index])
                self.lines.append("}")

    def _grad_row(self, t: Tensor, width: str = "") -> str:
        g = self.trace.grad(t)
        if g is None:
            return ""
        text = f"grad {describe(g)}" if g.size <= SHORT else f"grad: shape {format_shape(g.shape)}, " \
            f"max |g| {describe(np.abs(g).max())}"
        k = self.index[id(t)]
        return (f'<TR><TD ID="t{k}_grad" HREF="#" ALIGN="LEFT" BGCOLOR="{GRAD_FILL}"{width}>'
                f'<FONT COLOR="{BACK_EDGE}" POINT-SIZE="10">{escape(text)}</FONT></TD></TR>')

    def _tensor_box(self, element: str, t: Tensor) -> str:
        label = self.labels[id(t)]
        kind = "root" if t is self.trace.root else "result" if t._ctx is not None else \
            "param" if t.requires_grad else "const"
        if kind == "const" and t.size == 1 and not t.name:  # the 2 in x * 2: just its value
            return (f'{element} [id="{element}" label=<{escape(describe(t.data))}> shape=box '
                    'style="rounded,filled" fillcolor="#f0f0f0" color="#b3b6b7" fontsize=10 '
                    'height=0.25 width=0.3 margin="0.05,0.02"];')
        meta = format_shape(t.shape) + (" · output" if kind == "root" else "")
        rows = (f'<TR><TD ALIGN="LEFT"><B>{escape(label)}</B>  <FONT POINT-SIZE="9" COLOR="#6b6b6b">'
                f"{escape(meta)}</FONT></TD></TR>")
        if t.size <= SHORT:
            rows += (f'<TR><TD ALIGN="LEFT"><FONT FACE="Courier" POINT-SIZE="10">'
                     f"{escape(describe(t.data))}</FONT></TD></TR>")
        rows += self._grad_row(t)
        return (f'{element} [id="{element}" shape=plain label=<<TABLE BORDER="1" CELLBORDER="0" '
                f'CELLSPACING="0" CELLPADDING="3" STYLE="rounded" COLOR="#7f8c8d" '
                f'BGCOLOR="{FILL[kind]}">{rows}</TABLE>>];')

    def _op_box(self, element: str, node: Any) -> str:
        options = format_options(node.options)
        extra = f'<BR/><FONT POINT-SIZE="9">{escape(options)}</FONT>' if options else ""
        return (f'{element} [id="{element}" label=<<B>{escape(node.name)}</B>{extra}> shape=box '
                f'style="rounded,filled" fillcolor="{OP_FILL}" color="#8e7cc3" margin="0.08,0.03"];')

    def _layer_box(self, layer: Layer) -> str:
        ops = ", ".join(dict.fromkeys(n.name for n in layer.nodes))
        out = layer.nodes[-1].output
        rows = [f'<TR><TD ALIGN="LEFT"><B>{escape(layer.name)}</B></TD></TR>',
                f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="9" COLOR="#6b6b6b">'
                f'{_count(len(layer.nodes), "op")}: '
                f"{escape(ops)} → {escape(format_shape(out.shape))} · click to open</FONT></TD></TR>"]
        rows += [f'<TR><TD ALIGN="LEFT"><FONT FACE="Courier" POINT-SIZE="10">{escape(line)}</FONT></TD></TR>'
                 for line in layer.rule_lines]
        for t in self.folded.get(layer.index, []):
            fill = FILL["param"] if t.requires_grad else FILL["const"]
            rows.append(f'<TR><TD ALIGN="LEFT" BGCOLOR="{fill}">'
                        f'<B>{escape(self.labels[id(t)])}</B>  <FONT POINT-SIZE="9" COLOR="#6b6b6b">'
                        f"{escape(format_shape(t.shape))}</FONT></TD></TR>")
            rows.append(self._grad_row(t))
        return (f'L{layer.index} [id="L{layer.index}" shape=box style="rounded,filled" '
                f'fillcolor="{LAYER_FILL}" color="#52be80" penwidth=1.5 label=<<TABLE BORDER="0" '
                f'CELLBORDER="0" CELLSPACING="0" CELLPADDING="2">{"".join(rows)}</TABLE>>];')

    # -- edges ---------------------------------------------------------------------------------
    def _edges(self) -> None:
        """One edge per (tensor, consumer box), listing every use; drawn forward, arrow back."""
        grouped: dict[tuple[str, str, int], list[tuple[Any, int]]] = {}
        for t in self.trace.tensors:
            node = t._ctx
            if node is None:
                continue
            here = self._node_element(node)
            for i, x in enumerate(node.inputs):
                if self.element[id(x)] != here:
                    grouped.setdefault((self.element[id(x)], here, id(x)), []).append((node, i))
            own = f"t{self.index[id(t)]}"
            if self.element[id(t)] == own and here != own:
                grouped.setdefault((here, own, id(t)), [])
        tensors = {id(t): t for t in self.trace.tensors}
        for (src, dst, key), uses in grouped.items():
            edge_id = f"{src}-{dst}" + (f"-t{self.index[key]}" if src.startswith("L") else "")
            t = tensors[key]
            self.edges[edge_id] = (t, tuple(uses))
            if not t.requires_grad:  # a constant: no gradient flows into it
                self.lines.append(f'{src} -> {dst} [id="{edge_id}" color="#b3b6b7" style=dotted dir=none];')
                continue
            steps = [self.step_of[id(n)] for n, _ in uses] or [self.step_of.get(id(t._ctx), 0)]
            self.edge_step[edge_id] = max(steps)
            label = ""
            if uses:
                layer = self._closed_layer(uses[0][0])
                rule = layer_edge_rule(layer, tuple(uses), self.rules) if layer else \
                    "; ".join(dict.fromkeys(self.rules(n, i) for n, i in uses))
                label = f" label=<<I>{escape(rule)}</I>>"
            self.lines.append(f'{src} -> {dst} [id="{edge_id}" dir=back color="{BACK_EDGE}" '
                              f'fontcolor="#a93226"{label}];')


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def complete_steps(trace: Trace) -> dict[int, int]:
    """For each tensor (by id) with a gradient: the step after which that gradient is complete."""
    complete = {id(trace.root): 0}
    for step in trace:
        for c in step.contributions:
            if c.value is not None:
                complete[id(c.input)] = step.number
    return complete
