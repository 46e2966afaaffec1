"""``OnnxBuilder``: what an op's ``onnx(ctx, b)`` method writes its ONNX form with.

Each primitive class in ops/ has a small ``onnx`` method right before its ``forward``: it asks
the builder for the names of its inputs (``b.inputs(ctx)``), adds one node or a few
(``b.node("Add", x, y)``) and returns the name of the value that is its output.  The builder
hides the bookkeeping: names of parameters, constants, the batch size when it is symbolic,
and arrays that ops receive as options (a ``where`` condition, an index).
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np

from ..tensor import Tensor

BATCH = "batch"  # the name of the symbolic batch dimension in the exported graph
_INT64_MAX = np.iinfo(np.int64).max
# derived() computations an exported ``where`` condition (or constant input) may come from,
# as ONNX ops.
_DERIVED: dict[Any, str] = {
    np.greater: "Greater", np.less: "Less", np.greater_equal: "GreaterOrEqual",
    np.less_equal: "LessOrEqual", np.equal: "Equal", np.logical_and: "And",
    np.logical_or: "Or", np.logical_not: "Not", np.clip: "Clip"}


def batch_dim(per_sample: int) -> str:
    """The symbolic name of an axis of ``per_sample`` entries per sample: ``batch`` or ``batch*k``."""
    return BATCH if per_sample == 1 else f"{BATCH}*{per_sample}"


class CannotExport(ValueError):
    """The recorded graph holds something with no ONNX form (the message says what and where)."""


class OnnxBuilder:
    """Collects the ONNX nodes and initializers of one export (see the module docstring).

    ``names`` maps ``id(tensor)`` to the name of its value; ``shapes`` maps it to the tensor's
    shape with ``BATCH`` where the size follows the batch; ``twins`` maps a node to the same
    node recorded at another batch size, so options that change with the batch are caught.
    """

    def __init__(self, helper: Any, opset: int, names: dict[int, str],
                 shapes: dict[int, tuple[Any, ...]], twins: dict[int, Any],
                 data_names: dict[int, str], derived: dict[int, tuple[Any, tuple]]) -> None:
        self.helper, self.opset = helper, opset
        self._from_array = importlib.import_module("onnx.numpy_helper").from_array
        self.names, self.shapes, self.twins = names, shapes, twins
        self.data_names = data_names  # id(tensor.data) -> value name: arrays ops got as options
        self.derived = derived  # id(array) -> (fn, args) for arrays made by derived()
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self.scope: tuple[str, ...] = ()  # the module call the op being written was recorded in
        self.batch_source: str | None = None  # a graph input whose first dimension is the batch
        self._batch_size: str | None = None
        self._counts: dict[str, int] = {}

    # -- what an op's onnx method uses ----------------------------------------------------------
    def input(self, ctx: Any, i: int) -> str:
        """The name of the value that is the node's ``i``-th input."""
        return self.names[id(ctx.inputs[i])]

    def inputs(self, ctx: Any) -> list[str]:
        """The names of all the node's inputs, in argument order."""
        return [self.names[id(t)] for t in ctx.inputs]

    def node(self, op_type: str, *inputs: str, **attributes: Any) -> str:
        """Add one ONNX node; returns the name of its (single) output."""
        out = self._fresh(op_type.lower())
        where = "/".join((*self.scope, out))
        self.nodes.append(self.helper.make_node(op_type, list(inputs), [out], name=where, **attributes))
        return out

    def constant(self, array: Any, hint: str = "const") -> str:
        """An initializer holding ``array`` (its dtype kept) under a fresh name; returns it."""
        return self.weight(self._fresh(hint), np.asarray(array))

    def weight(self, name: str, array: np.ndarray) -> str:
        """An initializer ``name`` holding ``array``: a parameter keeps its dotted name."""
        # raw little-endian bytes: exact, and quick for a large weight
        self.initializers.append(self._from_array(np.ascontiguousarray(array), name))
        return name

    def scalar(self, value: Any, like: Tensor) -> str:
        """A 0-d constant in ``like``'s dtype (ONNX does not promote: Pow(x, 2) needs 2 as x)."""
        return self.constant(np.asarray(value, dtype=like.dtype))

    def dtype(self, dtype: Any) -> int:
        """ONNX's number for a NumPy dtype (Cast's ``to=``)."""
        return int(self.helper.np_dtype_to_tensor_dtype(np.dtype(dtype)))

    def ints(self, values: Any) -> str:
        """A 1-d int64 constant: axes, shapes, slice bounds."""
        return self.constant(np.asarray(list(values), dtype=np.int64), "ints")

    def shape(self, tensor: Tensor) -> tuple[Any, ...]:
        """The tensor's shape, with ``BATCH`` where its size is the batch size (``batch*k``
        where it is k times the batch size)."""
        return self.shapes[id(tensor)]

    def shape_value(self, tensor: Tensor) -> str:
        """The tensor's shape as an int64 value: a constant, or -- when it holds the batch --
        built when the graph runs from the input's batch size (Shape, Gather, Concat)."""
        shape = self.shape(tensor)
        if all(isinstance(n, int) for n in shape):
            return self.ints(shape)
        pieces = [self.ints([n]) if isinstance(n, int) else self._batch_times(n) for n in shape]
        return self.node("Concat", *pieces, axis=0)

    def _batch_times(self, dim: str) -> str:
        """The run-time size of a symbolic dimension: the batch, or ``batch*k`` (batch · k)."""
        if dim == BATCH:
            return self._batch()
        return self.node("Mul", self._batch(), self.ints([int(dim.split("*")[1])]))

    def option(self, ctx: Any, key: str) -> str:
        """An array the op received as an option (a ``where`` condition), as a value name."""
        twin = self.twins.get(id(ctx))
        return self.array(ctx.options[key], None if twin is None else twin.options[key], key)

    def array(self, arr: Any, twin: Any, what: str) -> str:
        """Name ``arr``: a tensor's data, an expression made by ``derived()`` (a comparison), or
        a constant that does not change with the batch (``twin`` is the other recording's)."""
        arr = np.asarray(arr)
        if id(arr) in self.data_names:
            return self.data_names[id(arr)]
        if id(arr) in self.derived:
            fn, args = self.derived[id(arr)]
            if fn not in _DERIVED:
                raise self.refuse(f"its {what} was computed with {getattr(fn, '__name__', fn)}, which "
                                  f"has no ONNX form here (known: {', '.join(f.__name__ for f in _DERIVED)})")
            like = next((a for a in args if isinstance(a, np.ndarray) and a.ndim > 0), None)
            names = [self._derived_arg(a, like, what) for a in args]
            return self.node(_DERIVED[fn], *names)
        if twin is None or np.shape(twin) != arr.shape or not np.array_equal(twin, arr):
            raise self.refuse(
                f"its {what} (an array of shape {arr.shape}) was computed with NumPy outside the "
                "ops and changes with the input, so a graph would freeze this call's values; "
                "compute it with Tensor ops (comparisons through tinygrad_edu.function.derived)")
        return self.constant(arr, what)

    def getitem(self, ctx: Any) -> str:
        """``x[index]`` as ONNX: an integer array (an embedding lookup) is a Gather along axis 0;
        ints and slices are one Slice, then a Squeeze of the axes an int removed."""
        x, index = self.input(ctx, 0), ctx.options["index"]
        twin = self.twins.get(id(ctx))
        if isinstance(index, np.ndarray) and index.dtype.kind in "iu":
            other = None if twin is None else twin.options["index"]
            return self.node("Gather", x, self.array(index, other, "index"), axis=0)
        parts = index if isinstance(index, tuple) else (index,)
        if not all(isinstance(p, (int, np.integer, slice)) for p in parts):
            raise self.refuse(f"indexing with {index!r} has no ONNX form here (ints, slices, or one "
                              "integer array along the first axis export)")
        starts, ends, steps, axes, dropped = [], [], [], [], []
        for axis, p in enumerate(parts):
            if isinstance(p, slice):
                if p == slice(None):
                    continue
                step = 1 if p.step is None else p.step
                default_start, default_end = (0, _INT64_MAX) if step > 0 else (-1, -_INT64_MAX)
                starts.append(default_start if p.start is None else p.start)
                ends.append(default_end if p.stop is None else p.stop)
                steps.append(step)
            else:
                starts.append(int(p))
                ends.append(int(p) + 1 if int(p) != -1 else _INT64_MAX)
                steps.append(1)
                dropped.append(axis)
            axes.append(axis)
        if not axes:  # x[:, :]: every element, unchanged
            return self.node("Identity", x)
        out = self.node("Slice", x, self.ints(starts), self.ints(ends), self.ints(axes), self.ints(steps))
        return self.node("Squeeze", out, self.ints(dropped)) if dropped else out

    def patches(self, ctx: Any) -> str:
        """``Im2col`` as ONNX, which has no such op: Pad, then one strided Slice per kernel
        offset (what that weight sees at every output position, as Im2col's forward copies it),
        stacked and transposed to Im2col's (N, OH, OW, C, kh, kw)."""
        x, options = self.input(ctx, 0), ctx.options
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = (options[k] for k in (
            "kernel_size", "stride", "padding", "dilation"))
        if ph or pw:
            x = self.node("Pad", x, self.ints([0, 0, ph, pw, 0, 0, ph, pw]),
                          self.scalar(0, ctx.inputs[0]))
        _, out_h, out_w, channels = self.shape(ctx.output)[:4]
        windows = []
        for i in range(kh):
            for j in range(kw):
                top, left = i * dh, j * dw
                ends = [top + sh * (out_h - 1) + 1, left + sw * (out_w - 1) + 1]
                window = self.node("Slice", x, self.ints([top, left]), self.ints(ends),
                                   self.ints([2, 3]), self.ints([sh, sw]))  # (N, C, OH, OW)
                windows.append(self.node("Unsqueeze", window, self.ints([4])))
        stacked = self.node("Concat", *windows, axis=4)  # (N, C, OH, OW, kh·kw)
        # 0 copies the input's size: the batch stays symbolic
        shaped = self.node("Reshape", stacked, self.ints([0, channels, out_h, out_w, kh, kw]))
        return self.node("Transpose", shaped, perm=[0, 2, 3, 1, 4, 5])

    def refuse(self, why: str) -> CannotExport:
        """An error naming the op being written and the module call it was recorded in."""
        where = f" in {' / '.join(self.scope)}" if self.scope else ""
        return CannotExport(f"tg.onnx.export: {self.current}{where}: {why}")

    current = "the graph"  # the op being written, for errors (set by the exporter)

    # -- helpers ---------------------------------------------------------------------------------
    def _fresh(self, stem: str) -> str:
        k = self._counts.get(stem, 0)
        self._counts[stem] = k + 1
        return f"{stem}_{k}"

    def _batch(self) -> str:
        """The batch size as a 1-element int64 value, taken from the first input's shape."""
        if self._batch_size is None:
            assert self.batch_source is not None
            shape = self.node("Shape", self.batch_source)
            self._batch_size = self.node("Gather", shape, self.ints([0]), axis=0)
        return self._batch_size

    def _derived_arg(self, arg: Any, like: Any, what: str) -> str:
        if isinstance(arg, np.ndarray) and arg.ndim > 0:
            return self.array(arg, arg, what)  # a tensor's data or another derived array
        dtype = like.dtype if like is not None else np.asarray(arg).dtype
        return self.constant(np.asarray(arg, dtype=dtype))

