"""A ``tg.autograd.Function`` whose forward returns several Tensors (PyTorch allows it)."""

from __future__ import annotations

import numpy as np

import tinygrad_edu as tg


class SinCos(tg.autograd.Function):
    """(sin x, cos x, x > 0): backward gets one gradient per output."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.sin(), x.cos(), (x > 0).long()

    @staticmethod
    def backward(ctx, grad_sin, grad_cos, grad_sign):
        (x,) = ctx.saved_tensors
        assert grad_sign.shape == x.shape  # an integer output's gradient arrives as zeros
        return grad_sin * x.cos() - grad_cos * x.sin()


X = np.array([0.3, -1.2, 2.0])


def test_values_and_one_gradient_per_output():
    x = tg.tensor(X, dtype=tg.float64, requires_grad=True)
    s, c, positive = SinCos.apply(x)
    np.testing.assert_allclose(s.data, np.sin(X))
    assert positive.tolist() == [1, 0, 1] and not positive.requires_grad
    (2 * s + c ** 2).sum().backward()
    np.testing.assert_allclose(x.grad.data, 2 * np.cos(X) - 2 * np.cos(X) * np.sin(X), rtol=1e-12)


def test_an_unused_output_gets_a_zero_gradient():
    x = tg.tensor(X, dtype=tg.float64, requires_grad=True)
    _, c, _ = SinCos.apply(x)
    c.sum().backward()
    np.testing.assert_allclose(x.grad.data, -np.sin(X), rtol=1e-12)


def test_gradcheck_first_and_second_order():
    assert tg.gradcheck(lambda x: SinCos.apply(x)[0] * SinCos.apply(x)[1], [tg.tensor(X)])
    x = tg.tensor(X, dtype=tg.float64, requires_grad=True)
    (g,) = tg.grad(SinCos.apply(x)[0].sum(), x, create_graph=True)
    g.sum().backward()
    np.testing.assert_allclose(x.grad.data, -np.sin(X), rtol=1e-12)  # d/dx cos x


def test_mark_non_differentiable_makes_an_output_a_constant():
    class Sorted(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            order = tg.tensor(np.argsort(x.data).astype(np.float64))
            ctx.mark_non_differentiable(order)
            ctx.save_for_backward(order)
            return x * 2, order

        @staticmethod
        def backward(ctx, grad, grad_order):
            return grad * 2

    x = tg.tensor(X, dtype=tg.float64, requires_grad=True)
    doubled, order = Sorted.apply(x)
    assert not order.requires_grad and order.tolist() == [1.0, 0.0, 2.0]
    doubled.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0]


def test_without_recording_every_output_is_a_constant():
    with tg.no_grad():
        s, c, _ = SinCos.apply(tg.tensor(X, requires_grad=True))
    assert not s.requires_grad and not c.requires_grad
