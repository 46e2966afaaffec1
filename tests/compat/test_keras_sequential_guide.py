"""A program in the style of Keras' "The Sequential model" guide, with only the import switched
(``from tinygrad_edu import keras``): build a stack, add and pop layers, give the input shape
up front or let the first call build it, read the summary, reuse the layers as a feature
extractor, and freeze all but the last layer for transfer learning."""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import keras
from tinygrad_edu.data import load_iris, standardize
from tinygrad_edu.keras import layers


@pytest.fixture(autouse=True)
def _keep_global_rng():
    """These tests reseed the global generator; later tests still see the state they would have."""
    saved = tg.random.generator().bit_generator.state
    yield
    tg.random.generator().bit_generator.state = saved


def test_a_stack_of_three_layers(capsys):
    model = keras.Sequential([
        layers.Dense(2, activation="relu", name="layer1"),
        layers.Dense(3, activation="relu", name="layer2"),
        layers.Dense(4, name="layer3"),
    ])
    y = model(np.ones((3, 3)))
    print(y.shape, [layer.name for layer in model.layers])
    assert capsys.readouterr().out.strip() == "(3, 4) ['layer1', 'layer2', 'layer3']"


def test_add_and_pop():
    model = keras.Sequential(name="my_sequential")
    model.add(layers.Dense(2, activation="relu"))
    model.add(layers.Dense(3, activation="relu"))
    model.add(layers.Dense(4))
    model.pop()
    assert len(model.layers) == 2 and model.name == "my_sequential"


def test_weights_appear_when_the_input_size_is_known():
    layer = layers.Dense(3)
    assert layer.weights == []  # no input seen yet, nothing to size the kernel with
    layer(np.ones((1, 4)))
    assert [w.shape for w in layer.weights] == [(4, 3), (3,)]

    model = keras.Sequential([layers.Dense(2, activation="relu"), layers.Dense(3)])
    assert model.weights == []
    model(np.ones((1, 4)))
    assert len(model.weights) == 4


def test_summary_with_an_input_declared_first(capsys):
    model = keras.Sequential()
    model.add(keras.Input(shape=(4,)))
    model.add(layers.Dense(2, activation="relu"))
    assert len(model.layers) == 1  # the Input is not a layer of the model
    model.summary()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == 'Model: "sequential"'
    assert lines[4].split() == ["dense", "(Dense)", "(None,", "2)", "10"]
    assert "Total params: 10 (40.00 B)" in lines and "Trainable params: 10 (40.00 B)" in lines
    assert "Non-trainable params: 0 (0.00 B)" in lines


def test_summary_while_adding_layers_one_by_one(capsys):
    model = keras.Sequential([keras.Input(shape=(8, 8)), layers.Flatten()])
    model.add(layers.Dense(32, activation="relu"))
    model.add(layers.Dense(16, activation="relu"))
    model.summary()
    out = capsys.readouterr().out
    assert "(None, 64)" in out and "(None, 32)" in out and "(None, 16)" in out
    assert "Total params: 2,608 (10.19 KB)" in out


def test_feature_extraction_from_every_layer():
    initial = keras.Sequential([
        keras.Input(shape=(6,)),
        layers.Dense(5, activation="relu"),
        layers.Dense(4, activation="relu", name="my_intermediate_layer"),
        layers.Dense(3, activation="relu"),
    ])
    extractor = keras.Model(inputs=initial.inputs, outputs=[layer.output for layer in initial.layers])
    features = extractor(np.ones((2, 6)))
    assert [f.shape for f in features] == [(2, 5), (2, 4), (2, 3)]

    one = keras.Model(inputs=initial.inputs, outputs=initial.get_layer(name="my_intermediate_layer").output)
    np.testing.assert_array_equal(one(np.ones((2, 6))).numpy(), features[1].numpy())


def test_transfer_learning_freezes_all_but_the_last_layer():
    keras.utils.set_random_seed(0)
    X, y = load_iris()
    X = standardize(X)[0].astype(np.float32)
    model = keras.Sequential([
        keras.Input(shape=(4,)),
        layers.Dense(32, activation="relu"),
        layers.Dense(32, activation="relu"),
        layers.Dense(3, activation="softmax"),
    ])
    for layer in model.layers[:-1]:
        layer.trainable = False
    frozen = [layer.get_weights() for layer in model.layers[:-1]]
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.05),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(X, y, epochs=30, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.8  # random frozen features, trained head
    for before, layer in zip(frozen, model.layers[:-1]):
        assert all(np.array_equal(a, b) for a, b in zip(before, layer.get_weights()))
    text = model.summary(print_fn=lambda s: None)
    assert "Trainable params: 99" in text and "Non-trainable params: 1,216" in text
