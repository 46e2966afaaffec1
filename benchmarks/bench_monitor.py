"""What ``viz.GradientMonitor`` costs: the MLP training step with and without ``record()``.

The MLP 784-128-10 step of workloads.py (nn/optim), timed by the interleaved harness beside
the hand-written NumPy step; the overhead is, round by round, (step + record) / step, so a
shared machine's slow spells cancel.  Target (issue 14): recording every step adds at most
10%.  Three settings: ``every=1`` as it comes (norms and update ratios every step, the
details -- output statistics, dead units, histograms -- every 50th); ``every=1`` without
details (``details_every`` beyond the run); and ``every=10``.

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
SETTINGS = ("every step", "every step, no details", "every 10th step")


NO_DETAILS = 10**9  # a details_every no benchmark reaches


def monitored_step(X: Any, y: Any, params: list, every: int | None,
                   details_every: int | None = None) -> Callable[[], float]:
    """workloads.mlp_nn's step, followed by ``monitor.record()`` when ``every`` is given."""
    model = w._mlp_model(tg, params)
    opt = tg.optim.SGD(model.parameters(), lr=w.MLP_LR)
    xb, yb = tg.Tensor(X), tg.Tensor(y)
    monitor = tg.viz.GradientMonitor(model, every=every, details_every=details_every) if every else None

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
        "every step": monitored_step(X, y, params, 1),
        "every step, no details": monitored_step(X, y, params, 1, NO_DETAILS),
        "every 10th step": monitored_step(X, y, params, 10),
    }
    number = min(harness.calibrate(fn, 0.1) for fn in variants.values())
    results = harness.interleave(variants, rounds=rounds, number=number)
    out = {}
    for name in SETTINGS:
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
    heads = " | ".join(f"+ record(), {name}" for name in SETTINGS)
    print(f"| MLP 784-128-10 step | nn step | {heads} |")
    print("|---|---|" + "---|" * len(SETTINGS))
    for batch in (int(b) for b in args.batches.split(",")):
        r = measure(batch, args.rounds)
        cells = [f"{m:.3f} ({lo:.3f}-{hi:.3f})" + ("" if m <= TARGET else " **miss**")
                 for m, lo, hi in (r[name] for name in SETTINGS)]
        print(f"| batch {batch} | {r['nn step (ms)'][0]:.2f} ms | " + " | ".join(cells) + " |")
    print(f"\nOverhead: median over {args.rounds} rounds of (step + record) / step, "
          f"interquartile range in parentheses; target <= {TARGET}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
