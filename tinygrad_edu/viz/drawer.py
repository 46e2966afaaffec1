"""Writing the DOT source of a picture: boxes, labels and edges, from a model and a trace.

``graph.py`` decides what to draw (``GraphModel``) and traces backward once; ``Drawer``
turns that into Graphviz source.  The op view labels each backward edge with the op's rule
and upstream × local = contribution; the layer view (``layers=True``) asks
``layer_labels.py`` for each module box and each edge between boxes.  Only reading
happens here: no tensor or ``.grad`` changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import graphviz
import numpy as np

from ..explain import Step, Trace, rule_text
from ..formatting import describe, format_array, format_number, format_options, format_shape
from ..tensor import Tensor
from .labels import escape, escape_lines
from .layer_labels import edge_label, layer_box
from .layers import layer_view
from .model import Edge, GraphModel, GroupItem, OpItem, TensorItem
from .renderer import render

EDGE_SMALL = 3  # edge labels show scalars and vectors up to this many numbers, shapes beyond

# Colours: parameters blue, constants grey, the output yellow, gradients red.
FILL = {"param": "#e3eefa", "const": "#f0f0f0", "result": "#ffffff", "root": "#fff3c4"}
GRAD_FILL, GRAD_TEXT, BACK_EDGE = "#fdebe8", "#a93226", "#c0392b"
FORWARD_EDGE, OP_FILL, GROUP_FILL, MUTED = "#5d6d7e", "#efe6fa", "#e4f4ea", "#6b6b6b"


class GraphPicture(graphviz.Digraph):
    """A ``graphviz.Digraph`` that displays in Jupyter through whichever renderer exists.

    The plain ``Digraph`` calls a program named ``dot``; this one falls back to
    ``graphviz-pure`` when there is no system Graphviz.
    """

    def _repr_image_svg_xml(self) -> str:
        return render(self.source, "svg").decode("utf-8")

    def _repr_image_png(self) -> bytes:
        return render(self.source, "png")


class Drawer:
    """Writes one picture's DOT source from its model and, for the backward view, its trace."""

    def __init__(self, model: GraphModel, trace: Trace | None, show: str, values: bool, grads: bool,
                 rankdir: str, freed: bool = False, page: bool = False, layers: bool = False,
                 rules: Callable[[Any, int], str] = rule_text) -> None:
        self.model, self.trace, self.freed, self.rules = model, trace, freed, rules
        # The layer view: each module box drawn from its declared rule (see layers.py).
        self.layers = {layer.id: layer for layer in layer_view(model.root, trace, model).layers
                       if layer.rule is not None} if layers else {}
        self.show, self.values, self.grads, self.page = show, values, grads, page
        self.step_of_node = {id(s.node): s for s in trace} if trace else {}
        self.parts: dict[int, list[np.ndarray]] = {}  # contributions into each tensor, in order
        for step in trace or ():
            for c in step.contributions:
                if c.value is not None:
                    self.parts.setdefault(id(c.input), []).append(c.value)
        # What the backprop page needs to find on the drawing (see BackwardDot).
        self.node_of_step = {s.number: model.item_id(s.node) for s in trace or ()}
        self.edges_of_step: dict[int, list[str]] = {}
        self.grad_cells: dict[str, Tensor] = {}
        self.picture = self._draw(rankdir)

    def _draw(self, rankdir: str) -> GraphPicture:
        g = GraphPicture(name="tinygrad_edu", graph_attr={
            "rankdir": rankdir, "fontname": "Helvetica", "fontsize": "12", "nodesep": "0.25",
            "ranksep": "0.3" if self.layers else "0.45", "labelloc": "t", "label": self._caption(),
            "bgcolor": "white",
        }, node_attr={"fontname": "Helvetica", "fontsize": "11"},
            edge_attr={"fontname": "Helvetica", "fontsize": "10", "arrowsize": "0.7"})
        clusters: dict[tuple[str, ...], Any] = {}
        for item in self.model.items:
            target = self._cluster(item.place, g, clusters)
            if isinstance(item, TensorItem) and _is_literal(item):
                target.node(item.id, f"<{escape(item.label)}>", shape="box", style="rounded,filled",
                            fillcolor=FILL["const"], color="#b3b6b7", fontsize="10", height="0.25",
                            width="0.3", margin="0.05,0.02", id=item.id)
            elif isinstance(item, TensorItem):
                target.node(item.id, self._tensor_label(item), shape="plain", id=item.id)
            elif isinstance(item, OpItem):
                target.node(item.id, self._op_label(item), shape="box", style="rounded,filled",
                            fillcolor=OP_FILL, color="#8e7cc3", margin="0.08,0.03", id=item.id)
            else:
                target.node(item.id, self._group_label(item), shape="box", style="rounded,filled",
                            fillcolor=GROUP_FILL, color="#52be80", penwidth="1.5", id=item.id)
        for place in sorted(clusters, key=len, reverse=True):  # inner boxes go into outer ones
            (clusters[place[:-1]] if len(place) > 1 else g).subgraph(clusters[place])
        for number, edge in enumerate(self.model.edges, start=1):
            self._edge(g, edge, f"e{number}")
        return g

    def _cluster(self, place: tuple[str, ...], g: Any, clusters: dict) -> Any:
        """The subgraph (module box) for ``place``, created with its parents on first use."""
        if not place:
            return g
        for depth in range(1, len(place) + 1):
            key = place[:depth]
            if key not in clusters:
                clusters[key] = graphviz.Digraph(name=f"cluster_{len(clusters) + 1}", graph_attr={
                    "label": f"<<B>{escape(key[-1])}</B>>", "style": "rounded,dashed",
                    "color": "#7f8c8d", "fontsize": "11", "labeljust": "l"})
        return clusters[place]

    def _caption(self) -> str:
        name = escape(self.model.labels[id(self.model.root)])
        root = self.model.root
        value = f"= {format_number(root.data.item())}" if root.size == 1 else \
            f"(shape {format_shape(root.shape)})"
        # The value stays inside the bold run: Graphviz measures bold text with other metrics
        # than a browser draws it, and a second run placed after it leaves a visible gap.
        if self.show == "forward":
            return f"<<B>Forward graph of {name} {escape(value)}</B>>"
        lines = [f"<B>{'Backward' if self.show == 'backward' else 'Forward and backward'} pass of "
                 f"{name} {escape(value)}</B>"]
        if self.layers:  # short lines: the caption must not be what makes a picture wide
            lines += ["each layer box: its forward in matrix form and the gradients of its parameters;",
                      f"each red arrow: the gradient ∂{name}/∂(input) a layer sends down, by its rule"]
        else:
            lines += [f"red arrows carry ∂{name}/∂(tensor), each labelled with",
                      "the local rule and upstream × local = contribution"]
        if root.size != 1 and (self.trace is None or np.all(self.trace.seed == 1)):
            lines.append(f"seeded with ones: the gradients are those of {name}.sum()")
        elif root.size != 1:  # backward_dot with its own grad=
            lines.append(f"seeded with the grad= given: the gradients are those of ({name} · grad).sum()")
        if self.freed:
            lines += ["no numbers: a backward() from another output freed this graph;",
                      "draw before that backward(), or call it with retain_graph=True"]
        elif not root.requires_grad:
            lines.append(f"{name} does not require grad: there is no backward pass")
        return "<" + "<BR/>".join(lines) + ">"

    # -- node labels ------------------------------------------------------------------------
    def _tensor_label(self, item: TensorItem) -> str:
        t = item.tensor
        rows = [self._title_row(item)]
        if self.values:
            rows.append(f'<TR><TD ALIGN="LEFT" BALIGN="LEFT"><FONT FACE="Courier" POINT-SIZE="10">'
                        f"{escape_lines(format_array(t.data))}</FONT></TD></TR>")
        grad = self._grad_text(t)
        if grad is not None:
            rows.append(self._grad_row(item, grad))
        return (f'<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" STYLE="rounded" '
                f'COLOR="#7f8c8d" BGCOLOR="{FILL[item.kind]}">{"".join(rows)}</TABLE>>')

    def _title_row(self, item: TensorItem) -> str:
        t = item.tensor
        kind = {"param": "leaf", "const": "constant", "root": "output", "result": ""}[item.kind]
        meta = f"{format_shape(t.shape)} {t.dtype}" + (f" · {kind}" if kind else "")
        return (f'<TR><TD ALIGN="LEFT"><B>{escape(item.label)}</B>  '
                f'<FONT POINT-SIZE="9" COLOR="{MUTED}">{escape(meta)}</FONT></TD></TR>')

    def _grad_text(self, t: Tensor) -> str | None:
        """``grad = ...`` for this tensor, or None when there is none to show."""
        if not self.grads:
            return None
        if self.trace is not None:
            g = self.trace.grad(t)
            if g is None:
                return None
            parts = self.parts.get(id(t), [])
            if len(parts) > 1 and _fits(g):
                return "grad = " + " + ".join(describe(p) for p in parts) + f" = {describe(g)}"
            prefix = f"grad (sum of {len(parts)} contributions) =" if len(parts) > 1 else "grad ="
            return _titled(prefix, g)
        if t.grad is not None:
            return _titled("grad =", t.grad.data)
        return None

    def _grad_row(self, item: TensorItem, grad: str) -> str:
        """The red gradient row; on the backprop page it gets an id so the page can reveal it."""
        extra = ""
        if self.page:
            cell = f"{item.id}_grad"
            self.grad_cells[cell] = item.tensor
            extra = f' ID="{cell}" HREF="#{cell}"'  # Graphviz only keeps cell ids on links
        return (f'<TR><TD ALIGN="LEFT" BALIGN="LEFT" BGCOLOR="{GRAD_FILL}"{extra}><FONT FACE="Courier" '
                f'POINT-SIZE="10" COLOR="{GRAD_TEXT}">{escape_lines(grad)}</FONT></TD></TR>')

    def _op_label(self, item: OpItem) -> str:
        node = item.node
        options = format_options(node.options)
        extra = f'<BR/><FONT POINT-SIZE="9">{escape(options)}</FONT>' if options else ""
        return f"<<B>{escape(node.name)}</B>{extra}>"

    def _group_label(self, item: GroupItem) -> str:
        """A folded module call: its name, its ops, and the parameters only it uses."""
        if item.id in self.layers:
            layer = self.layers[item.id]
            params = {role: leaf.tensor.data for leaf in item.folded for role in ("W", "b")
                      if layer.tensors.get(role) == leaf.label}
            return layer_box(layer, params, self.trace is not None and self.show != "forward")
        count = f"{len(item.nodes)} op{'s' if len(item.nodes) > 1 else ''}"
        ops = " → ".join(n.name for n in item.nodes)
        rows = [f'<TR><TD ALIGN="LEFT"><B>{escape(item.scope[-1])}</B></TD></TR>',
                f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="9" COLOR="{MUTED}">{count}: {escape(ops)}'
                "</FONT></TD></TR>"]
        for leaf in item.folded:
            t = leaf.tensor
            if _is_literal(leaf):
                rows.append(f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="9" COLOR="{MUTED}">constant '
                            f"{escape(leaf.label)}</FONT></TD></TR>")
                continue
            meta = f"{format_shape(t.shape)} {t.dtype}"
            rows.append(f'<TR><TD ALIGN="LEFT" BGCOLOR="{FILL[leaf.kind]}"><B>{escape(leaf.label)}</B>  '
                        f'<FONT POINT-SIZE="9" COLOR="{MUTED}">{escape(meta)}</FONT></TD></TR>')
            if self.values:
                rows.append(f'<TR><TD ALIGN="LEFT" BALIGN="LEFT" BGCOLOR="{FILL[leaf.kind]}">'
                            f'<FONT FACE="Courier" POINT-SIZE="10">{escape_lines(format_array(t.data))}'
                            "</FONT></TD></TR>")
            grad = self._grad_text(t)
            if grad is not None:
                rows.append(self._grad_row(leaf, grad))
        return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2">{"".join(rows)}</TABLE>>'

    # -- edges ---------------------------------------------------------------------------------
    def _edge(self, g: Any, edge: Edge, edge_id: str) -> None:
        forward = self.show in ("forward", "both")
        backward = self.show in ("backward", "both")
        if forward:
            g.edge(edge.src, edge.dst, color=FORWARD_EDGE, id=f"{edge_id}f" if backward else edge_id)
        if not backward:
            return
        attrs = {"dir": "back", "color": BACK_EDGE, "fontcolor": GRAD_TEXT, "id": edge_id}
        if forward:
            attrs.update(style="dashed")  # a layout edge too: dot then keeps its label clear of others
        if not edge.uses:  # op -> its output: the upstream gradient enters the op here
            maker = self.step_of_node.get(id(edge.tensor._ctx))
            if maker is not None:
                self.edges_of_step.setdefault(maker.number, []).append(edge_id)
            g.edge(edge.src, edge.dst, **attrs)
            return
        if not edge.tensor.requires_grad:  # a constant: no gradient flows into it
            g.edge(edge.src, edge.dst, color="#b3b6b7", style="dotted", dir="none",
                   id=edge_id, **({"constraint": "false"} if forward else {}))
            return
        for node, _ in edge.uses:
            step = self.step_of_node.get(id(node))
            if step is not None:
                self.edges_of_step.setdefault(step.number, []).append(edge_id)
        g.edge(edge.src, edge.dst, label=self._chain_label(edge), **attrs)

    def _chain_label(self, edge: Edge) -> str:
        """The chain rule on one edge: the local rule, then upstream × local = contribution."""
        into = self.model.item_of_node[id(edge.uses[0][0])]
        if into.id in self.layers:  # the layer view: the rule this layer sends back to its input
            layer = self.layers[into.id]
            label = self.model.labels[id(edge.tensor)]
            quantity = next((q for q in layer.grads if layer.tensors.get(q.role) == label), None)
            if quantity is not None:
                return edge_label(quantity)
        if len(edge.uses) == 1 and not isinstance(self.model.item_of_node[id(edge.uses[0][0])],
                                                  GroupItem):
            node, index = edge.uses[0]
            rule = self.rules(node, index)
            step = self.step_of_node.get(id(node))
            lines = [f'<I>{escape(rule)}</I>']
            if step is not None:
                lines.append(escape(_product(step, index)))
            return "<" + "<BR/>".join(lines) + ">"
        group = self.model.item_of_node[id(edge.uses[0][0])]
        name = group.scope[-1] if isinstance(group, GroupItem) else edge.uses[0][0].name
        lines = [f"<I>through {escape(name)}</I>"]
        values = [_contribution(self.step_of_node.get(id(n)), i) for n, i in edge.uses]
        if values and all(v is not None for v in values):
            total = np.sum([np.asarray(v, dtype=np.float64) for v in values], axis=0)
            lines.append(escape(f"contribution = {_short(total)}"))
        return "<" + "<BR/>".join(lines) + ">"


def _contribution(step: Step | None, index: int) -> np.ndarray | None:
    return None if step is None else step.contributions[index].value


def _product(step: Step, index: int) -> str:
    """``upstream × local = contribution`` with numbers when small, shapes otherwise."""
    c = step.contributions[index]
    if c.value is None:
        return "no gradient"
    up = step.upstream
    if c.local is not None:
        sign = "×" if up.size == 1 and c.local.size == 1 else "⊙"
        if _fits(up) and _fits(c.value):
            local = describe(c.local)
            local = f"({local})" if local.startswith("-") else local
            return f"{describe(up)} {sign} {local} = {describe(c.value)}"
        return f"upstream {format_shape(up.shape)} {sign} local = {format_shape(c.value.shape)}"
    if _fits(up) and _fits(c.value):
        return f"{describe(up)} ↦ {describe(c.value)}"
    return f"upstream {format_shape(up.shape)} ↦ {format_shape(c.value.shape)}"


def _is_literal(item: TensorItem) -> bool:
    """An unnamed one-element constant (the 2 in ``x * 2``): drawn as just its value."""
    t = item.tensor
    return item.kind == "const" and t.size == 1 and not t.name


def _fits(array: np.ndarray) -> bool:
    """Small enough to print on an edge: a scalar or a vector of at most EDGE_SMALL numbers."""
    return array.ndim <= 1 and array.size <= EDGE_SMALL


def _short(array: np.ndarray) -> str:
    return describe(array) if _fits(array) else format_shape(array.shape)


def _titled(prefix: str, array: np.ndarray) -> str:
    text = format_array(array)
    return f"{prefix} {text}" if "\n" not in text and len(text) < 40 else f"{prefix}\n{text}"



