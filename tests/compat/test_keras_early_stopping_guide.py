"""A program in the style of Keras' early-stopping guides, with only the import switched:
train with ``EarlyStopping(monitor="val_loss", patience=..., restore_best_weights=True)``,
see training end before ``epochs``, the callback's messages printed after that epoch's progress
line, and the model left with the weights of its best epoch."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import keras
from tinygrad_edu.data import load_iris, standardize, train_test_split
from tinygrad_edu.keras import layers


@pytest.fixture(autouse=True)
def _keep_global_rng():
    """These tests reseed the global generator; later tests still see the state they would have."""
    saved = tg.random.generator().bit_generator.state
    yield
    tg.random.generator().bit_generator.state = saved


def make_model():
    model = keras.Sequential([
        keras.Input(shape=(4,)),
        layers.Dense(32, activation="relu"),
        layers.Dropout(0.2),
        layers.Dense(3, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.05),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_training_stops_when_val_loss_stops_improving(capsys):
    keras.utils.set_random_seed(0)
    X, y = load_iris()
    x_train, x_val, y_train, y_val = train_test_split(X, y, test_size=0.3, seed=0, stratify=y)
    x_train, x_val = standardize(x_train, x_val)[:2]

    model = make_model()
    callback = keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=0.01, patience=3,
                                             restore_best_weights=True, verbose=1)
    history = model.fit(x_train, y_train, epochs=200, batch_size=16, validation_data=(x_val, y_val),
                        callbacks=[callback], verbose=2)
    epochs_run = len(history.history["loss"])
    print("epochs run:", epochs_run)

    lines = capsys.readouterr().out.splitlines()
    assert epochs_run < 200
    assert history.history["loss"][-1] < history.history["loss"][0]
    # The last epoch's header and progress line come first, then the callback's two messages.
    assert lines[-5] == f"Epoch {epochs_run}/200" and lines[-4].startswith("7/7 - loss: ")
    assert lines[-3] == f"Epoch {epochs_run}: early stopping"
    best = int(np.argmin(history.history["val_loss"]))
    assert lines[-2] == f"Restoring model weights from the end of the best epoch: {best + 1}."
    assert lines[-1] == f"epochs run: {epochs_run}"
    # Weights of the best epoch are back: the val_loss fit logged for it is measured again.
    val_loss, val_accuracy = model.evaluate(x_val, y_val)
    assert val_loss == history.history["val_loss"][best]
    assert val_accuracy >= 0.9


def test_monitoring_accuracy_maximizes_it():
    keras.utils.set_random_seed(0)
    X, y = load_iris()
    X = standardize(X)[0]
    model = make_model()
    callback = keras.callbacks.EarlyStopping(monitor="accuracy", patience=2)
    history = model.fit(X, y, epochs=100, verbose=0, callbacks=[callback])
    accuracy = history.history["accuracy"]
    assert len(accuracy) < 100 and max(accuracy) > accuracy[0]
    # it stopped because the best accuracy was not beaten for `patience` epochs
    assert max(accuracy[-2:]) <= max(accuracy[:-2])
