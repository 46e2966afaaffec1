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
from .operands import where
from .ops.shape import normalize_index
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
    its result is differentiable again (second order).  One output Tensor per Function.
    """

    @staticmethod
    def forward(ctx: Any, *args: Any) -> Any:
        raise NotImplementedError("an autograd.Function must define @staticmethod forward(ctx, *args)")

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        raise NotImplementedError("an autograd.Function must define @staticmethod backward(ctx, "
                                  "*grad_outputs)")

    @classmethod
    def apply(cls, *args: Any) -> Tensor:
        """Run ``forward`` (recording off) and, if a gradient will be needed, record one node."""
        ctx = PyTorchStyleNode(cls, args)
        with no_grad():  # forward's own ops are not part of the graph: backward replaces them
            out = cls.forward(ctx, *args)
        if not isinstance(out, Tensor):
            if isinstance(out, (tuple, list)):
                raise NotImplementedError(
                    f"{cls.__name__}.forward returned {len(out)} outputs; an autograd.Function "
                    "here returns one Tensor (split it into one Function per output)")
            out = Tensor(out)
        if not (Config.grad_enabled and True in ctx.needs_input_grad):
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

    def release(self) -> None:
        """Drop saved tensors; a Function that saved none may be run again (as in PyTorch)."""
        if self._saved is not None:
            self._saved, self._released = None, True

    def backward(self, grad_out: Tensor) -> tuple[Any, ...]:
        grads = self.fn.backward(self, grad_out)
        grads = grads if isinstance(grads, tuple) else (grads,)
        if len(grads) != len(self.is_tensor):
            raise RuntimeError(
                f"{self.name}.backward returned {len(grads)} gradients, but forward took "
                f"{len(self.is_tensor)} arguments; return one per argument (None for "
                "non-tensors and for inputs that need no gradient)")
        return tuple(g for g, is_tensor in zip(grads, self.is_tensor) if is_tensor)


def assign_items(tensor: Tensor, index: Any, value: Any) -> None:
    """``t[index] = value``: allowed where no recorded graph can hold the old values.

    - On a tensor that does not require grad, while recording is off (``no_grad``) or inside
      a backward rule: the numbers are changed in place.
    - Inside a backward rule with ``create_graph=True``, on a gradient that requires grad (a
      PyTorch Function masking ``grad_output.clone()``): the tensor becomes the recorded
      ``where(mask, value, old)``, so the result stays differentiable (second order).
      Only do this to a tensor no other op has used yet -- a fresh clone, as PyTorch's
      examples do: an op that already used it would see the new values.

    Anywhere else the assignment could change values a recorded graph still needs, so it is
    refused; ``tg.where(mask, v, t)`` builds the changed tensor as a differentiable op instead.
    """
    if Config.recorder is not None:  # compile seam: item assignment is not replayed (compiler/)
        Config.recorder.refuse(f"item assignment (t[i] = v) on {tensor._label()}")
    raw = value.data if isinstance(value, Tensor) else np.asarray(value)
    in_rule = Config.in_backward or not Config.grad_enabled
    if tensor._requires_grad and in_rule and Config.grad_enabled and tensor._ctx is not None \
            and not (isinstance(value, Tensor) and value._requires_grad):
        _rebase(tensor, normalize_index(tensor.shape, index), raw)
        return
    if tensor._requires_grad or not in_rule:
        where_ = ("it requires grad, so it is part of a recorded graph" if tensor._requires_grad
                  else "grad recording is on, and a recorded graph may use its values")
        raise TypeError(
            f"item assignment (t[i] = v) on {tensor._label()}: {where_}. Build a new tensor "
            "instead, e.g. tg.where(mask, v, t); or assign inside `with tg.no_grad():` to a "
            "tensor that does not require grad; or edit raw numbers with t.data[i] = v")
    if not tensor.data.flags.writeable:  # a broadcast view: give this tensor its own memory
        tensor.data = tensor.data.copy()
    tensor.data[normalize_index(tensor.shape, index)] = raw


def _rebase(tensor: Tensor, index: Any, raw: np.ndarray) -> None:
    """Make ``tensor`` the recorded ``where(mask, value, old)`` (PyTorch "rebases" the same way).

    ``old`` is a new tensor object that takes over the old values and node, so the graph
    below stays as it was; ``tensor`` keeps its identity (the caller's name for it).
    """
    old = Tensor._from_op(tensor.data, tensor._ctx)
    tensor._ctx._output_ref = weakref.ref(old)
    mask = np.zeros(tensor.shape, dtype=bool)
    mask[index] = True
    filled = tensor.data.copy()
    filled[index] = raw
    new = where(mask, Tensor._from_op(filled, None), old)
    tensor.data, tensor._ctx = new.data, new._ctx
    new._ctx._output_ref = weakref.ref(tensor)
