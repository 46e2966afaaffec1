"""The chain-rule trace: ``tg.explain(loss)`` shows backward one op at a time.

It does not re-derive anything: it runs the engine's own ``run_backward`` with a tracer
attached, so the steps come in exactly the order backward runs, and every number is one the
engine computed.  The rule text of each step is the op's ``rules`` tuple, written next to its
backward in ``ops/``.  This is also the one place that walks a graph and names its tensors
for display (``read_graph``): the pictures in ``viz/`` read a ``Graph`` and a ``Trace`` from
here, and nothing here reads ``viz/``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np

from . import autograd
from .autograd import GraphFreedError
from .config import no_grad
from .formatting import SMALL, describe, format_array, format_number, format_options, format_shape, visible
from .richdisplay import trace_html
from .tensor import Tensor


@dataclass(frozen=True)
class Contribution:
    """What one op sends back to one input: ``value = upstream × local`` (the chain rule).

    ``local`` holds the local derivative as numbers when it can be shown elementwise (the
    op is ``elementwise``, as ``Mul`` or ``Sigmoid`` are, so its Jacobian for an input of
    the output's shape is diagonal; and the tensors are small); otherwise it is ``None``
    and ``rule`` says what the op does with the upstream gradient (``G ↦ G@Yᵀ`` for a
    matmul).  ``value`` is ``None`` for an input that takes no gradient.
    """

    index: int
    input: Tensor
    label: str
    argument: str
    rule: str
    value: np.ndarray | None
    local: np.ndarray | None


@dataclass(frozen=True)
class Sum:
    """Two gradients meeting at one tensor are added: ``previous + contribution = total``."""

    tensor: Tensor
    label: str
    previous: np.ndarray
    contribution: np.ndarray
    total: np.ndarray


@dataclass(frozen=True)
class Step:
    """One op of the backward pass: the gradient of its output goes to its inputs.

    ``upstream`` is ∂root/∂output, the sum of ``upstream_parts`` -- ``(step number, value)``
    pairs, step 0 being the seed.  ``sums`` are the additions this step's contributions
    caused at tensors that had already received a gradient.
    """

    number: int
    total_steps: int
    op: str
    node: Any
    output: Tensor
    output_label: str
    root_label: str
    upstream: np.ndarray
    upstream_parts: tuple[tuple[int, np.ndarray], ...]
    contributions: tuple[Contribution, ...]
    sums: tuple[Sum, ...]
    scope: tuple[str, ...]

    @property
    def inputs(self) -> tuple[Tensor, ...]:
        return tuple(c.input for c in self.contributions)

    @property
    def formula(self) -> str:
        """The forward computation this step differentiates, e.g. ``L = Mul(d, d)``."""
        args = ", ".join(c.label for c in self.contributions)
        options = format_options(self.node.options)
        return f"{self.output_label} = {self.op}({args}{'; ' + options if options else ''})"

    def d(self, label: str) -> str:
        """``∂L/∂x`` for the root of this trace."""
        return f"∂{self.root_label}/∂{label}"

    def __str__(self) -> str:
        scope = f"   [inside {' / '.join(self.scope)}]" if self.scope else ""
        lines = [f"Step {self.number} of {self.total_steps} · {self.op}:  {self.formula}{scope}"]
        upstream = _block(f"upstream {self.d(self.output_label)}", self.upstream, 2)
        if len(self.upstream_parts) > 1:
            sources = ", ".join("the seed" if n == 0 else str(n) for n, _ in self.upstream_parts)
            upstream += f"\n    (the sum of {len(self.upstream_parts)} contributions, from steps {sources})"
        lines.append(upstream)
        for c in self.contributions:
            lines.append(f"  → {c.label} (as {c.argument}):  {c.rule}")
            if c.value is None:
                lines.append("      no gradient: this input does not require grad")
            elif c.local is not None and c.value.size == 1 and self.upstream.size == 1:
                local = format_number(c.local.item())
                local = f"({local})" if local.startswith("-") else local
                lines.append(f"      upstream × local = {format_number(self.upstream.item())} × "
                             f"{local} = {format_number(c.value.item())}")
            elif c.local is not None:
                lines.append(_block("local", c.local, 6))
                lines.append(_block("contribution = upstream ⊙ local", c.value, 6))
            else:
                lines.append(_block("contribution", c.value, 6))
        for s in self.sums:
            if s.total.size == 1:
                lines.append(f"  {s.label} already had a gradient, so the two add up: "
                             f"{_inline(s.previous)} + {_inline(s.contribution)} = {_inline(s.total)}")
            else:
                lines.append(f"  {s.label} already had a gradient, so the two add up:")
                lines.append(_block("earlier", s.previous, 6))
                lines.append(_block("+ this step", s.contribution, 6))
                lines.append(_block("= total so far", s.total, 6))
        return "\n".join(lines)


class Trace(Sequence[Step]):
    """The backward pass of one tensor as a list of ``Step`` s, in the engine's order.

    ``print(trace)`` gives the whole derivation; ``trace[i]`` is one step; ``trace.grad(t)``
    is the gradient the engine computed for any tensor ``t`` of the graph (leaves included).
    """

    def __init__(self, root: Tensor, seed: np.ndarray, steps: list[Step],
                 labels: dict[int, str], grads: dict[int, Tensor], tensors: list[Tensor]) -> None:
        self.root = root
        self.seed = seed
        self.steps = steps
        self.tensors = tensors  # every tensor of the graph, constants included, parents first
        self.graph = Graph(root, tensors, labels)  # what the pictures of this trace draw
        self._labels = labels
        self._grads = grads

    @overload
    def __getitem__(self, i: int) -> Step: ...
    @overload
    def __getitem__(self, i: slice) -> list[Step]: ...
    def __getitem__(self, i: Any) -> Any:
        return self.steps[i]

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

    def label(self, tensor: Tensor) -> str:
        """The name this trace uses for ``tensor`` (its ``name``, or ``mul1``, ``leaf2``...)."""
        return self._labels[id(tensor)]

    def grad(self, tensor: Tensor) -> np.ndarray | None:
        """∂root/∂tensor as the engine computed it, or ``None`` if no gradient reaches it."""
        g = self._grads.get(id(tensor))
        return None if g is None else g.data

    @property
    def leaves(self) -> list[Tensor]:
        """The leaf tensors that receive a gradient, in graph order."""
        return [t for t in self.tensors if t._ctx is None and t.requires_grad]

    def __str__(self) -> str:
        name = self._labels[id(self.root)]
        value = format_array(self.root.data).replace("\n", " ")
        head = [
            f"Chain rule for {name} = {value} ({format_shape(self.root.shape)}, {self.root.dtype}): "
            f"{len(self.steps)} backward steps, in the order the engine runs them.",
            f"seed: ∂{name}/∂{name} = {_inline(self.seed)}",
        ]
        body = [str(step) for step in self.steps]
        tail = ["Gradients of the leaves (each is the sum of its contributions):"]
        for leaf in self.leaves:
            g = self.grad(leaf)
            text = "no gradient reaches it" if g is None else describe(g) if g.size <= SMALL \
                else format_array(g)
            tail.append(f"  ∂{name}/∂{self._labels[id(leaf)]} = {text}")
        return "\n\n".join(["\n".join(head), *body, "\n".join(tail)])

    def __repr__(self) -> str:
        return f"<Trace of {self._labels[id(self.root)]}: {len(self.steps)} steps>"

    def _repr_html_(self) -> str:
        return trace_html(self)  # Jupyter: one table row per step


def explain(tensor: Tensor, grad: Any = None, *, graph: Graph | None = None,
            inputs: Any = None, tangents: Any = None) -> Any:
    """The backward pass of ``tensor`` as a ``Trace`` of steps, without touching any ``.grad``.

    Each step is one op, in the order ``backward()`` runs them: the op, its inputs and
    output, the upstream gradient ∂L/∂output, each input's local rule and contribution
    (upstream × local), and the sums where contributions to one tensor meet.
    ``print(tg.explain(loss))`` prints the derivation; numbers for tensors of at most 16
    elements, shapes and summary statistics for bigger ones.

    Call it **before** ``loss.backward()``, or after ``loss.backward(retain_graph=True)``:
    a plain ``backward()`` frees the graph, and then ``explain`` raises ``GraphFreedError``
    (a ``RuntimeError``) saying so (forward values survive, but what backward needs does
    not) -- ``replay(tensor)`` then gives the trace of that backward from what it kept.
    ``explain`` runs the real backward with ``capture=`` so ``.grad`` stays as it was;
    hooks registered on tensors do run (they are part of what backward computes).
    ``grad`` seeds a non-scalar ``tensor``, as in ``backward(grad)``.  ``graph`` is
    ``read_graph(tensor)`` when the caller has already walked the graph (a picture does,
    to check its size first), so it is walked once.

    With ``inputs=`` and ``tangents=`` it traces forward mode instead: the tangents flowing
    from those inputs to ``tensor``, one jvp rule per step: a ``ForwardTrace``, as
    ``tg.explain_forward(tensor, inputs, tangents)`` returns.
    """
    if tangents is not None or inputs is not None:  # forward mode (it builds on this module)
        from .explain_forward import explain_forward
        if tangents is None or inputs is None:
            raise ValueError("explain(): forward mode needs both inputs= (the tensors the "
                             "tangents belong to) and tangents= (one direction for each)")
        return explain_forward(tensor, inputs, tangents, graph=graph)
    if not isinstance(tensor, Tensor):
        raise TypeError(f"explain() takes a Tensor, got {type(tensor).__name__}")
    if not tensor.requires_grad:
        raise RuntimeError(
            f"explain(): {tensor._label()} does not require grad, so it has no backward pass; "
            "build it from tensors created with requires_grad=True (outside no_grad)"
        )
    if graph is None:
        graph = read_graph(tensor)
    elif graph.root is not tensor:
        raise ValueError(f"explain(): graph= was read from {graph.label(graph.root)}, not from this tensor")
    tensors = graph.tensors
    released = [t._ctx.name for t in tensors if t._ctx is not None and t._ctx._released]
    if released:
        raise GraphFreedError(
            f"explain(): the graph was already freed by backward() (first freed op: {released[0]}). "
            "Call tg.explain(loss) before loss.backward(), or use loss.backward(retain_graph=True)."
        )
    seed = autograd.seed_gradient(tensor, grad, "explain()")
    recorder = _Recorder(graph.labels, tensor, seed)
    needing = [t for t in tensors if t.requires_grad]
    grads = autograd.run_backward([tensor], [seed], retain_graph=True, create_graph=False,
                                  capture=needing, tracer=recorder)
    steps = recorder.steps()
    return Trace(tensor, seed.data, steps, graph.labels, grads, tensors)


def replay(tensor: Tensor, grad: Any = None, *, graph: Graph | None = None) -> Trace:
    """The trace of the plain ``backward()`` that already ran on ``tensor``, from what it kept.

    A graph-freeing backward leaves on every node the gradients it sent through it
    (``Function.release``); this walks the nodes in the engine's order (the reverse of
    ``graph_tensors``, which is the order ``run_backward`` ran) and hands those numbers to
    the same recorder ``explain`` uses, so the steps, sums and gradients are that pass's
    own.  Nothing is recomputed except local derivatives of elementwise built-in ops (their
    backward needs no saved values).  ``grad`` is the seed that backward started from (ones
    by default, as ``backward()`` uses).  Raises ``GraphFreedError`` when a node kept nothing
    or the kept numbers started from another seed -- e.g. the graph was freed by a backward
    from another output (``(2 * L).backward()``), whose numbers are not ``L``'s.
    """
    graph = read_graph(tensor) if graph is None else graph
    nodes = [t._ctx for t in reversed(graph.tensors) if t._ctx is not None]
    expected = np.ones(tensor.shape) if grad is None else np.asarray(getattr(grad, "data", grad))
    if not nodes or any(getattr(n, "last_backward", None) is None for n in nodes) \
            or not np.array_equal(nodes[0].last_backward[0].data, expected):
        raise GraphFreedError(
            f"replay(): the graph of {graph.label(tensor)} was not freed by a backward() from it "
            "with this seed, so there is nothing to replay. Call tg.explain(loss) before "
            "loss.backward(), or use loss.backward(retain_graph=True).")
    seed = nodes[0].last_backward[0]
    recorder = _Recorder(graph.labels, tensor, seed)
    totals: dict[int, Tensor] = {id(tensor): seed}
    grads: dict[int, Tensor] = {}
    with no_grad():
        for node in nodes:
            grad_out, sent = node.last_backward
            # As a trace shows them: no gradient for inputs that need none.
            sent = tuple([g if inp._requires_grad else None for inp, g in zip(node.inputs, sent)])
            grads[id(node.output)] = grad_out
            recorder.on_step(node, node.output, grad_out, sent)
            for inp, g in zip(node.inputs, sent):
                if g is None:
                    continue
                if id(inp) in totals:  # two contributions meet: the sum the engine made
                    total = totals[id(inp)] + g
                    recorder.on_accumulate(inp, totals[id(inp)], g, total)
                    g = total
                totals[id(inp)] = g
    grads.update((key, g) for key, g in totals.items() if key not in grads)
    return Trace(tensor, seed.data, recorder.steps(), graph.labels, grads, graph.tensors)


class _Recorder:
    """The tracer: notes each step and each sum as ``run_backward`` reports them."""

    def __init__(self, labels: dict[int, str], root: Tensor, seed: Tensor) -> None:
        self.labels = labels
        self.root_label = labels[id(root)]
        self.raw: list[dict[str, Any]] = []
        self.arrivals: dict[int, list[tuple[int, np.ndarray]]] = {id(root): [(0, seed.data)]}

    def on_step(self, node: Any, output: Tensor, grad_out: Tensor, grads: tuple) -> None:
        number = len(self.raw) + 1
        names = argument_names(len(node.inputs))
        locals_ = _local_derivatives(node, grads)
        contributions = []
        for i, (inp, g) in enumerate(zip(node.inputs, grads)):
            rule = rule_text(node, i)
            value = None if g is None else g.data
            contributions.append(Contribution(i, inp, self.labels[id(inp)], names[i], rule, value,
                                              locals_[i]))
            if g is not None:
                self.arrivals.setdefault(id(inp), []).append((number, g.data))
        self.raw.append(dict(
            number=number, op=node.name, node=node, output=output,
            output_label=self.labels[id(output)], root_label=self.root_label,
            upstream=grad_out.data, upstream_parts=tuple(self.arrivals.get(id(output), ())),
            contributions=tuple(contributions), sums=[], scope=tuple(getattr(node, "scope", ())),
        ))

    def on_accumulate(self, tensor: Tensor, previous: Tensor, contribution: Tensor,
                      total: Tensor) -> None:
        if self.raw:  # sums at the seed only happen with several roots
            self.raw[-1]["sums"].append(Sum(tensor, self.labels[id(tensor)], previous.data,
                                            contribution.data, total.data))

    def steps(self) -> list[Step]:
        total = len(self.raw)
        return [Step(total_steps=total, **{**r, "sums": tuple(r["sums"])}) for r in self.raw]


def rule_text(node: Any, index: int) -> str:
    """The op's local rule for input ``index``, from its ``rules`` (one entry per input).

    An op taking any number of inputs (``Concatenate``) may give one rule for all of them.
    """
    rules = tuple(getattr(node, "rules", ()))
    if len(rules) == 1 and len(node.inputs) > 1:
        return rules[0]
    if index < len(rules) and rules[index]:
        return rules[index]
    return f"(no rule text: {node.name}.rules is missing entry {index})"


def _local_derivatives(node: Any, grads: tuple) -> list[np.ndarray | None]:
    """The local derivative of the output with respect to each input, as numbers, if elementwise.

    For an ``elementwise`` op (output element k depends only on input element k) and an
    input of the output's shape, the Jacobian is diagonal, and one vector-Jacobian product
    -- the op's own ``backward`` with an upstream of ones, recording off, nothing changed --
    gives that diagonal: the local derivative, with ``contribution = upstream ⊙ local``.  A
    one-element input of a one-element output has a 1×1 Jacobian, its own diagonal, for any
    op.  Otherwise (matmul, sums, broadcasts, a custom op that does not say it is
    ``elementwise``) there is no such number and we return ``None``, as we do for tensors of
    more than ``SMALL`` elements, which are shown by shape and statistics.
    """
    out = node.output
    result: list[np.ndarray | None] = [None] * len(node.inputs)
    diagonal = node.elementwise
    if node._released and not (diagonal and type(node).__module__.startswith("tinygrad_edu.ops")
                               and node._versions in (None, tuple([t._version for t in node.inputs]))):
        # After backward() only the built-in elementwise ops need no saved values, and only
        # while their inputs are unchanged (an optimizer step has not moved the weights).
        return result
    wanted = [i for i, (x, g) in enumerate(zip(node.inputs, grads))
              if g is not None and x.size <= SMALL and out.size <= SMALL
              and ((diagonal and x.shape == out.shape) or x.size == out.size == 1)]
    if not wanted:
        return result
    with no_grad():
        raw = node.backward(Tensor._from_op(np.ones(out.shape, dtype=out.dtype), None))
    raw = raw if isinstance(raw, tuple) else (raw,)
    for i in wanted:
        x, local = node.inputs[i], raw[i]
        if local is not None:  # a custom backward may skip an input for some upstreams
            data = local.data if isinstance(local, Tensor) else np.asarray(local)
            result[i] = data.reshape(x.shape).astype(x.dtype)
    return result


# -- the graph, walked and named once --------------------------------------------------------
@dataclass(frozen=True)
class Graph:
    """Every tensor of ``root``'s graph, in the engine's order, each with its display label.

    ``read_graph`` builds it; the trace and the pictures of one tensor all read the same
    ``Graph``, so the graph is walked once and a tensor has one name everywhere.
    """

    root: Tensor
    tensors: list[Tensor]  # parents first, constants included
    labels: dict[int, str]  # keyed by id(tensor)

    def label(self, tensor: Tensor) -> str:
        return self.labels[id(tensor)]


def read_graph(root: Tensor) -> Graph:
    """Walk ``root``'s graph once (``graph_tensors``) and name its tensors (``tensor_labels``)."""
    tensors = graph_tensors(root)
    return Graph(root, tensors, tensor_labels(tensors, root))


def graph_tensors(root: Tensor) -> list[Tensor]:
    """Every tensor of ``root``'s graph, in the engine's own order (parents first).

    The engine's ``topological_order`` lists the tensors that need a gradient; an op's
    constant inputs (no gradient) are slotted in just before the op's output, in argument
    order, so pictures can show them too.  Each tensor appears once.
    """
    seen: set[int] = set()
    out: list[Tensor] = []
    # The engine's order, reused (not re-derived).
    for tensor in autograd.topological_order([root]) if root.requires_grad else [root]:
        node = tensor._ctx
        if node is not None:
            for parent in node.inputs:
                if not parent.requires_grad and id(parent) not in seen:
                    seen.add(id(parent))
                    out.append(parent)
        if id(tensor) not in seen:
            seen.add(id(tensor))
            out.append(tensor)
    return out


def tensor_labels(tensors: list[Tensor], root: Tensor) -> dict[int, str]:
    """A readable, unique label for every tensor, keyed by ``id`` (never shown).

    A tensor's own ``name`` wins (``fc1.weight``); an unnamed output is named after its op
    and a counter (``mul1``, ``sigmoid2``), an unnamed constant of one element after its
    value, other unnamed leaves ``leaf1``/``const1``, and an unnamed root ``L`` (scalar) or
    ``out``.  A name used twice gets ``#2``, ``#3``... so each label points at one tensor.
    """
    labels: dict[int, str] = {}
    taken: dict[str, int] = {}
    counters: dict[str, int] = {}

    def next_name(stem: str) -> str:
        counters[stem] = counters.get(stem, 0) + 1
        return f"{stem}{counters[stem]}"

    for t in tensors:
        if t.name:
            label = visible(t.name)
        elif t is root:
            label = "L" if t.size == 1 else "out"
        elif t._ctx is not None:
            label = next_name(t._ctx.name.lower())
        elif not t.requires_grad and t.size == 1:
            labels[id(t)] = format_number(t.data.item())  # repeated constants may share a label
            continue
        else:
            label = next_name("leaf" if t.requires_grad else "const")
        if label in taken:
            taken[label] += 1
            label = f"{label}#{taken[label]}"
        taken.setdefault(label, 1)
        labels[id(t)] = label
    return labels


def argument_names(count: int) -> tuple[str, ...]:
    """How op rules call their arguments: ``x`` alone, ``x`` and ``y``, or ``x1, x2, ...``."""
    if count == 1:
        return ("x",)
    if count == 2:
        return ("x", "y")
    return tuple(f"x{i + 1}" for i in range(count))


def _inline(array: np.ndarray) -> str:
    """A value on one line: the numbers when small, otherwise the shape."""
    return describe(array)


def _block(title: str, array: np.ndarray, indent: int) -> str:
    """``title = value``; a multi-line value continues on indented lines below."""
    pad = " " * indent
    text = format_array(array)
    if "\n" not in text:
        return f"{pad}{title} = {text}"
    body = "\n".join(pad + "  " + line for line in text.split("\n"))
    return f"{pad}{title} =\n{body}"
