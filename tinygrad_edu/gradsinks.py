"""Where a backward pass puts the gradients it computes: ``.grad`` or a capture for ``grad()``.

``autograd.run_backward`` hands every tensor's total gradient to a sink: ``LeafGrads``
(``backward()``: added to ``.grad`` of leaves and ``retain_grad`` tensors, never aliasing
another leaf's memory) or ``Capture`` (``grad()`` and the chain-rule trace: returned by id,
``.grad`` untouched).  Hooks run first in both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .config import Config
from .tensor import Tensor


class LeafGrads:
    """Where ``backward()`` puts gradients: added to ``.grad`` of leaves and ``retain_grad`` tensors."""

    def __init__(self, seeds: Sequence[Tensor], create_graph: bool) -> None:
        # Memory already handed to a leaf, or owned by the caller (the seeds): a gradient
        # sharing it is copied before it is stored, so no two .grad arrays alias.
        self.owners = {id(_memory_owner(seed.data)) for seed in seeds}
        self.create_graph = create_graph
        self.captured: dict[int, Tensor] = {}
        self.recorder = Config.recorder  # compile seam: tg.compile names the gradients

    def receive(self, tensor: Tensor, g: Tensor) -> Tensor:
        if tensor._hooks:
            g = _run_hooks(tensor, g)
        if self.recorder is not None:
            self.recorder.gradient_of(tensor, g)
        if tensor._ctx is None or tensor._retains_grad:
            _store_grad(tensor, g, self.owners, self.create_graph)
        return g


class Capture:
    """Where ``grad()`` and ``explain`` put gradients: returned by id, ``.grad`` untouched."""

    def __init__(self, wanted: Sequence[Tensor]) -> None:
        self.wanted = {id(t) for t in wanted}
        self.captured: dict[int, Tensor] = {}

    def receive(self, tensor: Tensor, g: Tensor) -> Tensor:
        if tensor._hooks:
            g = _run_hooks(tensor, g)
        if id(tensor) in self.wanted:
            self.captured[id(tensor)] = g
        return g


def _run_hooks(tensor: Tensor, g: Tensor) -> Tensor:
    """Each hook sees the gradient; one that returns a Tensor replaces it."""
    for hook in tensor._hooks or ():
        replaced = hook(g)
        if replaced is not None:
            g = _check_hook_result(tensor, g, replaced)
    return g


def _store_grad(tensor: Tensor, g: Tensor, owners: set[int], create_graph: bool) -> None:
    """Add ``g`` to ``tensor.grad`` (leaves accumulate across backward calls)."""
    if tensor._grad is not None:
        _accumulate(tensor, tensor._grad, g, create_graph)
        return
    # The same gradient object may reach two leaves (``a + b``), a reshape/transpose view may
    # share memory with another leaf's gradient, and broadcast views are read-only: each leaf
    # gets a private, writeable array.  A view nobody else holds (the transposed gradient of a
    # weight used as ``x @ W.T``) is kept as it is -- copying it every step would cost time.
    owner = id(_memory_owner(g.data))
    shared = owner in owners or not g.data.flags.writeable
    if Config.recorder is not None:  # compile seam (compiler/trace.py)
        Config.recorder.grad_stored(tensor, g.data, copied=shared and not create_graph)
    if shared:
        if create_graph:
            g = g * 1.0  # a recorded copy: the gradient stays differentiable but is not shared
        else:
            g = Tensor._from_op(np.array(g.data), None)
        owner = id(_memory_owner(g.data))
    owners.add(owner)
    tensor._grad = g


def _accumulate(tensor: Tensor, total: Tensor, g: Tensor, create_graph: bool) -> None:
    """``.grad += g`` into the same tensor object, as PyTorch does, so a reference kept by the
    caller sees the new total.  A recorded sum (``create_graph``), a gradient that is itself
    in a graph, or a read-only array get a new tensor instead."""
    if Config.recorder is not None:  # compile seam (compiler/trace.py)
        Config.recorder.grad_added(tensor, total, g, create_graph)
    if create_graph or total._requires_grad or not total.data.flags.writeable:
        tensor._grad = total + g
    else:
        np.add(total.data, g.data, out=total.data, casting="unsafe")


def _memory_owner(array: np.ndarray) -> object:
    """The object that owns an array's memory (NumPy points every view straight at it)."""
    return array if array.base is None else array.base


def _check_hook_result(tensor: Tensor, g: Tensor, replaced: Any) -> Tensor:
    if not isinstance(replaced, Tensor) or replaced.shape != g.shape:
        shape = getattr(replaced, "shape", None)
        raise RuntimeError(
            f"a hook on {tensor._label()} returned {type(replaced).__name__} of shape {shape}; "
            f"a hook must return None or a Tensor of shape {g.shape}"
        )
    return replaced
