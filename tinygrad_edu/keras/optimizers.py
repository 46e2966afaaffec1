"""Keras optimizer names over ``tinygrad_edu.optim``.

A Keras optimizer is created before the model has weights (``compile`` may come before the
first call builds the layers), so these classes hold the settings and ``build(params)`` makes
the real ``optim`` optimizer once the parameters exist.  Keras spells the hyperparameters
``learning_rate``, ``beta_1``, ``rho``...; the update rules are the ones in ``optim``.
The settings are checked when given, with ``optim``'s own ranges, not later at ``fit``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import optim
from ..optim.optimizer import check_range
from ..tensor import Tensor
from .checks import check_bool


class Optimizer:
    """Settings for an ``optim`` optimizer, built when the model's parameters exist."""

    def __init__(self, learning_rate: float) -> None:
        check_range(type(self).__name__, "learning_rate", learning_rate, low=0.0, low_open=True)
        self.learning_rate = learning_rate

    def build(self, params: Iterable[Tensor]) -> Any:
        raise NotImplementedError

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({settings})"


class SGD(Optimizer):
    """Gradient descent, optionally with momentum (Keras defaults: learning_rate=0.01)."""

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0, nesterov: bool = False) -> None:
        super().__init__(learning_rate)
        check_range("SGD", "momentum", momentum, 0.0, 1.0)
        check_bool("SGD", "nesterov", nesterov)
        if nesterov and momentum == 0:
            raise ValueError("SGD: nesterov=True needs momentum > 0; set momentum, e.g. 0.9")
        self.momentum, self.nesterov = momentum, nesterov

    def build(self, params: Iterable[Tensor]) -> Any:
        return optim.SGD(list(params), lr=self.learning_rate, momentum=self.momentum, nesterov=self.nesterov)


class RMSprop(Optimizer):
    """RMSprop (Keras defaults: learning_rate=0.001, rho=0.9, epsilon=1e-7)."""

    def __init__(self, learning_rate: float = 0.001, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-7) -> None:
        super().__init__(learning_rate)
        check_range("RMSprop", "rho", rho, 0.0, 1.0)
        check_range("RMSprop", "momentum", momentum, 0.0, 1.0)
        check_range("RMSprop", "epsilon", epsilon, low=0.0)
        self.rho, self.momentum, self.epsilon = rho, momentum, epsilon

    def build(self, params: Iterable[Tensor]) -> Any:
        return optim.RMSprop(list(params), lr=self.learning_rate, alpha=self.rho, eps=self.epsilon,
                             momentum=self.momentum)


class Adam(Optimizer):
    """Adam (Keras defaults: learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)."""

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7) -> None:
        super().__init__(learning_rate)
        check_range("Adam", "beta_1", beta_1, 0.0, 1.0, high_open=True)
        check_range("Adam", "beta_2", beta_2, 0.0, 1.0, high_open=True)
        check_range("Adam", "epsilon", epsilon, low=0.0)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def build(self, params: Iterable[Tensor]) -> Any:
        return optim.Adam(list(params), lr=self.learning_rate, betas=(self.beta_1, self.beta_2),
                          eps=self.epsilon)


_BY_NAME = {"sgd": SGD, "rmsprop": RMSprop, "adam": Adam}


def get(optimizer: str | Optimizer | Any) -> Any:
    """A name ('adam'), a keras optimizer, or a ready-made ``optim`` optimizer."""
    if isinstance(optimizer, str):
        if optimizer.lower() not in _BY_NAME:
            raise ValueError(f"unknown optimizer {optimizer!r}; choose one of {sorted(_BY_NAME)}")
        return _BY_NAME[optimizer.lower()]()
    if isinstance(optimizer, Optimizer) or isinstance(optimizer, optim.Optimizer):
        return optimizer
    raise TypeError(
        "optimizer must be a name, a keras.optimizers object or an optim optimizer, "
        f"got {type(optimizer).__name__}"
    )
