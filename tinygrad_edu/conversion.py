"""Turning what a user passes to ``Tensor(...)`` into a NumPy array, or a clear error.

Kept out of tensor.py so the Tensor class opens with what a learner came for.  The rules:
Python floats become the default float dtype; NumPy arrays keep theirs (and are not copied);
only bool, integer, float32 and float64 data is supported, checked *after* any ``dtype=``
cast so no unsupported dtype slips in.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .config import get_default_dtype

SUPPORTED = "bool, integers, float32 or float64"


def as_dtype(dtype: Any, where: str = "dtype") -> np.dtype:
    """``dtype`` as a NumPy dtype, or a TypeError that says which dtypes exist."""
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{where}={dtype!r} is not a dtype; use one of np.float32, np.float64, "
                        "np.int64, np.int32 or bool") from None


def supported_dtype(dtype: Any, op: str) -> np.dtype:
    """A dtype a tensor may hold (``dtype=`` of ``op``), or a TypeError naming it."""
    dt = as_dtype(dtype, f"{op}: dtype")
    if not is_supported(dt):
        raise TypeError(f"{op}: dtype={dt} is not supported; a tensor holds {SUPPORTED} "
                        "(np.float32 for data that trains)")
    return dt


def to_array(data: Any, dtype: Any) -> np.ndarray:
    """Turn user data into an ndarray of a supported dtype (see the module docstring)."""
    if isinstance(data, np.ndarray):
        arr = data
    elif hasattr(data, "_requires_grad"):  # a Tensor (imported lazily would be a cycle)
        arr = data.data
    else:
        arr = _from_python(data, dtype)
    if dtype is not None:
        arr = arr.astype(supported_dtype(dtype, "Tensor"), copy=False)
    check_supported(arr.dtype)
    return arr


def check_requires_grad(value: Any, dtype: np.dtype, computed: bool) -> bool:
    """``requires_grad`` must be a bool, on floating data, and only switched off on leaves."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"requires_grad must be True or False, got {value!r}")
    if value and dtype.kind != "f":
        raise TypeError(
            f"only floating-point tensors can require gradients, but this one has dtype {dtype}; "
            "create it with floats or pass dtype=np.float32"
        )
    if not value and computed:
        raise RuntimeError(
            "requires_grad can only be switched off on a leaf tensor; use .detach() to get a "
            "copy of a computed tensor that is cut from the graph"
        )
    return bool(value)


def is_supported(dt: np.dtype) -> bool:
    return dt.kind in "biu" or dt in (np.float32, np.float64)


def check_supported(dt: np.dtype) -> None:
    if is_supported(dt):
        return
    hint = "; object arrays usually come from ragged lists or mixed types" if dt.kind == "O" else ""
    raise TypeError(f"Tensor data must be {SUPPORTED}, got dtype {dt}{hint}; convert it first "
                    "(for example with .astype(np.float32))")


def _from_python(data: Any, dtype: Any) -> np.ndarray:
    """Numbers and nested lists to an array, naming what is wrong when they cannot be one."""
    if data is None:
        raise TypeError("Tensor(None): a tensor needs data; pass numbers, or use "
                        "tg.zeros(shape) to make one of a given shape")
    if isinstance(data, (str, bytes)):
        raise TypeError(f"Tensor data must be numbers, got the string {data!r}; convert text to "
                        "numbers first (for example with a vocabulary and nn.Embedding)")
    if isinstance(data, Iterator):
        raise TypeError(f"Tensor data is a {type(data).__name__} (an iterator); NumPy cannot see "
                        "its length. Pass a list instead: Tensor(list(values))")
    if isinstance(data, (list, tuple)):
        data = _unwrap_tensors(data)
    try:
        arr = np.asarray(data)
    except (ValueError, OverflowError) as err:
        raise _explain_failure(data, err) from None
    if arr.dtype.kind == "O" and _has_huge_int(data):
        raise OverflowError("Tensor data holds an integer too large for int64; use a float "
                            "(for example 1e30) or smaller numbers")
    if arr.dtype.kind == "f" and dtype is None:
        arr = arr.astype(get_default_dtype())  # Python floats -> the default dtype
    return arr


def _unwrap_tensors(data: list | tuple) -> list:
    """A list holding tensors: copy their numbers, unless that would cut a gradient."""
    if not any(hasattr(d, "_requires_grad") for d in data):
        return list(data)
    if any(getattr(d, "_requires_grad", False) for d in data):
        raise TypeError(
            "Tensor data is a list of Tensors that require grad; copying their numbers would "
            "cut them from the graph. Join them with tg.stack(tensors), which keeps the "
            "gradients (or pass [t.detach() for t in tensors] to copy)"
        )
    return [d.data if hasattr(d, "_requires_grad") else d for d in data]


def _explain_failure(data: Any, err: Exception) -> Exception:
    if isinstance(err, OverflowError) or _has_huge_int(data):
        return OverflowError("Tensor data holds an integer too large for int64; use a float "
                             "(for example 1e30) or smaller numbers")
    return ValueError(
        "Tensor data is a ragged nested list (rows of different lengths); every row must have "
        f"the same length so the data forms a rectangular array ({err})"
    )


def _has_huge_int(data: Any, depth: int = 0) -> bool:
    if isinstance(data, int) and not isinstance(data, bool):
        return not -2**63 <= data < 2**63
    if isinstance(data, (list, tuple)) and depth < 32:
        return any(_has_huge_int(d, depth + 1) for d in data)
    return False
