"""Where the time goes: cProfile of the eager steps that miss their targets.

Prints the functions with the most time spent in their own body for 300 MLP steps at batch
32 (nn/optim), 300 XOR epochs (nn/optim) and 2000 4x4 steps.  NumPy's share shows up as the
ops' ``forward`` and the optimizer's ``_update``; everything else is the framework's Python:
building nodes, checking arguments, the engine's loop.  (cProfile slows small Python
functions more than NumPy calls, so read it for *where*, and the harness for *how much*.)
"""

from __future__ import annotations

import cProfile
import io
import pstats

import harness  # noqa: F401  (pins BLAS threads before numpy loads)
import workloads as w

import tinygrad_edu as tg


def _top(fn, calls: int, rows: int) -> str:
    fn()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(calls):
        fn()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs().sort_stats("tottime").print_stats(rows)
    lines = out.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("ncalls"))
    return "\n".join(line.rstrip() for line in lines[start - 2:] if line.strip())


def run(rows: int = 16) -> str:
    X, y, params = w.mlp_data(32)
    mlp = _top(w.mlp_nn(tg, X, y, params), 300, rows)
    epochs, w.XOR_EPOCHS = w.XOR_EPOCHS, 300
    try:
        xor = _top(w.xor_nn(tg, w.xor_init(0)), 1, rows)
    finally:
        w.XOR_EPOCHS = epochs
    small = _top(w.small_raw(tg, w.small_data()), 2000, rows)
    parts = [("300 MLP steps at batch 32, nn/optim", mlp), ("300 XOR epochs, nn/optim", xor),
             ("2000 4x4 steps", small)]
    return "\n".join(f"#### cProfile: {title} (sorted by own time)\n\n```\n{text}\n```\n"
                     for title, text in parts)


if __name__ == "__main__":
    print(run())
