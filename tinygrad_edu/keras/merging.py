"""Layers that merge several inputs into one: ``Concatenate``, ``Add``, ``Multiply``...

A model with more than one ``keras.Input`` needs them to join its branches, as in
``x = layers.Concatenate()([a, b])``.  Each is called on a list of tensors and is a plain
composition of Tensor ops, so its gradient is the engine's: ``Add`` hands the upstream
gradient to every input unchanged, ``Concatenate`` hands each input its own slice.
"""

from __future__ import annotations

from functools import reduce
from typing import Any

from ..creation import concatenate as _concatenate
from ..tensor import Tensor
from .layer import Layer


class _Merge(Layer):
    """Base: ``call`` gets the list of input tensors (at least two, of matching shapes)."""

    def forward(self, inputs: Any) -> Tensor:
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise ValueError(f"{type(self).__name__} merges a list of at least two tensors, e.g. "
                             f"{type(self).__name__}()([a, b]); got {type(inputs).__name__}")
        return self.merge(list(inputs))

    def merge(self, inputs: list[Tensor]) -> Tensor:
        raise NotImplementedError

    def _same_shapes(self, inputs: list[Tensor]) -> None:
        shapes = {tuple(t.shape) for t in inputs}
        if len(shapes) > 1:
            raise ValueError(f"{type(self).__name__}: inputs must have the same shape, got "
                             f"{[t.shape for t in inputs]}")


class Concatenate(Layer):
    """Join the inputs along ``axis`` (the last by default): shapes must agree elsewhere."""

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = axis

    def forward(self, inputs: Any) -> Tensor:
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise ValueError("Concatenate joins a list of at least two tensors, e.g. "
                             "Concatenate()([a, b])")
        return _concatenate(list(inputs), axis=self.axis)


class Add(_Merge):
    """a + b + ...  (the gradient reaches every input unchanged)."""

    def merge(self, inputs: list[Tensor]) -> Tensor:
        self._same_shapes(inputs)
        return reduce(lambda a, b: a + b, inputs)


class Subtract(_Merge):
    """a − b, for exactly two inputs."""

    def merge(self, inputs: list[Tensor]) -> Tensor:
        if len(inputs) != 2:
            raise ValueError(f"Subtract takes exactly two inputs, got {len(inputs)}")
        self._same_shapes(inputs)
        return inputs[0] - inputs[1]


class Multiply(_Merge):
    """a ⊙ b ⊙ ...  (elementwise)."""

    def merge(self, inputs: list[Tensor]) -> Tensor:
        self._same_shapes(inputs)
        return reduce(lambda a, b: a * b, inputs)


class Average(_Merge):
    """(a + b + ...) / n."""

    def merge(self, inputs: list[Tensor]) -> Tensor:
        self._same_shapes(inputs)
        return reduce(lambda a, b: a + b, inputs) * (1.0 / len(inputs))


class Maximum(_Merge):
    """Elementwise max of the inputs."""

    def merge(self, inputs: list[Tensor]) -> Tensor:
        self._same_shapes(inputs)
        return reduce(lambda a, b: a.maximum(b), inputs)


class Minimum(_Merge):
    """Elementwise min of the inputs."""

    def merge(self, inputs: list[Tensor]) -> Tensor:
        self._same_shapes(inputs)
        return reduce(lambda a, b: a.minimum(b), inputs)


def concatenate(inputs: Any, axis: int = -1, **kwargs: Any) -> Any:
    """``Concatenate(axis)(inputs)`` in one call, as ``keras.layers.concatenate``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def add(inputs: Any, **kwargs: Any) -> Any:
    """``Add()(inputs)``."""
    return Add(**kwargs)(inputs)


def subtract(inputs: Any, **kwargs: Any) -> Any:
    """``Subtract()(inputs)``."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs: Any, **kwargs: Any) -> Any:
    """``Multiply()(inputs)``."""
    return Multiply(**kwargs)(inputs)


def average(inputs: Any, **kwargs: Any) -> Any:
    """``Average()(inputs)``."""
    return Average(**kwargs)(inputs)


__all__ = ["Concatenate", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum",
           "concatenate", "add", "subtract", "multiply", "average"]
