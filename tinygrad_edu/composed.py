"""More PyTorch Tensor methods, each a composition of the engine's ops (or a constant).

Like aliases.py, nothing here is a new primitive and nothing writes a gradient: ``norm`` is
``sqrt(sum(x²))``, ``logsumexp`` is ``m + log Σ exp(x - m)``, ``masked_fill`` is ``where``.
Rounding-style methods (``sign``, ``floor``, ``round``...) and tests (``isnan``...) return
constants: their derivative is 0 almost everywhere, so no gradient flows through them.
"""

from __future__ import annotations

# mypy: disable-error-code="misc"
import builtins
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from .config import Config, no_grad
from .inplace import record_in_place

if TYPE_CHECKING:
    from .tensor import Tensor


class ComposedMethods:
    """PyTorch Tensor methods built from other Tensor methods (see each docstring's formula)."""

    __slots__ = ()

    # -- arithmetic and reductions -----------------------------------------------------------
    def neg(self: Tensor) -> Tensor:
        """-x."""
        return -self

    negative = neg

    def min(self: Tensor, dim: Any = None, keepdim: Any = None, *, axis: Any = None,
            keepdims: builtins.bool = False) -> Any:
        """Smallest value, -max(-x); ``min(d)`` returns ``(values, indices)`` like ``max``, and
        ``min(other_tensor)`` is ``minimum``."""
        if hasattr(dim, "_requires_grad"):  # a Tensor: PyTorch's torch.min(a, b)
            return self.minimum(dim)
        best = (-self).max(dim, keepdim, axis=axis, keepdims=keepdims)
        if dim is None:
            return -best
        from .operands import ValuesIndices  # operands imports the Tensor class
        return ValuesIndices(-best.values, best.indices)

    def amax(self: Tensor, dim: Any = None, keepdim: builtins.bool = False) -> Tensor:
        """Largest value over ``dim`` (values only, never indices)."""
        return self.max(axis=dim, keepdims=keepdim)

    def amin(self: Tensor, dim: Any = None, keepdim: builtins.bool = False) -> Tensor:
        """Smallest value over ``dim`` (values only)."""
        return self.min(axis=dim, keepdims=keepdim)

    def norm(self: Tensor, p: Any = "fro", dim: Any = None, keepdim: builtins.bool = False) -> Tensor:
        """‖x‖_p over ``dim`` (all elements by default): p=2/"fro" √Σx², p=1 Σ|x|, p=inf max|x|,
        otherwise (Σ|x|^p)^(1/p)."""
        if p in ("fro", 2, 2.0):
            return (self * self).sum(axis=dim, keepdims=keepdim).sqrt()
        if p in (1, 1.0):
            return self.abs().sum(axis=dim, keepdims=keepdim)
        if p == float("inf"):
            return self.abs().max(axis=dim, keepdims=keepdim)
        if not isinstance(p, (builtins.int, builtins.float)) or p <= 0:
            raise ValueError(f"norm: p must be a positive number, 'fro' or inf, got {p!r}")
        return (self.abs() ** p).sum(axis=dim, keepdims=keepdim) ** (1.0 / p)

    def logsumexp(self: Tensor, dim: Any, keepdim: builtins.bool = False) -> Tensor:
        """log Σ exp(x) over ``dim``, computed as m + log Σ exp(x − m) with m = max x (no overflow)."""
        top = _constant(self, self.data.max(axis=dim, keepdims=True))
        out = top + (self - top).exp().sum(axis=dim, keepdims=True).log()
        return out if keepdim else out.squeeze(dim)

    def all(self: Tensor, dim: Any = None, keepdim: builtins.bool = False) -> Tensor:
        """Whether every element is non-zero (a bool tensor; no gradient)."""
        return _constant(self, np.all(self.data, axis=dim, keepdims=keepdim))

    def any(self: Tensor, dim: Any = None, keepdim: builtins.bool = False) -> Tensor:
        """Whether some element is non-zero (a bool tensor; no gradient)."""
        return _constant(self, np.any(self.data, axis=dim, keepdims=keepdim))

    # -- constants: tests and rounding --------------------------------------------------------
    def isnan(self: Tensor) -> Tensor:
        """Where x is NaN (bool)."""
        return _constant(self, np.isnan(self.data))

    def isinf(self: Tensor) -> Tensor:
        """Where x is ±inf (bool)."""
        return _constant(self, np.isinf(self.data))

    def isfinite(self: Tensor) -> Tensor:
        """Where x is neither NaN nor ±inf (bool)."""
        return _constant(self, np.isfinite(self.data))

    def sign(self: Tensor) -> Tensor:
        """−1, 0 or 1 (a constant: its derivative is 0 wherever it exists)."""
        return _constant(self, np.sign(self.data))

    def floor(self: Tensor) -> Tensor:
        """⌊x⌋ (a constant: derivative 0 almost everywhere)."""
        return _constant(self, np.floor(self.data))

    def ceil(self: Tensor) -> Tensor:
        """⌈x⌉ (a constant)."""
        return _constant(self, np.ceil(self.data))

    def round(self: Tensor, decimals: builtins.int = 0) -> Tensor:
        """x rounded half to even, as NumPy and PyTorch (a constant)."""
        return _constant(self, np.round(self.data, decimals))

    def trunc(self: Tensor) -> Tensor:
        """x rounded toward 0 (a constant)."""
        return _constant(self, np.trunc(self.data))

    def masked_fill(self: Tensor, mask: Any, value: Any) -> Tensor:
        """``value`` where ``mask`` is true, x elsewhere: ``where(mask, value, x)``; the gradient
        reaches x only where the mask is false."""
        from .operands import where  # operands imports the Tensor class, so here, not at the top
        mask_data = np.asarray(getattr(mask, "data", mask))
        if mask_data.dtype != np.bool_:
            raise TypeError(f"masked_fill: mask must be a bool tensor, got dtype {mask_data.dtype}; "
                            "write a comparison such as x < 0")
        return where(np.broadcast_to(mask_data, self.shape), value, self)

    # -- shapes and dtypes of other tensors ---------------------------------------------------
    def expand_as(self: Tensor, other: Tensor) -> Tensor:
        """``expand(other.shape)``."""
        return self.expand(other.shape)

    def view_as(self: Tensor, other: Tensor) -> Tensor:
        """``reshape(other.shape)``."""
        return self.reshape(other.shape)

    reshape_as = view_as

    def type_as(self: Tensor, other: Tensor) -> Tensor:
        """``astype(other.dtype)``."""
        return self.to(other.dtype)

    @property
    def mT(self: Tensor) -> Tensor:  # noqa: N802  (PyTorch's name)
        """The last two dimensions swapped (a batch of matrix transposes)."""
        return self.transpose(-2, -1)

    def nelement(self: Tensor) -> builtins.int:
        """Number of elements (``numel``)."""
        return builtins.int(self.data.size)

    def ndimension(self: Tensor) -> builtins.int:
        """Number of dimensions (``dim``)."""
        return self.ndim

    def element_size(self: Tensor) -> builtins.int:
        """Bytes per element."""
        return builtins.int(self.data.itemsize)

    def half(self: Tensor) -> Tensor:
        """Always an error: tinygrad_edu holds float32 and float64 only."""
        raise TypeError("half(): float16 is not supported (tinygrad_edu computes in float32 or "
                        "float64); use .float()")

    # -- new tensors like this one --------------------------------------------------------------
    def new_tensor(self: Tensor, data: Any, dtype: Any = None, requires_grad: builtins.bool = False,
                   device: Any = None) -> Tensor:
        """A new leaf from ``data`` with this tensor's dtype unless ``dtype`` is given."""
        from .creation import tensor
        return tensor(data, dtype=self.dtype if dtype is None else dtype,
                      requires_grad=requires_grad, device=device)

    def new_zeros(self: Tensor, *size: Any, dtype: Any = None, requires_grad: builtins.bool = False,
                  device: Any = None) -> Tensor:
        """``zeros(size)`` with this tensor's dtype unless ``dtype`` is given."""
        from .creation import zeros
        return zeros(*size, dtype=self.dtype if dtype is None else dtype,
                     requires_grad=requires_grad, device=device)

    def new_ones(self: Tensor, *size: Any, dtype: Any = None, requires_grad: builtins.bool = False,
                 device: Any = None) -> Tensor:
        """``ones(size)`` with this tensor's dtype unless ``dtype`` is given."""
        from .creation import ones
        return ones(*size, dtype=self.dtype if dtype is None else dtype,
                    requires_grad=requires_grad, device=device)

    def new_full(self: Tensor, size: Any, fill_value: Any, dtype: Any = None,
                 requires_grad: builtins.bool = False, device: Any = None) -> Tensor:
        """``full(size, fill_value)`` with this tensor's dtype unless ``dtype`` is given."""
        from .creation import full
        return full(size, fill_value, dtype=self.dtype if dtype is None else dtype,
                    requires_grad=requires_grad, device=device)

    new_empty = new_zeros

    # -- in-place arithmetic -----------------------------------------------------------------------
    def add_(self: Tensor, other: Any, alpha: Any = 1) -> Tensor:
        """x ← x + alpha·other, in place (recorded when x is part of a graph; see inplace.py)."""
        return _in_place(self, "add_", lambda t: t + (other if alpha == 1 else other * alpha), other)

    def sub_(self: Tensor, other: Any, alpha: Any = 1) -> Tensor:
        """x ← x − alpha·other, in place."""
        return _in_place(self, "sub_", lambda t: t - (other if alpha == 1 else other * alpha), other)

    def mul_(self: Tensor, other: Any) -> Tensor:
        """x ← x·other, in place."""
        return _in_place(self, "mul_", lambda t: t * other, other)

    def div_(self: Tensor, other: Any) -> Tensor:
        """x ← x / other, in place."""
        return _in_place(self, "div_", lambda t: t / other, other)

    def clamp_(self: Tensor, min: Any = None, max: Any = None) -> Tensor:
        """x limited to [min, max], in place."""
        return _in_place(self, "clamp_", lambda t: t.clip(min=min, max=max))

    def normal_(self: Tensor, mean: builtins.float = 0.0, std: builtins.float = 1.0) -> Tensor:
        """Fill with samples of N(mean, std²) from the global generator (``tg.manual_seed``)."""
        from . import random as tg_random
        values = tg_random.generator(None).normal(mean, std, self.shape)
        return _in_place(self, "normal_", lambda t: _constant(t, values))

    def uniform_(self: Tensor, a: builtins.float = 0.0, b: builtins.float = 1.0) -> Tensor:
        """Fill with samples of U(a, b) from the global generator (``tg.manual_seed``)."""
        from . import random as tg_random
        values = tg_random.generator(None).uniform(a, b, self.shape)
        return _in_place(self, "uniform_", lambda t: _constant(t, values))


def _constant(like: Tensor, array: Any) -> Tensor:
    """A new tensor with no graph, holding ``array``."""
    return type(like)._from_op(np.asarray(array), None)


def _in_place(t: Tensor, op: str, compute: Callable[[Tensor], Tensor], other: Any = None) -> Tensor:
    """Give ``t`` the values of ``compute(t)``.

    Where no gradient is involved the numbers change in place (and the version counter goes
    up, so a graph that saved the old values refuses to backpropagate through them).  Where
    one is, the change is recorded as an op (inplace.py) -- or refused if that cannot be done
    soundly, with a message saying what to write instead.
    """
    if Config.recorder is not None:  # compile seam: in-place methods are not replayed (compiler/)
        Config.recorder.refuse(f"{op} on {t._label()}")
    if Config.grad_enabled and (t._requires_grad or getattr(other, "_requires_grad", False)):
        record_in_place(t, op, compute)
        return t
    with no_grad():
        result = compute(t)
    if result.shape != t.shape:
        raise ValueError(f"{op}: the result has shape {result.shape}, but {t._label()} has shape "
                         f"{t.shape}; an in-place op cannot change the shape (broadcast the other way)")
    if not t.data.flags.writeable:  # a broadcast view: give this tensor its own memory
        t.data = t.data.copy()
    try:
        np.copyto(t.data, result.data, casting="same_kind")
    except TypeError:
        raise TypeError(f"{op}: the result has dtype {result.dtype}, which {t._label()} (dtype "
                        f"{t.dtype}) cannot hold; convert it first, e.g. t = t.float()") from None
    t._version += 1
    return t
