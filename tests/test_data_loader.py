"""DataLoader and TensorDataset: coverage of every sample per epoch, batch shapes, determinism, errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu.data import DataLoader, TensorDataset


def ids_of_epoch(loader):
    """The sample ids one epoch visits (X holds the id in column 0, y holds it too)."""
    seen, sizes = [], []
    for xb, yb in loader:
        np.testing.assert_array_equal(xb.data[:, 0], yb.data)  # rows of X and y stay paired
        seen.extend(yb.data.tolist())
        sizes.append(len(yb))
    return seen, sizes


def data(n):
    X = np.stack([np.arange(n), -np.arange(n)], axis=1).astype(np.float64)
    return X, np.arange(n)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 40), batch_size=st.one_of(st.none(), st.integers(1, 45)),
       shuffle=st.booleans(), drop_last=st.booleans(), seed=st.integers(0, 2**31))
def test_each_epoch_visits_every_sample_once(n, batch_size, shuffle, drop_last, seed):
    if drop_last and batch_size is not None and batch_size > n:
        with pytest.raises(ValueError, match="no batches"):
            DataLoader(data(n), batch_size=batch_size, drop_last=drop_last)
        return
    loader = DataLoader(data(n), batch_size=batch_size, shuffle=shuffle, drop_last=drop_last, seed=seed)
    bs = n if batch_size is None else batch_size
    for _ in range(2):
        seen, sizes = ids_of_epoch(loader)
        assert len(sizes) == len(loader)
        assert len(set(seen)) == len(seen)  # no sample twice
        if drop_last:
            assert all(s == bs for s in sizes) and len(seen) == (n // bs) * bs
        else:
            assert sorted(seen) == list(range(n))  # every sample exactly once
            assert all(s == bs for s in sizes[:-1]) and 1 <= sizes[-1] <= bs
        if not shuffle:
            assert seen == list(range(len(seen)))


def test_len_and_batch_sizes():
    X, y = data(10)
    assert len(DataLoader((X, y))) == 1
    assert len(DataLoader((X, y), batch_size=1)) == 10
    assert len(DataLoader((X, y), batch_size=3)) == 4
    assert len(DataLoader((X, y), batch_size=3, drop_last=True)) == 3
    assert [len(b[1]) for b in DataLoader((X, y), batch_size=4)] == [4, 4, 2]
    assert len(DataLoader((X, y), batch_size=25)) == 1


def test_batch_none_is_the_whole_data_set_in_order():
    X, y = data(7)
    ((xb, yb),) = list(DataLoader((X, y)))
    np.testing.assert_array_equal(xb.data, X)
    np.testing.assert_array_equal(yb.data, y)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), batch_size=st.integers(1, 30))
def test_seed_makes_shuffling_reproducible_and_different_each_epoch(seed, batch_size):
    X, y = data(30)
    a = DataLoader((X, y), batch_size=batch_size, shuffle=True, seed=seed)
    b = DataLoader((X, y), batch_size=batch_size, shuffle=True, seed=seed)
    epochs_a = [ids_of_epoch(a)[0] for _ in range(3)]
    epochs_b = [ids_of_epoch(b)[0] for _ in range(3)]
    assert epochs_a == epochs_b
    assert epochs_a[0] != epochs_a[1] != epochs_a[2]  # 30! orders: a repeat means a bug


def test_without_seed_the_global_generator_decides():
    X, y = data(20)
    tg.manual_seed(5)
    first = ids_of_epoch(DataLoader((X, y), batch_size=4, shuffle=True))[0]
    tg.manual_seed(5)
    second = ids_of_epoch(DataLoader((X, y), batch_size=4, shuffle=True))[0]
    assert first == second and first != list(range(20))


def test_seed_can_be_a_generator():
    X, y = data(20)
    a = ids_of_epoch(DataLoader((X, y), shuffle=True, seed=np.random.default_rng(3)))[0]
    b = ids_of_epoch(DataLoader((X, y), shuffle=True, seed=np.random.default_rng(3)))[0]
    assert a == b


def test_dtypes_float_to_default_and_integer_labels_stay_integer():
    X = np.random.default_rng(0).standard_normal((6, 2))  # float64
    y = np.array([0, 1, 2, 0, 1, 2])
    xb, yb = next(iter(DataLoader((X, y), batch_size=3)))
    assert isinstance(xb, tg.Tensor) and isinstance(yb, tg.Tensor)
    assert xb.dtype == np.float32 and yb.dtype == y.dtype
    assert not xb.requires_grad
    xb, _ = next(iter(DataLoader((X, y), batch_size=3, dtype=np.float64)))
    assert xb.dtype == np.float64
    np.testing.assert_array_equal(xb.data, X[:3])
    mask = next(iter(DataLoader((X, y > 0), batch_size=6)))[1]
    assert mask.dtype == bool


def test_accepts_dataset_tensors_lists_and_single_arrays():
    X, y = data(5)
    ds = TensorDataset(tg.Tensor(X), y)
    assert len(ds) == 5
    x2, y2 = ds[2]
    np.testing.assert_array_equal(x2.data, X[2])
    assert y2.item() == 2
    xs, ys = ds[np.array([4, 0])]
    np.testing.assert_array_equal(ys.data, [4, 0])
    assert [len(b[0]) for b in DataLoader(ds, batch_size=2)] == [2, 2, 1]
    assert [len(b[0]) for b in DataLoader([X, y], batch_size=2)] == [2, 2, 1]
    single = list(DataLoader(X, batch_size=2))
    assert all(isinstance(b, tg.Tensor) for b in single) and len(single) == 3
    lists = list(DataLoader([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], batch_size=2))
    assert lists[0].shape == (2, 2) and lists[1].shape == (1, 2)
    (only,) = next(iter(DataLoader(TensorDataset(X))))  # a one-array dataset gives 1-tuples
    assert only.shape == (5, 2)


def test_errors_are_clear():
    X, y = data(5)
    with pytest.raises(ValueError, match=r"same number of samples.*\[5, 4\]"):
        TensorDataset(X, y[:4])
    with pytest.raises(ValueError, match=r"same number of samples"):
        DataLoader((X, y[:3]))
    with pytest.raises(ValueError, match="at least one array"):
        TensorDataset()
    with pytest.raises(ValueError, match="0-d"):
        TensorDataset(np.float64(3.0))
    for bad in (0, -2, 2.5, True, "4"):
        with pytest.raises(ValueError, match="invalid batch_size"):
            DataLoader((X, y), batch_size=bad)
    with pytest.raises(ValueError, match="empty"):
        DataLoader((np.zeros((0, 2)), np.zeros(0)))
    with pytest.raises(ValueError, match="drop_last=True with batch_size=8 larger than the 5 samples"):
        DataLoader((X, y), batch_size=8, drop_last=True)
    with pytest.raises(TypeError, match="shuffle must be True or False"):
        DataLoader((X, y), shuffle="yes")


@pytest.mark.parametrize("batch_size, steps", [(None, 1), (1, 12), (5, 3)])
def test_batch_size_sets_steps_per_epoch_batch_sgd_minibatch(batch_size, steps):
    """Batch / stochastic / mini-batch GD: the same SGD, a different number of steps per epoch."""
    X, y = data(12)
    w = tg.Tensor(np.zeros((2, 1)), requires_grad=True)
    opt = tg.optim.SGD([w], lr=0.0)
    counted = 0
    for xb, _ in DataLoader((X, y), batch_size=batch_size, shuffle=True, seed=0):
        opt.zero_grad()
        (xb @ w).sum().backward()
        opt.step()
        counted += 1
    assert counted == steps
