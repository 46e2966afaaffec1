"""``tg.utils.data``: PyTorch's Dataset / DataLoader / random_split, with PyTorch's defaults."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.utils.data import DataLoader, Dataset, Subset, TensorDataset, default_collate, random_split


class Squares(Dataset):
    """Sample i is (i as a float vector, i² as an int label)."""

    def __len__(self):
        return 10

    def __getitem__(self, i):
        return tg.tensor([float(i), 1.0]), i * i


def test_default_batch_size_is_one_and_samples_are_stacked():
    loader = DataLoader(Squares())
    assert len(loader) == 10
    x, y = next(iter(loader))
    assert x.shape == (1, 2) and y.tolist() == [0] and y.dtype == np.int64


def test_batches_cover_every_sample_once_in_order_without_shuffle():
    loader = DataLoader(Squares(), batch_size=4)
    batches = list(loader)
    assert [len(y.tolist()) for _, y in batches] == [4, 4, 2] and len(loader) == 3
    assert sum((y.tolist() for _, y in batches), []) == [i * i for i in range(10)]
    assert len(DataLoader(Squares(), batch_size=4, drop_last=True)) == 2


def test_shuffle_is_a_permutation_repeatable_with_manual_seed():
    def labels():
        return sum((y.tolist() for _, y in DataLoader(Squares(), batch_size=3, shuffle=True)), [])
    tg.manual_seed(5)
    first = labels()
    tg.manual_seed(5)
    assert labels() == first and sorted(first) == [i * i for i in range(10)]
    assert first != [i * i for i in range(10)]


def test_tensor_dataset_keeps_dtypes_and_slices_whole_batches():
    X = np.arange(12.0).reshape(6, 2)  # float64 stays float64 here, as in PyTorch
    ds = TensorDataset(tg.tensor(X, dtype=tg.float64), tg.arange(6))
    x, y = next(iter(DataLoader(ds, batch_size=4)))
    assert x.dtype == np.float64 and x.tolist() == X[:4].tolist() and y.tolist() == [0, 1, 2, 3]
    assert [t.shape for t in ds.tensors] == [(6, 2), (6,)]


def test_random_split_by_counts_and_by_fractions():
    tg.manual_seed(0)
    a, b = random_split(Squares(), [7, 3])
    assert len(a) == 7 and len(b) == 3 and sorted(a.indices + b.indices) == list(range(10))
    parts = random_split(Squares(), [0.5, 0.3, 0.2])
    assert [len(p) for p in parts] == [5, 3, 2] and isinstance(parts[0], Subset)
    assert parts[1][0][1] == parts[1].indices[0] ** 2
    with pytest.raises(ValueError, match="adding up to the data set's 10 samples"):
        random_split(Squares(), [4, 4])


def test_default_collate_batches_numbers_arrays_tuples_and_dicts():
    batch = default_collate([{"x": np.ones(2), "n": 1, "f": 0.5}, {"x": np.zeros(2), "n": 2, "f": 1.5}])
    assert batch["x"].shape == (2, 2) and batch["n"].dtype == np.int64 and batch["f"].dtype == np.float64
    with pytest.raises(TypeError, match="cannot batch samples of type str"):
        default_collate(["a", "b"])


def test_misuse_gets_clear_errors():
    with pytest.raises(TypeError, match="needs __len__ and __getitem__"):
        DataLoader(42)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        DataLoader(Squares(), batch_size=0)
    with pytest.raises(NotImplementedError, match="sampler"):
        DataLoader(Squares(), sampler=[0, 1])
    with pytest.raises(NotImplementedError, match="must define __getitem__"):
        Dataset()[0]
