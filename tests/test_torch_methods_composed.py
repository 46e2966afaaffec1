"""The PyTorch Tensor methods and top-level functions that are compositions (composed.py,
functional.py): values against NumPy/torch, gradients against finite differences in float64,
and the in-place methods' rules."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import tinygrad_edu as tg
from tinygrad_edu import Tensor

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")
X = np.array([[0.5, -1.5, 2.0], [3.0, 0.25, -0.75]])
finite = arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 4)),
                elements=st.floats(-3, 3, allow_nan=False, width=64))


@pytest.mark.parametrize("fn", [
    lambda t: t.norm(), lambda t: t.norm(1), lambda t: t.norm(dim=1), lambda t: t.norm(3, dim=0),
    lambda t: t.logsumexp(1), lambda t: t.logsumexp(0, keepdim=True),
    lambda t: t.masked_fill(Tensor(X < 0), 0.0), lambda t: t.amax(1), lambda t: t.amin(0),
    lambda t: t.neg(), lambda t: t.mT, lambda t: tg.outer(t[0], t[1]), lambda t: tg.dot(t[0], t[1]),
    lambda t: tg.sum(t, dim=1), lambda t: tg.mean(t, 0, keepdim=True), lambda t: tg.var(t, 1),
    lambda t: tg.std(t, dim=0), lambda t: tg.max(t, 1).values, lambda t: tg.min(t),
    lambda t: tg.transpose(t, 0, 1), lambda t: tg.permute(t, (1, 0)), lambda t: tg.flatten(t),
    lambda t: tg.unsqueeze(t, 0), lambda t: tg.squeeze(tg.unsqueeze(t, 1), 1),
    lambda t: tg.broadcast_to(t[0], (2, 3)),
])
def test_compositions_have_correct_gradients(fn):
    assert tg.gradcheck(fn, [Tensor(X)])


@given(finite)
@settings(max_examples=40, deadline=None)
def test_logsumexp_matches_the_naive_formula_and_survives_huge_values(a):
    expected = np.log(np.exp(a).sum(axis=1))
    np.testing.assert_allclose(Tensor(a).logsumexp(1).data, expected, rtol=1e-12, atol=1e-12)
    shifted = Tensor(a + 1000.0).logsumexp(1).data  # exp(1000) overflows; the shift does not
    np.testing.assert_allclose(shifted, expected + 1000.0, rtol=1e-12)


def test_values_of_the_constant_methods():
    t = Tensor(np.array([-1.5, -0.5, 0.0, 0.5, 2.5, np.nan, np.inf]))
    assert t.sign().data[:5].tolist() == [-1, -1, 0, 1, 1]
    assert t.floor().data[:5].tolist() == [-2, -1, 0, 0, 2]
    assert t.ceil().data[:5].tolist() == [-1, -0, 0, 1, 3]
    assert t.round().data[:5].tolist() == [-2, -0, 0, 0, 2]  # half to even, as NumPy and torch
    assert t.isnan().tolist() == [False] * 5 + [True, False]
    assert t.isinf().tolist() == [False] * 6 + [True] and t.isfinite().tolist() == [True] * 5 + [False] * 2
    assert Tensor([[1, 0], [1, 1]]).all(1).tolist() == [False, True] and Tensor([0, 1]).any().item()
    x = Tensor([1.5, -2.0], requires_grad=True)
    assert x.floor().requires_grad is False  # derivative 0 almost everywhere: a constant


def test_max_and_min_follow_pytorch_forms():
    t = Tensor(X)
    assert t.max().item() == 3.0 and t.max(axis=0).tolist() == [3.0, 0.25, 2.0]
    values, indices = t.max(1)
    assert values.tolist() == [2.0, 3.0] and indices.tolist() == [2, 0]
    assert t.min(dim=0, keepdim=True).indices.tolist() == [[0, 0, 1]]
    assert t.max(Tensor(1.0)).tolist() == [[1.0, 1.0, 2.0], [3.0, 1.0, 1.0]]  # torch.max(a, b)
    assert tg.min(t, Tensor(0.0)).tolist() == [[0.0, -1.5, 0.0], [0.0, 0.0, -0.75]]


def test_torch_var_and_std_functions_use_bessels_correction():
    t = Tensor(X)
    np.testing.assert_allclose(tg.var(t, 1).data, X.var(axis=1, ddof=1))
    np.testing.assert_allclose(tg.std(t).data, X.std(ddof=1))
    np.testing.assert_allclose(t.var(axis=1).data, X.var(axis=1))  # the method keeps NumPy's ddof=0


@needs_torch
def test_same_numbers_as_torch():
    ours, theirs = Tensor(X), torch.tensor(X)
    pairs = [
        (ours.norm(), theirs.norm()), (ours.norm(1, dim=0), theirs.norm(1, dim=0)),
        (ours.logsumexp(1), theirs.logsumexp(1)), (tg.var(ours, 1), torch.var(theirs, 1)),
        (ours.masked_fill(ours < 0, -9.0), theirs.masked_fill(theirs < 0, -9.0)),
        (tg.outer(ours[0], ours[1]), torch.outer(theirs[0], theirs[1])),
        (tg.max(ours, 1).indices, torch.max(theirs, 1).indices), (ours.amax(0), theirs.amax(0)),
    ]
    for a, b in pairs:
        np.testing.assert_allclose(a.data, b.numpy(), rtol=1e-12)


def test_in_place_methods_change_the_tensor_itself_outside_recording():
    w = Tensor([1.0, 2.0], requires_grad=True)
    same = w
    with tg.no_grad():
        assert w.add_(1.0).sub_(Tensor([0.5, 0.5]), alpha=2).mul_(3).div_(2) is w
        w.clamp_(max=2.0)
    assert same.tolist() == [1.5, 2.0] and w.requires_grad
    plain = Tensor([0.0, 0.0])
    plain.add_(5.0)  # needs no gradient: allowed while recording
    assert plain.tolist() == [5.0, 5.0]


def test_in_place_on_a_leaf_that_requires_grad_is_refused_while_recording():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"add_ on .* a leaf that requires grad.*no_grad"):
        w.add_(1.0)
    assert w.tolist() == [1.0, 2.0]


def test_in_place_on_a_graph_tensor_is_recorded_as_pytorch_records_it():
    a = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = a * 2
    same = b
    b.mul_(3).add_(a)  # b = (a·2)·3 + a, the same object
    assert same is b and b.tolist() == [7.0, 14.0] and b.grad_fn.name() == "AddBackward0"
    b.sum().backward()
    assert a.grad.tolist() == [7.0, 7.0]
    assert tg.gradcheck(lambda x: (x * 2).mul_(x).sub_(x, alpha=3), [Tensor(X)])


def test_in_place_into_a_constant_with_a_gradient_makes_it_part_of_the_graph():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    total = tg.zeros(2, dtype=tg.float64)
    total.add_(w * w)
    assert total.requires_grad
    total.sum().backward()
    assert w.grad.tolist() == [2.0, 4.0]


def test_in_place_on_a_tensor_another_op_already_used_is_refused():
    a = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = a * 2
    c = b + 1  # noqa: F841  (Add holds b: changing b would reroute c's gradient)
    with pytest.raises(RuntimeError, match=r"mul_ on .*the recorded op Add already used it.*clone"):
        b.mul_(3)
    assert b.tolist() == [2.0, 4.0]


def test_in_place_keeps_dtype_and_shape_rules():
    ints = Tensor([1, 2])
    with pytest.raises(TypeError, match=r"add_: the result has dtype float32.*int64.*cannot hold"):
        ints.add_(0.5)
    with pytest.raises(ValueError, match="cannot change the shape"):
        Tensor([1.0, 2.0]).add_(Tensor([[1.0], [2.0]]))


def test_random_fills_follow_manual_seed():
    tg.manual_seed(3)
    a = tg.zeros(4).normal_(0.0, 2.0).tolist()
    tg.manual_seed(3)
    assert tg.zeros(4).normal_(0.0, 2.0).tolist() == a
    u = tg.zeros(1000).uniform_(-1, 1).data
    assert u.min() >= -1 and u.max() < 1 and len(set(a)) == 4


def test_new_tensors_take_this_dtype():
    d = Tensor(np.zeros(2))
    assert d.new_zeros(2, 3).dtype == np.float64 and d.new_zeros((2, 3)).shape == (2, 3)
    assert d.new_ones(2).tolist() == [1.0, 1.0] and d.new_full((2,), 7).tolist() == [7.0, 7.0]
    assert d.new_tensor([1, 2]).dtype == np.float64 and d.new_tensor([1], dtype=tg.long).dtype == np.int64
    assert Tensor([1, 2]).type_as(d).dtype == np.float64
    assert Tensor([[1.0]]).expand_as(Tensor(X)).shape == (2, 3)
    assert Tensor(np.arange(6.0)).view_as(Tensor(X)).shape == (2, 3)
    assert d.nelement() == 2 and Tensor(X).ndimension() == 2 and d.element_size() == 8


def test_masked_fill_and_half_explain_misuse():
    with pytest.raises(TypeError, match="mask must be a bool tensor"):
        Tensor(X).masked_fill(Tensor([[1, 0, 1], [0, 1, 0]]), 0.0)
    with pytest.raises(TypeError, match="float16 is not supported"):
        Tensor(X).half()
    with pytest.raises(ValueError, match="norm: p must be"):
        Tensor(X).norm(-1)
    with pytest.raises(ValueError, match="dot: needs two vectors"):
        tg.dot(Tensor(X), Tensor(X))


def test_tensor_constructor_takes_a_device():
    assert Tensor([1.0], device="cpu").device == tg.device("cpu")
    assert Tensor([1.0], device=tg.device("cpu")).tolist() == [1.0]
    with pytest.raises(RuntimeError, match="only device is 'cpu'"):
        Tensor([1.0], device="cuda:0")


def test_star_import_keeps_sum_max_min_abs_round_pow():
    names: dict = {}
    exec("from tinygrad_edu import *", names)
    assert not {"sum", "max", "min", "abs", "round", "pow"} & set(names)
    assert tg.sum is tg.functional.sum and names["logsumexp"] is tg.logsumexp
