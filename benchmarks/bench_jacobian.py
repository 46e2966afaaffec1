"""The full Jacobian of f: Rⁿ → Rᵐ two ways: ``jacfwd`` (n forward passes) and ``jacrev``
(m backward passes), timed over the grid n, m in {1, 10, 100, 1000}.

The function is fixed: one dense layer, f(x) = tanh(W·x + b) with W of shape (m, n), in
float64.  Each cell times the two transforms alternately (fwd, rev, fwd, rev, ...) in one
process, so a slow spell of the shared machine hits both, and keeps the median of each.
Both Jacobians are first checked to agree with the exact one, diag(1 - f²)·W.

    python benchmarks/bench_jacobian.py              # the grid; writes benchmarks/results/jacobian_cost.json
    python benchmarks/bench_jacobian.py --quick      # n, m in {1, 10, 100}, 3 rounds, prints only

The guide's chapter "Forward or reverse?" shows the table and the plot that
``docs/gen_figures.py`` makes from the JSON file (``tests/test_docs.py`` checks they match).
"""

from __future__ import annotations

import argparse
import datetime
import json
import pathlib
import statistics
import time
from collections.abc import Callable
from typing import Any

import harness  # (pins BLAS threads before numpy loads)
import numpy as np

import tinygrad_edu as tg
from tinygrad_edu.func import jacfwd, jacrev

SIZES = (1, 10, 100, 1000)
RESULTS = pathlib.Path(__file__).resolve().parent / "results" / "jacobian_cost.json"


Function = Callable[[tg.Tensor], tg.Tensor]


def dense_tanh(n: int, m: int, seed: int = 0) -> tuple[Function, tg.Tensor, np.ndarray]:
    """f(x) = tanh(W·x + b), W (m, n); the point x; and the exact Jacobian diag(1 - f²)·W."""
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((m, n)) / np.sqrt(n)
    b = rng.standard_normal(m)
    x = rng.standard_normal(n)
    W_t, b_t = tg.Tensor(W), tg.Tensor(b)

    def f(x: tg.Tensor) -> tg.Tensor:
        return (W_t @ x + b_t).tanh()

    exact = (1 - np.tanh(W @ x + b) ** 2)[:, None] * W
    return f, tg.Tensor(x), exact


def rounds_for(n: int, m: int, rounds: int) -> int:
    """Fewer rounds where one Jacobian takes seconds (a 1000 × 1000 one), at least three."""
    return max(3, rounds // 3) if n * m >= 10 ** 6 else rounds


def measure_cell(n: int, m: int, rounds: int) -> dict[str, Any]:
    """Median seconds of jacfwd and jacrev for one (n, m), timed alternately."""
    f, x, exact = dense_tanh(n, m)
    transforms = {"jacfwd": jacfwd(f), "jacrev": jacrev(f)}
    for name, J in transforms.items():  # also the warm-up call
        got = J(x).numpy()
        if not np.allclose(got, exact, rtol=1e-10, atol=1e-12):
            raise AssertionError(f"{name} of the {m}x{n} dense tanh disagrees with the exact Jacobian")
    seconds: dict[str, list[float]] = {name: [] for name in transforms}
    for r in range(rounds_for(n, m, rounds)):
        order = list(transforms) if r % 2 == 0 else list(reversed(transforms))
        for name in order:
            start = time.perf_counter()
            transforms[name](x)
            seconds[name].append(time.perf_counter() - start)
    fwd, rev = (statistics.median(seconds[k]) for k in ("jacfwd", "jacrev"))
    return {"n": n, "m": m, "forward_passes": n, "backward_passes": m,
            "jacfwd_seconds": fwd, "jacrev_seconds": rev, "rounds": len(seconds["jacfwd"])}


def run(sizes: tuple[int, ...] = SIZES, rounds: int = 9) -> dict[str, Any]:
    cells = []
    for n in sizes:
        for m in sizes:
            cells.append(measure_cell(n, m, rounds))
            c = cells[-1]
            print(f"n={n:5d} m={m:5d}  jacfwd {c['jacfwd_seconds'] * 1e3:9.2f} ms   "
                  f"jacrev {c['jacrev_seconds'] * 1e3:9.2f} ms", flush=True)
    return {"function": "f(x) = tanh(W·x + b), W of shape (m, n), float64",
            "measured": datetime.date.today().isoformat(), "machine": harness.machine_info(),
            "cells": cells}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="n, m up to 100, 3 rounds; print only")
    parser.add_argument("--rounds", type=int, default=9, help="alternating rounds per cell")
    args = parser.parse_args(argv)
    if args.quick:
        run(SIZES[:3], 3)
        return 0
    results = run(SIZES, args.rounds)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
