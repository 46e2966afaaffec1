"""Toy generators and preprocessing helpers: shapes, labels, formulas, determinism, errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu.data import (
    make_circles,
    make_moons,
    make_regression_1d,
    make_spirals,
    make_xor,
    one_hot,
    standardize,
    train_test_split,
)


# -- toy generators ------------------------------------------------------------------------------
def test_xor_truth_table():
    X, y = make_xor()
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, [0, 1, 1, 0])
    assert X.dtype == np.float64 and y.dtype == np.int64


def test_xor_noisy_samples():
    X, y = make_xor(n_samples=400, noise=0.1, seed=0)
    assert X.shape == (400, 2) and y.shape == (400,)
    assert np.bincount(y).tolist() == [200, 200]
    corners = np.round(X).clip(0, 1)  # noise 0.1 keeps nearly every point nearest its corner
    agree = (np.logical_xor(corners[:, 0], corners[:, 1]).astype(int) == y).mean()
    assert agree > 0.99
    near_origin = X[(y == 0) & (X.sum(axis=1) < 1)]  # the (0, 0) corner: the points are the noise
    assert len(near_origin) == 100
    assert near_origin.std() == pytest.approx(0.1, rel=0.15)


def test_moons_formula_without_noise():
    X, y = make_moons(n_samples=101, shuffle=False)
    assert X.shape == (101, 2) and np.bincount(y).tolist() == [50, 51]
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)  # unit half circle
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0)
    assert (upper[:, 1] >= -1e-12).all() and (lower[:, 1] <= 0.5 + 1e-12).all()


def test_circles_radii():
    X, y = make_circles(n_samples=60, factor=0.3, shuffle=True, seed=1)
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0)
    np.testing.assert_allclose(radius[y == 1], 0.3)
    assert np.bincount(y).tolist() == [30, 30]


@pytest.mark.parametrize("n_classes", [2, 3, 5])
def test_spirals(n_classes):
    X, y = make_spirals(n_samples=101, n_classes=n_classes, seed=0)
    assert X.shape == (101, 2) and set(y.tolist()) == set(range(n_classes))
    counts = np.bincount(y)
    assert counts.max() - counts.min() <= 1
    assert np.hypot(X[:, 0], X[:, 1]).max() <= 1.0 + 1e-12


def test_regression_1d_functions():
    for name, f in [("sin", np.sin), ("abs", np.abs), ("square", np.square),
                    ("step", lambda x: (x >= 0).astype(float)), (lambda x: 2 * x + 1, lambda x: 2 * x + 1)]:
        X, y = make_regression_1d(name, n_samples=50, x_range=(-2, 2), seed=3)
        assert X.shape == (50, 1) and y.shape == (50, 1)
        assert (np.diff(X[:, 0]) >= 0).all() and X.min() >= -2 and X.max() <= 2
        np.testing.assert_allclose(y, f(X))
    X, y = make_regression_1d("sin", n_samples=2000, noise=0.2, seed=0)
    assert (y - np.sin(X)).std() == pytest.approx(0.2, rel=0.1)


GENERATORS = [
    lambda seed: make_xor(n_samples=20, noise=0.2, seed=seed),
    lambda seed: make_moons(n_samples=20, noise=0.1, seed=seed),
    lambda seed: make_circles(n_samples=20, noise=0.1, seed=seed),
    lambda seed: make_spirals(n_samples=21, n_classes=3, noise=0.1, seed=seed),
    lambda seed: make_regression_1d("sin", n_samples=20, noise=0.1, seed=seed),
]


@pytest.mark.parametrize("make", GENERATORS)
def test_generators_are_deterministic(make):
    a, b, c = make(0), make(0), make(1)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])
    tg.manual_seed(4)
    d = make(None)
    tg.manual_seed(4)
    np.testing.assert_array_equal(d[0], make(None)[0])
    np.testing.assert_array_equal(make(np.random.default_rng(9))[0], make(np.random.default_rng(9))[0])


def test_generator_errors():
    with pytest.raises(ValueError, match="n_samples"):
        make_moons(n_samples=0)
    with pytest.raises(ValueError, match="noise"):
        make_circles(noise=-0.1)
    with pytest.raises(ValueError, match="factor"):
        make_circles(factor=1.5)
    with pytest.raises(ValueError, match="n_classes"):
        make_spirals(n_classes=1)
    with pytest.raises(ValueError, match="unknown fn 'cos'"):
        make_regression_1d("cos")
    with pytest.raises(ValueError, match="x_range"):
        make_regression_1d("sin", x_range=(1, -1))
    with pytest.raises(ValueError, match="elementwise"):
        make_regression_1d(lambda x: x.sum())
    with pytest.raises(ValueError, match="seed"):
        make_xor(seed=-1)


# -- train_test_split ----------------------------------------------------------------------------
def test_split_partitions_rows_and_keeps_pairs():
    X = np.arange(50).reshape(25, 2)
    y = np.arange(25)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, seed=0)
    assert len(X_test) == 5 and len(X_train) == 20
    np.testing.assert_array_equal(X_train[:, 0] // 2, y_train)
    np.testing.assert_array_equal(X_test[:, 0] // 2, y_test)
    assert sorted(np.concatenate([y_train, y_test]).tolist()) == list(range(25))
    again = train_test_split(X, y, test_size=0.2, seed=0)
    np.testing.assert_array_equal(again[3], y_test)
    assert len(train_test_split(y, test_size=7, seed=0)[1]) == 7
    train, test = train_test_split(y, test_size=0.2, shuffle=False)
    np.testing.assert_array_equal(test, [20, 21, 22, 23, 24])


@settings(max_examples=30, deadline=None)
@given(counts=st.lists(st.integers(2, 30), min_size=2, max_size=5), test_size=st.floats(0.1, 0.5),
       seed=st.integers(0, 1000))
def test_stratified_split_keeps_class_shares(counts, test_size, seed):
    y = np.repeat(np.arange(len(counts)), counts)
    n = len(y)
    _, _, y_train, y_test = train_test_split(np.arange(n), y, test_size=test_size, seed=seed, stratify=y)
    n_test = len(y_test)
    assert n_test == min(max(int(np.ceil(test_size * n)), 1), n - 1)
    got = np.bincount(y_test, minlength=len(counts))
    expected = np.array(counts) * n_test / n
    assert np.all(np.abs(got - expected) < 1)  # each class within one row of its exact share
    assert (got + np.bincount(y_train, minlength=len(counts)) == counts).all()


def test_split_returns_tensors_for_tensors_and_errors():
    X_train, X_test = train_test_split(tg.Tensor(np.ones((10, 2))), seed=0)
    assert isinstance(X_train, tg.Tensor) and X_test.shape == (2, 2)
    with pytest.raises(ValueError, match="same number of rows"):
        train_test_split(np.ones(5), np.ones(4))
    with pytest.raises(ValueError, match="in \\(0, 1\\)"):
        train_test_split(np.ones(5), test_size=1.5)
    with pytest.raises(ValueError, match="between 1 and 4"):
        train_test_split(np.ones(5), test_size=5)
    with pytest.raises(ValueError, match="at least one array"):
        train_test_split()


# -- one_hot -------------------------------------------------------------------------------------
def test_one_hot():
    out = one_hot([0, 2, 1])
    np.testing.assert_array_equal(out, [[1, 0, 0], [0, 0, 1], [0, 1, 0]])
    assert out.dtype == np.float32
    assert one_hot(np.array([1, 1]), num_classes=4).shape == (2, 4)
    assert one_hot(np.array([[0, 1], [1, 0]])).shape == (2, 2, 2)
    np.testing.assert_array_equal(one_hot(np.array([1.0, 0.0]), dtype=np.float64), [[0, 1], [1, 0]])
    t = one_hot(tg.Tensor(np.array([2, 0])))
    assert isinstance(t, tg.Tensor) and t.shape == (2, 3)
    np.testing.assert_array_equal(one_hot(np.array([0, 2])).argmax(axis=1), [0, 2])
    with pytest.raises(ValueError, match="num_classes=2 is too small for label 2"):
        one_hot([0, 2], num_classes=2)
    with pytest.raises(ValueError, match=">= 0"):
        one_hot([-1, 0])
    with pytest.raises(ValueError, match="whole numbers"):
        one_hot([0.5, 1.0])


# -- standardize ---------------------------------------------------------------------------------
def test_standardize_fits_on_train_only():
    rng = np.random.default_rng(0)
    train = rng.normal(5.0, 3.0, size=(200, 3))
    test = rng.normal(5.0, 3.0, size=(50, 3))
    train_s, test_s, stats = standardize(train, test)
    np.testing.assert_allclose(train_s.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(train_s.std(axis=0), 1)
    np.testing.assert_allclose(stats.mean, train.mean(axis=0))
    np.testing.assert_allclose(stats.std, train.std(axis=0))
    np.testing.assert_allclose(test_s, (test - train.mean(axis=0)) / train.std(axis=0))
    np.testing.assert_allclose(stats.inverse_transform(test_s), test)
    np.testing.assert_allclose(stats.transform(test), test_s)


def test_standardize_constant_feature_and_dtype():
    train = np.array([[1.0, 7.0], [3.0, 7.0], [5.0, 7.0]], dtype=np.float32)
    train_s, stats = standardize(train)
    assert train_s.dtype == np.float32
    assert np.isfinite(train_s).all()
    np.testing.assert_array_equal(train_s[:, 1], 0.0)
    assert stats.std[1] == 1.0
    t_s, _ = standardize(tg.Tensor(train))
    assert isinstance(t_s, tg.Tensor)
    with pytest.raises(ValueError, match="does not match"):
        standardize(train, np.ones((2, 3)))
