"""Backward semantics, as named regressions: the bugs other autograd engines shipped, and the
PyTorch behaviours users rely on (accumulation, retain_graph, no_grad, hooks, tg.grad...)."""

from __future__ import annotations

import gc
import sys
import weakref

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor


def f64(values, requires_grad=True, name=None) -> Tensor:
    return Tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad, name=name)


# -- the chain rule's bookkeeping -----------------------------------------------------------------
def test_value_used_twice_gets_the_sum_of_its_contributions():
    """b = a + a; c = b * b  =>  dc/da = 2b * 2 = 8a  (an engine that assigns gets 4a)."""
    a = f64(3.0)
    b = a + a
    c = b * b
    c.backward()
    assert c.item() == 36.0
    assert a.grad.item() == 24.0


def test_same_tensor_on_both_sides_of_an_op():
    x = f64([1.0, -2.0])
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, -4.0])


def test_diamond_graph():
    """x feeds two branches that meet again: both paths contribute."""
    x = f64(0.5)
    y = x.exp() * x.tanh()
    y.backward()
    e, t = np.exp(0.5), np.tanh(0.5)
    assert x.grad.item() == pytest.approx(e * t + e * (1 - t * t), rel=1e-14)


@pytest.fixture
def default_recursion_limit():
    """Python's default limit (1000), whatever a test runner may have set."""
    saved = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    yield
    sys.setrecursionlimit(saved)


@pytest.mark.usefixtures("default_recursion_limit")
def test_100000_op_chain_with_default_recursion_limit():
    """Backward (and freeing the graph) is a loop, not recursion."""
    x = f64(1.0)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y = y * 3.0
    y.backward()
    assert x.grad.item() == 3.0
    ref = weakref.ref(y._ctx)
    del y  # dropping the chain must not recurse 100,000 deep either
    gc.collect()
    assert ref() is None


@pytest.mark.usefixtures("default_recursion_limit")
def test_freeing_an_unused_100000_op_chain():
    x = f64(1.0)
    y = x
    for _ in range(100_000):
        y = y + 1.0
    assert y.item() == 100_001.0
    first = weakref.ref(y._ctx)
    del y
    assert first() is None


def test_graph_order_is_deterministic():
    """Parents are tuples in argument order, so the backward order is the same every run."""
    def trace() -> list[str]:
        a, b = f64(1.0, name="a"), f64(2.0, name="b")
        out = ((a * b) + (b - a).exp() * a).tanh()
        order = tg.autograd.topological_order([out])
        return [t.name or t.op for t in order]

    first = trace()
    assert all(trace() == first for _ in range(5))
    assert first[:2] == ["a", "b"]  # parents before children, in argument order
    out = (f64(1.0) * f64(2.0))
    assert [type(p).__name__ for p in out._ctx.inputs] == ["Tensor", "Tensor"]
    assert isinstance(out._ctx.inputs, tuple)


# -- accumulation, retain_graph, non-leaf grads --------------------------------------------------
def test_gradients_accumulate_over_two_backward_calls():
    x = f64([1.0, 2.0])
    (x * 3.0).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0 + 2.0, 3.0 + 4.0])
    x.grad = None
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_second_backward_through_freed_graph_suggests_retain_graph():
    x = f64([1.0, 2.0])
    loss = (x * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match=r"retain_graph=True") as info:
        loss.backward()
    assert "second time" in str(info.value)


def test_retain_graph_allows_a_second_backward():
    x = f64([1.0, 2.0])
    loss = (x.exp() * x).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * (np.exp([1.0, 2.0]) * (1 + np.array([1.0, 2.0]))))


def test_non_leaf_grads_are_not_kept_unless_retain_grad():
    x = f64([1.0, 2.0])
    hidden = x * 2.0
    kept = (x * 3.0).retain_grad()
    (hidden * kept).sum().backward()
    assert hidden.grad is None
    np.testing.assert_array_equal(kept.grad.numpy(), hidden.numpy())
    assert not hidden.is_leaf and x.is_leaf


def test_each_leaf_gets_its_own_gradient_array():
    """An optimizer may update .grad in place: no two .grad arrays may share memory."""
    x = f64(np.ones((2, 3)))
    w = f64(np.ones(6))
    z = x.reshape(6) + w  # w's gradient and x's (a reshape of it) come from one array
    (z * z).sum().backward()
    assert not np.shares_memory(x.grad.numpy(), w.grad.numpy())
    a, b = f64([1.0, 2.0]), f64([3.0, 4.0])
    (a + b).sum().backward()  # Add hands the same gradient object to both inputs
    assert a.grad is not b.grad and not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    w.grad.numpy()[...] = 0.0
    np.testing.assert_array_equal(x.grad.numpy(), 2 * z.numpy().reshape(2, 3))


def test_create_graph_gradients_are_not_shared_between_leaves():
    a, b = f64([1.0, 2.0]), f64([3.0, 4.0])
    ((a + b) * (a + b)).sum().backward(create_graph=True)
    assert a.grad is not b.grad and not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    assert a.grad.requires_grad and b.grad.requires_grad
    np.testing.assert_array_equal(a.grad.numpy(), [8.0, 12.0])
    a.grad = None
    b.grad.sum().backward()  # d/da of sum(2(a+b)) = 2
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 2.0])


def test_leaf_gradient_is_a_copy_of_the_seed():
    x = f64([1.0, 2.0])
    seed = Tensor(np.array([5.0, 6.0]))
    x.backward(seed)
    assert x.grad is not seed and not np.shares_memory(x.grad.numpy(), seed.numpy())
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 6.0])


def test_backward_with_explicit_gradient_for_non_scalar():
    x = f64([1.0, 2.0, 3.0])
    (x * x).backward(np.array([1.0, 0.0, -1.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 0.0, -6.0])


def test_power_zero_has_zero_gradient_even_at_zero():
    x = f64([0.0, 2.0])
    (x ** 0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])


# -- no_grad / enable_grad -----------------------------------------------------------------------
def test_no_grad_records_nothing_and_keeps_nothing_alive():
    x = f64(np.ones(3))
    ref = weakref.ref(x)
    with tg.no_grad():
        y = (x * 2.0).exp().sum()
    assert y._ctx is None and not y.requires_grad and y.is_leaf
    assert y.item() == pytest.approx(3 * np.exp(2.0))
    del x
    gc.collect()
    assert ref() is None  # y holds no reference to its input


def test_graph_keeps_inputs_alive_outside_no_grad():
    """The control for the test above: with recording on, the output does keep x."""
    x = f64(np.ones(3))
    ref = weakref.ref(x)
    y = (x * 2.0).sum()
    del x
    gc.collect()
    assert ref() is not None
    y.backward()
    assert ref().grad is not None and np.all(ref().grad.numpy() == 2.0)


def test_enable_grad_inside_no_grad():
    x = f64([1.0])
    with tg.no_grad():
        assert not tg.is_grad_enabled()
        with tg.enable_grad():
            y = x * 2.0
        z = x * 2.0
    assert tg.is_grad_enabled()
    assert y.requires_grad and y.op == "Mul"
    assert not z.requires_grad


def test_no_grad_and_enable_grad_as_decorators():
    @tg.no_grad()
    def frozen(t):
        return t * 2.0

    @tg.enable_grad()
    def recorded(t):
        return t * 2.0

    x = f64([1.0])
    assert not frozen(x).requires_grad
    with tg.no_grad():
        assert recorded(x).requires_grad
        assert not tg.is_grad_enabled()


def test_no_grad_restores_the_mode_after_an_exception():
    with pytest.raises(ZeroDivisionError), tg.no_grad():
        raise ZeroDivisionError
    assert tg.is_grad_enabled()


def test_set_grad_enabled():
    x = f64([1.0])
    with tg.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad


# -- detach, hooks -----------------------------------------------------------------------------------
def test_detach_cuts_the_graph_and_shares_data():
    x = f64([1.0, 2.0])
    y = x * 3.0
    d = y.detach()
    assert d.is_leaf and not d.requires_grad and d._ctx is None
    assert np.shares_memory(d.numpy(), y.numpy())
    (y * d).sum().backward()  # d is a constant: dy*d/dx = 3 * d
    np.testing.assert_array_equal(x.grad.numpy(), 3.0 * d.numpy())


def test_hook_sees_the_gradient_and_can_replace_it():
    x = f64([1.0, 2.0])
    y = x * 2.0
    seen = []

    def hook(g):
        seen.append(g.numpy().copy())
        return g * 10.0

    handle = y.register_hook(hook)
    (y * y).sum().backward()
    np.testing.assert_array_equal(seen[0], 2 * y.numpy())  # d(y²)/dy = 2y
    np.testing.assert_array_equal(x.grad.numpy(), 2 * 10 * 2 * y.numpy())
    handle.remove()
    x.grad = None
    y = x * 2.0
    (y * y).sum().backward()
    assert len(seen) == 1
    np.testing.assert_array_equal(x.grad.numpy(), 2 * 2 * y.numpy())


def test_hook_on_a_leaf_and_returning_none_keeps_the_gradient():
    x = f64([1.0, 2.0])
    calls = []
    x.register_hook(lambda g: calls.append(g.numpy().copy()))
    (x * 4.0).sum().backward()
    np.testing.assert_array_equal(calls[0], [4.0, 4.0])
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 4.0])


def test_hook_returning_wrong_shape_is_an_error():
    x = f64([1.0, 2.0])
    x.register_hook(lambda g: Tensor(np.ones(3)))
    with pytest.raises(RuntimeError, match=r"hook .* returned Tensor of shape \(3,\).*shape \(2,\)"):
        (x * 1.0).sum().backward()


# -- tg.grad -------------------------------------------------------------------------------------------
def test_grad_returns_a_tuple_and_leaves_dot_grad_alone():
    x, w = f64([1.0, 2.0]), f64([3.0, -1.0])
    out = tg.grad((x * w).sum(), [x, w])
    assert isinstance(out, tuple) and len(out) == 2
    np.testing.assert_array_equal(out[0].numpy(), [3.0, -1.0])
    np.testing.assert_array_equal(out[1].numpy(), [1.0, 2.0])
    assert x.grad is None and w.grad is None
    (single,) = tg.grad((x * x).sum(), x)
    np.testing.assert_array_equal(single.numpy(), [2.0, 4.0])


def test_grad_allow_unused():
    x, unused = f64([1.0]), f64([2.0])
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        tg.grad((x * 2).sum(), [x, unused])
    gx, gu = tg.grad((x * 2).sum(), [x, unused], allow_unused=True)
    assert gx.item() == 2.0 and gu is None


def test_grad_outputs_seed_non_scalar_outputs():
    x = f64([1.0, 2.0])
    (g,) = tg.grad(x * x, x, grad_outputs=Tensor(np.array([1.0, 10.0])))
    np.testing.assert_array_equal(g.numpy(), [2.0, 40.0])
    (g,) = tg.grad(x * x, x, grad_outputs=np.array([1.0, 0.0]))  # an ndarray works too
    np.testing.assert_array_equal(g.numpy(), [2.0, 0.0])
    (g,) = tg.grad([x * x, x * 3.0], [x], grad_outputs=[np.ones(2), np.array([1.0, 0.0])])
    np.testing.assert_array_equal(g.numpy(), [5.0, 4.0])
    with pytest.raises(ValueError, match="2 outputs but 1 grad_outputs"):
        tg.grad([x * x, x * 3.0], [x], grad_outputs=[np.ones(2)])


def test_grad_frees_the_graph_unless_asked_not_to():
    x = f64([1.0, 2.0])
    y = (x * x).sum()
    tg.grad(y, x, retain_graph=True)
    tg.grad(y, x)
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        tg.grad(y, x)


def test_grad_create_graph_gives_differentiable_gradients():
    x = f64([0.3, -1.2])
    (g,) = tg.grad((x ** 3).sum(), x, create_graph=True)
    assert g.requires_grad
    np.testing.assert_allclose(g.numpy(), 3 * x.numpy() ** 2)
    (gg,) = tg.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), 6 * x.numpy())


def test_third_derivative():
    x = f64(0.7)
    (g1,) = tg.grad(x.tanh(), x, create_graph=True)
    (g2,) = tg.grad(g1, x, create_graph=True)
    (g3,) = tg.grad(g2, x)
    t = np.tanh(0.7)
    assert g3.item() == pytest.approx(-2 * (1 - t * t) * (1 - 3 * t * t), rel=1e-12)


def test_backward_create_graph_then_differentiate_the_gradient():
    x = f64([1.5])
    (x ** 4).sum().backward(create_graph=True)
    g = x.grad
    assert g.requires_grad
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [12 * 1.5 ** 2])


def test_gradients_are_not_recorded_without_create_graph():
    x = f64([1.0, 2.0])
    (x.exp() * x).sum().backward()
    assert not x.grad.requires_grad and x.grad._ctx is None


# -- custom Function ------------------------------------------------------------------------------------
class Cube(tg.Function):
    """y = x**3;  dy/dx = 3 x**2 (the example in function.py's docstring)"""

    rules = ("∂(x³)/∂x = 3·x²",)

    def forward(ctx, x):
        return x ** 3

    def backward(ctx, grad_out):
        (x,) = ctx.inputs
        return grad_out * 3 * x ** 2


class ScaledSquare(tg.Function):
    """y = a * x**2 with a saved constant;  dy/dx = 2 a x"""

    def forward(ctx, x, scale):
        ctx.save_for_backward(scale)
        return scale * x * x

    def backward(ctx, grad_out):
        (scale,) = ctx.saved_tensors
        (x,) = ctx.inputs
        return grad_out * (2.0 * scale) * x


def test_custom_function_from_the_docstring():
    y = Cube.apply(Tensor([2.0], requires_grad=True))
    assert y.op == "Cube" and y.item() == 8.0
    x = f64([2.0, -1.0])
    out = Cube.apply(x)
    assert out._ctx.rules == ("∂(x³)/∂x = 3·x²",)
    assert out._ctx.inputs == (x,)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [12.0, 3.0])
    assert tg.gradcheck(lambda t: Cube.apply(t), [x])
    assert tg.gradgradcheck(lambda t: Cube.apply(t).tanh(), [x])  # its backward is differentiable


def test_custom_function_with_options_and_saved_values():
    x = f64([1.0, 3.0])
    y = ScaledSquare.apply(x, scale=0.5)
    assert y._ctx.options == {"scale": 0.5}
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 3.0])
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        _ = y._ctx.saved_tensors  # released by the backward above


def test_custom_function_returning_wrong_gradient_shape_names_the_op():
    class Broken(tg.Function):
        def forward(ctx, x):
            return x.sum()

        def backward(ctx, grad_out):
            return grad_out  # should be broadcast back to x's shape

    x = f64([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"Broken\.backward returned a gradient of shape \(\)"):
        Broken.apply(x).backward()


def test_custom_function_without_backward():
    class NoBackward(tg.Function):
        def forward(ctx, x):
            return x * 2

    with pytest.raises(NotImplementedError, match="NoBackward must define backward"):
        NoBackward.apply(f64([1.0])).sum().backward()


# -- detect_anomaly ---------------------------------------------------------------------------------------
def test_detect_anomaly_names_the_op_and_the_users_line():
    x = f64([0.0, 1.0])
    with tg.detect_anomaly():
        y = x.sqrt()  # finite forward; its backward divides by sqrt(0)
        loss = y.sum()
        with pytest.raises(RuntimeError) as info, np.errstate(divide="ignore"):
            loss.backward()
    message = str(info.value)
    assert "PowConst.backward" in message
    assert "test_autograd.py" in message and "y = x.sqrt()" in message


def test_detect_anomaly_names_the_forward_that_made_the_first_nonfinite_value():
    x = f64([0.0, 1.0])
    with tg.detect_anomaly(), np.errstate(divide="ignore"):
        with pytest.raises(RuntimeError) as info:
            x.log()  # log(0) = -inf: the origin, named before any backward runs
    message = str(info.value)
    assert "Log produced inf in its forward pass" in message
    assert "input 0 = 0.0" in message and "x.log()" in message


def test_without_detect_anomaly_nonfinite_gradients_pass_silently():
    x = f64([0.0, 1.0])
    with np.errstate(divide="ignore"):
        x.log().sum().backward()
    assert np.isinf(x.grad.numpy()[0])


# -- dtypes --------------------------------------------------------------------------------------------------
def _every_op(t: Tensor) -> list[Tensor]:
    """One result per op family, mixing in Python numbers and NumPy float64 scalars."""
    s = np.float64(0.5)
    m = t.reshape(2, 3)
    return [
        t + 1, 1 + t, t - 2.5, 2.5 - t, t * s, s * t, t / 3, 3 / (t + 10), -t, t ** 2,
        (t + 10) ** 0.5, (t + 10) ** (t * 0 + 1.5), 2.0 ** t, m @ m.T, m[0] @ m.T,
        t.exp(), (t + 10).log(), (t + 10).sqrt(), t.abs(), t.clip(-0.5, 0.5), t.clip(min=s),
        t.maximum(s), t.minimum(1), tg.where(t > 0, t, 0.0), tg.where(t > 0, 1.0, t),
        t.sum(), t.mean(), m.max(axis=0), m.min(axis=1, keepdims=True), m.var(axis=1),
        m.std(), t.reshape(3, 2), m.transpose(), m.T, m.flatten(), m[None].squeeze(0),
        t.unsqueeze(0), t.broadcast_to((2, 6)), m[0, 1:], m[[0, 0, 1]], t[t.numpy() > 0],
        tg.concatenate([t, t]), tg.stack([t, t]), t.relu(), t.sigmoid(), t.tanh(),
        t.leaky_relu(0.1), m.softmax(), m.log_softmax(axis=0), t.step(), tg.relu(t),
        tg.sigmoid(t), tg.tanh(t), tg.softmax(m), tg.exp(t), tg.log(t + 10), tg.sqrt(t + 10),
    ]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_preserved_through_every_op_and_its_gradient(dtype):
    t = Tensor(np.linspace(-1.0, 1.0, 6).astype(dtype), requires_grad=True)
    results = _every_op(t)
    for k, out in enumerate(results):
        assert out.dtype == dtype, f"result {k} ({out.op}) has dtype {out.dtype}"
    sum(r.sum() for r in results).backward()
    assert t.grad.dtype == dtype


def test_float32_gradients_of_float32_parameters_mixed_with_float64_data():
    """A float64 input does not change the dtype of a float32 parameter's gradient."""
    w = Tensor(np.ones((3, 2), dtype=np.float32), requires_grad=True)
    x = Tensor(np.ones((4, 3)))  # float64 data
    (x @ w).sum().backward()
    assert w.grad.dtype == np.float32
    np.testing.assert_array_equal(w.grad.numpy(), np.full((3, 2), 4.0))


def test_integer_cast_is_a_constant():
    x = Tensor([1.5, 2.5], requires_grad=True)
    i = x.astype(np.int64)
    assert i.dtype == np.int64 and not i.requires_grad and i._ctx is None
    d = x.astype(np.float64)
    assert d.requires_grad and d.op == "Cast"
    (d * 2).sum().backward()
    assert x.grad.dtype == np.float32 and np.all(x.grad.numpy() == 2.0)
