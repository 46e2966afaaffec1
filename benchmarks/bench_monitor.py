"""What ``viz.GradientMonitor`` costs: the MLP training step with and without ``record()``.

The MLP 784-128-10 step of workloads.py (nn/optim), timed by the interleaved harness beside
the hand-written NumPy step; the overhead is, round by round, (step + record) / step, so a
shared machine's slow spells cancel.  Target (issue 14): recording every step adds at most
10%.  ``every=10`` is shown too (the usual setting for long runs).

    python benchmarks/bench_monitor.py [--rounds 21] [--batches 32,128]
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable
from typing import Any

import harness  # (pins BLAS threads before numpy loads)
import workloads as w

import tinygrad_edu as tg

TARGET = 1.10


def monitored_step(X: Any, y: Any, params: list, every: int | None) -> Callable[[], float]:
    """workloads.mlp_nn's step, followed by ``monitor.record()`` when ``every`` is given."""
    model = w._mlp_model(tg, params)
    opt = tg.optim.SGD(model.parameters(), lr=w.MLP_LR)
    xb, yb = tg.Tensor(X), tg.Tensor(y)
    monitor = tg.viz.GradientMonitor(model, every=every) if every else None

    def step() -> float:
        opt.zero_grad()
        loss = tg.nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        if monitor is not None:
            monitor.record()
        return loss.item()
    return step


def measure(batch: int, rounds: int) -> dict[str, tuple[float, float, float]]:
    X, y, params = w.mlp_data(batch)
    variants: dict[str, Callable[[], object]] = {
        "numpy": w.mlp_numpy(X, y, params),
        "nn": monitored_step(X, y, params, None),
        "record every step": monitored_step(X, y, params, 1),
        "record every 10th": monitored_step(X, y, params, 10),
    }
    number = min(harness.calibrate(fn, 0.1) for fn in variants.values())
    results = harness.interleave(variants, rounds=rounds, number=number)
    out = {}
    for name in ("record every step", "record every 10th"):
        per_round = [a / b for a, b in zip(results[name].ratios, results["nn"].ratios)]
        q = statistics.quantiles(per_round, n=4, method="inclusive")
        out[name] = (statistics.median(per_round), q[0], q[2])
    out["nn step (ms)"] = (results["nn"].median_seconds * 1e3, 0.0, 0.0)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--batches", default="32,128")
    args = parser.parse_args(argv)
    print(f"{harness.machine_info()}\n")
    print("| MLP 784-128-10 step | nn step | + record() every step | + record() every 10th |")
    print("|---|---|---|---|")
    for batch in (int(b) for b in args.batches.split(",")):
        r = measure(batch, args.rounds)
        cells = [f"{m:.3f} ({lo:.3f}-{hi:.3f})" + ("" if m <= TARGET else " **miss**")
                 for m, lo, hi in (r["record every step"], r["record every 10th"])]
        print(f"| batch {batch} | {r['nn step (ms)'][0]:.2f} ms | {cells[0]} | {cells[1]} |")
    print(f"\nOverhead: median over {args.rounds} rounds of (step + record) / step, "
          f"interquartile range in parentheses; target <= {TARGET}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
