"""Toy data sets drawn from simple formulas: XOR, moons, circles, spirals, 1-D functions.

Each generator returns NumPy arrays ``(X, y)`` -- ``X`` float64 of shape (n, 2) or (n, 1),
classification labels ``y`` int64 of shape (n,) -- and is deterministic: ``seed`` is an int
or a ``np.random.Generator``; leaving it ``None`` draws from the global generator, which
``tg.manual_seed`` resets.  They are the classic pictures of why a network needs hidden
layers: none of the classification sets is linearly separable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import random as tg_random

XOR_TABLE = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_LABELS = np.array([0, 1, 1, 0])


def make_rng(seed: int | np.random.Generator | None, owner: str) -> np.random.Generator:
    """The generator to draw from: a fresh one for an int seed, the given one, or the global one."""
    if seed is None or isinstance(seed, np.random.Generator):
        return tg_random.generator(seed)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"{owner}: seed must be a non-negative integer or a np.random.Generator, "
                         f"got {seed!r}")
    return np.random.default_rng(int(seed))


def _check(owner: str, n_samples: Any, noise: Any, minimum: int = 1) -> None:
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < minimum:
        raise ValueError(f"{owner}: n_samples must be an integer >= {minimum}, got {n_samples!r}")
    if isinstance(noise, bool) or not isinstance(noise, (int, float, np.number)) or not noise >= 0 \
            or not np.isfinite(noise):
        raise ValueError(f"{owner}: noise is the standard deviation of Gaussian noise and must be a "
                         f"finite number >= 0, got {noise!r}")


def _finish(X: np.ndarray, y: np.ndarray, noise: float, rng: np.random.Generator,
            shuffle: bool) -> tuple[np.ndarray, np.ndarray]:
    """Add Gaussian noise to X and optionally shuffle the rows (same order for X and y)."""
    if noise > 0:
        X = X + noise * rng.standard_normal(X.shape)
    if shuffle:
        order = rng.permutation(len(X))
        X, y = X[order], y[order]
    return X.astype(np.float64), y.astype(np.int64)


def make_xor(n_samples: int | None = None, noise: float = 0.0,
             seed: int | np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The XOR problem: label 1 when exactly one of the two inputs is 1.

    With ``n_samples=None`` (the default): the 4-row truth table, in order,
    ``X = [[0,0],[0,1],[1,0],[1,1]]``, ``y = [0,1,1,0]``.  With ``n_samples=n``: n points
    spread evenly over the four corners, each moved by Gaussian noise of std ``noise``, in
    shuffled order.  A single line cannot separate the classes, which is why a perceptron
    fails and a network with a hidden layer succeeds.  For an MSE loss use
    ``y.reshape(-1, 1).astype(np.float32)`` as the target.
    """
    if n_samples is None:
        _check("make_xor", 4, noise)
        rng = make_rng(seed, "make_xor")
        return _finish(XOR_TABLE.copy(), XOR_LABELS.copy(), noise, rng, shuffle=False)
    _check("make_xor", n_samples, noise)
    rng = make_rng(seed, "make_xor")
    corner = np.arange(n_samples) % 4
    return _finish(XOR_TABLE[corner], XOR_LABELS[corner], noise, rng, shuffle=True)


def make_moons(n_samples: int = 100, noise: float = 0.0, seed: int | np.random.Generator | None = None,
               shuffle: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (the construction scikit-learn uses).

    Class 0: ``(cos t, sin t)``; class 1: ``(1 - cos t, 0.5 - sin t)``, for ``t`` evenly
    spaced in [0, pi]; class 0 gets ``n_samples // 2`` points, class 1 the rest.
    """
    _check("make_moons", n_samples, noise, minimum=2)
    rng = make_rng(seed, "make_moons")
    n_out = n_samples // 2
    n_in = n_samples - n_out
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_in)
    X = np.concatenate([np.stack([np.cos(t_out), np.sin(t_out)], axis=1),
                        np.stack([1 - np.cos(t_in), 0.5 - np.sin(t_in)], axis=1)])
    y = np.concatenate([np.zeros(n_out), np.ones(n_in)])
    return _finish(X, y, noise, rng, shuffle)


def make_circles(n_samples: int = 100, noise: float = 0.0, factor: float = 0.5,
                 seed: int | np.random.Generator | None = None,
                 shuffle: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """A circle of radius 1 (class 0) around a circle of radius ``factor`` (class 1).

    Points are evenly spaced in angle; class 0 gets ``n_samples // 2`` of them.  No straight
    line separates the classes, but the radius does: a hidden layer can learn it.
    """
    _check("make_circles", n_samples, noise, minimum=2)
    if not 0 < factor < 1:
        raise ValueError(f"make_circles: factor (inner radius / outer radius) must be in (0, 1), "
                         f"got {factor!r}")
    rng = make_rng(seed, "make_circles")
    n_out = n_samples // 2
    n_in = n_samples - n_out
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    X = np.concatenate([np.stack([np.cos(t_out), np.sin(t_out)], axis=1),
                        factor * np.stack([np.cos(t_in), np.sin(t_in)], axis=1)])
    y = np.concatenate([np.zeros(n_out), np.ones(n_in)])
    return _finish(X, y, noise, rng, shuffle)


def make_spirals(n_samples: int = 300, n_classes: int = 2, noise: float = 0.0, turns: float = 1.0,
                 seed: int | np.random.Generator | None = None,
                 shuffle: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """``n_classes`` spiral arms winding out from the origin, one class per arm.

    Arm ``k`` holds points ``r * (cos a, sin a)`` with radius ``r`` evenly spaced in
    [0.05, 1] and angle ``a = 2 pi (turns * r + k / n_classes)``; ``n_samples`` is split as
    evenly as possible between the arms.  More ``turns`` make a harder problem.
    """
    _check("make_spirals", n_samples, noise)
    if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)) or not \
            2 <= n_classes <= n_samples:
        raise ValueError(f"make_spirals: n_classes must be an integer from 2 to n_samples ({n_samples}), "
                         f"got {n_classes!r}")
    if not turns > 0:
        raise ValueError(f"make_spirals: turns must be > 0, got {turns!r}")
    rng = make_rng(seed, "make_spirals")
    sizes = [n_samples // n_classes + (1 if k < n_samples % n_classes else 0) for k in range(n_classes)]
    parts, labels = [], []
    for k, m in enumerate(sizes):
        r = np.linspace(0.05, 1.0, m)
        angle = 2 * np.pi * (turns * r + k / n_classes)
        parts.append(r[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1))
        labels.append(np.full(m, k))
    return _finish(np.concatenate(parts), np.concatenate(labels), noise, rng, shuffle)


_FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sin": np.sin,
    "abs": np.abs,
    "step": lambda x: (x >= 0).astype(np.float64),
    "square": np.square,
}


def make_regression_1d(fn: str | Callable[[np.ndarray], np.ndarray] = "sin", n_samples: int = 100,
                       noise: float = 0.0, x_range: tuple[float, float] = (-3.0, 3.0),
                       seed: int | np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Sample ``y = fn(x) + noise`` at ``n_samples`` random points of ``x_range``.

    ``fn`` is ``'sin'``, ``'abs'``, ``'step'`` (1 for x >= 0, else 0), ``'square'`` or any
    callable mapping an array of x to an array of y of the same shape.  Returns ``X`` and
    ``y``, both float64 of shape (n, 1) and sorted by x (handy for plotting), so a network
    with output shape (n, 1) can be compared with ``y`` directly.  Fitting these with one
    hidden layer illustrates the universal approximation theorem.
    """
    _check("make_regression_1d", n_samples, noise)
    if isinstance(fn, str):
        if fn not in _FUNCTIONS:
            raise ValueError(f"make_regression_1d: unknown fn {fn!r}; use one of {sorted(_FUNCTIONS)} "
                             "or pass a function of a NumPy array")
        f = _FUNCTIONS[fn]
    elif callable(fn):
        f = fn
    else:
        raise TypeError(f"make_regression_1d: fn must be a name or a callable, got {type(fn).__name__}")
    low, high = (float(v) for v in x_range)
    if not low < high:
        raise ValueError(f"make_regression_1d: x_range must be (low, high) with low < high, got {x_range!r}")
    rng = make_rng(seed, "make_regression_1d")
    x = np.sort(rng.uniform(low, high, size=n_samples))
    y = np.asarray(f(x), dtype=np.float64)
    if y.shape != x.shape:
        raise ValueError(f"make_regression_1d: fn returned shape {y.shape} for input shape {x.shape}; "
                         "it must work elementwise")
    if noise > 0:
        y = y + noise * rng.standard_normal(y.shape)
    return x[:, None], y[:, None]
