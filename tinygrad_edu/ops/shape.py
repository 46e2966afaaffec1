"""Shape primitives: reshape, transpose, broadcast_to, indexing, concatenate, cast.

They move or copy numbers without changing them, so each backward moves the gradient back
the same way: reshape back, transpose with the inverse permutation, sum over broadcast axes
(``Tensor.sum_to``), scatter-add into the indexed positions.  The checks at the top give
shape errors that name the op and the shapes, before NumPy could raise its own.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..function import Function
from ..tensor import Tensor


# -- checks and normalisation (called from the Tensor methods) ------------------------------------
def broadcast_shape(op: str, *shapes: tuple[int, ...], target: tuple | None = None) -> tuple:
    """The common shape of ``shapes`` under NumPy broadcasting, or a clear ValueError.

    Written in plain Python: it runs for every broadcast (forward and backward), and
    ``np.broadcast_shapes`` costs microseconds because it builds arrays.
    """
    if len(shapes) == 2 and target is None:  # the usual case, a bias: one shape ends the other
        a, b = shapes
        if len(a) >= len(b) and a[len(a) - len(b):] == b:
            return a
        if len(b) > len(a) and b[len(b) - len(a):] == a:
            return b
    ndim = max(len(s) for s in shapes)
    padded = [(1,) * (ndim - len(s)) + tuple(s) for s in shapes]
    shape: tuple | None = tuple(max(sizes) if 0 not in sizes else 0 for sizes in zip(*padded))
    for s in padded:
        if any(n != 1 and n != m for n, m in zip(s, shape)):  # type: ignore[arg-type]
            shape = None
            break
    if shape is None or (target is not None and shape != target):
        listed = " and ".join(str(tuple(s)) for s in shapes)
        raise ValueError(
            f"{op}: shapes {listed} cannot be broadcast together; broadcasting matches trailing "
            "dimensions, which must be equal or 1 -- reshape or unsqueeze one side first"
        )
    return shape


def shape_argument(shape: tuple) -> tuple[int, ...]:
    """Sizes given as varargs ``(2, 3)`` or as one tuple ``((2, 3),)``, as integers."""
    target = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
    return tuple(int(n) for n in target)


def infer_shape(old: tuple[int, ...], shape: Any) -> tuple[int, ...]:
    """Resolve ``reshape``'s arguments (ints or one tuple, at most one -1) against ``old``."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in shape):
        raise TypeError(f"reshape: sizes must be integers, got {shape} (for tensor of shape {old})")
    shape = tuple(int(n) for n in shape)
    size = math.prod(old)  # math.prod, not np.prod: this runs on every reshape
    if shape.count(-1) > 1 or any(n < -1 for n in shape):
        raise ValueError(f"reshape: invalid shape {shape}; only one dimension may be -1")
    known = math.prod(n for n in shape if n != -1)
    if -1 in shape:
        if known == 0 or size % known:
            raise ValueError(f"reshape: cannot reshape {old} ({size} elements) to {shape}")
        shape = tuple(size // known if n == -1 else n for n in shape)
    elif known != size:
        raise ValueError(
            f"reshape: cannot reshape a tensor of shape {old} ({size} elements) into shape "
            f"{shape} ({known} elements); the number of elements must stay the same"
        )
    return shape


def check_permutation(ndim: int, axes: Any) -> tuple[int, ...]:
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        axes = tuple(axes[0])
    if not axes:
        return tuple(reversed(range(ndim)))
    perm = tuple(int(a) % ndim if -ndim <= int(a) < ndim else -1 for a in axes)
    if sorted(perm) != list(range(ndim)):
        raise ValueError(
            f"permute: dims {tuple(axes)} are not a permutation of the {ndim} dimensions of "
            "this tensor; to swap two dimensions use transpose(dim0, dim1)"
        )
    return perm


def normalize_index(shape: tuple[int, ...], index: Any) -> Any:
    """Tensors and lists inside an index become arrays (so NumPy sees plain indices)."""
    def one(i: Any) -> Any:
        if isinstance(i, Tensor):
            return i.data
        if isinstance(i, list):
            return np.asarray(i)
        return i
    return tuple(one(i) for i in index) if isinstance(index, tuple) else one(index)


def get_item(x: Tensor, index: Any) -> Tensor:
    """``x[index]``, with an IndexError that shows the index as typed and what is allowed."""
    try:
        return GetItem.apply(x, index=normalize_index(x.shape, index))
    except IndexError as err:  # out of range, float index, mask of the wrong shape...
        raise IndexError(
            f"cannot index a tensor of shape {x.shape} with {show_index(index)}: {err}. Indices "
            "must be integers within each axis's size (negative counts from the end), "
            "slices, None, ..., integer arrays or a boolean mask of the indexed shape"
        ) from None


def show_index(index: Any) -> str:
    """An index as the user typed it (``[:, 10]``), shortened, for error messages."""
    def one(i: Any) -> str:
        if isinstance(i, slice):
            parts = ["" if v is None else str(v) for v in (i.start, i.stop, i.step)]
            return ":".join(parts[:2] if i.step is None else parts)
        return "..." if i is Ellipsis else repr(i)
    text = ", ".join(one(i) for i in index) if isinstance(index, tuple) else one(index)
    return "[" + (text if len(text) <= 80 else text[:77] + "...") + "]"


def broadcast_view(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``np.broadcast_to(x, shape)`` for a valid ``shape``: a read-only view, stride 0 along
    the broadcast axes.

    Speed, off the learner's path: ``np.broadcast_to`` re-checks its arguments in Python
    (about 3 µs, more than the multiplication it feeds on small arrays); building the view
    from its strides costs a third of that.  Arrays that do not own contiguous memory take
    the general route.
    """
    if not x.flags.c_contiguous:
        return np.broadcast_to(x, shape)
    lead = len(shape) - x.ndim
    kept = zip(x.shape, shape[lead:], x.strides)
    strides = (0,) * lead + tuple([stride if n == m else 0 for n, m, stride in kept])
    view = np.ndarray(shape, x.dtype, x, 0, strides)
    view.flags.writeable = False  # as broadcast_to: many positions share one number
    return view


def _is_basic(index: Any) -> bool:
    """Only ints, slices, None and Ellipsis: every element is picked at most once."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis for i in parts)


# -- the ops --------------------------------------------------------------------------------------
class Reshape(Function):
    """z = x viewed with a new shape;  the gradient is reshaped back"""

    __slots__ = ()

    saves_nothing = True  # backward uses only shapes/options: a second backward may run it

    rules = ("∂reshape(x)/∂x = reshape back",)
    jvp_rules = ("ż = reshape(ẋ)",)

    def forward(ctx, x, shape):
        return x.reshape(shape)

    def backward(ctx, grad_out):
        return Reshape.apply(grad_out, shape=ctx.inputs[0].shape)  # the shape is valid: x's

    def jvp(ctx, tx):
        """ż = reshape(ẋ): a linear op moves the tangent as it moves the values"""
        return Reshape.apply(tx, **ctx.options)


class Transpose(Function):
    """z = x with axes permuted;  the gradient is permuted back (inverse permutation)"""

    __slots__ = ()

    saves_nothing = True  # backward uses only shapes/options: a second backward may run it

    rules = ("∂transpose(x)/∂x = transpose back",)
    jvp_rules = ("ż = transpose(ẋ)",)

    def forward(ctx, x, axes):
        return x.transpose(axes)

    def backward(ctx, grad_out):
        axes = ctx.options["axes"]
        inverse = tuple(sorted(range(len(axes)), key=axes.__getitem__))  # argsort, in Python
        return Transpose.apply(grad_out, axes=inverse)

    def jvp(ctx, tx):
        """ż = transpose(ẋ) with the same permutation"""
        return Transpose.apply(tx, **ctx.options)


class BroadcastTo(Function):
    """z = x repeated along broadcast axes;  dz/dx sums the gradient over those axes"""

    __slots__ = ()

    saves_nothing = True  # backward uses only shapes/options: a second backward may run it

    rules = ("∂broadcast(x)/∂x = sum over the broadcast axes",)
    jvp_rules = ("ż = broadcast(ẋ)",)

    def forward(ctx, x, shape):
        return broadcast_view(x, shape)

    def backward(ctx, grad_out):
        return grad_out.sum_to(ctx.inputs[0].shape)

    def jvp(ctx, tx):
        """ż = broadcast(ẋ) to the same shape"""
        return BroadcastTo.apply(tx, **ctx.options)


class GetItem(Function):
    """z = x[index];  the gradient is scattered back, adding where an index repeats"""

    __slots__ = ()

    rules = ("∂x[i]/∂x = scatter-add into the indexed positions",)
    jvp_rules = ("ż = ẋ[i]",)

    def forward(ctx, x, index):
        return np.asarray(x[index])

    def backward(ctx, grad_out):
        (x,) = ctx.inputs
        return ScatterAdd.apply(grad_out, index=ctx.options["index"], shape=x.shape)

    def jvp(ctx, tx):
        """ż = ẋ[index]"""
        return GetItem.apply(tx, **ctx.options)


class ScatterAdd(Function):
    """z = zeros(shape) with g added at index -- GetItem's adjoint;  dz/dg = g picked at index"""

    __slots__ = ()

    rules = ("∂scatter(g)/∂g = pick the indexed positions",)
    jvp_rules = ("ż = scatter(ġ)",)

    def forward(ctx, g, index, shape):
        out = np.zeros(shape, dtype=g.dtype)
        if _is_basic(index):
            out[index] = g  # basic indexing never repeats an element: plain assignment
        else:
            np.add.at(out, index, g)  # repeated integer indices must add up, not overwrite
        return out

    def backward(ctx, grad_out):
        return grad_out[ctx.options["index"]]

    def jvp(ctx, tangent):
        """ż = scatter-add of ġ into zeros at the same index"""
        return ScatterAdd.apply(tangent, **ctx.options)


class Concatenate(Function):
    """z = [x1, x2, ...] joined along axis;  each input gets its own slice of the gradient"""

    __slots__ = ()

    rules = ("∂concat(x…)/∂xₖ = the k-th slice",)
    jvp_rules = ("ż = concat(ẋ…)",)

    def forward(ctx, *xs, axis):
        return np.concatenate(xs, axis=axis)

    def backward(ctx, grad_out):
        axis = ctx.options["axis"]
        grads, start = [], 0
        for x, need in zip(ctx.inputs, ctx.needs_input_grad):
            stop = start + x.shape[axis]
            window = (slice(None),) * axis + (slice(start, stop),)
            grads.append(grad_out[window] if need else None)
            start = stop
        return tuple(grads)

    def jvp(ctx, *tangents):
        """ż = [ẋ1, ẋ2, ...] joined along the same axis (zeros for a zero tangent)"""
        dtype = next(t for t in tangents if t is not None).dtype
        parts = [Tensor._from_op(np.zeros(x.shape, dtype=dtype), None) if t is None else t
                 for x, t in zip(ctx.inputs, tangents)]
        return Concatenate.apply(*parts, **ctx.options)


class Cast(Function):
    """z = x converted to another dtype;  the gradient is converted back"""

    __slots__ = ()

    saves_nothing = True  # backward uses only shapes/options: a second backward may run it

    rules = ("∂cast(x)/∂x = 1 (cast back)",)
    jvp_rules = ("ż = cast(ẋ)",)
    elementwise = True

    def forward(ctx, x, dtype):
        return x.astype(dtype, copy=False)

    def backward(ctx, grad_out):
        return grad_out.astype(ctx.inputs[0].dtype)

    def jvp(ctx, tx):
        """ż = ẋ converted to the output's dtype"""
        return Cast.apply(tx, **ctx.options)
