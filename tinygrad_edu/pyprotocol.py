"""How a Tensor behaves as a Python object: length, iteration, truth value, conversion to
numbers and NumPy, printing, and the in-place operators of a hand-written SGD step.

None of this records a graph (except ``h += b`` while recording, which builds a new tensor);
it lives here so tensor.py opens with the ops.  Tensor inherits this mixin.
"""

from __future__ import annotations

# Methods annotate ``self: Tensor`` (the only class that inherits this mixin); mypy cannot
# check that a mixin's self type is its subclass, hence:
# mypy: disable-error-code="misc"
import builtins
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from .config import Config
from .richdisplay import tensor_html

if TYPE_CHECKING:
    from .tensor import Tensor


class PythonProtocol:
    """``len``, ``iter``, ``bool``, ``float``, ``int``, ``format``, ``np.asarray``, ``repr``, ``+=``."""

    __slots__ = ()

    # -- reading values ------------------------------------------------------------------------
    def numpy(self: Tensor) -> np.ndarray:
        """The underlying array (shared, not copied)."""
        return self.data

    def item(self: Tensor) -> builtins.float | int | bool:
        """The value of a one-element tensor as a Python number."""
        if self.size != 1:
            raise ValueError(f"item() needs a tensor with one element, this one has shape {self.shape}")
        return self.data.item()

    def tolist(self: Tensor) -> Any:
        return self.data.tolist()

    def __array__(self: Tensor, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """NumPy's protocol: ``np.asarray(t)`` shares the data, ``np.array(t)`` copies it."""
        arr = self.data if dtype is None else self.data.astype(dtype, copy=False)
        if copy is False and arr is not self.data:
            raise ValueError(f"cannot view a {self.dtype} tensor as {np.dtype(dtype)} without a copy")
        return arr.copy() if copy and arr is self.data else arr

    def __len__(self: Tensor) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor; use .item() to read its value")
        return self.shape[0]

    def __iter__(self: Tensor) -> Iterator[Tensor]:
        for i in range(len(self)):
            yield self[i]

    def __bool__(self: Tensor) -> bool:
        if self.size != 1:
            raise ValueError(
                f"the truth value of a tensor of shape {self.shape} is ambiguous; reduce it "
                "first, e.g. bool((t > 0).numpy().all()), or compare .item() for single values"
            )
        return bool(self.data)

    def __float__(self: Tensor) -> builtins.float:
        return builtins.float(self.item())

    def __int__(self: Tensor) -> int:
        return int(self.item())

    def __format__(self: Tensor, spec: str) -> str:
        """``f"{loss:.4f}"`` formats a one-element tensor like the number it holds."""
        if spec and self.size == 1:
            return format(self.item(), spec)
        return format(repr(self), spec)

    def _label(self: Tensor) -> str:
        return f"tensor {self.name!r}" if self.name else f"a tensor of shape {self.shape}"

    def __repr__(self: Tensor) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Tensor(")
        extras = [f"dtype={self.dtype}"]
        if self.name:
            extras.append(f"name={self.name!r}")
        if self._ctx is not None:
            extras.append(f"op={self._ctx.name}")
        if self.requires_grad:
            extras.append("requires_grad=True")
        return f"Tensor({body}, {', '.join(extras)})"

    def _repr_html_(self: Tensor) -> str:
        return tensor_html(self)  # Jupyter: value, shape, dtype, op and grad as a table

    # -- writing values --------------------------------------------------------------------------
    def __setitem__(self: Tensor, index: Any, value: Any) -> None:
        """``t[i] = v`` only outside every gradient computation (see ``assign_items``)."""
        from .custom_function import assign_items  # it builds on the finished Tensor class

        assign_items(self, index, value)

    # ``w -= lr * w.grad`` inside no_grad is the hand-written SGD step.
    def __iadd__(self: Tensor, other: Any) -> Tensor:
        return _inplace(self, np.add, other, "+=", type(self).__add__)

    def __isub__(self: Tensor, other: Any) -> Tensor:
        return _inplace(self, np.subtract, other, "-=", type(self).__sub__)

    def __imul__(self: Tensor, other: Any) -> Tensor:
        return _inplace(self, np.multiply, other, "*=", type(self).__mul__)

    def __itruediv__(self: Tensor, other: Any) -> Tensor:
        return _inplace(self, np.true_divide, other, "/=", type(self).__truediv__)


def _inplace(t: Tensor, ufunc: np.ufunc, other: Any, symbol: str,
             out_of_place: Callable[[Tensor, Any], Tensor]) -> Tensor:
    """Update ``data`` in place when nothing is being recorded (as PyTorch does).

    While a graph is being recorded, changing an array in place would make the graph lie,
    so ``h += b`` builds a new tensor (Python rebinds ``h``).  For a leaf that requires grad
    that would silently turn a parameter into a computed tensor, so it is an error that
    points to ``no_grad``.
    """
    other_grad = getattr(other, "_requires_grad", False)
    if Config.grad_enabled and (t.requires_grad or other_grad):
        if t.requires_grad and t._ctx is None:
            raise RuntimeError(
                f"{symbol} on {t._label()}, a leaf that requires grad, while recording: it "
                "would replace the parameter by a computed tensor. Do the update inside "
                "`with tg.no_grad():` (or change .data)"
            )
        return out_of_place(t, other)
    value = other.data if hasattr(other, "_requires_grad") else other
    if Config.recorder is not None:  # compile seam: tg.compile records the update (compiler/)
        Config.recorder.inplace(t, ufunc, value)
    try:
        ufunc(t.data, value, out=t.data, casting="same_kind")
    except (ValueError, TypeError) as err:  # shapes, read-only views, int -= float
        raise (TypeError if isinstance(err, TypeError) else ValueError)(
            f"{symbol} cannot update {t._label()} (dtype {t.dtype}) in place with "
            f"{type(other).__name__} of shape {np.shape(value)}: {err}"
        ) from None
    t._version += 1  # a graph that saved the old values will refuse to use them
    return t
