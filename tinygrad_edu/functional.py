"""Functional forms of Tensor methods: ``tg.exp(x)``, ``tg.relu(x)``, ``F.softmax(x, dim=1)``.

PyTorch-style code calls maths and activations as functions.  Each one here is one line over
the Tensor method (data that is not yet a Tensor is wrapped first), with PyTorch's argument
names where PyTorch has them.  This is the one home of these functions: ``tg.relu`` and
``tg.nn.functional.relu`` are the same object, and ``__all__`` below is the list from which
both the top-level namespace and the command line's allow-list are built.
"""

from __future__ import annotations

from typing import Any

from .tensor import Tensor, where

__all__ = [
    "exp", "log", "sqrt", "maximum", "minimum", "matmul", "where",
    "relu", "sigmoid", "tanh", "leaky_relu", "softmax", "log_softmax", "step",
]


def _t(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def exp(x: Any) -> Tensor:
    """eˣ, elementwise."""
    return _t(x).exp()


def log(x: Any) -> Tensor:
    """ln x, elementwise."""
    return _t(x).log()


def sqrt(x: Any) -> Tensor:
    """√x, elementwise."""
    return _t(x).sqrt()


def maximum(x: Any, y: Any) -> Tensor:
    """Elementwise max of two tensors (ties split the gradient)."""
    return _t(x).maximum(y)


def minimum(x: Any, y: Any) -> Tensor:
    """Elementwise min of two tensors."""
    return _t(x).minimum(y)


def matmul(x: Any, y: Any) -> Tensor:
    """x @ y."""
    return _t(x) @ y


def relu(x: Any) -> Tensor:
    """max(x, 0)."""
    return _t(x).relu()


def sigmoid(x: Any) -> Tensor:
    """1 / (1 + exp(-x)), in (0, 1)."""
    return _t(x).sigmoid()


def tanh(x: Any) -> Tensor:
    """tanh(x), in (-1, 1)."""
    return _t(x).tanh()


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Tensor:
    """x for x > 0, negative_slope·x otherwise."""
    return _t(x).leaky_relu(negative_slope)


def softmax(x: Any, axis: Any = -1, dim: Any = None) -> Tensor:
    """exp(xᵢ) / Σⱼ exp(xⱼ) along ``axis`` (``dim`` is PyTorch's name for it)."""
    return _t(x).softmax(axis if dim is None else dim)


def log_softmax(x: Any, axis: Any = -1, dim: Any = None) -> Tensor:
    """xᵢ - log Σⱼ exp(xⱼ) along ``axis``, computed stably."""
    return _t(x).log_softmax(axis if dim is None else dim)


def step(x: Any) -> Tensor:
    """Heaviside step: 1 where x >= 0, else 0 (gradient 0)."""
    return _t(x).step()
