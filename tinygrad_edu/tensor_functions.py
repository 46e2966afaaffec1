"""PyTorch's top-level functions that neither make nor compute tensors: they ask about them,
copy them or cut them up (``torch.equal``, ``torch.numel``, ``torch.chunk``...).

They are one line over a Tensor method each.  The maths functions live in functional.py (the
list the command line also draws from); these return booleans, ints or tuples of tensors.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .functional import _t
from .tensor import Tensor

__all__ = ["is_tensor", "numel", "equal", "allclose", "isclose", "clone", "detach", "chunk",
           "split", "unbind", "from_numpy", "as_tensor", "is_floating_point"]


def is_tensor(obj: Any) -> bool:
    """Whether ``obj`` is a Tensor."""
    return isinstance(obj, Tensor)


def is_floating_point(input: Any) -> bool:
    """Whether the tensor holds floats (float32 or float64)."""
    return _t(input).dtype.kind == "f"


def numel(input: Any) -> int:
    """Number of elements."""
    return _t(input).numel()


def equal(input: Any, other: Any) -> bool:
    """True when both have the same shape and exactly the same values."""
    return _t(input).equal(other)


def allclose(input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """|input − other| ≤ atol + rtol·|other| everywhere."""
    return _t(input).allclose(other, rtol=rtol, atol=atol, equal_nan=equal_nan)


def isclose(input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """Elementwise |input − other| ≤ atol + rtol·|other| (a bool tensor)."""
    other_data = np.asarray(getattr(other, "data", other))
    return Tensor(np.isclose(_t(input).data, other_data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def clone(input: Any) -> Tensor:
    """A copy with its own data; gradients flow back through it unchanged."""
    return _t(input).clone()


def detach(input: Any) -> Tensor:
    """The same data, cut from the graph."""
    return _t(input).detach()


def chunk(input: Any, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """``chunks`` pieces along ``dim`` (the last may be smaller)."""
    return _t(input).chunk(chunks, dim)


def split(tensor: Any, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Pieces of one size, or of the given sizes, along ``dim``."""
    return _t(tensor).split(split_size_or_sections, dim)


def unbind(input: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """The slices along ``dim``, each without that dimension."""
    return _t(input).unbind(dim)


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing the array's memory (no copy), as ``torch.from_numpy``."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"from_numpy expects a NumPy array, got {type(ndarray).__name__}; "
                        "use tg.tensor(data) for lists and numbers")
    return Tensor(ndarray)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """``data`` as a tensor, sharing memory when it already is an array of that dtype."""
    if isinstance(data, Tensor) and (dtype is None or np.dtype(dtype) == data.dtype):
        return data
    return Tensor(getattr(data, "data", data) if isinstance(data, Tensor) else data,
                  dtype=dtype, device=device)
