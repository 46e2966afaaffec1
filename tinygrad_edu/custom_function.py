"""``tg.autograd.Function``: a differentiable function in PyTorch's form, written with Tensors.

Which one to use:

- ``tg.autograd.Function`` (here) to run a Function copied from PyTorch unchanged, or when
  forward is easiest written with Tensor methods: ``@staticmethod forward(ctx, *args)``
  receives the Tensors themselves (and non-tensor arguments positionally) and runs with
  recording off; ``@staticmethod backward(ctx, *grad_outputs)`` returns one gradient per
  argument of forward (None for non-tensors).
- ``tg.Function`` (function.py) to add a primitive to the engine: forward gets NumPy arrays
  and returns one, with no Tensor wrapping in between (the built-in ops are written so).

Both build the same kind of graph node, so backward, ``grad``, second order, the chain-rule
trace and the pictures treat them alike.  PyTorch-style backward rules often mask a cloned
gradient in place (``grad_input[input < 0] = 0``); ``assign_items`` is the rule for that.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from . import function
from .config import Config, no_grad
from .inplace import take_new_node
from .operands import where
from .ops.shape import Concatenate, normalize_index
from .tensor import Tensor


class Function:
    """Base class for a custom op in PyTorch's form; call it as ``MyFunction.apply(*args)``.

    Example (from PyTorch's "Learning PyTorch with Examples")::

        class LegendrePolynomial3(tg.autograd.Function):
            @staticmethod
            def forward(ctx, input):
                ctx.save_for_backward(input)
                return 0.5 * (5 * input ** 3 - 3 * input)

            @staticmethod
            def backward(ctx, grad_output):
                input, = ctx.saved_tensors
                return grad_output * 1.5 * (5 * input ** 2 - 1)

    ``ctx`` offers ``save_for_backward(*tensors)``, ``saved_tensors`` and
    ``needs_input_grad`` (one bool per argument of forward); other attributes may be set on
    it freely.  ``backward`` is written with Tensor operations, so with ``create_graph=True``
    its result is differentiable again (second order).  ``forward`` may return several
    Tensors (a tuple); ``backward`` then receives one gradient per output (zeros for an
    output the loss did not use, as PyTorch) -- integer outputs, and outputs passed to
    ``ctx.mark_non_differentiable``, are constants and get no gradient.
    """

    @staticmethod
    def forward(ctx: Any, *args: Any) -> Any:
        raise NotImplementedError("an autograd.Function must define @staticmethod forward(ctx, *args)")

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        raise NotImplementedError("an autograd.Function must define @staticmethod backward(ctx, "
                                  "*grad_outputs)")

    @staticmethod
    def jvp(ctx: Any, *tangents: Any) -> Any:
        """Forward mode's rule (optional): one tangent per argument of forward (zeros for a
        Tensor without one, None for other arguments, as PyTorch passes them) in, the
        output's tangent (a tuple for several outputs) out, in Tensor operations."""
        raise NotImplementedError("forward mode needs jvp")  # PyTorchStyleNode.jvp names the Function

    @classmethod
    def apply(cls, *args: Any) -> Any:
        """Run ``forward`` (recording off) and, if a gradient will be needed, record one node."""
        ctx = PyTorchStyleNode(cls, args)
        with no_grad():  # forward's own ops are not part of the graph: backward replaces them
            out = cls.forward(ctx, *args)
        recording = Config.grad_enabled and True in ctx.needs_input_grad
        if isinstance(out, (tuple, list)):
            return _several_outputs(ctx, [o if isinstance(o, Tensor) else Tensor(o) for o in out],
                                    recording)
        if not isinstance(out, Tensor):
            out = Tensor(out)
        if not recording:
            return Tensor._from_op(out.data, None)
        result = Tensor._from_op(out.data, ctx)
        ctx._output_ref = weakref.ref(result)  # as function.Function.apply: no cycle
        return result


class PyTorchStyleNode(function.Function):
    """The graph node (and ``ctx``) of an ``autograd.Function`` call.

    It keeps the Tensor arguments as ``inputs`` (the graph's parents) and turns the user's
    per-argument gradients into the engine's per-input ones.
    """

    def __init__(self, fn: type[Function], args: tuple[Any, ...]) -> None:
        self.fn = fn
        self.is_tensor = tuple(isinstance(a, Tensor) for a in args)
        self.inputs = tuple(a for a in args if isinstance(a, Tensor))
        self.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        self.options, self.forward_site, self.scope = {}, None, Config.scope
        self._saved, self._released = None, False
        self._versions = tuple(t._version for t in self.inputs)  # checked before backward
        # With several outputs: (shape, start, stop, packed) of each in the packed output.
        self.layout: list[tuple[tuple[int, ...], int, int, bool]] | None = None
        self.non_differentiable: set[int] = set()

    def mark_non_differentiable(self, *outputs: Tensor) -> None:
        """These outputs of forward get no gradient (PyTorch's ctx.mark_non_differentiable)."""
        self.non_differentiable.update(id(t) for t in outputs)

    def set_materialize_grads(self, value: bool) -> None:
        """Accepted for compatibility: gradients of unused outputs always arrive as zeros."""

    @property
    def name(self) -> str:
        return self.fn.__name__

    @property
    def grad_fn_name(self) -> str:
        return f"{self.fn.__name__}Backward"  # PyTorch's spelling for custom Functions

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        if self._released:
            raise RuntimeError(
                f"{self.name}: its saved tensors were released by a previous backward; pass "
                "retain_graph=True to the first backward() to go through it twice")
        return self._saved or ()

    def release(self, grad_out: Tensor | None = None, grads: tuple[Tensor | None, ...] = (),
                keep: bool = True) -> None:
        """Drop saved tensors; a Function that saved none may be run again (as in PyTorch).
        The gradients sent through it are kept for pictures, as ``Function.release`` keeps them."""
        if keep and grad_out is not None:
            self.last_backward = (grad_out, grads)
        if self._saved is not None:
            self._saved, self._released = None, True

    def backward(self, grad_out: Tensor) -> tuple[Any, ...]:
        if self.layout is None:
            grads = self.fn.backward(self, grad_out)
        else:  # the packed gradient of several outputs, unpacked into one per output
            grads = self.fn.backward(self, *[
                grad_out[start:stop].reshape(shape) if packed else Tensor(np.zeros(shape))
                for shape, start, stop, packed in self.layout])
        grads = grads if isinstance(grads, tuple) else (grads,)
        if len(grads) != len(self.is_tensor):
            raise RuntimeError(
                f"{self.name}.backward returned {len(grads)} gradients, but forward took "
                f"{len(self.is_tensor)} arguments; return one per argument (None for "
                "non-tensors and for inputs that need no gradient)")
        return tuple(g for g, is_tensor in zip(grads, self.is_tensor) if is_tensor)

    def jvp(self, *tangents: Tensor | None) -> Tensor:
        """The Function's ``@staticmethod jvp``, given one tangent per argument of forward;
        the tangents of several outputs are packed as their values are."""
        if self.fn.jvp is Function.jvp:
            raise NotImplementedError(
                f"{self.name} defines no jvp; forward mode (tg.func.jvp, jacfwd, hessian, hvp) "
                "needs it: define @staticmethod jvp(ctx, *tangents) beside backward, returning "
                "the output's tangent (as torch.autograd.Function's jvp)")
        given = iter(zip(self.inputs, tangents))
        per_argument: list[Tensor | None] = []
        for is_tensor in self.is_tensor:
            if not is_tensor:
                per_argument.append(None)
                continue
            x, t = next(given)
            per_argument.append(Tensor(np.zeros(x.shape, dtype=x.dtype)) if t is None else t)
        out = self.fn.jvp(self, *per_argument)
        if self.layout is None:
            return out
        outs = out if isinstance(out, (tuple, list)) else (out,)
        parts = [(t if isinstance(t, Tensor) else Tensor(np.zeros(shape) if t is None else t))
                 .reshape(-1) for (shape, _, _, pack), t in zip(self.layout, outs) if pack]
        return Concatenate.apply(*parts, axis=0)


def _several_outputs(ctx: PyTorchStyleNode, outs: list[Tensor], recording: bool) -> tuple[Tensor, ...]:
    """Several outputs from one node: the engine's nodes have one output, so the float outputs
    are packed into one flat tensor (the node's output) and each is handed out as a recorded
    slice of it.  Backward then finds the per-output gradients side by side in one array.
    """
    packable = [recording and o.dtype.kind == "f" and id(o) not in ctx.non_differentiable for o in outs]
    if not any(packable):
        return tuple(Tensor._from_op(o.data, None) for o in outs)
    dtype = np.result_type(*[o.dtype for o, p in zip(outs, packable) if p])
    packed = Tensor._from_op(np.concatenate([o.data.ravel().astype(dtype, copy=False)
                                             for o, p in zip(outs, packable) if p]), ctx)
    ctx._output_ref = weakref.ref(packed)
    ctx.layout, results, start = [], [], 0
    for out, pack in zip(outs, packable):
        if not pack:
            ctx.layout.append((out.shape, 0, 0, False))
            results.append(Tensor._from_op(out.data, None))
            continue
        stop = start + out.data.size
        ctx.layout.append((out.shape, start, stop, True))
        piece = packed[start:stop].reshape(out.shape)
        results.append(piece if piece.dtype == out.dtype else piece.astype(out.dtype))
        start = stop
    return tuple(results)


def assign_items(tensor: Tensor, index: Any, value: Any) -> None:
    """``t[index] = value``, in place, as PyTorch allows it:

    - On a tensor that does not require grad, anywhere (making a one-hot target, masking
      data); on one that does, inside ``no_grad()`` (editing a weight).  The tensor's version
      goes up by one, so a graph that used the old values refuses to backpropagate through
      them (PyTorch's version counter) instead of silently using the new ones.
    - Inside a backward rule with ``create_graph=True``, on a gradient that requires grad (a
      PyTorch Function masking ``grad_output.clone()``): the tensor becomes the recorded
      ``where(mask, value, old)``, so the result stays differentiable (second order).

    While recording, a tensor that requires grad cannot be changed in place (tinygrad_edu
    records no in-place ops), and a value that requires grad cannot be written into a
    tensor: ``tg.where(mask, v, t)`` builds the changed tensor as a differentiable op instead.
    """
    if Config.recorder is not None:  # compile seam: item assignment is not replayed (compiler/)
        Config.recorder.refuse(f"item assignment (t[i] = v) on {tensor._label()}")
    value_grad = isinstance(value, Tensor) and value._requires_grad
    raw = value.data if isinstance(value, Tensor) else np.asarray(value)
    if Config.grad_enabled and tensor._requires_grad:
        if Config.in_backward and tensor._ctx is not None and not value_grad:
            _rebase(tensor, normalize_index(tensor.shape, index), raw)
            return
        raise TypeError(
            f"item assignment (t[i] = v) on {tensor._label()}: it requires grad, so it is part of "
            "a recorded graph, and tinygrad_edu records no in-place ops. Build a new tensor "
            "instead, e.g. tg.where(mask, v, t); or, to edit a weight, assign inside "
            "`with tg.no_grad():`")
    if Config.grad_enabled and value_grad:
        raise TypeError(
            f"item assignment (t[i] = v) into {tensor._label()}: the value requires grad, but a "
            "tensor changed in place records no graph here, so its gradient would be lost. "
            "Build the tensor from differentiable ops (tg.where, tg.stack, tg.cat), or assign "
            "v.detach()")
    if not tensor.data.flags.writeable:  # a broadcast view: give this tensor its own memory
        tensor.data = tensor.data.copy()
    tensor.data[normalize_index(tensor.shape, index)] = raw
    tensor._version += 1


def _rebase(tensor: Tensor, index: Any, raw: np.ndarray) -> None:
    """Make ``tensor`` the recorded ``where(mask, value, old)`` (PyTorch "rebases" the same way).

    ``old`` is a new tensor object that takes over the old values and node, so the graph
    below stays as it was; ``tensor`` keeps its identity (the caller's name for it).
    """
    mask = np.zeros(tensor.shape, dtype=bool)
    mask[index] = True
    filled = tensor.data.copy()
    filled[index] = raw
    take_new_node(tensor, lambda old: where(mask, Tensor._from_op(filled, None), old))
