"""Regenerate the shipped data files from scikit-learn's bundled copies (maintainers only).

Run once, by hand: ``python tinygrad_edu/data/datasets/_extract_from_sklearn.py``.  The package
never imports this script and never needs scikit-learn: it only reads the ``.npz`` files this
writes.  Each file holds plain arrays (numbers and unicode strings, no objects), so it loads
with ``np.load(path, allow_pickle=False)``.  Values are stored in the smallest dtype that holds
them exactly (digits' pixels are integers 0..16) and widened again when loaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from sklearn import datasets  # only this script uses scikit-learn

HERE = Path(__file__).resolve().parent


def _names(values: Iterable[Any]) -> np.ndarray:
    return np.array([str(v) for v in values], dtype=str)  # a fixed-width unicode array, not object


def main() -> None:
    iris = datasets.load_iris()
    np.savez_compressed(HERE / "iris.npz", X=iris.data, y=iris.target.astype(np.uint8),
                        feature_names=_names(iris.feature_names), target_names=_names(iris.target_names))

    digits = datasets.load_digits()
    pixels = digits.data.astype(np.uint8)
    assert np.array_equal(pixels, digits.data), "digits pixels are expected to be integers 0..16"
    np.savez_compressed(HERE / "digits.npz", X=pixels, y=digits.target.astype(np.uint8),
                        feature_names=_names(digits.feature_names), target_names=_names(digits.target_names))

    cancer = datasets.load_breast_cancer()
    np.savez_compressed(HERE / "breast_cancer.npz", X=cancer.data, y=cancer.target.astype(np.uint8),
                        feature_names=_names(cancer.feature_names), target_names=_names(cancer.target_names))

    scaled = datasets.load_diabetes()  # scaled=True: sklearn's default, each column sums to 1 in squares
    raw = datasets.load_diabetes(scaled=False)
    np.savez_compressed(HERE / "diabetes.npz", X=scaled.data, X_raw=raw.data, y=scaled.target,
                        feature_names=_names(scaled.feature_names))

    for path in sorted(HERE.glob("*.npz")):
        with np.load(path, allow_pickle=False) as f:  # proves no member needs pickle
            shapes = {k: f[k].shape for k in f.files}
        print(f"{path.name}: {path.stat().st_size} bytes {shapes}")


if __name__ == "__main__":
    main()
