"""Where the time goes: cProfile of the batch-32 MLP training step and of XOR epochs.

Prints the functions with the most time spent in their own body.  NumPy's share shows up as
the ops' ``forward`` (matmul) and the optimizer's ``_update``; everything else is the
framework's Python: building nodes, checking arguments, the engine's loop.
"""

from __future__ import annotations

import cProfile
import io
import pstats

import bench_mlp
import bench_xor
import harness  # noqa: F401  (pins BLAS threads before numpy loads)
import numpy as np


def _top(statement_globals: dict, statement: str, rows: int) -> str:
    profiler = cProfile.Profile()
    profiler.runctx(statement, statement_globals, {})
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs().sort_stats("tottime").print_stats(rows)
    lines = out.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("ncalls"))
    return "\n".join(line.rstrip() for line in lines[start - 2:] if line.strip())


def run(rows: int = 14) -> str:
    rng = np.random.default_rng(32)
    X = rng.standard_normal((32, 784)).astype(np.float32)
    y = rng.integers(0, 10, 32)
    step = bench_mlp.tinygrad_step_factory(X, y, bench_mlp._weights(rng))
    for _ in range(20):
        step()
    mlp = _top({"step": step}, "for _ in range(300): step()", rows)
    params = bench_xor._init(0)
    bench_xor.EPOCHS = 300
    xor = _top({"train": bench_xor.tinygrad_train, "params": params}, "train(params)", rows)
    return ("#### cProfile: 300 MLP steps at batch 32 (sorted by own time)\n\n```\n" + mlp
            + "\n```\n\n#### cProfile: 300 XOR epochs (sorted by own time)\n\n```\n" + xor + "\n```\n")


if __name__ == "__main__":
    print(run())
