"""tg.compile against the same step written by hand in NumPy: XOR, the 4x4 step, the MLP step.

Measured in one process, interleaved: each round times the hand-written NumPy step and the
compiled step back to back, and the ratio of the two is kept per round, so a shared
machine's slow spells hit both sides of a ratio alike.  BLAS runs on one thread (harness.py).
Reported: the median ratio over the rounds and its interquartile range, beside the targets
of issue 17.  Every compiled step is first checked to give the eager step's numbers.

    python benchmarks/bench_compile.py [--rounds 21]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import bench_mlp
import bench_xor
import harness  # noqa: F401  (pins BLAS threads before numpy loads)
import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.nn import functional as F

TARGETS = {"MLP b32": 1.15, "MLP b128": 1.08, "MLP b1024": 1.05, "XOR 2000 epochs": 2.0, "4x4 step": 2.5}


def compiled_xor(params: list[np.ndarray]) -> Callable[[], float]:
    """bench_xor's nn/optim loop with its step compiled."""
    def train() -> float:
        model = nn.Sequential(nn.Linear(2, 4), nn.Sigmoid(), nn.Linear(4, 1), nn.Sigmoid())
        for p, value in zip(model.parameters(), params):
            p.data[...] = value
        opt = optim.SGD(model.parameters(), lr=bench_xor.LR)
        x, y = tg.Tensor(bench_xor.X), tg.Tensor(bench_xor.Y)

        @tg.compile
        def step(x, y):
            opt.zero_grad()
            loss = ((model(x) - y) ** 2).mean()
            loss.backward()
            opt.step()
            return loss
        for _ in range(bench_xor.EPOCHS):
            loss = step(x, y)
        return loss.item()
    return train


def four_by_four() -> tuple[Callable[[], None], Callable[[], None]]:
    """bench_overhead's (a*b + c).sum().backward() on 4x4 float32, by hand and compiled."""
    rng = np.random.default_rng(0)
    a_np, b_np, c_np = (rng.standard_normal((4, 4)).astype(np.float32) for _ in range(3))

    def numpy_by_hand() -> None:
        out = (a_np * b_np + c_np).sum()
        g = np.ones_like(a_np)
        grad_a, grad_b, grad_c = g * b_np, g * a_np, g
        del out, grad_a, grad_b, grad_c

    a, b, c = (tg.Tensor(x, requires_grad=True) for x in (a_np, b_np, c_np))

    @tg.compile
    def step() -> tg.Tensor:
        a.grad = b.grad = c.grad = None
        loss = (a * b + c).sum()
        loss.backward()
        return loss
    return numpy_by_hand, step


def compiled_mlp(X: np.ndarray, y: np.ndarray, params: list[np.ndarray]) -> Callable[[], float]:
    """bench_mlp's nn/optim step (784-128-10, ReLU, cross-entropy, SGD), compiled."""
    model = nn.Sequential(nn.Linear(bench_mlp.IN, bench_mlp.HIDDEN), nn.ReLU(),
                          nn.Linear(bench_mlp.HIDDEN, bench_mlp.OUT))
    for p, value in zip(model.parameters(), params):
        p.data[...] = value
    opt = optim.SGD(model.parameters(), lr=bench_mlp.LR)
    xb, yb = tg.Tensor(X), tg.Tensor(y)

    @tg.compile
    def step(x, target):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), target)
        loss.backward()
        opt.step()
        return loss
    return lambda: step(xb, yb).item()


def interleaved(pairs: dict[str, tuple[Callable[[], object], Callable[[], object], int]],
                rounds: int) -> dict[str, tuple[float, float, float, float]]:
    """Per workload: (median hand time, median compiled time, median ratio, IQR of ratios)."""
    ratios: dict[str, list[float]] = {k: [] for k in pairs}
    times: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in pairs}
    for _ in range(rounds):
        for name, (hand, compiled, number) in pairs.items():
            spent = []
            for fn in (hand, compiled):
                start = time.perf_counter()
                for _ in range(number):
                    fn()
                spent.append((time.perf_counter() - start) / number)
            times[name][0].append(spent[0])
            times[name][1].append(spent[1])
            ratios[name].append(spent[1] / spent[0])
    out = {}
    for name, rs in ratios.items():
        q = statistics.quantiles(rs, n=4)
        out[name] = (statistics.median(times[name][0]), statistics.median(times[name][1]),
                     statistics.median(rs), q[2] - q[0])
    return out


def workloads() -> dict[str, tuple[Callable[[], object], Callable[[], object], int]]:
    params = bench_xor._init(0)
    xor_hand, xor_compiled = (lambda: bench_xor.numpy_train(params)), compiled_xor(params)
    assert abs(xor_hand() - xor_compiled()) < 1e-4  # the same training, to float32 rounding
    hand4, step4 = four_by_four()
    pairs: dict[str, tuple[Callable[[], object], Callable[[], object], int]] = {
        "XOR 2000 epochs": (xor_hand, xor_compiled, 1), "4x4 step": (hand4, step4, 2000)}
    for batch in (32, 128, 1024):
        rng = np.random.default_rng(batch)
        X = rng.standard_normal((batch, bench_mlp.IN)).astype(np.float32)
        y = rng.integers(0, bench_mlp.OUT, batch)
        weights = bench_mlp._weights(rng)
        hand = bench_mlp.numpy_step_factory(X, y, [w.copy() for w in weights])
        compiled = compiled_mlp(X, y, [w.copy() for w in weights])
        eager = bench_mlp.tinygrad_step_factory(X, y, [w.copy() for w in weights])
        first = [eager(), compiled(), compiled(), eager()]
        assert first[0] == first[1] and first[2] == first[3], first  # compiled == eager, exactly
        assert abs(hand() - first[0]) < 1e-4
        pairs[f"MLP b{batch}"] = (hand, compiled, 50 if batch <= 128 else 5)
    return pairs


def main(argv: list[str] | None = None) -> dict[str, tuple[float, float, float, float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21)
    args = parser.parse_args(argv)
    results = interleaved(workloads(), args.rounds)
    print(f"tg.compile vs hand-written NumPy, {args.rounds} interleaved rounds, BLAS threads 1")
    print("| workload | NumPy by hand | compiled | ratio (median) | IQR | target |")
    print("|---|---|---|---|---|---|")
    for name, (hand, compiled, ratio, iqr) in results.items():
        unit, scale = ("ms", 1e3) if hand > 1e-3 else ("µs", 1e6)
        print(f"| {name} | {hand * scale:.2f} {unit} | {compiled * scale:.2f} {unit} | {ratio:.2f}× | "
              f"{iqr:.2f} | ≤{TARGETS[name]:.2f}× |")
    return results


if __name__ == "__main__":
    main()
