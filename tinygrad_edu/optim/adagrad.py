"""Adagrad: a learning rate per parameter entry, shrinking with the gradients seen so far.

The first adaptive method: entries that have received large gradients take smaller steps.
Matches ``torch.optim.Adagrad`` (weight decay added to the gradient, eps outside the sqrt).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, State, check_range


class Adagrad(Optimizer):
    r"""Adaptive gradient: divide each step by the root of the summed squared gradients.

    With gradient :math:`g_t` at step :math:`t = 1, 2, ...` (all operations elementwise)::

        g_t   <- g_t + weight_decay * theta                  (if weight_decay != 0)
        lr_t  =  lr / (1 + (t - 1) * lr_decay)
        s_t   =  s_{t-1} + g_t**2                            (s_0 = initial_accumulator_value)
        theta <- theta - lr_t * g_t / (sqrt(s_t) + eps)

    Because ``s_t`` only grows, the effective step size only shrinks: good for sparse
    features, too cautious for long training (RMSprop fixes that by forgetting old gradients).

    Args:
        params: the tensors to optimize.
        lr: learning rate (>= 0), default 0.01.
        lr_decay: learning-rate decay per step (>= 0), default 0.
        weight_decay: L2 penalty coefficient (>= 0), default 0.
        initial_accumulator_value: starting value of ``s`` (>= 0), default 0.
        eps: added to the denominator for numerical stability (>= 0), default 1e-10.
    """

    hyperparameters = ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")
    state_names = ("sum",)
    nonnegative_state = ("sum",)

    def __init__(self, params: Iterable[Tensor], lr: float = 0.01, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10) -> None:
        super().__init__(params)
        self.lr, self.lr_decay, self.weight_decay = lr, lr_decay, weight_decay
        self.initial_accumulator_value, self.eps = initial_accumulator_value, eps
        self._check()

    def _check(self) -> None:
        super()._check()
        check_range("Adagrad", "lr_decay", self.lr_decay, low=0.0)
        check_range("Adagrad", "weight_decay", self.weight_decay, low=0.0)
        check_range("Adagrad", "initial_accumulator_value", self.initial_accumulator_value, low=0.0)
        check_range("Adagrad", "eps", self.eps, low=0.0)

    def _update(self, param: np.ndarray, grad: np.ndarray, state: State) -> None:
        if "sum" not in state:
            state["step"] = 0
            state["sum"] = np.full_like(param, self.initial_accumulator_value)
        state["step"] += 1
        if self.weight_decay != 0:
            grad = grad + self.weight_decay * param
        lr_t = self.lr / (1 + (state["step"] - 1) * self.lr_decay)
        total = state["sum"]
        total += grad * grad
        param -= lr_t * grad / (np.sqrt(total) + self.eps)
