"""Keras' training argument: Dropout drops inside fit or with training=True, never in a plain
call, and subclassed models receive ``training`` in ``call``."""

from __future__ import annotations

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import keras
from tinygrad_edu.keras import layers

X = np.ones((4, 8), np.float32)


def test_dropout_follows_the_training_argument():
    drop = layers.Dropout(0.5)
    np.testing.assert_array_equal(drop(X).data, X)  # a plain call is inference, as in Keras
    np.testing.assert_array_equal(drop(X, training=False).data, X)
    tg.manual_seed(0)
    dropped = drop(X, training=True).data
    assert set(np.unique(dropped)) == {0.0, 2.0}  # kept units scaled by 1 / (1 - rate)


def test_a_model_called_outside_fit_is_deterministic_and_training_true_propagates():
    tg.manual_seed(1)
    model = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(8), layers.Dropout(0.5)])
    np.testing.assert_array_equal(model(X).data, model(X).data)
    np.testing.assert_array_equal(model(X).data, model.predict(X))
    assert (model(X, training=True).data == 0).any()  # reaches the Dropout inside


def test_fit_trains_with_dropout_on_and_subclassed_call_gets_training():
    seen = []

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)
            self.drop = layers.Dropout(0.5)

        def call(self, inputs, training=False):
            seen.append(training)
            return self.dense(self.drop(inputs, training=training))

    tg.manual_seed(2)
    model = Net()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(X, np.ones((4, 1), np.float32), epochs=1, batch_size=4, verbose=0)
    model.predict(X)
    model(X)
    assert seen[-3:] == [True, False, False]
