"""Forward mode: tangents pushed through a recorded graph, from the inputs to the outputs.

Reverse mode (autograd.py) walks the recorded graph from the output back to the leaves and
asks each node's ``backward`` for a vector-Jacobian product.  Forward mode walks the *same*
graph the other way, parents before children, and asks each node's ``jvp`` for a
Jacobian-vector product: the tangent ż of its output from the tangents ẋ of its inputs.
Nothing is added to ``Function.apply``, so a program that never asks for a tangent pays
nothing.  ``tg.func`` (jvp, jacfwd, hessian, hvp) and ``tg.explain_forward`` are front ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from .autograd import topological_order
from .config import Config
from .tensor import Tensor


class ForwardTracer(Protocol):
    """Receives every step of a forward-mode pass, in the order the engine runs them."""

    def on_step(self, node: Any, output: Tensor, tangents_in: tuple[Tensor | None, ...],
                tangent_out: Tensor) -> None: ...


def run_forward(inputs: Sequence[Tensor], tangents: Sequence[Tensor | None],
                outputs: Sequence[Tensor], *,
                tracer: ForwardTracer | None = None) -> list[Tensor | None]:
    """Push ``tangents`` (one per input, None for zero) through the graph of ``outputs``.

    For every recorded tensor z = op(x₁, ..., xₖ), in topological order (inputs first),
    ż = Σᵢ ∂z/∂xᵢ · ẋᵢ -- which the op's ``jvp`` computes, the sum included.  A node none of
    whose inputs carries a tangent is skipped (its tangent is zero).  Returns the tangent of
    each output, None where no tangent reaches it (a zero tangent).

    The inputs must have been used, with ``requires_grad``, to record the outputs; the walk
    reuses the engine's ``topological_order``.  An input that is itself the output of a node
    keeps the tangent given for it: the walk starts there.
    """
    known = {id(t): v for t, v in zip(inputs, tangents) if v is not None}
    for tensor in topological_order(outputs):  # parents before children
        node = tensor._ctx
        if node is None or id(tensor) in known:
            continue  # a leaf, or an input whose tangent was given
        tangents_in = tuple([known.get(id(x)) for x in node.inputs])
        if all(t is None for t in tangents_in):
            continue  # no tangent reaches this node: its output's tangent is zero
        tangent = _ask_jvp(node, tensor, tangents_in)  # ż = Σ ∂z/∂xᵢ·ẋᵢ
        known[id(tensor)] = tangent
        if tracer is not None:
            tracer.on_step(node, tensor, tangents_in, tangent)
    return [known.get(id(t)) for t in outputs]


def _ask_jvp(node: Any, output: Tensor, tangents_in: tuple[Tensor | None, ...]) -> Tensor:
    """The op's jvp, with the checks backward gets: graph not freed, inputs not changed.

    The engine's own ops return a tangent of the output's shape by construction (only a
    dtype is corrected, where float32 met float64); an op of yours is checked.
    """
    if node._released:
        raise node.released_error()
    node._versions is None or node.check_versions()  # inputs changed in place since recorded?
    tangent = node.jvp(*tangents_in)
    if node.builtin and not Config.anomaly:
        return tangent if tangent.dtype == output.dtype else tangent.astype(output.dtype)
    return _checked(node, output, tangent)


def _checked(node: Any, output: Tensor, tangent: Any) -> Tensor:
    """A tangent must be a Tensor (or array) of the output's shape; say which op broke that."""
    if tangent is None:
        raise RuntimeError(
            f"{node.name}.jvp returned None; it must return the output's tangent, a Tensor of "
            f"shape {output.shape} (zeros if the output does not change)")
    if not isinstance(tangent, Tensor):  # custom ops may return plain arrays
        tangent = Tensor._from_op(np.asarray(tangent, dtype=output.dtype), None)
    if tangent.shape != output.shape:
        raise RuntimeError(
            f"{node.name}.jvp returned a tangent of shape {tangent.shape}, but its output has "
            f"shape {output.shape}; a tangent must have the shape of the value it belongs to")
    if Config.anomaly and not np.all(np.isfinite(tangent.data)):
        raise RuntimeError(f"detect_anomaly: {node.name}.jvp produced a non-finite tangent "
                           f"(nan/inf); its forward ran at {node.forward_site}")
    return tangent if tangent.dtype == output.dtype else tangent.astype(output.dtype)
