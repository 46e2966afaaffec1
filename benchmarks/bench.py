"""Run the workloads with the interleaved harness and print the tables.

    python benchmarks/bench.py                  # everything, 21 rounds
    python benchmarks/bench.py --only xor,4x4   # some workloads (names: see --list)
    python benchmarks/bench.py --base           # also time tinygrad_edu_base (an older checkout)
    python benchmarks/bench.py --rounds 61      # more rounds, narrower intervals

``run_all.py`` (``make bench``) runs the same measurements and writes docs/performance.md.

``--base`` compares the current engine with an older one in the same process, so a 5%
change can be told from noise.  Make the old checkout importable under another name::

    git worktree add /tmp/base 7c0b12f
    mkdir -p /tmp/basepath && ln -s /tmp/base/tinygrad_edu /tmp/basepath/tinygrad_edu_base
    PYTHONPATH=$PWD:/tmp/basepath python benchmarks/bench.py --base --only 4x4,xor

Every ratio is the median over rounds of (variant's time / NumPy's time in the same round),
with the interquartile range; see harness.py for why.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import pathlib
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import conv_workloads as cw
import harness  # (pins BLAS threads before numpy loads)
import workloads as w

import tinygrad_edu

HERE = pathlib.Path(__file__).resolve().parent
# The targets of issue 17 (section 3): ratio to hand-written NumPy, eager and compiled.
TARGETS = {"mlp32": (1.8, 1.15), "mlp128": (1.30, 1.08), "mlp1024": (1.10, 1.05),
           "xor": (6.5, 2.0), "4x4": (9.3, 2.5), "chain": (8.0, None), "rss": (1.3, 1.3),
           "conv": (2.0, None)}  # issue 16: a conv layer within 2x of hand-written im2col
VARIANTS = ("numpy", "raw", "nn", "compiled", "torch", "base raw", "base nn")


@dataclass
class Workload:
    key: str
    title: str
    unit: str  # how times are shown: "ms", "us" or "s"
    make: Callable[[dict[str, Any], Any], dict[str, Callable[[], float]]]
    block_seconds: float = 0.1


def _mlp(batch: int) -> Callable[[dict[str, Any], Any], dict[str, Callable[[], float]]]:
    def make(engines: dict[str, Any], torch: Any) -> dict[str, Callable[[], float]]:
        X, y, params = w.mlp_data(batch)
        out: dict[str, Callable[[], float]] = {"numpy": w.mlp_numpy(X, y, params)}
        for prefix, tg in engines.items():
            out[prefix + "raw"] = w.mlp_raw(tg, X, y, params)
            out[prefix + "nn"] = w.mlp_nn(tg, X, y, params)
        out["compiled"] = lambda: w.mlp_nn(tinygrad_edu, X, y, params, compiled=True)
        if torch is not None:
            out["torch"] = w.mlp_torch(torch, X, y, params)
        return out
    return make


def _xor(engines: dict[str, Any], torch: Any) -> dict[str, Callable[[], float]]:
    params = w.xor_init(0)
    out: dict[str, Callable[[], float]] = {"numpy": w.xor_numpy(params)}
    for prefix, tg in engines.items():
        out[prefix + "raw"] = w.xor_raw(tg, params)
        out[prefix + "nn"] = w.xor_nn(tg, params)
    out["compiled"] = lambda: w.xor_nn(tinygrad_edu, params, compiled=True)
    if torch is not None:
        out["torch"] = w.xor_torch(torch, params)
    return out


def _small(engines: dict[str, Any], torch: Any) -> dict[str, Callable[[], float]]:
    arrays = w.small_data()
    out: dict[str, Callable[[], float]] = {"numpy": w.small_numpy(arrays)}
    for prefix, tg in engines.items():
        out[prefix + "raw"] = w.small_raw(tg, arrays)
    out["compiled"] = lambda: w.small_raw(tinygrad_edu, arrays, compiled=True)
    if torch is not None:
        out["torch"] = w.small_torch(torch, arrays)
    return out


def _chain(engines: dict[str, Any], torch: Any) -> dict[str, Callable[[], float]]:
    out: dict[str, Callable[[], float]] = {"numpy": w.chain_numpy()}
    for prefix, tg in engines.items():
        out[prefix + "raw"] = w.chain_raw(tg)
    if torch is not None:
        out["torch"] = w.chain_torch(torch)
    return out


def _conv(engines: dict[str, Any], torch: Any) -> dict[str, Callable[[], float]]:
    data = cw.conv_data()
    out: dict[str, Callable[[], float]] = {"numpy": cw.conv_numpy(*data)}
    for prefix, tg in engines.items():
        out[prefix + "raw"] = cw.conv_raw(tg, *data)
        out[prefix + "nn"] = cw.conv_nn(tg, *data)
    out["compiled"] = lambda: cw.conv_nn(tinygrad_edu, *data, compiled=True)
    if torch is not None:
        out["torch"] = cw.conv_torch(torch, *data)
    return out


WORKLOADS = [
    Workload("mlp32", "MLP 784-128-10 step, batch 32", "ms", _mlp(32)),
    Workload("mlp128", "MLP 784-128-10 step, batch 128", "ms", _mlp(128)),
    Workload("mlp1024", "MLP 784-128-10 step, batch 1024", "ms", _mlp(1024), 0.2),
    Workload("xor", "XOR 2-4-1, 2000 epochs", "ms", _xor),
    Workload("4x4", "4x4 (a*b+c).sum().backward()", "us", _small),
    Workload("chain", "10^5-op chain x = x * 1.0001, fwd+bwd", "s", _chain),
    Workload("conv", "Conv2d 1→16 3×3 step (dx, dW, db), batch of 64 digits", "ms", _conv),
]
KEYS = [wl.key for wl in WORKLOADS] + ["rss"]


def _build(workload: Workload, engines: dict[str, Any], torch: Any) -> tuple[dict, dict[str, str]]:
    """The variants that run, and a note for each one that does not (or disagrees)."""
    variants = workload.make(engines, torch)
    notes: dict[str, str] = {}
    if "compiled" in variants and not hasattr(tinygrad_edu, "compile"):
        variants.pop("compiled")
        notes["compiled"] = "not available (tinygrad_edu has no compile)"
    elif "compiled" in variants:
        try:
            variants["compiled"] = variants["compiled"]()  # the factory: builds and traces
        except Exception as err:  # report it as a result, the other variants still run
            variants.pop("compiled")
            notes["compiled"] = f"failed: {type(err).__name__}: {err}"[:120]
    # Each variant's first call starts from the same weights, so all must give one loss.
    firsts: dict[str, float | None] = {}
    for name in list(variants):
        try:
            firsts[name] = variants[name]()
        except Exception as err:
            firsts[name], notes[name] = None, f"failed: {type(err).__name__}: {err}"[:120]
    expected = firsts["numpy"]
    for name, got in firsts.items():
        if got is not None and abs(got - expected) > 1e-4 * max(1.0, abs(expected)):
            notes[name] = f"disagrees with NumPy ({got!r} vs {expected!r}); not timed"
        if name in notes:
            variants.pop(name)
    return variants, notes


def run_workload(workload: Workload, engines: dict[str, Any], torch: Any,
                 rounds: int) -> dict[str, Any]:
    variants, notes = _build(workload, engines, torch)
    number = {n: harness.calibrate(fn, workload.block_seconds) for n, fn in variants.items()}
    # One ``number`` per workload keeps every block of a round the same size in calls; the
    # slowest variant decides it, so no block runs much longer than ``block_seconds``.
    results = harness.interleave(variants, rounds=rounds, number=min(number.values()))
    out = {"key": workload.key, "title": workload.title, "unit": workload.unit,
           "rounds": rounds, "notes": notes,
           "variants": {n: {"seconds": m.median_seconds, "ratio": m.ratio, "iqr": m.iqr}
                        for n, m in results.items()}}
    for name in ("raw", "nn"):  # --base: the current engine over the old one, round by round
        if name in results and "base " + name in results:
            per_round = [a / b for a, b in zip(results[name].ratios, results["base " + name].ratios)]
            m = harness.Measured(name, [], per_round)
            out["variants"][name]["vs_base"] = (m.ratio, m.iqr)
    return out


def run_rss(with_torch: bool) -> dict[str, Any]:
    """Peak RSS per variant, each in a fresh process (see rss.py)."""
    variants = ["numpy", "raw", "nn"] + (["compiled"] if hasattr(tinygrad_edu, "compile") else [])
    variants += ["torch"] if with_torch else []
    out: dict[str, Any] = {}
    for v in variants:
        done = subprocess.run([sys.executable, str(HERE / "rss.py"), v], capture_output=True,
                              text=True, check=False)
        if done.returncode != 0:
            out[v] = {"error": done.stderr.strip().splitlines()[-1:]}
        else:
            out[v] = json.loads(done.stdout)
    return {"key": "rss", "title": "peak RSS, MLP step at batch 1024 (20 steps)", "variants": out}


# -- tables -----------------------------------------------------------------------------------------
def _shown(seconds: float, unit: str) -> str:
    return f"{seconds * {'s': 1.0, 'ms': 1e3, 'us': 1e6}[unit]:.3g} {unit.replace('us', 'µs')}"


def _ratio(v: dict[str, Any]) -> str:
    lo, hi = v["iqr"]
    return f"{v['ratio']:.2f}× ({lo:.2f}–{hi:.2f})"


def detail_table(result: dict[str, Any]) -> str:
    lines = [f"#### {result['title']}", "",
             f"{result['rounds']} interleaved rounds; ratio: median over rounds (interquartile range).",
             "", "| variant | median time | ratio to NumPy |", "|---|---|---|"]
    for name in VARIANTS:
        v = result["variants"].get(name)
        if v is not None:
            vs = v.get("vs_base")
            base = f" (current / base: {vs[0]:.3f}, IQR {vs[1][0]:.3f}–{vs[1][1]:.3f})" if vs else ""
            lines.append(f"| {name} | {_shown(v['seconds'], result['unit'])} | {_ratio(v)}{base} |")
        elif name in result["notes"]:
            lines.append(f"| {name} | — | {result['notes'][name]} |")
    return "\n".join(lines) + "\n"


def rss_table(result: dict[str, Any]) -> str:
    base = result["variants"]["numpy"]
    lines = [f"#### {result['title']}", "", "One fresh process per variant; each imports only what "
             "it uses.", "", "| variant | peak RSS | ratio to NumPy | held by the step at its peak |",
             "|---|---|---|---|"]
    for name, v in result["variants"].items():
        if "error" in v:
            lines.append(f"| {name} | — | failed: {' '.join(v['error'])} | |")
            continue
        lines.append(f"| {name} | {v['peak_mib']:.1f} MiB | {v['peak_mib'] / base['peak_mib']:.2f}× "
                     f"| {v['peak_mib'] - v['before_mib']:.1f} MiB |")
    return "\n".join(lines) + "\n"


def summary_table(results: list[dict[str, Any]]) -> str:
    """One line per workload: the eager target and what raw, nn, compiled and torch reach."""
    lines = ["| workload | raw Tensors | `nn`/`optim` | compiled | PyTorch | eager target | met? |",
             "|---|---|---|---|---|---|---|"]
    for r in results:
        eager_target = TARGETS[r["key"]][0]
        cells, worst = [], 0.0
        for name in ("raw", "nn", "compiled", "torch"):
            if r["key"] == "rss":
                v = r["variants"].get(name)
                ok = v is not None and "error" not in v
                ratio = v["peak_mib"] / r["variants"]["numpy"]["peak_mib"] if ok else None
                cells.append(f"{ratio:.2f}×" if ratio else "—")
            else:
                v = r["variants"].get(name)
                ratio = v["ratio"] if v else None
                cells.append(_ratio(v) if v else "—")
            if name in ("raw", "nn") and ratio:
                worst = max(worst, ratio)
        met = "yes" if worst and worst <= eager_target else "no"
        lines.append(f"| {r['title']} | " + " | ".join(cells) + f" | ≤{eager_target}× | {met} |")
    return "\n".join(lines) + "\n"


def report(results: list[dict[str, Any]]) -> str:
    stamp = datetime.date.today().isoformat()
    parts = [f"Measured {stamp} with `benchmarks/bench.py` on: {harness.machine_info()}.", "",
             "### Summary (ratio to hand-written NumPy; median over rounds, interquartile range)",
             "", summary_table(results), "### Details", ""]
    parts += [rss_table(r) if r["key"] == "rss" else detail_table(r) for r in results]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--rounds", type=int, default=21, help="interleaved rounds (>= 15 for the doc)")
    parser.add_argument("--only", default="", help="comma-separated workloads (see --list)")
    parser.add_argument("--list", action="store_true", help="list the workloads and exit")
    parser.add_argument("--base", action="store_true", help="also time tinygrad_edu_base")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    parser.add_argument("--json", type=pathlib.Path, help="also save the raw results here")
    args = parser.parse_args(argv)
    keys = KEYS
    if args.list:
        print("\n".join(keys))
        return 0
    chosen = args.only.split(",") if args.only else keys
    unknown = sorted(set(chosen) - set(keys))
    if unknown:
        parser.error(f"unknown workload(s) {unknown}; choose from {keys}")
    results = run(chosen, args.rounds, base=args.base, with_torch=not args.no_torch)
    print(summary_table(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


def run(chosen: list[str], rounds: int, base: bool = False,
        with_torch: bool = True) -> list[dict[str, Any]]:
    """Measure the chosen workloads (keys of WORKLOADS, and "rss"), printing each table."""
    engines: dict[str, Any] = {"": tinygrad_edu}
    if base:
        engines["base "] = importlib.import_module("tinygrad_edu_base")
    torch = harness.try_import_torch() if with_torch else None
    results = []
    for wl in WORKLOADS:
        if wl.key in chosen:
            results.append(run_workload(wl, engines, torch, rounds))
            print(detail_table(results[-1]), flush=True)
    if "rss" in chosen:
        results.append(run_rss(torch is not None))
        print(rss_table(results[-1]), flush=True)
    return results


if __name__ == "__main__":
    raise SystemExit(main())
