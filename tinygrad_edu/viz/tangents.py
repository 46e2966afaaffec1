"""Forward mode as data for pictures: every step of one tangent pass, with its rule and terms.

``forward.run_forward`` pushes tangents from the inputs to the output and reports each step
to a tracer; ``tangent_pass`` keeps those reports (the op, its jvp rule, the tangent of each
input and, term by term, what each input adds to ż) so that ``modes.py`` can label the
edges of the forward-mode picture and ``html.py`` can step through them.  Only reading
happens here: tangents are new tensors, no value or ``.grad`` of the graph changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..config import no_grad
from ..explain import Graph, read_graph
from ..forward import run_forward
from ..tensor import Tensor

GENERIC_RULE = "ż = Σᵢ ∂z/∂xᵢ·ẋᵢ"  # for an op of yours that gives no jvp_rules text


@dataclass(frozen=True)
class TangentStep:
    """One op of the forward-mode pass: ż from the tangents of its inputs.

    ``terms`` holds, for each input that carries a tangent, ∂z/∂xᵢ·ẋᵢ (what that input adds
    to ż, found by asking the op's jvp with that tangent alone); their sum is ``tangent``.
    """

    number: int
    node: Any
    output: Tensor
    output_label: str
    rule: str
    terms: tuple[tuple[int, np.ndarray], ...]  # (argument index, ∂z/∂xᵢ·ẋᵢ)
    tangent: np.ndarray


@dataclass(frozen=True)
class TangentPass:
    """A whole forward-mode pass over ``graph``: the seeds, each step, every tensor's tangent."""

    graph: Graph
    inputs: tuple[Tensor, ...]
    steps: tuple[TangentStep, ...]
    tangents: dict[int, np.ndarray]  # id(tensor) -> its tangent (absent: zero)

    def tangent(self, tensor: Tensor) -> np.ndarray | None:
        """ẋ for ``tensor``, or None when no tangent reaches it (a zero tangent)."""
        return self.tangents.get(id(tensor))


def tangent_pass(tensor: Tensor, inputs: Tensor | Sequence[Tensor] | None = None,
                 tangents: Any = None, *, graph: Graph | None = None) -> TangentPass:
    """Push ``tangents`` from ``inputs`` through ``tensor``'s graph and keep every step.

    ``inputs`` defaults to the leaves that require grad, in graph order; ``tangents``
    (one array-like per input, of its shape) defaults to ones for the first input and zero
    for the others -- one forward pass gives the derivative along one input direction.
    """
    graph = graph or read_graph(tensor)
    ins = _inputs(tensor, inputs, graph)
    seeds = _tangents(tangents, ins)
    recorder = _Recorder(graph)
    with no_grad():  # the tangents' own graph is not needed for a picture
        run_forward(ins, seeds, [tensor], tracer=recorder)
    known = {id(x): s.data for x, s in zip(ins, seeds) if s is not None}
    known.update({id(s.output): s.tangent for s in recorder.steps})
    return TangentPass(graph, ins, tuple(recorder.steps), known)


class _Recorder:
    """The tracer ``run_forward`` reports to: one ``TangentStep`` per op it runs."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.steps: list[TangentStep] = []

    def on_step(self, node: Any, output: Tensor, tangents_in: tuple[Tensor | None, ...],
                tangent_out: Tensor) -> None:
        terms = []
        for i, t in enumerate(tangents_in):
            if t is None:
                continue
            if sum(x is not None for x in tangents_in) == 1:
                terms.append((i, tangent_out.data))  # the only term is ż itself
                continue
            alone = tuple(t if j == i else None for j in range(len(tangents_in)))
            part = node.jvp(*alone)  # what input i adds to ż (no graph: recording is off)
            terms.append((i, np.asarray(part.data if isinstance(part, Tensor) else part)))
        rules = type(node).jvp_rules
        self.steps.append(TangentStep(len(self.steps) + 1, node, output, self.graph.label(output),
                                      rules[0] if rules else GENERIC_RULE, tuple(terms),
                                      tangent_out.data))


def _inputs(tensor: Tensor, inputs: Tensor | Sequence[Tensor] | None,
            graph: Graph) -> tuple[Tensor, ...]:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"forward-mode picture: takes a Tensor, got {type(tensor).__name__}")
    if not tensor.requires_grad:
        raise ValueError(f"forward-mode picture: {graph.label(tensor)} does not require grad, so "
                         "no graph was recorded for a tangent to flow through; create its leaves "
                         "with requires_grad=True")
    if inputs is None:
        return tuple(t for t in graph.tensors if t._ctx is None and t.requires_grad)
    ins = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    in_graph = {id(t) for t in graph.tensors}
    for k, x in enumerate(ins):
        if not isinstance(x, Tensor):
            raise TypeError(f"forward-mode picture: inputs[{k}] is {type(x).__name__}, not a Tensor")
        if id(x) not in in_graph or not x.requires_grad:
            raise ValueError(f"forward-mode picture: inputs[{k}] (shape {x.shape}) is not a tensor "
                             f"that requires grad in the graph of {graph.label(tensor)}; pass tensors "
                             "that were used to compute it")
    if not ins:
        raise ValueError("forward-mode picture: inputs is empty; pass at least one tensor")
    return ins


def _tangents(tangents: Any, ins: tuple[Tensor, ...]) -> list[Tensor | None]:
    if tangents is None:  # d/d(first input): ones there, zero elsewhere
        return [Tensor(np.ones(ins[0].shape, dtype=ins[0].dtype)), *([None] * (len(ins) - 1))]
    given = [tangents] if len(ins) == 1 and not isinstance(tangents, (tuple, list)) else list(tangents)
    if len(given) != len(ins):
        raise ValueError(f"forward-mode picture: {len(given)} tangents for {len(ins)} inputs; give "
                         "one tangent per input (None for a zero one)")
    out: list[Tensor | None] = []
    for k, (x, v) in enumerate(zip(ins, given)):
        if v is None:
            out.append(None)
            continue
        data = np.asarray(v.data if isinstance(v, Tensor) else v, dtype=x.dtype)
        if data.shape != x.shape:
            try:
                data = np.broadcast_to(data, x.shape).copy()  # a number for a whole tensor
            except ValueError:
                raise ValueError(f"forward-mode picture: tangents[{k}] has shape {data.shape}, but "
                                 f"its input has shape {x.shape}; a tangent has its input's "
                                 "shape") from None
        out.append(Tensor(data))
    return out
