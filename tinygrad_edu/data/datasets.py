"""Small real datasets shipped inside the package, loaded with NumPy only.

``load_iris``, ``load_digits``, ``load_breast_cancer`` and ``load_diabetes`` read ``.npz``
files from the ``datasets/`` folder next to this file (``allow_pickle=False``: plain arrays
only), so examples work offline.  Where the data come from, and under which licence, is in
``datasets/README.md`` and ``datasets/LICENSES``.
"""

from __future__ import annotations

from importlib import resources
from typing import Any, NamedTuple

import numpy as np


class DatasetNames(NamedTuple):
    """What the columns of ``X`` and the values of ``y`` mean."""

    feature_names: list[str]
    target_names: list[str] | None  # None for regression targets


def _read(filename: str) -> dict[str, np.ndarray]:
    source = resources.files("tinygrad_edu.data").joinpath("datasets").joinpath(filename)
    with source.open("rb") as f, np.load(f, allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


def _result(X: np.ndarray, y: np.ndarray, arrays: dict[str, np.ndarray], return_names: bool) -> Any:
    if not return_names:
        return X, y
    targets = arrays.get("target_names")
    return X, y, DatasetNames([str(s) for s in arrays["feature_names"]],
                              None if targets is None else [str(s) for s in targets])


def load_iris(return_names: bool = False) -> Any:
    """Fisher's iris flowers: ``X`` (150, 4) float64 in cm, ``y`` (150,) int64 in {0, 1, 2}.

    Features: sepal length, sepal width, petal length, petal width.  Classes (50 each):
    0 setosa, 1 versicolor, 2 virginica.  Setosa is linearly separable from the others; the
    other two are not separable from each other.  ``return_names=True`` also returns a
    ``DatasetNames(feature_names, target_names)``.
    """
    a = _read("iris.npz")
    return _result(a["X"].astype(np.float64), a["y"].astype(np.int64), a, return_names)


def load_digits(return_names: bool = False) -> Any:
    """Handwritten digits: ``X`` (1797, 64) float64 pixels 0..16, ``y`` (1797,) int64 in 0..9.

    Each row is an 8x8 grey image read row by row: ``X.reshape(-1, 8, 8)`` gives the images.
    Divide by 16 to get values in [0, 1].  ``return_names=True`` also returns the feature
    names (``pixel_<row>_<col>``) and the class names ``"0"``..``"9"``.
    """
    a = _read("digits.npz")
    return _result(a["X"].astype(np.float64), a["y"].astype(np.int64), a, return_names)


def load_breast_cancer(return_names: bool = False) -> Any:
    """Breast Cancer Wisconsin (Diagnostic): ``X`` (569, 30) float64, ``y`` (569,) int64 in {0, 1}.

    0 = malignant (212 samples), 1 = benign (357), as in scikit-learn.  The 30 features (mean,
    standard error and worst value of ten nucleus measurements) have very different scales,
    so ``standardize`` them before training.
    """
    a = _read("breast_cancer.npz")
    return _result(a["X"].astype(np.float64), a["y"].astype(np.int64), a, return_names)


def load_diabetes(return_names: bool = False, scaled: bool = True) -> Any:
    """Diabetes progression (Efron et al. 2004): ``X`` (442, 10) float64, ``y`` (442,) float64.

    The target is a measure of disease progression one year after baseline (25..346).  By
    default ``X`` is the standard *scaled* version that scikit-learn's ``load_diabetes()``
    returns: each column centred and divided by its standard deviation times sqrt(442), so
    every column has mean 0 and sum of squares 1.  ``scaled=False`` gives the raw
    measurements (age, sex, bmi, bp, s1..s6).  ``y`` is 1-d; use ``y.reshape(-1, 1)`` for a
    model whose output has shape (n, 1), or the loss will broadcast to (n, n).
    """
    a = _read("diabetes.npz")
    X = a["X"] if scaled else a["X_raw"]
    return _result(X.astype(np.float64), a["y"].astype(np.float64), a, return_names)
