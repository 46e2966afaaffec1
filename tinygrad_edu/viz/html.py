"""The backprop explorer: one self-contained HTML file, no network needed.

``save_backprop_html`` traces the backward pass once (``tg.explain``), finds the layers
(``explorer_views.find_layers``), draws one SVG per choice of open layers and writes a page
that steps through backprop (Previous/Next, slider, keys, auto-play), opens and closes layers on a click,
finds tensors by name, shows each element's rule and numbers on hover and pans and zooms.
Its script and style are the files ``explorer.js`` and ``explorer.css`` next to this one.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Callable
from itertools import combinations
from pathlib import Path
from typing import Any

from ..autograd import GraphFreedError
from ..explain import explain, replay, rule_text
from ..formatting import describe
from ..richdisplay import HtmlPage
from ..tensor import Tensor
from .explorer_forward import MAIN, SWITCH, forward_part
from .explorer_text import edge_card, layer_card, op_card, running_grads, step_panel, tensor_card
from .explorer_views import Layer, View, complete_steps, draw_view, find_layers, with_layer_rules
from .graph import GraphTooLarge
from .layers import layer_view
from .renderer import render

# Up to 2**3 = 8 drawings: every choice of open layers is pre-drawn.  Beyond, one layer opens
# at a time (n + 2 drawings), which keeps the page small (one drawing is 30-60 kB).
MAX_COMBINED_LAYERS = 3
ASSETS = Path(__file__).parent
CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"


class BackpropPage(HtmlPage):
    """The explorer page as text (``.html``); in Jupyter it displays inline, in a sandboxed
    iframe (``allow-scripts`` only: an opaque origin, and the page's CSP forbids requests)."""


def save_backprop_html(tensor: Tensor, path: str | os.PathLike[str], *, collapse: bool = True,
                       max_nodes: int = 200, rankdir: str = "BT",
                       rules: Callable[[Any, int], str] | None = None, forward: bool = False,
                       tangents: Any = None) -> str:
    """Write the backprop explorer for ``tensor`` to ``path`` and return the path.

    ``backprop_page`` takes the same arguments and returns the page instead.
    """
    return backprop_page(tensor, collapse=collapse, max_nodes=max_nodes, rankdir=rankdir,
                         rules=rules, forward=forward, tangents=tangents).save(path)


def backprop_page(tensor: Tensor, *, collapse: bool = True, max_nodes: int = 200, rankdir: str = "BT",
                  rules: Callable[[Any, int], str] | None = None, forward: bool = False,
                  tangents: Any = None) -> BackpropPage:
    """The backprop explorer for ``tensor`` as a ``BackpropPage`` (shown inline in Jupyter).

    The page opens on the layer view (each module call one box) with ``collapse=True``, or
    with every layer open; a click on a layer opens or closes it.  Steps are exactly those of
    ``tg.explain(tensor)``, in the engine's order.  The file is self-contained (inline SVG,
    CSS and script; a Content-Security-Policy forbids any request).  ``rankdir="BT"`` puts the
    output on top, so backprop runs down the page.  ``rules(node, index)`` gives the rule
    texts (``viz.rule_names.named_rules`` writes the inputs' names in).  Called after a plain
    ``backward()``, it shows the numbers that backward computed.  Needs a Graphviz renderer.

    ``forward=True`` adds the other direction: a switch between *Backward (gradients)* and
    *Forward (tangents)*, the second stepping through forward mode op by op, inputs first,
    with each op's jvp rule and numbers (``explorer_forward.py``).  ``tangents`` seeds it as
    in ``viz.draw_modes`` (by default ones for the first leaf that requires grad).  Forward
    mode walks the graph, so such a page must be made before a plain ``backward()``.
    """
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"backprop_page (and save_backprop_html): rankdir must be 'LR', 'RL', 'TB' "
                         f"or 'BT', got {rankdir!r}")
    try:
        trace = explain(tensor)  # raises a clear error for a non-scalar tensor
    except GraphFreedError:  # a plain backward() ran: the numbers it kept (explain.replay)
        trace = replay(tensor)
    rules = rules or rule_text
    layers = with_layer_rules(find_layers(trace), layer_view(tensor, trace))
    all_open = frozenset(layer.index for layer in layers)
    views = {_key(chosen): draw_view(trace, layers, chosen, rules, rankdir) for chosen in _choices(layers)}
    boxes = len(_boxes(views[_key(all_open)]))
    if boxes > max_nodes:  # refused before anything is rendered
        raise GraphTooLarge(f"the graph of {trace.label(tensor)} has {boxes} boxes with every layer open, "
                            f"more than max_nodes={max_nodes}: draw a smaller part, or pass a larger "
                            "max_nodes=")
    svgs = {key: _svg(view) for key, view in views.items()}
    data = _page_data(trace, layers, views, rules, "" if collapse else _key(all_open))
    extra = _forward_extra(tensor, tangents, rankdir, trace, data) if forward else _NO_FORWARD
    name = trace.label(tensor)
    title = f"Backprop, step by step: {name} = {describe(tensor.data)}"
    templates = "\n".join(f'<template id="view-{key or "closed"}">{svg}</template>'
                          for key, svg in svgs.items()) + extra["views"]
    parts = {"title": html.escape(title), "csp": CSP, "count": str(len(trace)), "views": templates,
             "data": _script_json(data),
             "style": (ASSETS / "explorer.css").read_text(encoding="utf-8") + extra["style"],
             "script": (ASSETS / "explorer.js").read_text(encoding="utf-8") + extra["script"],
             "forward_switch": extra["switch"], "forward_main": extra["main"]}
    # One pass, so text inside the SVG (a tensor named "{{data}}") is never substituted again.
    page = re.sub(r"\{\{(\w+)\}\}", lambda m: parts[m.group(1)], _TEMPLATE)
    return BackpropPage(page, title)


# -- the forward direction (forward=True): markup, view, style and script, all added ----------------
_NO_FORWARD = {"views": "", "style": "", "script": "", "switch": "", "main": ""}


def _forward_extra(tensor: Tensor, tangents: Any, rankdir: str, trace: Any,
                   data: dict[str, Any]) -> dict[str, str]:
    """The page's forward-mode part; its data goes into ``data["forward"]`` (one data block)."""
    part = forward_part(tensor, tangents, rankdir, trace.graph)
    data["forward"] = part.data
    svg = _svg_of(part.source)
    count = str(len(part.data["steps"]))
    return {"views": f'\n<template id="view-tangents">{svg}</template>',
            "style": (ASSETS / "explorer_forward.css").read_text(encoding="utf-8"),
            "script": (ASSETS / "explorer_forward.js").read_text(encoding="utf-8"),
            "switch": SWITCH.replace("{count}", count), "main": MAIN}


def _choices(layers: list[Layer]) -> list[frozenset[int]]:
    """Which sets of open layers get a drawing: all of them for a few layers; otherwise
    all closed, each one alone and all open (the page says when it shows a fallback)."""
    indices = [layer.index for layer in layers]
    if len(indices) <= MAX_COMBINED_LAYERS:
        return [frozenset(c) for k in range(len(indices) + 1) for c in combinations(indices, k)]
    return [frozenset(), *(frozenset([i]) for i in indices), frozenset(indices)]


def _key(open_layers: frozenset[int]) -> str:
    return "-".join(str(i) for i in sorted(open_layers))


def _boxes(view: View) -> set[str]:
    return set(view.element_of_tensor.values()) | set(view.step_element)


def _svg(view: View) -> str:
    return _svg_of(view.source)


def _svg_of(source: str) -> str:
    svg = render(source, "svg").decode("utf-8")
    svg = svg[svg.index("<svg"):]  # drop the XML prologue and doctype
    # Graphviz's comments and tooltips repeat the ids; the hover cards say more.
    return re.sub(r"<!--.*?-->\n?|<title>[^<]*</title>\n?", "", svg)


def _page_data(trace: Any, layers: list[Layer], views: dict[str, View],
               rules: Callable[[Any, int], str], start: str) -> dict[str, Any]:
    """Everything the script needs: steps, views (what is where), hover cards, gradients."""
    complete = complete_steps(trace)
    cards: dict[str, Any] = {}
    for k, t in enumerate(trace.tensors):
        cards[f"t{k}"] = tensor_card(trace, t, complete)
        if t._ctx is not None:
            cards[f"op{k}"] = op_card(trace, t._ctx, rules)
    for layer in layers:
        cards[f"L{layer.index}"] = layer_card(trace, layer, complete)
    index = {id(t): k for k, t in enumerate(trace.tensors)}
    view_data = {}
    for key, view in views.items():
        for edge_id, (t, uses) in view.edges.items():
            cards.setdefault(edge_id, edge_card(trace, t, uses, rules))
        view_data[key] = {"steps": view.step_element, "edges": view.edge_step,
                          "where": {f"t{index[i]}": e for i, e in view.element_of_tensor.items()}}
    cells = {f"a_t{index[i]}_grad": step for i, step in complete.items() if i in index}
    return {
        "intro": _intro(trace),
        "steps": [{"title": f"Step {s.number} of {len(trace)} · {s.op}", "text": step_panel(s, rules)}
                  for s in trace],
        "views": view_data, "start": start, "root": f"t{index[id(trace.root)]}",
        "cards": cards, "cells": cells,
        "layers": [{"index": layer.index, "name": layer.name} for layer in layers],
        "tensors": [{"id": f"t{k}", "name": trace.label(t)} for k, t in enumerate(trace.tensors)],
        "grads": running_grads(trace),
    }


def _intro(trace: Any) -> str:
    name = trace.label(trace.root)
    return (f"The forward pass has run: {name} = {describe(trace.root.data)}.\n"
            f"Backward starts from the seed ∂{name}/∂{name} = {describe(trace.seed)} and visits "
            f"{len(trace)} ops, from the output (top) down to the leaves, in the order the engine "
            "runs them.\n\nPress Next (or →) to run the first step. Click a green layer box to "
            "open it; hover anything for its rule and numbers; drag to pan, wheel to zoom.")


def _script_json(data: Any) -> str:
    """JSON that is safe inside a <script> element: no ``<``, ``>`` or ``&`` can end it early."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{csp}}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{title}}</title>
<style>
{{style}}</style>
</head>
<body>
<header>
  <h1 id="title">{{title}}</h1>{{forward_switch}}
  <div class="controls">
    <button id="prev" type="button" title="previous step (←)">◀ Previous</button>
    <input id="slider" type="range" min="0" max="{{count}}" value="0" step="1" aria-label="backward step">
    <button id="next" type="button" title="next step (→)">Next ▶</button>
    <button id="play" type="button" title="play backprop step by step (space)"
            aria-pressed="false">▶ Play</button>
    <select id="speed" aria-label="auto-play speed" title="auto-play speed">
      <option value="2000">slow</option><option value="1000" selected>1 step/s</option>
      <option value="300">fast</option></select>
    <span id="counter">Step 0 of {{count}}</span>
    <span id="layer-controls"><span class="sep"></span>
      <button id="open-all" type="button" title="show every op">Open all layers</button>
      <button id="close-all" type="button" title="one box per layer">Close all layers</button></span>
    <span class="sep"></span>
    <input id="search" type="search" placeholder="find a tensor…" aria-label="find a tensor by name"
           autocomplete="off">
    <span id="search-result"></span>
    <span class="sep"></span>
    <button id="zoom-out" type="button" title="zoom out (-)">−</button>
    <button id="zoom-fit" type="button" title="fit the graph (0)">Fit</button>
    <button id="zoom-in" type="button" title="zoom in (+)">+</button>
  </div>
</header>
<main>
  <div id="graph" tabindex="0" aria-label="the graph: drag to pan, wheel to zoom"><div id="canvas"></div>
    <div id="view-note"></div></div>
  <aside id="panel">
    <h2 id="step-title">Before backward</h2>
    <pre id="step-text"></pre>
    <h3>Gradients so far</h3>
    <pre id="grads-so-far"></pre>
  </aside>
</main>{{forward_main}}
<div id="card" role="tooltip"></div>
{{views}}
<script id="explorer-data" type="application/json">{{data}}</script>
<script>
{{script}}</script>
</body>
</html>
"""
