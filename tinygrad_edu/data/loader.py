"""``TensorDataset`` and ``DataLoader``: cut a data set into the batches a training loop eats.

The batch size is the only difference between the three classic flavours of gradient
descent: ``batch_size=None`` gives one batch holding every sample (batch gradient descent),
``batch_size=1`` one sample per step (stochastic gradient descent), and ``batch_size=k``
k samples per step (mini-batch gradient descent).  The optimizer is the same in all three.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import random as tg_random
from ..config import get_default_dtype
from ..tensor import Tensor
from .toy import make_rng

Batch = Any  # a Tensor, or a tuple of Tensors (one per array)

_NOT_NUMBERS = {"U": "text", "S": "bytes", "O": "Python objects: a ragged list or mixed types?",
                "c": "complex numbers", "M": "dates", "m": "time spans", "V": "raw records"}


def _as_array(data: Any, what: str) -> np.ndarray:
    if isinstance(data, Tensor):
        arr = data.data
    elif isinstance(data, np.ndarray):
        arr = data
    else:
        arr = Tensor(data).data  # lists of floats become the default dtype, as in Tensor
    if arr.ndim == 0:
        raise ValueError(f"{what} is a single number (0-d); a data set needs one row per sample")
    if arr.dtype.kind not in "biuf":
        # Refused here: a Tensor cannot hold it, so the first batch would fail far from the cause.
        fix = ("encode text labels as integers first, e.g. classes, y = np.unique(labels, "
               "return_inverse=True)") if arr.dtype.kind in "US" else "convert it to a numeric array first"
        raise TypeError(f"{what} has dtype {arr.dtype} ({_NOT_NUMBERS.get(arr.dtype.kind, 'not numbers')}); "
                        f"a data set holds numbers (bool, int or float) -- {fix}")
    return arr


def _float_dtype(dtype: Any) -> np.dtype:
    try:
        float_dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"DataLoader: dtype={dtype!r} is not a NumPy dtype; use np.float32 or "
                        "np.float64") from None
    if float_dtype.kind != "f":
        raise ValueError(f"DataLoader: dtype is what floating-point arrays are converted to, so it "
                         f"must be a float dtype (np.float32, np.float64), got {float_dtype}; "
                         "integer labels keep their own dtype anyway")
    return float_dtype


class TensorDataset:
    """Arrays that share their first axis: sample ``i`` is ``(a[i] for a in arrays)``.

    ``TensorDataset(X, y)`` accepts NumPy arrays, Tensors and nested lists.  ``len(ds)`` is
    the number of samples; ``ds[i]`` (``i`` an int, slice or index array) is a tuple of
    Tensors, one per array.
    """

    def __init__(self, *arrays: Any) -> None:
        if not arrays:
            raise ValueError("TensorDataset needs at least one array, e.g. TensorDataset(X, y)")
        self.arrays = tuple(_as_array(a, f"TensorDataset: array {i}") for i, a in enumerate(arrays))
        lengths = [len(a) for a in self.arrays]
        if len(set(lengths)) > 1:
            shapes = ", ".join(str(a.shape) for a in self.arrays)
            raise ValueError(f"TensorDataset: all arrays need the same number of samples (first "
                             f"dimension), got lengths {lengths} (shapes {shapes})")

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(Tensor(a[index]) for a in self.arrays)

    def __repr__(self) -> str:
        return f"TensorDataset({len(self)} samples, shapes {[a.shape for a in self.arrays]})"


class DataLoader:
    """Iterate over a data set in batches of Tensors; every epoch sees every sample once.

    ``DataLoader(data, batch_size=None, shuffle=False, drop_last=False, seed=None, dtype=None)``

    ``data`` is a ``TensorDataset``, a tuple of arrays ``(X, y)`` (or a list of arrays), or
    a single array.  Iterating gives ``(x_batch, y_batch)`` -- one Tensor per array -- or a
    single Tensor when ``data`` was a single array.  ``len(loader)`` is the number of
    batches per epoch.

    - ``batch_size=None``: one batch with all samples (batch gradient descent);
      ``1``: stochastic gradient descent; ``k``: mini-batches of ``k``.  The last batch is
      smaller when ``k`` does not divide the number of samples, unless ``drop_last=True``
      skips it.
    - ``shuffle=True`` visits the samples in a new random order every epoch.  With ``seed``
      (a non-negative int or a ``np.random.Generator``) the sequence of orders is reproducible: a new
      loader with the same seed repeats it, and each epoch's order differs from the last.
      Without ``seed`` the global generator is used, so ``tg.manual_seed`` controls it.
    - Floating-point arrays are converted once to ``dtype`` (default: the default float
      dtype, float32, the dtype of layer weights); integer and bool arrays (class labels)
      keep their dtype.  Arrays that are not numbers (text labels, ragged object arrays) are
      refused here, when the loader is made, not at the first batch.
    """

    def __init__(self, data: Any, batch_size: int | None = None, shuffle: bool = False,
                 drop_last: bool = False, seed: int | np.random.Generator | None = None,
                 dtype: Any = None) -> None:
        # Several arrays give a tuple per batch; a single array gives a Tensor per batch.
        if isinstance(data, TensorDataset):
            dataset, self.single = data, False
        elif isinstance(data, tuple) or (isinstance(data, list) and data
                                         and all(isinstance(a, (np.ndarray, Tensor)) for a in data)):
            dataset, self.single = TensorDataset(*data), False
        else:
            dataset, self.single = TensorDataset(data), True
        self.dataset = dataset
        n = len(dataset)
        if n == 0:
            raise ValueError("DataLoader: the data set is empty (0 samples)")
        bad_size = isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size < 1
        if batch_size is not None and bad_size:
            raise ValueError(f"DataLoader: invalid batch_size={batch_size!r}; use a positive integer, "
                             "or None for one batch with the whole data set")
        for flag, value in (("shuffle", shuffle), ("drop_last", drop_last)):
            if not isinstance(value, (bool, np.bool_)):
                raise TypeError(f"DataLoader: {flag} must be True or False, got {value!r}")
        if drop_last and batch_size is not None and batch_size > n:
            raise ValueError(f"DataLoader: drop_last=True with batch_size={batch_size} larger than the "
                             f"{n} samples would give no batches at all; use a smaller batch_size")
        self.batch_size = n if batch_size is None else int(batch_size)
        self.shuffle, self.drop_last = bool(shuffle), bool(drop_last)
        # None stays None: each epoch then draws from the global generator of that moment.
        self._rng = None if seed is None else make_rng(seed, "DataLoader")
        float_dtype = get_default_dtype() if dtype is None else _float_dtype(dtype)
        self._arrays = tuple(a.astype(float_dtype, copy=False) if a.dtype.kind == "f" else a
                             for a in dataset.arrays)

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[Batch]:
        n = len(self.dataset)
        order = tg_random.generator(self._rng).permutation(n) if self.shuffle else None
        for b in range(len(self)):
            start = b * self.batch_size
            index: Any = slice(start, start + self.batch_size) if order is None \
                else order[start:start + self.batch_size]
            tensors = tuple(Tensor(a[index]) for a in self._arrays)
            yield tensors[0] if self.single else tensors

    def __repr__(self) -> str:
        return (f"DataLoader({len(self.dataset)} samples, batch_size={self.batch_size}, "
                f"{len(self)} batches, shuffle={self.shuffle}, drop_last={self.drop_last})")
