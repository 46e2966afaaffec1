"""Forward mode as data for pictures: every step of one tangent pass, with its rule and terms.

``tg.explain_forward`` runs the engine's ``run_forward`` with a tracer and keeps each step
(the op, its jvp rule, the tangents of its inputs, the rule with the numbers put in);
``tangent_pass`` reads that trace for ``modes.py`` (the edges of the forward-mode picture)
and ``explorer_forward.py`` (the page's tangent stepping), adding what a picture needs
besides: default seeds, and term by term what each input adds to ż.  Only reading happens
here: tangents are new arrays, no value or ``.grad`` of the graph changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..config import no_grad
from ..explain import Graph, read_graph
from ..explain_forward import ForwardStep, explain_forward
from ..tensor import Tensor

GENERIC_RULE = "ż = Σᵢ ∂z/∂xᵢ·ẋᵢ"  # for an op of yours that gives no jvp_rules text


@dataclass(frozen=True)
class TangentStep:
    """One op of the forward-mode pass: ż from the tangents of its inputs.

    ``terms`` holds, for each input that carries a tangent, ∂z/∂xᵢ·ẋᵢ (what that input adds
    to ż, found by asking the op's jvp with that tangent alone); their sum is ``tangent``.
    ``numbers`` is the rule's right-hand side with the numbers put in (``1·(-3) + 2·0``) for
    a one-number elementwise step, else None (``ForwardStep.with_numbers``).
    """

    number: int
    node: Any
    output: Tensor
    output_label: str
    rule: str
    terms: tuple[tuple[int, np.ndarray], ...]  # (argument index, ∂z/∂xᵢ·ẋᵢ)
    tangent: np.ndarray
    numbers: str | None = None


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
    (one array-like per input, of its shape, None for zero) defaults to ones for the first
    input and zero for the others -- one forward pass gives the derivative along one input
    direction.  The steps are ``tg.explain_forward``'s.
    """
    graph = graph or read_graph(tensor)
    ins = _inputs(tensor, inputs, graph)
    seeds = _tangents(tangents, ins)
    seeded = [(x, v) for x, v in zip(ins, seeds) if v is not None]  # a None tangent stays unseeded
    trace = explain_forward(tensor, [x for x, _ in seeded], [v for _, v in seeded], graph=graph)
    known = {id(x): v for x, v in seeded}
    known.update({id(s.output): s.tangent for s in trace})
    return TangentPass(graph, ins, tuple(_step(s) for s in trace), known)


def _step(step: ForwardStep) -> TangentStep:
    """A traced step, with each input's share of ż."""
    node = step.node
    carrying = [i for i, x in enumerate(step.inputs) if x.tangent is not None]
    terms = []
    for i in carrying:
        if len(carrying) == 1:  # the only term is ż itself
            terms.append((i, step.tangent))
            continue
        alone = [Tensor(x.tangent) if k == i and x.tangent is not None else None
                 for k, x in enumerate(step.inputs)]
        with no_grad():
            part = node.jvp(*alone)  # what input i adds to ż
        terms.append((i, np.asarray(part.data if isinstance(part, Tensor) else part)))
    rule = step.rule if type(node).jvp_rules else GENERIC_RULE
    return TangentStep(step.number, node, step.output, step.output_label, rule, tuple(terms),
                       step.tangent, step.with_numbers())


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


def _tangents(tangents: Any, ins: tuple[Tensor, ...]) -> list[np.ndarray | None]:
    if tangents is None:  # d/d(first input): ones there, zero elsewhere
        return [np.ones(ins[0].shape, dtype=ins[0].dtype), *([None] * (len(ins) - 1))]
    given = [tangents] if len(ins) == 1 and not isinstance(tangents, (tuple, list)) else list(tangents)
    if len(given) != len(ins):
        raise ValueError(f"forward-mode picture: {len(given)} tangents for {len(ins)} inputs; give "
                         "one tangent per input (None for a zero one)")
    out: list[np.ndarray | None] = []
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
        out.append(data)
    return out
