"""Adam and AdamW: momentum plus RMSprop's per-entry scaling, with bias correction.

Kingma & Ba (2015); AdamW is Loshchilov & Hutter's "decoupled weight decay" (2019).  Both
match ``torch.optim.Adam`` / ``torch.optim.AdamW`` step for step.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, State, check_range


class Adam(Optimizer):
    r"""Adaptive moment estimation.

    With gradient :math:`g_t` at step :math:`t = 1, 2, ...` (elementwise; m and v start at 0)::

        g_t   <- g_t + weight_decay * theta              (if weight_decay != 0; L2 penalty)
        m_t   =  beta1 * m_{t-1} + (1 - beta1) * g_t     (first moment: momentum)
        v_t   =  beta2 * v_{t-1} + (1 - beta2) * g_t**2  (second moment: as in RMSprop)
        m_hat =  m_t / (1 - beta1**t)                    (bias correction: m and v start at 0,
        v_hat =  v_t / (1 - beta2**t)                     so early averages are too small)
        theta <- theta - lr * m_hat / (sqrt(v_hat) + eps)

    With ``amsgrad=True`` the denominator uses the largest ``v_t`` seen so far instead.

    Args:
        params: the tensors to optimize.
        lr: learning rate (>= 0), default 0.001.
        betas: (beta1, beta2), each in [0, 1), default (0.9, 0.999).
        eps: added to the denominator for numerical stability (>= 0), default 1e-8.
        weight_decay: L2 penalty coefficient (>= 0), default 0; added to the gradient, so it is
            scaled by the adaptive denominator too (AdamW decouples it).
        amsgrad: use the AMSGrad variant, default False.
    """

    hyperparameters = ("lr", "betas", "eps", "weight_decay", "amsgrad")
    state_names = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    nonnegative_state = ("exp_avg_sq", "max_exp_avg_sq")
    decoupled_weight_decay = False  # AdamW sets True

    def __init__(self, params: Iterable[Tensor], lr: float = 0.001, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False) -> None:
        super().__init__(params)
        self.lr, self.betas, self.eps = lr, betas, eps
        self.weight_decay, self.amsgrad = weight_decay, amsgrad
        self._check()

    def _check(self) -> None:
        super()._check()
        name = type(self).__name__
        if not isinstance(self.betas, (tuple, list)) or len(self.betas) != 2:
            raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {self.betas!r}")
        self.betas = (self.betas[0], self.betas[1])
        check_range(name, "betas[0]", self.betas[0], 0.0, 1.0, high_open=True)
        check_range(name, "betas[1]", self.betas[1], 0.0, 1.0, high_open=True)
        check_range(name, "eps", self.eps, low=0.0)
        check_range(name, "weight_decay", self.weight_decay, low=0.0)
        if not isinstance(self.amsgrad, (bool, np.bool_)):
            raise ValueError(f"{name}: amsgrad must be True or False, got {self.amsgrad!r}")

    def _update(self, param: np.ndarray, grad: np.ndarray, state: State) -> None:
        beta1, beta2 = self.betas
        if "exp_avg" not in state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(param)
            state["exp_avg_sq"] = np.zeros_like(param)
            if self.amsgrad:
                state["max_exp_avg_sq"] = np.zeros_like(param)
        state["step"] += 1
        t = state["step"]
        if self.weight_decay != 0:
            if self.decoupled_weight_decay:
                param *= 1 - self.lr * self.weight_decay  # AdamW: shrink theta directly
            else:
                grad = grad + self.weight_decay * param  # Adam: L2 term joins the gradient
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= beta1
        m += (1 - beta1) * grad
        v *= beta2
        v += (1 - beta2) * grad * grad
        if self.amsgrad:
            v_max = state.setdefault("max_exp_avg_sq", np.zeros_like(param))
            np.maximum(v_max, v, out=v_max)
            v = v_max
        # The bias corrections are folded into two scalars, exactly as PyTorch computes them.
        step_size = self.lr / (1 - beta1 ** t)
        denom = np.sqrt(v) / math.sqrt(1 - beta2 ** t) + self.eps  # math: keeps float32 float32
        param -= step_size * m / denom


class AdamW(Adam):
    r"""Adam with decoupled weight decay.

    The same moments as ``Adam`` (computed from the plain gradient), but the decay shrinks
    the parameter directly before the Adam step, so it is not rescaled per entry::

        theta <- theta * (1 - lr * weight_decay)
        m_t, v_t, m_hat, v_hat as in Adam (with g_t the raw gradient)
        theta <- theta - lr * m_hat / (sqrt(v_hat) + eps)

    Args: as for ``Adam``, but ``weight_decay`` defaults to 0.01.
    """

    decoupled_weight_decay = True

    def __init__(self, params: Iterable[Tensor], lr: float = 0.001, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.01, amsgrad: bool = False) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)
