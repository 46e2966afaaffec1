"""Loss modules: ``loss_fn = nn.MSELoss(); loss = loss_fn(prediction, target)``.

Each holds its ``reduction`` ('mean' | 'sum' | 'none') and calls the function of the same
name in ``functional.py``, where the formula and the input checks live.  Being modules,
their calls show up as one labelled box in graph pictures.
"""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from . import functional as F
from .module import Module

__all__ = ["MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss"]


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(
                f"{type(self).__name__}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}"
            )
        self.reduction = reduction

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """(prediction - target)²  -- see ``F.mse_loss``."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """|prediction - target|  -- see ``F.l1_loss``."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class BCELoss(_Loss):
    """Binary cross-entropy on probabilities  -- see ``F.binary_cross_entropy``."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy(input, target, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on logits, stable for any logit  -- see
    ``F.binary_cross_entropy_with_logits``."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, reduction=self.reduction)


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy on logits, with integer labels or probability targets  --
    see ``F.cross_entropy``."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.cross_entropy(input, target, reduction=self.reduction)


class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities  -- see ``F.nll_loss``."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.nll_loss(input, target, reduction=self.reduction)
