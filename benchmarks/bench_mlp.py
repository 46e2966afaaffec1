"""One SGD training step of a 784→128→10 ReLU MLP with softmax cross-entropy, float32.

Three implementations of the same maths, timed in the same process:
- hand-written NumPy (forward, the backward derived on paper, the update),
- tinygrad_edu (nn.Linear, F.cross_entropy, optim.SGD: the engine derives the backward),
- PyTorch CPU, when installed.
The ratio to NumPy is the framework's cost; at batch 128 and above it should vanish into the
matrix multiplications.
"""

from __future__ import annotations

import harness  # noqa: F401  (pins BLAS threads before numpy loads)
import numpy as np
from harness import Table, median_time, try_import_torch

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.nn import functional as F

IN, HIDDEN, OUT, LR = 784, 128, 10, 0.01


def _weights(rng: np.random.Generator) -> list[np.ndarray]:
    def uniform(shape: tuple[int, ...], fan_in: int) -> np.ndarray:
        bound = 1 / np.sqrt(fan_in)
        return rng.uniform(-bound, bound, shape).astype(np.float32)

    return [uniform((HIDDEN, IN), IN), uniform((HIDDEN,), IN),
            uniform((OUT, HIDDEN), HIDDEN), uniform((OUT,), HIDDEN)]


def numpy_step_factory(X: np.ndarray, y: np.ndarray, params: list[np.ndarray]):
    W1, b1, W2, b2 = params
    rows = np.arange(len(y))

    def step() -> float:
        z1 = X @ W1.T + b1
        a1 = np.maximum(z1, 0)
        z2 = a1 @ W2.T + b2
        shifted = z2 - z2.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        p = exp / exp.sum(axis=1, keepdims=True)
        loss = -np.log(p[rows, y]).mean()
        dz2 = p
        dz2[rows, y] -= 1
        dz2 /= len(y)
        dW2, db2 = dz2.T @ a1, dz2.sum(axis=0)
        dz1 = (dz2 @ W2) * (z1 > 0)
        dW1, db1 = dz1.T @ X, dz1.sum(axis=0)
        for p_, g in ((W1, dW1), (b1, db1), (W2, dW2), (b2, db2)):
            p_ -= LR * g
        return float(loss)

    return step


def tinygrad_step_factory(X: np.ndarray, y: np.ndarray, params: list[np.ndarray]):
    model = nn.Sequential(nn.Linear(IN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, OUT))
    for p, value in zip(model.parameters(), params):
        p.data[...] = value
    opt = optim.SGD(model.parameters(), lr=LR)
    xb, yb = tg.Tensor(X), tg.Tensor(y)

    def step() -> float:
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def torch_step_factory(torch, X: np.ndarray, y: np.ndarray, params: list[np.ndarray]):
    model = torch.nn.Sequential(torch.nn.Linear(IN, HIDDEN), torch.nn.ReLU(),
                                torch.nn.Linear(HIDDEN, OUT))
    with torch.no_grad():
        for p, value in zip(model.parameters(), params):
            p.copy_(torch.from_numpy(value))
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    xb, yb = torch.from_numpy(X), torch.from_numpy(y)

    def step() -> float:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def run(table: Table, batches=(32, 128, 1024)) -> dict[int, float]:
    torch = try_import_torch()
    ratios = {}
    for batch in batches:
        rng = np.random.default_rng(batch)
        X = rng.standard_normal((batch, IN)).astype(np.float32)
        y = rng.integers(0, OUT, batch)
        params = _weights(rng)
        repeats, number = (21, 50) if batch <= 128 else (15, 10)
        steps = {"numpy": numpy_step_factory(X, y, [p.copy() for p in params]),
                 "tinygrad_edu": tinygrad_step_factory(X, y, [p.copy() for p in params])}
        if torch is not None:
            steps["torch"] = torch_step_factory(torch, X, y, [p.copy() for p in params])
        # The three must compute the same loss, or the comparison means nothing.
        first = {name: step() for name, step in steps.items()}
        assert all(abs(v - first["numpy"]) < 1e-4 for v in first.values()), first
        times = {name: median_time(step, repeats=repeats, number=number) for name, step in steps.items()}
        target = "target <= 1.30x" if batch == 32 else "target <= 1.10x"
        for name, seconds in times.items():
            table.add(f"MLP step, batch {batch}", name, seconds, times["numpy"], unit="ms",
                      note=target if name == "tinygrad_edu" else "")
        ratios[batch] = times["tinygrad_edu"] / times["numpy"]
    return ratios


if __name__ == "__main__":
    t = Table("MLP 784-128-10 training step")
    run(t)
    t.print()
