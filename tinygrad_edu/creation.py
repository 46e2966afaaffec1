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
from .tensor import Tensor, get_default_dtype  # isort: split

from .conversion import supported_dtype
from .ops import shape as shape_ops
from .random import generator

__all__ = [
    "tensor", "zeros", "ones", "full", "zeros_like", "ones_like", "arange", "eye", "randn",
    "rand", "concatenate", "cat", "stack",
]


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


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None) -> Tensor:
    """``tg.tensor(data)``: the same as ``Tensor(data)``, spelled like ``torch.tensor``."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, name=name)


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _leaf(np.zeros(_shape(shape, "zeros"), dtype=_dtype(dtype, "zeros")), requires_grad)


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _leaf(np.ones(_shape(shape, "ones"), dtype=_dtype(dtype, "ones")), requires_grad)


def full(shape: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``shape`` filled with ``fill_value``; the dtype follows the value like
    ``Tensor(fill_value)`` does (float -> default float, int -> int64, bool -> bool)."""
    shape = _shape((shape,) if isinstance(shape, (int, np.integer)) else (shape,), "full")
    dt = Tensor(fill_value).dtype if dtype is None else _dtype(dtype, "full")
    return _leaf(np.full(shape, fill_value, dtype=dt), requires_grad)


def zeros_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _leaf(np.zeros(t.shape, dtype=_dtype(dtype, "zeros_like", t.dtype)), requires_grad)


def ones_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _leaf(np.ones(t.shape, dtype=_dtype(dtype, "ones_like", t.dtype)), requires_grad)


def arange(start: float, stop: float | None = None, step: float = 1, dtype: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Evenly spaced values in [start, stop); integers stay int64 unless ``dtype`` says otherwise."""
    # arange(n) and arange(n, step=2) count from 0 up to n, as in NumPy and PyTorch.
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


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """The n x m identity matrix (m = n unless given): ones on the diagonal."""
    n = _count(n, "eye", "n")
    m = n if m is None else _count(m, "eye", "m")
    return _leaf(np.eye(n, m, dtype=_dtype(dtype, "eye")), requires_grad)


def randn(*shape: Any, dtype: Any = None, requires_grad: bool = False,
          rng: np.random.Generator | None = None) -> Tensor:
    """Standard normal samples (mean 0, std 1) from the global (seeded) generator."""
    values = generator(rng).standard_normal(_shape(shape, "randn"))
    return _leaf(values.astype(_dtype(dtype, "randn")), requires_grad)


def rand(*shape: Any, dtype: Any = None, requires_grad: bool = False,
         rng: np.random.Generator | None = None) -> Tensor:
    """Uniform samples in [0, 1) from the global (seeded) generator."""
    values = generator(rng).random(_shape(shape, "rand"))
    return _leaf(values.astype(_dtype(dtype, "rand")), requires_grad)


# -- joining -------------------------------------------------------------------------------------
def concatenate(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis; all other dimensions must match."""
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


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join same-shape tensors along a new axis."""
    ts = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not ts:
        raise ValueError("stack needs at least one tensor")
    if any(t.shape != ts[0].shape for t in ts):
        raise ValueError(f"stack: all tensors need the same shape, got {[t.shape for t in ts]}")
    if not -ts[0].ndim - 1 <= axis <= ts[0].ndim:
        raise ValueError(f"stack: axis {axis} is out of range for {ts[0].ndim}-d tensors")
    return concatenate([t.unsqueeze(axis) for t in ts], axis=axis % (ts[0].ndim + 1))
