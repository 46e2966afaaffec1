"""Graph pictures: ``draw_graph`` turns a tensor's recorded graph into a Graphviz diagram.

The forward view shows tensors (name, shape, dtype, value, gradient) and the ops between
them.  The backward view keeps the same layout and reverses the arrows: gradient flows from
the output to the leaves, and every edge carries the chain rule -- the op's local rule and
upstream × local = contribution (the op view), or a layer's matrix rule (the layer view) --
taken from ``tg.explain``, i.e. from the engine's own backward pass (or, after a plain
``backward()``, from what that pass kept: ``explain.replay``).  Each picture reads one
``explain.Graph`` (one walk) and at most one ``Trace``; ``drawer.py`` writes the DOT.
Only reading happens here: no tensor or ``.grad`` changes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..autograd import GraphFreedError
from ..explain import Graph, Trace, explain, read_graph, replay, rule_text
from ..tensor import Tensor
from .drawer import Drawer, GraphPicture
from .model import GraphModel
from .renderer import HOW_TO_GET_ONE, RendererNotFound, find_renderer, render

SHOWS = ("forward", "backward", "both")


class GraphTooLarge(ValueError):
    """The graph has more nodes than ``max_nodes``: a picture that big would be unreadable."""


def draw_graph(tensor: Tensor, *, show: str = "forward", values: bool = True, grads: bool = True,
               rankdir: str | None = None, max_nodes: int = 200, collapse: bool = True,
               view: str | None = None, expand: Collection[str] = (),
               rules: Callable[[Any, int], str] = rule_text) -> GraphPicture:
    """Draw the graph that computed ``tensor``; returns a ``graphviz.Digraph`` (Jupyter shows it).

    ``show="forward"`` draws the computation; ``"backward"`` draws gradient flowing from
    ``tensor`` back to the leaves, each edge labelled with the op's local rule and
    upstream × local = contribution (numbers for tensors of at most 4 elements, shapes
    otherwise); ``"both"`` overlays the two.  ``values`` / ``grads`` add each tensor's value
    and gradient (the whole value up to 16 elements, summary statistics beyond).  In the
    forward view the gradient is ``.grad`` (leaves, after ``backward()``); in the backward view
    it is every tensor's gradient from the traced pass, shown as a sum when a tensor is
    used more than once.  A non-scalar ``tensor`` is seeded with ones (the gradient of its
    sum).

    ``view="layers"`` (the default for a graph made by modules) draws each layer call as
    one box with its forward in matrix form (``z1 = x·W1ᵀ + b1``) and its backward rules
    (``∂L/∂W1 = δᵀ·x``) with the engine's numbers -- see ``viz.layers.layer_view``;
    ``expand=["fc1"]`` opens the named layers into their primitive ops.  ``view="ops"``
    draws ops: with ``collapse=True`` each module call is one box, ``collapse=False`` shows
    every op.  ``rankdir`` defaults to bottom-to-top for layers and deep graphs (the output
    on top, where reading starts) and left-to-right for small ones.  A picture over
    ``max_nodes`` nodes raises ``GraphTooLarge`` instead.  After a plain ``backward()`` the
    numbers are the ones that backward computed (kept on the freed graph, see
    ``explain.replay``).  ``rules(node, index)`` gives the rule text on each edge (the command
    line passes ``viz.rule_names.named_rules``, which writes the inputs' own names in).  A
    step made by ``tg.compile`` is drawn as its program (its ``step.graph``: one oval per line
    of ``step.source``).
    """
    if not isinstance(tensor, Tensor) and hasattr(tensor, "program"):  # a tg.compile'd step
        return tensor.graph  # its program: one oval per line of step.source
    _check_arguments(tensor, show, rankdir, view)
    graph = read_graph(tensor)
    view = view or ("layers" if collapse and any(t._ctx.scope for t in graph.tensors
                                                 if t._ctx is not None) else "ops")
    model = _model(graph, collapse or view == "layers", max_nodes, expand, view)  # size first
    trace, freed = None, False
    if show != "forward" and tensor.requires_grad:
        try:
            trace = explain(tensor, grad=np.ones(tensor.shape, dtype=tensor.dtype), graph=graph)
        except GraphFreedError:  # a plain backward() ran: draw the numbers it kept
            try:
                trace = replay(tensor, graph=graph)
            except GraphFreedError:  # freed by another backward: the rules without numbers
                freed = True
    return Drawer(model, trace, show, values, grads, rankdir or _reading_direction(model, view),
                  freed, layers=view == "layers", rules=rules).picture


def save_graph(tensor: Tensor, path: str | os.PathLike[str], **options: Any) -> str:
    """Draw ``tensor``'s graph and write it to ``path``: ``.svg``, ``.png``, ``.pdf`` or ``.dot``.

    ``options`` are those of ``draw_graph``.  Returns the path written.  Without a Graphviz
    renderer, the DOT source is written next to ``path`` (``.dot``) and ``RendererNotFound``
    says how to get a renderer.
    """
    path = os.fspath(path)
    fmt = os.path.splitext(path)[1].lower().lstrip(".")
    if fmt not in ("svg", "png", "pdf", "dot", "gv"):
        raise ValueError(f"save_graph: cannot tell the format from {path!r}; end the file name "
                         "with .svg, .png, .pdf or .dot")
    source = draw_graph(tensor, **options).source
    if fmt in ("dot", "gv"):
        data = source.encode("utf-8")
    else:
        command = find_renderer()
        if command is None:
            fallback = os.path.splitext(path)[0] + ".dot"
            with open(fallback, "w", encoding="utf-8") as f:
                f.write(source)
            raise RendererNotFound(f"cannot write {path}: no Graphviz renderer found; the DOT source "
                                   f"was written to {fallback} instead. To render, {HOW_TO_GET_ONE}", source)
        if fmt == "pdf" and "graphviz-pure" in os.path.basename(command[0]):
            raise ValueError("save_graph: graphviz-pure cannot write PDF yet; save as .svg or .png, "
                             "or install Graphviz (which provides dot) for PDF")
        data = render(source, fmt, command)
    with open(path, "wb") as f:
        f.write(data)
    return path


@dataclass(frozen=True)
class BackwardDot:
    """The backward picture's DOT source, its trace, and which drawn elements each step owns."""

    source: str
    trace: Trace
    node_of_step: dict[int, str]  # step number -> id of the op (or module box) that runs it
    edges_of_step: dict[int, list[str]]  # step number -> ids of the edges its gradient flows along
    grad_cells: dict[str, Tensor]  # id of a gradient cell -> the tensor whose gradient it shows


def backward_dot(tensor: Tensor, grad: Any = None, *, values: bool = True, grads: bool = True,
                 rankdir: str | None = None, max_nodes: int = 200, collapse: bool = True,
                 view: str = "ops", expand: Collection[str] = ()) -> BackwardDot:
    """The backward view of ``draw_graph`` as DOT source, with the ids a step-through page needs.

    It runs ``tg.explain(tensor, grad)`` once -- or, after a plain ``backward()``, replays
    the numbers that backward kept (``explain.replay``) -- and draws that trace, giving every
    gradient cell an id (as a link: Graphviz keeps ids only there).  ``BackwardDot`` says
    which op box, which edges and which gradient cells belong to each backward step; the
    options are those of ``draw_graph``.
    """
    try:
        trace = explain(tensor, grad)
    except GraphFreedError:  # a plain backward() ran: the numbers it kept, if they are this seed's
        trace = replay(tensor, grad)
    _check_arguments(tensor, "backward", rankdir, view)
    model = _model(trace.graph, collapse or view == "layers", max_nodes, expand, view)
    drawer = Drawer(model, trace, "backward", values, grads,
                    rankdir or _reading_direction(model, view), page=True, layers=view == "layers")
    return BackwardDot(drawer.picture.source, trace, drawer.node_of_step, drawer.edges_of_step,
                       drawer.grad_cells)


# -- checks and choices ------------------------------------------------------------------------
def _check_arguments(tensor: Tensor, show: str, rankdir: str | None, view: str | None) -> None:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"draw_graph() takes a Tensor, got {type(tensor).__name__}")
    if show not in SHOWS:
        raise ValueError(f"draw_graph: show must be one of {SHOWS}, got {show!r}")
    if rankdir not in (None, "LR", "RL", "TB", "BT"):
        raise ValueError(f"draw_graph: rankdir must be 'LR', 'RL', 'TB' or 'BT', got {rankdir!r}")
    if view not in (None, "layers", "ops"):
        raise ValueError(f"draw_graph: view must be 'layers' (one box per layer call) or 'ops' "
                         f"(every primitive op), got {view!r}")


def _reading_direction(model: GraphModel, view: str) -> str:
    """Bottom to top: the output on top, where reading starts, and the backward pass running
    down the page.  Only a graph of one op runs left to right (it is short either way)."""
    depth: dict[int, int] = {}
    for t in model.tensors:  # parents first, so each depth is known when needed
        depth[id(t)] = 0 if t._ctx is None else 1 + max(depth.get(id(p), 0) for p in t._ctx.inputs)
    return "BT" if view == "layers" or max(depth.values()) > 1 else "LR"


def _model(graph: Graph, collapse: bool, max_nodes: int, expand: Collection[str] = (),
           view: str = "ops") -> GraphModel:
    """What will be drawn; a picture of more than ``max_nodes`` boxes is refused."""
    if isinstance(expand, str):
        raise TypeError(f"draw_graph: expand takes a list of layer names, e.g. expand=[{expand!r}]")
    calls = {label for t in graph.tensors if t._ctx is not None for label in t._ctx.scope}
    names = calls | {label.split(": ", 1)[0] for label in calls}
    unknown = [name for name in expand if name not in names]
    if unknown:
        raise ValueError(f"draw_graph: expand={unknown!r} names no module call of this graph; "
                         f"its calls are {', '.join(sorted(calls)) or 'none (no modules were used)'}")
    model = GraphModel(graph.root, collapse=collapse, graph=graph, expand=expand,
                       between=view != "layers")
    if model.node_count > max_nodes:
        raise GraphTooLarge(
            f"the graph of {model.labels[id(graph.root)]} has {model.node_count} nodes to "
            f"draw, more than max_nodes={max_nodes}: a picture that big is unreadable. Draw a "
            "smaller part (for example one layer's output), keep collapse=True so each module "
            "call is one box, or pass a larger max_nodes="
        )
    return model
