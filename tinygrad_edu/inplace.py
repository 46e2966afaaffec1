"""Recording an in-place change: ``b.mul_(3)`` on a tensor in a graph, as PyTorch allows it.

The engine's graph points at tensor *objects* (a node's ``inputs``), not at versions of them.
So an in-place op on a recorded tensor ``t`` is recorded by moving ``t``'s old values and
node to a fresh tensor ``old`` and making ``t`` the output of the new op on ``old``: the graph
below is untouched and ``t`` (the caller's name for it) now carries the new values and node.

That is only sound while no recorded node holds ``t`` as an input: that node's gradient would
be routed into the new op instead of the old one.  Such a case is refused with a message (where
PyTorch, whose graph points at versions, would allow it).  Finding the holders asks Python's
garbage collector who refers to ``t`` -- slow for a big program, but in-place ops on graph
tensors are rare, and the normal paths never pay for it.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # tensor.py imports this module (through composed.py) before Tensor exists
    from .tensor import Tensor


def record_in_place(t: Tensor, op: str, compute: Callable[[Tensor], Tensor]) -> None:
    """Make ``t`` the recorded result of ``compute(old values of t)``."""
    if t._requires_grad and t._ctx is None:
        raise RuntimeError(
            f"{op} on {t._label()}, a leaf that requires grad, while recording: it would replace "
            "the parameter by a computed tensor (PyTorch refuses this too). Do the update inside "
            "`with tg.no_grad():`")
    holder = _recorded_user(t)
    if holder is not None:
        raise RuntimeError(
            f"{op} on {t._label()}: the recorded op {holder} already used it, and changing it in "
            "place would send that op's gradient through this change. Write the out-of-place "
            "form (x = x * 3), or clone() it before the other op uses it")
    if t._ctx is not None and t._ctx.saves_output:  # PyTorch's rule: the values it saved
        t._ctx._released, t._ctx._output_changed_by = True, op  # are the ones now changed
    take_new_node(t, compute)
    t._version += 1


def take_new_node(t: Tensor, compute: Callable[[Tensor], Tensor]) -> None:
    """Move ``t``'s values and node to a fresh tensor ``old`` and make ``t`` the output of
    ``compute(old)``: the graph below stays as it was, and ``t`` keeps its identity (PyTorch
    "rebases" a tensor changed in place the same way)."""
    old = type(t)._from_op(t.data, t._ctx)
    if t._ctx is not None:
        t._ctx._output_ref = weakref.ref(old)
    new = compute(old)
    t.data, t._ctx, t._requires_grad = new.data, new._ctx, new._requires_grad
    if new._ctx is not None:
        new._ctx._output_ref = weakref.ref(t)


def _recorded_user(t: Tensor) -> str | None:
    """The name of a recorded node that holds ``t`` in its ``inputs``, if any."""
    from .function import Function  # function.py imports tensor.py, which imports this lazily
    for holder in gc.get_referrers(t):
        if type(holder) is not tuple:
            continue
        for owner in gc.get_referrers(holder):
            if isinstance(owner, Function) and getattr(owner, "inputs", None) is holder:
                return owner.name
            if isinstance(owner, dict) and owner.get("inputs") is holder:
                return "a recorded op"
    return None


