"""Memory: resident set size across 10,000 MLP training steps, graph nodes left alive after
backward, and dtypes (float32 parameters must get float32 gradients, with no silent float64).

A framework that leaks one graph per step, or keeps optimizer temporaries, shows up here as
steady RSS growth; a healthy one is flat after the first steps.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field

import harness  # noqa: F401  (pins BLAS threads before numpy loads)
import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.function import Function
from tinygrad_edu.nn import functional as F


@dataclass
class Table:
    """Rows of (check, result) for printing and for the doc."""

    title: str
    rows: list[tuple[str, str]] = field(default_factory=list)

    def add(self, check: str, result: str) -> None:
        self.rows.append((check, result))

    def markdown(self) -> str:
        lines = [f"#### {self.title}", "", "| check | result |", "|---|---|"]
        return "\n".join(lines + [f"| {a} | {b} |" for a, b in self.rows]) + "\n"


def rss_mb() -> float:
    """Current resident set size (Linux /proc), in MiB."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    import resource

    return pages * resource.getpagesize() / 2**20


def live_nodes() -> int:
    gc.collect()
    return sum(isinstance(o, Function) for o in gc.get_objects())


def run(table: Table, steps: int = 10_000, batch: int = 32) -> dict[str, float]:
    tg.manual_seed(0)
    rng = np.random.default_rng(0)
    X = tg.Tensor(rng.standard_normal((batch, 784)).astype(np.float32))
    y = tg.Tensor(rng.integers(0, 10, batch))
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def train_step() -> None:
        opt.zero_grad()
        loss = F.cross_entropy(model(X), y)
        loss.backward()
        opt.step()

    for _ in range(200):  # let allocator pools and optimizer state reach their steady size
        train_step()
    start = rss_mb()
    for _ in range(steps):
        train_step()
    growth = rss_mb() - start
    nodes = live_nodes()
    dtypes = {str(p.dtype) for p in model.parameters()} | {
        str(p.grad.dtype) for p in model.parameters() if p.grad is not None}
    table.add(f"RSS growth over {steps:,} MLP steps (batch {batch})", f"{growth:+.2f} MiB")
    table.add("graph nodes alive after backward", f"{nodes}")
    table.add("dtypes of parameters and gradients", ", ".join(sorted(dtypes)))
    return {"rss_growth_mb": growth, "live_nodes": nodes}


if __name__ == "__main__":
    t = Table("Memory")
    run(t)
    print(t.markdown())
