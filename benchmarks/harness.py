"""The in-process interleaved harness: every variant of a workload timed in one process.

On a shared two-core machine absolute times drift by 30% within minutes, so timing each
variant in its own run cannot tell a 10% change from noise.  Here all variants of a workload
(hand-written NumPy, tinygrad_edu raw Tensors, nn/optim, compiled, PyTorch, an older checkout)
run in the same process, interleaved in short blocks: one *round* times one block of every
variant, in an order that rotates from round to round, with a NumPy block between every two.
Each block gives its variant a ratio to the NumPy blocks run just before and just after it,
and the result is the median of those per-round ratios with their interquartile range.
Drift between and within rounds cancels out.

Import this module BEFORE numpy: BLAS reads its thread count when it is loaded, and two BLAS
threads on a two-core machine produce large outliers.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
    os.environ.setdefault(_var, "1")

import gc  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import numpy as np  # noqa: E402

BASELINE = "numpy"


def try_import_torch():
    """PyTorch is an optional comparison; None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    return torch


@dataclass
class Measured:
    """One variant of one workload: per-call seconds and per-round ratios to the baseline."""

    variant: str
    seconds: list[float]
    ratios: list[float]

    @property
    def median_seconds(self) -> float:
        return statistics.median(self.seconds)

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)

    @property
    def iqr(self) -> tuple[float, float]:
        """The 25th and 75th percentiles of the per-round ratios."""
        q = statistics.quantiles(self.ratios, n=4, method="inclusive")
        return q[0], q[2]


def interleave(variants: dict[str, Callable[[], object]], rounds: int = 21, number: int = 1,
               warmup: int = 2) -> dict[str, Measured]:
    """Time ``number`` calls of every variant per round, for ``rounds`` rounds.

    ``variants`` must contain the baseline (``"numpy"``).  Within a round the baseline runs
    between every two other variants (``numpy, a, numpy, b, numpy, ...``) and each variant's
    ratio is its time over the mean of the two baseline blocks beside it, so even drift
    within a round cancels.  The order of the others rotates from round to round, so no
    variant always follows another (caches, allocator state, CPU frequency).  The cycle
    collector stays on, because users run with it on and a framework that allocates many
    objects per op pays for it; a full collection before each block keeps one variant's
    garbage from being collected on the next one's time, and the objects that exist before
    the rounds start are frozen out of its passes (see below).
    """
    if BASELINE not in variants:
        raise ValueError(f"interleave needs a {BASELINE!r} variant to compute ratios")
    others = [n for n in variants if n != BASELINE]
    for fn in variants.values():
        for _ in range(warmup):
            fn()
    # What exists now (PyTorch's modules, the harness, the workloads' models) is moved out of
    # the collector's passes: otherwise importing PyTorch alone makes every full collection
    # during a long chain walk its hundred thousand objects, a cost no user of the engine
    # without PyTorch pays.  Everything the variants allocate from here on is collected.
    gc.collect()
    gc.freeze()

    def block(fn: Callable[[], object]) -> float:
        gc.collect()
        start = time.perf_counter()
        for _ in range(number):
            fn()
        return (time.perf_counter() - start) / number

    seconds: dict[str, list[float]] = {n: [] for n in variants}
    ratios: dict[str, list[float]] = {n: [] for n in variants}
    for r in range(rounds):
        k = r % max(len(others), 1)
        before = block(variants[BASELINE])
        seconds[BASELINE].append(before)
        ratios[BASELINE].append(1.0)
        for name in others[k:] + others[:k]:
            t = block(variants[name])
            after = block(variants[BASELINE])
            seconds[name].append(t)
            ratios[name].append(t / ((before + after) / 2))
            before = after
    gc.unfreeze()
    return {n: Measured(n, seconds[n], ratios[n]) for n in variants}


def calibrate(fn: Callable[[], object], block_seconds: float = 0.05) -> int:
    """How many calls of ``fn`` fill about ``block_seconds`` (at least one)."""
    fn()
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-7)
    return max(1, int(block_seconds / once))


def machine_info() -> str:
    torch = try_import_torch()
    import tinygrad_edu

    return (f"Python {platform.python_version()}, NumPy {np.__version__}, "
            f"tinygrad_edu {tinygrad_edu.__version__}, "
            f"PyTorch {torch.__version__ if torch else 'not installed'}, "
            f"{os.cpu_count()} CPUs ({platform.machine()}), BLAS threads pinned to 1")
