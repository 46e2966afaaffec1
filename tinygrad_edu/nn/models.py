"""The tutorial's two models: Rosenblatt's perceptron and the multi-layer perceptron.

``Perceptron`` learns with its own error-driven rule, not with gradients: it is the 1958
algorithm written with Tensor operations under ``no_grad``.  Its ``forward`` still records
a graph, so z = w·x + b can be drawn.  ``MLP`` is a ``Sequential`` of Linear layers and
activations, trained by backpropagation like any other module.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..config import get_default_dtype, no_grad
from ..tensor import Tensor
from . import functional as F
from .layers import ACTIVATIONS, Linear
from .module import Module, Parameter, Sequential

__all__ = ["Perceptron", "MLP"]


class Perceptron(Module):
    """Rosenblatt's perceptron: one neuron with a step activation and an error-driven update.

        z = w·x + b,    ŷ = step(z) = 1 if z >= 0 else 0,
        w ← w + lr·(y - ŷ)·x,    b ← b + lr·(y - ŷ)        (sample by sample)

    ``fit(X, y)`` starts from zero weights (as the tutorial does) and makes at most
    ``epochs`` passes, stopping after the first pass with no mistakes.  Afterwards
    ``errors_[k]`` is the number of misclassified samples in pass k and ``converged_`` tells
    whether a mistake-free pass happened.  The rule converges exactly when the classes are
    linearly separable (AND, OR), and never for XOR.
    """

    def __init__(self, n_features: int, lr: float = 0.01, epochs: int = 15, dtype: Any = None) -> None:
        super().__init__()
        if isinstance(n_features, bool) or not isinstance(n_features, (int, np.integer)) or n_features <= 0:
            raise ValueError(f"Perceptron: n_features must be a positive integer, got {n_features!r}")
        if lr <= 0:
            raise ValueError(f"Perceptron: the learning rate must be positive, got {lr}")
        if not isinstance(epochs, (int, np.integer)) or epochs < 1:
            raise ValueError(f"Perceptron: epochs must be a positive integer, got {epochs!r}")
        self.n_features, self.lr, self.epochs = int(n_features), float(lr), int(epochs)
        dtype = np.dtype(dtype or get_default_dtype())
        self.weight = Parameter(np.zeros(self.n_features, dtype=dtype))
        self.bias = Parameter(np.zeros((), dtype=dtype))
        self.errors_: list[int] = []
        self.converged_ = False

    def forward(self, X: Any) -> Tensor:
        """z = X @ w + b for a batch X of shape (n_samples, n_features) (or one sample)."""
        X = self._inputs(X)
        return X @ self.weight + self.bias

    def fit(self, X: Any, y: Any) -> Perceptron:
        """Learn from 0/1 labels ``y`` (one per row of ``X``); returns self."""
        X = self._inputs(X)
        y = self._labels(y, X)
        with no_grad():  # the perceptron rule is not gradient descent: record nothing
            self.weight.data = np.zeros_like(self.weight.data)
            self.bias.data = np.zeros_like(self.bias.data)
            self.errors_, self.converged_ = [], False
            for _ in range(self.epochs):
                mistakes = 0
                for x_i, y_i in zip(X, y):
                    z = x_i @ self.weight + self.bias            # weighted sum
                    y_hat = z.step()                              # 1 if z >= 0 else 0
                    update = self.lr * (y_i - y_hat)              # 0 when the guess is right
                    self.weight.data = (self.weight + update * x_i).data
                    self.bias.data = (self.bias + update).data
                    mistakes += int(y_hat.item() != y_i.item())
                self.errors_.append(mistakes)
                if mistakes == 0:
                    self.converged_ = True
                    break
        return self

    def predict(self, X: Any) -> np.ndarray:
        """0/1 predictions (an int64 array), step(X @ w + b)."""
        with no_grad():
            return self.forward(X).step().data.astype(np.int64)

    def _inputs(self, X: Any) -> Tensor:
        X = F.as_tensor(X, like=self.weight)
        if X.dtype != self.weight.dtype:
            X = X.astype(self.weight.dtype)
        if X.ndim not in (1, 2) or X.shape[-1] != self.n_features:
            raise ValueError(
                f"Perceptron({self.n_features}) expects inputs of shape (n_samples, "
                f"{self.n_features}), got {X.shape}"
            )
        return X

    def _labels(self, y: Any, X: Tensor) -> Tensor:
        labels = np.asarray(y.data if isinstance(y, Tensor) else y)
        if X.ndim != 2 or labels.shape != (X.shape[0],):
            raise ValueError(
                f"Perceptron.fit: X has shape {X.shape}, so y must have shape ({X.shape[0]},) -- "
                f"one label per row -- but it has shape {labels.shape}"
            )
        if not np.isin(labels, (0, 1)).all():
            raise ValueError(
                f"Perceptron.fit: labels must be 0 or 1, got {np.unique(labels)[:5]}; map -1/+1 "
                "labels with (y + 1) // 2"
            )
        return Tensor(labels.astype(self.weight.dtype))

    def short_repr(self) -> str:
        return f"Perceptron({self.n_features})"

    def extra_repr(self) -> str:
        return f"n_features={self.n_features}, lr={self.lr}, epochs={self.epochs}"


def _activation(spec: Any, who: str) -> Module:
    """A fresh activation module from a name, a Module class or a Module (copied)."""
    if isinstance(spec, str) and spec in ACTIVATIONS:
        return ACTIVATIONS[spec]()
    if isinstance(spec, type) and issubclass(spec, Module):
        return spec()
    if isinstance(spec, Module):
        return copy.deepcopy(spec)  # one instance per position, so each call has its own name
    raise ValueError(
        f"MLP: unknown {who} {spec!r}; use one of {sorted(ACTIVATIONS)} or an nn.Module"
    )


class MLP(Sequential):
    """A multi-layer perceptron: Linear layers with an activation between them.

    ``MLP([2, 4, 1], activation='sigmoid', output_activation='sigmoid')`` is the tutorial's
    XOR network 2→4→1.  The children are named ``fc1, act1, fc2, ...`` (and ``out_act`` for
    the output activation), so parameters are ``fc1.weight``, ``fc1.bias``, ...  ``init``,
    ``bias``, ``rng`` and ``dtype`` are passed to every ``Linear``.
    """

    def __init__(self, sizes: Sequence[int], activation: Any = "relu",
                 output_activation: Any = None, init: Any = None, bias: bool = True,
                 rng: np.random.Generator | None = None, dtype: Any = None) -> None:
        sizes = list(sizes)
        if len(sizes) < 2 or not all(isinstance(n, (int, np.integer)) and n > 0 for n in sizes):
            raise ValueError(
                f"MLP: sizes must list at least two positive layer widths, e.g. [2, 4, 1], got {sizes}"
            )
        layers: OrderedDict[str, Module] = OrderedDict()
        last = len(sizes) - 1
        for i in range(last):
            layers[f"fc{i + 1}"] = Linear(sizes[i], sizes[i + 1], bias=bias, init=init, rng=rng, dtype=dtype)
            if i < last - 1:
                layers[f"act{i + 1}"] = _activation(activation, "activation")
        if output_activation is not None:
            layers["out_act"] = _activation(output_activation, "output_activation")
        super().__init__(layers)
        self.sizes = [int(n) for n in sizes]

    def short_repr(self) -> str:
        return "MLP(" + "→".join(str(n) for n in self.sizes) + ")"
