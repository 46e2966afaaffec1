"""The shipped real datasets: shapes, dtypes, classes, names, safety, and equality with scikit-learn."""

import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu.data as data

DATA_DIR = Path(data.__file__).parent / "datasets"

SPECS = {
    "load_iris": ((150, 4), np.int64, {0: 50, 1: 50, 2: 50}),
    "load_digits": ((1797, 64), np.int64, None),
    "load_breast_cancer": ((569, 30), np.int64, {0: 212, 1: 357}),
    "load_diabetes": ((442, 10), np.float64, None),
}


@pytest.mark.parametrize("loader", list(SPECS))
def test_shapes_and_dtypes(loader):
    shape, y_dtype, counts = SPECS[loader]
    X, y = getattr(data, loader)()
    assert X.shape == shape and X.dtype == np.float64
    assert y.shape == (shape[0],) and y.dtype == y_dtype
    assert np.isfinite(X).all() and np.isfinite(y).all()
    if counts is not None:
        assert dict(zip(*np.unique(y, return_counts=True))) == counts


def test_digits_are_8x8_images_with_pixels_0_to_16():
    X, y = data.load_digits()
    assert X.min() == 0 and X.max() == 16 and np.array_equal(X, np.round(X))
    assert sorted(set(y.tolist())) == list(range(10))
    assert X.reshape(-1, 8, 8).shape == (1797, 8, 8)


def test_diabetes_is_the_scaled_version_and_raw_is_available():
    X, y = data.load_diabetes()
    np.testing.assert_allclose(X.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose((X ** 2).sum(axis=0), 1.0)
    assert y.min() == 25 and y.max() == 346
    raw, y_raw = data.load_diabetes(scaled=False)
    np.testing.assert_array_equal(y, y_raw)
    assert set(np.unique(raw[:, 1]).tolist()) == {1.0, 2.0}  # sex coded 1/2 in the raw data
    scaled = (raw - raw.mean(axis=0)) / (raw.std(axis=0) * np.sqrt(len(raw)))
    np.testing.assert_allclose(scaled, X, rtol=1e-10, atol=1e-12)


def test_names():
    X, y, names = data.load_iris(return_names=True)
    assert names.feature_names[0] == "sepal length (cm)" and len(names.feature_names) == 4
    assert names.target_names == ["setosa", "versicolor", "virginica"]
    _, _, names = data.load_breast_cancer(return_names=True)
    assert len(names.feature_names) == 30 and names.target_names == ["malignant", "benign"]
    _, _, names = data.load_digits(return_names=True)
    assert len(names.feature_names) == 64 and names.target_names == [str(d) for d in range(10)]
    _, _, (features, targets) = data.load_diabetes(return_names=True)
    assert features == ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"] and targets is None


def test_files_are_plain_arrays_and_credited():
    files = sorted(p.name for p in DATA_DIR.glob("*.npz"))
    assert files == ["breast_cancer.npz", "diabetes.npz", "digits.npz", "iris.npz"]
    for name in files:
        with np.load(DATA_DIR / name, allow_pickle=False) as f:
            for key in f.files:
                assert f[key].dtype.kind in "iufU"  # numbers and unicode: never object arrays
        with zipfile.ZipFile(DATA_DIR / name) as z:
            assert all(n.endswith(".npy") for n in z.namelist())
    readme = (DATA_DIR / "README.md").read_text()
    for needed in ("CC BY 4.0", "UCI Machine Learning Repository", "Efron", "Least Angle Regression",
                   "BSD-3", "scaled"):
        assert needed in readme
    assert "BSD 3-Clause" in (DATA_DIR / "LICENSES").read_text()


def test_package_data_is_declared_in_pyproject():
    pyproject = (Path(data.__file__).parents[2] / "pyproject.toml").read_text()
    assert "[tool.setuptools.package-data]" in pyproject and "datasets/*.npz" in pyproject


def test_loading_does_not_import_sklearn():
    code = ("import sys, tinygrad_edu as tg; tg.data.load_iris(); tg.data.load_diabetes(); "
            "print('sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("loader", list(SPECS))
def test_equal_to_scikit_learn(loader):
    sk_datasets = pytest.importorskip("sklearn.datasets")
    ours_X, ours_y, names = getattr(data, loader)(return_names=True)
    bunch = getattr(sk_datasets, loader)()
    np.testing.assert_array_equal(ours_X, bunch.data)
    np.testing.assert_array_equal(ours_y, bunch.target)
    assert names.feature_names == [str(s) for s in bunch.feature_names]
    if "target_names" in bunch:
        assert names.target_names == [str(s) for s in bunch.target_names]
    if loader == "load_diabetes":
        raw, _ = data.load_diabetes(scaled=False)
        np.testing.assert_array_equal(raw, sk_datasets.load_diabetes(scaled=False).data)
