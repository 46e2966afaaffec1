"""Misuse of the Keras front end and the data loader fails at once, with a message that names
the argument, the value and what to do (issue "Nothing silent, nothing fragile")."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import keras
from tinygrad_edu.data import DataLoader, TensorDataset
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
    # Rows of ±100 along each axis: a linear output stays inside [0, 1] on all four only if
    # both weights are below 0.01 in size, so the check fires whatever the initial weights.
    X = np.array([[100, 0], [-100, 0], [0, 100], [0, -100]], dtype=np.float32)
    y = np.ones(4, dtype=np.float32)
    tg.manual_seed(0)
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


# -- integer and flag arguments: bools and floats are not counts ------------------------------------
@pytest.mark.parametrize("units", [True, False, 2.0, "3", 0])
def test_dense_refuses_units_that_are_not_positive_ints(units):
    with pytest.raises(ValueError, match=rf"Dense: units \(the number of outputs\) must be an integer "
                                         rf">= 1, got {units!r}"):
        keras.layers.Dense(units)


def test_dense_names_a_bool_as_a_bool():
    with pytest.raises(ValueError, match=r"got True \(a bool, not a number\)"):
        keras.layers.Dense(True)
    with pytest.raises(ValueError, match=r"Dense: input_dim must be an integer >= 1, got True"):
        keras.layers.Dense(2, input_dim=True)


@pytest.mark.parametrize("make, error, match", [
    (lambda: keras.layers.Dense(2, use_bias="no"), TypeError,
     "Dense: use_bias must be True or False, got 'no'"),
    (lambda: keras.layers.Dense(2, input_shape=4), TypeError, r"Dense: input_shape must be a tuple .*"
                                                              r"e\.g\. input_shape=\(4,\).*got 4"),
    (lambda: keras.layers.Dense(2, input_shape=(4.0,)), ValueError, r"input_shape\[0\] must be an integer"),
    (lambda: keras.Input(shape=4), TypeError, r"Input: shape must be a tuple .*got 4"),
    (lambda: keras.layers.Dropout("a"), ValueError, r"Dropout: invalid rate='a'; it must be a finite number "
                                                    r"in \[0, 1\)"),
    (lambda: keras.Sequential(keras.layers.Dense(1)), TypeError, r"got a single Dense; wrap it in a list"),
    (lambda: keras.callbacks.EarlyStopping(patience=1.5), ValueError,
     "EarlyStopping: patience must be an integer >= 0, got 1.5"),
    (lambda: keras.callbacks.EarlyStopping(restore_best_weights="yes"), TypeError,
     "EarlyStopping: restore_best_weights must be True or False"),
])
def test_layer_and_callback_arguments_are_checked_where_passed(make, error, match):
    with pytest.raises(error, match=match):
        make()


def _compiled():
    model = keras.Sequential([keras.layers.Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse")
    return model


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(epochs=2.5), ValueError, "fit: epochs must be an integer >= 0, got 2.5"),
    (dict(epochs=True), ValueError, r"fit: epochs must be an integer >= 0, got True \(a bool"),
    (dict(epochs=-1), ValueError, "fit: epochs must be an integer >= 0, got -1"),
    (dict(batch_size=0), ValueError, "fit: batch_size must be an integer >= 1, got 0"),
    (dict(batch_size=2.5), ValueError, "fit: batch_size must be an integer >= 1, got 2.5"),
    (dict(batch_size=True), ValueError, r"fit: batch_size must be an integer >= 1, got True"),
    (dict(initial_epoch="1"), ValueError, "fit: initial_epoch must be an integer >= 0, got '1'"),
    (dict(shuffle="no"), TypeError, "fit: shuffle must be True or False, got 'no'"),
    (dict(validation_split="0.2"), ValueError, r"fit: invalid validation_split='0.2'; it must be a "
                                               r"finite number in \[0, 1\)"),
    (dict(callbacks=keras.callbacks.EarlyStopping()), TypeError,
     r"fit: callbacks must be a list, e\.g\. callbacks=\[EarlyStopping\(\)\], got EarlyStopping"),
])
def test_fit_checks_its_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        _compiled().fit(np.zeros((4, 2)), np.zeros(4), verbose=0, **kwargs)


def test_compile_refuses_a_metric_string_and_predict_a_zero_batch():
    with pytest.raises(TypeError, match=r"compile: metrics must be a list of names, e\.g\. "
                                        r"metrics=\['accuracy'\], got 'accuracy'"):
        keras.Sequential([keras.layers.Dense(1, input_shape=(2,))]).compile("sgd", "mse", metrics="accuracy")
    with pytest.raises(ValueError, match="predict: batch_size must be an integer >= 1, got 0"):
        _compiled().predict(np.zeros((4, 2)), batch_size=0)
    with pytest.raises(ValueError, match="evaluate: batch_size must be an integer >= 1, got 1.5"):
        _compiled().evaluate(np.zeros((4, 2)), np.zeros(4), batch_size=1.5)


# -- empty inputs ----------------------------------------------------------------------------------
def test_fit_on_zero_samples_names_the_empty_input():
    with pytest.raises(ValueError, match=r"fit: x has no samples \(shape \(0, 2\)\); pass an array "
                                         r"with one row per sample"):
        _compiled().fit(np.zeros((0, 2)), np.zeros(0), verbose=0)
    with pytest.raises(ValueError, match=r"fit: validation_data's x has no samples"):
        _compiled().fit(np.zeros((4, 2)), np.zeros(4), validation_data=(np.zeros((0, 2)), np.zeros(0)),
                        verbose=0)
    with pytest.raises(ValueError, match=r"evaluate: x has no samples"):
        _compiled().evaluate(np.zeros((0, 2)), np.zeros(0))


# -- keras optimizers check their settings when created, with optim's ranges ------------------------
@pytest.mark.parametrize("make, match", [
    (lambda: keras.optimizers.Adam(learning_rate="a"), r"Adam: invalid learning_rate='a'; it must be a "
                                                        r"finite number > 0"),
    (lambda: keras.optimizers.SGD(learning_rate="a"), "SGD: invalid learning_rate='a'"),
    (lambda: keras.optimizers.RMSprop(learning_rate=None), "RMSprop: invalid learning_rate=None"),
    (lambda: keras.optimizers.SGD(learning_rate=0), "SGD: invalid learning_rate=0; it must be a finite "
                                                     "number > 0"),
    (lambda: keras.optimizers.SGD(momentum="0.9"), r"SGD: invalid momentum='0.9'; .* in \[0, 1\]"),
    (lambda: keras.optimizers.SGD(nesterov=True), "SGD: nesterov=True needs momentum > 0"),
    (lambda: keras.optimizers.RMSprop(rho=1.5), r"RMSprop: invalid rho=1.5; .* in \[0, 1\]"),
    (lambda: keras.optimizers.RMSprop(epsilon=-1), "RMSprop: invalid epsilon=-1"),
    (lambda: keras.optimizers.Adam(beta_1=1.0), r"Adam: invalid beta_1=1.0; .* in \[0, 1\)"),
    (lambda: keras.optimizers.Adam(beta_2="x"), "Adam: invalid beta_2='x'"),
    (lambda: keras.optimizers.Adam(epsilon=float("nan")), "Adam: invalid epsilon=nan"),
])
def test_keras_optimizers_check_their_settings(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_keras_sgd_nesterov_must_be_a_bool():
    with pytest.raises(TypeError, match="SGD: nesterov must be True or False, got 'yes'"):
        keras.optimizers.SGD(momentum=0.9, nesterov="yes")


# -- DataLoader: bad seeds and non-numeric data fail at construction -------------------------------
@pytest.mark.parametrize("seed", ["a", -1, True, 1.5])
def test_dataloader_refuses_bad_seeds(seed):
    with pytest.raises(ValueError, match=rf"DataLoader: seed must be a non-negative integer or a "
                                         rf"np\.random\.Generator, got {seed!r}"):
        DataLoader(np.ones((3, 2)), shuffle=True, seed=seed)


def test_dataloader_refuses_text_when_created_not_at_the_first_batch():
    X, labels = np.ones((3, 2)), np.array(["cat", "dog", "cat"])
    with pytest.raises(TypeError, match=r"TensorDataset: array 1 has dtype <U3 \(text\); a data set "
                                        r"holds numbers .* np\.unique\(labels, return_inverse=True\)"):
        DataLoader((X, labels), batch_size=2)
    with pytest.raises(TypeError, match=r"array 0 has dtype <U3 \(text\)"):
        DataLoader(labels)
    with pytest.raises(TypeError, match="Tensor data must be bool, integers, float32 or float64"):
        DataLoader(["cat", "dog"])  # a list goes through Tensor, which refuses text too
    with pytest.raises(TypeError, match=r"array 0 has dtype object \(Python objects"):
        TensorDataset(np.array([[1], [2, 3]], dtype=object))


def test_dataloader_dtype_must_be_a_float_dtype():
    with pytest.raises(ValueError, match=r"DataLoader: dtype .* must be a float dtype .*got int64"):
        DataLoader(np.ones((3, 2)), dtype=np.int64)  # would truncate the features silently
    with pytest.raises(TypeError, match=r"DataLoader: dtype='foo' is not a NumPy dtype"):
        DataLoader(np.ones((3, 2)), dtype="foo")
