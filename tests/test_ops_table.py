"""Every differentiable op, in one table, against NumPy values and central finite differences.

Each row names an op, a function of tensors, a strategy for its inputs (constrained where the
op is not differentiable everywhere) and optional extra parameters drawn from the input
shapes.  Every row is checked three ways on hypothesis-generated shapes and values:

* the forward value equals the NumPy reference,
* first derivatives match central differences in float64 (``tg.gradcheck``),
* second derivatives match central differences of the gradient (``tg.gradgradcheck``).

Named second-derivative checks (tanh, sigmoid, softmax, matmul chains) and a Hessian-vector
product of a small network follow the table.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import strategies as S
from conv_reference import loop_avg_pool2d, loop_conv2d, loop_max_pool2d, loop_pad
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import Tensor
from tinygrad_edu.nn import functional as F


@dataclass(frozen=True)
class Case:
    name: str
    fn: Callable[..., Tensor]  # fn(*tensors, **params)
    inputs: st.SearchStrategy  # a tuple of float64 (or bool) arrays
    ref: Callable[..., np.ndarray] | None = None  # NumPy reference: ref(*arrays, **params)
    params: Callable[[tuple], st.SearchStrategy[dict]] | None = None  # from the input shapes


def _first_shape(draw_params: Callable[[tuple[int, ...]], st.SearchStrategy[dict]]):
    return lambda shapes: draw_params(shapes[0])


def _np_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    axis = axis if x.ndim else None  # a 0-d tensor is its own (one-element) row
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _np_sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


_exponent = st.fixed_dictionaries({"c": st.sampled_from([2, 3, -1, 0.5, -1.5, 2.5, 1])})
_int_exponent = st.fixed_dictionaries({"c": st.sampled_from([0, 1, 2, 3])})
_clip_away = S.REAL.filter(lambda v: min(abs(v - 0.5), abs(v + 0.5)) > 1e-3)
_insert_axis = lambda shape: st.fixed_dictionaries(  # noqa: E731
    {"axis": st.integers(-len(shape) - 1, len(shape))})

TABLE: list[Case] = [
    # -- arithmetic (broadcast pairs) --------------------------------------------------------
    Case("add", operator.add, S.broadcast_pair(), np.add),
    Case("sub", operator.sub, S.broadcast_pair(), np.subtract),
    Case("mul", operator.mul, S.broadcast_pair(), np.multiply),
    Case("div", operator.truediv, S.broadcast_pair(S.REAL, S.AWAY_FROM_ZERO), np.divide),
    Case("neg", operator.neg, S.one(), np.negative),
    Case("add_scalar", lambda x: 1.5 + x - 0.25, S.one(), lambda x: 1.5 + x - 0.25),
    Case("rdiv_scalar", lambda x: 2.0 / x, S.one(S.AWAY_FROM_ZERO), lambda x: 2.0 / x),
    Case("pow_scalar", lambda x, c: x ** c, S.one(S.POSITIVE), lambda x, c: x ** float(c),
         lambda shapes: _exponent),
    Case("pow_int_any_sign", lambda x, c: x ** c, S.one(), lambda x, c: x ** float(c),
         lambda shapes: _int_exponent),
    Case("pow_tensor", operator.pow, S.broadcast_pair(S.POSITIVE, S.REAL), np.power),
    Case("rpow_scalar", lambda y: 2.0 ** y, S.one(), lambda y: 2.0 ** y),
    # -- matmul in every layout NumPy allows ---------------------------------------------------
    *[Case(f"matmul_{kind}", operator.matmul, S.matmul_pair(kind), np.matmul)
      for kind in ("1d1d", "2d", "batched", "1d2d", "2d1d", "1dNd", "Nd1d")],
    # -- elementwise ---------------------------------------------------------------------------
    Case("exp", lambda x: x.exp(), S.one(), np.exp),
    Case("log", lambda x: x.log(), S.one(S.POSITIVE), np.log),
    Case("sin", lambda x: x.sin(), S.one(S.WIDE), np.sin),
    Case("cos", lambda x: x.cos(), S.one(S.WIDE), np.cos),
    Case("sqrt", lambda x: x.sqrt(), S.one(S.POSITIVE), np.sqrt),
    Case("abs", lambda x: x.abs(), S.one(S.AWAY_FROM_ZERO), np.abs),
    Case("clip", lambda x: x.clip(-0.5, 0.5), S.one(_clip_away), lambda x: np.clip(x, -0.5, 0.5)),
    Case("clip_min_only", lambda x: x.clip(min=-0.5), S.one(_clip_away),
         lambda x: np.maximum(x, -0.5)),
    Case("clip_max_only", lambda x: x.clip(max=0.5), S.one(_clip_away),
         lambda x: np.minimum(x, 0.5)),
    Case("maximum", lambda x, y: x.maximum(y), S.broadcast_pair(S.GRID, S.OFF_GRID), np.maximum),
    Case("minimum", lambda x, y: tg.minimum(x, y), S.broadcast_pair(S.GRID, S.OFF_GRID),
         np.minimum),
    Case("maximum_number", lambda x: x.maximum(0.0), S.one(S.GRID), lambda x: np.maximum(x, 0.0)),
    Case("where", lambda c, x, y: tg.where(c, x, y), S.where_triple(), np.where),
    Case("where_number_branch", lambda x: tg.where(x > 0, x * 3.0, 0.5), S.one(S.AWAY_FROM_ZERO),
         lambda x: np.where(x > 0, x * 3.0, 0.5)),
    # -- reductions (axis int / tuple / None, keepdims) -----------------------------------------
    Case("sum", lambda x, axis, keepdims: x.sum(axis=axis, keepdims=keepdims), S.one(),
         lambda x, axis, keepdims: np.sum(x, axis=axis, keepdims=keepdims),
         _first_shape(S.reduce_params)),
    Case("mean", lambda x, axis, keepdims: x.mean(axis=axis, keepdims=keepdims), S.one(),
         lambda x, axis, keepdims: np.mean(x, axis=axis, keepdims=keepdims),
         _first_shape(S.reduce_params)),
    Case("max", lambda x, axis, keepdims: x.max(axis=axis, keepdims=keepdims),
         S.one(S.GRID, unique=True),
         lambda x, axis, keepdims: np.max(x, axis=axis, keepdims=keepdims),
         _first_shape(S.reduce_params)),
    Case("min", lambda x, axis, keepdims: x.min(axis=axis, keepdims=keepdims),
         S.one(S.GRID, unique=True),
         lambda x, axis, keepdims: np.min(x, axis=axis, keepdims=keepdims),
         _first_shape(S.reduce_params)),
    Case("var", lambda x, axis, keepdims: x.var(axis=axis, keepdims=keepdims), S.one(),
         lambda x, axis, keepdims: np.var(x, axis=axis, keepdims=keepdims),
         _first_shape(S.reduce_params)),
    Case("var_ddof1", lambda x: x.var(axis=-1, ddof=1), S.one(shape=S.shapes(1, min_side=2)),
         lambda x: np.var(x, axis=-1, ddof=1)),
    Case("std", lambda x: x.std(axis=0), S.one(S.GRID, S.shapes(1, min_side=2), unique=True),
         lambda x: np.std(x, axis=0)),
    # -- shape ----------------------------------------------------------------------------------
    Case("reshape", lambda x, target: x.reshape(*target), S.one(),
         lambda x, target: x.reshape(target),
         lambda shapes: st.fixed_dictionaries({"target": S.reshape_target(shapes[0])})),
    Case("permute", lambda x, perm: x.permute(*perm), S.one(),
         lambda x, perm: np.transpose(x, perm),
         lambda shapes: st.fixed_dictionaries({"perm": st.permutations(range(len(shapes[0])))})),
    Case("transpose_swap", lambda x: x.transpose(0, -1), S.one(shape=S.shapes(1)),
         lambda x: np.swapaxes(x, 0, -1)),
    Case("T", lambda x: x.T, S.one(), lambda x: x.T),
    Case("flatten", lambda x: x.flatten(), S.one(), lambda x: x.reshape(-1)),
    Case("flatten_range", lambda x, start, end: x.flatten(start, end), S.one(shape=S.shapes(2)),
         lambda x, start, end: x.reshape(*x.shape[:start], -1, *x.shape[end % x.ndim + 1:]),
         lambda shapes: st.fixed_dictionaries({"start": st.just(0) | st.just(1),
                                               "end": st.just(-1) | st.just(1)})),
    Case("swapaxes", lambda x, a, b: x.swapaxes(a, b), S.one(shape=S.shapes(1)),
         lambda x, a, b: np.swapaxes(x, a, b),
         lambda shapes: st.fixed_dictionaries({"a": st.integers(-len(shapes[0]), len(shapes[0]) - 1),
                                               "b": st.integers(0, len(shapes[0]) - 1)})),
    Case("sum_to", lambda x, target: x.broadcast_to(target).sum_to(x.shape) * 0.5, S.one(),
         lambda x, target: x * (np.prod(target) / x.size) * 0.5,  # each element, times its copies
         lambda shapes: st.fixed_dictionaries({"target": S.broadcast_target(shapes[0])})),
    Case("cast_float64", lambda x: x.astype(np.float64) * 2.0, S.one(), lambda x: x * 2.0),
    Case("squeeze", lambda x, axis: x.squeeze(axis), S.one(shape=S.shapes(1, max_side=2)),
         lambda x, axis: np.squeeze(x, axis),
         lambda shapes: st.fixed_dictionaries({"axis": st.sampled_from(
             [None] + [i for i, n in enumerate(shapes[0]) if n == 1])})),
    Case("unsqueeze", lambda x, axis: x.unsqueeze(axis), S.one(),
         lambda x, axis: np.expand_dims(x, axis), _first_shape(_insert_axis)),
    Case("broadcast_to", lambda x, target: x.broadcast_to(target), S.one(),
         lambda x, target: np.broadcast_to(x, target),
         lambda shapes: st.fixed_dictionaries({"target": S.broadcast_target(shapes[0])})),
    Case("getitem_basic", lambda x, index: x[index], S.one(),
         lambda x, index: x[index],
         lambda shapes: st.fixed_dictionaries({"index": S.basic_index(shapes[0])})),
    Case("getitem_int_arrays", lambda x, index: x[index], S.one(shape=S.shapes(1)),
         lambda x, index: x[index],
         lambda shapes: st.fixed_dictionaries({"index": S.integer_index(shapes[0])})),
    Case("getitem_bool_mask", lambda x, index: x[index], S.one(shape=S.shapes(1)),
         lambda x, index: x[index],
         lambda shapes: st.fixed_dictionaries({"index": S.mask_index(shapes[0])})),
    Case("getitem_repeated_row", lambda x: x[[0, 0, -1, 0]] * x[[0, 0, -1, 0]],
         S.one(shape=S.shapes(1)), lambda x: x[[0, 0, -1, 0]] ** 2),
    Case("concatenate", lambda *xs, axis: tg.concatenate(xs, axis=axis), S.concat_inputs(),
         lambda *xs, axis: np.concatenate(xs, axis=axis),
         lambda shapes: st.fixed_dictionaries({"axis": st.just(_concat_axis(shapes))})),
    Case("stack", lambda *xs, axis: tg.stack(xs, axis=axis), S.concat_inputs(stack=True),
         lambda *xs, axis: np.stack(xs, axis=axis), _first_shape(_insert_axis)),
    # -- activations ----------------------------------------------------------------------------
    Case("relu", lambda x: x.relu(), S.one(S.AWAY_FROM_ZERO), lambda x: np.maximum(x, 0)),
    Case("tg.relu", tg.relu, S.one(S.AWAY_FROM_ZERO), lambda x: np.maximum(x, 0)),
    Case("sigmoid", lambda x: x.sigmoid(), S.one(S.WIDE), _np_sigmoid),
    Case("tanh", lambda x: tg.tanh(x), S.one(S.WIDE), np.tanh),
    Case("leaky_relu", lambda x, alpha: x.leaky_relu(alpha), S.one(S.AWAY_FROM_ZERO),
         lambda x, alpha: np.where(x > 0, x, alpha * x),
         lambda shapes: st.fixed_dictionaries({"alpha": st.sampled_from([0.01, 0.2])})),
    Case("softmax", lambda x, axis: x.softmax(axis), S.one(S.WIDE),
         lambda x, axis: _np_softmax(x, axis), _first_shape(S.softmax_params)),
    Case("log_softmax", lambda x, axis: tg.log_softmax(x, axis=axis), S.one(S.WIDE),
         lambda x, axis: np.log(_np_softmax(x, axis)), _first_shape(S.softmax_params)),
    Case("step", lambda x: x.step(), S.one(S.AWAY_FROM_ZERO), lambda x: (x >= 0).astype(float)),
    # -- convolution and pooling (ops/conv.py), against the loops of conv_reference.py ------------
    Case("conv2d", lambda x, w, **p: F.conv2d(x, w, **p), S.conv_inputs(),
         lambda x, w, **p: loop_conv2d(x, w, **p), S.conv_params),
    Case("conv2d_bias", lambda x, w, b: F.conv2d(x, w, b, padding=1),
         S.conv_inputs().filter(lambda a: a[0].shape[1] == a[1].shape[1]).map(
             lambda a: (*a, np.linspace(-1, 1, a[1].shape[0]))),
         lambda x, w, b: loop_conv2d(x, w, b, padding=1)),
    Case("max_pool2d", lambda x, **p: F.max_pool2d(x, **p), S.image(S.GRID, unique=True),
         lambda x, **p: loop_max_pool2d(x, **p), _first_shape(S.pool_params)),
    Case("max_pool2d_dilated", lambda x: F.max_pool2d(x, 2, stride=1, dilation=2),
         S.image(S.GRID, unique=True).filter(lambda a: min(a[0].shape[2:]) >= 3),
         lambda x: loop_max_pool2d(x, 2, stride=1, dilation=2)),
    Case("avg_pool2d", lambda x, **p: F.avg_pool2d(x, **p), S.image(),
         lambda x, **p: loop_avg_pool2d(x, **p), _first_shape(S.pool_params)),
    Case("pad", lambda x, pad, value: F.pad(x, pad, value=value), S.one(shape=S.shapes(1)),
         lambda x, pad, value: loop_pad(x, pad, value), _first_shape(S.pad_params)),
]


def _concat_axis(shapes: tuple[tuple[int, ...], ...]) -> int:
    """The axis along which the drawn arrays differ (any axis when they are all alike)."""
    for axis in range(len(shapes[0])):
        if len({s[axis] for s in shapes}) > 1:
            return axis
    return len(shapes[0]) - 1


def _draw(case: Case, data: st.DataObject) -> tuple[tuple[np.ndarray, ...], dict[str, Any]]:
    arrays = data.draw(case.inputs, label="inputs")
    params = data.draw(case.params(S.shapes_of(arrays)), label="params") if case.params else {}
    return arrays, params


def _tensors(arrays: tuple[np.ndarray, ...]) -> list[Tensor]:
    return [Tensor(a) for a in arrays]


IDS = [case.name for case in TABLE]


def test_table_names_are_unique():
    assert len(set(IDS)) == len(IDS)


@pytest.mark.parametrize("case", TABLE, ids=IDS)
@settings(max_examples=S.examples(25))
@given(data=st.data())
def test_value_matches_numpy(case: Case, data: st.DataObject):
    arrays, params = _draw(case, data)
    out = case.fn(*_tensors(arrays), **params)
    assert case.ref is not None
    expected = np.asarray(case.ref(*arrays, **params))
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", TABLE, ids=IDS)
@settings(max_examples=S.examples(25))
@given(data=st.data())
def test_first_derivative(case: Case, data: st.DataObject):
    arrays, params = _draw(case, data)
    assert tg.gradcheck(lambda *xs: case.fn(*xs, **params), _tensors(arrays))


@pytest.mark.parametrize("case", TABLE, ids=IDS)
@settings(max_examples=S.examples(10))
@given(data=st.data())
def test_second_derivative(case: Case, data: st.DataObject):
    arrays, params = _draw(case, data)
    assert tg.gradgradcheck(lambda *xs: case.fn(*xs, **params), _tensors(arrays))


# -- named second derivatives -----------------------------------------------------------------------
def _second_derivative_elementwise(fn: Callable[[Tensor], Tensor], x: np.ndarray) -> np.ndarray:
    """d²f/dx² for an elementwise f, by differentiating sum(df/dx) with create_graph."""
    t = Tensor(x, requires_grad=True)
    (g,) = tg.grad(fn(t).sum(), t, create_graph=True)
    (gg,) = tg.grad(g.sum(), t)
    return gg.numpy()


X_LINE = np.linspace(-4.0, 4.0, 17)


def test_tanh_second_derivative_closed_form():
    t = np.tanh(X_LINE)
    expected = -2 * t * (1 - t ** 2)
    np.testing.assert_allclose(_second_derivative_elementwise(tg.tanh, X_LINE), expected,
                               rtol=1e-12, atol=1e-14)


def test_sigmoid_second_derivative_closed_form():
    s = _np_sigmoid(X_LINE)
    expected = s * (1 - s) * (1 - 2 * s)
    np.testing.assert_allclose(_second_derivative_elementwise(tg.sigmoid, X_LINE), expected,
                               rtol=1e-12, atol=1e-14)


def test_softmax_hessian_vector_product_closed_form():
    """For f(x) = w·softmax(x): ∇f = s⊙(w - s·w), and H v follows by the product rule."""
    rng = np.random.default_rng(0)
    x, w, v = rng.standard_normal(5), rng.standard_normal(5), rng.standard_normal(5)
    xt = Tensor(x, requires_grad=True)
    (g,) = tg.grad((xt.softmax() * w).sum(), xt, create_graph=True)
    s = _np_softmax(x, -1)
    np.testing.assert_allclose(g.numpy(), s * (w - s @ w), rtol=1e-12)
    (hv,) = tg.grad((g * v).sum(), xt)
    # d/dx [s ⊙ (w - s·w)] v = (J v) ⊙ (w - s·w) - s (w · J v), with J v = s⊙v - s (s·v)
    jv = s * v - s * (s @ v)
    np.testing.assert_allclose(hv.numpy(), jv * (w - s @ w) - s * (w @ jv), rtol=1e-10,
                               atol=1e-14)


def test_matmul_chain_second_derivatives():
    rng = np.random.default_rng(1)
    x, w1, w2 = rng.standard_normal((3, 2)), rng.standard_normal((2, 4)), rng.standard_normal(4)
    chain = lambda x, w1, w2: ((x @ w1).tanh() @ w2) @ (x @ w1 @ w1.T).sum(axis=1)  # noqa: E731
    assert tg.gradgradcheck(chain, [Tensor(x), Tensor(w1), Tensor(w2)])
    # and a pure matmul chain, whose second derivative is not zero: (x W)ᵀ(x W) is quadratic in W
    quadratic = lambda x, w: ((x @ w).T @ (x @ w)).sum()  # noqa: E731
    assert tg.gradgradcheck(quadratic, [Tensor(x), Tensor(w1)])


def _two_layer_loss(params: list[Tensor], x: Tensor, y: Tensor) -> Tensor:
    w1, b1, w2, b2 = params
    hidden = (x @ w1 + b1).tanh()
    logits = hidden @ w2 + b2
    return -(logits.log_softmax(axis=-1) * y).sum(axis=-1).mean()


def test_hessian_vector_product_of_two_layer_network_matches_finite_differences():
    """H v from grad-of-grad equals (∇L(θ + εv) - ∇L(θ - εv)) / 2ε."""
    rng = np.random.default_rng(2)
    x = Tensor(rng.standard_normal((5, 3)))
    y = Tensor(np.eye(2)[rng.integers(0, 2, 5)])
    theta = [rng.standard_normal(s) * 0.7 for s in [(3, 4), (4,), (4, 2), (2,)]]
    v = [rng.standard_normal(t.shape) for t in theta]

    params = [Tensor(t, requires_grad=True) for t in theta]
    grads = tg.grad(_two_layer_loss(params, x, y), params, create_graph=True)
    gv = sum(((g * vi).sum() for g, vi in zip(grads, v)), Tensor(0.0, dtype=np.float64))
    hvp = tg.grad(gv, params)

    def gradient_at(shift: float) -> list[np.ndarray]:
        ps = [Tensor(t + shift * vi, requires_grad=True) for t, vi in zip(theta, v)]
        return [g.numpy() for g in tg.grad(_two_layer_loss(ps, x, y), ps)]

    eps = 1e-5
    plus, minus = gradient_at(eps), gradient_at(-eps)
    for h, gp, gm in zip(hvp, plus, minus):
        np.testing.assert_allclose(h.numpy(), (gp - gm) / (2 * eps), rtol=1e-5, atol=1e-8)
    assert any(np.abs(h.numpy()).max() > 1e-3 for h in hvp)  # a real, non-zero curvature
