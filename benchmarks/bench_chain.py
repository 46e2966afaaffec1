"""A long chain ``x = x * 1.0001`` of 10^3, 10^4 and 10^5 ops: forward and backward time and
peak memory, at Python's default recursion limit (micrograd's recursive sort dies at ~1000).

The baseline is the same work in a NumPy loop: N multiplications forward, N backward.
"""

from __future__ import annotations

import sys
import tracemalloc

import harness  # noqa: F401  (pins BLAS threads before numpy loads)
import numpy as np
from harness import Table, median_time

import tinygrad_edu as tg


def _numpy_chain(n: int) -> None:
    x = np.ones(4, dtype=np.float32)
    saved = []
    for _ in range(n):
        saved.append(x)
        x = x * np.float32(1.0001)
    g = np.ones_like(x)
    for _ in reversed(saved):
        g = g * np.float32(1.0001)


def _tg_chain(n: int) -> None:
    x = tg.Tensor(np.ones(4, dtype=np.float32), requires_grad=True)
    y = x
    for _ in range(n):
        y = y * 1.0001
    y.sum().backward()


def _peak_mb(fn, n: int) -> float:
    tracemalloc.start()
    fn(n)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def run(table: Table, lengths=(1_000, 10_000, 100_000)) -> dict[int, float]:
    results = {}
    for n in lengths:
        repeats = 7 if n <= 10_000 else 3
        base = median_time(lambda n=n: _numpy_chain(n), repeats=repeats, warmup=1)
        ours = median_time(lambda n=n: _tg_chain(n), repeats=repeats, warmup=1)
        peak = _peak_mb(_tg_chain, n)
        results[n] = ours
        table.add(f"chain of {n:,} ops, fwd+bwd", "numpy loop", base, base, unit="s")
        note = f"peak {peak:.1f} MiB; recursion limit {sys.getrecursionlimit()}"
        if n == 100_000:
            note += "; target <= 0.8 s"
        table.add(f"chain of {n:,} ops, fwd+bwd", "tinygrad_edu", ours, base, unit="s", note=note)
    return results


if __name__ == "__main__":
    t = Table("Long chains")
    run(t)
    t.print()
