"""Misuse of the Keras front end and the data loader fails at once, with a message that names
the argument, the value and what to do (issue "Nothing silent, nothing fragile")."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import keras
from tinygrad_edu.nn import functional as F


def _model(activation="sigmoid"):
    model = keras.Sequential([keras.layers.Dense(1, activation=activation, input_shape=(2,))])
    model.compile("adam", "binary_crossentropy")
    return model


# -- cross-entropies take probabilities: the same check as nn.functional's BCE ----------------------
def test_keras_bce_refuses_targets_outside_0_1_like_nn_bce():
    X, y = np.ones((4, 2), dtype=np.float32), np.full(4, 5.0, dtype=np.float32)
    with pytest.raises(ValueError, match=r"binary_crossentropy: the y_true \(targets\) must lie in "
                                         r"\[0, 1\], but it ranges from 5 to 5; targets are 0/1"):
        _model().fit(X, y, verbose=0)
    with pytest.raises(ValueError, match=r"binary_cross_entropy: the target must lie in \[0, 1\]"):
        F.binary_cross_entropy(tg.Tensor(np.full(4, 0.5)), tg.Tensor(y))


def test_keras_bce_uses_nn_functional_check(monkeypatch):
    calls = []
    real = F.check_probabilities
    monkeypatch.setattr(F, "check_probabilities", lambda *a: (calls.append(a[2]), real(*a)))
    keras.losses.binary_crossentropy(tg.Tensor(np.array([1.0, 0.0])), tg.Tensor(np.array([0.7, 0.2])))
    F.binary_cross_entropy(tg.Tensor(np.array([0.7, 0.2])), tg.Tensor(np.array([1.0, 0.0])))
    assert calls == ["binary_crossentropy"] * 2 + ["binary_cross_entropy"] * 2


def test_keras_bce_refuses_predictions_that_are_not_probabilities():
    X, y = np.full((4, 2), 3.0, dtype=np.float32), np.ones(4, dtype=np.float32)
    with pytest.raises(ValueError, match=r"y_pred \(predictions\) must lie in \[0, 1\].*"
                                         r"activation='sigmoid'"):
        _model(activation=None).fit(X, y, verbose=0)


@pytest.mark.parametrize("loss, y_true", [
    (keras.losses.categorical_crossentropy, np.array([[2.0, -1.0]])),
    (keras.losses.sparse_categorical_crossentropy, None),
])
def test_categorical_crossentropies_check_probabilities(loss, y_true):
    if y_true is not None:
        with pytest.raises(ValueError, match=r"categorical_crossentropy: the y_true \(targets\)"):
            loss(tg.Tensor(y_true), tg.Tensor(np.array([[0.5, 0.5]])))
    labels = tg.Tensor(np.array([[1.0, 0.0]])) if y_true is not None else tg.Tensor(np.array([1]))
    with pytest.raises(ValueError, match=r"the y_pred \(predictions\) must lie in \[0, 1\], but it "
                                         r"ranges from -3 to 4.*activation='softmax'"):
        loss(labels, tg.Tensor(np.array([[4.0, -3.0]])))
