"""Preparing data for training: ``train_test_split``, ``one_hot``, ``standardize``.

Plain NumPy, run once before training (no gradients involved).  Each function accepts NumPy
arrays, lists or Tensors and returns the same kind it was given (arrays for lists).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from ..config import get_default_dtype
from ..tensor import Tensor
from .toy import make_rng


def _unwrap(x: Any) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _like(result: np.ndarray, original: Any) -> Any:
    return Tensor(result) if isinstance(original, Tensor) else result


def train_test_split(*arrays: Any, test_size: float | int = 0.2,
                     seed: int | np.random.Generator | None = None, stratify: Any = None,
                     shuffle: bool = True) -> list[Any]:
    """Split arrays into a training part and a held-out test part (same rows in each).

    ``X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, seed=0)``

    ``test_size`` is a fraction in (0, 1) (the test set gets ``ceil(test_size * n)`` rows)
    or a number of rows.  With ``stratify=y`` each class keeps (as nearly as integers allow)
    its share of the rows in both parts -- important for small or unbalanced data sets.
    ``shuffle=False`` keeps the order and puts the last rows in the test set.
    """
    if not arrays:
        raise ValueError("train_test_split needs at least one array, e.g. train_test_split(X, y)")
    data = [_unwrap(a) for a in arrays]
    n = len(data[0]) if data[0].ndim else 0
    for i, a in enumerate(data):
        if a.ndim == 0 or len(a) != n:
            raise ValueError(f"train_test_split: all arrays need the same number of rows; array 0 has {n}, "
                             f"array {i} has shape {a.shape}")
    if n < 2:
        raise ValueError(f"train_test_split needs at least 2 rows to split, got {n}")
    n_test = _test_count(test_size, n)
    if not shuffle:
        if stratify is not None:
            raise ValueError("train_test_split: stratify needs shuffle=True")
        train_idx, test_idx = np.arange(n - n_test), np.arange(n - n_test, n)
    else:
        rng = make_rng(seed, "train_test_split")
        if stratify is None:
            order = rng.permutation(n)
            train_idx, test_idx = order[n_test:], order[:n_test]
        else:
            train_idx, test_idx = _stratified(_unwrap(stratify), n, n_test, rng)
    out = []
    for original, a in zip(arrays, data):
        out += [_like(a[train_idx], original), _like(a[test_idx], original)]
    return out


def _test_count(test_size: float | int, n: int) -> int:
    if isinstance(test_size, bool) or not isinstance(test_size, (int, float, np.integer, np.floating)):
        raise TypeError(f"train_test_split: test_size must be a fraction or a row count, got {test_size!r}")
    if isinstance(test_size, (int, np.integer)):
        if not 1 <= test_size <= n - 1:
            raise ValueError(f"train_test_split: test_size={test_size} rows must be between 1 and {n - 1} "
                             f"(there are {n} rows)")
        return int(test_size)
    if not 0 < test_size < 1:
        raise ValueError(f"train_test_split: a fractional test_size must be in (0, 1), got {test_size}")
    return min(max(math.ceil(test_size * n), 1), n - 1)


def _stratified(labels: np.ndarray, n: int, n_test: int,
                rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Give each class ``n_test * share`` test rows, rounding by largest remainder."""
    if labels.shape[:1] != (n,):
        raise ValueError(f"train_test_split: stratify must have one label per row ({n}), "
                         f"got shape {labels.shape}")
    classes, inverse, counts = np.unique(labels, axis=0 if labels.ndim > 1 else None,
                                         return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    exact = counts * n_test / n
    take = np.floor(exact).astype(int)
    for c in np.argsort(-(exact - take), kind="stable")[: n_test - take.sum()]:
        take[c] += 1
    train, test = [], []
    for c in range(len(classes)):
        rows = rng.permutation(np.flatnonzero(inverse == c))
        test.append(rows[:take[c]])
        train.append(rows[take[c]:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def one_hot(labels: Any, num_classes: int | None = None, dtype: Any = None) -> Any:
    """Turn integer class labels into one-hot rows: label ``k`` becomes a row with 1 at ``k``.

    ``one_hot([0, 2, 1], 3) -> [[1,0,0], [0,0,1], [0,1,0]]``.  The result has shape
    ``labels.shape + (num_classes,)`` (``num_classes`` defaults to ``max(labels) + 1``) and
    the default float dtype unless ``dtype`` is given.
    """
    raw = _unwrap(labels)
    if raw.dtype.kind == "f":
        if not np.all(np.isfinite(raw)) or not np.array_equal(raw, np.round(raw)):
            raise ValueError("one_hot: labels must be whole numbers (class indices), got non-integer values")
        raw = raw.astype(np.int64)
    elif raw.dtype.kind not in "iu":
        raise TypeError(f"one_hot: labels must be integers (class indices), got dtype {raw.dtype}")
    if raw.size and raw.min() < 0:
        raise ValueError(f"one_hot: labels must be >= 0, got {raw.min()}")
    needed = int(raw.max()) + 1 if raw.size else 0
    if num_classes is None:
        num_classes = needed
    elif isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) \
            or num_classes < needed:
        raise ValueError(f"one_hot: num_classes={num_classes!r} is too small for label {needed - 1}; "
                         f"it must be an integer >= {needed}")
    out = np.zeros(raw.shape + (int(num_classes),), dtype=get_default_dtype() if dtype is None else dtype)
    np.put_along_axis(out, raw[..., None].astype(np.intp), 1, axis=-1)
    return _like(out, labels)


class Standardization(NamedTuple):
    """The per-feature ``mean`` and ``std`` that ``standardize`` fitted on the training data."""

    mean: np.ndarray
    std: np.ndarray

    def transform(self, x: Any) -> Any:
        """``(x - mean) / std`` (apply the same shift and scale to new data)."""
        a = _unwrap(x)
        return _like(((a - self.mean) / self.std).astype(_float_dtype(a)), x)

    def inverse_transform(self, z: Any) -> Any:
        """``z * std + mean`` (back to the original units, e.g. for predictions)."""
        a = _unwrap(z)
        return _like((a * self.std + self.mean).astype(_float_dtype(a)), z)


def _float_dtype(a: np.ndarray) -> np.dtype:
    return a.dtype if a.dtype.kind == "f" else np.dtype(np.float64)


def standardize(train: Any, *others: Any) -> tuple[Any, ...]:
    """Shift and scale every feature (column) to mean 0 and std 1, using the training data.

    ``X_train_s, X_test_s, stats = standardize(X_train, X_test)``

    The mean and std come from ``train`` alone and are applied to ``train`` and to every
    array in ``others``: using test data to fit them would leak information about it.
    ``stats`` (a ``Standardization``) can transform later data and undo the scaling.  A
    constant feature has std 0; it is divided by 1 instead, so it becomes all zeros rather
    than NaN.  Gradient descent converges much faster on standardized inputs.
    """
    base = _unwrap(train)
    if base.ndim == 0 or len(base) == 0:
        raise ValueError(f"standardize: train must have at least one row, got shape {base.shape}")
    for i, o in enumerate(others):
        if _unwrap(o).shape[1:] != base.shape[1:]:
            raise ValueError(f"standardize: array {i + 1} has shape {_unwrap(o).shape}, which does not match "
                             f"the features of train {base.shape}")
    values = base.astype(np.float64)
    mean = values.mean(axis=0)
    std = values.std(axis=0)
    std = np.where(np.ptp(values, axis=0) == 0, 1.0, std)  # constant features: avoid 0 / 0
    stats = Standardization(mean, std)
    return (stats.transform(train), *[stats.transform(o) for o in others], stats)
