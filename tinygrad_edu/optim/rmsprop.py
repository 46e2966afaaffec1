"""RMSprop: Adagrad with a memory that fades, so the step size can recover.

Hinton's lecture-slide optimizer.  Matches ``torch.optim.RMSprop`` (eps added *after* the
square root, momentum buffer and centred average started at zero).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, State, check_range


class RMSprop(Optimizer):
    r"""Divide each step by a running root-mean-square of recent gradients.

    With gradient :math:`g_t` (all operations elementwise; v, gbar and b start at 0)::

        g_t   <- g_t + weight_decay * theta                   (if weight_decay != 0)
        v_t   =  alpha * v_{t-1} + (1 - alpha) * g_t**2
        d_t   =  sqrt(v_t) + eps
                 (centered: gbar_t = alpha * gbar_{t-1} + (1 - alpha) * g_t,
                            d_t = sqrt(v_t - gbar_t**2) + eps)
        b_t   =  momentum * b_{t-1} + g_t / d_t               (if momentum > 0)
        theta <- theta - lr * b_t        or, without momentum, theta - lr * g_t / d_t

    ``v_t`` forgets old gradients at rate ``alpha``, so unlike Adagrad the effective step size
    follows the recent gradient scale instead of shrinking forever.

    Args:
        params: the tensors to optimize.
        lr: learning rate (>= 0), default 0.01.
        alpha: smoothing constant in [0, 1], default 0.99.
        eps: added to the denominator for numerical stability (>= 0), default 1e-8.
        weight_decay: L2 penalty coefficient (>= 0), default 0.
        momentum: momentum factor in [0, 1], default 0.
        centered: divide by an estimate of the gradient's variance instead of its raw
            second moment, default False.
    """

    hyperparameters = ("lr", "alpha", "eps", "weight_decay", "momentum", "centered")
    state_names = ("square_avg", "momentum_buffer", "grad_avg")
    nonnegative_state = ("square_avg",)

    def __init__(self, params: Iterable[Tensor], lr: float = 0.01, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False) -> None:
        super().__init__(params)
        self.lr, self.alpha, self.eps = lr, alpha, eps
        self.weight_decay, self.momentum, self.centered = weight_decay, momentum, centered
        self._check()

    def _check(self) -> None:
        super()._check()
        check_range("RMSprop", "alpha", self.alpha, 0.0, 1.0)
        check_range("RMSprop", "eps", self.eps, low=0.0)
        check_range("RMSprop", "weight_decay", self.weight_decay, low=0.0)
        check_range("RMSprop", "momentum", self.momentum, 0.0, 1.0)
        if not isinstance(self.centered, (bool, np.bool_)):
            raise ValueError(f"RMSprop: centered must be True or False, got {self.centered!r}")

    def _update(self, param: np.ndarray, grad: np.ndarray, state: State) -> None:
        if "square_avg" not in state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(param)
            if self.momentum > 0:
                state["momentum_buffer"] = np.zeros_like(param)
            if self.centered:
                state["grad_avg"] = np.zeros_like(param)
        state["step"] += 1
        if self.weight_decay != 0:
            grad = grad + self.weight_decay * param
        square_avg = state["square_avg"]
        square_avg *= self.alpha
        square_avg += (1 - self.alpha) * grad * grad
        if self.centered:
            grad_avg = state.setdefault("grad_avg", np.zeros_like(param))
            grad_avg *= self.alpha
            grad_avg += (1 - self.alpha) * grad
            denom = np.sqrt(square_avg - grad_avg * grad_avg) + self.eps
        else:
            denom = np.sqrt(square_avg) + self.eps  # eps outside the sqrt, as in PyTorch
        if self.momentum > 0:
            buf = state.setdefault("momentum_buffer", np.zeros_like(param))
            buf *= self.momentum
            buf += grad / denom
            param -= self.lr * buf
        else:
            param -= self.lr * grad / denom
