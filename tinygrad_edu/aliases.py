"""Other vocabularies for Tensor methods: the names PyTorch and NumPy code uses.

Each method here only calls Tensor methods (or checks its arguments), so the core file does
not grow with every framework's spelling and "go to definition" on an alias lands one line
away from the real op.  Tensor inherits this mixin; nothing is patched in at import time.
"""

from __future__ import annotations

# Methods annotate ``self: Tensor`` (the only class that inherits this mixin); mypy cannot
# check that a mixin's self type is its subclass, hence:
# mypy: disable-error-code="misc"
import builtins
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .config import Config
from .device import CPU, check_device, names_device
from .device import device as Device

if TYPE_CHECKING:
    from .tensor import Tensor


class Size(int):
    """``t.size``: the number of elements (an int, NumPy's meaning) that can also be called.

    ``t.size()`` is the shape and ``t.size(d)`` the length of dimension ``d`` (PyTorch's
    meaning), so code in either vocabulary reads the answer it expects.
    """

    shape: tuple[int, ...]

    def __new__(cls, shape: tuple[int, ...]) -> Size:
        out = super().__new__(cls, math.prod(shape))
        out.shape = shape
        return out

    def __call__(self, dim: int | None = None) -> Any:
        if dim is None:
            return self.shape
        if not -len(self.shape) <= dim < max(len(self.shape), 1) or not self.shape:
            raise IndexError(f"size({dim}): dimension out of range for shape {self.shape}")
        return self.shape[dim]


class TensorAliases:
    """PyTorch / NumPy spellings of Tensor methods (see each method's target)."""

    __slots__ = ()

    # -- sizes ---------------------------------------------------------------------------------
    @property
    def size(self: Tensor) -> Size:
        """Number of elements (NumPy); call it, ``size()`` / ``size(d)``, for the shape (PyTorch)."""
        return Size(self.data.shape)

    def numel(self: Tensor) -> builtins.int:
        """Number of elements (PyTorch's name for ``.size``)."""
        return int(self.data.size)

    def dim(self: Tensor) -> builtins.int:
        """Number of dimensions (``ndim``)."""
        return self.ndim

    # -- Python protocols PyTorch code relies on ---------------------------------------------------
    def __abs__(self: Tensor) -> Tensor:
        """``abs(t)``: ``t.abs()``."""
        return self.abs()

    def __index__(self: Tensor) -> builtins.int:
        """A one-element integer tensor used where Python needs an int: ``range(t)``, ``xs[t]``."""
        if self.data.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError(f"only one-element integer tensors can be used as an index, not "
                            f"{self._label()} of dtype {self.dtype}; use int(t.item())")
        return builtins.int(self.data.item())

    # -- dtypes and devices ------------------------------------------------------------------------
    def requires_grad_(self: Tensor, value: bool = True) -> Tensor:
        """Set ``requires_grad`` in place and return self (PyTorch style)."""
        self.requires_grad = value
        return self

    def float(self: Tensor) -> Tensor:
        """``astype(float32)``."""
        return self.astype(np.float32)

    def double(self: Tensor) -> Tensor:
        """``astype(float64)``."""
        return self.astype(np.float64)

    def long(self: Tensor) -> Tensor:
        """``astype(int64)`` (a constant: integer tensors get no gradient)."""
        return self.astype(np.int64)

    def int(self: Tensor) -> Tensor:
        """``astype(int32)`` (a constant: integer tensors get no gradient)."""
        return self.astype(np.int32)

    def bool(self: Tensor) -> Tensor:
        """``astype(bool)``."""
        return self.astype(np.bool_)

    def type(self: Tensor, dtype: Any = None) -> Any:
        """``astype(dtype)``; with no dtype, the dtype's name (e.g. ``"float32"``)."""
        return str(self.dtype) if dtype is None else self.astype(dtype)

    @property
    def device(self: Tensor) -> Device:
        """Always ``device("cpu")``: tinygrad_edu computes with NumPy on the CPU."""
        return CPU

    def to(self: Tensor, *args: Any, dtype: Any = None, device: Any = None,
           non_blocking: builtins.bool = False, copy: builtins.bool = False) -> Tensor:
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(other_tensor)``.

        The only device is the CPU; another device is a RuntimeError.  Converting to the dtype
        the tensor already has returns the tensor itself (as PyTorch does).
        """
        for arg in args:
            if hasattr(arg, "_requires_grad"):  # to(other): its dtype
                dtype = arg.dtype
            elif names_device(arg):
                device = arg
            else:
                dtype = arg
        check_device(device, "to")
        if dtype is None or np.dtype(dtype) == self.dtype:
            return self
        return self.astype(dtype)

    def cpu(self: Tensor) -> Tensor:
        """The tensor itself: it is already on the CPU."""
        return self

    def cuda(self: Tensor, device: Any = None) -> Tensor:
        """Always a RuntimeError: tinygrad_edu has no GPU back end."""
        check_device("cuda" if device is None else device, "cuda")
        return self

    def contiguous(self: Tensor) -> Tensor:
        """The tensor itself (tinygrad_edu never distinguishes memory layouts)."""
        return self

    # -- arithmetic by name ------------------------------------------------------------------------
    def add(self: Tensor, other: Any, alpha: Any = 1) -> Tensor:
        """``self + alpha * other``."""
        return self + (other if alpha == 1 else other * alpha)

    def sub(self: Tensor, other: Any, alpha: Any = 1) -> Tensor:
        """``self - alpha * other``."""
        return self - (other if alpha == 1 else other * alpha)

    def mul(self: Tensor, other: Any) -> Tensor:
        """``self * other``."""
        return self * other

    def div(self: Tensor, other: Any) -> Tensor:
        """``self / other``."""
        return self / other

    def pow(self: Tensor, exponent: Any) -> Tensor:
        """``self ** exponent`` (a number, or a tensor for a positive base)."""
        return self ** exponent

    def square(self: Tensor) -> Tensor:
        """``self * self``."""
        return self * self

    def clamp(self: Tensor, min: Any = None, max: Any = None) -> Tensor:
        """``clip(min, max)`` (PyTorch's name)."""
        return self.clip(min=min, max=max)

    def matmul(self: Tensor, other: Any) -> Tensor:
        """``self @ other``."""
        return self @ other

    def mm(self: Tensor, other: Any) -> Tensor:
        """``self @ other`` for two matrices."""
        if self.ndim != 2 or np.ndim(other) != 2:
            raise ValueError(f"mm: needs two matrices, got shapes {self.shape} and {np.shape(other)}; "
                             "use matmul (@) for vectors and batches")
        return self @ other

    def dot(self: Tensor, other: Any) -> Tensor:
        """``self @ other`` (NumPy's name)."""
        return self @ other

    # -- shape ---------------------------------------------------------------------------------
    def view(self: Tensor, *shape: Any) -> Tensor:
        """``reshape`` (tinygrad_edu never distinguishes views from copies)."""
        return self.reshape(*shape)

    def t(self: Tensor) -> Tensor:
        """Transpose of a matrix (a vector stays as it is), as ``torch.Tensor.t``."""
        if self.ndim > 2:
            raise ValueError(f"t() is for tensors of at most 2 dimensions, got shape {self.shape}; "
                             "use transpose(dim0, dim1) or permute")
        return self.T

    def swapaxes(self: Tensor, a: builtins.int, b: builtins.int) -> Tensor:
        """``transpose(a, b)`` (NumPy's name for swapping two axes)."""
        return self.transpose(a, b)

    def expand(self: Tensor, *shape: Any) -> Tensor:
        """``broadcast_to``; a -1 keeps that dimension's size, as in PyTorch."""
        sizes = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        lead = len(sizes) - self.ndim
        sizes = tuple(self.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(sizes))
        return self.broadcast_to(*sizes)

    def expand_dims(self: Tensor, axis: builtins.int) -> Tensor:
        """``unsqueeze`` (NumPy's name)."""
        return self.unsqueeze(axis)

    def split(self: Tensor, split_size_or_sections: Any, dim: builtins.int = 0) -> tuple[Tensor, ...]:
        """Slices along ``dim``: pieces of one size (the last may be shorter) or of the given sizes."""
        d = _dim(self, dim, "split")
        n = self.shape[d]
        if isinstance(split_size_or_sections, Sequence):
            sizes = [builtins.int(s) for s in split_size_or_sections]
            if sum(sizes) != n:
                raise ValueError(f"split: sections {sizes} add up to {sum(sizes)}, but dimension "
                                 f"{dim} has size {n}")
        else:
            step = builtins.int(split_size_or_sections)
            if step <= 0:
                raise ValueError(f"split: split_size must be a positive integer, got {step}")
            sizes = [min(step, n - start) for start in range(0, n, step)]
        starts = np.cumsum([0, *sizes])
        return tuple(self[(slice(None),) * d + (slice(a, b),)] for a, b in zip(starts[:-1], starts[1:]))

    def chunk(self: Tensor, chunks: builtins.int, dim: builtins.int = 0) -> tuple[Tensor, ...]:
        """``split`` into ``chunks`` pieces of size ceil(n / chunks) (fewer if they run out)."""
        if chunks <= 0:
            raise ValueError(f"chunk: chunks must be a positive integer, got {chunks}")
        n = self.shape[_dim(self, dim, "chunk")]
        return self.split(max(1, -(-n // chunks)), dim)

    def unbind(self: Tensor, dim: builtins.int = 0) -> tuple[Tensor, ...]:
        """The slices along ``dim``, each without that dimension."""
        d = _dim(self, dim, "unbind")
        return tuple(self[(slice(None),) * d + (i,)] for i in range(self.shape[d]))

    # -- copies and in-place edits ------------------------------------------------------------------
    def clone(self: Tensor) -> Tensor:
        """A copy with its own data; gradients flow back through it unchanged (``x + 0``)."""
        if self.dtype.kind != "f":
            return type(self)(self.data.copy())
        return self + 0.0

    def zero_(self: Tensor) -> Tensor:
        """Set every element to 0 in place (``w.grad.zero_()``); not recorded."""
        return self.fill_(0)

    def fill_(self: Tensor, value: Any) -> Tensor:
        """Set every element to ``value`` in place; not recorded, so not allowed while a tensor
        that requires grad is being recorded (do it inside ``no_grad()``, as in PyTorch)."""
        if Config.grad_enabled and self.requires_grad:
            raise RuntimeError(f"fill_/zero_/copy_ on {self._label()}, which requires grad, while recording: "
                               "an in-place change would make the graph lie; do it inside "
                               "`with tg.no_grad():`")
        if Config.recorder is not None:  # compile seam: tg.compile records the fill (compiler/)
            Config.recorder.inplace(self, None, value)
        self.data[...] = value.data if hasattr(value, "_requires_grad") else value
        self._version += 1  # a graph that saved the old values will refuse to use them
        return self

    def copy_(self: Tensor, src: Any) -> Tensor:
        """Overwrite the values with ``src`` (broadcast, cast to this dtype) in place; not recorded,
        so inside ``no_grad()`` for a tensor that requires grad, as ``fill_``."""
        return self.fill_(np.broadcast_to(np.asarray(getattr(src, "data", src)), self.shape))

    # -- comparing whole tensors ---------------------------------------------------------------------
    def equal(self: Tensor, other: Any) -> builtins.bool:
        """True when both have the same shape and the same values."""
        other_data = np.asarray(getattr(other, "data", other))
        return self.shape == other_data.shape and builtins.bool(np.array_equal(self.data, other_data))

    def allclose(self: Tensor, other: Any, rtol: builtins.float = 1e-05, atol: builtins.float = 1e-08,
                 equal_nan: builtins.bool = False) -> builtins.bool:
        """|self - other| <= atol + rtol·|other| everywhere (NumPy's and PyTorch's rule)."""
        other_data = np.asarray(getattr(other, "data", other))
        return builtins.bool(np.allclose(self.data, other_data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def _dim(t: Tensor, dim: Any, op: str) -> builtins.int:
    if isinstance(dim, builtins.bool) or not isinstance(dim, (builtins.int, np.integer)):
        raise TypeError(f"{op}: dim must be an integer, got {dim!r}")
    if not -t.ndim <= dim < t.ndim:
        raise ValueError(f"{op}: dim {dim} is out of range for a tensor of shape {t.shape}")
    return builtins.int(dim) % t.ndim
