"""How the operands of an op meet: scalars, dtypes, broadcasting, axes and arguments.

Every binary Tensor method goes through ``binary``: the other operand becomes a Tensor
(a Python number takes the tensor's float dtype, so float32 stays float32), integer data
meets float data in the float dtype, and when shapes differ an input that requires grad is
broadcast by an explicit ``BroadcastTo`` node -- so the graph shows the broadcast and its
backward (a sum) is the one place where broadcasting is undone.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from .config import Config, get_default_dtype
from .function import derived
from .ops import elementwise
from .ops import shape as shape_ops
from .tensor import Tensor


def is_scalar(x: Any) -> bool:
    """A real number (Python or NumPy); complex numbers and strings are not (Tensor refuses them)."""
    return isinstance(x, (numbers.Real, np.bool_)) and not isinstance(x, Tensor)


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
            return scalar_constant_tensor(x, like.dtype)
        if isinstance(x, (float, np.floating)):
            return scalar_constant_tensor(x, get_default_dtype())
    return Tensor(x)


def scalar_constant_tensor(x: Any, dtype: np.dtype) -> Tensor:
    """A new constant Tensor over a 0-d read-only array holding ``x`` in ``dtype``.

    Speed, off the learner's path: ``x * 1.0001`` or ``lr * p.grad`` in a loop would convert
    the same number to an array every time, so the array is made once per value and dtype
    (0.0 and -0.0 kept apart: they are == but divide differently) and shared, read-only.
    The Tensor around it is new each time, so a picture still draws one constant per use.
    """
    key = (x, dtype.char) if x != 0 else (x, dtype.char, math.copysign(1.0, x))
    array = _CONSTANTS.get(key)
    if array is None:
        array = np.array(x, dtype=dtype)
        array.flags.writeable = False
        if len(_CONSTANTS) >= 1024:  # a bound for programs that use many different numbers
            _CONSTANTS.clear()
        _CONSTANTS[key] = array
    return Tensor._from_op(array, None)


_CONSTANTS: dict[tuple, np.ndarray] = {}


def binary(op: Any, x: Tensor, other: Any) -> Tensor:
    """Apply an elementwise binary op, making broadcasting an explicit graph node.

    When shapes differ, an input that requires grad is first broadcast with ``broadcast_to``,
    whose backward sums the gradient back to the input's shape -- so the op itself only ever
    sees equal shapes for differentiable inputs, and graph pictures show the broadcast.
    """
    y = other if isinstance(other, Tensor) else operand(other, x)
    # .data's attributes, not the Tensor properties: every +, *, - and / passes here.
    if x.data.dtype != y.data.dtype:
        x, y = promote(x, y)
    if x.data.shape != y.data.shape and not scalar_constant(x) and not scalar_constant(y):
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


def promote(x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    """int/bool meets float: the integer side takes the float dtype (PyTorch's rule)."""
    if x.dtype == y.dtype:
        return x, y
    if x.dtype.kind == "f" and y.dtype.kind != "f":
        return x, y.astype(x.dtype)
    if y.dtype.kind == "f" and x.dtype.kind != "f":
        return x.astype(y.dtype), y
    return x, y


def compare(fn: Callable, x: Tensor, other: Any) -> Tensor:
    y = operand(other, x)
    if x.shape != y.shape:
        shape_ops.broadcast_shape(fn.__name__, x.shape, y.shape)
    return Tensor._from_op(derived(fn, x.data, y.data), None)  # derived: tg.compile recomputes it


def normalize_axes(t: Tensor, axis: Any, op: str, keep_order: bool = False) -> tuple[int, ...]:
    """Normalise ``axis`` (None, int or tuple) to a tuple of non-negative axes."""
    if axis is None:
        return tuple(range(t.ndim))
    raw = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    out = []
    for a in raw:
        check_int(a, op, "axis")
        if not -max(t.ndim, 1) <= a < max(t.ndim, 1):
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


def swapped_dims(t: Tensor, dims: tuple[Any, ...]) -> tuple[int, ...]:
    """The permutation ``transpose(dim0, dim1)`` means: the identity with two dims swapped."""
    if len(dims) != 2 or not all(is_scalar(d) for d in dims):
        raise ValueError(f"transpose{dims}: transpose(dim0, dim1) swaps two dimensions; to "
                         f"reorder all of them use permute{dims}")
    swapped = normalize_axes(t, dims, "transpose", keep_order=True)
    perm = list(range(t.ndim))
    if swapped:  # a 0-d tensor accepts dims 0 / -1 and has nothing to swap
        perm[swapped[0]], perm[swapped[1]] = perm[swapped[1]], perm[swapped[0]]
    return tuple(perm)


def where(condition: Any, x: Any, y: Any) -> Tensor:
    """Pick ``x`` where ``condition`` is true, else ``y`` (the condition gets no gradient)."""
    cond = np.asarray(condition.data if isinstance(condition, Tensor) else condition, dtype=bool)
    a = x if isinstance(x, Tensor) else None
    b = y if isinstance(y, Tensor) else None
    like = a if a is not None else b if b is not None else Tensor(x)
    a = operand(x, like)
    b = operand(y, like)
    a, b = promote(a, b)
    shape = shape_ops.broadcast_shape("where", cond.shape, a.shape, b.shape)
    if Config.grad_enabled:
        if a.requires_grad and a.shape != shape:
            a = a.broadcast_to(shape)
        if b.requires_grad and b.shape != shape:
            b = b.broadcast_to(shape)
    return elementwise.Where.apply(a, b, condition=cond)


# -- arguments ------------------------------------------------------------------------------------
def check_int(value: Any, op: str, what: str) -> int:
    """An integer argument (an axis, ddof...): bools and floats are refused, not reinterpreted."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{op}: {what} must be an integer, got {type(value).__name__} {value!r}")
    return int(value)


def dim_keywords(op: str, axis: Any, keepdims: bool, dim: Any, keepdim: bool | None) -> tuple[Any, bool]:
    """The one place PyTorch's ``dim=``/``keepdim=`` meet NumPy's ``axis=``/``keepdims=``.

    ``x.sum(dim=1, keepdim=True)`` and ``x.sum(axis=1, keepdims=True)`` are the same call;
    giving both spellings of one argument is an error rather than a silent choice.
    """
    if dim is not None:
        if axis is not None:
            raise TypeError(f"{op}: give the axis once, as axis= (NumPy) or dim= (PyTorch), not both")
        axis = dim
    if keepdim is not None:
        if keepdims and not keepdim:
            raise TypeError(f"{op}: keepdims=True and keepdim=False disagree; give one of them")
        keepdims = bool(keepdim)
    return axis, keepdims


def reduce_axes(t: Tensor, op: str, axis: Any, keepdims: bool, dim: Any,
                keepdim: bool | None) -> tuple[tuple[int, ...], bool]:
    """``dim_keywords`` then ``normalize_axes``: a reduction's axes and keepdims in one call."""
    axis, keepdims = dim_keywords(op, axis, keepdims, dim, keepdim)
    return normalize_axes(t, axis, op), keepdims


class ValuesIndices(NamedTuple):
    """``x.max(dim=d)`` / ``x.min(dim=d)``: the values and their positions, as PyTorch returns."""

    values: Tensor
    indices: Tensor


def reciprocal(count: int, op: str, why: str | None = None) -> float:
    """1 / count for a mean; with no elements to divide by, nan and NumPy's warning."""
    if count > 0:
        return 1.0 / count
    why = why or f"no elements to average over (count {count})"
    warnings.warn(f"{op}: {why}; the result is nan, as in NumPy", RuntimeWarning, stacklevel=3)
    return float("nan")


def power_base(x: Tensor, exponent: Any) -> Tensor:
    """``[4] ** 0.5`` and ``[2] ** -1`` are not integers: integer bases become float first."""
    if x.dtype.kind != "f" and (isinstance(exponent, (float, np.floating)) or exponent < 0):
        return as_float(x)
    return x


def power_exponent(x: Tensor, exponent: Any) -> Tensor:
    """The exponent tensor of ``x ** y``; integers to negative integer powers are refused."""
    y = operand(exponent, x)
    if x.dtype.kind in "biu" and y.dtype.kind in "biu" and bool((y.data < 0).any()):
        raise ValueError("x ** y: integer tensors to negative integer powers are not integers; "
                         "make the base float first, e.g. x.astype(np.float32) ** y")
    return y


def arg_reduce(fn: Callable, x: Tensor, axis: Any, keepdims: bool) -> Tensor:
    """argmax / argmin: an integer tensor of positions, not differentiable."""
    name = fn.__name__
    ax = None if axis is None or x.ndim == 0 else normalize_axes(x, axis, name)[0]
    return Tensor._from_op(np.asarray(fn(x.data, axis=ax, keepdims=keepdims)), None)


def negated(t: Tensor) -> Tensor:
    """-t, named "-y" when t is named y, so pictures of ``pred - y`` still say y."""
    out = -t
    if t.name and out.name is None:
        out.name = f"-{t.name}"
    return out
