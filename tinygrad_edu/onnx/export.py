"""``export``: run a model once with recording, walk the recorded graph, write one ONNX node
(or a few) per primitive.

The model runs twice, at the example's batch size and at one more.  The two recordings must
be the same graph; a dimension that differs between them is the batch (symbolic in the file
with ``dynamic_batch=True``), and a constant that differs (a mean over the batch, NumPy on
``.data``) is refused, because a graph would freeze one call's numbers.
"""

from __future__ import annotations

import importlib
import inspect
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..autograd import topological_order
from ..config import Config, enable_grad
from ..nn.module import Module
from ..tensor import Tensor
from .builder import BATCH, CannotExport, OnnxBuilder, batch_dim

DEFAULT_OPSET = 17
MIN_OPSET = 13  # Softmax/LogSoftmax on one axis, ReduceSum's axes as an input, Squeeze's too
INSTALL = 'pip install "tinygrad-edu[onnx]"'


def require_onnx() -> Any:
    """The ``onnx`` package, or an ImportError saying how to install it."""
    try:
        return importlib.import_module("onnx")
    except ImportError:
        raise ImportError(f"tg.onnx needs the onnx package, which is not installed: {INSTALL} "
                          "(or pip install onnx); onnxruntime runs the exported file") from None


class _DerivedLog:
    """A recorder for the engine's seams (``Config.recorder``) that keeps only ``derived()``
    calls: a ``where`` condition must be written as the comparison that made it."""

    def __init__(self) -> None:
        self.made: dict[int, tuple[Any, tuple]] = {}
        self.keep: list[Any] = []  # the arrays stay alive, so their ids stay unique

    def op(self, cls: Any, inputs: Any, options: Any, data: Any) -> None:
        pass

    def derived(self, fn: Any, args: tuple, out: Any) -> None:
        self.made[id(out)] = (fn, args)
        self.keep.append(out)

    def refuse(self, reason: str) -> None:
        pass


class _Recording:
    """One run of the model: its inputs, outputs, the graph's tensors in order, derived() log."""

    def __init__(self, fn: Callable[..., Any], arrays: Sequence[np.ndarray]) -> None:
        # Float inputs require grad so that every op after them is recorded as a graph node.
        self.inputs = [Tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
        self.log = _DerivedLog()
        saved, Config.recorder = Config.recorder, self.log
        try:
            with enable_grad():
                out = _call(fn, self.inputs)
        finally:
            Config.recorder = saved
        self.outputs = list(out) if isinstance(out, (tuple, list)) else [out]
        if not self.outputs or not all(isinstance(t, Tensor) for t in self.outputs):
            raise TypeError(f"tg.onnx.export: the model must return a Tensor or a tuple of Tensors, "
                            f"got {type(out).__name__}")
        self.order = topological_order(self.outputs)


def _call(fn: Callable[..., Any], inputs: list[Tensor]) -> Any:
    """``fn(*inputs)``; a module whose forward takes one argument gets several inputs as one
    list, as a Keras model with two inputs is called: ``model([a, b])``."""
    if len(inputs) > 1 and isinstance(fn, Module):
        params = inspect.signature(fn.forward).parameters.values()
        if len([p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]) == 1:
            return fn(list(inputs))
    return fn(*inputs)


def export(model: Module | Callable[..., Any], example_inputs: Any, path: str | os.PathLike[str],
           input_names: Sequence[str] | None = None, output_names: Sequence[str] | None = None,
           dynamic_batch: bool = True, opset: int = DEFAULT_OPSET) -> Any:
    """Write ``model(*example_inputs)`` as an ONNX file at ``path``; returns the ``onnx.ModelProto``.

    ``model`` is an ``nn.Module`` (a keras model is one; it runs in eval mode) or any function
    of Tensors.  Parameters become initializers under their dotted names (``fc1.weight``).
    With ``dynamic_batch=True`` the first dimension of every input is the symbolic ``batch``.
    An op with no ONNX form is an error naming it and the layer it was recorded in.
    """
    onnx = require_onnx()
    if isinstance(opset, bool) or not isinstance(opset, int) or not MIN_OPSET <= opset <= _max_opset(onnx):
        raise ValueError(f"tg.onnx.export: opset must be an integer from {MIN_OPSET} to "
                         f"{_max_opset(onnx)} (what this onnx knows), got {opset!r}")
    arrays = _example_arrays(example_inputs)
    in_names = _names(input_names, len(arrays), "input", "input_names")
    was_training = isinstance(model, Module) and model.training
    # Frozen parameters (requires_grad=False) record their ops too while the model runs here,
    # so W.T of a frozen layer is a Transpose of "fc1.weight", not an anonymous constant.
    frozen = [p for p in model.parameters() if not p.requires_grad] if isinstance(model, Module) else []
    if isinstance(model, Module):
        model.eval()  # Dropout off, BatchNorm on its running statistics: what a deployment runs
    try:
        for p in frozen:
            p.requires_grad = True
        first = _Recording(model, arrays)
        second = _Recording(model, [_one_more_row(a) for a in arrays])
    finally:
        for p in frozen:
            p.requires_grad = False
        if was_training and isinstance(model, Module):
            model.train()
    out_names = _names(output_names, len(first.outputs), "output", "output_names")
    shapes = _batch_shapes(first, second, len(arrays[0]), dynamic_batch)
    graph = _build(onnx, model, (first, second), shapes, (in_names, out_names), opset, dynamic_batch)
    proto = onnx.helper.make_model(graph, producer_name="tinygrad_edu",
                                   opset_imports=[onnx.helper.make_opsetid("", opset)])
    # The oldest file format that holds this opset: the most runtimes can read it.
    proto.ir_version = onnx.helper.find_min_ir_version_for(list(proto.opset_import))
    onnx.checker.check_model(proto)
    onnx.save_model(proto, str(Path(path)))
    return proto


def _max_opset(onnx: Any) -> int:
    return int(onnx.defs.onnx_opset_version())


def _example_arrays(example_inputs: Any) -> list[np.ndarray]:
    items = list(example_inputs) if isinstance(example_inputs, (tuple, list)) else [example_inputs]
    arrays = [np.asarray(x.data if isinstance(x, Tensor) else x) for x in items]
    if not arrays or any(a.ndim == 0 or len(a) == 0 for a in arrays):
        raise ValueError("tg.onnx.export: example_inputs must be one or more arrays or Tensors with a "
                         "batch dimension first (e.g. a batch of one sample: x[:1])")
    if any(len(a) != len(arrays[0]) for a in arrays) or any(a.dtype.kind not in "biuf" for a in arrays):
        raise ValueError("tg.onnx.export: the example inputs must be numeric and share their first "
                         f"(batch) dimension, got shapes {[a.shape for a in arrays]}")
    return arrays


def _one_more_row(a: np.ndarray) -> np.ndarray:
    """The example with one more sample (the first repeated): the second recording's input."""
    return np.concatenate([a, a[:1]])


def _names(given: Sequence[str] | None, count: int, stem: str, what: str) -> list[str]:
    if given is None:
        return [stem] if count == 1 else [f"{stem}_{i}" for i in range(count)]
    names = list(given)
    if len(names) != count or len(set(names)) != count or not all(isinstance(n, str) and n for n in names):
        raise ValueError(f"tg.onnx.export: {what} must be {count} distinct non-empty strings "
                         f"(one per {stem}), got {given!r}")
    return names


def _batch_shapes(first: _Recording, second: _Recording, batch: int,
                  dynamic: bool) -> dict[int, tuple[Any, ...]]:
    """Each tensor's shape, with BATCH where the two recordings differ by the batch (or
    ``batch*k`` where an axis holds k rows per sample)."""
    if len(first.order) != len(second.order) or any(
            type(a._ctx) is not type(b._ctx) for a, b in zip(first.order, second.order)):
        raise CannotExport("tg.onnx.export: the model records a different graph at another batch size "
                           "(its control flow depends on the batch); a single ONNX graph cannot hold it")
    shapes: dict[int, tuple[Any, ...]] = {}
    for a, b in zip(first.order, second.order):
        dims = []
        for n, m in zip(a.shape, b.shape):
            per_sample = n // batch  # a (batch·k)-sized axis grows by k: conv2d's rows of patches
            if n != m and (n % batch or m != n + per_sample):
                raise CannotExport(f"tg.onnx.export: {_describe(a)} has a dimension of size {n} at batch "
                                   f"{batch} and {m} at batch {batch + 1}; only the batch (or a "
                                   "multiple of it) may vary")
            dims.append(batch_dim(per_sample) if n != m and dynamic else n)
        shapes[id(a)] = tuple(dims)
    return shapes


def _describe(t: Tensor) -> str:
    node = t._ctx
    if node is None:
        return f"the tensor {t.name or ''} of shape {t.shape}".replace("  ", " ")
    scope = f" in {' / '.join(node.scope)}" if node.scope else ""
    return f"the output of {node.name}{scope}"


def _build(onnx: Any, model: Any, runs: tuple[_Recording, _Recording], shapes: dict[int, tuple],
           io_names: tuple[list[str], list[str]], opset: int, dynamic: bool) -> Any:
    """The ONNX graph: every recorded tensor in order, each node written by its op's onnx()."""
    helper = onnx.helper
    first, second = runs
    in_names, out_names = io_names
    names: dict[int, str] = {id(t): n for t, n in zip(first.inputs, in_names)}
    params = {id(p): n for n, p in model.named_parameters()} if isinstance(model, Module) else {}
    twins = {id(a._ctx): b._ctx for a, b in zip(first.order, second.order) if a._ctx is not None}
    data_names = {id(t.data): n for t, n in zip(first.inputs, in_names)}
    b = OnnxBuilder(helper, opset, names, shapes, twins, data_names, first.log.made)
    b.batch_source = in_names[0]
    for t, twin in zip(first.order, second.order):
        node = t._ctx
        if node is None:
            if id(t) not in names:  # a parameter (or a tensor the function closes over)
                names[id(t)] = params.get(id(t)) or t.name or f"param_{len(b.initializers)}"
                b.weight(names[id(t)], t.data)
        else:
            _constants(b, node, twin._ctx)
            b.scope, b.current = node.scope, node.name
            write = getattr(type(node), "onnx", None)
            if write is None:
                raise b.refuse(f"{node.name} has no ONNX form (no onnx(ctx, b) method in its class); "
                               "add one before its forward, as the classes in tinygrad_edu/ops/ do")
            names[id(t)] = write(node, b)
        data_names[id(t.data)] = names[id(t)]
    outputs = []
    for t, name in zip(first.outputs, out_names):
        if id(t) not in names or t._ctx is None:
            raise CannotExport(f"tg.onnx.export: the output {name!r} does not depend on the inputs "
                               "(nothing was recorded for it)")
        _rename(b.nodes, names[id(t)], name)
        names[id(t)] = name
        outputs.append(_value_info(helper, name, t.dtype, shapes[id(t)]))
    inputs = [_value_info(helper, n, t.dtype, (BATCH, *t.shape[1:]) if dynamic else t.shape)
              for t, n in zip(first.inputs, in_names)]
    return helper.make_graph(b.nodes, "tinygrad_edu", inputs, outputs, b.initializers)


def _constants(b: OnnxBuilder, node: Any, twin: Any) -> None:
    """Name the node's inputs that are constants (no gradient, not recorded): initializers,
    refused when they change with the batch."""
    for i, (t, other) in enumerate(zip(node.inputs, twin.inputs)):
        if id(t) in b.names:
            continue
        if id(t.data) in b.derived:  # computed from the data by derived(): written as that op
            b.scope, b.current = node.scope, node.name
            b.names[id(t)] = b.array(t.data, None, f"input {i}")
            continue
        if t.shape != other.shape or not np.array_equal(t.data, other.data):
            b.scope, b.current = node.scope, node.name
            raise b.refuse(f"its input {i} is a constant of shape {t.shape} that changes with the input "
                           "(made with NumPy on .data, by .detach(), or a mean over the batch?); a graph "
                           "would freeze this call's values")
        b.names[id(t)] = b.constant(t.data)
        b.data_names[id(t.data)] = b.names[id(t)]


def _rename(nodes: list[Any], old: str, new: str) -> None:
    for n in nodes:
        for field in (n.input, n.output):
            for i, name in enumerate(field):
                if name == old:
                    field[i] = new


def _value_info(helper: Any, name: str, dtype: np.dtype, shape: tuple) -> Any:
    return helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(np.dtype(dtype)), list(shape))
