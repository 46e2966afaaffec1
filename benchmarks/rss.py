"""Peak resident memory of the batch-1024 MLP step, one fresh process per variant.

    python benchmarks/rss.py numpy|raw|nn|compiled|torch     # prints one JSON line

A process's peak RSS never goes down, so each variant needs its own process; each imports
only what it uses.  The peak is the kernel's high-water mark of this process's memory
(``VmHWM``), not ``ru_maxrss``, which a child started from a large parent inherits.  It
reports the peak over 20 steps and the resident size just before the first step
(interpreter, libraries, data and weights): the difference is what the step itself holds at
its peak -- the graph, the saved activations and the gradients.
"""

from __future__ import annotations

import json
import resource
import sys

import harness  # noqa: F401  (pins BLAS threads before numpy loads)
import workloads

STEPS, BATCH = 20, 1024


def current_mib() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def peak_mib() -> float:
    with open("/proc/self/status") as f:
        line = next(line for line in f if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024  # kB


def make_step(variant: str):
    X, y, params = workloads.mlp_data(BATCH)
    if variant == "numpy":
        return workloads.mlp_numpy(X, y, params)
    if variant == "torch":
        return workloads.mlp_torch(harness.try_import_torch(), X, y, params)
    import tinygrad_edu as tg

    if variant == "raw":
        return workloads.mlp_raw(tg, X, y, params)
    return workloads.mlp_nn(tg, X, y, params, compiled=variant == "compiled")


def main(variant: str) -> dict[str, float]:
    step = make_step(variant)
    before = current_mib()
    for _ in range(STEPS):
        step()
    return {"variant": variant, "peak_mib": peak_mib(), "before_mib": before}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
