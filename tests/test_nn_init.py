"""nn.init: sample statistics against the formulas, gains, fans, determinism, zero-init symmetry."""

import math

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import init

FAN_OUT, FAN_IN = 1000, 1000


def big(shape=(FAN_OUT, FAN_IN)):
    return tg.Tensor(np.zeros(shape, dtype=np.float64), requires_grad=True)


def check_stats(t, mean, std):
    """Mean within 4 standard errors; std within 1 % (a million samples)."""
    n = t.size
    assert abs(t.data.mean() - mean) < 4 * std / math.sqrt(n) + 1e-12
    np.testing.assert_allclose(t.data.std(), std, rtol=0.01)


@pytest.mark.parametrize("nonlinearity, gain", [
    ("linear", 1.0), ("sigmoid", 1.0), ("tanh", 5 / 3), ("relu", math.sqrt(2)),
    ("leaky_relu", math.sqrt(2 / (1 + 0.01 ** 2))),
])
def test_calculate_gain_table(nonlinearity, gain):
    assert init.calculate_gain(nonlinearity) == pytest.approx(gain)


def test_calculate_gain_matches_torch():
    torch = pytest.importorskip("torch")
    for name in ("linear", "sigmoid", "tanh", "relu", "leaky_relu"):
        assert init.calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(
        torch.nn.init.calculate_gain("leaky_relu", 0.2))
    with pytest.raises(ValueError, match="unknown nonlinearity"):
        init.calculate_gain("swish")


def test_normal_and_uniform_and_small():
    rng = np.random.default_rng(0)
    check_stats(init.normal_(big(), mean=0.5, std=2.0, rng=rng), 0.5, 2.0)
    t = init.uniform_(big(), -3.0, 1.0, rng=rng)
    assert t.data.min() >= -3.0 and t.data.max() < 1.0
    check_stats(t, -1.0, 4.0 / math.sqrt(12))  # U(a, b): mean (a+b)/2, std (b-a)/sqrt(12)
    check_stats(init.small_random_(big(), rng=rng), 0.0, 0.01)


def test_constant_inits_work_in_place():
    t = big((3, 4))
    data = t.data
    assert init.ones_(t) is t and t.data is data and (data == 1).all()
    assert (init.constant_(t, 2.5).data == 2.5).all()
    assert (init.zeros_(t).data == 0).all()
    assert t.requires_grad and t.is_leaf


@pytest.mark.parametrize("gain", [1.0, init.calculate_gain("tanh")])
def test_xavier(gain):
    rng = np.random.default_rng(1)
    shape = (FAN_OUT, 500)  # unequal fans, so fan_in + fan_out is really tested
    std = gain * math.sqrt(2.0 / (500 + FAN_OUT))
    u = init.xavier_uniform_(big(shape), gain=gain, rng=rng)
    bound = gain * math.sqrt(6.0 / (500 + FAN_OUT))
    assert np.abs(u.data).max() <= bound
    check_stats(u, 0.0, std)  # U(-a, a) has std a/sqrt(3) = the normal version's std
    check_stats(init.xavier_normal_(big(shape), gain=gain, rng=rng), 0.0, std)


@pytest.mark.parametrize("nonlinearity", ["relu", "tanh", "sigmoid", "linear", "leaky_relu"])
def test_kaiming(nonlinearity):
    rng = np.random.default_rng(2)
    shape = (FAN_OUT, 250)
    gain = init.calculate_gain(nonlinearity, 0.0) if nonlinearity == "leaky_relu" else \
        init.calculate_gain(nonlinearity)
    std = gain / math.sqrt(250)
    check_stats(init.kaiming_normal_(big(shape), nonlinearity=nonlinearity, rng=rng), 0.0, std)
    u = init.kaiming_uniform_(big(shape), nonlinearity=nonlinearity, rng=rng)
    assert np.abs(u.data).max() <= gain * math.sqrt(3.0 / 250)
    check_stats(u, 0.0, std)
    fan_out = init.kaiming_normal_(big(shape), mode="fan_out", nonlinearity=nonlinearity, rng=rng)
    check_stats(fan_out, 0.0, gain / math.sqrt(FAN_OUT))


def test_he_relu_keeps_activation_scale_through_depth():
    """He init's purpose: the mean square of ReLU activations stays put layer after layer."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2000, 256))
    h = x
    for _ in range(10):
        w = init.kaiming_normal_(big((256, 256)), nonlinearity="relu", rng=rng)
        h = np.maximum(h @ w.data.T, 0)
    assert 0.5 < (h ** 2).mean() / (x ** 2).mean() < 2.0
    h = x
    for _ in range(10):  # small random init: the signal fades away
        h = np.maximum(h @ init.small_random_(big((256, 256)), rng=rng).data.T, 0)
    assert (h ** 2).mean() < 1e-10


def test_fan_errors_and_rng_checks():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.xavier_uniform_(big((5,)))
    with pytest.raises(ValueError, match="fan_in"):
        init.kaiming_normal_(big((3, 3)), mode="fan_middle")
    with pytest.raises(TypeError, match="np.random.Generator"):
        init.normal_(big((3, 3)), rng=42)
    with pytest.raises(TypeError, match="in place"):
        init.zeros_(np.zeros(3))


def test_inits_are_deterministic_with_the_global_seed():
    tg.manual_seed(11)
    a = init.kaiming_uniform_(big((4, 5))).data.copy()
    tg.manual_seed(11)
    b = init.kaiming_uniform_(big((4, 5))).data.copy()
    np.testing.assert_array_equal(a, b)


def _train(model, steps=50, lr=1.0):
    """A few steps of gradient descent on a small regression problem (no symmetric targets)."""
    rng = np.random.default_rng(0)
    x = tg.Tensor(rng.normal(size=(8, 2)).astype(np.float32))
    y = tg.Tensor(rng.uniform(0.1, 0.9, size=(8, 1)).astype(np.float32))
    for _ in range(steps):
        loss = nn.functional.mse_loss(model(x), y)
        model.zero_grad()
        loss.backward()
        with tg.no_grad():
            for p in model.parameters():
                p.data -= lr * p.grad.data


def test_zero_init_keeps_hidden_units_identical():
    model = nn.MLP([2, 4, 1], activation="sigmoid", output_activation="sigmoid", init="zeros")
    _train(model)
    w1, b1, w2 = model.fc1.weight.data, model.fc1.bias.data, model.fc2.weight.data
    assert np.abs(w1).max() > 1e-3 and np.abs(w2).max() > 1e-3  # it did train ...
    # ... yet all four hidden units are still one unit copied four times
    np.testing.assert_array_equal(w1, np.broadcast_to(w1[:1], w1.shape))
    np.testing.assert_array_equal(b1, np.full_like(b1, b1[0]))
    np.testing.assert_array_equal(w2, np.full_like(w2, w2[0, 0]))


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_zero_init_with_zero_centred_activation_learns_nothing(activation):
    """tanh(0) = relu(0) = 0: hidden outputs and the weights' gradients stay exactly zero."""
    model = nn.MLP([2, 4, 1], activation=activation, output_activation="sigmoid", init="zeros")
    _train(model)
    assert (model.fc1.weight.data == 0).all() and (model.fc2.weight.data == 0).all()
    assert model.fc2.bias.data[0] != 0  # only the output bias moves


def test_small_random_init_breaks_symmetry():
    model = nn.MLP([2, 4, 1], activation="sigmoid", output_activation="sigmoid", init="small",
                   rng=np.random.default_rng(0))
    _train(model)
    w1 = model.fc1.weight.data
    assert np.abs(w1 - w1[:1]).max() > 1e-4


def test_explicit_fans_for_other_layouts():
    """A Keras kernel is (in, out): fans=(fan_in, fan_out) overrides what the shape would say."""
    kernel = init.kaiming_normal_(big((250, FAN_OUT)), nonlinearity="relu", fans=(250, FAN_OUT),
                                  rng=np.random.default_rng(4))
    check_stats(kernel, 0.0, math.sqrt(2.0 / 250))
    bias = init.xavier_uniform_(big((7,)), fans=(3, 7), rng=np.random.default_rng(4))  # 1-D is fine
    assert np.abs(bias.data).max() <= math.sqrt(6.0 / 10) and bias.data.std() > 0


def test_one_table_of_initialiser_names():
    """nn.Linear and keras Dense accept exactly the names of nn.init.INITIALIZERS; aliases share
    an entry, and an entry draws what the nn.init function it names draws."""
    from tinygrad_edu import keras

    assert init.INITIALIZERS["xavier"] is init.INITIALIZERS["glorot_uniform"]
    assert init.INITIALIZERS["he"] is init.INITIALIZERS["he_normal"]
    for name, fill in init.INITIALIZERS.items():
        nn.Linear(3, 2, init=name)
        keras.layers.Dense(2, input_shape=(3,), kernel_initializer=name, bias_initializer=name)
        a = fill(big((4, 5)), np.random.default_rng(6), None).data
        b = fill(big((4, 5)), np.random.default_rng(6), (5, 4)).data  # the fans the shape implies
        np.testing.assert_array_equal(a, b)
    expected = init.kaiming_normal_(big((4, 5)), nonlinearity="relu", rng=np.random.default_rng(6)).data
    got = init.INITIALIZERS["he_normal"](big((4, 5)), np.random.default_rng(6), None).data
    np.testing.assert_array_equal(got, expected)
    with pytest.raises(ValueError, match="unknown init 'glorious'.*'lecun_normal'"):
        nn.Linear(2, 2, init="glorious")
