"""Data for training (``tg.data``): loaders, toy problems, real data sets, preprocessing.

- loader.py: ``TensorDataset`` and ``DataLoader``, which cut data into batches of Tensors.
- toy.py: ``make_xor``, ``make_moons``, ``make_circles``, ``make_spirals``, ``make_regression_1d``.
- datasets.py: ``load_iris``, ``load_digits``, ``load_breast_cancer``, ``load_diabetes``, read
  from files shipped in ``datasets/`` (sources and licences in ``datasets/README.md``).
- preprocessing.py: ``train_test_split``, ``one_hot``, ``standardize``.

Batch, stochastic and mini-batch gradient descent are one optimizer fed different batches::

    loader = tg.data.DataLoader((X, y), batch_size=None)               # batch GD: 1 step/epoch
    loader = tg.data.DataLoader((X, y), batch_size=1, shuffle=True)    # stochastic GD: n steps/epoch
    loader = tg.data.DataLoader((X, y), batch_size=32, shuffle=True)   # mini-batch GD
    opt = tg.optim.SGD(params, lr=0.1)                                 # the same in all three
    for epoch in range(epochs):
        for xb, yb in loader:
            opt.zero_grad(); loss_fn(model(xb), yb).backward(); opt.step()

Smaller batches give more, noisier steps per epoch; the full batch gives one exact step.
"""

from .datasets import DatasetNames, load_breast_cancer, load_diabetes, load_digits, load_iris
from .loader import DataLoader, TensorDataset
from .preprocessing import Standardization, one_hot, standardize, train_test_split
from .toy import make_circles, make_moons, make_regression_1d, make_spirals, make_xor

__all__ = [
    "DataLoader", "TensorDataset",
    "make_xor", "make_moons", "make_circles", "make_spirals", "make_regression_1d",
    "load_iris", "load_digits", "load_breast_cancer", "load_diabetes", "DatasetNames",
    "train_test_split", "one_hot", "standardize", "Standardization",
]
