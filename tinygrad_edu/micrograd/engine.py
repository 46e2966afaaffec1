"""``Value``: micrograd's scalar, as a thin wrapper around a one-number float64 Tensor.

micrograd's ``Value`` exposes ``data`` and ``grad`` as plain floats, so its training loops
write ``p.data -= lr * p.grad`` and ``p.grad = 0``.  A Tensor's ``data`` is a NumPy array, so
``Value`` translates: reading gives floats, writing changes the Tensor's number in place.
Every arithmetic operation is the Tensor's, recorded by the engine; nothing here computes a
derivative.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor


class Value:
    """One number that records the operations done to it (micrograd's ``Value``).

    ``Value(2.0)`` is a leaf that requires grad; ``a * b + c``, ``a ** 2``, ``a.relu()``,
    ``a.tanh()``, ``a.exp()`` and ``a.log()`` make new Values; ``out.backward()`` fills
    every leaf's ``grad``.  ``v.tensor`` is the Tensor underneath.
    """

    __slots__ = ("tensor", "label")

    def __init__(self, data: Any, _children: tuple = (), _op: str = "", label: str = "") -> None:
        if isinstance(data, Tensor):
            self.tensor = data
        else:
            number = float(data)
            self.tensor = Tensor(np.array(number), requires_grad=True, name=label or None)
        self.label = label

    # -- micrograd's fields as floats ----------------------------------------------------------
    @property
    def data(self) -> float:
        """The number (a float)."""
        return float(self.tensor.data)

    @data.setter
    def data(self, value: float) -> None:
        self.tensor.data[...] = value  # in place: the Tensor (and any graph) keeps its identity

    @property
    def grad(self) -> float:
        """d(output)/d(this value) after ``backward()`` (0.0 before)."""
        g = self.tensor.grad if self.tensor._ctx is None else self.tensor._grad
        return 0.0 if g is None else float(g.data)

    @grad.setter
    def grad(self, value: float) -> None:
        if value != 0:
            raise ValueError(f"Value.grad can only be reset to 0 (got {value!r}); gradients come "
                             "from backward()")
        self.tensor.grad = None

    def backward(self) -> None:
        """Reverse-mode backprop from this value (seeded with 1): fills every leaf's grad."""
        # Non-leaf Values read their grad too in micrograd's examples, so keep theirs.
        self.tensor.backward()

    # -- arithmetic: the Tensor's ops --------------------------------------------------------------
    def __add__(self, other: Any) -> Value:
        return Value(self.tensor + _tensor(other))

    def __mul__(self, other: Any) -> Value:
        return Value(self.tensor * _tensor(other))

    def __pow__(self, other: float) -> Value:
        if not isinstance(other, (int, float)):
            raise TypeError("Value ** only supports int/float powers (as micrograd)")
        return Value(self.tensor ** other)

    def relu(self) -> Value:
        return Value(self.tensor.relu())

    def tanh(self) -> Value:
        return Value(self.tensor.tanh())

    def exp(self) -> Value:
        return Value(self.tensor.exp())

    def log(self) -> Value:
        return Value(self.tensor.log())

    def sigmoid(self) -> Value:
        return Value(self.tensor.sigmoid())

    def __neg__(self) -> Value:
        return Value(-self.tensor)

    def __radd__(self, other: Any) -> Value:
        return Value(_tensor(other) + self.tensor)

    def __sub__(self, other: Any) -> Value:
        return Value(self.tensor - _tensor(other))

    def __rsub__(self, other: Any) -> Value:
        return Value(_tensor(other) - self.tensor)

    def __rmul__(self, other: Any) -> Value:
        return Value(_tensor(other) * self.tensor)

    def __truediv__(self, other: Any) -> Value:
        return Value(self.tensor / _tensor(other))

    def __rtruediv__(self, other: Any) -> Value:
        return Value(_tensor(other) / self.tensor)

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"


def _tensor(x: Any) -> Any:
    """The Tensor of a Value; numbers stay numbers (the Tensor ops take them as constants)."""
    return x.tensor if isinstance(x, Value) else x
