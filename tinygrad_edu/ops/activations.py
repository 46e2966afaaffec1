"""Activation primitives: ReLU, sigmoid, tanh, log-softmax and the perceptron's step.

Each could be composed from exp/log/where, but they are kept as primitives on purpose:
sigmoid and log-softmax need numerically stable forward formulas, tanh is one NumPy call,
ReLU is on every MLP's hot path, and all of them read better in a chain-rule trace as one
named step.  leaky_relu and softmax are compositions (see tensor.py).  As in elementwise.py,
backward applies the ops directly (``Mul.apply(a, b)`` is ``a * b``) on operands that
already match.
"""

from __future__ import annotations

import numpy as np

from ..function import Function, derived
from ..tensor import Tensor
from .elementwise import Add, Mul, Neg


class ReLU(Function):
    """z = max(x, 0);  dz/dx = 1 where x > 0, else 0 (0 at x = 0, as in PyTorch)"""

    __slots__ = ()

    rules = ("∂relu(x)/∂x = [x>0]",)
    jvp_rules = ("ż = [x>0]·ẋ",)
    elementwise = True

    def forward(ctx, x):
        return np.maximum(x, 0)

    def backward(ctx, grad_out):
        (x,) = ctx.inputs
        # derived(): a compiled step (tg.compile) recomputes the mask on every call
        return Mul.apply(grad_out, Tensor._from_op(derived(relu_mask, x.data, grad_out.dtype), None))

    def jvp(ctx, tx):
        """ż = [x>0]·ẋ"""
        (x,) = ctx.inputs
        return Mul.apply(tx, Tensor._from_op(derived(relu_mask, x.data, tx.dtype), None))


def relu_mask(x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """ReLU's local derivative: 1 where x > 0, else 0, in the gradient's dtype."""
    return (x > 0).astype(dtype)


class Sigmoid(Function):
    """z = 1 / (1 + exp(-x));  dz/dx = z * (1 - z)"""

    __slots__ = ()

    rules = ("∂σ(x)/∂x = σ(x)·(1-σ(x))",)
    jvp_rules = ("ż = σ(x)·(1-σ(x))·ẋ",)
    elementwise = True
    saves_output = True

    def forward(ctx, x):
        # exp(-|x|) never overflows; the two branches are the same function rearranged.
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)

    def backward(ctx, grad_out):
        z = ctx.output
        return Mul.apply(Mul.apply(grad_out, z), _one_minus(z))  # grad_out * z * (1 - z)

    def jvp(ctx, tx):
        """ż = z·(1 - z)·ẋ"""
        z = ctx.output
        return Mul.apply(Mul.apply(tx, z), _one_minus(z))


class Tanh(Function):
    """z = tanh(x);  dz/dx = 1 - z**2"""

    __slots__ = ()

    rules = ("∂tanh(x)/∂x = 1-tanh²(x)",)
    jvp_rules = ("ż = (1-tanh²(x))·ẋ",)
    elementwise = True
    saves_output = True

    def forward(ctx, x):
        return np.tanh(x)

    def backward(ctx, grad_out):
        z = ctx.output
        return Mul.apply(grad_out, _one_minus(Mul.apply(z, z)))  # grad_out * (1 - z * z)

    def jvp(ctx, tx):
        """ż = (1 - z²)·ẋ"""
        z = ctx.output
        return Mul.apply(tx, _one_minus(Mul.apply(z, z)))


class LogSoftmax(Function):
    """z = x - log(sum(exp(x)));  dz/dx applied to g is g - softmax(x) * sum(g)

    A primitive rather than log(softmax(x)): subtracting the max before exp keeps huge
    logits finite, and the log never sees an underflowed 0.
    """

    __slots__ = ()

    rules = ("∂logsoftmax(x)ᵢ/∂xⱼ = [i=j] - softmax(x)ⱼ",)
    jvp_rules = ("ż = ẋ - Σⱼ softmax(x)ⱼ·ẋⱼ",)
    saves_output = True

    def forward(ctx, x, axis):
        shifted = x - x.max(axis=axis, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))

    def backward(ctx, grad_out):
        axis = ctx.options["axis"]
        softmax = ctx.output.exp()
        return grad_out - softmax * grad_out.sum(axis=axis, keepdims=True)

    def jvp(ctx, tx):
        """ż = ẋ - Σⱼ softmax(x)ⱼ ẋⱼ  (along axis: the Jacobian I - 1·softmaxᵀ, applied to ẋ)"""
        softmax = ctx.output.exp()
        return tx - (softmax * tx).sum(axis=ctx.options["axis"], keepdims=True)


class Step(Function):
    """z = 1 if x >= 0 else 0 (Heaviside);  dz/dx = 0 everywhere it is defined"""

    __slots__ = ()

    rules = ("∂step(x)/∂x = 0",)
    jvp_rules = ("ż = 0",)
    elementwise = True

    def forward(ctx, x):
        return (x >= 0).astype(x.dtype)

    def backward(ctx, grad_out):
        return grad_out * 0.0

    def jvp(ctx, tx):
        """ż = 0·ẋ (flat wherever it is defined)"""
        return tx * 0.0


def _one_minus(z: Tensor) -> Tensor:
    """1 - z, as ops: the 1 is a 0-d constant, which NumPy broadcasts (no gradient flows to it)."""
    return Add.apply(Tensor._from_op(np.ones((), dtype=z.dtype), None), Neg.apply(z))
