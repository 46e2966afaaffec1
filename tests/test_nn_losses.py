"""Losses: each against its formula in NumPy, finite differences, extreme inputs, PyTorch, errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F

REDUCTIONS = ("mean", "sum", "none")


def reduce_np(loss, reduction):
    return {"mean": loss.mean(), "sum": loss.sum(), "none": loss}[reduction]


def sigmoid_np(x):
    return 1 / (1 + np.exp(-x))


def log_softmax_np(x):
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))


shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
floats = st.floats(-5, 5, allow_nan=False, width=64)


def pair(shape, low=-5.0, high=5.0, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(low, high, size=shape), rng.uniform(0, 1, size=shape)


# -- values against the formulas ------------------------------------------------------------------
@settings(max_examples=20, deadline=None)
@given(shape=shapes, seed=st.integers(0, 1000), reduction=st.sampled_from(REDUCTIONS))
def test_regression_losses_match_formula(shape, seed, reduction):
    x, y = pair(shape, seed=seed)
    got = F.mse_loss(tg.Tensor(x), tg.Tensor(y), reduction=reduction)
    np.testing.assert_allclose(got.data, reduce_np((x - y) ** 2, reduction), rtol=1e-12)
    got = F.l1_loss(tg.Tensor(x), tg.Tensor(y), reduction=reduction)
    np.testing.assert_allclose(got.data, reduce_np(np.abs(x - y), reduction), rtol=1e-12)


@settings(max_examples=20, deadline=None)
@given(shape=shapes, seed=st.integers(0, 1000), reduction=st.sampled_from(REDUCTIONS))
def test_binary_losses_match_formula(shape, seed, reduction):
    logits, y = pair(shape, seed=seed)
    y = np.round(y) if seed % 2 else y  # hard and soft labels
    p = sigmoid_np(logits)
    expected = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    got = F.binary_cross_entropy(tg.Tensor(p), tg.Tensor(y), reduction=reduction)
    np.testing.assert_allclose(got.data, reduce_np(expected, reduction), rtol=1e-10)
    got = F.binary_cross_entropy_with_logits(tg.Tensor(logits), tg.Tensor(y), reduction=reduction)
    np.testing.assert_allclose(got.data, reduce_np(expected, reduction), rtol=1e-10)


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 5), c=st.integers(2, 5), seed=st.integers(0, 1000),
       reduction=st.sampled_from(REDUCTIONS))
def test_class_losses_match_formula(n, c, seed, reduction):
    rng = np.random.default_rng(seed)
    logits = rng.normal(scale=3, size=(n, c))
    labels = rng.integers(0, c, size=n)
    expected = -log_softmax_np(logits)[np.arange(n), labels]
    got = F.cross_entropy(tg.Tensor(logits), tg.Tensor(labels), reduction=reduction)
    np.testing.assert_allclose(got.data, reduce_np(expected, reduction), rtol=1e-10)
    got = F.nll_loss(tg.Tensor(log_softmax_np(logits)), labels, reduction=reduction)
    np.testing.assert_allclose(got.data, reduce_np(expected, reduction), rtol=1e-10)
    probs = rng.dirichlet(np.ones(c), size=n)  # soft targets
    expected = -(probs * log_softmax_np(logits)).sum(-1)
    got = F.cross_entropy(tg.Tensor(logits), tg.Tensor(probs), reduction=reduction)
    np.testing.assert_allclose(got.data, reduce_np(expected, reduction), rtol=1e-10)


def test_cross_entropy_one_hot_equals_labels_and_unbatched():
    logits = tg.Tensor(np.array([[2.0, -1.0, 0.5], [0.1, 0.2, 0.3]]))
    labels = np.array([0, 2])
    one_hot = np.eye(3)[labels]
    np.testing.assert_allclose(F.cross_entropy(logits, one_hot).data,
                               F.cross_entropy(logits, labels).data, rtol=1e-12)
    single = F.cross_entropy(tg.Tensor(np.array([2.0, -1.0, 0.5])), np.array(0))
    np.testing.assert_allclose(single.data, F.cross_entropy(logits, labels, reduction="none").data[0])


def test_loss_modules_match_functions():
    rng = np.random.default_rng(0)
    x = tg.Tensor(rng.normal(size=(4, 3)), requires_grad=True)
    y = tg.Tensor(rng.uniform(size=(4, 3)))
    labels = np.array([0, 2, 1, 1])
    pairs = [
        (nn.MSELoss(), F.mse_loss, x, y), (nn.L1Loss(), F.l1_loss, x, y),
        (nn.BCELoss(), F.binary_cross_entropy, x.sigmoid(), y),
        (nn.BCEWithLogitsLoss(), F.binary_cross_entropy_with_logits, x, y),
        (nn.CrossEntropyLoss(), F.cross_entropy, x, labels),
        (nn.NLLLoss(), F.nll_loss, x.log_softmax(), labels),
    ]
    for module, fn, a, b in pairs:
        np.testing.assert_array_equal(module(a, b).data, fn(a, b).data)
        assert module(a, b)._ctx.scope == (type(module).__name__,)  # one box in graph pictures
    summed = nn.CrossEntropyLoss(reduction="sum")(x, labels)
    np.testing.assert_allclose(summed.data, 4 * F.cross_entropy(x, labels).data)
    assert repr(nn.MSELoss(reduction="none")) == "MSELoss(reduction='none')"
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="average")


# -- gradients against finite differences (float64) ----------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_loss_gradients_match_finite_differences(reduction):
    rng = np.random.default_rng(1)
    x = tg.Tensor(rng.normal(size=(3, 4)))
    soft = tg.Tensor(rng.uniform(0.05, 0.95, size=(3, 4)))
    probs = tg.Tensor(rng.uniform(0.05, 0.95, size=(3, 4)))
    labels = tg.Tensor(np.array([3, 0, 1]))
    target = tg.Tensor(rng.dirichlet(np.ones(4), size=3))
    r = reduction
    assert tg.gradcheck(lambda a, b: F.mse_loss(a, b, reduction=r), [x, soft])
    assert tg.gradcheck(lambda a, b: F.l1_loss(a, b, reduction=r), [x, soft])  # x != soft
    assert tg.gradcheck(lambda a, b: F.binary_cross_entropy(a, b, reduction=r), [probs, soft])
    assert tg.gradcheck(lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction=r), [x, soft])
    assert tg.gradcheck(lambda a: F.cross_entropy(a, labels, reduction=r), [x])
    assert tg.gradcheck(lambda a, b: F.cross_entropy(a, b, reduction=r), [x, target])
    assert tg.gradcheck(lambda a: F.nll_loss(a.log_softmax(), labels, reduction=r), [x])


def test_bce_with_logits_gradient_at_zero_is_sigmoid_minus_target():
    x = tg.Tensor(np.zeros(3), requires_grad=True)
    F.binary_cross_entropy_with_logits(x, np.array([0.0, 1.0, 0.3]), reduction="sum").backward()
    np.testing.assert_allclose(x.grad.data, [0.5, -0.5, 0.2], atol=1e-15)


def test_nll_loss_gradient_with_repeated_labels():
    logp = tg.Tensor(np.zeros((4, 3)), requires_grad=True)
    F.nll_loss(logp, np.array([1, 1, 2, 1]), reduction="sum").backward()
    expected = np.zeros((4, 3))
    expected[[0, 1, 2, 3], [1, 1, 2, 1]] = -1
    np.testing.assert_array_equal(logp.grad.data, expected)


# -- extreme inputs stay finite ------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_with_logits_extreme_logits(dtype):
    x = tg.Tensor(np.array([1e4, -1e4, 1e4, -1e4], dtype=dtype), requires_grad=True)
    y = np.array([1.0, 0.0, 0.0, 1.0])
    loss = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    np.testing.assert_allclose(loss.data, [0.0, 0.0, 1e4, 1e4])
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.data, [0.0, 0.0, 1.0, -1.0])  # sigmoid(x) - y


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_extreme_logits(dtype):
    x = tg.Tensor(np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]], dtype=dtype), requires_grad=True)
    loss = F.cross_entropy(x, np.array([1, 0]), reduction="none")
    np.testing.assert_allclose(loss.data, [2e4, 2e4 + np.log(2)], rtol=1e-6)
    loss.sum().backward()
    assert np.isfinite(x.grad.data).all()
    np.testing.assert_allclose(x.grad.data, [[1, -1, 0], [-1, 0.5, 0.5]], atol=1e-6)
    probs = F.softmax(x)
    assert np.isfinite(probs.data).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_on_saturated_probabilities_clamps_at_100(dtype):
    p = tg.Tensor(np.array([0.0, 1.0, 0.0, 1.0, 1e-40, 0.5], dtype=dtype), requires_grad=True)
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 1.0])
    loss = F.binary_cross_entropy(p, y, reduction="none")
    assert np.isfinite(loss.data).all()
    np.testing.assert_allclose(loss.data[:4], [100.0, 100.0, 0.0, 0.0])
    assert 85 < loss.data[4] <= 100  # log(1e-40) = -92.1 (float32 stores 1e-40 as a subnormal)
    loss.sum().backward()
    assert np.isfinite(p.grad.data).all()
    np.testing.assert_allclose(p.grad.data[5], -2.0, rtol=1e-6)


def test_bce_through_a_saturated_sigmoid_stays_finite():
    x = tg.Tensor(np.array([-1e4, 1e4, -90.0], dtype=np.float32), requires_grad=True)
    loss = F.binary_cross_entropy(x.sigmoid(), np.array([1.0, 0.0, 1.0]))
    loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(x.grad.data).all()


# -- errors ----------------------------------------------------------------------------------------------
def test_cross_entropy_errors_say_what_to_do():
    logits = tg.randn(4, 3)
    with pytest.raises(ValueError, match="label 3 is out of range for 3 classes"):
        F.cross_entropy(logits, np.array([0, 1, 2, 3]))
    with pytest.raises(ValueError, match="label -1 is out of range"):
        F.cross_entropy(logits, np.array([0, -1, 2, 1]))
    with pytest.raises(TypeError, match=r"must be integers.*astype\(np.int64\)"):
        F.cross_entropy(logits, np.array([0.0, 1.0, 2.0, 1.0]))
    with pytest.raises(ValueError, match=r"shape \(4,\).*\(5,\).*batch sizes differ"):
        F.cross_entropy(logits, np.array([0, 1, 2, 1, 0]))
    with pytest.raises(ValueError, match=r"probability targets must have the input's shape \(4, 3\)"):
        F.cross_entropy(logits, np.ones((4, 2)) / 2)
    with pytest.raises(ValueError, match=r"\(batch, classes\)"):
        F.cross_entropy(tg.randn(2, 3, 4), np.zeros(2, dtype=int))
    with pytest.raises(ValueError, match="out of range"):
        F.nll_loss(logits.log_softmax(), [5, 0, 0, 0])


def test_elementwise_loss_errors():
    with pytest.raises(ValueError, match=r"input shape \(4, 1\) and target shape \(4,\).*reshape"):
        F.mse_loss(tg.randn(4, 1), tg.randn(4))
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.mse_loss(tg.randn(2), tg.randn(2), reduction="avg")
    with pytest.raises(ValueError, match="binary_cross_entropy_with_logits"):
        F.binary_cross_entropy(tg.Tensor([2.0, -1.0]), tg.Tensor([1.0, 0.0]))
    with pytest.raises(ValueError, match="target must lie in"):
        F.binary_cross_entropy_with_logits(tg.Tensor([2.0]), tg.Tensor([2.0]))


# -- against PyTorch ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_losses_match_pytorch(reduction):
    torch = pytest.importorskip("torch")
    tF = torch.nn.functional
    rng = np.random.default_rng(7)
    x = rng.normal(scale=4, size=(5, 3))
    soft = rng.uniform(size=(5, 3))
    labels = rng.integers(0, 3, size=5)
    target = rng.dirichlet(np.ones(3), size=5)
    probs = sigmoid_np(x)
    probs[0, 0], probs[1, 1] = 0.0, 1.0  # the clamped logs
    cases = [
        (F.mse_loss, tF.mse_loss, x, soft), (F.l1_loss, tF.l1_loss, x, soft),
        (F.binary_cross_entropy, tF.binary_cross_entropy, probs, soft),
        (F.binary_cross_entropy_with_logits, tF.binary_cross_entropy_with_logits, x * 100, soft),
        (F.cross_entropy, tF.cross_entropy, x, labels),
        (F.cross_entropy, tF.cross_entropy, x * 1000, target),
        (F.nll_loss, tF.nll_loss, log_softmax_np(x), labels),
    ]
    for ours, theirs, a, b in cases:
        ta = torch.tensor(a, requires_grad=True)
        tb = torch.tensor(b)
        expected = theirs(ta, tb, reduction=reduction)
        mine = tg.Tensor(a, requires_grad=True)
        got = ours(mine, b, reduction=reduction)
        np.testing.assert_allclose(got.data, expected.detach().numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=ours.__name__)
        seed = rng.normal(size=got.shape)
        got.backward(seed)
        expected.backward(torch.tensor(seed))
        if ours is F.binary_cross_entropy:  # PyTorch divides by max(p(1-p), 1e-12) at 0 and 1
            keep = (a > 0) & (a < 1)
            np.testing.assert_allclose(mine.grad.data[keep], ta.grad.numpy()[keep], rtol=1e-9)
        else:
            np.testing.assert_allclose(mine.grad.data, ta.grad.numpy(), rtol=1e-9, atol=1e-12,
                                       err_msg=ours.__name__)
