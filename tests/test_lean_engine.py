"""The lean eager engine keeps its promises: checks where they matter, same numbers, same names.

The engine trusts its own ops (no per-gradient shape check outside anomaly mode), builds
broadcast views by hand, and gives parameter names only when the module tree changes.
These tests pin what must not change with that: your ops are still checked, anomaly mode
still checks everything, broadcast views are NumPy's, and picture names stay right.
"""

from __future__ import annotations

from collections import OrderedDict

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.custom_function import PyTorchStyleNode
from tinygrad_edu.ops import activations, elementwise, linalg, reduce
from tinygrad_edu.ops import shape as shape_ops
from tinygrad_edu.ops.shape import broadcast_view


def f64(values, requires_grad=True):
    return tg.Tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


# -- which ops are trusted ---------------------------------------------------------------------------
def test_only_the_engines_own_ops_are_builtin():
    for op in (elementwise.Add, elementwise.Mul, activations.Sigmoid, linalg.MatMul,
               reduce.Sum, shape_ops.BroadcastTo):
        assert op.builtin, op.__name__

    class Mine(tg.Function):
        def forward(ctx, x):
            return x

        def backward(ctx, grad_out):
            return grad_out

    assert not Mine.builtin and not PyTorchStyleNode.builtin


def test_a_custom_op_still_gets_its_gradient_shape_checked():
    class Squash(tg.Function):
        def forward(ctx, x):
            return x.sum(axis=0)

        def backward(ctx, grad_out):
            return grad_out  # wrong: shape (3,) for an input of shape (2, 3)

    x = f64(np.ones((2, 3)))
    with pytest.raises(RuntimeError, match=r"Squash.backward returned a gradient of shape \(3,\) "
                                           r"for input 0, whose shape is \(2, 3\)"):
        Squash.apply(x).sum().backward()


def test_a_custom_op_still_gets_its_gradient_count_and_dtype_checked():
    class Pair(tg.Function):
        def forward(ctx, x, y):
            return x * y

        def backward(ctx, grad_out):
            return grad_out.data.astype(np.float32)  # one array for two inputs

    x, y = f64([1.0, 2.0]), f64([3.0, 4.0])
    with pytest.raises(RuntimeError, match="Pair.backward returned 1 gradients for 2 inputs"):
        Pair.apply(x, y).sum().backward()

    class Scale(tg.Function):
        def forward(ctx, x):
            return 2 * x

        def backward(ctx, grad_out):
            return (grad_out.data * 2).astype(np.float32)  # a plain float32 array

    z = f64([1.0, 2.0])
    Scale.apply(z).sum().backward()
    assert z.grad.dtype == np.float64 and z.grad.tolist() == [2.0, 2.0]


def test_anomaly_mode_checks_the_builtin_ops_too():
    x = f64([0.0, 1.0])
    with np.errstate(divide="ignore"), tg.detect_anomaly(), pytest.raises(
            RuntimeError, match="PowConst.backward produced a non-finite gradient"):
        (x ** 0.5).sum().backward()
    y = f64([0.0, 1.0])
    with np.errstate(divide="ignore"):
        (y ** 0.5).sum().backward()  # outside anomaly mode: inf, as NumPy gives
    assert np.isinf(y.grad.data[0]) and y.grad.data[1] == 0.5


def test_mixed_float_dtypes_still_give_each_input_its_own_dtype():
    w = tg.Tensor(np.ones((3, 2), dtype=np.float32), requires_grad=True)
    b = tg.Tensor(np.zeros(2, dtype=np.float32), requires_grad=True)
    x = tg.Tensor(np.full((4, 3), 0.5))  # float64
    ((x @ w + b) * tg.Tensor(np.float64(3.0))).sigmoid().sum().backward()
    assert w.grad.dtype == np.float32 and b.grad.dtype == np.float32


# -- a broadcast view built from strides ----------------------------------------------------------------
@st.composite
def broadcast_cases(draw):
    target = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4))
    keep = draw(st.integers(0, len(target)))
    tail = target[len(target) - keep:]
    shape = tuple(draw(st.sampled_from((n, 1))) for n in tail)
    values = draw(hnp.arrays(np.float32, shape, elements=st.floats(-4, 4, width=32)))
    return values, target


@given(broadcast_cases(), st.booleans())
def test_broadcast_view_is_numpys_broadcast(case, strided):
    x, target = case
    if strided and x.ndim:  # a non-contiguous input takes NumPy's route, with the same result
        x = np.repeat(x, 2, axis=-1)[..., ::2]
    view = broadcast_view(x, target)
    expected = np.broadcast_to(x, target)
    assert view.shape == expected.shape and view.dtype == x.dtype
    np.testing.assert_array_equal(view, expected)
    assert not view.flags.writeable
    if x.size and view.size:
        assert np.shares_memory(view, x)  # a view, not a copy


def test_broadcast_node_and_its_gradient():
    b = f64([1.0, 2.0, 3.0])
    out = f64(np.ones((2, 3)), requires_grad=False) + b
    assert out._ctx.inputs[1]._ctx.name == "BroadcastTo"  # the picture still shows it
    (out * f64(np.arange(6.0).reshape(2, 3), requires_grad=False)).sum().backward()
    assert b.grad.tolist() == [3.0, 5.0, 7.0]


# -- gradient rules with fewer nodes, same values ---------------------------------------------------------
def test_sum_to_over_leading_axes_is_one_sum():
    g = f64(np.arange(12.0).reshape(3, 4))
    summed = g.sum_to((4,))
    assert summed._ctx.name == "Sum" and summed.tolist() == [12.0, 15.0, 18.0, 21.0]
    inner = g.sum_to((3, 1))  # a size-1 axis kept: Sum with keepdims
    assert inner.tolist() == [[6.0], [22.0], [38.0]]
    both = f64(np.ones((2, 3, 4))).sum_to((3, 1))
    assert both.shape == (3, 1) and both.tolist() == [[8.0]] * 3


def test_square_gradient_is_2x_and_differentiates_again():
    x = f64([-1.5, 0.0, 2.0])
    (g,) = tg.grad((x ** 2).sum(), x, create_graph=True)
    assert g.tolist() == [-3.0, 0.0, 4.0]
    (gg,) = tg.grad(g.sum(), x)
    assert gg.tolist() == [2.0, 2.0, 2.0]
    assert tg.gradgradcheck(lambda t: (t ** 2 * t).sum(), [f64([0.3, -0.7])])


@pytest.mark.parametrize("fn", [
    lambda t: t.sigmoid(), lambda t: t.tanh(), lambda t: t.exp(), lambda t: (t * t + 1.0).log(),
    lambda t: t.sin(), lambda t: t.cos(), lambda t: t.T.reshape(-1) * 2.0,
    lambda t: t @ t.T, lambda t: t.maximum(t * 0.5),
], ids=["sigmoid", "tanh", "exp", "log", "sin", "cos", "transpose-reshape", "matmul", "maximum"])
def test_rules_applying_ops_directly_still_differentiate_twice(fn):
    x = f64(np.array([[0.3, -0.8, 1.1], [0.5, 0.9, -1.3]]))
    assert tg.gradcheck(lambda t: fn(t).sum(), [x])
    assert tg.gradgradcheck(lambda t: fn(t).sum(), [x])


# -- parameter names, given lazily -------------------------------------------------------------------------
def test_names_are_given_again_whenever_the_tree_or_the_caller_changes():
    x = tg.randn(3, 2)
    seq = nn.Sequential(nn.Linear(2, 2))
    seq(x)
    assert seq[0].weight.name == "0.weight"
    seq[0](x)  # called on its own: names relative to it
    assert seq[0].weight.name == "weight"
    seq(x)
    assert seq[0].weight.name == "0.weight"
    seq(x)  # nothing changed: the names stay
    assert [p.name for p in seq.parameters()] == ["0.weight", "0.bias"]
    seq.append(nn.Linear(2, 1))
    seq(x)
    assert [p.name for p in seq.parameters()] == ["0.weight", "0.bias", "1.weight", "1.bias"]
    other = nn.Sequential(OrderedDict(first=seq[0]))  # the same layer adopted elsewhere
    assert seq[0].weight.name == "first.weight"
    seq(x)
    assert seq[0].weight.name == "0.weight"
    seq[1].bias = None  # dropping a parameter changes the tree
    other(x)
    assert seq[0].weight.name == "first.weight"
    out = seq(x)
    assert out._ctx.scope == ("Sequential", "1: Linear(2→1)")
    assert tg.config.Config.scope == ()


# -- scalar constants, made once --------------------------------------------------------------------------
def test_scalar_constants_share_a_read_only_array_and_keep_the_sign_of_zero():
    x = tg.Tensor(np.array([1.0, -2.0], dtype=np.float32))
    a, b = x * 1.5, x * 1.5
    assert a._ctx is None and a.tolist() == [1.5, -3.0] and b.tolist() == a.tolist()
    y = tg.Tensor(np.array([1.0], dtype=np.float32), requires_grad=True)
    first, second = y * 1.5, y * 1.5
    c1, c2 = first._ctx.inputs[1], second._ctx.inputs[1]
    assert c1 is not c2  # one constant per use: a picture draws each of them
    assert c1.data is c2.data and not c1.data.flags.writeable and c1.dtype == np.float32
    assert (y.astype(np.float64) * 1.5)._ctx.inputs[1].dtype == np.float64
    with np.errstate(divide="ignore"):
        assert (1.0 / (x * -0.0)).tolist() == [-np.inf, np.inf]
        assert (1.0 / (x * 0.0)).tolist() == [np.inf, -np.inf]
