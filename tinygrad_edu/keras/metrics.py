"""Keras metrics: what ``fit`` and ``evaluate`` report beside the loss.

A metric is plain NumPy on predictions -- nothing to differentiate.  As in Keras it keeps a
running state: ``update_state(y_true, y_pred)`` per batch, ``result()`` at the end of an
epoch, ``reset_state()`` before the next.  ``compile(metrics=[...])`` takes names or objects;
a name is logged as written (``"acc"`` gives ``history["acc"]``), an object under its ``name``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..tensor import Tensor


def _array(value: Any) -> np.ndarray:
    return value.data if isinstance(value, Tensor) else np.asarray(value)


def _matched(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Targets (N,) against outputs (N, 1): the same trailing-axis rule as ``keras.losses``."""
    if y_true.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1:
        y_true = y_true[..., None]
    elif y_pred.ndim == y_true.ndim - 1 and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    return y_true, y_pred


class Metric:
    """A running mean of per-sample values; subclasses define ``values(y_true, y_pred)``."""

    default_name = "metric"

    def __init__(self, name: str | None = None) -> None:
        self.name = name or self.default_name
        self.reset_state()

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        """One value per sample (or per entry) whose mean the metric reports."""
        raise NotImplementedError

    def reset_state(self) -> None:
        """Forget every batch seen so far."""
        self.total, self.count = 0.0, 0

    def update_state(self, y_true: Any, y_pred: Any) -> None:
        """Add one batch of targets and predictions to the running mean."""
        v = np.asarray(self.values(_array(y_true), _array(y_pred)), dtype=np.float64)
        self.total += float(v.sum())
        self.count += v.size

    def result(self) -> Tensor:
        """The mean so far, as a scalar Tensor (``float(m.result())`` for a number)."""
        return Tensor(np.float32(self.total / self.count if self.count else 0.0))

    def __call__(self, y_true: Any, y_pred: Any) -> Tensor:
        """``update_state`` then ``result``, as Keras' ``metric(y_true, y_pred)``."""
        self.update_state(y_true, y_pred)
        return self.result()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


class MeanSquaredError(Metric):
    """mean((ŷ - y)²)"""

    default_name = "mean_squared_error"

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        y_true, y_pred = _matched(y_true, y_pred)
        return (y_pred - y_true) ** 2


class MeanAbsoluteError(Metric):
    """mean(|ŷ - y|)"""

    default_name = "mean_absolute_error"

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        y_true, y_pred = _matched(y_true, y_pred)
        return np.abs(y_pred - y_true)


class RootMeanSquaredError(MeanSquaredError):
    """√mean((ŷ - y)²): the square root of the running mean, not a mean of roots."""

    default_name = "root_mean_squared_error"

    def result(self) -> Tensor:
        return Tensor(np.sqrt(super().result().data))


class Accuracy(Metric):
    """How often predictions equal targets exactly (for class labels already decided)."""

    default_name = "accuracy"

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        y_true, y_pred = _matched(y_true, y_pred)
        return y_pred == y_true


class BinaryAccuracy(Metric):
    """How often (ŷ > threshold) matches a 0/1 target; threshold 0.5 for sigmoid outputs."""

    default_name = "binary_accuracy"

    def __init__(self, name: str | None = None, threshold: float = 0.5) -> None:
        self.threshold = threshold
        super().__init__(name)

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        y_true, y_pred = _matched(y_true, y_pred)
        return (y_pred > self.threshold) == (y_true > 0.5)


class CategoricalAccuracy(Metric):
    """How often argmax(ŷ) matches argmax of a one-hot target."""

    default_name = "categorical_accuracy"

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        return y_pred.argmax(axis=-1) == y_true.argmax(axis=-1)


class SparseCategoricalAccuracy(Metric):
    """How often argmax(ŷ) matches an integer label."""

    default_name = "sparse_categorical_accuracy"

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        labels = y_true.reshape(y_pred.shape[:-1])
        return y_pred.argmax(axis=-1) == labels


class AutoAccuracy(Metric):
    """``metrics=['accuracy']``: Keras picks the accuracy that fits the loss and the shapes.

    One output column or a binary loss: binary; a sparse loss or one label per sample:
    sparse categorical; otherwise one-hot targets: categorical.
    """

    def __init__(self, name: str, loss_name: str) -> None:
        self.loss_name = loss_name
        super().__init__(name)

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        pick: Metric
        if "binary" in self.loss_name or y_pred.ndim < 2 or y_pred.shape[-1] == 1:
            pick = BinaryAccuracy()
        elif "sparse" in self.loss_name or y_true.ndim < y_pred.ndim or y_true.shape[-1] == 1:
            pick = SparseCategoricalAccuracy()
        else:
            pick = CategoricalAccuracy()
        return pick.values(y_true, y_pred)


class MeanMetricWrapper(Metric):
    """A function (y_true, y_pred) -> per-sample values (or a scalar), as a running mean."""

    def __init__(self, fn: Callable[..., Any], name: str | None = None) -> None:
        self.fn = fn
        super().__init__(name or getattr(fn, "__name__", "metric"))

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        return _array(self.fn(y_true, y_pred))


METRICS: dict[str, type[Metric]] = {
    "mse": MeanSquaredError, "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError, "mean_absolute_error": MeanAbsoluteError,
    "root_mean_squared_error": RootMeanSquaredError,
    "binary_accuracy": BinaryAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
}


def get(metric: Any, loss_name: str) -> Metric:
    """A fresh metric for ``compile``: a name (logged as written), a Metric, or a function."""
    if isinstance(metric, Metric):
        return metric
    if isinstance(metric, str):
        if metric in ("accuracy", "acc"):
            return AutoAccuracy(metric, loss_name)
        if metric not in METRICS:
            raise ValueError(f"unknown metric {metric!r}; choose 'accuracy' or one of {sorted(METRICS)}, "
                             "or pass a keras.metrics object")
        return METRICS[metric](name=metric)
    if callable(metric):
        return MeanMetricWrapper(metric)
    raise TypeError(f"a metric must be a name, a keras.metrics object or a function, got {metric!r}")


__all__ = ["Metric", "MeanSquaredError", "MeanAbsoluteError", "RootMeanSquaredError", "Accuracy",
           "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy", "MeanMetricWrapper",
           "get"]
