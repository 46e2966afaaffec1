"""Stochastic gradient descent, with optional momentum, Nesterov momentum and weight decay.

The simplest optimizer and the one the others refine.  The update matches ``torch.optim.SGD``
step for step (weight decay added to the gradient, momentum buffer started from the first
gradient, PyTorch's form of Nesterov momentum).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, State, check_range


class SGD(Optimizer):
    r"""Gradient descent: step against the gradient, optionally with momentum.

    For each parameter :math:`\theta` with gradient :math:`g_t` at step :math:`t`::

        g_t  <- g_t + weight_decay * theta                   (if weight_decay != 0)
        b_t  <- g_t                                          (first step, t = 1)
        b_t  <- momentum * b_{t-1} + (1 - dampening) * g_t   (later steps)   } if momentum != 0
        g_t  <- g_t + momentum * b_t    (nesterov)   or   g_t <- b_t         }
        theta <- theta - lr * g_t

    Batch, stochastic and mini-batch gradient descent are all this same rule; they differ only
    in how many samples the gradient is averaged over, which the data loader decides::

        DataLoader((X, y), batch_size=None)  # batch GD: one step per epoch, the whole data set
        DataLoader((X, y), batch_size=1)     # stochastic GD: one step per sample
        DataLoader((X, y), batch_size=32)    # mini-batch GD: one step per 32 samples

    Momentum keeps a running sum of past steps, so directions the gradient keeps pointing in
    speed up and directions where it flips sign cancel out.  Nesterov momentum "looks ahead"
    by adding the momentum term to the gradient once more.

    Args:
        params: the tensors to optimize, e.g. ``model.parameters()``.
        lr: learning rate (>= 0).
        momentum: momentum factor in [0, 1]; 0 turns momentum off (the default).
        dampening: in [0, 1]; scales new gradients entering the momentum buffer.
        nesterov: use Nesterov momentum (needs momentum > 0 and dampening = 0).
        weight_decay: L2 penalty coefficient (>= 0), added to the gradient as ``wd * theta``.
    """

    hyperparameters = ("lr", "momentum", "dampening", "nesterov", "weight_decay")
    state_names = ("momentum_buffer",)

    def __init__(self, params: Iterable[Tensor], lr: float, momentum: float = 0.0, dampening: float = 0.0,
                 nesterov: bool = False, weight_decay: float = 0.0) -> None:
        super().__init__(params)
        self.lr, self.momentum, self.dampening = lr, momentum, dampening
        self.nesterov, self.weight_decay = nesterov, weight_decay
        self._check()

    def _check(self) -> None:
        super()._check()
        check_range("SGD", "momentum", self.momentum, 0.0, 1.0)
        check_range("SGD", "dampening", self.dampening, 0.0, 1.0)
        check_range("SGD", "weight_decay", self.weight_decay, low=0.0)
        if not isinstance(self.nesterov, (bool, np.bool_)):
            raise ValueError(f"SGD: nesterov must be True or False, got {self.nesterov!r}")
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError(
                f"SGD: nesterov=True needs momentum > 0 and dampening = 0 (got momentum="
                f"{self.momentum!r}, dampening={self.dampening!r}); set momentum, e.g. 0.9"
            )

    def _update(self, param: np.ndarray, grad: np.ndarray, state: State) -> None:
        if self.weight_decay != 0:
            grad = grad + self.weight_decay * param  # a new array: never change p.grad itself
        if self.momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                # PyTorch starts the buffer at the first gradient, not at zero.
                buf = state["momentum_buffer"] = grad.copy()
            else:
                buf *= self.momentum
                buf += (1 - self.dampening) * grad
            grad = grad + self.momentum * buf if self.nesterov else buf
        param -= self.lr * grad
