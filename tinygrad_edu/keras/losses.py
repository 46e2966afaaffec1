"""Keras losses: functions by name (``"mse"``) and classes (``MeanSquaredError()``), as Tensors.

Keras losses take ``(y_true, y_pred)`` -- the reverse of PyTorch's ``(input, target)`` -- and
the cross-entropies receive *probabilities* (the output of a sigmoid or softmax layer), or
logits with ``from_logits=True``.
Like Keras, probabilities are clipped to [1e-7, 1 - 1e-7] before the log, so a saturated
output gives a large but finite loss.  Unlike Keras, targets and predictions outside [0, 1]
are refused with the same check ``nn.functional``'s BCE uses, instead of training on them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..nn import functional as F
from ..tensor import Tensor
from .checks import check_bool

EPSILON = 1e-7  # Keras' backend epsilon


def _like(y_true: Tensor, y_pred: Tensor) -> Tensor:
    """Targets shaped for the predictions, by Keras' rule.

    Ranks that differ by one trailing axis of size 1 are matched first (targets (N,) against
    outputs (N, 1) give the same loss as targets (N, 1)); then targets broadcast to the
    predictions' shape, or a ``ValueError`` names both shapes.
    """
    given = y_true.shape
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        y_true = y_true.reshape(y_true.shape[:-1])
    elif y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == 1:
        y_true = y_true.reshape(*y_true.shape, 1)
    if y_true.shape != y_pred.shape:
        try:
            y_true = Tensor(np.broadcast_to(y_true.data, y_pred.shape).copy())
        except ValueError:
            raise ValueError(
                f"targets of shape {given} do not fit predictions of shape {y_pred.shape}; "
                "give one target per output (same shape), or (N,) targets for (N, 1) outputs"
            ) from None
    return y_true.astype(y_pred.dtype) if y_true.dtype != y_pred.dtype else y_true


def _tensors(y_true: Any, y_pred: Any) -> tuple[Tensor, Tensor]:
    """Keras losses accept arrays and lists too; ``y_pred`` keeps its graph if it is a Tensor."""
    y_pred = y_pred if isinstance(y_pred, Tensor) else Tensor(np.asarray(y_pred, dtype=np.float32))
    y_true = y_true if isinstance(y_true, Tensor) else Tensor(np.asarray(y_true))
    return y_true, y_pred


def mean_squared_error(y_true: Any, y_pred: Any) -> Tensor:
    """mean((ŷ - y)²)"""
    y_true, y_pred = _tensors(y_true, y_pred)
    return F.mse_loss(y_pred, _like(y_true, y_pred))


def mean_absolute_error(y_true: Any, y_pred: Any) -> Tensor:
    """mean(|ŷ - y|)"""
    y_true, y_pred = _tensors(y_true, y_pred)
    return F.l1_loss(y_pred, _like(y_true, y_pred))


# The cross-entropies take probabilities: the same [0, 1] check as nn.functional's BCE.
def _check_targets(y_true: Tensor, who: str) -> None:
    F.check_probabilities(y_true, "y_true (targets)", who,
                          "; targets are 0/1 labels or soft labels (probabilities)")


def _check_predictions(y_pred: Tensor, who: str, activation: str) -> None:
    F.check_probabilities(y_pred, "y_pred (predictions)", who,
                          f"; give the last layer activation='{activation}' so it outputs "
                          "probabilities, or pass logits with from_logits=True")


def binary_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False) -> Tensor:
    """-mean(y log p + (1 - y) log(1 - p)), p clipped to [ε, 1-ε]; p = σ(y_pred) if from_logits"""
    y_true, y_pred = _tensors(y_true, y_pred)
    y = _like(y_true, y_pred)
    _check_targets(y, "binary_crossentropy")
    if from_logits:  # the stable form max(x, 0) - x·y + log(1 + exp(-|x|)), no clipping needed
        return F.binary_cross_entropy_with_logits(y_pred, y)
    _check_predictions(y_pred, "binary_crossentropy", "sigmoid")
    p = y_pred.clip(EPSILON, 1 - EPSILON)
    return -(y * p.log() + (1 - y) * (1 - p).log()).mean()


def categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False) -> Tensor:
    """-mean over samples of Σ_c y_c log p_c, for one-hot (or soft) targets; p = softmax if from_logits"""
    y_true, y_pred = _tensors(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"categorical_crossentropy needs one-hot targets of shape {y_pred.shape}, got "
            f"{y_true.shape}; for integer labels use 'sparse_categorical_crossentropy'"
        )
    _check_targets(y_true, "categorical_crossentropy")
    if from_logits:
        log_p = y_pred.log_softmax(axis=-1)  # stable: no exp of a large logit, no log of 0
    else:
        _check_predictions(y_pred, "categorical_crossentropy", "softmax")
        log_p = y_pred.clip(EPSILON, 1 - EPSILON).log()
    return -(y_true.astype(y_pred.dtype) * log_p).sum(axis=-1).mean()


def sparse_categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False) -> Tensor:
    """-mean log p[label], for integer labels; p = softmax(y_pred) if from_logits"""
    y_true, y_pred = _tensors(y_true, y_pred)
    labels = y_true.reshape(-1) if y_true.ndim > 1 else y_true
    if labels.dtype.kind == "f":
        if not np.all(labels.data == np.round(labels.data)):
            raise ValueError("sparse_categorical_crossentropy needs integer class labels")
        labels = labels.astype(np.int64)
    if from_logits:
        return F.cross_entropy(y_pred, labels)
    _check_predictions(y_pred, "sparse_categorical_crossentropy", "softmax")
    return F.nll_loss(y_pred.clip(EPSILON, 1 - EPSILON).log(), labels)


LOSSES: dict[str, Callable[..., Tensor]] = {
    "mse": mean_squared_error, "mean_squared_error": mean_squared_error,
    "mae": mean_absolute_error, "mean_absolute_error": mean_absolute_error,
    "binary_crossentropy": binary_crossentropy,
    "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
}


# -- classes: a loss with its settings, called like the function ----------------------------------
class Loss:
    """Base of the loss classes: ``loss(y_true, y_pred)`` gives the mean loss as a scalar Tensor."""

    function: Callable[..., Tensor]
    default_name: str

    def __init__(self, name: str | None = None) -> None:
        self.name = name or self.default_name

    def options(self) -> dict[str, Any]:
        """The keyword arguments this loss passes to its function (e.g. ``from_logits``)."""
        return {}

    def __call__(self, y_true: Any, y_pred: Any) -> Tensor:
        return type(self).function(y_true, y_pred, **self.options())

    def __repr__(self) -> str:
        settings = "".join(f", {k}={v!r}" for k, v in self.options().items())
        return f"{type(self).__name__}(name={self.name!r}{settings})"


class MeanSquaredError(Loss):
    """mean((ŷ - y)²); ``compile(loss=MeanSquaredError())`` is ``loss='mse'``."""

    function = staticmethod(mean_squared_error)
    default_name = "mean_squared_error"


class MeanAbsoluteError(Loss):
    """mean(|ŷ - y|); ``loss='mae'``."""

    function = staticmethod(mean_absolute_error)
    default_name = "mean_absolute_error"


class _CrossEntropy(Loss):
    def __init__(self, from_logits: bool = False, name: str | None = None) -> None:
        super().__init__(name)
        self.from_logits = check_bool(type(self).__name__, "from_logits", from_logits)

    def options(self) -> dict[str, Any]:
        return {"from_logits": self.from_logits}


class BinaryCrossentropy(_CrossEntropy):
    """Binary cross-entropy of 0/1 targets; predictions are probabilities, or logits if ``from_logits``."""

    function = staticmethod(binary_crossentropy)
    default_name = "binary_crossentropy"


class CategoricalCrossentropy(_CrossEntropy):
    """Cross-entropy of one-hot targets; predictions are probabilities, or logits if ``from_logits``."""

    function = staticmethod(categorical_crossentropy)
    default_name = "categorical_crossentropy"


class SparseCategoricalCrossentropy(_CrossEntropy):
    """Cross-entropy of integer labels; predictions are probabilities, or logits if ``from_logits``."""

    function = staticmethod(sparse_categorical_crossentropy)
    default_name = "sparse_categorical_crossentropy"


def get_loss(loss: str | Callable) -> tuple[str, Callable[[Any, Any], Tensor]]:
    """A name (``'mse'``), a ``Loss`` object or a callable(y_true, y_pred), with the name to show."""
    if isinstance(loss, Loss):
        return loss.name, loss
    if callable(loss):
        return getattr(loss, "__name__", "loss"), loss
    if loss not in LOSSES:
        raise ValueError(
            f"unknown loss {loss!r}; choose one of {sorted(LOSSES)}, a keras.losses object "
            "or pass a callable(y_true, y_pred)"
        )
    return loss, LOSSES[loss]
