"""Elementwise primitives: add, mul, neg, pow, exp, log, sin, cos, maximum, where.

Binary ops receive inputs of equal shape whenever a gradient is needed (``operands.binary``
inserts an explicit ``BroadcastTo`` first), so no backward here has to undo broadcasting.
Every backward is written with Tensor operations, which makes it differentiable again.  The
hot rules apply the ops directly (``Mul.apply(grad_out, y)`` is ``grad_out * y``): their
operands already match in shape, so the operator's conversions and broadcast checks would
only cost time in every backward pass.
Subtraction, division, sqrt, abs, minimum and clip are compositions of these.
"""

from __future__ import annotations

import numpy as np

from ..function import Function, derived
from ..tensor import Tensor


def _constant(array: np.ndarray) -> Tensor:
    """An array that enters backward as a constant (no gradient flows into it)."""
    return Tensor._from_op(array, None)


def tangent_sum(a: Tensor | None, b: Tensor | None) -> Tensor | None:
    """a + b for the parts of a jvp rule, where None is a zero tangent (nothing to add)."""
    if a is None or b is None:
        return b if a is None else a
    return Add.apply(a, b)


class Add(Function):
    """z = x + y;  dz/dx = 1, dz/dy = 1"""

    __slots__ = ()

    saves_nothing = True  # backward uses only shapes/options: a second backward may run it

    rules = ("∂(x+y)/∂x = 1", "∂(x+y)/∂y = 1")
    jvp_rules = ("ż = ẋ + ẏ",)
    elementwise = True

    def forward(ctx, x, y):
        return x + y

    def backward(ctx, grad_out):
        return grad_out, grad_out

    def jvp(ctx, tx, ty):
        """ż = ẋ + ẏ"""
        return tangent_sum(tx, ty)


class Mul(Function):
    """z = x * y;  dz/dx = y, dz/dy = x"""

    __slots__ = ()

    rules = ("∂(x·y)/∂x = y", "∂(x·y)/∂y = x")
    jvp_rules = ("ż = ẋ·y + x·ẏ",)
    elementwise = True

    def forward(ctx, x, y):
        return x * y

    def backward(ctx, grad_out):
        x, y = ctx.inputs
        need_x, need_y = ctx.needs_input_grad
        return (Mul.apply(grad_out, y) if need_x else None,
                Mul.apply(grad_out, x) if need_y else None)

    def jvp(ctx, tx, ty):
        """ż = ẋ·y + x·ẏ  (the product rule)"""
        x, y = ctx.inputs
        from_x = None if tx is None else Mul.apply(tx, y)
        from_y = None if ty is None else Mul.apply(x, ty)
        return tangent_sum(from_x, from_y)  # None (a zero tangent) adds nothing


class Neg(Function):
    """z = -x;  dz/dx = -1"""

    __slots__ = ()

    saves_nothing = True  # backward uses only shapes/options: a second backward may run it

    rules = ("∂(-x)/∂x = -1",)
    jvp_rules = ("ż = -ẋ",)
    elementwise = True

    def forward(ctx, x):
        return -x

    def backward(ctx, grad_out):
        return -grad_out

    def jvp(ctx, tx):
        """ż = -ẋ"""
        return Neg.apply(tx)


class PowConst(Function):
    """z = x ** c for a constant c;  dz/dx = c * x ** (c - 1)"""

    __slots__ = ()

    rules = ("∂(xᶜ)/∂x = c·xᶜ⁻¹",)
    jvp_rules = ("ż = c·x^(c-1)·ẋ",)
    elementwise = True

    def forward(ctx, x, exponent):
        return np.power(x, np.asarray(exponent, dtype=x.dtype))

    def backward(ctx, grad_out):
        (x,) = ctx.inputs
        c = ctx.options["exponent"]
        if c == 1.0:
            return grad_out
        if c == 0.0:  # x**0 = 1 is constant; c * x**-1 would give 0 * inf = nan at x = 0
            return grad_out * 0.0
        if c == 2.0:  # the square of every squared error: 2x needs no power op
            return Mul.apply(grad_out, Mul.apply(_constant(np.asarray(2.0, x.dtype)), x))
        return grad_out * (c * x ** (c - 1.0))

    def jvp(ctx, tx):
        """ż = c·xᶜ⁻¹·ẋ  (the same local derivative as backward, times the tangent)"""
        # Elementwise, so the Jacobian is diagonal and J·ẋ is backward's product with ẋ in
        # place of the upstream gradient: one rule, with its special cases, serves both.
        return PowConst.backward(ctx, tx)


class Pow(Function):
    """z = x ** y (both tensors, x > 0);  dz/dx = y * x ** (y - 1), dz/dy = z * log(x)"""

    __slots__ = ()

    rules = ("∂(xʸ)/∂x = y·xʸ⁻¹", "∂(xʸ)/∂y = xʸ·ln x")
    jvp_rules = ("ż = y·x^(y-1)·ẋ + x^y·ln(x)·ẏ",)
    elementwise = True
    saves_output = True

    def forward(ctx, x, y):
        return np.power(x, y)

    def backward(ctx, grad_out):
        x, y = ctx.inputs
        need_x, need_y = ctx.needs_input_grad
        gx = grad_out * y * x ** (y - 1.0) if need_x else None
        gy = grad_out * ctx.output * x.log() if need_y else None
        return gx, gy

    def jvp(ctx, tx, ty):
        """ż = y·xʸ⁻¹·ẋ + xʸ·ln x·ẏ"""
        x, y = ctx.inputs
        from_x = None if tx is None else tx * y * x ** (y - 1.0)
        from_y = None if ty is None else ty * ctx.output * x.log()
        return tangent_sum(from_x, from_y)


class Exp(Function):
    """z = exp(x);  dz/dx = exp(x) = z"""

    __slots__ = ()

    rules = ("∂(eˣ)/∂x = eˣ",)
    jvp_rules = ("ż = exp(x)·ẋ",)
    elementwise = True
    saves_output = True

    def forward(ctx, x):
        return np.exp(x)

    def backward(ctx, grad_out):
        return Mul.apply(grad_out, ctx.output)

    def jvp(ctx, tx):
        """ż = eˣ·ẋ = z·ẋ"""
        return Mul.apply(tx, ctx.output)


class Log(Function):
    """z = ln(x);  dz/dx = 1 / x"""

    __slots__ = ()

    rules = ("∂(ln x)/∂x = 1/x",)
    jvp_rules = ("ż = ẋ/x",)
    elementwise = True

    def forward(ctx, x):
        return np.log(x)

    def backward(ctx, grad_out):
        (x,) = ctx.inputs
        return Mul.apply(grad_out, PowConst.apply(x, exponent=-1.0))  # grad_out / x

    def jvp(ctx, tx):
        """ż = ẋ / x"""
        (x,) = ctx.inputs
        return Mul.apply(tx, PowConst.apply(x, exponent=-1.0))


class Sin(Function):
    """z = sin(x);  dz/dx = cos(x)"""

    __slots__ = ()

    rules = ("∂sin(x)/∂x = cos(x)",)
    jvp_rules = ("ż = cos(x)·ẋ",)
    elementwise = True

    def forward(ctx, x):
        return np.sin(x)

    def backward(ctx, grad_out):
        (x,) = ctx.inputs
        return Mul.apply(grad_out, Cos.apply(x))  # an op, not np.cos: it stays differentiable

    def jvp(ctx, tx):
        """ż = cos(x)·ẋ"""
        (x,) = ctx.inputs
        return Mul.apply(tx, Cos.apply(x))


class Cos(Function):
    """z = cos(x);  dz/dx = -sin(x)"""

    __slots__ = ()

    rules = ("∂cos(x)/∂x = -sin(x)",)
    jvp_rules = ("ż = -sin(x)·ẋ",)
    elementwise = True

    def forward(ctx, x):
        return np.cos(x)

    def backward(ctx, grad_out):
        (x,) = ctx.inputs
        return Mul.apply(grad_out, Neg.apply(Sin.apply(x)))

    def jvp(ctx, tx):
        """ż = -sin(x)·ẋ"""
        (x,) = ctx.inputs
        return Mul.apply(tx, Neg.apply(Sin.apply(x)))


class Maximum(Function):
    """z = max(x, y) elementwise;  dz/dx = 1 where x > y, 1/2 where x == y, else 0"""

    __slots__ = ()

    rules = ("∂max(x,y)/∂x = [x>y] + ½[x=y]", "∂max(x,y)/∂y = [y>x] + ½[x=y]")
    jvp_rules = ("ż = ([x>y] + ½[x=y])·ẋ + ([y>x] + ½[x=y])·ẏ",)
    elementwise = True

    def forward(ctx, x, y):
        return np.maximum(x, y)

    def backward(ctx, grad_out):
        x, y = ctx.inputs
        # derived(): a compiled step (tg.compile) recomputes the shares on every call
        share_x = derived(tie_share, x.data, y.data, grad_out.dtype)
        need_x, need_y = ctx.needs_input_grad
        return (Mul.apply(grad_out, _constant(share_x)) if need_x else None,
                Mul.apply(grad_out, _constant(derived(np.subtract, 1.0, share_x))) if need_y else None)

    def jvp(ctx, tx, ty):
        """ż = s·ẋ + (1 - s)·ẏ with s = [x>y] + ½[x=y] (ties split, as in backward)"""
        x, y = ctx.inputs
        share_x = derived(tie_share, x.data, y.data, (tx if tx is not None else ty).dtype)
        from_x = None if tx is None else Mul.apply(tx, _constant(share_x))
        from_y = None if ty is None else Mul.apply(ty, _constant(derived(np.subtract, 1.0, share_x)))
        return tangent_sum(from_x, from_y)


def tie_share(x: np.ndarray, y: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """x's share of max(x, y)'s gradient: 1 where x > y, 1/2 where x == y, else 0.

    Ties split the gradient so the two shares still add up to the upstream gradient.
    """
    return ((x > y) + 0.5 * (x == y)).astype(dtype)


class Where(Function):
    """z = x where condition else y;  dz/dx = [condition], dz/dy = [not condition]"""

    __slots__ = ()

    rules = ("∂where(c,x,y)/∂x = [c]", "∂where(c,x,y)/∂y = [not c]")
    jvp_rules = ("ż = where(c, ẋ, ẏ)",)
    elementwise = True

    def forward(ctx, x, y, condition):
        return np.where(condition, x, y)

    def backward(ctx, grad_out):
        cond = ctx.options["condition"]
        zero = _constant(np.zeros((), dtype=grad_out.dtype))
        need_x, need_y = ctx.needs_input_grad
        return (Where.apply(grad_out, zero, condition=cond) if need_x else None,
                Where.apply(zero, grad_out, condition=cond) if need_y else None)

    def jvp(ctx, tx, ty):
        """ż = where(c, ẋ, ẏ): the tangent of the branch that was picked"""
        zero = _constant(np.zeros((), dtype=(tx if tx is not None else ty).dtype))
        return Where.apply(zero if tx is None else tx, zero if ty is None else ty,
                           condition=ctx.options["condition"])
