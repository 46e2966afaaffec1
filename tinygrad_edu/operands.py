"""How the operands of an op meet: scalars, dtypes, broadcasting and axes.

Every binary Tensor method goes through ``binary``: the other operand becomes a Tensor
(a Python number takes the tensor's float dtype, so float32 stays float32), integer data
meets float data in the float dtype, and when shapes differ an input that requires grad is
broadcast by an explicit ``BroadcastTo`` node -- so the graph shows the broadcast and its
backward (a sum) is the one place where broadcasting is undone.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from .config import Config
from .ops import elementwise
from .ops import shape as shape_ops
from .tensor import Tensor, get_default_dtype


def is_scalar(x: Any) -> bool:
    return isinstance(x, (numbers.Number, np.generic)) and not isinstance(x, Tensor)


def show_index(index: Any) -> str:
    """An index as the user typed it (``[:, 10]``), shortened, for error messages."""
    def one(i: Any) -> str:
        if isinstance(i, slice):
            parts = ["" if v is None else str(v) for v in (i.start, i.stop, i.step)]
            return ":".join(parts[:2] if i.step is None else parts)
        return "..." if i is Ellipsis else repr(i)
    text = ", ".join(one(i) for i in index) if isinstance(index, tuple) else one(index)
    return "[" + (text if len(text) <= 80 else text[:77] + "...") + "]"


def as_float(t: Tensor) -> Tensor:
    """Integer or bool data entering exp/log/sigmoid... becomes the default float dtype (as in PyTorch)."""
    return t if t.dtype.kind == "f" else t.astype(get_default_dtype())


def operand(x: Any, like: Tensor) -> Tensor:
    """Turn the other operand of a binary op into a Tensor.

    A Python or NumPy scalar takes the tensor's float dtype, so ``float32_tensor * 2.5`` stays
    float32 (as in PyTorch); arrays and lists keep their own dtype.
    """
    if isinstance(x, Tensor):
        return x
    if type(x) is float or type(x) is int or is_scalar(x):  # cheap type test first: hot path
        if like.dtype.kind == "f":
            return Tensor._from_op(np.array(x, dtype=like.dtype), None)
        if isinstance(x, (float, np.floating)):
            return Tensor._from_op(np.asarray(x, dtype=get_default_dtype()), None)
    return Tensor(x)


def binary(op: Any, x: Tensor, other: Any) -> Tensor:
    """Apply an elementwise binary op, making broadcasting an explicit graph node.

    When shapes differ, an input that requires grad is first broadcast with ``broadcast_to``,
    whose backward sums the gradient back to the input's shape -- so the op itself only ever
    sees equal shapes for differentiable inputs, and graph pictures show the broadcast.
    """
    y = operand(other, x)
    if x.dtype != y.dtype:
        x, y = common_dtype(x, y)
    if x.shape != y.shape and not scalar_constant(x) and not scalar_constant(y):
        shape = shape_ops.broadcast_shape(op.__name__, x.shape, y.shape)
        if Config.grad_enabled:
            if x.requires_grad and x.shape != shape:
                x = shape_ops.BroadcastTo.apply(x, shape=shape)  # shape checked just above
            if y.requires_grad and y.shape != shape:
                y = shape_ops.BroadcastTo.apply(y, shape=shape)
    return op.apply(x, y)


def scalar_constant(t: Tensor) -> bool:
    """A 0-d tensor that needs no gradient: NumPy broadcasts it and nothing must be summed back."""
    return t.data.ndim == 0 and not t._requires_grad


def common_dtype(x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    """int/bool meets float: the integer side takes the float dtype (PyTorch's rule)."""
    if x.dtype.kind == "f" and y.dtype.kind != "f":
        return x, y.astype(x.dtype)
    if y.dtype.kind == "f" and x.dtype.kind != "f":
        return x.astype(y.dtype), y
    return x, y


def compare(fn: Callable, x: Tensor, other: Any) -> Tensor:
    y = operand(other, x)
    if x.shape != y.shape:
        shape_ops.broadcast_shape(fn.__name__, x.shape, y.shape)
    return Tensor._from_op(fn(x.data, y.data), None)


def normalize_axes(t: Tensor, axis: Any, op: str, keep_order: bool = False) -> tuple[int, ...]:
    """Normalise ``axis`` (None, int or tuple) to a tuple of non-negative axes."""
    if axis is None:
        return tuple(range(t.ndim))
    raw = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in raw:
        if not isinstance(a, (int, np.integer)) or not -max(t.ndim, 1) <= a < max(t.ndim, 1):
            raise ValueError(
                f"{op}: axis {a} is out of range for a tensor of shape {t.shape} "
                f"(valid: {-t.ndim} to {t.ndim - 1})"
            )
        out.append(int(a) % max(t.ndim, 1))
    if t.ndim == 0:
        return ()  # like PyTorch, axis 0 / -1 of a 0-d tensor is accepted and reduces nothing
    if not keep_order:
        if len(set(out)) != len(out):
            raise ValueError(f"{op}: repeated axis in {axis}")
        out.sort()
    return tuple(out)


def where(condition: Any, x: Any, y: Any) -> Tensor:
    """Pick ``x`` where ``condition`` is true, else ``y`` (the condition gets no gradient)."""
    cond = np.asarray(condition.data if isinstance(condition, Tensor) else condition, dtype=bool)
    a = x if isinstance(x, Tensor) else None
    b = y if isinstance(y, Tensor) else None
    like = a if a is not None else b if b is not None else Tensor(x)
    a = operand(x, like)
    b = operand(y, like)
    if a.dtype != b.dtype:
        a, b = common_dtype(a, b)
    shape = shape_ops.broadcast_shape("where", cond.shape, a.shape, b.shape)
    if Config.grad_enabled:
        if a.requires_grad and a.shape != shape:
            a = a.broadcast_to(shape)
        if b.requires_grad and b.shape != shape:
            b = b.broadcast_to(shape)
    return elementwise.Where.apply(a, b, condition=cond)
