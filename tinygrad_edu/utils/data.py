"""PyTorch's ``torch.utils.data``: ``Dataset``, ``DataLoader`` with PyTorch's defaults, ``random_split``.

``tg.data.DataLoader`` is the project's own loader (``batch_size=None`` is the whole data set,
float arrays become float32).  This module is the one PyTorch code imports, so it keeps
PyTorch's meaning: ``batch_size=1`` by default, any map-style dataset (an object with
``__len__`` and ``__getitem__``), samples collated by stacking, dtypes kept as they are.
There are no worker processes: ``num_workers`` and ``pin_memory`` are accepted and ignored,
so every batch is made in the calling process, in order.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from .. import random as tg_random
from ..creation import stack
from ..data.loader import TensorDataset as _TensorDataset
from ..tensor import Tensor

__all__ = ["Dataset", "TensorDataset", "Subset", "DataLoader", "random_split", "default_collate"]


class Dataset:
    """Base class of a map-style data set: define ``__getitem__(i)`` (one sample) and ``__len__``."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(self, index)")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__(self)")


class TensorDataset(_TensorDataset, Dataset):
    """Tensors (or arrays) sharing their first dimension: sample ``i`` is ``(t[i] for t in tensors)``."""

    @property
    def tensors(self) -> tuple[Tensor, ...]:
        """The data, as PyTorch names it."""
        return tuple(Tensor(a) for a in self.arrays)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset, self.indices = dataset, [int(i) for i in indices]

    def __getitem__(self, index: int) -> Any:
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


def random_split(dataset: Any, lengths: Sequence[float], generator: Any = None) -> list[Subset]:
    """Disjoint random subsets of the given sizes (counts, or fractions that add up to 1).

    Fractions are turned into counts as PyTorch does: floor of each, then the remainder handed
    out one by one from the first.  The order comes from the global generator
    (``tg.manual_seed``) unless ``generator`` (a ``np.random.Generator``) is given.
    """
    n = len(dataset)
    if lengths and math.isclose(sum(lengths), 1) and sum(lengths) <= 1:  # fractions (PyTorch's test)
        counts = [math.floor(n * f) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
    else:
        counts = [int(c) for c in lengths]
    if sum(counts) != n or any(c < 0 for c in counts):
        raise ValueError(f"random_split: lengths {list(lengths)} must be counts adding up to the "
                         f"data set's {n} samples, or fractions adding up to 1")
    order = _generator(generator, "random_split").permutation(n)
    starts = np.cumsum([0, *counts])
    return [Subset(dataset, order[a:b].tolist()) for a, b in zip(starts[:-1], starts[1:])]


def default_collate(samples: list[Any]) -> Any:
    """Samples -> one batch: tensors, arrays and numbers are stacked along a new first dimension;
    tuples, lists and dicts are collated field by field."""
    first = samples[0]
    if isinstance(first, Tensor):
        return stack(samples)
    if isinstance(first, (tuple, list)):
        if any(len(s) != len(first) for s in samples):
            raise ValueError("default_collate: samples have different numbers of fields")
        return type(first)(default_collate(list(field)) for field in zip(*samples)) \
            if isinstance(first, tuple) else [default_collate(list(f)) for f in zip(*samples)]
    if isinstance(first, dict):
        return {key: default_collate([s[key] for s in samples]) for key in first}
    if isinstance(first, (bool, np.bool_)):
        return Tensor(np.array(samples, dtype=np.bool_))
    if isinstance(first, (int, np.integer)):
        return Tensor(np.array(samples, dtype=np.int64))
    if isinstance(first, (float, np.floating)):
        # PyTorch turns Python floats into float64 here; so does this.
        return Tensor(np.array(samples, dtype=np.float64))
    if isinstance(first, np.ndarray):
        return Tensor(np.stack(samples))
    raise TypeError(f"default_collate: cannot batch samples of type {type(first).__name__}; "
                    "return Tensors, arrays or numbers from __getitem__, or pass collate_fn=")


class DataLoader:
    """Batches of a data set, as ``torch.utils.data.DataLoader`` makes them.

    ``DataLoader(dataset, batch_size=1, shuffle=False, drop_last=False, collate_fn=None)``:
    each epoch visits every sample once (in a new random order with ``shuffle=True``, drawn
    from the global generator, so ``tg.manual_seed`` makes it repeatable) and yields
    ``collate_fn([dataset[i] for i in batch])``.  ``len(loader)`` is the number of batches.
    ``batch_size=None`` yields single samples without batching them, as in PyTorch.
    """

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool = False,
                 sampler: Any = None, batch_sampler: Any = None, num_workers: int = 0,
                 collate_fn: Callable[[list[Any]], Any] | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn: Any = None,
                 generator: Any = None, **_ignored: Any) -> None:
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(f"DataLoader: the data set ({type(dataset).__name__}) needs __len__ and "
                            "__getitem__ (subclass tg.utils.data.Dataset, or use TensorDataset(X, y))")
        if sampler is not None or batch_sampler is not None:
            raise NotImplementedError("DataLoader: sampler= and batch_sampler= are not supported; "
                                      "use shuffle=True, or a Subset for a fixed selection")
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(
                batch_size, (int, np.integer)) or batch_size < 1):
            raise ValueError(f"DataLoader: batch_size must be a positive integer or None, got {batch_size!r}")
        self.dataset, self.batch_size = dataset, batch_size
        self.shuffle, self.drop_last = bool(shuffle), bool(drop_last)
        self.collate_fn = collate_fn or default_collate
        self.num_workers = num_workers  # accepted for compatibility; batches are made in-process
        self._generator = generator

    def __len__(self) -> int:
        n = len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        n = len(self.dataset)
        order = _generator(self._generator, "DataLoader").permutation(n) if self.shuffle \
            else np.arange(n)
        if self.batch_size is None:
            for i in order:
                yield self.dataset[int(i)]
            return
        for b in range(len(self)):
            index = order[b * self.batch_size:(b + 1) * self.batch_size]
            if isinstance(self.dataset, _TensorDataset) and self.collate_fn is default_collate:
                yield tuple(Tensor(a[index]) for a in self.dataset.arrays)  # one slice per array
            else:
                yield self.collate_fn([self.dataset[int(i)] for i in index])


def _generator(generator: Any, op: str) -> np.random.Generator:
    if generator is None or isinstance(generator, np.random.Generator):
        return tg_random.generator(generator)
    raise TypeError(f"{op}: generator must be a np.random.Generator (or None for the global one "
                    f"that tg.manual_seed seeds), got {type(generator).__name__}")
