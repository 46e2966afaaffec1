"""Keras models with several inputs: merging layers, fit/evaluate/predict on lists and dicts."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import keras
from tinygrad_edu.keras import layers

RNG = np.random.default_rng(0)
A = RNG.normal(size=(64, 3)).astype(np.float32)
B = RNG.normal(size=(64, 2)).astype(np.float32)
Y = (A.sum(1, keepdims=True) + B[:, :1]).astype(np.float32)


def two_input_model():
    tg.manual_seed(0)
    a, b = keras.Input(shape=(3,), name="a"), keras.Input(shape=(2,), name="b")
    joined = layers.Concatenate()([layers.Dense(4, activation="relu")(a), b])
    return keras.Model(inputs=[a, b], outputs=layers.Dense(1)(joined))


def test_fit_on_a_list_of_arrays_lowers_the_loss_and_validates():
    model = two_input_model()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.05), loss="mse")
    history = model.fit([A, B], Y, epochs=20, batch_size=16, verbose=0, validation_split=0.25)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert len(history.history["val_loss"]) == 20


def test_dict_inputs_by_name_give_the_same_predictions_as_lists():
    model = two_input_model()
    np.testing.assert_array_equal(model.predict({"b": B, "a": A}), model.predict([A, B]))
    assert model.predict([A, B], batch_size=10).shape == (64, 1)
    manual = model([tg.Tensor(A), tg.Tensor(B)]).data
    np.testing.assert_allclose(model.predict([A, B]), manual, rtol=1e-6)


def test_summary_names_each_input():
    lines = two_input_model().summary(print_fn=lambda s: None)
    assert "a (InputLayer)" in lines and "b (InputLayer)" in lines and "Concatenate" in lines


@pytest.mark.parametrize("layer, expected", [
    (layers.Add(), lambda p, q: p + q), (layers.Subtract(), lambda p, q: p - q),
    (layers.Multiply(), lambda p, q: p * q), (layers.Average(), lambda p, q: (p + q) / 2),
    (layers.Maximum(), np.maximum), (layers.Minimum(), np.minimum),
    (layers.Concatenate(axis=0), lambda p, q: np.concatenate([p, q])),
])
def test_merging_layers_compute_their_formula_with_the_engines_gradient(layer, expected):
    p, q = RNG.normal(size=(3, 2)), RNG.normal(size=(3, 2))
    np.testing.assert_allclose(layer([tg.Tensor(p), tg.Tensor(q)]).data, expected(p, q), rtol=1e-12)
    assert tg.gradcheck(lambda s, t: layer([s, t]), [tg.Tensor(p), tg.Tensor(q)])


def test_a_subclassed_model_with_two_inputs_trains():
    class TwoInputs(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)

        def call(self, inputs):
            x, z = inputs
            return self.dense(layers.add([x[:, :2], z]))

    tg.manual_seed(1)
    model = TwoInputs()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse")
    losses = model.fit([A, B], Y, epochs=10, verbose=0).history["loss"]
    assert losses[-1] < losses[0] and len(model.trainable_weights) == 2


def test_misuse_names_the_problem():
    model = two_input_model()
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="different numbers of samples"):
        model.fit([A, B[:10]], Y, verbose=0)
    with pytest.raises(KeyError, match=r"no array for the input\(s\) \['b'\]"):
        model.predict({"a": A})
    with pytest.raises(ValueError, match="has 2 inputs, got 1"):
        model.predict(A)
    with pytest.raises(ValueError, match="list of at least two tensors"):
        layers.Add()(tg.Tensor(A))
    with pytest.raises(ValueError, match="same shape"):
        layers.Add()([tg.Tensor(A), tg.Tensor(B)])
