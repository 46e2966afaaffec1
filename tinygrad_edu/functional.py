"""Functional forms of Tensor methods: ``tg.exp(x)``, ``tg.relu(x)``, ``F.softmax(x, dim=1)``.

PyTorch-style code calls maths and activations as functions.  Each one here is one line over
the Tensor method (data that is not yet a Tensor is wrapped first), with PyTorch's argument
names (``input``, ``other``, ``dim``) where PyTorch has them.  This is the one home of these
functions: ``tg.relu`` and ``tg.nn.functional.relu`` are the same object, and ``__all__`` below
is the list from which both the top-level namespace and the command line's allow-list are built.
"""

from __future__ import annotations

from typing import Any

from .tensor import Tensor, where

__all__ = [
    "exp", "log", "sqrt", "sin", "cos", "abs", "square", "pow", "clamp", "add", "sub", "mul",
    "div", "maximum", "minimum", "matmul", "mm", "where",
    "relu", "sigmoid", "tanh", "leaky_relu", "softmax", "log_softmax", "step",
]


def _t(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def exp(input: Any) -> Tensor:
    """eˣ, elementwise."""
    return _t(input).exp()


def log(input: Any) -> Tensor:
    """ln x, elementwise."""
    return _t(input).log()


def sqrt(input: Any) -> Tensor:
    """√x, elementwise."""
    return _t(input).sqrt()


def sin(input: Any) -> Tensor:
    """sin x, elementwise."""
    return _t(input).sin()


def cos(input: Any) -> Tensor:
    """cos x, elementwise."""
    return _t(input).cos()


def abs(input: Any) -> Tensor:  # noqa: A001  (PyTorch's name, torch.abs)
    """|x|, elementwise (subgradient 0 at 0)."""
    return _t(input).abs()


def square(input: Any) -> Tensor:
    """x², elementwise."""
    return _t(input).square()


def pow(input: Any, exponent: Any) -> Tensor:  # noqa: A001  (PyTorch's name, torch.pow)
    """xᶜ for a number or tensor exponent (a tensor exponent needs a positive base)."""
    return _t(input) ** exponent


def clamp(input: Any, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    """Values limited to [min, max] (``Tensor.clip``)."""
    return _t(input).clip(min=min, max=max)


def add(input: Any, other: Any, alpha: Any = 1) -> Tensor:
    """input + alpha · other."""
    return _t(input).add(other, alpha=alpha)


def sub(input: Any, other: Any, alpha: Any = 1) -> Tensor:
    """input - alpha · other."""
    return _t(input).sub(other, alpha=alpha)


def mul(input: Any, other: Any) -> Tensor:
    """input · other, elementwise."""
    return _t(input) * other


def div(input: Any, other: Any) -> Tensor:
    """input / other, elementwise."""
    return _t(input) / other


def maximum(input: Any, other: Any) -> Tensor:
    """Elementwise max of two tensors (ties split the gradient)."""
    return _t(input).maximum(other)


def minimum(input: Any, other: Any) -> Tensor:
    """Elementwise min of two tensors."""
    return _t(input).minimum(other)


def matmul(input: Any, other: Any) -> Tensor:
    """input @ other."""
    return _t(input) @ other


def mm(input: Any, mat2: Any) -> Tensor:
    """input @ mat2 for two matrices."""
    return _t(input).mm(mat2)


def relu(input: Any) -> Tensor:
    """max(x, 0)."""
    return _t(input).relu()


def sigmoid(input: Any) -> Tensor:
    """1 / (1 + exp(-x)), in (0, 1)."""
    return _t(input).sigmoid()


def tanh(input: Any) -> Tensor:
    """tanh(x), in (-1, 1)."""
    return _t(input).tanh()


def leaky_relu(input: Any, negative_slope: float = 0.01) -> Tensor:
    """x for x > 0, negative_slope·x otherwise."""
    return _t(input).leaky_relu(negative_slope)


def softmax(input: Any, dim: Any = None, axis: Any = None) -> Tensor:
    """exp(xᵢ) / Σⱼ exp(xⱼ) along ``dim`` (``axis`` is NumPy's name; the last one by default)."""
    return _t(input).softmax(axis, dim=dim)


def log_softmax(input: Any, dim: Any = None, axis: Any = None) -> Tensor:
    """xᵢ - log Σⱼ exp(xⱼ) along ``dim`` (the last one by default), computed stably."""
    return _t(input).log_softmax(axis, dim=dim)


def step(input: Any) -> Tensor:
    """Heaviside step: 1 where x >= 0, else 0 (gradient 0)."""
    return _t(input).step()
