"""A program in the style of Keras' "Training & evaluation with the built-in methods" guide,
with only the import switched: a Functional model trained with compile/fit/evaluate/predict,
loss and metric objects or their string names, validation data or a validation split, a
custom loss function and a custom metric class, on the iris data shipped with tinygrad_edu."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import keras
from tinygrad_edu.data import load_iris, one_hot, standardize, train_test_split
from tinygrad_edu.keras import layers


@pytest.fixture(autouse=True)
def _keep_global_rng():
    """These tests reseed the global generator; later tests still see the state they would have."""
    saved = tg.random.generator().bit_generator.state
    yield
    tg.random.generator().bit_generator.state = saved


def iris():
    X, y = load_iris()
    x_train, x_test, y_train, y_test = train_test_split(X, y, test_size=0.3, seed=1, stratify=y)
    x_train, x_test = standardize(x_train, x_test)[:2]
    return x_train.astype("float32"), x_test.astype("float32"), y_train, y_test


def get_model():
    inputs = keras.Input(shape=(4,), name="measurements")
    x = layers.Dense(16, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(16, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(3, activation="softmax", name="predictions")(x)
    return keras.Model(inputs=inputs, outputs=outputs)


def test_fit_evaluate_predict_with_objects(capsys):
    keras.utils.set_random_seed(0)
    x_train, x_test, y_train, y_test = iris()
    x_val, y_val = x_train[-20:], y_train[-20:]
    x_train, y_train = x_train[:-20], y_train[:-20]

    model = get_model()
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=0.01),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[keras.metrics.SparseCategoricalAccuracy()],
    )
    history = model.fit(x_train, y_train, batch_size=16, epochs=20, validation_data=(x_val, y_val),
                        verbose=2)
    print(sorted(history.history))
    results = model.evaluate(x_test, y_test, batch_size=32)
    print("test loss, test acc:", results)
    predictions = model.predict(x_test[:3])
    print("predictions shape:", predictions.shape)

    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Epoch 1/20" and out[1].startswith("6/6 - loss: ")  # 85 samples, batches of 16
    assert " - sparse_categorical_accuracy: " in out[1] and " - val_sparse_categorical_accuracy: " in out[1]
    assert out[-3] == ("['loss', 'sparse_categorical_accuracy', 'val_loss', "
                       "'val_sparse_categorical_accuracy']")
    assert out[-1] == "predictions shape: (3, 3)"
    assert history.history["loss"][-1] < history.history["loss"][0] / 2
    loss, accuracy = results
    assert accuracy >= 0.9 and loss < 0.5
    np.testing.assert_allclose(predictions.sum(axis=1), 1.0, rtol=1e-5)


def test_string_shortcuts_and_validation_split():
    keras.utils.set_random_seed(0)
    x_train, x_test, y_train, y_test = iris()
    model = get_model()
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy",
                  metrics=["sparse_categorical_accuracy"])
    history = model.fit(x_train, y_train, batch_size=16, epochs=2, validation_split=0.2, verbose=0)
    assert list(history.history) == ["loss", "sparse_categorical_accuracy", "val_loss",
                                     "val_sparse_categorical_accuracy"]
    scores = model.evaluate(x_test, y_test, return_dict=True)
    assert list(scores) == ["loss", "sparse_categorical_accuracy"]


def test_a_custom_loss_function_on_one_hot_targets():
    keras.utils.set_random_seed(0)
    x_train, x_test, y_train, y_test = iris()

    def custom_mean_squared_error(y_true, y_pred):
        return ((y_true - y_pred) ** 2).mean()

    model = get_model()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss=custom_mean_squared_error)
    y_train_one_hot = one_hot(y_train, 3).astype("float32")
    history = model.fit(x_train, y_train_one_hot, batch_size=16, epochs=20, verbose=0)
    assert list(history.history) == ["loss"]
    assert history.history["loss"][-1] < history.history["loss"][0] / 2
    assert np.mean(model.predict(x_test).argmax(axis=1) == y_test) >= 0.9


def test_a_custom_metric_class():
    class CorrectCount(keras.metrics.Metric):
        """How many samples were classified correctly (a count, not a rate)."""

        def __init__(self, name="correct_count"):
            super().__init__(name=name)

        def update_state(self, y_true, y_pred):
            self.correct += int(np.sum(np.argmax(y_pred, axis=1) == np.reshape(y_true, -1)))

        def result(self):
            return self.correct

        def reset_state(self):
            self.correct = 0

    keras.utils.set_random_seed(0)
    x_train, x_test, y_train, y_test = iris()
    model = get_model()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  loss="sparse_categorical_crossentropy", metrics=[CorrectCount(), "accuracy"])
    history = model.fit(x_train, y_train, batch_size=16, epochs=10, verbose=0)
    counts, accuracies = history.history["correct_count"], history.history["accuracy"]
    assert all(c == round(a * len(x_train)) for c, a in zip(counts, accuracies))
    assert counts[-1] > counts[0]
