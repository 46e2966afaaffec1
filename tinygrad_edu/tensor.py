"""``Tensor``: a NumPy array that remembers how it was computed.

A tensor holds ``data`` (an ndarray), an optional ``grad`` and, when it was produced by a
recorded operation, ``_ctx``: the ``Function`` node that made it, whose ``inputs`` are the
parent tensors.  Every method below is one explicit line that calls an op's ``apply`` (or
composes other methods), so "go to definition" always lands on the code that runs.  The
chain rule itself lives in ``autograd.py``; the ops live in ``ops/``.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .config import Config

_DEFAULT_DTYPE = {"float": np.dtype(np.float32)}


def set_default_dtype(dtype: Any) -> None:
    """Set the dtype that Python floats become (float32 unless changed; float64 for checks)."""
    dt = np.dtype(dtype)
    if dt not in (np.float32, np.float64):
        raise ValueError(f"the default dtype must be float32 or float64, got {dt}")
    _DEFAULT_DTYPE["float"] = dt


def get_default_dtype() -> np.dtype:
    """The dtype Python floats and float lists become."""
    return _DEFAULT_DTYPE["float"]


def _to_array(data: Any, dtype: Any) -> np.ndarray:
    """Turn user data into an ndarray, with a clear error for anything non-numeric."""
    if isinstance(data, Tensor):
        arr = data.data
    elif isinstance(data, np.ndarray):
        arr = data
    else:
        if isinstance(data, (str, bytes)):
            raise TypeError(
                f"Tensor data must be numbers, got the string {data!r}; convert text to numbers "
                "first (for example with a vocabulary and nn.Embedding)"
            )
        if isinstance(data, (list, tuple)) and any(isinstance(d, Tensor) for d in data):
            if any(isinstance(d, Tensor) and d.requires_grad for d in data):
                raise TypeError(
                    "Tensor data is a list of Tensors that require grad; copying their numbers "
                    "would cut them from the graph. Join them with tg.stack(tensors), which "
                    "keeps the gradients (or pass [t.detach() for t in tensors] to copy)"
                )
            data = [d.data if isinstance(d, Tensor) else d for d in data]
        try:
            arr = np.asarray(data)
        except ValueError as err:  # NumPy refuses ragged nested lists
            raise ValueError(
                "Tensor data is a ragged nested list (rows of different lengths); every row "
                f"must have the same length so the data forms a rectangular array ({err})"
            ) from None
        if arr.dtype.kind == "f" and dtype is None:
            arr = arr.astype(_DEFAULT_DTYPE["float"])  # Python floats -> the default dtype
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"Tensor data must be numeric (bool, int or float), got an array of dtype {arr.dtype}"
            + ("; object arrays usually come from ragged lists or mixed types"
               if arr.dtype.kind == "O" else "")
        )
    if dtype is not None:
        arr = arr.astype(dtype, copy=False)
    return arr


class Tensor:
    """An n-dimensional array with reverse-mode automatic differentiation.

    ``Tensor(data, requires_grad=False, dtype=None, name=None)`` accepts Python numbers,
    nested lists, NumPy arrays and tensors.  Floating arrays keep their dtype; Python floats
    become the default dtype (float32); integer and bool data keep their dtype and cannot
    require gradients.  A NumPy array is used without copying, like ``torch.from_numpy``.
    """

    __slots__ = ("data", "grad", "_requires_grad", "_ctx", "name", "_retains_grad", "_hooks",
                 "__weakref__")
    # Let NumPy hand ``array + tensor`` to Tensor.__radd__ instead of looping over elements.
    __array_ufunc__ = None

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None,
                 name: str | None = None) -> None:
        self.data: np.ndarray = _to_array(data, dtype)
        self.grad: Tensor | None = None
        self._ctx: Any = None
        self._requires_grad = False
        self.name = name
        self._retains_grad = False
        # An empty tuple until the first hook: a list per tensor would be one more object for
        # the cycle collector to scan, and big graphs hold hundreds of thousands of tensors.
        self._hooks: list[Callable[[Tensor], Tensor | None]] | tuple = ()
        self.requires_grad = requires_grad

    @classmethod
    def _from_op(cls, data: np.ndarray, ctx: Any) -> Tensor:
        """Fast constructor used by ops: no validation, ``requires_grad`` iff recorded."""
        t = cls.__new__(cls)
        t.data, t.grad, t._ctx, t.name = data, None, ctx, None
        t._requires_grad, t._retains_grad, t._hooks = ctx is not None, False, ()
        return t

    # -- properties ----------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        """Whether gradients flow to this tensor."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and self.data.dtype.kind != "f":
            raise TypeError(
                f"only floating-point tensors can require gradients, but this one has dtype "
                f"{self.data.dtype}; create it with floats or pass dtype=np.float32"
            )
        if not value and self._ctx is not None:
            raise RuntimeError(
                "requires_grad can only be switched off on a leaf tensor; use .detach() to get "
                "a copy of a computed tensor that is cut from the graph"
            )
        self._requires_grad = bool(value)

    def requires_grad_(self, value: bool = True) -> Tensor:
        """Set ``requires_grad`` in place and return self (PyTorch style)."""
        self.requires_grad = value
        return self

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user (not by a recorded op)."""
        return self._ctx is None

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def op(self) -> str | None:
        """Name of the op that produced this tensor (``None`` for leaves)."""
        return None if self._ctx is None else self._ctx.name

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor; use .item() to read its value")
        return self.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        for i in range(len(self)):
            yield self[i]

    def __hash__(self) -> int:  # == builds a tensor, so hash by identity
        return id(self)

    def __bool__(self) -> bool:
        if self.size != 1:
            raise ValueError(
                f"the truth value of a tensor of shape {self.shape} is ambiguous; reduce it "
                "first, e.g. bool((t > 0).numpy().all()), or compare .item() for single values"
            )
        return bool(self.data)

    def __float__(self) -> builtins.float:
        return builtins.float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __format__(self, spec: str) -> str:
        """``f"{loss:.4f}"`` formats a one-element tensor like the number it holds."""
        if spec and self.size == 1:
            return format(self.item(), spec)
        return format(repr(self), spec)

    def __setitem__(self, index: Any, value: Any) -> None:
        raise TypeError(
            "tensors cannot be changed by item assignment (t[i] = v): the recorded graph "
            "would no longer describe the values. Build a new tensor instead, e.g. "
            "tg.where(mask, v, t); to edit raw numbers outside autograd, assign to t.data[i]"
        )

    # -- conversion ------------------------------------------------------------------------
    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied)."""
        return self.data

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """NumPy's protocol: ``np.asarray(t)`` shares the data, ``np.array(t)`` copies it."""
        arr = self.data if dtype is None else self.data.astype(dtype, copy=False)
        if copy is False and arr is not self.data:
            raise ValueError(f"cannot view a {self.dtype} tensor as {np.dtype(dtype)} without a copy")
        return arr.copy() if copy and arr is self.data else arr

    def item(self) -> float | int | bool:
        """The value of a one-element tensor as a Python number."""
        if self.size != 1:
            raise ValueError(f"item() needs a tensor with one element, this one has shape {self.shape}")
        return self.data.item()

    def tolist(self) -> Any:
        return self.data.tolist()

    def detach(self) -> Tensor:
        """A new leaf sharing this data, cut from the graph (no gradient flows through it)."""
        return Tensor._from_op(self.data, None)

    def astype(self, dtype: Any) -> Tensor:
        """Convert to another dtype (differentiable between float dtypes).

        Converting to an integer or bool dtype gives a constant (no gradient flows back),
        because rounding has no useful derivative and integer tensors never require grad.
        """
        dt = np.dtype(dtype)
        if dt.kind != "f":
            return Tensor._from_op(self.data.astype(dt), None)
        return shape_ops.Cast.apply(self, dtype=dt)

    def float(self) -> Tensor:
        return self.astype(np.float32)

    def double(self) -> Tensor:
        return self.astype(np.float64)

    def _label(self) -> str:
        return f"tensor {self.name!r}" if self.name else f"a tensor of shape {self.shape}"

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Tensor(")
        extras = [f"dtype={self.dtype}"]
        if self.name:
            extras.append(f"name={self.name!r}")
        if self._ctx is not None:
            extras.append(f"op={self._ctx.name}")
        if self.requires_grad:
            extras.append("requires_grad=True")
        return f"Tensor({body}, {', '.join(extras)})"

    # -- autograd ----------------------------------------------------------------------------
    def backward(self, grad: Any = None, retain_graph: bool = False,
                 create_graph: bool = False) -> None:
        """Add d(self)/d(leaf) to the ``.grad`` of every leaf that requires grad.

        A one-element output is seeded with 1; any other needs ``grad`` of its shape.  The
        graph is freed afterwards unless ``retain_graph=True``.  With ``create_graph=True``
        the gradients are themselves recorded, so they can be differentiated again.
        """
        autograd.backward(self, grad, retain_graph=retain_graph, create_graph=create_graph)

    def retain_grad(self) -> Tensor:
        """Keep ``.grad`` on this non-leaf tensor after backward (leaves always keep it)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad() on a tensor that does not require grad")
        self._retains_grad = True
        return self

    def register_hook(self, fn: Callable[[Tensor], Tensor | None]) -> _HookHandle:
        """Call ``fn(grad)`` when this tensor's gradient is computed; a returned Tensor replaces it."""
        if not self.requires_grad:
            raise RuntimeError("register_hook() on a tensor that does not require grad")
        if not self._hooks:
            self._hooks = []
        assert isinstance(self._hooks, list)
        self._hooks.append(fn)
        return _HookHandle(self._hooks, fn)

    # -- arithmetic (broadcasting is made explicit in _binary) ----------------------------------
    def __add__(self, other: Any) -> Tensor:
        return operands.binary(elementwise.Add, self, other)

    def __radd__(self, other: Any) -> Tensor:
        return operands.binary(elementwise.Add, operands.operand(other, self), self)

    def __mul__(self, other: Any) -> Tensor:
        return operands.binary(elementwise.Mul, self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return operands.binary(elementwise.Mul, operands.operand(other, self), self)

    # -- in-place forms: ``w -= lr * w.grad`` inside no_grad is the hand-written SGD step ----------
    def __iadd__(self, other: Any) -> Tensor:
        return self._inplace(np.add, other, "+=", Tensor.__add__)

    def __isub__(self, other: Any) -> Tensor:
        return self._inplace(np.subtract, other, "-=", Tensor.__sub__)

    def __imul__(self, other: Any) -> Tensor:
        return self._inplace(np.multiply, other, "*=", Tensor.__mul__)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._inplace(np.true_divide, other, "/=", Tensor.__truediv__)

    def _inplace(self, ufunc: np.ufunc, other: Any, symbol: str,
                 out_of_place: Callable[[Tensor, Any], Tensor]) -> Tensor:
        """Update ``data`` in place when nothing is being recorded (as PyTorch does).

        While a graph is being recorded, changing an array in place would make the graph
        lie, so ``h += b`` builds a new tensor (Python rebinds ``h``).  For a leaf that
        requires grad that would silently turn a parameter into a computed tensor, so it
        is an error that points to ``no_grad``.
        """
        other_grad = isinstance(other, Tensor) and other.requires_grad
        if Config.grad_enabled and (self.requires_grad or other_grad):
            if self.requires_grad and self._ctx is None:
                raise RuntimeError(
                    f"{symbol} on {self._label()}, a leaf that requires grad, while recording: "
                    f"it would replace the parameter by a computed tensor. Do the update inside "
                    f"`with tg.no_grad():` (or change .data)"
                )
            return out_of_place(self, other)
        value = other.data if isinstance(other, Tensor) else other
        try:
            ufunc(self.data, value, out=self.data, casting="same_kind")
        except (ValueError, TypeError) as err:  # shapes, read-only views, int -= float
            raise (TypeError if isinstance(err, TypeError) else ValueError)(
                f"{symbol} cannot update {self._label()} (dtype {self.dtype}) in place with "
                f"{type(other).__name__} of shape {np.shape(value)}: {err}"
            ) from None
        return self

    def __neg__(self) -> Tensor:
        return elementwise.Neg.apply(self)

    def __sub__(self, other: Any) -> Tensor:
        """x - y = x + (-y); for a Python number, one Add of the negated constant."""
        if operands.is_scalar(other):
            return self + (-other)
        return self + _negated(operands.operand(other, self))

    def __rsub__(self, other: Any) -> Tensor:
        return operands.operand(other, self) + _negated(self)

    def __truediv__(self, other: Any) -> Tensor:
        """x / y = x * y**-1; for a Python number, one Mul by its reciprocal."""
        if operands.is_scalar(other):
            return self * (1.0 / other)
        return self * operands.operand(other, self) ** -1

    def __rtruediv__(self, other: Any) -> Tensor:
        return operands.operand(other, self) * self ** -1

    def __pow__(self, exponent: Any) -> Tensor:
        """x ** c for a number c, or x ** y for a tensor y (then x must be positive)."""
        if operands.is_scalar(exponent):
            base = self
            if self.dtype.kind != "f" and (isinstance(exponent, (float, np.floating)) or exponent < 0):
                base = operands.as_float(self)  # [4] ** 0.5 and [2] ** -1 are not integers
            return elementwise.PowConst.apply(base, exponent=float(exponent))
        return operands.binary(elementwise.Pow, self, exponent)

    def __rpow__(self, base: Any) -> Tensor:
        return operands.binary(elementwise.Pow, operands.operand(base, self), self)

    def __matmul__(self, other: Any) -> Tensor:
        return linalg.matmul(self, operands.operand(other, self))

    def __rmatmul__(self, other: Any) -> Tensor:
        return linalg.matmul(operands.operand(other, self), self)

    def matmul(self, other: Any) -> Tensor:
        return self @ other

    def dot(self, other: Any) -> Tensor:
        return self @ other

    # -- comparisons: boolean tensors, no gradient ---------------------------------------------
    def __lt__(self, other: Any) -> Tensor:
        return operands.compare(np.less, self, other)

    def __le__(self, other: Any) -> Tensor:
        return operands.compare(np.less_equal, self, other)

    def __gt__(self, other: Any) -> Tensor:
        return operands.compare(np.greater, self, other)

    def __ge__(self, other: Any) -> Tensor:
        return operands.compare(np.greater_equal, self, other)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return operands.compare(np.equal, self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return operands.compare(np.not_equal, self, other)

    # -- elementwise functions ------------------------------------------------------------------
    def exp(self) -> Tensor:
        return elementwise.Exp.apply(operands.as_float(self))

    def log(self) -> Tensor:
        return elementwise.Log.apply(operands.as_float(self))

    def sqrt(self) -> Tensor:
        return self ** 0.5

    def abs(self) -> Tensor:
        """|x| = maximum(x, -x): at 0 the tie splits the gradient, giving the subgradient 0."""
        return self.maximum(-self)

    def maximum(self, other: Any) -> Tensor:
        """Elementwise max; where both are equal each side gets half the gradient."""
        return operands.binary(elementwise.Maximum, self, other)

    def minimum(self, other: Any) -> Tensor:
        return -((-self).maximum(-operands.operand(other, self)))

    def clip(self, min: Any = None, max: Any = None) -> Tensor:
        """Limit values to [min, max]; the gradient is 1 inside (ends included), 0 outside."""
        if operands.is_scalar(min) and operands.is_scalar(max) and min > max:
            raise ValueError(f"clip: min ({min}) is larger than max ({max}); swap them")
        out = self
        if max is not None:
            out = where(self.data > np.asarray(max), operands.operand(max, self), out)
        if min is not None:
            out = where(self.data < np.asarray(min), operands.operand(min, self), out)
        return out

    # -- reductions -------------------------------------------------------------------------------
    def sum(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return reduce.Sum.apply(self, axis=operands.normalize_axes(self, axis, "sum"), keepdims=keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        axes = operands.normalize_axes(self, axis, "mean")
        count = math.prod(self.shape[a] for a in axes)
        return self.sum(axis=axes, keepdims=keepdims) * (1.0 / max(count, 1))

    def max(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Largest value; tied maxima share the gradient equally."""
        if self.size == 0:
            raise ValueError("max() of an empty tensor has no value")
        return reduce.Max.apply(self, axis=operands.normalize_axes(self, axis, "max"), keepdims=keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return -((-self).max(axis=axis, keepdims=keepdims))

    def var(self, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
        """Variance, mean((x - mean(x))**2); ``ddof=1`` for the unbiased estimate (PyTorch's default)."""
        axes = operands.normalize_axes(self, axis, "var")
        count = math.prod(self.shape[a] for a in axes)
        centered = self - self.mean(axis=axes, keepdims=True)
        return (centered * centered).sum(axis=axes, keepdims=keepdims) * (1.0 / max(count - ddof, 1))

    def std(self, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
        return self.var(axis=axis, keepdims=keepdims, ddof=ddof).sqrt()

    def argmax(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        """Index of the largest value (an integer tensor, not differentiable)."""
        ax = None if axis is None or self.ndim == 0 else operands.normalize_axes(self, axis, "argmax")[0]
        return Tensor._from_op(np.asarray(np.argmax(self.data, axis=ax, keepdims=keepdims)), None)

    def argmin(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        ax = None if axis is None or self.ndim == 0 else operands.normalize_axes(self, axis, "argmin")[0]
        return Tensor._from_op(np.asarray(np.argmin(self.data, axis=ax, keepdims=keepdims)), None)

    # -- shape --------------------------------------------------------------------------------------
    def reshape(self, *shape: Any) -> Tensor:
        """A tensor with the same data in a new shape; one dimension may be -1."""
        new = shape_ops.infer_shape(self.shape, shape)
        return self if new == self.shape else shape_ops.Reshape.apply(self, shape=new)

    def view(self, *shape: Any) -> Tensor:
        return self.reshape(*shape)

    def transpose(self, *axes: Any) -> Tensor:
        """Permute axes like NumPy: ``t.transpose()`` reverses them, ``t.transpose(1, 0, 2)``.

        Unlike ``torch.transpose(a, b)``, two numbers are a full permutation, not a swap; use
        ``swapaxes(a, b)`` for that.
        """
        perm = shape_ops.check_permutation(self.ndim, axes)
        return shape_ops.Transpose.apply(self, axes=perm)

    def permute(self, *axes: Any) -> Tensor:
        return self.transpose(*axes)

    def swapaxes(self, a: int, b: int) -> Tensor:
        perm = list(range(self.ndim))
        if self.ndim == 0:
            # only checks the range: a 0-d tensor has no axes to swap
            operands.normalize_axes(self, (a, b), "swapaxes")
            return self
        a, b = operands.normalize_axes(self, (a, b), "swapaxes", keep_order=True)
        perm[a], perm[b] = perm[b], perm[a]
        return shape_ops.Transpose.apply(self, axes=tuple(perm))

    @property
    def T(self) -> Tensor:
        """The transpose (axes reversed)."""
        return shape_ops.Transpose.apply(self, axes=tuple(range(self.ndim - 1, -1, -1)))

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge dimensions start_dim..end_dim into one (all of them by default)."""
        if self.ndim == 0:
            return self.reshape(1)
        start, end = operands.normalize_axes(self, (start_dim, end_dim), "flatten", keep_order=True)
        merged = math.prod(self.shape[start:end + 1])
        return self.reshape(*self.shape[:start], merged, *self.shape[end + 1:])

    def squeeze(self, axis: Any = None) -> Tensor:
        """Drop dimensions of size 1 (all of them, or the given ones)."""
        if axis is None:
            return self.reshape(*[n for n in self.shape if n != 1])
        axes = operands.normalize_axes(self, axis, "squeeze")
        for a in axes:
            if self.shape[a] != 1:
                raise ValueError(f"squeeze: axis {a} has size {self.shape[a]}, not 1 (shape {self.shape})")
        return self.reshape(*[n for i, n in enumerate(self.shape) if i not in axes])

    def unsqueeze(self, axis: int) -> Tensor:
        """Insert a dimension of size 1 at ``axis``."""
        if not -self.ndim - 1 <= axis <= self.ndim:
            raise ValueError(f"unsqueeze: axis {axis} is out of range for a {self.ndim}-d tensor")
        axis = axis % (self.ndim + 1)
        return self.reshape(*self.shape[:axis], 1, *self.shape[axis:])

    def expand_dims(self, axis: int) -> Tensor:
        return self.unsqueeze(axis)

    def broadcast_to(self, *shape: Any) -> Tensor:
        """Repeat along new or size-1 dimensions; its backward sums them back (``sum_to``)."""
        target = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        target = tuple(int(n) for n in target)
        if target == self.shape:
            return self
        shape_ops.broadcast_shape("broadcast_to", self.shape, target, target=target)
        return shape_ops.BroadcastTo.apply(self, shape=target)

    def expand(self, *shape: Any) -> Tensor:
        return self.broadcast_to(*shape)

    def sum_to(self, shape: tuple[int, ...]) -> Tensor:
        """Sum over the broadcast dimensions so the result has ``shape``: undoes broadcasting.

        This is the single place where broadcasting is undone; ``BroadcastTo`` and ``MatMul``
        both use it in their backward.
        """
        shape = tuple(shape)
        if shape == self.shape:
            return self
        lead = self.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, n in enumerate(shape) if n == 1 and self.shape[lead + i] != 1
        )
        summed = reduce.Sum.apply(self, axis=axes, keepdims=True)  # axes are valid by construction
        return summed if summed.shape == shape else shape_ops.Reshape.apply(summed, shape=shape)

    def __getitem__(self, index: Any) -> Tensor:
        """NumPy indexing: ints, slices, None, ..., integer arrays and boolean masks.

        Repeated integer indices accumulate their gradients.
        """
        idx = shape_ops.normalize_index(self.shape, index)
        try:
            return shape_ops.GetItem.apply(self, index=idx)
        except IndexError as err:  # out of range, float index, mask of the wrong shape...
            shown = operands.show_index(index)
            raise IndexError(
                f"cannot index a tensor of shape {self.shape} with {shown}: {err}. Indices "
                "must be integers within each axis's size (negative counts from the end), "
                "slices, None, ..., integer arrays or a boolean mask of the indexed shape"
            ) from None

    # -- activations ---------------------------------------------------------------------------------
    def relu(self) -> Tensor:
        return activations.ReLU.apply(self)

    def sigmoid(self) -> Tensor:
        return activations.Sigmoid.apply(operands.as_float(self))

    def tanh(self) -> Tensor:
        return activations.Tanh.apply(operands.as_float(self))

    def leaky_relu(self, alpha: builtins.float = 0.01) -> Tensor:
        """x for x > 0, alpha*x otherwise (composed: where(x > 0, x, alpha*x))."""
        return where(self.data > 0, self, self * alpha)

    def log_softmax(self, axis: int = -1) -> Tensor:
        # () for a 0-d tensor: then it reduces over everything
        axes = operands.normalize_axes(self, axis, "log_softmax")
        return activations.LogSoftmax.apply(operands.as_float(self), axis=axes[0] if axes else None)

    def softmax(self, axis: int = -1) -> Tensor:
        """exp(log_softmax(x)): stable for huge logits because log_softmax is."""
        return self.log_softmax(axis).exp()

    def step(self) -> Tensor:
        """Heaviside step, 1 where x >= 0 else 0 (the perceptron's activation); gradient 0."""
        return activations.Step.apply(self)


def _negated(t: Tensor) -> Tensor:
    """-t, named "-y" when t is named y, so pictures of ``pred - y`` still say y."""
    out = -t
    if t.name and out.name is None:
        out.name = f"-{t.name}"
    return out


class _HookHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook."""

    def __init__(self, hooks: list, fn: Callable) -> None:
        self._hooks, self._fn = hooks, fn

    def remove(self) -> None:
        if self._fn in self._hooks:
            self._hooks.remove(self._fn)


# The op modules (and the operand rules) build Tensors, so they are imported once the class
# exists.  ``where`` is re-exported here because it is part of the Tensor API.
from . import autograd, operands  # noqa: E402
from .operands import where  # noqa: E402,F401
from .ops import activations, elementwise, linalg, reduce  # noqa: E402
from .ops import shape as shape_ops  # noqa: E402
