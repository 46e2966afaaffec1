"""The Keras-style front end: the tutorial's snippet unchanged, training on iris, and the pieces
(Dense, compile/fit/evaluate/predict, History, EarlyStopping, summary, weights on disk)."""

from __future__ import annotations

import io

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import keras
from tinygrad_edu.data import load_iris, standardize, train_test_split


def test_tutorial_keras_snippet_runs_unchanged():
    import tinygrad_edu as tf

    model = tf.keras.Sequential([
        tf.keras.layers.Dense(64, activation='relu', input_shape=(4,)),
        tf.keras.layers.Dense(32, activation='relu'),
        tf.keras.layers.Dense(1, activation='sigmoid')
    ])
    model.compile(optimizer='adam', loss='mse')
    optimizer = tf.keras.optimizers.Adam(learning_rate=0.001)
    assert optimizer.learning_rate == 0.001
    # 4*64+64 + 64*32+32 + 32*1+1 parameters, as Keras' summary would count them
    assert model.num_parameters() == 320 + 2080 + 33
    out = model.predict(np.zeros((3, 4)))
    assert out.shape == (3, 1) and np.all((out > 0) & (out < 1))


def _iris_split():
    X, y = load_iris()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, seed=0, stratify=y)
    X_train, X_test = standardize(X_train, X_test)[:2]
    return X_train.astype(np.float32), X_test.astype(np.float32), y_train, y_test


def test_fit_on_iris_reaches_90_percent_test_accuracy():
    tg.manual_seed(0)
    X_train, X_test, y_train, y_test = _iris_split()
    model = keras.Sequential([
        keras.layers.Dense(16, activation="relu", input_shape=(4,)),
        keras.layers.Dense(3, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(X_train, y_train, epochs=40, batch_size=16, verbose=0,
                        validation_data=(X_test, y_test))
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(history.history["loss"]) == 40
    assert history.history["loss"][-1] < history.history["loss"][0] / 3
    loss, accuracy = model.evaluate(X_test, y_test)
    assert accuracy >= 0.9
    assert accuracy == pytest.approx(history.history["val_accuracy"][-1])
    assert model.predict(X_test).argmax(axis=1).tolist() != []


def test_same_seed_same_history():
    def run():
        tg.manual_seed(3)
        X_train, _, y_train, _ = _iris_split()
        model = keras.Sequential([keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(3, "softmax")])
        model.compile("sgd", "sparse_categorical_crossentropy")
        return model.fit(X_train, y_train, epochs=3, verbose=0).history["loss"]

    assert run() == run()


def test_dense_builds_lazily_and_names_parameters():
    model = keras.Sequential([keras.layers.Dense(5, activation="relu"), keras.layers.Dense(2)])
    assert not model.built
    out = model(tg.Tensor(np.ones((7, 3), dtype=np.float32)))
    assert out.shape == (7, 2) and model.built
    names = [n for n, _ in model.named_parameters()]
    assert names == ["dense.kernel", "dense.bias", "dense_1.kernel", "dense_1.bias"]
    assert model.dense.kernel.shape == (3, 5)
    np.testing.assert_array_equal(model.dense.bias.numpy(), np.zeros(5))


def test_glorot_uniform_default_limit():
    tg.manual_seed(0)
    layer = keras.layers.Dense(300, input_shape=(200,))
    limit = np.sqrt(6 / (200 + 300))
    w = layer.kernel.numpy()
    assert np.abs(w).max() <= limit
    assert w.std() == pytest.approx(limit / np.sqrt(3), rel=0.02)  # std of U(-l, l) is l/√3


def test_he_normal_initializer_std():
    tg.manual_seed(0)
    layer = keras.layers.Dense(400, input_shape=(500,), kernel_initializer="he_normal")
    assert layer.kernel.numpy().std() == pytest.approx(np.sqrt(2 / 500), rel=0.02)


# What Dense drew before it called nn.init: the Keras formulas on the global generator, with the
# layer's fans, kernel (in, out) first, then the bias.  Float32 weights must stay exactly these.
KERAS_FORMULAS = {
    "glorot_uniform": lambda g, i, o, shape: g.uniform(-np.sqrt(6 / (i + o)), np.sqrt(6 / (i + o)), shape),
    "glorot_normal": lambda g, i, o, shape: g.normal(0.0, np.sqrt(2 / (i + o)), shape),
    "he_uniform": lambda g, i, o, shape: g.uniform(-np.sqrt(6 / i), np.sqrt(6 / i), shape),
    "he_normal": lambda g, i, o, shape: g.normal(0.0, np.sqrt(2 / i), shape),
    "lecun_normal": lambda g, i, o, shape: g.normal(0.0, np.sqrt(1 / i), shape),
    "random_normal": lambda g, i, o, shape: g.normal(0.0, 0.05, shape),
    "random_uniform": lambda g, i, o, shape: g.uniform(-0.05, 0.05, shape),
}


@pytest.mark.parametrize("name", sorted(KERAS_FORMULAS))
@pytest.mark.parametrize("seed, fan_in, units", [(0, 3, 7), (1, 64, 32), (12345, 13, 5)])
def test_same_seed_gives_the_same_weights_through_nn_init(name, seed, fan_in, units):
    tg.manual_seed(seed)
    layer = keras.layers.Dense(units, input_shape=(fan_in,), kernel_initializer=name,
                               bias_initializer=name)
    g, formula = np.random.default_rng(seed), KERAS_FORMULAS[name]
    kernel = formula(g, fan_in, units, (fan_in, units)).astype(np.float32)
    bias = formula(g, fan_in, units, (units,)).astype(np.float32)
    np.testing.assert_array_equal(layer.kernel.numpy(), kernel)
    np.testing.assert_array_equal(layer.bias.numpy(), bias)


def test_activation_names_come_from_nn_table():
    x = tg.Tensor(np.linspace(-2, 2, 12).reshape(3, 4))
    for name, make in tg.nn.layers.ACTIVATIONS.items():
        module = make(0.2) if name == "leaky_relu" else make()  # Keras' leaky slope is 0.2
        np.testing.assert_array_equal(keras.layers.Activation(name)(x).numpy(), module(x).numpy())
    with pytest.raises(ValueError, match=r"unknown activation 'swishy'; choose one of \['identity', "
                                         r"'leaky_relu', 'linear', 'log_softmax'"):
        keras.layers.Activation("swishy")


def test_dense_checks_input_size():
    layer = keras.layers.Dense(2, input_shape=(3,))
    with pytest.raises(ValueError, match="expects inputs with 3 features"):
        layer(tg.Tensor(np.ones((1, 4), dtype=np.float32)))


@pytest.mark.parametrize("bad, match", [
    (dict(activation="swishy"), "unknown activation"),
    (dict(kernel_initializer="nope"), "unknown initializer"),
])
def test_bad_layer_arguments(bad, match):
    with pytest.raises(ValueError, match=match):
        keras.layers.Dense(2, input_shape=(3,), **bad)


def test_compile_errors():
    model = keras.Sequential([keras.layers.Dense(1, input_shape=(2,))])
    with pytest.raises(ValueError, match="unknown optimizer"):
        model.compile(optimizer="adamw-ish", loss="mse")
    with pytest.raises(ValueError, match="unknown loss"):
        model.compile(optimizer="sgd", loss="hinge-ish")
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(np.zeros((2, 2)), np.zeros(2), verbose=0)


def test_losses_against_formulas():
    y = np.array([[1.0], [0.0], [1.0]])
    p = np.array([[0.9], [0.2], [0.6]])
    bce = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    got = keras.losses.binary_crossentropy(tg.Tensor(y), tg.Tensor(p)).item()
    assert got == pytest.approx(bce, rel=1e-6)
    assert keras.losses.mean_squared_error(tg.Tensor(y), tg.Tensor(p)).item() == pytest.approx(
        np.mean((y - p) ** 2))
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    labels = np.array([0, 2])
    cce = -np.mean(np.log([0.7, 0.8]))
    assert keras.losses.sparse_categorical_crossentropy(
        tg.Tensor(labels), tg.Tensor(probs)).item() == pytest.approx(cce)
    assert keras.losses.categorical_crossentropy(
        tg.Tensor(np.eye(3)[labels]), tg.Tensor(probs)).item() == pytest.approx(cce)


def test_saturated_probabilities_give_finite_loss_and_gradient():
    p = tg.Tensor(np.array([[0.0], [1.0]]), requires_grad=True)
    loss = keras.losses.binary_crossentropy(tg.Tensor(np.array([[1.0], [0.0]])), p)
    loss.backward()
    assert np.isfinite(loss.item()) and loss.item() > 10
    assert np.all(np.isfinite(p.grad.numpy()))


def test_validation_split_takes_the_last_samples():
    tg.manual_seed(0)
    X = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10, dtype=np.float32)
    model = keras.Sequential([keras.layers.Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse")
    seen = []

    class Spy(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(logs["val_loss"])

    model.fit(X, y, epochs=1, validation_split=0.2, verbose=0, callbacks=[Spy()])
    expected = model.evaluate(X[-2:], y[-2:])
    assert seen == [pytest.approx(expected)]


def test_early_stopping_logic_on_a_scripted_loss_curve():
    class FakeModel:
        stop_training = False
        weights = 0

        def state_dict(self):
            return {"w": self.weights}

        def load_state_dict(self, sd):
            self.weights = sd["w"]

    model = FakeModel()
    stopper = keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, min_delta=0.01,
                                            restore_best_weights=True)
    stopper.set_model(model)
    stopper.on_train_begin()
    # improves, improves, then two epochs without an improvement larger than min_delta
    for epoch, value in enumerate([1.0, 0.5, 0.495, 0.6]):
        model.weights = epoch
        stopper.on_epoch_end(epoch, {"val_loss": value})
        assert model.stop_training == (epoch == 3)
    stopper.on_train_end()
    assert stopper.stopped_epoch == 3 and stopper.best == 0.5
    assert model.weights == 1  # the weights of the best epoch are back


def test_early_stopping_ends_fit_and_restores_best_weights():
    tg.manual_seed(0)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((32, 2)).astype(np.float32)
    y = rng.integers(0, 2, 32).astype(np.float32)  # random labels: no weights fit them well
    model = keras.Sequential([keras.layers.Dense(1, activation="sigmoid", input_shape=(2,))])
    # A huge learning rate makes the loss jump around, so patience runs out quickly.
    model.compile(keras.optimizers.SGD(learning_rate=200.0), "binary_crossentropy")
    stopper = keras.callbacks.EarlyStopping(monitor="loss", patience=2, restore_best_weights=True)
    history = model.fit(X, y, epochs=50, batch_size=32, verbose=0, callbacks=[stopper])
    epochs_run = len(history.history["loss"])
    assert epochs_run < 50 and stopper.stopped_epoch == epochs_run - 1
    # The logged loss of an epoch is measured before that epoch's update; the restored
    # weights are the ones after the best epoch's update, so compare with a fresh evaluate.
    restored = model.evaluate(X, y)
    assert np.isfinite(restored)
    assert model.dense.kernel.numpy().tolist() == stopper.best_weights["dense.kernel"].tolist()


def test_early_stopping_names_missing_metric():
    model = keras.Sequential([keras.layers.Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse")
    with pytest.raises(KeyError, match="val_loss"):
        model.fit(np.zeros((4, 2)), np.zeros(4), verbose=0,
                  callbacks=[keras.callbacks.EarlyStopping()])


def test_summary_lists_layers_shapes_and_counts():
    model = keras.Sequential([keras.layers.Dense(64, activation="relu", input_shape=(4,)),
                              keras.layers.Dense(1, activation="sigmoid")])
    text = model.summary(print_fn=lambda s: None)
    assert "dense (Dense)" in text and "(None, 64)" in text and "(None, 1)" in text
    assert "Total params: 385" in text and "Trainable params: 385" in text


def test_progress_is_one_line_per_epoch_when_not_a_terminal(capsys):
    model = keras.Sequential([keras.layers.Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse", metrics=["mae"])
    model.fit(np.zeros((10, 2)), np.zeros(10), epochs=3, batch_size=4, verbose=1)
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln]
    assert lines[0] == "Epoch 1/3"
    assert len(lines) == 6 and all("loss:" in ln and "mae:" in ln for ln in lines[1::2])
    assert "\r" not in "".join(lines)


def test_progress_bar_redraws_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    display = keras.callbacks.ProgressDisplay(epochs=1, batches=3, verbose=1, stream=stream)
    display.on_epoch_begin(0)
    for b in range(3):
        display.on_batch_end(b, {"loss": 1.0})
    display.on_epoch_end(0, {"loss": 1.0})
    text = stream.getvalue()
    assert text.count("\r") >= 3 and "3/3 [" in text


def test_save_and_load_weights_round_trip(tmp_path):
    tg.manual_seed(0)
    model = keras.Sequential([keras.layers.Dense(3, activation="tanh", input_shape=(2,)),
                              keras.layers.Dense(1)])
    x = np.ones((2, 2), dtype=np.float32)
    before = model.predict(x)
    model.save_weights(tmp_path / "w.npz")
    tg.manual_seed(1)
    other = keras.Sequential([keras.layers.Dense(3, activation="tanh", input_shape=(2,)),
                              keras.layers.Dense(1)])
    assert not np.allclose(other.predict(x), before)
    other.load_weights(tmp_path / "w.npz")
    np.testing.assert_array_equal(other.predict(x), before)
    wrong = keras.Sequential([keras.layers.Dense(4, input_shape=(2,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="shape mismatch"):
        wrong.load_weights(tmp_path / "w.npz")


def test_keras_and_pytorch_style_share_one_engine():
    from tinygrad_edu import nn

    model = keras.Sequential([keras.layers.Dense(2, input_shape=(3,))])
    assert isinstance(model, nn.Module)
    x = tg.Tensor(np.ones((4, 3), dtype=np.float32))
    model(x).sum().backward()
    np.testing.assert_allclose(model.dense.kernel.grad.numpy(), np.full((3, 2), 4.0))


def test_dense_casts_float64_inputs_to_its_float32_weights():
    # like Keras: NumPy's float64 data does not silently turn the whole model into float64
    model = keras.Sequential([keras.layers.Dense(2, input_shape=(3,)), keras.layers.Dense(1)])
    x = np.random.default_rng(0).standard_normal((4, 3))
    assert x.dtype == np.float64
    assert model.predict(x).dtype == np.float32
    model.compile("sgd", "mse")
    model.fit(x, np.zeros(4), epochs=1, verbose=0)
    assert all(p.dtype == np.float32 for p in model.parameters())
