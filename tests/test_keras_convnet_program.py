"""Keras' "simple MNIST convnet" program, on 8×8 images: to_categorical, a Conv2D/BatchNorm
model's summary counts as Keras prints them (moving statistics as non-trainable params), fit
with validation_split, and its weights through a .safetensors file."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import keras
from tinygrad_edu.keras import layers


def test_to_categorical_is_one_hot_rows_as_keras():
    np.testing.assert_array_equal(keras.utils.to_categorical([2, 0, 1]), np.eye(3)[[2, 0, 1]])
    out = keras.utils.to_categorical(np.array([[1], [3]]), num_classes=5)
    assert out.shape == (2, 5) and out.dtype == np.float32 and out[1, 3] == 1 and out.sum() == 2
    assert keras.utils.to_categorical(np.array([[0, 1], [1, 0]])).shape == (2, 2, 2)
    with pytest.raises(ValueError, match=r"label 3 does not fit num_classes=3"):
        keras.utils.to_categorical([0, 3], 3)
    with pytest.raises(ValueError, match=r"labels must be integers"):
        keras.utils.to_categorical([0.5, 1.0])


def _convnet() -> keras.Sequential:
    return keras.Sequential([
        keras.Input(shape=(8, 8, 1)),
        layers.Conv2D(8, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.BatchNormalization(),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])


def test_the_convnet_program_summarises_trains_and_round_trips_its_weights(tmp_path):
    tg.manual_seed(0)
    rng = np.random.default_rng(0)
    x = np.expand_dims(rng.random((96, 8, 8)).astype("float32"), -1)
    y = keras.utils.to_categorical(rng.integers(0, 10, 96), 10)
    model = _convnet()
    text = model.summary(print_fn=lambda _: None)
    # conv 3·3·1·8 + 8 = 80; batch norm 4·8 = 32 (16 trainable); dense 3·3·8·10 + 10 = 730
    assert "(None, 6, 6, 8)" in text and "(None, 72)" in text
    assert "Total params: 842" in text and "Trainable params: 826" in text
    assert "Non-trainable params: 16" in text
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=32, epochs=2, validation_split=0.25, verbose=0)
    assert len(history.history["val_loss"]) == 2
    path = tmp_path / "convnet.weights.safetensors"
    model.save_weights(path)
    tg.manual_seed(1)
    other = _convnet()
    other.compile(loss="categorical_crossentropy", optimizer="adam")
    other.load_weights(path)
    np.testing.assert_array_equal(other.predict(x, verbose=0), model.predict(x, verbose=0))
