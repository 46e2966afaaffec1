"""Shared timing helpers for the benchmarks: pinned threads, medians, ratios, a results table.

Import this module BEFORE numpy: BLAS reads its thread count when it is loaded, and two BLAS
threads on a two-core machine produce large outliers.  Absolute times are not comparable
across runs on these noisy machines; every benchmark therefore measures its baseline in the
same process and reports ratios of medians.
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
from dataclasses import dataclass, field  # noqa: E402

import numpy as np  # noqa: E402


def try_import_torch():
    """PyTorch is an optional oracle; None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    return torch


def median_time(fn: Callable[[], object], repeats: int = 15, number: int = 1,
                warmup: int = 2) -> float:
    """Median over ``repeats`` of the time for ``number`` calls, in seconds per call."""
    for _ in range(warmup):
        fn()
    # The cycle collector stays on: users run with it, and a framework that allocates many
    # objects per op pays for it -- that cost belongs in the measurement.
    gc.collect()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples)


@dataclass
class Table:
    """Rows of (benchmark, variant, median, ratio to baseline, note) for printing and docs."""

    title: str
    rows: list[tuple[str, str, str, str, str]] = field(default_factory=list)

    def add(self, bench: str, variant: str, seconds: float | None, baseline: float | None,
            unit: str = "ms", note: str = "") -> None:
        scale = {"s": 1.0, "ms": 1e3, "us": 1e6}[unit]
        shown = "n/a" if seconds is None else f"{seconds * scale:.3f} {unit}"
        ratio = "" if seconds is None or not baseline else f"{seconds / baseline:.2f}x"
        self.rows.append((bench, variant, shown, ratio, note))

    def markdown(self) -> str:
        lines = [f"### {self.title}", "", "| benchmark | variant | median | ratio | note |",
                 "|---|---|---|---|---|"]
        lines += ["| " + " | ".join(r) + " |" for r in self.rows]
        return "\n".join(lines) + "\n"

    def print(self) -> None:
        print(self.markdown())


def machine_info() -> str:
    torch = try_import_torch()
    import tinygrad_edu

    return (f"Python {platform.python_version()}, NumPy {np.__version__}, "
            f"tinygrad_edu {tinygrad_edu.__version__}, "
            f"PyTorch {torch.__version__ if torch else 'not installed'}, "
            f"{os.cpu_count()} CPUs ({platform.machine()}), BLAS threads pinned to 1")
