"""Every layer rule a picture prints is checked against the engine, so a rule text cannot lie.

Each layer and loss declares its backward in matrix form beside its code (``layer_rule``,
``F.LOSS_RULES``, keras ``Dense.layer_rules``), as text and as NumPy.  Here the NumPy side
of every declared line runs on random float64 inputs (hypothesis draws the seed and the
batch size) and must equal the gradient the engine computes for the same call; a test
also checks that every declared rule has a case here, so a new declaration cannot skip it.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import examples

import tinygrad_edu as tg
from tinygrad_edu import keras, nn
from tinygrad_edu.nn import functional as F
from tinygrad_edu.viz.layers import MODULE_RULES, rule_for

N_IN, N_OUT = 3, 4


def _module_case(make, sample_shape=(N_IN,), min_batch=1):
    def run(rng, n):
        n = max(n, min_batch)  # batch statistics need two samples
        module = make()
        # Distinct values (a permutation of a grid), so a max-pool window has one maximum.
        size = n * int(np.prod(sample_shape))
        x = tg.Tensor((rng.permutation(size) / size - 0.5).reshape(n, *sample_shape)
                      + rng.normal(size=(n, *sample_shape)) * 1e-3, requires_grad=True)
        out = module(x)
        upstream = rng.normal(size=out.shape)
        (out * tg.Tensor(upstream)).sum().backward()
        values = {"x": x.data, "out": out.data}
        grads = {"x": x.grad.data}
        params = dict(getattr(MODULE_RULES.get(type(module).__name__), "params", ()))
        for role, attribute in params.items():
            p = getattr(module, attribute)
            if p is None:  # a layer built without bias
                continue
            values[role], grads[role] = p.data, p.grad.data
        return upstream, values, grads
    return run


def _loss_case(fn, kind):
    def run(rng, n):
        if kind == "probabilities":
            x = rng.uniform(0.05, 0.95, size=(n, N_IN))
        elif kind == "log_probabilities":
            x = np.log(rng.dirichlet(np.ones(N_IN), size=n))
        else:
            x = rng.normal(size=(n, N_IN))
        y = rng.integers(0, N_IN, size=n) if kind in ("labels", "log_probabilities") \
            else rng.uniform(0, 1, size=(n, N_IN))
        xt = tg.Tensor(x, requires_grad=True)
        out = fn(xt, y)
        upstream = np.array(rng.normal())
        (out * float(upstream)).backward()
        return upstream, {"x": x, "y": y, "out": out.data}, {"x": xt.grad.data}
    return run


def _dense_case(activation):
    def run(rng, n):
        layer = keras.layers.Dense(N_OUT, activation=activation, input_dim=N_IN)
        layer.bias.data[...] = rng.normal(size=N_OUT)  # not the special case b = 0
        x = tg.Tensor(rng.normal(size=(n, N_IN)), requires_grad=True)
        out = layer(x)
        upstream = rng.normal(size=out.shape)
        (out * tg.Tensor(upstream)).sum().backward()
        W, b = layer.kernel, layer.bias
        values = {"x": x.data, "W": W.data, "b": b.data, "out": out.data,
                  "z": x.data @ W.data + b.data}
        return upstream, values, {"x": x.grad.data, "W": W.grad.data, "b": b.grad.data}
    return run


MODULES = {
    "Linear": lambda: nn.Linear(N_IN, N_OUT), "ReLU": nn.ReLU, "Sigmoid": nn.Sigmoid,
    "Tanh": nn.Tanh, "Softmax": nn.Softmax, "LogSoftmax": nn.LogSoftmax,
}
def _batchnorm(cls):
    def make():
        layer = cls(IMAGE[0] if cls is nn.BatchNorm2d else N_IN)
        layer.weight.data[...] = np.linspace(0.5, 2.0, layer.num_features)  # not the special γ = 1
        return layer
    return make


IMAGE = (2, 6, 6)  # (channels, height, width) of each sample for the image layers
IMAGE_MODULES = {
    "Conv2d": lambda: nn.Conv2d(2, 3, 3, padding=1), "MaxPool2d": lambda: nn.MaxPool2d(2),
    "AvgPool2d": lambda: nn.AvgPool2d(3), "BatchNorm2d": _batchnorm(nn.BatchNorm2d),
    "Flatten": nn.Flatten,
}

def _conv_on_data_case(rng, n):
    """A first convolution: its input is data, so the layer sees the constant patch matrix."""
    conv = nn.Conv2d(2, 3, 3, padding=1)
    out = conv(tg.Tensor(rng.normal(size=(n, *IMAGE))))
    upstream = rng.normal(size=out.shape)
    (out * tg.Tensor(upstream)).sum().backward()
    node = out._ctx
    while node.name != "MatMul":  # down to the matmul; its first input is the patch matrix
        node = node.inputs[0]._ctx
    patches = node.inputs[0].data
    values = {"x": patches, "W": conv.weight.data, "b": conv.bias.data, "out": out.data}
    return upstream, values, {"W": conv.weight.grad.data, "b": conv.bias.grad.data}


LOSSES = {
    "mse_loss": (F.mse_loss, "targets"), "l1_loss": (F.l1_loss, "targets"),
    "binary_cross_entropy": (F.binary_cross_entropy, "probabilities"),
    "binary_cross_entropy_with_logits": (F.binary_cross_entropy_with_logits, "targets"),
    "cross_entropy": (F.cross_entropy, "labels"), "nll_loss": (F.nll_loss, "log_probabilities"),
}
CASES = {
    **{("module", name): (MODULE_RULES[name], _module_case(make)) for name, make in MODULES.items()},
    **{("module", name): (MODULE_RULES[name], _module_case(make, IMAGE))
       for name, make in IMAGE_MODULES.items()},
    ("module", "BatchNorm1d"): (MODULE_RULES["BatchNorm1d"],
                                _module_case(_batchnorm(nn.BatchNorm1d), min_batch=2)),
    ("module", "Conv2d-on-data"): (nn.Conv2d.layer_rule.data_input, _conv_on_data_case),
    ("module", "Conv2d-unpadded"): (MODULE_RULES["Conv2d"],
                                    _module_case(lambda: nn.Conv2d(2, 3, 2, bias=False), IMAGE)),
    **{("loss", name): (F.LOSS_RULES[name], _loss_case(*spec)) for name, spec in LOSSES.items()},
    **{("Dense", name): (rule, _dense_case(name))
       for name, rule in keras.layers.Dense.layer_rules.items()},
}


def test_every_declared_rule_has_a_case_here():
    assert set(MODULE_RULES) == set(MODULES) | set(IMAGE_MODULES) | {"BatchNorm1d"}
    assert set(F.LOSS_RULES) == set(LOSSES)
    assert {name for kind, name in CASES if kind == "Dense"} == set(keras.layers.Dense.layer_rules)


@pytest.mark.parametrize("key", sorted(CASES), ids=lambda k: f"{k[0]}-{k[1]}")
@settings(max_examples=examples(12), deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 6))
def test_each_rule_line_equals_the_engine_gradient(key, seed, n):
    tg.set_default_dtype(np.float64)  # Keras layers make float64 weights too (reset after the test)
    rule, run = CASES[key]
    upstream, values, grads = run(np.random.default_rng(seed), n)
    assert rule.grads, key
    for line in rule.grads:
        if line.wrt == "z":  # checked on its own below (the engine keeps no .grad for it)
            continue
        if line.wrt not in grads:  # a parameter the layer was built without
            continue
        expected = grads[line.wrt]
        got = line.numpy(upstream, **values)
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12, err_msg=f"{key}: {line.text}")


@pytest.mark.parametrize("activation", sorted(keras.layers.Dense.layer_rules))
def test_dense_pre_activation_rule_is_the_gradient_the_engine_gives_z(activation, float64_default):
    rule = keras.layers.Dense.layer_rules[activation]
    rng = np.random.default_rng(activation.__len__())
    z = tg.Tensor(rng.normal(size=(5, N_OUT)), requires_grad=True)
    out = nn.layers.ACTIVATIONS[activation]()(z)
    upstream = rng.normal(size=out.shape)
    (out * tg.Tensor(upstream)).sum().backward()
    through = [line for line in rule.grads if line.wrt == "z"]
    if activation in ("linear", "identity"):
        assert not through  # no activation: δ goes straight into the matrix rules
        return
    got = through[0].numpy(upstream, x=None, z=z.data, out=out.data)
    np.testing.assert_allclose(got, z.grad.data, rtol=1e-9, atol=1e-12)


def test_a_wrong_rule_is_caught(float64_default):
    """The check can fail: a rule with a dropped transpose differs from the engine."""
    rule, run = CASES[("module", "Linear")]
    upstream, values, grads = run(np.random.default_rng(1), 5)
    wrong = upstream.T @ values["x"] * 2.0
    assert not np.allclose(wrong, grads["W"])
    np.testing.assert_allclose(rule.grads[0].numpy(upstream, **values), grads["W"], rtol=1e-9)


def test_rule_texts_name_their_roles_and_are_filled_in():
    assert rule_for("fc1: Linear(4→16)") is nn.Linear.layer_rule
    assert rule_for("dense: Dense(2→4, sigmoid)") is keras.layers.Dense.layer_rules["sigmoid"]
    assert rule_for("cross_entropy") is F.CROSS_ENTROPY_RULE
    assert rule_for("head: MyBlock") is None
    text = nn.Linear.layer_rule.fill("∂L/∂{W} = δᵀ·{x}", {"W": "W1", "x": "a0"})
    assert text == "∂L/∂W1 = δᵀ·a0"


def test_conv_and_pool_calls_get_their_rules_only_for_the_settings_the_texts_assume():
    """Stride-1 convolutions and tiling pools print their rules; a strided call does not."""
    from tinygrad_edu.viz.layers import layer_view

    tg.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(2, 2, 3, stride=2), nn.Flatten(), nn.Linear(2, 3))
    loss = F.cross_entropy(model(tg.randn(4, 1, 8, 8)), np.array([0, 1, 2, 0]))
    view = layer_view(loss, tg.explain(loss))
    ruled = {layer.name: layer.rule for layer in view.layers}
    assert ruled["2"] is nn.MaxPool2d.layer_rule
    assert ruled["3"] is None  # stride 2: the texts are written for stride 1
    conv = view.layer("0")
    assert conv.rule is nn.Conv2d.layer_rule.data_input  # on data: the patch-matrix form
    assert conv.grad("W").text == "∂L/∂W1 = δᵀ·x   (the input convolved with the upstream gradient)"
    assert view.layer("3").rule is None
    loss.backward()
    np.testing.assert_allclose(conv.grad("W").value, model[0].weight.grad.data, rtol=1e-12)
