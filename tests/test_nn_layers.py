"""Layers: output shapes and values, Dropout, Embedding, activations, input errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F


@settings(max_examples=25, deadline=None)
@given(batch=st.integers(1, 5), n_in=st.integers(1, 6), n_out=st.integers(1, 6), bias=st.booleans())
def test_linear_shape_and_value(batch, n_in, n_out, bias):
    layer = nn.Linear(n_in, n_out, bias=bias)
    assert layer.weight.shape == (n_out, n_in)  # PyTorch's layout
    x = tg.randn(batch, n_in)
    y = layer(x)
    expected = x.data @ layer.weight.data.T + (layer.bias.data if bias else 0)
    assert y.shape == (batch, n_out)
    np.testing.assert_allclose(y.data, expected, rtol=1e-5, atol=1e-6)
    assert layer.num_parameters() == n_in * n_out + (n_out if bias else 0)


def test_linear_gradients_match_finite_differences():
    layer = nn.Linear(3, 2).double()
    x = tg.randn(4, 3, dtype=np.float64)
    assert tg.gradcheck(lambda x, w, b: F.linear(x, w, b).tanh(), [x, layer.weight, layer.bias])


def test_linear_accepts_arrays_and_extra_batch_dimensions():
    layer = nn.Linear(3, 2)
    assert layer(np.ones((2, 5, 3))).shape == (2, 5, 2)
    assert layer(np.ones(3)).shape == (2,)
    assert layer(np.ones((4, 3))).dtype == np.float32  # arrays take the weight's dtype


def test_linear_bad_input_names_shapes():
    with pytest.raises(ValueError, match=r"shape \(5, 3\).*weight has shape \(8, 4\).*4 features"):
        nn.Linear(4, 8)(tg.randn(5, 3))
    with pytest.raises(ValueError, match="positive integer"):
        nn.Linear(0, 3)
    with pytest.raises(ValueError, match="unknown init 'glorious'"):
        nn.Linear(2, 2, init="glorious")


def test_linear_default_init_is_pytorch_uniform():
    layer = nn.Linear(400, 300, rng=np.random.default_rng(0))
    bound = 1 / np.sqrt(400)
    for p in (layer.weight, layer.bias):
        assert np.abs(p.data).max() <= bound
        assert np.abs(p.data).max() > 0.95 * bound
    # U(-a, a) has std a/sqrt(3)
    np.testing.assert_allclose(layer.weight.data.std(), bound / np.sqrt(3), rtol=0.02)


def test_linear_named_inits():
    rng = np.random.default_rng(0)
    he = nn.Linear(500, 400, init="he", rng=rng)
    np.testing.assert_allclose(he.weight.data.std(), np.sqrt(2 / 500), rtol=0.02)
    assert (he.bias.data == 0).all()
    xavier = nn.Linear(500, 300, init="xavier", rng=rng)
    np.testing.assert_allclose(xavier.weight.data.std(), np.sqrt(2 / 800), rtol=0.02)
    small = nn.Linear(500, 300, init="small", rng=rng)
    np.testing.assert_allclose(small.weight.data.std(), 0.01, rtol=0.02)
    assert (nn.Linear(3, 3, init="zeros").weight.data == 0).all()
    custom = nn.Linear(3, 2, init=lambda w: nn.init.constant_(w, 0.25))
    assert (custom.weight.data == 0.25).all() and (custom.bias.data == 0).all()


def test_linear_init_is_reproducible_with_seed_or_rng():
    tg.manual_seed(3)
    a = nn.Linear(4, 4)
    tg.manual_seed(3)
    b = nn.Linear(4, 4)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    c = nn.Linear(4, 4, rng=np.random.default_rng(9))
    d = nn.Linear(4, 4, rng=np.random.default_rng(9))
    np.testing.assert_array_equal(c.weight.data, d.weight.data)


@pytest.mark.parametrize("module, fn", [
    (nn.ReLU(), lambda x: np.maximum(x, 0)),
    (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
    (nn.Tanh(), np.tanh),
    (nn.LeakyReLU(), lambda x: np.where(x > 0, x, 0.01 * x)),
    (nn.LeakyReLU(alpha=0.1), lambda x: np.where(x > 0, x, 0.1 * x)),
    (nn.Softmax(axis=-1), lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True)),
    (nn.Softmax(dim=0), lambda x: np.exp(x) / np.exp(x).sum(0, keepdims=True)),
    (nn.LogSoftmax(), lambda x: x - np.log(np.exp(x).sum(-1, keepdims=True))),
    (nn.Identity(), lambda x: x),
])
def test_activation_modules(module, fn):
    x = np.random.default_rng(0).normal(size=(3, 4))
    out = module(tg.Tensor(x))
    assert out.shape == x.shape
    np.testing.assert_allclose(out.data, fn(x), rtol=1e-10, atol=1e-12)


def test_flatten():
    x = tg.randn(2, 3, 4, 5)
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 1)(x).shape == (6, 4, 5)
    assert nn.Flatten(start_dim=2)(x).shape == (2, 3, 20)


# -- dropout ---------------------------------------------------------------------------------------
def test_dropout_train_scales_and_eval_passes_through():
    drop = nn.Dropout(0.25, rng=np.random.default_rng(0))
    x = tg.ones(200, 500)
    y = drop(x).data
    kept = y != 0
    assert set(np.unique(y)) == {0.0, np.float32(1 / 0.75)}  # survivors are scaled by 1/(1-p)
    assert abs(kept.mean() - 0.75) < 0.01
    assert abs(y.mean() - 1.0) < 0.02  # the expectation is kept
    drop.eval()
    assert drop(x) is x
    assert F.dropout(x, 0.5, training=False) is x


def test_dropout_gradient_is_the_mask():
    x = tg.Tensor(np.ones((10, 10), dtype=np.float32), requires_grad=True)
    y = F.dropout(x, 0.5, rng=np.random.default_rng(1))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, y.data)  # d(x*m/(1-p))/dx = m/(1-p), x = 1


def test_dropout_edge_probabilities_and_global_generator():
    x = tg.randn(4, 4)
    assert F.dropout(x, 0.0) is x
    assert (F.dropout(x, 1.0).data == 0).all()
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        nn.Dropout(1.5)
    tg.manual_seed(5)
    a = nn.Dropout(0.5)(x).data
    tg.manual_seed(5)
    b = nn.Dropout(0.5)(x).data
    np.testing.assert_array_equal(a, b)


# -- embedding --------------------------------------------------------------------------------------
def test_embedding_lookup_and_repeated_index_gradient():
    emb = nn.Embedding(5, 3, rng=np.random.default_rng(0))
    idx = tg.Tensor(np.array([[1, 3], [1, 1]]))
    out = emb(idx)
    assert out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out.data[1, 0], emb.weight.data[1])
    weights = np.arange(12, dtype=np.float32).reshape(2, 2, 3)
    (out * tg.Tensor(weights)).sum().backward()
    expected = np.zeros((5, 3), dtype=np.float32)
    expected[1] = weights[0, 0] + weights[1, 0] + weights[1, 1]  # token 1 used three times
    expected[3] = weights[0, 1]
    np.testing.assert_array_equal(emb.weight.grad.data, expected)


def test_embedding_errors():
    emb = nn.Embedding(4, 2)
    with pytest.raises(TypeError, match="integer token indices"):
        emb(tg.Tensor([0.0, 1.0]))
    with pytest.raises(IndexError, match="4 rows"):
        emb(np.array([0, 4]))
    assert emb([0, 3]).shape == (2, 2)
    assert repr(emb) == "Embedding(4, 2)"


def test_sequential_mlp_shapes():
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.ReLU(), nn.Dropout(0.1),
                          nn.Linear(8, 3), nn.LogSoftmax())
    out = model(tg.randn(7, 3, 4))
    assert out.shape == (7, 3)
    np.testing.assert_allclose(np.exp(out.data).sum(1), 1.0, rtol=1e-5)
