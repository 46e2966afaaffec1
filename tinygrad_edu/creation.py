"""Ways to make tensors: constants, ranges, identity, random draws, and joining tensors.

Random draws come from ``tinygrad_edu.random``'s generator, so ``manual_seed`` makes them
reproducible.  Functional forms of Tensor methods (``tg.relu(t)``) are in functional.py.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

# tensor.py first: it imports the op modules once the Tensor class exists, and the op modules
# (imported here, too) need that class.  tg's __init__ may import this module before tensor.py.
from .tensor import Tensor  # isort: split

from . import operands
from .config import get_default_dtype
from .conversion import supported_dtype
from .device import check_device
from .ops import shape as shape_ops
from .random import generator

__all__ = [
    "tensor", "zeros", "ones", "full", "empty", "zeros_like", "ones_like", "full_like", "arange",
    "linspace", "eye", "randn", "rand", "randint", "randperm", "randn_like", "rand_like",
    "concatenate", "cat", "stack",
]

# Every constructor takes PyTorch's ``device=``: "cpu" (or None) is accepted, anything else is a
# clear error (tinygrad_edu computes with NumPy on the CPU; see device.py).


def _shape(shape: Sequence[Any], op: str) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for n in shape:
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"{op}: a shape needs non-negative integers, got {tuple(shape)}; "
                             f"give sizes such as {op}(2, 3) or {op}((2, 3))")
    return tuple(int(n) for n in shape)


def _dtype(dtype: Any, op: str, default: Any = None) -> np.dtype:
    """``dtype`` checked (a supported dtype, named in the error if not), or the default.

    Not ``dtype or ...``: a NumPy dtype can be falsy.
    """
    if dtype is None:
        return get_default_dtype() if default is None else np.dtype(default)
    return supported_dtype(dtype, op)


def _count(value: Any, op: str, what: str) -> int:
    """A size argument such as eye's n: a non-negative integer."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{op}: {what} must be a non-negative integer, got "
                        f"{type(value).__name__} {value!r}")
    if value < 0:
        raise ValueError(f"{op}: {what} must be a non-negative integer, got {value}; "
                         "it is a number of rows or columns")
    return int(value)


def _check_finite(value: Any, op: str, what: str) -> None:
    """A real, finite number (arange's start, stop and step)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{op}: {what} must be a number, got {type(value).__name__} {value!r}")
    if isinstance(value, (float, np.floating)) and not math.isfinite(value):  # ints always are
        raise ValueError(f"{op}: {what} must be a finite number, got {value}; a range needs "
                         "finite ends and step")


def _leaf(array: np.ndarray, requires_grad: bool, name: str | None = None) -> Tensor:
    return Tensor(array, requires_grad=requires_grad, name=name)


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None,
           device: Any = None) -> Tensor:
    """``tg.tensor(data)``: the same as ``Tensor(data)``, spelled like ``torch.tensor``."""
    check_device(device, "tensor")
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, name=name)


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """Zeros of the given shape: ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    check_device(device, "zeros")
    return _leaf(np.zeros(_shape(shape, "zeros"), dtype=_dtype(dtype, "zeros")), requires_grad)


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """Ones of the given shape: ``ones(2, 3)`` or ``ones((2, 3))``."""
    check_device(device, "ones")
    return _leaf(np.ones(_shape(shape, "ones"), dtype=_dtype(dtype, "ones")), requires_grad)


def empty(*shape: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """``torch.empty``: a tensor to be filled later.  Here it holds zeros, never stale memory."""
    check_device(device, "empty")
    return _leaf(np.zeros(_shape(shape, "empty"), dtype=_dtype(dtype, "empty")), requires_grad)


def full(shape: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False,
         device: Any = None) -> Tensor:
    """A tensor of ``shape`` filled with ``fill_value``; the dtype follows the value like
    ``Tensor(fill_value)`` does (float -> default float, int -> int64, bool -> bool)."""
    check_device(device, "full")
    shape = _shape((shape,) if isinstance(shape, (int, np.integer)) else (shape,), "full")
    dt = Tensor(fill_value).dtype if dtype is None else _dtype(dtype, "full")
    return _leaf(np.full(shape, fill_value, dtype=dt), requires_grad)


def zeros_like(t: Tensor, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """Zeros of ``t``'s shape and (unless ``dtype`` is given) dtype."""
    check_device(device, "zeros_like")
    return _leaf(np.zeros(t.shape, dtype=_dtype(dtype, "zeros_like", t.dtype)), requires_grad)


def ones_like(t: Tensor, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """Ones of ``t``'s shape and (unless ``dtype`` is given) dtype."""
    check_device(device, "ones_like")
    return _leaf(np.ones(t.shape, dtype=_dtype(dtype, "ones_like", t.dtype)), requires_grad)


def full_like(t: Tensor, fill_value: Any, dtype: Any = None, requires_grad: bool = False,
              device: Any = None) -> Tensor:
    """``fill_value`` everywhere, in ``t``'s shape and (unless ``dtype`` is given) dtype."""
    check_device(device, "full_like")
    return _leaf(np.full(t.shape, fill_value, dtype=_dtype(dtype, "full_like", t.dtype)), requires_grad)


def arange(start: float, stop: float | None = None, step: float = 1, dtype: Any = None,
           requires_grad: bool = False, device: Any = None) -> Tensor:
    """Evenly spaced values in [start, stop); integers stay int64 unless ``dtype`` says otherwise."""
    # arange(n) and arange(n, step=2) count from 0 up to n, as in NumPy and PyTorch.
    check_device(device, "arange")
    if stop is None:
        start, stop = 0, start
    for what, value in (("start", start), ("stop", stop), ("step", step)):
        _check_finite(value, "arange", what)
    if step == 0:
        raise ValueError("arange: step must not be 0, it would never reach stop; use a positive "
                         "step to count up or a negative one to count down")
    values = np.arange(start, stop, step)
    if dtype is None and values.dtype.kind == "f":
        dtype = get_default_dtype()
    return _leaf(values if dtype is None else values.astype(_dtype(dtype, "arange")), requires_grad)


def linspace(start: float, end: float, steps: int, dtype: Any = None, requires_grad: bool = False,
             device: Any = None) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both ends included."""
    check_device(device, "linspace")
    for what, value in (("start", start), ("end", end)):
        _check_finite(value, "linspace", what)
    values = np.linspace(start, end, _count(steps, "linspace", "steps"))
    return _leaf(values.astype(_dtype(dtype, "linspace")), requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False,
        device: Any = None) -> Tensor:
    """The n x m identity matrix (m = n unless given): ones on the diagonal."""
    check_device(device, "eye")
    n = _count(n, "eye", "n")
    m = n if m is None else _count(m, "eye", "m")
    return _leaf(np.eye(n, m, dtype=_dtype(dtype, "eye")), requires_grad)


def randn(*shape: Any, dtype: Any = None, requires_grad: bool = False,
          rng: np.random.Generator | None = None, device: Any = None) -> Tensor:
    """Standard normal samples (mean 0, std 1) from the global (seeded) generator."""
    check_device(device, "randn")
    values = generator(rng).standard_normal(_shape(shape, "randn"))
    return _leaf(values.astype(_dtype(dtype, "randn")), requires_grad)


def rand(*shape: Any, dtype: Any = None, requires_grad: bool = False,
         rng: np.random.Generator | None = None, device: Any = None) -> Tensor:
    """Uniform samples in [0, 1) from the global (seeded) generator."""
    check_device(device, "rand")
    values = generator(rng).random(_shape(shape, "rand"))
    return _leaf(values.astype(_dtype(dtype, "rand")), requires_grad)


def randn_like(t: Tensor, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """``randn`` in ``t``'s shape and (unless ``dtype`` is given) float dtype."""
    dt = dtype if dtype is not None or t.dtype.kind != "f" else t.dtype
    return randn(*t.shape, dtype=dt, requires_grad=requires_grad, device=device)


def rand_like(t: Tensor, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """``rand`` in ``t``'s shape and (unless ``dtype`` is given) float dtype."""
    dt = dtype if dtype is not None or t.dtype.kind != "f" else t.dtype
    return rand(*t.shape, dtype=dt, requires_grad=requires_grad, device=device)


def randint(*args: Any, size: Any = None, dtype: Any = None, device: Any = None,
            rng: np.random.Generator | None = None) -> Tensor:
    """Uniform integers in [low, high): ``randint(high, size)`` or ``randint(low, high, size)``.

    As ``torch.randint``, the size is a tuple (``randint(0, 10, (2, 3))``) and the dtype int64.
    """
    check_device(device, "randint")
    bounds = list(args)
    if size is None and bounds and isinstance(bounds[-1], (tuple, list)):
        size = bounds.pop()
    if size is None or len(bounds) not in (1, 2):
        raise TypeError("randint: give randint(high, size) or randint(low, high, size), with the "
                        f"size a tuple such as (2, 3); got {len(bounds)} bounds and size={size!r}")
    low, high = (0, bounds[0]) if len(bounds) == 1 else bounds
    for what, value in (("low", low), ("high", high)):
        operands.check_int(value, "randint", what)
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be larger than low ({low}); the range is [low, high)")
    values = generator(rng).integers(low, high, _shape((size,), "randint"))
    return _leaf(values.astype(_dtype(dtype, "randint", np.int64)), False)


def randperm(n: int, dtype: Any = None, requires_grad: bool = False, device: Any = None,
             rng: np.random.Generator | None = None) -> Tensor:
    """A random order of 0 .. n-1 (int64), from the global generator unless ``rng`` is given."""
    check_device(device, "randperm")
    operands.check_int(n, "randperm", "n")
    if n < 0:
        raise ValueError(f"randperm: n must be >= 0, got {n}")
    return _leaf(generator(rng).permutation(n).astype(_dtype(dtype, "randperm", np.int64)), False)


# -- joining -------------------------------------------------------------------------------------
def concatenate(tensors: Sequence[Any], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Join tensors along an existing axis (``dim`` is PyTorch's name); other dimensions must match."""
    axis, _ = operands.dim_keywords("concatenate", None if dim is not None and axis == 0 else axis,
                                    False, dim, None)
    ts = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not ts:
        raise ValueError("concatenate needs at least one tensor")
    ndim = ts[0].ndim
    if ndim == 0:
        raise ValueError("concatenate: 0-d tensors cannot be joined; use stack")
    if not -ndim <= axis < ndim:
        raise ValueError(f"concatenate: axis {axis} is out of range for {ndim}-d tensors")
    axis %= ndim
    for t in ts:
        others = t.shape[:axis] + t.shape[axis + 1:]
        if t.ndim != ndim or others != ts[0].shape[:axis] + ts[0].shape[axis + 1:]:
            shapes = ", ".join(str(u.shape) for u in ts)
            raise ValueError(
                f"concatenate: shapes {shapes} differ outside axis {axis}; only the joined "
                "axis may differ"
            )
    floats = [t.dtype for t in ts if t.dtype.kind == "f"]
    # integers joined with floats take the float dtype (float32 + int stays float32)
    dtype = np.result_type(*floats) if floats else np.result_type(*[t.dtype for t in ts])
    ts = [t if t.dtype == dtype else t.astype(dtype) for t in ts]
    return shape_ops.Concatenate.apply(*ts, axis=axis)


cat = concatenate


def stack(tensors: Sequence[Any], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Join same-shape tensors along a new axis (``dim`` is PyTorch's name)."""
    axis, _ = operands.dim_keywords("stack", None if dim is not None and axis == 0 else axis,
                                    False, dim, None)
    ts = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not ts:
        raise ValueError("stack needs at least one tensor")
    if any(t.shape != ts[0].shape for t in ts):
        raise ValueError(f"stack: all tensors need the same shape, got {[t.shape for t in ts]}")
    if not -ts[0].ndim - 1 <= axis <= ts[0].ndim:
        raise ValueError(f"stack: axis {axis} is out of range for {ts[0].ndim}-d tensors")
    return concatenate([t.unsqueeze(axis) for t in ts], axis=axis % (ts[0].ndim + 1))
