"""What a ``GradientMonitor`` saw, drawn: a self-contained HTML report and a matplotlib figure.

Both show layers by depth (input at the top) against recorded steps as heat maps of
log10 of the gradient norm and of the update-to-weight ratio, so a gradient that fades
toward the input (a sigmoid stack) is a dark band at the top.  The HTML is plain SVG written
here (no script, no network: the CSP forbids any request); same numbers, same bytes.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np

from ..richdisplay import HtmlPage

CSP = "default-src 'none'; style-src 'unsafe-inline'"
MAX_COLUMNS = 240  # more recorded steps are averaged (in log space) into this many columns
# A perceptually ordered dark-to-light scale (viridis's anchors), so dark = small.
SCALE = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)]
CELL_W, CELL_H, LABEL_W = 4, 22, 150
# Fixed colour ranges, so one look tells healthy from not: gradient norms from the largest
# down DECADES decades (a healthy net is bright from input to output, a vanishing one dark
# at the input), update-to-weight ratios on one absolute scale around the usual 1e-3.
DECADES = 6
RATIO_RANGE = (-7.0, -1.0)


def grad_range(grid: np.ndarray) -> tuple[float, float]:
    """The log10 colour range of a gradient-norm heat map: the largest and DECADES below."""
    finite = grid[np.isfinite(grid)]
    high = float(finite.max()) if finite.size else 0.0
    return high - DECADES, high


class MonitorReport(HtmlPage):
    """The report as text (``.html``); in Jupyter it displays inline (a sandboxed iframe)."""


def _log_grid(series: dict[str, list[float]]) -> np.ndarray:
    """log10 of the values, one row per layer; 0 becomes -inf (drawn as 'no gradient')."""
    with np.errstate(divide="ignore"):
        return np.log10(np.array(list(series.values()), dtype=np.float64).reshape(len(series), -1))


def _columns(grid: np.ndarray, steps: list[int]) -> tuple[np.ndarray, list[str]]:
    """At most MAX_COLUMNS columns: groups of consecutive steps averaged (log space)."""
    if grid.shape[1] <= MAX_COLUMNS:
        return grid, [f"step {s}" for s in steps]
    groups = np.array_split(np.arange(grid.shape[1]), MAX_COLUMNS)
    merged = np.stack([grid[:, g].mean(axis=1) for g in groups], axis=1)
    return merged, [f"steps {steps[g[0]]}-{steps[g[-1]]} (mean of log10)" for g in groups]


def _colour(t: float) -> str:
    """t in [0, 1] -> a colour of SCALE (linear between its anchors)."""
    t = min(max(t, 0.0), 1.0) * (len(SCALE) - 1)
    k = min(int(t), len(SCALE) - 2)
    a, b = SCALE[k], SCALE[k + 1]
    f = t - k
    return "#" + "".join(f"{round(a[i] + (b[i] - a[i]) * f):02x}" for i in range(3))


def _heat_map(caption: str, names: list[str], grid: np.ndarray, steps: list[int], unit: str,
              log_range: tuple[float, float]) -> str:
    grid, labels = _columns(grid, steps)
    low, high = log_range
    span = high - low
    cell_w = max(CELL_W, 600 // grid.shape[1])  # few steps: wider cells, about 600 px in all
    out = [f'<figure><figcaption>{html.escape(caption)}</figcaption>',
           f'<svg xmlns="http://www.w3.org/2000/svg" width="{LABEL_W + cell_w * grid.shape[1] + 10}" '
           f'height="{CELL_H * len(names) + 34}" role="img" aria-label="{html.escape(caption)}">']
    for row, name in enumerate(names):
        y = row * CELL_H
        out.append(f'<text x="{LABEL_W - 6}" y="{y + CELL_H * 0.68:.1f}" text-anchor="end">'
                   f'{html.escape(name)}</text>')
        for col in range(grid.shape[1]):
            v = grid[row, col]
            fill = _colour((v - low) / span) if np.isfinite(v) else "#dddddd"
            value = f"{10 ** v:.3g}" if np.isfinite(v) else "0 (no gradient)"
            out.append(f'<rect x="{LABEL_W + col * cell_w}" y="{y}" width="{cell_w}" height="{CELL_H - 1}" '
                       f'fill="{fill}"><title>{html.escape(name)}, {labels[col]}: {value}</title></rect>')
    axis_y = CELL_H * len(names) + 16
    out.append(f'<text x="{LABEL_W}" y="{axis_y}">{html.escape(labels[0])}</text>')
    out.append(f'<text x="{LABEL_W + cell_w * grid.shape[1]}" y="{axis_y}" text-anchor="end">'
               f'{html.escape(labels[-1])}</text></svg>')
    stops = "".join(f'<span style="background:{_colour(k / 8)}"></span>' for k in range(9))
    out.append(f'<div class="legend">{unit}: <b>≤ {10 ** low:.2g}</b> <span class="bar">{stops}</span> '
               f'<b>≥ {10 ** high:.2g}</b> (log scale; grey: exactly 0)</div></figure>')
    return "\n".join(out)


def _summary(monitor: Any) -> str:
    norms = monitor.grad_norms()
    names = list(norms)
    first, last = norms[names[0]][-1], norms[names[-1]][-1]
    ratio = f"{first / last:.2g}" if last else "undefined (the last layer's gradient is 0)"
    return (f"{len(names)} layers (input at the top), {len(monitor.steps)} recorded steps (every "
            f"{monitor.every}). At the last recorded step, ‖grad‖ of the first layer "
            f"{html.escape(names[0])} / last layer {html.escape(names[-1])} = {ratio} "
            "(far below 1: the gradient vanishes toward the input; far above: it explodes).")


def _activation_table(monitor: Any) -> str:
    rows, step = [], None
    for name, stats in monitor.activation_stats().items():
        step = stats["step"][-1]
        dead = stats["dead_fraction"][-1]
        rows.append(f"<tr><td>{html.escape(name)}</td><td>{stats['mean'][-1]:.3g}</td>"
                    f"<td>{stats['std'][-1]:.3g}</td><td>{'—' if dead is None else f'{dead:.0%}'}</td></tr>")
    if not rows:
        return "<p>No module output was seen (no forward ran on a step with details).</p>"
    return (f"<table><caption>Module outputs at step {step} (dead: ReLU units that are 0 for "
            "every sample of the batch)</caption><tr><th>module</th><th>mean</th><th>std</th>"
            "<th>dead units</th></tr>" + "".join(rows) + "</table>")


def _histograms(monitor: Any) -> str:
    if not monitor.histograms:
        return ""
    last = monitor.histograms[-1]
    parts = [f"<h2>Histograms of gradient values at step {last['step']}</h2><div class='hists'>"]
    for name in monitor.layer_names():
        if name not in last["gradients"]:
            continue
        counts, edges = last["gradients"][name]
        top = max(int(counts.max()), 1)
        heights = [60 * c / top for c in counts]
        bars = "".join(f'<rect x="{k * 6}" y="{60 - h:.1f}" width="5" height="{h:.1f}"/>'
                       for k, h in enumerate(heights))
        parts.append(f'<figure><svg xmlns="http://www.w3.org/2000/svg" width="{6 * len(counts)}" '
                     f'height="60">{bars}</svg><figcaption>{html.escape(name)}: {edges[0]:.2g} … '
                     f'{edges[-1]:.2g}</figcaption></figure>')
    return "\n".join(parts) + "</div>"


def monitor_report(monitor: Any, title: str = "Gradient health") -> MonitorReport:
    """The HTML report of ``monitor`` (see the module docstring)."""
    if not monitor.steps:
        raise RuntimeError("GradientMonitor.report(): nothing recorded yet; call monitor.record() "
                           "after each training step first")
    norms, ratios = monitor.grad_norms(), monitor.update_ratios()
    names = list(norms)
    grads = _log_grid(norms)
    body = [f"<h1>{html.escape(title)}</h1>", f"<p>{_summary(monitor)}</p>",
            _heat_map(f"Gradient norm ‖∂L/∂W‖ of each layer (colours: the largest and {DECADES} decades "
                      "below)", names, grads, monitor.steps, "‖grad‖", grad_range(grads)),
            _heat_map("Update-to-weight ratio ‖Δw‖ / ‖w‖ of each step (about 1e-3 is healthy)", names,
                      _log_grid(ratios), monitor.steps, "ratio", RATIO_RANGE),
            _activation_table(monitor), _histograms(monitor)]
    page = _TEMPLATE.format(csp=CSP, title=html.escape(title), body="\n".join(body))
    return MonitorReport(page, title)


def monitor_figure(monitor: Any, title: str = "Gradient health") -> Any:
    """One matplotlib ``Figure`` (no pyplot state): the two heat maps and the output std."""
    try:
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError("GradientMonitor.plot() needs matplotlib: pip install "
                          "\"tinygrad-edu[plot]\" (or use monitor.save_html(path), which needs nothing)"
                          ) from error
    if not monitor.steps:
        raise RuntimeError("GradientMonitor.plot(): nothing recorded yet; call monitor.record() "
                           "after each training step first")
    norms, ratios = monitor.grad_norms(), monitor.update_ratios()
    names = list(norms)
    fig = Figure(figsize=(9.5, 0.42 * len(names) + 2.6))  # 950 px at 100 dpi: legible in a 688 px column
    axes = fig.subplots(1, 3, gridspec_kw={"width_ratios": [3, 3, 2]})
    # (Colours below the range are the darkest, above it the brightest: see DECADES.)
    extent = (monitor.steps[0] - 0.5, monitor.steps[-1] + 0.5, len(names) - 0.5, -0.5)
    grads = _log_grid(norms)
    for ax, grid, what, (low, high) in ((axes[0], grads, "log10 ‖∂L/∂W‖", grad_range(grads)),
                                        (axes[1], _log_grid(ratios), "log10 ‖Δw‖/‖w‖", RATIO_RANGE)):
        image = ax.imshow(np.ma.masked_invalid(grid), aspect="auto", interpolation="nearest",
                          cmap="viridis", extent=extent, vmin=low, vmax=high)
        ax.set_yticks(range(len(names)), names)
        ax.set_xlabel("step")
        ax.set_title(what, fontsize=10)
        fig.colorbar(image, ax=ax)
    stats = monitor.activation_stats()
    labels = [name if not s["dead_fraction"][-1] else f"{name} ({s['dead_fraction'][-1]:.0%} dead)"
              for name, s in stats.items()]  # the dead units in the label: readable at any size
    axes[2].barh(range(len(labels)), [s["std"][-1] for s in stats.values()], color="#1f5fa8")
    axes[2].set_yticks(range(len(labels)), labels)
    stds = [s["std"][-1] for s in stats.values() if s["std"][-1] > 0]
    if stds and min(stds) < 0.01 * max(stds):  # many scales: a log axis keeps the small ones visible
        axes[2].set_xscale("log")
    axes[2].invert_yaxis()
    last = max((s["step"][-1] for s in stats.values()), default=None)
    axes[2].set_title(f"output std, step {last}", fontsize=10)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<title>{title}</title>
<style>
body {{ font: 14px system-ui, sans-serif; margin: 1.5em; color: #222; max-width: 1100px; }}
svg text {{ font: 12px system-ui, sans-serif; fill: #222; }}
figure {{ margin: 1em 0; }}
figcaption {{ font-weight: 600; margin-bottom: .3em; }}
.legend {{ font-size: 12px; margin-top: .2em; }}
.legend .bar span {{ display: inline-block; width: 14px; height: 10px; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
caption {{ text-align: left; font-weight: 600; padding-bottom: .3em; }}
td, th {{ border: 1px solid #ccc; padding: 2px 8px; text-align: right; }}
td:first-child, th:first-child {{ text-align: left; }}
.hists {{ display: flex; flex-wrap: wrap; gap: 1em; }}
.hists figure {{ margin: 0; }} .hists rect {{ fill: #1f5fa8; }}
.hists figcaption {{ font-weight: normal; font-size: 12px; }}
</style>
</head>
<body>
{body}
</body>
</html>
"""
