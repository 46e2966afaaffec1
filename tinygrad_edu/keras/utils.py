"""``keras.utils``: the helpers Keras programs call besides models and layers."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..random import manual_seed


def set_random_seed(seed: int) -> None:
    """Seed every random draw (weight initialisation, shuffling, dropout), as Keras' function does.

    tinygrad_edu has one generator for all of them, so this is ``tinygrad_edu.manual_seed``.
    """
    manual_seed(seed)


def to_categorical(y: Any, num_classes: int | None = None, dtype: Any = "float32") -> np.ndarray:
    """One-hot rows for integer class labels, as ``keras.utils.to_categorical``.

    ``out[i, y[i]] = 1`` and 0 elsewhere; ``num_classes`` defaults to ``max(y) + 1``.  A label
    array of shape (n,) or (n, 1) gives (n, num_classes); other shapes keep their axes and
    gain a last one.
    """
    labels = np.asarray(y)
    if labels.dtype.kind == "f" and np.all(labels == np.round(labels)):
        labels = labels.astype(np.int64)
    if labels.dtype.kind not in "iu":
        raise ValueError(f"to_categorical: labels must be integers (class indices), got dtype "
                         f"{labels.dtype}")
    if labels.ndim >= 2 and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if labels.size and labels.min() < 0:
        raise ValueError(f"to_categorical: labels must be >= 0, got {labels.min()}")
    top = int(labels.max()) + 1 if labels.size else 0
    n = top if num_classes is None else int(num_classes)
    if top > n:
        raise ValueError(f"to_categorical: label {top - 1} does not fit num_classes={n}; labels "
                         f"must be in 0..{n - 1}")
    return np.eye(n, dtype=dtype)[labels]
