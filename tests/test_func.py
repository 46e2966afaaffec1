"""tg.func: the function transforms, their shapes, how they compose, and their errors.

Values are checked against closed forms and central differences in float64; torch.func is
the oracle in test_func_torch.py.  A small MLP's Hessian forward over reverse equals reverse
over reverse here.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import tinygrad_edu as tg
from tinygrad_edu import Tensor
from tinygrad_edu import func as F


def t64(values) -> Tensor:
    return Tensor(np.asarray(values, dtype=np.float64))


def cubic(x: Tensor) -> Tensor:
    """f(x) = Σ x³ + x₀x₁:  ∇f = 3x² + (x₁, x₀, 0, ...),  H = diag(6x) + the x₀x₁ cross term."""
    return (x ** 3).sum() + x[0] * x[1]


def cubic_hessian(x: np.ndarray) -> np.ndarray:
    h = np.diag(6 * x)
    h[0, 1] += 1
    h[1, 0] += 1
    return h


X = np.array([0.5, -1.0, 2.0])
V = np.array([1.0, 2.0, -0.5])


# -- values --------------------------------------------------------------------------------------
def test_jvp_returns_the_value_and_the_directional_derivative():
    out, tangent = F.jvp(lambda x, y: x * y.sin(), (t64(2.0), t64(3.0)), (t64(1.0), t64(0.0)))
    assert out.item() == pytest.approx(2 * np.sin(3.0), rel=1e-15)
    assert tangent.item() == pytest.approx(np.sin(3.0), rel=1e-15)  # ∂/∂x only
    _, tangent = F.jvp(lambda x, y: x * y.sin(), (t64(2.0), t64(3.0)), (t64(0.0), t64(1.0)))
    assert tangent.item() == pytest.approx(2 * np.cos(3.0), rel=1e-15)


def test_jvp_of_a_tuple_of_outputs_gives_a_tuple_of_tangents():
    outs, tangents = F.jvp(lambda x: (x.exp(), x * 2.0), (t64(X),), (t64(V),))
    assert isinstance(outs, tuple) and isinstance(tangents, tuple)
    np.testing.assert_allclose(tangents[0].numpy(), np.exp(X) * V, rtol=1e-15)
    np.testing.assert_allclose(tangents[1].numpy(), 2 * V, rtol=1e-15)


def test_jvp_of_an_output_that_does_not_depend_on_the_input_is_zero():
    out, tangent = F.jvp(lambda x: t64([1.0, 2.0]), (t64(X),), (t64(V),))
    np.testing.assert_array_equal(tangent.numpy(), [0.0, 0.0])
    _, tangent = F.jvp(lambda x: x, (t64(X),), (t64(V),))  # the identity: the tangent itself
    np.testing.assert_array_equal(tangent.numpy(), V)


def test_vjp_gives_one_cotangent_per_primal_and_can_be_called_again():
    out, vjp_fn = F.vjp(lambda x, w: (x @ w).tanh(), t64([[1.0, 2.0]]), t64([[0.5], [-0.25]]))
    assert out.shape == (1, 1) and not out.requires_grad
    gx, gw = vjp_fn(t64([[2.0]]))
    local = 1 - np.tanh(0.0) ** 2  # x @ w = 0
    np.testing.assert_allclose(gx.numpy(), 2 * local * np.array([[0.5, -0.25]]), rtol=1e-15)
    np.testing.assert_allclose(gw.numpy(), 2 * local * np.array([[1.0], [2.0]]), rtol=1e-15)
    again, _ = vjp_fn(t64([[1.0]]))  # the graph is kept: a second call works
    np.testing.assert_allclose(again.numpy(), gx.numpy() / 2, rtol=1e-15)


def test_vjp_of_a_tuple_of_outputs_takes_a_tuple_of_cotangents():
    _, vjp_fn = F.vjp(lambda x: (x * 2.0, x.sum()), t64(X))
    (g,) = vjp_fn((t64(V), t64(1.0)))
    np.testing.assert_allclose(g.numpy(), 2 * V + 1, rtol=1e-15)


def test_grad_argnums_and_grad_and_value():
    f = lambda x, y: (x * y ** 2).sum()  # noqa: E731
    x, y = t64(X), t64(V)
    np.testing.assert_allclose(F.grad(f)(x, y).numpy(), V ** 2)
    gx, gy = F.grad(f, argnums=(0, 1))(x, y)
    np.testing.assert_allclose(gy.numpy(), 2 * X * V)
    np.testing.assert_allclose(F.grad(f, argnums=-1)(x, y).numpy(), 2 * X * V)
    g, value = F.grad_and_value(f)(x, y)
    assert value.item() == pytest.approx(float(np.sum(X * V ** 2)))
    np.testing.assert_allclose(g.numpy(), V ** 2)
    assert not x.requires_grad and x.grad is None  # the caller's tensors are untouched


def test_grad_of_grad_is_the_second_derivative_of_a_scalar_function():
    f = lambda x: x.sin() * x ** 3  # noqa: E731
    second = F.grad(F.grad(f))(t64(0.7))
    x = 0.7
    expected = -np.sin(x) * x ** 3 + 6 * np.cos(x) * x ** 2 + 6 * x * np.sin(x)
    assert second.item() == pytest.approx(expected, rel=1e-13)
    third = F.grad(F.grad(F.grad(lambda x: x ** 4)))(t64(1.5))
    assert third.item() == pytest.approx(24 * 1.5, rel=1e-14)


def test_jacobians_by_both_modes_agree_and_have_torch_func_shapes():
    f = lambda x, w: (w @ x).tanh()  # noqa: E731   (2,3) @ (3,) -> (2,)
    x, w = t64(X), t64(np.arange(6.0).reshape(2, 3) / 6)
    for jac in (F.jacrev, F.jacfwd):
        j = jac(f)(x, w)
        assert j.shape == (2, 3)
        jx, jw = jac(f, argnums=(0, 1))(x, w)
        assert jx.shape == (2, 3) and jw.shape == (2, 2, 3)
        local = 1 - np.tanh(w.numpy() @ X) ** 2
        np.testing.assert_allclose(jx.numpy(), local[:, None] * w.numpy(), rtol=1e-14)
        expected_w = np.einsum("i,ij,k->ijk", local, np.eye(2), X)
        np.testing.assert_allclose(jw.numpy(), expected_w, rtol=1e-14, atol=1e-16)
    rev = F.jacrev(lambda x: (x.exp(), x.sum()))(x)
    fwd = F.jacfwd(lambda x: (x.exp(), x.sum()))(x)
    for r, fw, shape in zip(rev, fwd, [(3, 3), (3,)]):
        assert r.shape == fw.shape == shape
        np.testing.assert_allclose(r.numpy(), fw.numpy(), rtol=1e-15)


def test_hessian_and_hvp_are_forward_over_reverse():
    h = F.hessian(cubic)(t64(X))
    np.testing.assert_allclose(h.numpy(), cubic_hessian(X), rtol=1e-14)
    hv = F.hvp(cubic, t64(X), t64(V))
    np.testing.assert_allclose(hv.numpy(), cubic_hessian(X) @ V, rtol=1e-14)
    two = F.hvp(lambda a, b: (a * b * b).sum(), (t64(X), t64(V)), (t64(V), t64(X)))
    # H of Σ a b²: ∂²/∂a∂b = 2b, ∂²/∂b² = 2a, ∂²/∂a² = 0
    np.testing.assert_allclose(two[0].numpy(), 2 * V * X, rtol=1e-14)
    np.testing.assert_allclose(two[1].numpy(), 2 * V * V + 2 * X * X, rtol=1e-14)


def test_the_transforms_compose_in_every_order():
    f = lambda x: (x.sin() * x).sum() + (x[0] * x[2]) ** 2  # noqa: E731
    x = t64(X)
    rr = F.jacrev(F.jacrev(f))(x).numpy()
    for composed in (F.jacfwd(F.jacrev(f)), F.jacrev(F.jacfwd(f)), F.jacfwd(F.jacfwd(f)),
                     F.hessian(f), F.jacrev(F.grad(f))):
        np.testing.assert_allclose(composed(x).numpy(), rr, rtol=1e-12, atol=1e-14)
    # jvp of jvp: the second directional derivative vᵀ H v
    inner = lambda x: F.jvp(f, (x,), (t64(V),))[1]  # noqa: E731
    _, second = F.jvp(inner, (x,), (t64(V),))
    assert second.item() == pytest.approx(V @ rr @ V, rel=1e-12)


def test_a_result_stays_differentiable_for_tensors_closed_over():
    w = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    g = F.grad(lambda x: (w * x ** 2).sum())(t64(X))  # 2 w x: depends on w
    assert g.requires_grad
    g.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * X)
    w.grad = None
    _, tangent = F.jvp(lambda x: (w * x.exp()).sum(), (t64(X),), (t64(V),))
    tangent.backward()
    np.testing.assert_allclose(w.grad.numpy(), np.exp(X) * V)


@settings(max_examples=15)
@given(x=arrays(np.float64, st.integers(1, 4), elements=st.floats(-1.5, 1.5)),
       seed=st.integers(0, 2**16))
def test_hvp_is_the_hessian_times_the_vector(x: np.ndarray, seed: int):
    v = np.random.default_rng(seed).standard_normal(x.shape)
    f = lambda t: (t.tanh() * t.exp()).sum() + (t.sum()) ** 3  # noqa: E731
    h = F.hessian(f)(t64(x)).numpy()
    np.testing.assert_allclose(h, h.T, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(F.hvp(f, t64(x), t64(v)).numpy(), h @ v, rtol=1e-10, atol=1e-12)


# -- a small MLP: forward over reverse equals reverse over reverse ---------------------------------
def _mlp_loss(theta: Tensor, x: Tensor, y: Tensor) -> Tensor:
    w1, b1 = theta[:6].reshape(3, 2), theta[6:8]
    w2, b2 = theta[8:10].reshape(2, 1), theta[10:]
    hidden = (x @ w1 + b1).tanh()
    return (((hidden @ w2 + b2).sigmoid() - y) ** 2).mean()


def test_mlp_hessian_forward_over_reverse_equals_reverse_over_reverse():
    rng = np.random.default_rng(3)
    x, y = t64(rng.standard_normal((5, 3))), t64(rng.integers(0, 2, (5, 1)))
    theta = t64(rng.standard_normal(11) * 0.8)
    loss = lambda th: _mlp_loss(th, x, y)  # noqa: E731
    forward_over_reverse = F.hessian(loss)(theta).numpy()
    reverse_over_reverse = F.jacrev(F.jacrev(loss))(theta).numpy()
    assert forward_over_reverse.shape == (11, 11)
    np.testing.assert_allclose(forward_over_reverse, reverse_over_reverse, rtol=1e-10, atol=1e-13)
    # ... and the engine's own grad-of-grad, row by row (no tg.func at all)
    th = Tensor(theta.numpy(), requires_grad=True)
    (g,) = tg.grad(loss(th), th, create_graph=True)
    rows = [tg.grad(g[i], th, retain_graph=True)[0].numpy() for i in range(11)]
    np.testing.assert_allclose(forward_over_reverse, np.stack(rows), rtol=1e-10, atol=1e-13)
    assert np.abs(forward_over_reverse).max() > 1e-3  # real curvature, not zeros


# -- custom ops -------------------------------------------------------------------------------
class Cube(tg.Function):
    """y = x³;  dy/dx = 3x²"""

    rules = ("∂(x³)/∂x = 3·x²",)
    jvp_rules = ("ż = 3·x²·ẋ",)

    def forward(ctx, x):
        return x ** 3

    def backward(ctx, grad_out):
        (x,) = ctx.inputs
        return grad_out * 3 * x ** 2

    def jvp(ctx, tx):
        (x,) = ctx.inputs
        return tx * 3 * x ** 2


class Square(tg.Function):
    def forward(ctx, x):
        return x ** 2

    def backward(ctx, grad_out):
        return grad_out * 2 * ctx.inputs[0]


class WrongShapeJvp(Square):
    def jvp(ctx, tx):
        return tx.sum()


class Legendre3(tg.autograd.Function):
    """PyTorch's form, with its jvp as torch.autograd.Function spells it."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return 0.5 * (5 * x ** 3 - 3 * x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * x ** 2 - 1)

    @staticmethod
    def jvp(ctx, tangent):
        (x,) = ctx.saved_tensors
        return tangent * 1.5 * (5 * x ** 2 - 1)


class TwoOutputs(tg.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        return x * scale, x.exp()

    @staticmethod
    def backward(ctx, ga, gb):
        (x,) = ctx.saved_tensors
        return ga * 2.0 + gb * x.exp(), None

    @staticmethod
    def jvp(ctx, tx, tscale):
        assert tscale is None  # a number argument gets no tangent
        (x,) = ctx.saved_tensors
        return tx * 2.0, tx * x.exp()


class NoJvp(tg.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g * 2


def test_custom_ops_with_a_jvp_take_part_in_forward_mode():
    _, tangent = F.jvp(Cube.apply, (t64(X),), (t64(V),))
    np.testing.assert_allclose(tangent.numpy(), 3 * X ** 2 * V)
    np.testing.assert_allclose(F.hessian(lambda x: Cube.apply(x).sum())(t64(X)).numpy(),
                               np.diag(6 * X), rtol=1e-14)
    _, tangent = F.jvp(Legendre3.apply, (t64(X),), (t64(V),))
    np.testing.assert_allclose(tangent.numpy(), 1.5 * (5 * X ** 2 - 1) * V, rtol=1e-14)
    fwd = F.jacfwd(lambda x: TwoOutputs.apply(x, 2.0))(t64(X))
    rev = F.jacrev(lambda x: TwoOutputs.apply(x, 2.0))(t64(X))
    for a, b, expected in zip(fwd, rev, [2 * np.eye(3), np.diag(np.exp(X))]):
        np.testing.assert_allclose(a.numpy(), expected, rtol=1e-15)
        np.testing.assert_allclose(b.numpy(), expected, rtol=1e-15)


def test_an_op_without_jvp_is_named_when_forward_mode_meets_it():
    with pytest.raises(NotImplementedError, match=r"Square defines no jvp; forward mode .*define "
                       r"jvp\(ctx, \*tangents\) beside backward"):
        F.jvp(Square.apply, (t64(X),), (t64(V),))
    with pytest.raises(NotImplementedError, match=r"NoJvp defines no jvp.*@staticmethod jvp"):
        F.jacfwd(NoJvp.apply)(t64(X))
    F.jacrev(Square.apply)(t64(X))  # reverse mode does not need it


def test_a_custom_jvp_of_the_wrong_shape_is_named():
    with pytest.raises(RuntimeError, match=r"WrongShapeJvp.jvp returned a tangent of shape \(\), "
                       r"but its output has shape \(3,\)"):
        F.jvp(WrongShapeJvp.apply, (t64(X),), (t64(V),))


# -- misuse -------------------------------------------------------------------------------------
@pytest.mark.parametrize("call, error, message", [
    (lambda: F.jvp(cubic, (t64(X),), (t64([1.0, 2.0]),)), ValueError,
     r"jvp\(\): tangents\[0\] has shape \(2,\), but primals\[0\] has shape \(3,\)"),
    (lambda: F.jvp(cubic, (t64(X),), (t64(V), t64(V))), ValueError,
     r"jvp\(\): 1 primals but 2 tangents"),
    (lambda: F.jvp(cubic, ([0.5, 1.0],), (t64(V),)), TypeError,
     r"jvp\(\): primals\[0\] is a list, not a Tensor"),
    (lambda: F.jvp(cubic, X, V), TypeError, r"jvp\(\): primals must be a Tensor or a tuple"),
    (lambda: F.jvp(cubic, (Tensor([1, 2, 3]),), (Tensor([1, 2, 3]),)), TypeError,
     r"jvp\(\): primals\[0\] has dtype int64; only floating-point"),
    (lambda: F.grad(lambda x: x * 2.0)(t64(X)), RuntimeError,
     r"grad\(\): the function must return a scalar Tensor \(one element\), got a tensor of "
     r"shape \(3,\); reduce it first"),
    (lambda: F.grad(lambda x: 1.0)(t64(X)), RuntimeError, r"got float"),
    (lambda: F.grad(cubic, argnums=1)(t64(X)), ValueError,
     r"grad\(\): argnums=1 is out of range: the function was called with 1 positional argument"),
    (lambda: F.jacrev(cubic, argnums=(0, 0))(t64(X)), ValueError, r"names an argument twice"),
    (lambda: F.jacfwd(cubic, argnums=1.0)(t64(X)), TypeError, r"argnums must be an int"),
    (lambda: F.grad(lambda x, n: x.sum() * n, argnums=1)(t64(X), 2.0), TypeError,
     r"grad\(\): argument 1 \(in argnums\) is a float, not a Tensor"),
    (lambda: F.jacfwd(lambda x: x.numpy())(t64(X)), TypeError,
     r"jacfwd\(\): the function must return a Tensor or a tuple of Tensors; the output is a "
     r"ndarray"),
    (lambda: F.vjp(cubic, t64(X))[1](t64(V)), ValueError,
     r"vjp_fn\(\): cotangents\[0\] has shape \(3,\), but outputs\[0\] has shape \(\)"),
    (lambda: F.hvp(cubic, t64(X), t64(V[:2])), ValueError, r"tangents\[0\] has shape \(2,\)"),
])
def test_misuse_names_the_argument_and_the_shape(call, error, message):
    with pytest.raises(error, match=message):
        call()
