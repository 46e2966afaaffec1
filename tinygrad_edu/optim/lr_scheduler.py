"""Learning-rate schedules: change ``optimizer.lr`` as training goes on.

A scheduler reads the optimizer's ``lr`` once, as the base rate, and on every ``step()``
(usually once per epoch) writes the scheduled rate back to ``optimizer.lr``.  Each rate is
computed from the closed form, so it does not drift through repeated multiplication.
"""

from __future__ import annotations

from typing import Any

from .optimizer import Optimizer, check_range


class LRScheduler:
    """Base class: subclasses give ``get_lr()``, the rate for epoch ``last_epoch``."""

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__} expects an optimizer (e.g. tg.optim.SGD), "
                            f"got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.base_lr = float(optimizer.lr)
        self.last_epoch = 0

    def get_lr(self) -> float:
        raise NotImplementedError(f"{type(self).__name__} must define get_lr()")

    def step(self) -> None:
        """Advance one epoch and set the optimizer's learning rate for it."""
        self.last_epoch += 1
        self.optimizer.lr = self.get_lr()

    def get_last_lr(self) -> list[float]:
        """The learning rate now in use, as a one-element list (as PyTorch returns it)."""
        return [self.optimizer.lr]

    def state_dict(self) -> dict[str, Any]:
        return {"scheduler": type(self).__name__, "base_lr": self.base_lr, "last_epoch": self.last_epoch}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        saved = state_dict.get("scheduler", type(self).__name__)
        if saved != type(self).__name__:
            raise ValueError(f"this state dict was saved by {saved}; it cannot be loaded into "
                             f"{type(self).__name__}")
        self.base_lr = float(state_dict["base_lr"])
        self.last_epoch = int(state_dict["last_epoch"])
        self.optimizer.lr = self.get_lr()


class StepLR(LRScheduler):
    """Multiply the rate by ``gamma`` every ``step_size`` epochs.

    ``lr_epoch = base_lr * gamma ** (epoch // step_size)``
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        if isinstance(step_size, bool) or not isinstance(step_size, int) or step_size < 1:
            raise ValueError(f"StepLR: invalid step_size={step_size!r}; it must be an integer >= 1")
        check_range("StepLR", "gamma", gamma, low=0.0, low_open=True)
        super().__init__(optimizer)
        self.step_size, self.gamma = step_size, gamma

    def get_lr(self) -> float:
        return self.base_lr * self.gamma ** (self.last_epoch // self.step_size)


class ExponentialLR(LRScheduler):
    """Multiply the rate by ``gamma`` every epoch.

    ``lr_epoch = base_lr * gamma ** epoch``
    """

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        check_range("ExponentialLR", "gamma", gamma, low=0.0, low_open=True)
        super().__init__(optimizer)
        self.gamma = gamma

    def get_lr(self) -> float:
        return self.base_lr * self.gamma ** self.last_epoch
