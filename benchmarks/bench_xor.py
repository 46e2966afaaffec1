"""The tutorial's XOR network, 2→4→1 sigmoid, full batch (4 samples), 2000 epochs of plain
gradient descent on mean squared error.  Tiny arrays: this measures per-op overhead over a
realistic teaching workload.  Baseline: the same loop with the gradient written by hand.
"""

from __future__ import annotations

import harness  # noqa: F401  (pins BLAS threads before numpy loads)
import numpy as np
from harness import Table, median_time, try_import_torch

import tinygrad_edu as tg
from tinygrad_edu import nn, optim

EPOCHS, LR = 2000, 0.5
X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
Y = np.array([[0], [1], [1], [0]], dtype=np.float32)


def _init(seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((4, 2)) * 0.5).astype(np.float32), np.zeros(4, np.float32),
            (rng.standard_normal((1, 4)) * 0.5).astype(np.float32), np.zeros(1, np.float32)]


def numpy_train(params: list[np.ndarray]) -> float:
    W1, b1, W2, b2 = (p.copy() for p in params)
    m = len(X)
    for _ in range(EPOCHS):
        a1 = 1 / (1 + np.exp(-(X @ W1.T + b1)))
        a2 = 1 / (1 + np.exp(-(a1 @ W2.T + b2)))
        dz2 = 2 * (a2 - Y) * a2 * (1 - a2) / m  # d(mean squared error)/dz2
        dz1 = (dz2 @ W2) * a1 * (1 - a1)
        W2 -= LR * dz2.T @ a1
        b2 -= LR * dz2.sum(0)
        W1 -= LR * dz1.T @ X
        b1 -= LR * dz1.sum(0)
    return float(np.mean((a2 - Y) ** 2))


def tinygrad_train(params: list[np.ndarray]) -> float:
    model = nn.Sequential(nn.Linear(2, 4), nn.Sigmoid(), nn.Linear(4, 1), nn.Sigmoid())
    for p, value in zip(model.parameters(), params):
        p.data[...] = value
    opt = optim.SGD(model.parameters(), lr=LR)
    x, y = tg.Tensor(X), tg.Tensor(Y)
    for _ in range(EPOCHS):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
    return loss.item()


def torch_train(torch, params: list[np.ndarray]) -> float:
    model = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Sigmoid(), torch.nn.Linear(4, 1),
                                torch.nn.Sigmoid())
    with torch.no_grad():
        for p, value in zip(model.parameters(), params):
            p.copy_(torch.from_numpy(value))
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    x, y = torch.from_numpy(X), torch.from_numpy(Y)
    for _ in range(EPOCHS):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
    return loss.item()


def run(table: Table) -> float:
    params = _init(0)
    runs = {"numpy": lambda: numpy_train(params), "tinygrad_edu": lambda: tinygrad_train(params)}
    torch = try_import_torch()
    if torch is not None:
        runs["torch"] = lambda: torch_train(torch, params)
    finals = {name: fn() for name, fn in runs.items()}
    assert all(abs(v - finals["numpy"]) < 1e-4 for v in finals.values()), finals
    times = {name: median_time(fn, repeats=5, warmup=1) for name, fn in runs.items()}
    for name, seconds in times.items():
        table.add("XOR 2-4-1, 2000 epochs", name, seconds, times["numpy"], unit="ms",
                  note="target <= 3.0x" if name == "tinygrad_edu" else "")
    return times["tinygrad_edu"] / times["numpy"]


if __name__ == "__main__":
    t = Table("XOR training")
    run(t)
    t.print()
