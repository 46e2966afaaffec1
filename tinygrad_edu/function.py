"""``Function``: one differentiable operation, and the place where the graph is recorded.

An op is a subclass with ``forward`` (NumPy arrays in, one array out) and ``backward``
(upstream gradient in, one gradient per input out, written with Tensor operations) side by
side.  ``Op.apply(*tensors)`` runs ``forward`` and, when a gradient will be needed, keeps the
instance as the output's ``_ctx``: that instance *is* the graph node.  Its ``inputs`` are the
parent tensors, in argument order, so every walk over the graph is deterministic.

Because ``backward`` is written with Tensor operations, the engine can run it with recording
on (``create_graph=True``) and get a gradient that is itself differentiable.

This is the form for the engine's primitives.  To run a Function copied from PyTorch
(Tensors in forward, ``@staticmethod``s), use ``tg.autograd.Function`` (custom_function.py).
"""

from __future__ import annotations

import traceback
import weakref
from typing import Any, ClassVar

import numpy as np

from .config import Config

# tensor.py imports the op modules only after the Tensor class exists, so this works.
from .tensor import Tensor


class Function:
    """Base class for differentiable operations (built-in and your own).

    Write ``forward(ctx, *arrays, **options) -> ndarray`` and
    ``backward(ctx, grad_out) -> Tensor | tuple[Tensor | None, ...]``; ``ctx`` is the node
    itself.  In ``backward`` the input tensors are ``ctx.inputs``, the output tensor is
    ``ctx.output``, and anything extra that ``forward`` stored with ``ctx.save_for_backward``
    is ``ctx.saved_tensors``.  Return ``None`` for inputs that need no gradient
    (``ctx.needs_input_grad`` tells which do).  ``rules`` holds the local derivative of the
    output with respect to each input, as text; the chain-rule trace and the graph pictures
    print it.  For forward mode, ``jvp(ctx, *tangents)`` beside backward returns the output's
    tangent from one tangent per input (None for a zero one); ``jvp_rules`` is its text.

    Example -- a cube op with its rule next to its backward::

        class Cube(tg.Function):
            \"\"\"y = x**3;  dy/dx = 3 x**2\"\"\"
            rules = ("∂(x³)/∂x = 3·x²",)

            def forward(ctx, x):
                return x ** 3

            def backward(ctx, grad_out):
                (x,) = ctx.inputs
                return grad_out * 3 * x ** 2

        y = Cube.apply(tg.Tensor([2.0], requires_grad=True))
    """

    rules: ClassVar[tuple[str, ...]] = ()
    # The forward-mode rule as text (``ż = ẋ·y + x·ẏ``), for the forward trace and pictures.
    jvp_rules: ClassVar[tuple[str, ...]] = ()
    # True when output element k depends only on input element k (inputs of the output's
    # shape): the Jacobian is diagonal, so backward(ones) *is* the local derivative.
    elementwise: ClassVar[bool] = False
    # True when backward needs no values from the forward pass (only shapes and options, as
    # add, neg, sum, reshape): like PyTorch, such a node may be run by a second backward().
    saves_nothing: ClassVar[bool] = False
    # True when backward reads the output's values (exp, sigmoid, tanh...): changing that
    # output in place afterwards (y.add_(1)) must stop this node's backward, as in PyTorch.
    saves_output: ClassVar[bool] = False
    # True for the engine's own ops (the classes of tinygrad_edu/ops/; __init_subclass__ sets
    # it): their forward returns a supported dtype and their backward one gradient of each
    # input's shape by construction, so only your ops (and anomaly mode) pay for checking.
    builtin: ClassVar[bool] = False

    # Slots, not a __dict__: a node is made for every recorded op, and slots make it smaller
    # and its attributes quicker to set (a 10^5-op chain builds 10^5 of them).  Your own
    # subclasses get a __dict__ as usual, so ``ctx.anything = ...`` still works there.
    __slots__ = ("inputs", "needs_input_grad", "options", "forward_site", "scope", "_saved",
                 "_output_ref", "_released", "_versions", "last_backward", "_output_changed_by",
                 "__weakref__")
    inputs: tuple[Tensor, ...]
    needs_input_grad: tuple[bool, ...]
    options: dict[str, Any]
    forward_site: str | None
    scope: tuple[str, ...]
    _saved: tuple[Any, ...] | None
    _output_ref: weakref.ReferenceType[Tensor]
    _released: bool
    _versions: tuple[int, ...] | None  # the inputs' in-place versions a backward will read
    last_backward: tuple[Tensor, tuple[Tensor | None, ...]] | None  # what a freeing backward sent

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.builtin = cls.__module__.startswith(_OPS_PACKAGE)

    def forward(ctx, *args: Any, **options: Any) -> np.ndarray:
        raise NotImplementedError(f"{type(ctx).__name__} must define forward(ctx, *arrays)")

    def backward(ctx, grad_out: Tensor) -> Any:
        raise NotImplementedError(f"{type(ctx).__name__} must define backward(ctx, grad_out)")

    def jvp(ctx, *tangents: Tensor | None) -> Tensor:
        """Forward mode's rule: the output's tangent ż from the inputs' tangents (None: zero).

        Written with Tensor operations, like ``backward``, reading the same ``ctx``.  An op
        without one cannot take part in forward mode (``tg.func.jvp``, ``jacfwd``, ``hvp``).
        """
        raise NotImplementedError(
            f"{ctx.name} defines no jvp; forward mode (tg.func.jvp, jacfwd, hessian, "
            "hvp) needs each op's forward rule: define jvp(ctx, *tangents) beside backward, "
            "returning the output's tangent (one tangent per input, None meaning zero)")

    @classmethod
    def apply(cls, *inputs: Tensor, **options: Any) -> Tensor:
        """Run ``forward`` on the inputs' arrays; record a graph node if a gradient is needed."""
        try:  # a list comprehension over the slot, not a generator over the property: hot path
            needs = tuple([t._requires_grad for t in inputs])
        except AttributeError:  # checked only on failure, to keep the common path cheap
            bad = next(i for i, t in enumerate(inputs) if not isinstance(t, Tensor))
            raise TypeError(
                f"{cls.__name__}.apply: input {bad} is {type(inputs[bad]).__name__}, not a "
                "Tensor; wrap array inputs in tg.Tensor(...) and pass settings as keyword "
                "options (MyOp.apply(x, scale=2.0))"
            ) from None
        record = Config.grad_enabled and True in needs
        ctx: Any  # this op's node, or the shared stand-in when nothing is recorded
        if record or not cls.builtin:
            ctx = cls.__new__(cls)
            ctx.needs_input_grad = needs
            ctx._saved = None
        else:  # no node when nothing is recorded (every op of a backward pass, as a rule)
            ctx = _NO_NODE
        data = cls.forward(ctx, *[t.data for t in inputs], **options)
        if type(data) is not np.ndarray:  # a full reduction gives a NumPy scalar
            data = np.asarray(data)
        if not cls.builtin and data.dtype not in _SUPPORTED:
            _refuse_dtype(cls, data)
        anomaly = Config.anomaly
        if anomaly and not Config.in_backward:  # inside backward, the gradient check names it
            _check_forward(cls, inputs, data)
        if Config.recorder is not None:  # compile seam: tg.compile is tracing (compiler/trace.py)
            Config.recorder.op(cls, inputs, options, data)
        if not record:
            return Tensor._from_op(data, None)
        ctx.inputs = inputs
        ctx.options = options
        ctx._released, ctx.last_backward = False, None
        # Versions of inputs a backward will read; None for ops that read none (add, sum...).
        ctx._versions = None if cls.saves_nothing else tuple([t._version for t in inputs])
        ctx.forward_site = _user_code_site() if anomaly else None
        ctx.scope = Config.scope
        out = Tensor._from_op(data, ctx)
        # A weak reference: the output owns its node, not the other way round, so a graph
        # has no reference cycles and is freed the moment its last tensor goes away.
        ctx._output_ref = weakref.ref(out)
        return out

    # -- what backward may use ---------------------------------------------------------
    @property
    def output(self) -> Tensor:
        """The tensor this node produced (alive whenever its backward runs)."""
        out = self._output_ref()
        if out is None:  # only reachable if a node is used after its output was dropped
            raise RuntimeError(f"the output of {self.name} no longer exists")
        return out

    def save_for_backward(self, *values: Any) -> None:
        """Keep extra values (arrays or tensors) for ``backward``; released after backward."""
        self._saved = values

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        if self._saved is None:
            raise RuntimeError(
                f"{self.name}: nothing was saved for backward, or it was already released by a "
                "previous backward; pass retain_graph=True to backward() to keep it"
            )
        return self._saved

    @property
    def name(self) -> str:
        """The op's name as shown in errors and pictures (``Mul``, ``MatMul``...)."""
        return type(self).__name__

    @property
    def grad_fn_name(self) -> str:
        """The name PyTorch gives such a node (``t.grad_fn.name()``): ``MulBackward0``."""
        return f"{self.name}Backward0"

    def release(self, grad_out: Tensor | None = None, grads: tuple[Tensor | None, ...] = (),
                keep: bool = True) -> None:
        """Drop what forward saved; a later backward through this node is an error (unless
        the op needs no saved values: ``saves_nothing``).

        The gradients this backward sent through the node are kept instead, so a picture or
        trace drawn after a plain ``backward()`` still has its numbers (``explain.replay``):
        one attribute store per node, and arrays that live exactly as long as the graph.
        """
        if keep and grad_out is not None:
            self.last_backward = (grad_out, grads)
        if self.saves_nothing:
            return
        self._saved = None
        self._released = True

    def released_error(self) -> RuntimeError:
        """Why this node cannot run backward: freed by an earlier backward, or its output was
        changed in place after it was computed."""
        changed_by = getattr(self, "_output_changed_by", None)
        if changed_by is not None:
            return RuntimeError(
                f"{self.name} needs its output's values for its gradient, but {changed_by} changed "
                "that output in place afterwards (PyTorch refuses this too). Change a copy "
                "(y = y.clone(); y.add_(1)) or write y = y + 1")
        from .autograd import GraphFreedError  # autograd imports this module
        return GraphFreedError(
            f"backward through {self.name} a second time: its graph was freed by the "
            "first backward. Pass retain_graph=True to the first backward() call if you "
            "need to go through the same graph twice.")

    def check_versions(self) -> bool:
        """Refuse an input changed in place (``t[i] = v``, ``+=``, an optimizer step) after this
        node recorded it: backward would silently use the new values (PyTorch refuses too)."""
        assert self._versions is not None
        if self._versions == tuple([t._version for t in self.inputs]):
            return True
        i, t = next((i, t) for i, (t, v) in enumerate(zip(self.inputs, self._versions))
                    if t._version != v)
        raise RuntimeError(
            f"one of the tensors {self.name} needs for its gradient was changed in place after "
            f"{self.name} used it: input {i}, {t._label()}, is at version {t._version}, expected "
            f"version {self._versions[i]}. Change it after backward(), or give the op a copy "
            "(x.clone()) and change the original"
        )

    def __repr__(self) -> str:
        return f"<{self.name} node>"


def derived(fn: Any, *args: Any) -> Any:
    """``fn(*args)``: a NumPy computation on op arrays that is not differentiated (a mask, a
    tie share, an index range).

    Ops write ``derived(np.greater, x.data, 0)`` instead of ``x.data > 0`` so that a compiled
    step (``tg.compile``) sees where the array came from and recomputes it on every call,
    instead of freezing the first call's mask.  Outside a trace it is just the call.
    """
    out = fn(*args)
    if Config.recorder is not None:  # compile seam (compiler/trace.py)
        Config.recorder.derived(fn, args, out)
    return out


class _NoNode:
    """What the engine's own forwards get as ``ctx`` when nothing is recorded: they only
    ever call ``save_for_backward`` on it, and nothing will read what they save."""

    __slots__ = ()

    def save_for_backward(self, *values: Any) -> None:
        pass


_NO_NODE = _NoNode()
# The engine's own ops live in this package's ops/ (``tinygrad_edu.ops.``, whatever the
# package is imported as).
_OPS_PACKAGE = f"{__package__}.ops."
# What a forward may return: the dtypes a Tensor holds (see conversion.py).
_SUPPORTED = frozenset(np.dtype(c) for c in "?bBhHiIlLqQfd")


def _refuse_dtype(op: type, data: np.ndarray) -> None:
    if data.dtype.kind == "O" and data.ndim == 0 and data.item() is None:
        raise TypeError(f"{op.__name__}.forward returned None; it must return the output array "
                        "(is a `return` missing?)")
    raise TypeError(f"{op.__name__}.forward returned an array of dtype {data.dtype}; a forward "
                    "must return numbers (bool, integer, float32 or float64)")


def _check_forward(op: type, inputs: tuple[Tensor, ...], data: np.ndarray) -> None:
    """detect_anomaly: the first op whose forward *makes* a NaN or Inf is named, with its inputs.

    An op that only passes on a non-finite input is not the origin, so it is not blamed:
    NaN from inputs without NaN (``log(-1)``, ``0 * inf``), or Inf from finite inputs
    (``exp(1000)``), is what counts.
    """
    if data.dtype.kind != "f" or np.isfinite(data).all():
        return
    made_nan = np.isnan(data).any() and not any(np.isnan(t.data).any() for t in inputs
                                                if t.dtype.kind == "f")
    made_inf = np.isinf(data).any() and all(np.isfinite(t.data).all() for t in inputs
                                            if t.dtype.kind == "f")
    if not (made_nan or made_inf):
        return
    bad = np.argwhere(~np.isfinite(data.reshape(data.shape or (1,))))[0]
    where = tuple(int(i) for i in bad)
    values = "; ".join(f"input {i} = {_value_at(t.data, data.shape, where)}"
                       for i, t in enumerate(inputs))
    raise RuntimeError(
        f"detect_anomaly: {op.__name__} produced {'nan' if made_nan else 'inf'} in its forward "
        f"pass (first at index {where}; {values}) at {_user_code_site()}"
    )


def _value_at(array: np.ndarray, shape: tuple[int, ...], index: tuple[int, ...]) -> str:
    """The input's value at an output position (when shapes match), else a short summary."""
    if array.shape == shape and array.ndim:
        return repr(array[index].item())
    if array.size == 1:
        return repr(array.item())
    return f"array of shape {array.shape} (min {array.min()!r}, max {array.max()!r})"


def _user_code_site() -> str:
    """The innermost stack frame outside tinygrad_edu, as ``file:line in function``."""
    package_dir = __file__.rsplit("/", 1)[0]
    for frame in reversed(traceback.extract_stack()):
        if not frame.filename.startswith(package_dir):
            return f"{frame.filename}:{frame.lineno} in {frame.name}: {frame.line}"
    return "<unknown>"
