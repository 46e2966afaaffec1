"""The table and the plot of "Forward or reverse?", made from the Jacobian benchmark's output.

``benchmarks/bench_jacobian.py`` times jacfwd and jacrev over n, m in {1, 10, 100, 1000} and
writes ``benchmarks/results/jacobian_cost.json``; ``gen_figures.py`` calls ``write(folder)``
to turn that file into ``jacobian_cost.md`` (pulled into the chapter with a snippet include)
and ``jacobian_cost.png``.  ``tests/test_docs.py`` checks that the committed table is the one
this makes from the committed JSON, so no number in the chapter is typed by hand.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "jacobian_cost.json"


def load(path: pathlib.Path = RESULTS) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _ms(seconds: float) -> str:
    ms = seconds * 1e3
    return f"{ms:,.0f}" if ms >= 1000 else f"{ms:.3g}"  # 1,114, not 1.11e+03


def table(results: dict[str, Any]) -> str:
    """Rows n, columns m; each cell ``jacfwd / jacrev`` in ms, the faster one in bold."""
    cells = {(c["n"], c["m"]): c for c in results["cells"]}
    ns = sorted({n for n, _ in cells})
    ms = sorted({m for _, m in cells})
    lines = ["| n inputs ↓ · m outputs → | " + " | ".join(f"m = {m}" for m in ms) + " |",
             "|---|" + "---|" * len(ms)]
    for n in ns:
        row = []
        for m in ms:
            c = cells[(n, m)]
            fwd, rev = _ms(c["jacfwd_seconds"]), _ms(c["jacrev_seconds"])
            if c["jacfwd_seconds"] < c["jacrev_seconds"]:
                fwd = f"**{fwd}**"
            else:
                rev = f"**{rev}**"
            row.append(f"{fwd} / {rev}")
        lines.append(f"| n = {n} | " + " | ".join(row) + " |")
    rounds = sorted({c["rounds"] for c in cells.values()})
    note = (f"\nMilliseconds, jacfwd / jacrev (the faster in bold), median of "
            f"{'–'.join(str(r) for r in rounds)} alternating runs; {results['function']}. "
            f"Measured {results['measured']} on: {results['machine']}.\n")
    return "\n".join(lines) + "\n" + note


def plot(results: dict[str, Any], path: pathlib.Path) -> None:
    """Time against n (at m = 1 and m = 1000) and against m (at n = 1 and n = 1000), log-log."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cells = {(c["n"], c["m"]): c for c in results["cells"]}
    sizes = sorted({n for n, _ in cells})
    fig, axes = plt.subplots(1, 2, figsize=(6.8, 4.3), sharey=True)
    for ax, vary, fixed_name in ((axes[0], "n", "m"), (axes[1], "m", "n")):
        for fixed, color in ((1, "#1f5f99"), (max(sizes), "#a93226")):
            def at(k: int, fixed: int = fixed, vary: str = vary) -> dict[str, Any]:
                return cells[(k, fixed)] if vary == "n" else cells[(fixed, k)]
            for key, style, label in (("jacfwd_seconds", "-", "jacfwd"), ("jacrev_seconds", "--", "jacrev")):
                ax.plot(sizes, [at(k)[key] * 1e3 for k in sizes], style, marker="o", color=color,
                        markersize=4, label=f"{label}, {fixed_name} = {fixed}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(f"{vary} ({'inputs' if vary == 'n' else 'outputs'})")
        ax.grid(True, which="major", alpha=0.3)
        # below the axes: inside, it would hide the points of the steep lines
        ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2,
                  columnspacing=0.8, handlelength=1.6)
    axes[0].set_ylabel("ms for the full Jacobian")
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)


def write(folder: pathlib.Path, results: dict[str, Any] | None = None) -> None:
    results = results or load()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "jacobian_cost.md").write_text(table(results), encoding="utf-8")
    plot(results, folder / "jacobian_cost.png")
