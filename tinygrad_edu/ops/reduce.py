"""Reductions: sum and max, and ``sum_to`` (undoing a broadcast is a sum).

mean, min, var and std are compositions (see tensor.py).

``axis`` arrives normalised to a sorted tuple of non-negative axes.  Backward first puts the
reduced axes back as size-1 dimensions (``keepdims`` shape) and then broadcasts.
"""

from __future__ import annotations

import numpy as np

from ..function import Function, derived
from ..tensor import Tensor
from .shape import BroadcastTo, Reshape


def _kept_shape(shape: tuple[int, ...], axis: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(1 if i in axis else n for i, n in enumerate(shape))


def _spread(grad_out: Tensor, kept: tuple[int, ...], shape: tuple[int, ...]) -> Tensor:
    """Put the reduced axes back (size 1), then broadcast to the input's shape.

    The shapes are right by construction, so the ops are applied directly, skipping the
    argument checks that the Tensor methods make for users (this runs in every backward).
    """
    if grad_out.ndim != 0:  # a 0-d gradient (a full reduction) broadcasts as it is
        grad_out = Reshape.apply(grad_out, shape=kept)
    return BroadcastTo.apply(grad_out, shape=shape)


def sum_to(x: Tensor, shape: tuple[int, ...]) -> Tensor:
    """Sum over the broadcast dimensions of ``x`` so the result has ``shape``.

    This is the single place where broadcasting is undone; ``BroadcastTo`` and ``MatMul``
    both use it (as ``Tensor.sum_to``) in their backward.
    """
    if shape == x.shape:
        return x
    lead = x.ndim - len(shape)
    if lead < 0 or any(n != 1 and n != m for n, m in zip(shape, x.shape[lead:])):
        raise ValueError(
            f"sum_to: a tensor of shape {x.shape} cannot be summed to shape {shape}: that shape "
            f"does not broadcast to {x.shape} (each of its dimensions must be 1 or match the "
            "trailing dimensions, and it may not have more dimensions)")
    inner = tuple(lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1)
    if not inner:  # only leading axes were added (a bias over a batch): one Sum drops them
        return Sum.apply(x, axis=tuple(range(lead)), keepdims=False)
    summed = Sum.apply(x, axis=tuple(range(lead)) + inner, keepdims=True)  # valid axes
    return summed if summed.shape == shape else Reshape.apply(summed, shape=shape)


class Sum(Function):
    """z = sum of x over axis;  dz/dx = 1 for every summed element (gradient is broadcast back)"""

    __slots__ = ()

    saves_nothing = True  # backward uses only shapes/options: a second backward may run it

    rules = ("∂Σx/∂xᵢ = 1",)
    jvp_rules = ("ż = Σ ẋ",)

    def onnx(ctx, b):
        """ONNX: ReduceSum over the axes (given as an input since opset 13)"""
        axis, keepdims = ctx.options["axis"], int(ctx.options["keepdims"])
        if not axis:  # nothing summed: ReduceSum would read empty axes as "all of them"
            return b.node("Identity", b.input(ctx, 0))
        return b.node("ReduceSum", b.input(ctx, 0), b.ints(axis), keepdims=keepdims)

    def forward(ctx, x, axis, keepdims):
        return x.sum(axis=axis, keepdims=keepdims)

    def backward(ctx, grad_out):
        (x,) = ctx.inputs
        kept = _kept_shape(x.shape, ctx.options["axis"])
        return _spread(grad_out, kept, x.shape)

    def jvp(ctx, tx):
        """ż = Σ ẋ over the same axes"""
        return Sum.apply(tx, **ctx.options)


class Max(Function):
    """z = max of x over axis;  dz/dx = 1/k at the k positions holding the max, else 0"""

    __slots__ = ()

    rules = ("∂max(x)/∂xᵢ = [xᵢ = max]/count(max)",)
    jvp_rules = ("ż = Σ ẋ·[x = max]/count(max)",)

    saves_output = True  # backward compares x with the output: changing it in place must stop it

    def onnx(ctx, b):
        """ONNX: ReduceMax over the axes (an attribute before opset 18, an input after)"""
        axis, keepdims = ctx.options["axis"], int(ctx.options["keepdims"])
        if b.opset < 18:
            return b.node("ReduceMax", b.input(ctx, 0), axes=list(axis), keepdims=keepdims)
        return b.node("ReduceMax", b.input(ctx, 0), b.ints(axis), keepdims=keepdims)

    def forward(ctx, x, axis, keepdims):
        out = x.max(axis=axis, keepdims=True)
        ctx.save_for_backward(out)  # the kept-dims max, for jvp (backward reads the output)
        return out if keepdims else np.squeeze(out, axis=axis)

    def backward(ctx, grad_out):
        (x,) = ctx.inputs
        # derived() on the output (not an array saved in forward, which a compiled step could
        # not see made): tg.compile recomputes the shares on every call
        axis, keepdims = ctx.options["axis"], ctx.options["keepdims"]
        share = derived(max_share, x.data, ctx.output.data, axis, keepdims, grad_out.dtype)
        kept = _kept_shape(x.shape, ctx.options["axis"])
        spread = _spread(grad_out, kept, x.shape)
        return spread * Tensor._from_op(share, None)

    def jvp(ctx, tx):
        """ż = Σ ẋ·[x = max]/count(max): the winners' tangent (ties share it, as in backward)"""
        (x,) = ctx.inputs
        (kept_max,) = ctx.saved_tensors
        winners = x.data == kept_max
        share = winners / winners.sum(axis=ctx.options["axis"], keepdims=True)
        picked = tx * Tensor._from_op(share.astype(tx.dtype), None)
        return Sum.apply(picked, **ctx.options)


def max_share(x: np.ndarray, out: np.ndarray, axis: tuple[int, ...], keepdims: bool,
              dtype: np.dtype) -> np.ndarray:
    """1/k at the k positions holding their slice's max, else 0 (Max's backward mask).

    Ties share the gradient equally, so the shares still sum to the upstream gradient.
    """
    winners = x == (out if keepdims else np.expand_dims(out, axis))
    return (winners / winners.sum(axis=axis, keepdims=True)).astype(dtype)
