"""The forward-mode trace: ``tg.explain_forward(out, inputs, tangents)`` shows tangents flowing forward.

The companion of explain.py's chain-rule trace, for the other direction.  It runs the
engine's own ``forward.run_forward`` with a tracer attached, so the steps come in the order
forward mode runs them (inputs first) and every number is one the engine computed.  Each
step prints the op's ``jvp_rules`` text (written beside its ``jvp`` in ``ops/``) and, for a
one-number elementwise step, the rule with the numbers put in (``ż = ẋ·y + x·ẏ = 1·3 + 2·0
= 3``).  Tensors are named as in the reverse trace and the pictures (``read_graph``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np

from .autograd import GraphFreedError
from .config import no_grad
from .explain import Graph, argument_names, read_graph
from .formatting import describe, format_array, format_number, format_options, format_shape
from .forward import run_forward
from .tensor import Tensor

DOTTED = {"x": "ẋ", "y": "ẏ", "z": "ż"}  # the tangent of x is ẋ (Newton's dot)


def _dotted(argument: str) -> str:
    """The tangent's name for a rule's argument: ẋ for x, ẋ2 for x2."""
    return DOTTED.get(argument[:1], argument[:1]) + argument[1:]


@dataclass(frozen=True)
class TangentIn:
    """One input of a forward step: its label, the rule's name for it, and its tangent."""

    label: str
    argument: str
    value: np.ndarray  # the input's value
    tangent: np.ndarray | None  # None: no tangent reaches it (a zero tangent)


@dataclass(frozen=True)
class ForwardStep:
    """One op of the forward pass: the tangents of its inputs give its output's tangent ż."""

    number: int
    total_steps: int
    op: str
    node: Any
    output: Tensor
    output_label: str
    rule: str
    inputs: tuple[TangentIn, ...]
    tangent: np.ndarray
    scope: tuple[str, ...]

    @property
    def formula(self) -> str:
        """The forward computation of this step, e.g. ``mul1 = Mul(a, b)``."""
        args = ", ".join(i.label for i in self.inputs)
        options = format_options(self.node.options)
        return f"{self.output_label} = {self.op}({args}{'; ' + options if options else ''})"

    def with_numbers(self) -> str | None:
        """The rule's right-hand side with the numbers put in, for a one-number elementwise
        step (``1·3 + 2·0``); None otherwise (the tangents are then shown as arrays)."""
        if not self.node.elementwise or self.output.size != 1 or "=" not in self.rule \
                or any(i.value.size != 1 for i in self.inputs):
            return None
        values = {i.argument: i.value.item() for i in self.inputs}
        values.update({DOTTED[i.argument]: 0.0 if i.tangent is None else i.tangent.item()
                       for i in self.inputs if i.argument in DOTTED})
        values["z"] = self.output.data.item()
        options = self.node.options
        constant = options.get("exponent", options.get("condition"))
        if constant is not None and np.size(constant) == 1:
            values["c"] = np.asarray(constant).item()

        right = self.rule.split("=", 1)[1].strip()

        def number(match: re.Match) -> str:
            if match.group(0) not in values:
                return match.group(0)
            text = format_number(values[match.group(0)])
            # A negative number gets parentheses, unless it opens the sum or a bracket already.
            bare = match.start() == 0 or right[match.start() - 1] in "(["
            return f"({text})" if text.startswith("-") and not bare else text
        return _SYMBOL.sub(number, right)

    def __str__(self) -> str:
        scope = f"   [inside {' / '.join(self.scope)}]" if self.scope else ""
        names = [f"{i.argument} = {i.label}" for i in self.inputs if i.argument != i.label]
        names += [f"z = {self.output_label}"] if self.output_label != "z" else []
        lines = [f"Step {self.number} of {self.total_steps} · {self.op}:  {self.formula}{scope}",
                 f"  {self.rule}   (here {', '.join(names)})"]
        numbers = self.with_numbers()
        if numbers is not None:
            lines.append(f"    = {numbers} = {format_number(self.tangent.item())}")
            return "\n".join(lines)
        for i in self.inputs:
            dotted = _dotted(i.argument)
            if i.tangent is None:
                lines.append(f"      {dotted} = 0   (no tangent reaches {i.label})")
            else:
                lines.append(_block(f"{dotted} (tangent of {i.label})", i.tangent, 6))
        lines.append(_block(f"ż (tangent of {self.output_label})", self.tangent, 6))
        return "\n".join(lines)


# A rule's symbols: x, y, z, c and their dotted tangents, not letters inside words (exp, max).
_SYMBOL = re.compile(r"(?<![A-Za-z])(ẋ|ẏ|ż|x|y|z|c)(?![A-Za-z0-9])")


class ForwardTrace(Sequence[ForwardStep]):
    """The forward-mode pass of one output as a list of ``ForwardStep`` s, in the engine's order.

    ``print(trace)`` gives the whole derivation; ``trace.tangent(t)`` is the tangent the
    engine computed for any tensor ``t`` of the graph (None where none reaches it).
    """

    def __init__(self, graph: Graph, seeds: list[tuple[Tensor, np.ndarray]],
                 steps: list[ForwardStep], tangents: dict[int, np.ndarray]) -> None:
        self.graph = graph
        self.root = graph.root
        self.seeds = seeds
        self.steps = steps
        self._tangents = tangents

    @overload
    def __getitem__(self, i: int) -> ForwardStep: ...
    @overload
    def __getitem__(self, i: slice) -> list[ForwardStep]: ...
    def __getitem__(self, i: Any) -> Any:
        return self.steps[i]

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self) -> Iterator[ForwardStep]:
        return iter(self.steps)

    def label(self, tensor: Tensor) -> str:
        return self.graph.label(tensor)

    def tangent(self, tensor: Tensor) -> np.ndarray | None:
        """The tangent of ``tensor`` as forward mode computed it (None: a zero tangent)."""
        return self._tangents.get(id(tensor))

    @property
    def output_tangent(self) -> np.ndarray:
        """J·v: the output's tangent, the directional derivative along the seeded tangents."""
        t = self.tangent(self.root)
        return np.zeros(self.root.shape, self.root.dtype) if t is None else t

    def __str__(self) -> str:
        name = self.label(self.root)
        value = format_array(self.root.data).replace("\n", " ")
        steps = len(self.steps)
        head = [f"Forward mode for {name} = {value} ({format_shape(self.root.shape)}, "
                f"{self.root.dtype}): {steps} forward step{'s' if steps != 1 else ''}, inputs "
                "first, in the order the engine runs them.",
                "seed (the direction to differentiate along): " + ", ".join(
                    f"tangent of {self.label(t)} = {describe(v)}" for t, v in self.seeds)]
        tail = [f"Tangent of the output: tangent of {name} = {describe(self.output_tangent)}"
                f"   (J·v: Σ ∂{name}/∂input · tangent of that input)"]
        return "\n\n".join(["\n".join(head), *[str(s) for s in self.steps], "\n".join(tail)])

    def __repr__(self) -> str:
        return f"<ForwardTrace of {self.label(self.root)}: {len(self.steps)} steps>"

    def _repr_html_(self) -> str:
        """Jupyter shows the whole derivation, as ``print`` does (escaped, in a ``<pre>``)."""
        return f"<pre>{html.escape(str(self))}</pre>"


def explain_forward(output: Tensor, inputs: Tensor | Sequence[Tensor], tangents: Any, *,
                    graph: Graph | None = None) -> ForwardTrace:
    """The forward-mode pass of ``output`` from ``inputs`` along ``tangents``, as a ``ForwardTrace``.

    ``inputs`` are tensors (requiring grad) that ``output`` was computed from, ``tangents``
    one direction for each, of its shape (Tensors, arrays or numbers).  Each step is one op,
    inputs first: its jvp rule (``ż = ẋ·y + x·ẏ``), the tangents of its inputs and the
    tangent ż of its output; the last one is J·v, the derivative of ``output`` along the
    tangents.  Nothing is changed: no ``.grad``, no graph.  Like ``explain``, it needs the
    graph that forward recorded, so call it before a graph-freeing ``backward()``.
    ``graph`` is ``read_graph(output)`` when the caller has already walked the graph (a
    picture of both directions walks it once, so both traces name the tensors alike).
    """
    if not isinstance(output, Tensor):
        raise TypeError(f"explain_forward() takes the output Tensor first, got {type(output).__name__}")
    ins = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    given = [tangents] if isinstance(inputs, Tensor) else list(tangents)
    if len(given) != len(ins):
        raise ValueError(f"explain_forward(): {len(ins)} inputs but {len(given)} tangents; give "
                         "one tangent per input")
    if graph is None:
        graph = read_graph(output)
    elif graph.root is not output:
        raise ValueError(f"explain_forward(): graph= was read from {graph.label(graph.root)}, "
                         "not from this output")
    seeds = [(x, _tangent_for(x, t, graph)) for x, t in zip(ins, given)]
    released = [t._ctx.name for t in graph.tensors if t._ctx is not None and t._ctx._released]
    if released:
        raise GraphFreedError(
            f"explain_forward(): the graph was already freed by backward() (first freed op: "
            f"{released[0]}). Call it before loss.backward(), or use backward(retain_graph=True).")
    recorder = _Recorder(graph)
    with no_grad():  # the tangents are numbers to show, not a graph
        run_forward(ins, [Tensor._from_op(v, None) for _, v in seeds], [output], tracer=recorder)
    tangents_by_id = {id(x): v for x, v in seeds} | recorder.tangents
    return ForwardTrace(graph, seeds, recorder.steps(), tangents_by_id)


def _tangent_for(x: Any, tangent: Any, graph: Graph) -> np.ndarray:
    """The tangent of input ``x`` as an array of its shape and dtype, or a clear error."""
    if not isinstance(x, Tensor):
        raise TypeError(f"explain_forward(): every input must be a Tensor, got {type(x).__name__}")
    if not x.requires_grad or id(x) not in graph.labels:
        raise ValueError(
            f"explain_forward(): input {x._label()} is not part of the output's recorded graph; "
            "pass tensors (created with requires_grad=True) that the output was computed from")
    value = np.asarray(tangent.data if isinstance(tangent, Tensor) else tangent, dtype=x.dtype)
    if value.shape != x.shape:
        raise ValueError(f"explain_forward(): the tangent for {graph.label(x)} has shape "
                         f"{value.shape}, but {graph.label(x)} has shape {x.shape}; a tangent "
                         "has the shape of its input")
    return value


class _Recorder:
    """The tracer: notes each forward step as ``run_forward`` reports it."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.raw: list[dict[str, Any]] = []
        self.tangents: dict[int, np.ndarray] = {}

    def on_step(self, node: Any, output: Tensor, tangents_in: tuple[Tensor | None, ...],
                tangent_out: Tensor) -> None:
        names = argument_names(len(node.inputs))
        inputs = tuple(TangentIn(self.graph.label(x), names[i], x.data,
                                 None if t is None else t.data)
                       for i, (x, t) in enumerate(zip(node.inputs, tangents_in)))
        rules = tuple(getattr(node, "jvp_rules", ()))
        rule = rules[0] if rules else f"(no rule text: {node.name}.jvp_rules is empty)"
        self.tangents[id(output)] = tangent_out.data
        self.raw.append(dict(number=len(self.raw) + 1, op=node.name, node=node, output=output,
                             output_label=self.graph.label(output), rule=rule, inputs=inputs,
                             tangent=tangent_out.data, scope=tuple(getattr(node, "scope", ()))))

    def steps(self) -> list[ForwardStep]:
        return [ForwardStep(total_steps=len(self.raw), **r) for r in self.raw]


def _block(title: str, array: np.ndarray, indent: int) -> str:
    """``title = value``; a multi-line value continues on indented lines below."""
    pad = " " * indent
    text = format_array(array)
    if "\n" not in text:
        return f"{pad}{title} = {text}"
    body = "\n".join(pad + "  " + line for line in text.split("\n"))
    return f"{pad}{title} =\n{body}"
