"""``Tensor``: a NumPy array that remembers how it was computed.

It holds ``data`` (an ndarray), an optional ``grad`` and, if a recorded op made it, ``_ctx``:
that ``Function`` node, whose ``inputs`` are the parents.  Each op method is one explicit line
over an op's ``apply`` (or other methods), grouped as ``ops/`` is; the chain rule is in
``autograd.py``.  Python protocols and ``+=`` are in ``pyprotocol.py``, other frameworks' names
in ``aliases.py``, turning user data into arrays in ``conversion.py``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .aliases import TensorAliases
from .composed import ComposedMethods
from .conversion import check_requires_grad, supported_dtype, to_array
from .device import check_device
from .gradattrs import GradAttributes
from .pyprotocol import PythonProtocol


class Tensor(TensorAliases, ComposedMethods, PythonProtocol, GradAttributes):
    """An n-dimensional array with reverse-mode automatic differentiation.

    ``Tensor(data, requires_grad=False, dtype=None, name=None, device=None)`` accepts numbers,
    nested lists, NumPy arrays and tensors.  Floating arrays keep their dtype; Python floats
    become the default dtype (float32); integer and bool data keep their dtype and cannot
    require gradients.  A NumPy array is used without copying, like ``torch.from_numpy``.
    """

    __slots__ = ("data", "_grad", "_requires_grad", "_ctx", "name", "_retains_grad", "_hooks", "_version",
                 "__weakref__")
    # Let NumPy hand ``array + tensor`` to Tensor.__radd__ instead of looping over elements.
    __array_ufunc__ = None

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None,
                 name: str | None = None, device: Any = None) -> None:
        check_device(device, "Tensor")  # the CPU is the only device; another is a clear error
        self.data: np.ndarray = to_array(data, dtype)
        self._grad: Tensor | None = None  # ``grad`` (gradattrs.py) checks what is assigned
        self._ctx: Any = None  # the Function node that made this tensor (None for leaves)
        self._requires_grad = False
        self.name = name
        self._retains_grad = False
        self._hooks: list[Callable[[Tensor], Tensor | None]] | None = None  # made on first use
        self._version = 0  # +1 at each in-place change; a node that saved this tensor checks it
        self.requires_grad = requires_grad

    @classmethod
    def _from_op(cls, data: np.ndarray, ctx: Any) -> Tensor:
        """Fast constructor used by ops: no validation, ``requires_grad`` iff recorded."""
        t = cls.__new__(cls)
        t.data = data  # one assignment per slot, quicker than a tuple: this runs for every op
        t._grad = None
        t._ctx = ctx
        t.name = None
        t._requires_grad = ctx is not None
        t._retains_grad = False
        t._hooks = None
        t._version = 0
        return t

    # -- state -------------------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        """Whether gradients flow to this tensor."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self._requires_grad = check_requires_grad(value, self.data.dtype, self._ctx is not None)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    # -- autograd ------------------------------------------------------------------------------
    def backward(self, gradient: Any = None, retain_graph: bool | None = None,
                 create_graph: bool = False, *, grad: Any = None) -> None:
        """Add d(self)/d(leaf) to the ``.grad`` of every leaf that requires grad.

        A one-element output is seeded with 1; any other needs ``gradient`` of its shape
        (``grad=`` is the older name).  Saved values are freed afterwards unless
        ``retain_graph=True``.  ``create_graph=True`` records the gradients (for 2nd order).
        """
        autograd.tensor_backward(self, gradient, grad, retain_graph, create_graph)

    def retain_grad(self) -> Tensor:
        """Keep ``.grad`` on this non-leaf tensor after backward (leaves always keep it)."""
        if not self.requires_grad:
            raise RuntimeError(f"retain_grad() on {self._label()}, which does not require grad: no "
                               "gradient will reach it (create its inputs with requires_grad=True)")
        self._retains_grad = True
        return self

    def register_hook(self, fn: Callable[[Tensor], Tensor | None]) -> autograd.HookHandle:
        """Call ``fn(grad)`` when this tensor's gradient is computed; a returned Tensor replaces it."""
        if not callable(fn):
            raise TypeError(f"register_hook(fn): fn must be a function of the gradient, got "
                            f"{type(fn).__name__} {fn!r}")
        if not self.requires_grad:
            raise RuntimeError(f"register_hook() on {self._label()}, which does not require grad: "
                               "no gradient will reach it (create it with requires_grad=True)")
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(fn)
        return autograd.HookHandle(self._hooks, fn)

    def detach(self) -> Tensor:
        """A new leaf sharing this data, cut from the graph (no gradient flows through it)."""
        return Tensor._from_op(self.data, None)

    # -- elementwise (ops/elementwise.py; broadcasting is made explicit in operands.binary) ------
    def __add__(self, other: Any) -> Tensor:
        return operands.binary(elementwise.Add, self, other)

    def __radd__(self, other: Any) -> Tensor:
        return operands.binary(elementwise.Add, operands.operand(other, self), self)

    def __mul__(self, other: Any) -> Tensor:
        return operands.binary(elementwise.Mul, self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return operands.binary(elementwise.Mul, operands.operand(other, self), self)

    def __neg__(self) -> Tensor:
        return elementwise.Neg.apply(self)

    def __sub__(self, other: Any) -> Tensor:
        """x - y = x + (-y); for a Python number, one Add of the negated constant."""
        if operands.is_scalar(other):
            return self + (-other)
        return self + operands.negated(operands.operand(other, self))

    def __rsub__(self, other: Any) -> Tensor:
        return operands.operand(other, self) + operands.negated(self)

    def __truediv__(self, other: Any) -> Tensor:
        """x / y = x * y**-1; for a nonzero Python number, one Mul by its reciprocal.

        Dividing by zero gives inf or nan (with NumPy's warning), as it does for arrays.
        """
        if operands.is_scalar(other) and other != 0:
            return self * (1.0 / other)
        return self * operands.operand(other, self) ** -1

    def __rtruediv__(self, other: Any) -> Tensor:
        return operands.operand(other, self) * self ** -1

    def __pow__(self, exponent: Any) -> Tensor:
        """x ** c for a number c, or x ** y for a tensor y (then x must be positive)."""
        if operands.is_scalar(exponent):
            return elementwise.PowConst.apply(operands.power_base(self, exponent),
                                              exponent=float(exponent))
        return operands.binary(elementwise.Pow, self, operands.power_exponent(self, exponent))

    def __rpow__(self, base: Any) -> Tensor:
        return operands.binary(elementwise.Pow, operands.operand(base, self), self)

    def exp(self) -> Tensor:
        return elementwise.Exp.apply(operands.as_float(self))

    def log(self) -> Tensor:
        return elementwise.Log.apply(operands.as_float(self))

    def sin(self) -> Tensor:
        return elementwise.Sin.apply(operands.as_float(self))

    def cos(self) -> Tensor:
        return elementwise.Cos.apply(operands.as_float(self))

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
            out = where(derived(np.greater, self.data, np.asarray(max)), operands.operand(max, self), out)
        if min is not None:
            out = where(derived(np.less, self.data, np.asarray(min)), operands.operand(min, self), out)
        return out

    # -- comparisons: boolean tensors, no gradient ----------------------------------------------
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

    def __hash__(self) -> int:  # == builds a tensor, so hash by identity
        return id(self)

    # -- reductions (ops/reduce.py); PyTorch's dim=/keepdim= are merged by operands.dim_keywords --
    def sum(self, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
            keepdim: Any = None) -> Tensor:
        axes, keepdims = operands.reduce_axes(self, "sum", axis, keepdims, dim, keepdim)
        return reduce.Sum.apply(self, axis=axes, keepdims=keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
             keepdim: Any = None) -> Tensor:
        """sum / count; the mean of no elements is nan (with a warning), as in NumPy."""
        axes, keepdims = operands.reduce_axes(self, "mean", axis, keepdims, dim, keepdim)
        count = math.prod(self.shape[a] for a in axes)
        return self.sum(axis=axes, keepdims=keepdims) * operands.reciprocal(count, "mean")

    def max(self, dim: Any = None, keepdim: Any = None, *, axis: Any = None,
            keepdims: bool = False) -> Any:
        """Largest value; ties share the gradient.  With a dimension given as PyTorch gives it,
        ``max(d)`` or ``max(dim=d)``, the result is ``(values, indices)``; with NumPy's
        ``axis=``, the values alone.  ``max(other_tensor)`` is ``maximum``, as in PyTorch."""
        if isinstance(dim, Tensor):
            return self.maximum(dim)
        axes, keepdims = operands.reduce_axes(self, "max", axis, keepdims, dim, keepdim)
        if self.data.size == 0:
            raise ValueError("max() of an empty tensor has no value")
        out = reduce.Max.apply(self, axis=axes, keepdims=keepdims)
        return out if dim is None else operands.ValuesIndices(out, self.argmax(dim, keepdims))

    def var(self, axis: Any = None, keepdims: bool = False, ddof: int = 0, *, dim: Any = None,
            keepdim: Any = None) -> Tensor:
        """Variance, sum((x - mean(x))**2) / (count - ddof) (PyTorch's default is ``ddof=1``).

        With count - ddof ≤ 0 there is no estimate: nan, with a warning (as NumPy)."""
        axes, keepdims = operands.reduce_axes(self, "var", axis, keepdims, dim, keepdim)
        count = math.prod(self.shape[a] for a in axes)
        centered = self - self.mean(axis=axes, keepdims=True)
        ddof = operands.check_int(ddof, "var", "ddof")
        scale = operands.reciprocal(count - ddof, "var", f"{count} element(s) with ddof={ddof} "
                                    "leave no degrees of freedom (use a smaller ddof or more data)")
        return (centered * centered).sum(axis=axes, keepdims=keepdims) * scale

    def std(self, axis: Any = None, keepdims: bool = False, ddof: int = 0, *, dim: Any = None,
            keepdim: Any = None) -> Tensor:
        """sqrt(var).  Where the values do not vary, the gradient is 0 (as PyTorch), not nan.

        sqrt has an infinite slope at 0, so the zero-variance positions take sqrt of a safe 1
        and are then replaced by 0: no inf ever meets the zero upstream gradient there."""
        axis, keepdims = operands.dim_keywords("std", axis, keepdims, dim, keepdim)
        v = self.var(axis=axis, keepdims=keepdims, ddof=ddof)
        flat = v.data == 0  # not "not v > 0": a nan variance (no data, a nan input) stays nan
        return where(flat, 0.0, where(flat, 1.0, v).sqrt())

    def argmax(self, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
               keepdim: Any = None) -> Tensor:
        """Index of the largest value (an integer tensor, not differentiable)."""
        axis, keepdims = operands.dim_keywords("argmax", axis, keepdims, dim, keepdim)
        return operands.arg_reduce(np.argmax, self, axis, keepdims)

    def argmin(self, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
               keepdim: Any = None) -> Tensor:
        axis, keepdims = operands.dim_keywords("argmin", axis, keepdims, dim, keepdim)
        return operands.arg_reduce(np.argmin, self, axis, keepdims)

    # -- shape (ops/shape.py) ------------------------------------------------------------------
    def reshape(self, *shape: Any) -> Tensor:
        """A tensor with the same data in a new shape; one dimension may be -1."""
        new = shape_ops.infer_shape(self.shape, shape)
        return self if new == self.shape else shape_ops.Reshape.apply(self, shape=new)

    def transpose(self, *dims: Any) -> Tensor:
        """Swap two dims as PyTorch (``t.transpose(0, 1)``); no dims reverse all; see ``permute``."""
        return self.permute(*operands.swapped_dims(self, dims)) if dims else self.permute()

    def permute(self, *dims: Any) -> Tensor:
        """Reorder the dimensions: ``t.permute(2, 0, 1)``; no dims reverse them; no change is self."""
        perm = shape_ops.check_permutation(self.ndim, dims)
        return self if perm == tuple(range(self.ndim)) else shape_ops.Transpose.apply(self, axes=perm)

    @property
    def T(self) -> Tensor:
        """The transpose (axes reversed)."""
        return shape_ops.Transpose.apply(self, axes=tuple(range(self.ndim - 1, -1, -1)))

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge dimensions start_dim..end_dim into one (all of them by default)."""
        if self.ndim == 0:
            return self.reshape(1)
        start, end = operands.normalize_axes(self, (start_dim, end_dim), "flatten", keep_order=True)
        if start > end:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for a "
                             f"tensor of shape {self.shape}; give start_dim <= end_dim")
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
        axis = operands.check_int(axis, "unsqueeze", "axis")
        if not -self.ndim - 1 <= axis <= self.ndim:
            raise ValueError(f"unsqueeze: axis {axis} is out of range for a {self.ndim}-d tensor")
        axis = axis % (self.ndim + 1)
        return self.reshape(*self.shape[:axis], 1, *self.shape[axis:])

    def broadcast_to(self, *shape: Any) -> Tensor:
        """Repeat along new or size-1 dimensions; its backward sums them back (``sum_to``)."""
        target = shape_ops.shape_argument(shape)
        if target == self.shape:
            return self
        shape_ops.broadcast_shape("broadcast_to", self.shape, target, target=target)
        return shape_ops.BroadcastTo.apply(self, shape=target)

    def sum_to(self, shape: tuple[int, ...]) -> Tensor:
        """Sum over the broadcast dimensions so the result has ``shape``: undoes broadcasting."""
        return reduce.sum_to(self, tuple(shape))

    def __getitem__(self, index: Any) -> Tensor:
        """NumPy indexing (ints, slices, None, ..., integer arrays, boolean masks); repeated
        integer indices accumulate their gradients."""
        return shape_ops.get_item(self, index)

    def astype(self, dtype: Any) -> Tensor:
        """Convert to another dtype (differentiable between float dtypes).  To an integer or bool
        dtype it gives a constant: rounding has no useful derivative, integers never require grad."""
        dt = supported_dtype(dtype, "astype")
        if dt.kind != "f":
            return Tensor._from_op(self.data.astype(dt), None)
        return shape_ops.Cast.apply(self, dtype=dt)

    # -- matmul (ops/linalg.py) ------------------------------------------------------------------
    def __matmul__(self, other: Any) -> Tensor:
        return linalg.matmul(*operands.promote(self, operands.operand(other, self)))

    def __rmatmul__(self, other: Any) -> Tensor:
        return linalg.matmul(*operands.promote(operands.operand(other, self), self))

    # -- activations (ops/activations.py) ----------------------------------------------------------
    def relu(self) -> Tensor:
        return activations.ReLU.apply(self)

    def sigmoid(self) -> Tensor:
        return activations.Sigmoid.apply(operands.as_float(self))

    def tanh(self) -> Tensor:
        return activations.Tanh.apply(operands.as_float(self))

    def leaky_relu(self, alpha: float = 0.01) -> Tensor:
        """x for x > 0, alpha*x otherwise (composed: where(x > 0, x, alpha*x))."""
        return where(derived(np.greater, self.data, 0), self, self * alpha)

    def log_softmax(self, axis: Any = None, *, dim: Any = None) -> Tensor:
        """x - log Σ exp(x) over ``axis``/``dim`` (an int or a tuple of axes; the last by default)."""
        axis, _ = operands.dim_keywords("log_softmax", axis, False, dim, None)
        axes = operands.normalize_axes(self, -1 if axis is None else axis, "log_softmax")
        one_axis = axes[0] if len(axes) == 1 else axes or None  # () for a 0-d tensor: everything
        return activations.LogSoftmax.apply(operands.as_float(self), axis=one_axis)

    def softmax(self, axis: Any = None, *, dim: Any = None) -> Tensor:
        """exp(log_softmax(x)): stable for huge logits because log_softmax is."""
        return self.log_softmax(axis, dim=dim).exp()

    def step(self) -> Tensor:
        """Heaviside step, 1 where x >= 0 else 0 (the perceptron's activation); gradient 0."""
        return activations.Step.apply(self)


# Imported once the class exists (they build Tensors); ``where`` is part of the Tensor API.
from . import autograd, operands  # noqa: E402
from .function import derived  # noqa: E402  (masks a compiled step recomputes: tg.compile)
from .operands import where  # noqa: E402
from .ops import activations, elementwise, linalg, reduce  # noqa: E402
from .ops import shape as shape_ops  # noqa: E402
