"""The data a Keras model is given: one array, or one array per input.

A model with one ``keras.Input`` takes an array; a model with several takes a list of
arrays in the order of its inputs, or a dict keyed by the inputs' names, as in Keras.
Every array holds one row per sample, and all must hold the same number of samples.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor

Arrays = Any  # an np.ndarray, or a list of them (one per model input)


def as_array(data: Any, what: str) -> np.ndarray:
    """``data`` (array, Tensor, nested list) as a numeric NumPy array."""
    arr = data.numpy() if isinstance(data, Tensor) else np.asarray(data)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{what} must be numeric, got dtype {arr.dtype}")
    return arr


def samples(data: Any, what: str, who: str) -> np.ndarray:
    """``data`` as an array of at least one sample: an empty set would train on nothing."""
    arr = as_array(data, what)
    if arr.ndim == 0 or len(arr) == 0:
        raise ValueError(
            f"{who}: {what} has no samples (shape {arr.shape}); pass an array with one row per "
            "sample -- check how it was loaded, sliced or filtered"
        )
    return arr


def model_inputs(x: Any, who: str, input_names: list[str | None] | None, what: str = "x") -> Arrays:
    """``x`` as one array, or as a list of arrays in the order of the model's inputs."""
    if isinstance(x, dict):
        if not input_names or None in input_names:
            raise TypeError(f"{who}: x is a dict, but the model's inputs have no names; give "
                            "keras.Input(..., name=...) names, or pass a list of arrays")
        missing = [n for n in input_names if n not in x]
        if missing:
            raise KeyError(f"{who}: x has no array for the input(s) {missing}; its keys are {sorted(x)}")
        x = [x[n] for n in input_names]
    if isinstance(x, (list, tuple)) and x and all(isinstance(a, (np.ndarray, Tensor)) for a in x):
        arrays = [samples(a, f"{what}[{i}]", who) for i, a in enumerate(x)]
        lengths = {len(a) for a in arrays}
        if len(lengths) > 1:
            raise ValueError(f"{who}: the input arrays have different numbers of samples: "
                             f"{[len(a) for a in arrays]}")
        return arrays
    return samples(x, what, who)


def count(X: Arrays) -> int:
    """Number of samples."""
    return len(X[0]) if isinstance(X, list) else len(X)


def take(X: Arrays, index: Any) -> Arrays:
    """The samples at ``index`` (an index array or a slice) of every array."""
    return [a[index] for a in X] if isinstance(X, list) else X[index]


def tensors(X: Arrays) -> Any:
    """Tensors for a forward pass: one, or a list of them."""
    return [Tensor(a) for a in X] if isinstance(X, list) else Tensor(X)


def probe(X: Arrays) -> Any:
    """A batch of zeros with X's shapes and one sample: builds lazy layers without real data."""
    return [Tensor(np.zeros((1, *a.shape[1:]), np.float32)) for a in X] if isinstance(X, list) \
        else Tensor(np.zeros((1, *X.shape[1:]), np.float32))
