"""``optimizer_race``: GD, momentum, RMSprop and Adam racing on a 2-D loss surface, animated.

Each optimizer is the library's own (``tg.optim``), stepping a Tensor of two parameters
from the same start; every position is recorded, and a self-contained HTML page (inline
SVG and script, no network: the CSP forbids any request) replays the paths over the loss
surface.  Same arguments, same bytes.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from ..config import no_grad
from ..optim import SGD, Adam, RMSprop
from ..richdisplay import HtmlPage
from ..tensor import Tensor

CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'"
WIDTH, HEIGHT, GRID = 640, 480, 64  # the plot in pixels; GRID x GRID*3/4 background cells
COLOURS = ["#1f5fa8", "#c2502b", "#2a8a4a", "#8a3ea8", "#b8860b", "#444444"]
BANDS = 14  # the background's colour levels of log(1 + loss - min): bands read like contours


def banana(p: Tensor) -> Tensor:
    """f(x, y) = (1 - x)² + 10 (y - x²)²: Rosenbrock's curved valley, minimum 0 at (1, 1).

    Written on ``p[..., 0]`` and ``p[..., 1]``, so a batch of points evaluates in one call.
    """
    x, y = p[..., 0], p[..., 1]
    return (1 - x) ** 2 + 10 * (y - x * x) ** 2


RACERS: dict[str, Callable[[list[Tensor]], Any]] = {  # the optimizers' names as the guide uses them
    "GD (lr 0.01)": lambda p: SGD(p, lr=0.01),
    "momentum 0.9 (lr 0.01)": lambda p: SGD(p, lr=0.01, momentum=0.9),
    "RMSprop (lr 0.01)": lambda p: RMSprop(p, lr=0.01),
    "Adam (lr 0.05)": lambda p: Adam(p, lr=0.05),
}


class RacePage(HtmlPage):
    """The animation as text (``.html``), ``.paths`` (``{name: (steps + 1, 3) array of x, y,
    loss}``); in Jupyter it displays inline (a sandboxed iframe)."""

    iframe_height = 620

    def __init__(self, page: str, title: str, paths: dict[str, np.ndarray]) -> None:
        super().__init__(page, title)
        self.paths = paths

    def __repr__(self) -> str:
        return f"<RacePage {self.title!r}: {len(self.paths)} optimizers, {len(self.html):,} characters>"


def race_paths(loss: Callable[[Tensor], Tensor], start: tuple[float, float],
               optimizers: dict[str, Callable[[list[Tensor]], Any]], steps: int) -> dict[str, np.ndarray]:
    """``{name: array of (x, y, loss) at steps 0..steps}``: each optimizer from ``start``."""
    paths = {}
    for name, make in optimizers.items():
        p = Tensor(np.array(start, dtype=np.float64), requires_grad=True)
        opt = make([p])
        rows = []
        for _ in range(steps):
            opt.zero_grad()
            value = loss(p)
            _check_scalar(value)
            rows.append((*p.data, value.item()))
            value.backward()
            opt.step()
        with no_grad():
            rows.append((*p.data, loss(p).item()))
        paths[name] = np.array(rows)
    return paths


def optimizer_race(loss: Callable[[Tensor], Tensor] = banana, start: tuple[float, float] = (-1.5, 2.0),
                   optimizers: dict[str, Callable[[list[Tensor]], Any]] | None = None, steps: int = 200,
                   box: tuple[float, float, float, float] = (-2.0, 2.0, -1.0, 3.0),
                   minimum: tuple[float, float] | None = (1.0, 1.0),
                   title: str = "Optimizers racing on a loss surface") -> RacePage:
    """The race as a ``RacePage``: ``optimizers`` (``{name: make(params)}``, default
    ``RACERS``: GD, momentum, RMSprop, Adam) each take ``steps`` steps on ``loss`` from
    ``start``, drawn over the surface in ``box = (x_min, x_max, y_min, y_max)``.

    ``loss(p)`` must work on ``p[..., 0]`` and ``p[..., 1]`` (like ``banana``), so the
    background is one call on a grid of points.  ``minimum`` is marked with a star.
    """
    optimizers = RACERS if optimizers is None else optimizers
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 1 <= steps <= 5000:
        raise ValueError(f"optimizer_race: steps must be an integer from 1 to 5000, got {steps!r}")
    if not optimizers or len(optimizers) > len(COLOURS):
        raise ValueError(f"optimizer_race: give 1 to {len(COLOURS)} optimizers as {{name: make(params)}}, "
                         f"got {len(optimizers)}")
    x0, x1, y0, y1 = (float(v) for v in box)
    if not (x0 < x1 and y0 < y1):
        raise ValueError(f"optimizer_race: box must be (x_min, x_max, y_min, y_max) with min < max, "
                         f"got {box}")
    if np.shape(start) != (2,):
        raise ValueError(f"optimizer_race: start must be two numbers (x, y), got {start!r}")
    paths = race_paths(loss, (float(start[0]), float(start[1])), optimizers, int(steps))
    scale = _Scale(x0, x1, y0, y1)
    background = _background(loss, scale)
    frames = {name: [[scale.px(x), scale.py(y), _short(v)] for x, y, v in path]
              for name, path in paths.items()}
    racers = "".join(
        f'<polyline id="path{k}" fill="none" stroke="{COLOURS[k]}" stroke-width="2.2" points=""/>'
        f'<circle id="dot{k}" r="5" fill="{COLOURS[k]}" stroke="white" stroke-width="1.5"/>'
        for k in range(len(paths)))
    star = ""
    if minimum is not None:
        star = (f'<text x="{scale.px(minimum[0])}" y="{scale.py(minimum[1]) + 6}" text-anchor="middle" '
                f'class="star">★</text>')
    legend = "".join(
        f'<tr><td><span class="swatch" style="background:{COLOURS[k]}"></span>{html.escape(name)}</td>'
        f'<td id="loss{k}" class="num"></td></tr>' for k, name in enumerate(paths))
    data = {"names": list(paths), "frames": frames, "steps": int(steps)}
    parts = {"csp": CSP, "title": html.escape(title), "w": str(WIDTH), "h": str(HEIGHT),
             "background": background, "racers": racers, "star": star, "legend": legend,
             "steps": str(int(steps)), "data": _script_json(data), "script": _SCRIPT,
             "axes": _axes(scale)}
    # One pass, so a name that reads "{{data}}" is never substituted again.
    page = re.sub(r"\{\{(\w+)\}\}", lambda m: parts[m.group(1)], _TEMPLATE)
    return RacePage(page, title, paths)


class _Scale:
    """Loss-surface coordinates to SVG pixels (y grows upward on the page)."""

    def __init__(self, x0: float, x1: float, y0: float, y1: float) -> None:
        self.x0, self.x1, self.y0, self.y1 = x0, x1, y0, y1

    def px(self, x: float) -> float:
        return round((min(max(x, self.x0), self.x1) - self.x0) / (self.x1 - self.x0) * WIDTH, 1)

    def py(self, y: float) -> float:
        return round((self.y1 - min(max(y, self.y0), self.y1)) / (self.y1 - self.y0) * HEIGHT, 1)


def _background(loss: Callable[[Tensor], Tensor], scale: _Scale) -> str:
    """Cells coloured by the band of log(1 + loss - lowest): light = low."""
    nx, ny = GRID, GRID * HEIGHT // WIDTH
    xs = scale.x0 + (np.arange(nx) + 0.5) * (scale.x1 - scale.x0) / nx
    ys = scale.y1 - (np.arange(ny) + 0.5) * (scale.y1 - scale.y0) / ny
    gx, gy = np.meshgrid(xs, ys)
    with no_grad():
        values = loss(Tensor(np.stack([gx, gy], axis=-1))).data
    if np.shape(values) != gx.shape:
        raise ValueError(f"optimizer_race: loss(p) on a grid of points of shape {gx.shape + (2,)} gave "
                         f"shape {np.shape(values)}; write it on p[..., 0] and p[..., 1] "
                         "(see viz.race.banana)")
    low = float(values.min())
    level = np.log1p(values - low)
    band = np.minimum((level / (level.max() or 1.0) * BANDS).astype(int), BANDS - 1)
    cw, ch = WIDTH / nx, HEIGHT / ny
    cells = []
    for j in range(ny):
        for i in range(nx):
            t = band[j, i] / (BANDS - 1)
            shade = (round(247 - 140 * t), round(251 - 150 * t), round(255 - 90 * t))
            cells.append(f'<rect x="{i * cw:.1f}" y="{j * ch:.1f}" width="{cw + 0.2:.1f}" '
                         f'height="{ch + 0.2:.1f}" fill="#{shade[0]:02x}{shade[1]:02x}{shade[2]:02x}"/>')
    return "".join(cells)


def _axes(scale: _Scale) -> str:
    ticks = []
    for x in np.linspace(scale.x0, scale.x1, 5):
        ticks.append(f'<text x="{scale.px(x)}" y="{HEIGHT + 16}" text-anchor="middle">{x:g}</text>')
    for y in np.linspace(scale.y0, scale.y1, 5):
        ticks.append(f'<text x="-6" y="{scale.py(y) + 4}" text-anchor="end">{y:g}</text>')
    return "".join(ticks)


def _short(value: float) -> float | str:
    return float(f"{value:.4g}") if math.isfinite(value) else str(value)


def _check_scalar(value: Any) -> None:
    if not isinstance(value, Tensor) or value.size != 1:
        shape = getattr(value, "shape", type(value).__name__)
        raise ValueError(f"optimizer_race: loss(p) for one point p of shape (2,) must be a scalar "
                         f"Tensor, got {shape}")


def _script_json(data: Any) -> str:
    """JSON that cannot end its <script> element early (no raw <, > or &)."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


_SCRIPT = """(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("race-data").textContent);
  var frame = 0, timer = null;
  var slider = document.getElementById("frame"), play = document.getElementById("play");
  var speed = document.getElementById("speed"), counter = document.getElementById("counter");
  function show(k) {
    frame = Math.max(0, Math.min(DATA.steps, k));
    slider.value = String(frame);
    counter.textContent = "step " + frame + " of " + DATA.steps;
    DATA.names.forEach(function (name, i) {
      var pts = DATA.frames[name].slice(0, frame + 1);
      document.getElementById("path" + i).setAttribute("points",
        pts.map(function (p) { return p[0] + "," + p[1]; }).join(" "));
      var last = pts[pts.length - 1];
      document.getElementById("dot" + i).setAttribute("cx", last[0]);
      document.getElementById("dot" + i).setAttribute("cy", last[1]);
      document.getElementById("loss" + i).textContent = "loss " + last[2];
    });
  }
  function pause() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    play.textContent = "▶ Play";
  }
  function start() {
    pause();
    if (frame >= DATA.steps) { show(0); }
    timer = setInterval(function () {
      show(frame + Number(speed.value));
      if (frame >= DATA.steps) { pause(); }
    }, 40);
    play.textContent = "❚❚ Pause";
  }
  play.addEventListener("click", function () { if (timer === null) { start(); } else { pause(); } });
  document.getElementById("restart").addEventListener("click", function () { show(0); start(); });
  slider.addEventListener("input", function () { pause(); show(parseInt(slider.value, 10)); });
  show(0);
  start();  // it plays on opening
  window.race = {show: show, state: function () { return {frame: frame, playing: timer !== null}; }};
})();
"""

_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{csp}}">
<title>{{title}}</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 1em; color: #222; }
h1 { font-size: 18px; margin: 0 0 .5em; }
.row { display: flex; gap: 1.5em; align-items: flex-start; flex-wrap: wrap; }
svg text { font: 12px system-ui, sans-serif; fill: #444; }
svg .star { font-size: 20px; fill: #222; }
.controls { margin: .5em 0; display: flex; gap: .6em; align-items: center; }
button, select { font-size: 13px; padding: 3px 10px; }
table { border-collapse: collapse; }
td { padding: 3px 8px; }
td.num { font-variant-numeric: tabular-nums; text-align: right; min-width: 8em; }
.swatch { display: inline-block; width: 12px; height: 12px; margin-right: 6px; vertical-align: -1px; }
p.note { max-width: 30em; color: #555; }
</style>
</head>
<body>
<h1>{{title}}</h1>
<div class="controls">
  <button id="play" type="button">▶ Play</button>
  <button id="restart" type="button">Restart</button>
  <input id="frame" type="range" min="0" max="{{steps}}" value="0" step="1" aria-label="step">
  <span id="counter">step 0 of {{steps}}</span>
  <select id="speed" aria-label="speed"><option value="1">1 step per frame</option>
    <option value="2" selected>2 steps per frame</option><option value="5">5 steps per frame</option></select>
</div>
<div class="row">
<svg xmlns="http://www.w3.org/2000/svg" width="{{w}}" height="{{h}}" viewBox="-40 -10 700 510"
     style="width:700px;height:510px" role="img" aria-label="paths of the optimizers on the loss surface">
<g>{{background}}</g>
<g>{{axes}}</g>
{{star}}
{{racers}}
</svg>
<div>
<table>{{legend}}</table>
<p class="note">The same start, the same number of steps, each optimizer with its own
learning rate. Background: the loss in bands of equal ratio (log scale), light = low;
★ the minimum.</p>
</div>
</div>
<script id="race-data" type="application/json">{{data}}</script>
<script>
{{script}}</script>
</body>
</html>
"""
