"""Keras loss and metric names, resolved to Tensor computations.

Keras losses take ``(y_true, y_pred)`` -- the reverse of PyTorch's ``(input, target)`` -- and
the cross-entropies receive *probabilities* (the output of a sigmoid or softmax layer).
Like Keras, probabilities are clipped to [1e-7, 1 - 1e-7] before the log, so a saturated
output gives a large but finite loss.  Unlike Keras, targets and predictions outside [0, 1]
are refused with the same check ``nn.functional``'s BCE uses, instead of training on them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..nn import functional as F
from ..tensor import Tensor

EPSILON = 1e-7  # Keras' backend epsilon


def _like(y_true: Tensor, y_pred: Tensor) -> Tensor:
    """Targets of shape (N,) meet predictions of shape (N, 1): give them the same shape."""
    if y_true.shape != y_pred.shape and y_true.size == y_pred.size:
        y_true = y_true.reshape(y_pred.shape)
    return y_true.astype(y_pred.dtype) if y_true.dtype != y_pred.dtype else y_true


def mean_squared_error(y_true: Tensor, y_pred: Tensor) -> Tensor:
    """mean((ŷ - y)²)"""
    return F.mse_loss(y_pred, _like(y_true, y_pred))


def mean_absolute_error(y_true: Tensor, y_pred: Tensor) -> Tensor:
    """mean(|ŷ - y|)"""
    return F.l1_loss(y_pred, _like(y_true, y_pred))


# The cross-entropies take probabilities: the same [0, 1] check as nn.functional's BCE.
def _check_targets(y_true: Tensor, who: str) -> None:
    F.check_probabilities(y_true, "y_true (targets)", who,
                          "; targets are 0/1 labels or soft labels (probabilities)")


def _check_predictions(y_pred: Tensor, who: str, activation: str) -> None:
    F.check_probabilities(y_pred, "y_pred (predictions)", who,
                          f"; give the last layer activation='{activation}' so it outputs probabilities")


def binary_crossentropy(y_true: Tensor, y_pred: Tensor) -> Tensor:
    """-mean(y log p + (1 - y) log(1 - p)), p clipped to [ε, 1-ε]"""
    y = _like(y_true, y_pred)
    _check_targets(y, "binary_crossentropy")
    _check_predictions(y_pred, "binary_crossentropy", "sigmoid")
    p = y_pred.clip(EPSILON, 1 - EPSILON)
    return -(y * p.log() + (1 - y) * (1 - p).log()).mean()


def categorical_crossentropy(y_true: Tensor, y_pred: Tensor) -> Tensor:
    """-mean over samples of Σ_c y_c log p_c, for one-hot (or soft) targets"""
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"categorical_crossentropy needs one-hot targets of shape {y_pred.shape}, got "
            f"{y_true.shape}; for integer labels use 'sparse_categorical_crossentropy'"
        )
    _check_targets(y_true, "categorical_crossentropy")
    _check_predictions(y_pred, "categorical_crossentropy", "softmax")
    log_p = y_pred.clip(EPSILON, 1 - EPSILON).log()
    return -(y_true.astype(y_pred.dtype) * log_p).sum(axis=-1).mean()


def sparse_categorical_crossentropy(y_true: Tensor, y_pred: Tensor) -> Tensor:
    """-mean log p[label], for integer labels"""
    labels = y_true.reshape(-1) if y_true.ndim > 1 else y_true
    if labels.dtype.kind == "f":
        if not np.all(labels.data == np.round(labels.data)):
            raise ValueError("sparse_categorical_crossentropy needs integer class labels")
        labels = labels.astype(np.int64)
    _check_predictions(y_pred, "sparse_categorical_crossentropy", "softmax")
    return F.nll_loss(y_pred.clip(EPSILON, 1 - EPSILON).log(), labels)


LOSSES: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    "mse": mean_squared_error, "mean_squared_error": mean_squared_error,
    "mae": mean_absolute_error, "mean_absolute_error": mean_absolute_error,
    "binary_crossentropy": binary_crossentropy,
    "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
}


def get_loss(loss: str | Callable) -> tuple[str, Callable[[Tensor, Tensor], Tensor]]:
    if callable(loss):
        return getattr(loss, "__name__", "loss"), loss
    if loss not in LOSSES:
        raise ValueError(
            f"unknown loss {loss!r}; choose one of {sorted(LOSSES)} or pass a callable(y_true, y_pred)"
        )
    return loss, LOSSES[loss]


# -- metrics: plain NumPy on predictions, nothing to differentiate --------------------------------
def accuracy_for(loss_name: str) -> Callable[[np.ndarray, np.ndarray], float]:
    """Keras picks the accuracy that fits the loss and the output's shape."""

    def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
        if loss_name == "sparse_categorical_crossentropy" or (
                y_pred.ndim == 2 and y_pred.shape[1] > 1 and y_true.ndim == 1):
            return float(np.mean(y_pred.argmax(axis=-1) == y_true.reshape(-1)))
        if loss_name == "categorical_crossentropy" or (y_pred.ndim == 2 and y_pred.shape[1] > 1):
            return float(np.mean(y_pred.argmax(axis=-1) == y_true.argmax(axis=-1)))
        return float(np.mean((y_pred.reshape(-1) > 0.5) == (y_true.reshape(-1) > 0.5)))

    return accuracy


def get_metric(name: str, loss_name: str) -> Callable[[np.ndarray, np.ndarray], float]:
    if name in ("accuracy", "acc"):
        return accuracy_for(loss_name)
    if name in ("mae", "mean_absolute_error"):
        return lambda t, p: float(np.mean(np.abs(p.reshape(-1) - t.reshape(-1))))
    if name in ("mse", "mean_squared_error"):
        return lambda t, p: float(np.mean((p.reshape(-1) - t.reshape(-1)) ** 2))
    raise ValueError(f"unknown metric {name!r}; choose 'accuracy', 'mae' or 'mse'")
