"""The benchmark workloads, each as a set of variants computing the same numbers.

Every factory returns a function that runs one unit of work (one training step, one whole
XOR training, one 4x4 step, one long chain) and returns the loss, so the harness can check
that all variants agree before it times them.  The tinygrad_edu variants take the package as
an argument: the same code runs the current engine and, with ``--base``, an older checkout
imported as ``tinygrad_edu_base``.

- ``numpy``: the forward and the backward written by hand (the baseline of every ratio);
- ``raw``: tinygrad_edu Tensors, a hand-written update under ``no_grad``;
- ``nn``: ``nn.Linear`` / ``nn.Sequential``, an ``nn`` or ``F`` loss and ``optim.SGD``;
- ``compiled``: the ``nn`` step (the raw one for 4x4) through ``tg.compile``, when it exists;
- ``torch``: the ``nn`` step in PyTorch, when it is installed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Step = Callable[[], float]
IN, HIDDEN, OUT, MLP_LR = 784, 128, 10, 0.01
XOR_EPOCHS, XOR_LR = 2000, 0.5
XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
XOR_Y = np.array([[0], [1], [1], [0]], dtype=np.float32)
CHAIN_LENGTH, CHAIN_FACTOR = 100_000, 1.0001


# -- MLP 784-128-10, ReLU, softmax cross-entropy, SGD ---------------------------------------------
def mlp_data(batch: int) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    rng = np.random.default_rng(batch)
    X = rng.standard_normal((batch, IN)).astype(np.float32)
    y = rng.integers(0, OUT, batch)

    def uniform(shape: tuple[int, ...], fan_in: int) -> np.ndarray:
        bound = 1 / np.sqrt(fan_in)
        return rng.uniform(-bound, bound, shape).astype(np.float32)

    params = [uniform((HIDDEN, IN), IN), uniform((HIDDEN,), IN),
              uniform((OUT, HIDDEN), HIDDEN), uniform((OUT,), HIDDEN)]
    return X, y, params


def mlp_numpy(X: np.ndarray, y: np.ndarray, params: list[np.ndarray]) -> Step:
    W1, b1, W2, b2 = (p.copy() for p in params)
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
            p_ -= MLP_LR * g
        return float(loss)

    return step


def mlp_raw(tg: Any, X: np.ndarray, y: np.ndarray, params: list[np.ndarray]) -> Step:
    W1, b1, W2, b2 = weights = [tg.Tensor(p.copy(), requires_grad=True) for p in params]
    xb, rows = tg.Tensor(X), np.arange(len(y))

    def step() -> float:
        a1 = (xb @ W1.T + b1).relu()
        z2 = a1 @ W2.T + b2
        loss = -z2.log_softmax(axis=1)[rows, y].mean()
        loss.backward()
        with tg.no_grad():
            for p in weights:
                p -= MLP_LR * p.grad
                p.grad = None
        return loss.item()

    return step


def _mlp_model(tg: Any, params: list[np.ndarray]) -> Any:
    nn = tg.nn
    model = nn.Sequential(nn.Linear(IN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, OUT))
    for p, value in zip(model.parameters(), params):
        p.data[...] = value
    return model


def mlp_nn(tg: Any, X: np.ndarray, y: np.ndarray, params: list[np.ndarray],
           compiled: bool = False) -> Step:
    model = _mlp_model(tg, params)
    opt = tg.optim.SGD(model.parameters(), lr=MLP_LR)
    xb, yb = tg.Tensor(X), tg.Tensor(y)
    F = tg.nn.functional

    def step() -> Any:
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        return loss

    run = tg.compile(step) if compiled else step
    return lambda: run().item()


def mlp_torch(torch: Any, X: np.ndarray, y: np.ndarray, params: list[np.ndarray]) -> Step:
    model = torch.nn.Sequential(torch.nn.Linear(IN, HIDDEN), torch.nn.ReLU(),
                                torch.nn.Linear(HIDDEN, OUT))
    with torch.no_grad():
        for p, value in zip(model.parameters(), params):
            p.copy_(torch.from_numpy(value))
    opt = torch.optim.SGD(model.parameters(), lr=MLP_LR)
    xb, yb = torch.from_numpy(X), torch.from_numpy(y)

    def step() -> float:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        return loss.item()

    return step


# -- XOR 2-4-1 sigmoid, MSE, 2000 epochs of full-batch gradient descent -----------------------------
def xor_init(seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((4, 2)) * 0.5).astype(np.float32), np.zeros(4, np.float32),
            (rng.standard_normal((1, 4)) * 0.5).astype(np.float32), np.zeros(1, np.float32)]


def xor_numpy(params: list[np.ndarray]) -> Step:
    def train() -> float:
        W1, b1, W2, b2 = (p.copy() for p in params)
        X, Y, m = XOR_X, XOR_Y, len(XOR_X)
        for _ in range(XOR_EPOCHS):
            a1 = 1 / (1 + np.exp(-(X @ W1.T + b1)))
            a2 = 1 / (1 + np.exp(-(a1 @ W2.T + b2)))
            dz2 = 2 * (a2 - Y) * a2 * (1 - a2) / m  # d(mean squared error)/dz2
            dz1 = (dz2 @ W2) * a1 * (1 - a1)
            W2 -= XOR_LR * dz2.T @ a1
            b2 -= XOR_LR * dz2.sum(0)
            W1 -= XOR_LR * dz1.T @ X
            b1 -= XOR_LR * dz1.sum(0)
        return float(np.mean((a2 - Y) ** 2))

    return train


def xor_raw(tg: Any, params: list[np.ndarray]) -> Step:
    def train() -> float:
        W1, b1, W2, b2 = weights = [tg.Tensor(p.copy(), requires_grad=True) for p in params]
        x, y = tg.Tensor(XOR_X), tg.Tensor(XOR_Y)
        for _ in range(XOR_EPOCHS):
            a1 = (x @ W1.T + b1).sigmoid()
            a2 = (a1 @ W2.T + b2).sigmoid()
            loss = ((a2 - y) ** 2).mean()
            loss.backward()
            with tg.no_grad():
                for p in weights:
                    p -= XOR_LR * p.grad
                    p.grad = None
        return loss.item()

    return train


def xor_nn(tg: Any, params: list[np.ndarray], compiled: bool = False) -> Step:
    nn = tg.nn

    def train() -> float:
        model = nn.Sequential(nn.Linear(2, 4), nn.Sigmoid(), nn.Linear(4, 1), nn.Sigmoid())
        for p, value in zip(model.parameters(), params):
            p.data[...] = value
        opt = tg.optim.SGD(model.parameters(), lr=XOR_LR)
        x, y = tg.Tensor(XOR_X), tg.Tensor(XOR_Y)

        def epoch() -> Any:
            opt.zero_grad()
            loss = ((model(x) - y) ** 2).mean()
            loss.backward()
            opt.step()
            return loss

        run = tg.compile(epoch) if compiled else epoch
        for _ in range(XOR_EPOCHS):
            loss = run()
        return loss.item()

    return train


def xor_torch(torch: Any, params: list[np.ndarray]) -> Step:
    def train() -> float:
        nn = torch.nn
        model = nn.Sequential(nn.Linear(2, 4), nn.Sigmoid(), nn.Linear(4, 1), nn.Sigmoid())
        with torch.no_grad():
            for p, value in zip(model.parameters(), params):
                p.copy_(torch.from_numpy(value))
        opt = torch.optim.SGD(model.parameters(), lr=XOR_LR)
        x, y = torch.from_numpy(XOR_X), torch.from_numpy(XOR_Y)
        for _ in range(XOR_EPOCHS):
            opt.zero_grad()
            loss = ((model(x) - y) ** 2).mean()
            loss.backward()
            opt.step()
        return loss.item()

    return train


# -- 4x4 (a*b + c).sum().backward(): per-op overhead -----------------------------------------------
def small_data() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.standard_normal((4, 4)).astype(np.float32) for _ in range(3)]


def small_numpy(arrays: list[np.ndarray]) -> Step:
    a, b, c = arrays

    def step() -> float:
        out = (a * b + c).sum()
        g = np.ones_like(a)  # d(sum)/d(a*b+c)
        grad_a, grad_b, grad_c = g * b, g * a, g
        del grad_a, grad_b, grad_c
        return float(out)

    return step


def small_raw(tg: Any, arrays: list[np.ndarray], compiled: bool = False) -> Step:
    a, b, c = (tg.Tensor(x, requires_grad=True) for x in arrays)

    def forward_backward() -> Any:
        out = (a * b + c).sum()
        out.backward()
        return out

    run = tg.compile(forward_backward) if compiled else forward_backward

    def step() -> float:
        a.grad = b.grad = c.grad = None
        return float(run().data)

    return step


def small_torch(torch: Any, arrays: list[np.ndarray]) -> Step:
    a, b, c = (torch.tensor(x, requires_grad=True) for x in arrays)

    def step() -> float:
        a.grad = b.grad = c.grad = None
        out = (a * b + c).sum()
        out.backward()
        return float(out.detach())

    return step


# -- a chain x = x * 1.0001 of 10^5 ops, forward and backward --------------------------------------
def chain_numpy(n: int = CHAIN_LENGTH) -> Step:
    def run() -> float:
        x = np.ones(4, dtype=np.float32)
        saved = []
        for _ in range(n):
            saved.append(x)
            x = x * np.float32(CHAIN_FACTOR)
        g = np.ones_like(x)
        for _ in reversed(saved):
            g = g * np.float32(CHAIN_FACTOR)
        return float(g.sum())

    return run


def chain_raw(tg: Any, n: int = CHAIN_LENGTH) -> Step:
    def run() -> float:
        x = tg.Tensor(np.ones(4, dtype=np.float32), requires_grad=True)
        y = x
        for _ in range(n):
            y = y * CHAIN_FACTOR
        y.sum().backward()
        return float(x.grad.data.sum())

    return run


def chain_torch(torch: Any, n: int = CHAIN_LENGTH) -> Step:
    def run() -> float:
        x = torch.ones(4, requires_grad=True)
        y = x
        for _ in range(n):
            y = y * CHAIN_FACTOR
        y.sum().backward()
        return float(x.grad.sum())

    return run
