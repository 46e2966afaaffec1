"""Keras names and semantics beyond Sequential+Dense: trainable=False, the Functional API,
subclassed models, keras.losses / keras.metrics classes, weights in Keras' layout, summary of
a model built by calling it, Keras' target broadcasting and the order of callback messages."""

from __future__ import annotations

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


def _iris():
    X, y = load_iris()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, seed=0, stratify=y)
    X_train, X_test = standardize(X_train, X_test)[:2]
    return X_train.astype(np.float32), X_test.astype(np.float32), y_train, y_test


# -- trainable = False ------------------------------------------------------------------------------
@pytest.mark.parametrize("optimizer", ["adam", "sgd", "rmsprop"])
def test_frozen_layer_is_unchanged_bit_for_bit_by_fit(optimizer):
    tg.manual_seed(0)
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((32, 3)).astype(np.float32), rng.standard_normal(32).astype(np.float32)
    model = keras.Sequential([layers.Dense(4, activation="tanh", input_shape=(3,)), layers.Dense(1)])
    model.compile(optimizer, "mse")
    model.fit(X, y, epochs=2, verbose=0)  # the optimizer has state for every weight by now
    frozen, free = model.layers
    frozen.trainable = False
    before, before_free = frozen.get_weights(), free.get_weights()
    model.fit(X, y, epochs=3, batch_size=8, verbose=0)
    for a, b in zip(before, frozen.get_weights()):
        assert a.tobytes() == b.tobytes()
    assert any(not np.array_equal(a, b) for a, b in zip(before_free, free.get_weights()))
    frozen.trainable = True  # and back: it trains again
    model.fit(X, y, epochs=1, verbose=0)
    assert not np.array_equal(before[0], frozen.get_weights()[0])


def test_frozen_layer_counts_as_non_trainable_in_summary_and_weights():
    model = keras.Sequential([layers.Dense(64, activation="relu", input_shape=(4,)),
                              layers.Dense(1, activation="sigmoid")])
    model.layers[0].trainable = False
    text = model.summary(print_fn=lambda s: None)
    assert "Total params: 385" in text
    assert "Trainable params: 65" in text and "Non-trainable params: 320" in text
    assert len(model.weights) == 4
    assert [w.shape for w in model.trainable_weights] == [(64, 1), (1,)]
    assert [w.shape for w in model.non_trainable_weights] == [(4, 64), (64,)]
    assert model.layers[0].trainable_weights == [] and len(model.layers[0].non_trainable_weights) == 2


def test_trainable_on_a_model_freezes_every_layer_and_a_lazy_layer_too():
    model = keras.Sequential([layers.Dense(3), layers.Dense(1)])
    model.trainable = False
    assert all(not layer.trainable for layer in model.layers)
    model(np.ones((2, 5), dtype=np.float32))  # built after freezing
    assert model.trainable_weights == [] and len(model.non_trainable_weights) == 4
    with pytest.raises(TypeError, match="trainable must be True or False"):
        model.layers[0].trainable = "no"


def test_frozen_dense_constructor_argument():
    layer = layers.Dense(2, input_shape=(3,), trainable=False)
    assert layer.trainable_weights == [] and not layer.kernel.requires_grad


# -- Functional API ---------------------------------------------------------------------------------
def test_functional_model_trains_on_iris():
    tg.manual_seed(0)
    X_train, X_test, y_train, y_test = _iris()
    inputs = keras.Input(shape=(4,))
    assert inputs.shape == (None, 4)
    x = layers.Dense(16, activation="relu", name="hidden")(inputs)
    assert isinstance(x, keras.KerasTensor) and x.shape == (None, 16)
    outputs = layers.Dense(3, activation="softmax")(x)
    model = keras.Model(inputs=inputs, outputs=outputs, name="iris")
    assert [layer.name for layer in model.layers] == ["hidden", "dense"]
    model.compile(keras.optimizers.Adam(learning_rate=0.01),
                  keras.losses.SparseCategoricalCrossentropy(), metrics=["accuracy"])
    history = model.fit(X_train, y_train, epochs=40, batch_size=16, verbose=0,
                        validation_data=(X_test, y_test))
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    loss, accuracy = model.evaluate(X_test, y_test)
    assert accuracy >= 0.9
    assert model.predict(X_test).shape == (len(X_test), 3)
    text = model.summary(print_fn=lambda s: None)
    assert text.startswith('Model: "iris"') and "input_layer (InputLayer)" in text
    assert "hidden (Dense)" in text and "(None, 16)" in text and "Total params: 131" in text


def test_functional_model_with_two_branches_and_a_shared_layer():
    tg.manual_seed(0)
    inputs = keras.Input(shape=(3,))
    shared = layers.Dense(2)
    a = shared(inputs)
    b = shared(layers.Activation("relu")(inputs))
    out = layers.Activation("tanh")(a)
    model = keras.Model(inputs=inputs, outputs=[out, b])
    assert len(model.weights) == 2  # one Dense, called twice
    x = np.array([[1.0, -2.0, 3.0]], dtype=np.float32)
    got_out, got_b = model(x)
    k, bias = shared.get_weights()
    np.testing.assert_allclose(got_out.numpy(), np.tanh(x @ k + bias), rtol=1e-6)
    np.testing.assert_allclose(got_b.numpy(), np.maximum(x, 0) @ k + bias, rtol=1e-6)


def test_functional_model_errors_name_the_problem():
    inputs, other = keras.Input(shape=(3,)), keras.Input(shape=(2,))
    out = layers.Dense(1)(other)
    with pytest.raises(ValueError, match="not in inputs"):
        keras.Model(inputs=inputs, outputs=out)
    with pytest.raises(TypeError, match="KerasTensors"):
        keras.Model(inputs=np.zeros(3), outputs=out)
    model = keras.Model(inputs=other, outputs=out)
    with pytest.raises(ValueError, match=r"expects inputs of shape \(None, 2\)"):
        model.predict(np.zeros((4, 3)))


def test_subclassed_model_with_init_and_call():
    tg.manual_seed(0)

    class TwoLayer(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = layers.Dense(16, activation="relu")
            self.out = layers.Dense(3, activation="softmax")

        def call(self, inputs):
            return self.out(self.hidden(inputs))

    X_train, X_test, y_train, y_test = _iris()
    model = TwoLayer()
    model.compile(keras.optimizers.Adam(learning_rate=0.01), "sparse_categorical_crossentropy",
                  metrics=["sparse_categorical_accuracy"])
    history = model.fit(X_train, y_train, epochs=40, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0] / 3
    assert model.evaluate(X_test, y_test)[1] >= 0.9
    assert model.layers == [model.hidden, model.out]
    assert "hidden (Dense)" in model.summary(print_fn=lambda s: None)
    with pytest.raises(NotImplementedError, match="call"):
        keras.Model()(np.ones((1, 2)))


# -- losses ---------------------------------------------------------------------------------------
def test_loss_classes_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((6, 3)).astype(np.float32)
    labels = rng.integers(0, 3, 6)
    onehot = np.eye(3, dtype=np.float32)[labels]
    z, t = rng.standard_normal((6, 1)).astype(np.float32), rng.integers(0, 2, (6, 1)).astype(np.float32)
    tl, tz, tt = torch.tensor(logits), torch.tensor(z), torch.tensor(t)
    expected_ce = torch.nn.functional.cross_entropy(tl, torch.tensor(labels)).item()
    expected_bce = torch.nn.functional.binary_cross_entropy_with_logits(tz, tt).item()
    probs = torch.softmax(tl, -1).numpy()
    sig = torch.sigmoid(tz).numpy()
    L = keras.losses
    cases = [
        (L.SparseCategoricalCrossentropy(from_logits=True)(labels, logits), expected_ce),
        (L.SparseCategoricalCrossentropy()(labels, probs), expected_ce),
        (L.CategoricalCrossentropy(from_logits=True)(onehot, logits), expected_ce),
        (L.CategoricalCrossentropy()(onehot, probs), expected_ce),
        (L.BinaryCrossentropy(from_logits=True)(t, z), expected_bce),
        (L.BinaryCrossentropy()(t, sig), expected_bce),
        (L.MeanSquaredError()(t, z), float(np.mean((t - z) ** 2))),
        (L.MeanAbsoluteError()(t, z), float(np.mean(np.abs(t - z)))),
    ]
    for got, want in cases:
        assert isinstance(got, tg.Tensor)
        assert got.item() == pytest.approx(want, rel=1e-5)


def test_loss_objects_train_in_compile_and_have_keras_names():
    loss = keras.losses.BinaryCrossentropy(from_logits=True)
    assert loss.name == "binary_crossentropy"
    tg.manual_seed(0)
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]] * 8, dtype=np.float32)
    y = X[:, 0]  # learnable: the label is the first feature
    model = keras.Sequential([layers.Dense(1, input_shape=(2,))])  # outputs logits
    model.compile(keras.optimizers.SGD(learning_rate=0.5), loss, metrics=["accuracy"])
    history = model.fit(X, y, epochs=30, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["accuracy"][-1] == 1.0
    with pytest.raises(TypeError, match="from_logits must be True or False"):
        keras.losses.BinaryCrossentropy(from_logits="yes")


def test_losses_broadcast_targets_as_keras_does():
    rng = np.random.default_rng(0)
    out = tg.Tensor(rng.standard_normal((5, 1)).astype(np.float32))
    flat = rng.standard_normal(5).astype(np.float32)
    column = flat.reshape(5, 1)
    for loss in (keras.losses.MeanSquaredError(), keras.losses.MeanAbsoluteError(),
                 keras.losses.mean_squared_error):
        assert loss(flat, out).item() == loss(column, out).item()
    probs = tg.Tensor(np.full((5, 1), 0.3, dtype=np.float32))
    bce = keras.losses.BinaryCrossentropy()
    assert bce(np.ones(5), probs).item() == bce(np.ones((5, 1)), probs).item()
    with pytest.raises(ValueError, match=r"targets of shape \(4,\) do not fit predictions of shape \(5, 1\)"):
        keras.losses.MeanSquaredError()(np.ones(4), out)


def test_binary_crossentropy_refuses_targets_outside_0_1():
    with pytest.raises(ValueError, match=r"y_true \(targets\) must lie in \[0, 1\]"):
        keras.losses.BinaryCrossentropy()(np.array([0.0, 2.0]), np.array([0.5, 0.5]))
    with pytest.raises(ValueError, match=r"y_true \(targets\) must lie in \[0, 1\]"):
        keras.losses.BinaryCrossentropy(from_logits=True)(np.array([-1.0]), np.array([3.0]))


# -- metrics ----------------------------------------------------------------------------------------
def test_metric_objects_keep_a_running_mean():
    m = keras.metrics.SparseCategoricalAccuracy()
    assert m.name == "sparse_categorical_accuracy"
    m.update_state([0, 1], [[0.9, 0.1], [0.8, 0.2]])
    m.update_state([1, 1], [[0.1, 0.9], [0.3, 0.7]])
    assert float(m.result()) == 0.75
    m.reset_state()
    assert float(m([1], [[0.4, 0.6]])) == 1.0
    assert float(keras.metrics.BinaryAccuracy()([1, 0, 1], [0.7, 0.6, 0.2])) == pytest.approx(1 / 3)
    assert float(keras.metrics.CategoricalAccuracy()([[0, 1], [1, 0]], [[0.2, 0.8], [0.3, 0.7]])) == 0.5
    assert float(keras.metrics.MeanSquaredError()([1, 2], [[1], [4]])) == 2.0
    assert float(keras.metrics.MeanAbsoluteError()([1, 2], [1, 4])) == 1.0
    assert float(keras.metrics.RootMeanSquaredError()([0, 0], [3, 4])) == pytest.approx(np.sqrt(12.5))
    assert float(keras.metrics.Accuracy()([1, 2, 3], [1, 2, 0])) == pytest.approx(2 / 3)


@pytest.mark.parametrize("loss, metrics, keys", [
    ("sparse_categorical_crossentropy", ["accuracy"], ["accuracy"]),
    ("sparse_categorical_crossentropy", ["acc"], ["acc"]),
    ("sparse_categorical_crossentropy", ["sparse_categorical_accuracy"], ["sparse_categorical_accuracy"]),
    ("sparse_categorical_crossentropy", [keras.metrics.SparseCategoricalAccuracy()],
     ["sparse_categorical_accuracy"]),
    ("sparse_categorical_crossentropy", [keras.metrics.SparseCategoricalAccuracy(name="acc_named")],
     ["acc_named"]),
    ("mse", ["mae", "mse"], ["mae", "mse"]),
    ("mse", [keras.metrics.MeanAbsoluteError(), "mean_squared_error"],
     ["mean_absolute_error", "mean_squared_error"]),
])
def test_history_keys_are_named_as_keras_names_them(loss, metrics, keys):
    X_train, X_test, y_train, y_test = _iris()
    last = layers.Dense(1) if loss == "mse" else layers.Dense(3, activation="softmax")
    model = keras.Sequential([keras.Input(shape=(4,)), last])
    model.compile("adam", loss, metrics=metrics)
    history = model.fit(X_train, y_train, epochs=1, verbose=0, validation_data=(X_test, y_test))
    assert list(history.history) == ["loss", *keys, "val_loss", *[f"val_{k}" for k in keys]]
    assert model.metrics_names == ["loss", *keys]


def test_accuracy_follows_the_loss_and_shapes():
    one_hot = np.eye(3)[[0, 2]]
    model = keras.Sequential([layers.Dense(3, activation="softmax", input_shape=(2,))])
    model.compile("sgd", "categorical_crossentropy", metrics=["accuracy", "categorical_accuracy"])
    _, acc, cat = model.evaluate(np.ones((2, 2)), one_hot)
    assert acc == cat
    with pytest.raises(ValueError, match="unknown metric 'accurasy'"):
        model.compile("sgd", "mse", metrics=["accurasy"])


# -- layers, weights, Sequential -------------------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda **kw: layers.Dense(2, **kw), lambda **kw: layers.Activation("relu", **kw),
    lambda **kw: layers.Softmax(**kw), lambda **kw: layers.Dropout(0.5, **kw),
    lambda **kw: layers.Flatten(**kw),
])
def test_every_layer_takes_name_and_input_shape(make):
    layer = make(name="mine", input_shape=(3,), trainable=True)
    assert layer.name == "mine" and layer.input_shape == (3,) and layer.trainable
    model = keras.Sequential([layer])
    assert model.layer_names == ["mine"] and model.built
    assert model.predict(np.ones((2, 3))).shape[0] == 2


def test_flatten_softmax_dropout_activation():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    model = keras.Sequential([keras.Input(shape=(3, 4)), layers.Flatten(), layers.Dropout(0.5),
                              layers.Activation("linear"), layers.Softmax()])
    out = model.predict(x)  # Dropout is the identity outside training
    expected = np.exp(x.reshape(2, -1) - x.reshape(2, -1).max(1, keepdims=True))
    np.testing.assert_allclose(out, expected / expected.sum(1, keepdims=True), rtol=1e-5)
    assert "(None, 12)" in model.summary(print_fn=lambda s: None)
    with pytest.raises(TypeError, match="Softmax: axis must be an integer"):
        layers.Softmax(axis=1.5)


def test_sequential_add_pop_and_layers_without_the_input_layer():
    model = keras.Sequential()
    model.add(keras.Input(shape=(4,)))
    model.add(layers.Dense(3, activation="relu"))
    model.add(layers.Dense(2))
    assert [type(layer).__name__ for layer in model.layers] == ["Dense", "Dense"]
    assert model.built and len(model.weights) == 4
    popped = model.pop()
    assert isinstance(popped, layers.Dense) and len(model.layers) == 1 and len(model.weights) == 2
    model.add(layers.Dense(5))
    assert model.predict(np.ones((1, 4))).shape == (1, 5)
    with pytest.raises(ValueError, match="only be the first entry"):
        model.add(keras.Input(shape=(4,)))
    with pytest.raises(TypeError, match="no layers"):
        keras.Sequential().pop()


def test_get_and_set_weights_in_keras_layout():
    model = keras.Sequential([layers.Dense(3, input_shape=(2,)), layers.Dense(1)])
    weights = model.get_weights()
    assert [w.shape for w in weights] == [(2, 3), (3,), (3, 1), (1,)]
    assert all(isinstance(w, np.ndarray) for w in weights)
    new = [np.full(w.shape, i, dtype=np.float32) for i, w in enumerate(weights)]
    model.set_weights(new)
    x = np.ones((1, 2), dtype=np.float32)
    np.testing.assert_allclose(model.predict(x), (x @ new[0] + new[1]) @ new[2] + new[3])
    weights[0][...] = 99  # get_weights gives copies
    assert model.get_weights()[0][0, 0] == 0
    with pytest.raises(ValueError, match="expected a list of 4 arrays"):
        model.set_weights(new[:2])
    with pytest.raises(ValueError, match=r"weight 0 .* has shape \(2, 3\), got an array of shape \(3, 2\)"):
        model.set_weights([new[0].T, *new[1:]])
    assert model.get_weights()[1][0] == 1  # nothing was written by the failed call


def test_summary_shows_output_shapes_of_a_model_built_by_calling_it():
    model = keras.Sequential([layers.Dense(8, activation="relu"), layers.Flatten(), layers.Dense(2)])
    before = model.summary(print_fn=lambda s: None)
    assert "?" in before
    model(np.ones((5, 3), dtype=np.float32))
    text = model.summary(print_fn=lambda s: None)
    assert "(None, 8)" in text and "(None, 2)" in text and "?" not in text
    assert "Total params: 50" in text


# -- callbacks ---------------------------------------------------------------------------------------
def test_early_stopping_messages_follow_the_epoch_line(capsys):
    tg.manual_seed(0)
    X = np.zeros((8, 2), dtype=np.float32)
    model = keras.Sequential([layers.Dense(1, input_shape=(2,), bias_initializer="zeros")])
    model.compile(keras.optimizers.SGD(learning_rate=0.1), "mse")
    # zero inputs, zero targets: the loss stays 0 from epoch 1, so patience 1 stops in epoch 2
    stopper = keras.callbacks.EarlyStopping(monitor="loss", patience=1, verbose=1,
                                            restore_best_weights=True)
    model.fit(X, np.zeros(8), epochs=5, verbose=2, callbacks=[stopper])
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln]
    assert lines == ["Epoch 1/5", lines[1], "Epoch 2/5", lines[3], "Epoch 2: early stopping",
                     "Restoring model weights from the end of the best epoch: 1."]
    assert lines[3].startswith("1/1 - loss:")
