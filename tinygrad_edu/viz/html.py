"""The step-through backprop page: one self-contained HTML file, no network needed.

``save_backprop_html`` draws the backward view of the graph (SVG, embedded inline) with
``backward_dot``, whose one ``tg.explain`` trace also gives the steps, and writes a page
whose Previous/Next buttons, slider and arrow keys walk through the backward pass: the
current op is highlighted, gradients appear on the graph as they are computed, and a side
panel prints that step of the trace.
"""

from __future__ import annotations

import html
import json
import os
import re
from typing import Any

import numpy as np

from ..explain import Trace
from ..formatting import describe, format_array, format_shape
from ..tensor import Tensor
from .graph import BackwardDot, backward_dot
from .renderer import render


def save_backprop_html(tensor: Tensor, path: str | os.PathLike[str], *, collapse: bool = False,
                       max_nodes: int = 200, rankdir: str = "TB", rules: Any = None) -> str:
    """Write the step-through page for the backward pass of ``tensor`` to ``path``.

    The file is self-contained (inline SVG, CSS and script; no fonts or network).  Steps
    are exactly those of ``tg.explain(tensor)``, in the engine's order.  Every op is drawn
    (``collapse=False``) unless asked otherwise.  Call it before ``backward()`` or after
    ``backward(retain_graph=True)``: the page needs the graph, which a plain ``backward()``
    frees.  Needs a Graphviz renderer (see ``viz.find_renderer``).  Returns the path.
    """
    # explain() inside raises a clear error for a freed graph or a non-scalar tensor.
    drawing = backward_dot(tensor, rankdir=rankdir, max_nodes=max_nodes, collapse=collapse)
    trace = drawing.trace
    svg = render(drawing.source, "svg").decode("utf-8")
    svg = svg[svg.index("<svg"):]  # drop the XML prologue and doctype
    data = _page_data(trace, drawing)
    name = trace.label(tensor)
    title = f"Backprop, step by step: {name} = {describe(tensor.data)}"
    parts = {"title": html.escape(title), "svg": svg, "count": str(len(trace)),
             "data": _script_json(data)}
    # One pass, so text inside the SVG (a tensor named "{{data}}") is never substituted again.
    page = re.sub(r"\{\{(\w+)\}\}", lambda m: parts[m.group(1)], _TEMPLATE)
    path = os.fspath(path)
    with open(path, "w", encoding="utf-8") as f:
        f.write(page)
    return path


def _page_data(trace: Trace, drawing: BackwardDot) -> dict[str, Any]:
    """Everything the script needs, per step: which node to light up, which edges, which text."""
    root_label = trace.label(trace.root)
    steps = []
    for step in trace:
        steps.append({
            "title": f"Step {step.number} of {len(trace)} · {step.op}",
            "text": str(step),
            "node": drawing.node_of_step[step.number],
            "edges": drawing.edges_of_step.get(step.number, []),
        })
    return {
        "root": root_label,
        "intro": _intro(trace),
        "steps": steps,
        "cells": _grad_cells(trace, drawing),
        "grads": _running_grads(trace),
    }


def _grad_cells(trace: Trace, drawing: BackwardDot) -> dict[str, int]:
    """For each gradient cell on the graph: after which step the gradient there is complete."""
    complete: dict[int, int] = {id(trace.root): 0}
    for step in trace:
        for c in step.contributions:
            if c.value is not None:
                complete[id(c.input)] = step.number
    # Graphviz wraps a table cell that has an ID (and a link) in <g id="a_ID">.
    return {f"a_{cell}": complete[id(t)] for cell, t in drawing.grad_cells.items() if id(t) in complete}


def _running_grads(trace: Trace) -> list[dict[str, Any]]:
    """Each tensor's gradient as it builds up: one event per contribution, with the running sum."""
    root = trace.root
    d = f"∂{trace.label(root)}/∂"
    tensors: dict[int, dict[str, Any]] = {
        id(root): {"name": d + trace.label(root), "events": [[0, _one_line(trace.seed), 1, 1]]}}
    counts: dict[int, int] = {}
    totals: dict[int, int] = {}
    for step in trace:
        for c in step.contributions:
            if c.value is not None:
                totals[id(c.input)] = totals.get(id(c.input), 0) + 1
    for step in trace:
        sums = list(step.sums)
        for c in step.contributions:
            if c.value is None:
                continue
            key = id(c.input)
            counts[key] = counts.get(key, 0) + 1
            running = c.value
            if counts[key] > 1:
                match = next((s for s in sums if s.tensor is c.input), None)
                if match is not None:
                    sums.remove(match)
                    running = match.total
            entry = tensors.setdefault(key, {"name": d + c.label, "events": []})
            entry["events"].append([step.number, _one_line(running), counts[key], totals[key]])
    return list(tensors.values())


def _intro(trace: Trace) -> str:
    name = trace.label(trace.root)
    return (f"The forward pass has run: {name} = {describe(trace.root.data)}.\n"
            f"Backward starts from the seed ∂{name}/∂{name} = {describe(trace.seed)} and visits "
            f"{len(trace)} ops, from the output back to the leaves, in the order the engine "
            "runs them.\n\nPress Next (or →) to run the first step.")


def _one_line(array: np.ndarray) -> str:
    if array.size <= 16:
        return describe(array)
    return f"{format_shape(array.shape)}: " + format_array(array).split(": ", 1)[1]


def _script_json(data: Any) -> str:
    """JSON that is safe inside a <script> element: no ``<``, ``>`` or ``&`` can end it early."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{title}}</title>
<style>
  body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
         color: #222; background: #fafafa; }
  header { padding: 10px 16px; background: #fff; border-bottom: 1px solid #ddd;
           display: flex; flex-wrap: wrap; align-items: center; gap: 12px; }
  header h1 { font-size: 17px; margin: 0 16px 0 0; font-weight: 600; }
  button { font-size: 14px; padding: 5px 12px; border: 1px solid #999; border-radius: 5px;
           background: #f4f4f4; cursor: pointer; }
  button:disabled { opacity: 0.4; cursor: default; }
  #slider { width: 260px; }
  #counter { font-variant-numeric: tabular-nums; min-width: 110px; }
  .hint { color: #777; font-size: 12px; }
  main { display: flex; align-items: flex-start; gap: 12px; padding: 12px; }
  #graph { flex: 1 1 auto; min-width: 0; background: #fff; border: 1px solid #ddd;
           border-radius: 6px; padding: 6px; overflow: auto; max-height: calc(100vh - 90px); }
  #graph a { pointer-events: none; cursor: default; }
  #panel { flex: 0 0 430px; background: #fff; border: 1px solid #ddd; border-radius: 6px;
           padding: 10px 14px; max-height: calc(100vh - 90px); overflow: auto; }
  #panel h2 { font-size: 16px; margin: 4px 0 8px; color: #b9770e; }
  #panel h3 { font-size: 13px; margin: 14px 0 4px; color: #555; }
  pre { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px;
        white-space: pre-wrap; margin: 0; line-height: 1.35; }
  #grads-so-far .partial { color: #b9770e; }
  #grads-so-far .complete { color: #a93226; }
  g.edge.pending path, g.edge.pending polygon { stroke: #d5d8dc; fill: #d5d8dc; }
  g.edge.pending text { visibility: hidden; }
  g.edge.current path { stroke-width: 3px; }
  g.node.done > path, g.node.done > polygon { fill: #f9e0db; }
  g.node.current > path, g.node.current > polygon, g.node.current > ellipse {
      fill: #ffd58a; stroke: #e67e22; stroke-width: 4px; }
  .grad-hidden { visibility: hidden; }
</style>
</head>
<body>
<header>
  <h1 id="title">{{title}}</h1>
  <button id="prev" type="button" title="previous step (←)">◀ Previous</button>
  <input id="slider" type="range" min="0" max="{{count}}" value="0" step="1"
         aria-label="backward step">
  <button id="next" type="button" title="next step (→)">Next ▶</button>
  <span id="counter">Step 0 of {{count}}</span>
  <span class="hint">keys: ← → · Home · End</span>
</header>
<main>
  <div id="graph">{{svg}}</div>
  <aside id="panel">
    <h2 id="step-title">Before backward</h2>
    <pre id="step-text"></pre>
    <h3>Gradients so far</h3>
    <pre id="grads-so-far"></pre>
  </aside>
</main>
<script id="steps-data" type="application/json">{{data}}</script>
<script>
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("steps-data").textContent);
  var N = DATA.steps.length, current = 0;
  var slider = document.getElementById("slider");
  var stepOfEdge = {};
  DATA.steps.forEach(function (s, i) { s.edges.forEach(function (e) { stepOfEdge[e] = i + 1; }); });

  function byId(id) { return document.getElementById(id); }

  function show(k) {
    current = Math.max(0, Math.min(N, k));
    slider.value = String(current);
    byId("counter").textContent = "Step " + current + " of " + N;
    byId("prev").disabled = current === 0;
    byId("next").disabled = current === N;
    var step = current > 0 ? DATA.steps[current - 1] : null;
    byId("step-title").textContent = step ? step.title : "Before backward";
    byId("step-text").textContent = step ? step.text : DATA.intro;
    var nodes = document.querySelectorAll("#graph g.node");
    nodes.forEach(function (g) { g.classList.remove("current"); g.classList.remove("done"); });
    DATA.steps.forEach(function (s, i) {
      var g = byId(s.node);
      if (g && i + 1 < current) { g.classList.add("done"); }
    });
    var here = step ? byId(step.node) : null;
    if (here) {
      here.classList.remove("done");
      here.classList.add("current");
      here.scrollIntoView({block: "center", inline: "center"});
    }
    Object.keys(stepOfEdge).forEach(function (e) {
      var g = byId(e);
      if (!g) { return; }
      g.classList.toggle("pending", stepOfEdge[e] > current);
      g.classList.toggle("current", stepOfEdge[e] === current);
    });
    Object.keys(DATA.cells).forEach(function (cell) {
      var g = byId(cell);
      if (g) { g.classList.toggle("grad-hidden", DATA.cells[cell] > current); }
    });
    var lines = [];
    DATA.grads.forEach(function (t) {
      var last = null;
      t.events.forEach(function (ev) { if (ev[0] <= current) { last = ev; } });
      if (last) {
        var note = last[2] < last[3] ? "   (" + last[2] + " of " + last[3] + " contributions so far)" :
                   (last[3] > 1 ? "   (sum of " + last[3] + " contributions)" : "");
        lines.push({text: t.name + " = " + last[1] + note, done: last[2] === last[3]});
      }
    });
    var box = byId("grads-so-far");
    box.textContent = "";
    lines.forEach(function (l) {
      var div = document.createElement("div");
      div.className = l.done ? "complete" : "partial";
      div.textContent = l.text;
      box.appendChild(div);
    });
  }

  byId("prev").addEventListener("click", function () { show(current - 1); });
  byId("next").addEventListener("click", function () { show(current + 1); });
  slider.addEventListener("input", function () { show(parseInt(slider.value, 10)); });
  document.addEventListener("keydown", function (ev) {
    if (ev.target === slider) { return; }  // the slider moves itself with the arrow keys
    if (ev.key === "ArrowRight") { show(current + 1); ev.preventDefault(); }
    else if (ev.key === "ArrowLeft") { show(current - 1); ev.preventDefault(); }
    else if (ev.key === "Home") { show(0); ev.preventDefault(); }
    else if (ev.key === "End") { show(N); ev.preventDefault(); }
  });
  document.querySelectorAll("#graph a").forEach(function (a) {
    a.addEventListener("click", function (ev) { ev.preventDefault(); });
  });
  show(0);
})();
</script>
</body>
</html>
"""
