"""From a recorded trace to Python source: one line of NumPy per op, named after the tensors.

Each op becomes the very expression its ``forward`` evaluates (``TEMPLATES``; an op without
one is called by name, ``sigmoid(z1)`` meaning ``Sigmoid.forward``), so the program makes the
same NumPy calls in the same order as the eager step and its numbers are the same bit for
bit.  The source is built from the engine's own records only -- names are sanitised
identifiers, constants are numbers or named arrays -- and run with ``exec`` in a namespace
that holds only ``np`` and the captured functions, arrays and optimizers.
"""

from __future__ import annotations

import builtins
import keyword
import linecache
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from ..ops import activations, elementwise, linalg, reduce, shape
from ..optim import SGD
from .trace import CannotCompile, Recorder, Step, TensorSlot, Value

# Each template is its op's forward, character for character (tests/test_compile_ops.py
# runs every op through a compiled step against eager).  {0}, {1} are the inputs, {name} an
# option.  An op without a template is called by name: its forward itself.
TEMPLATES: dict[type, str] = {
    elementwise.Add: "{0} + {1}",
    elementwise.Mul: "{0} * {1}",
    elementwise.Neg: "-{0}",
    elementwise.PowConst: "np.power({0}, {exponent})",
    elementwise.Pow: "np.power({0}, {1})",
    elementwise.Exp: "np.exp({0})",
    elementwise.Log: "np.log({0})",
    elementwise.Sin: "np.sin({0})",
    elementwise.Cos: "np.cos({0})",
    elementwise.Maximum: "np.maximum({0}, {1})",
    elementwise.Where: "np.where({condition}, {0}, {1})",
    activations.ReLU: "np.maximum({0}, 0)",
    activations.Tanh: "np.tanh({0})",
    linalg.MatMul: "{0} @ {1}",
    reduce.Sum: "{0}.sum(axis={axis}, keepdims={keepdims})",
    shape.Reshape: "{0}.reshape({shape})",
    shape.Transpose: "{0}.transpose({axes})",  # what np.transpose calls; (1, 0) is written .T
    shape.BroadcastTo: "np.broadcast_to({0}, {shape})",
    shape.Cast: "{0}.astype({dtype}, copy=False)",
    shape.GetItem: "np.asarray({0}[{index}])",
}
# Binary ops whose 0-d constant operand may be written as a number: NumPy treats a Python
# number like a 0-d array of the other operand's dtype there.
_NUMBER_OK = {elementwise.Add, elementwise.Mul, elementwise.Maximum, elementwise.Pow}
_INPLACE = {np.add: "+=", np.subtract: "-=", np.multiply: "*=", np.true_divide: "/="}
_SHORT = {"Transpose": "T", "BroadcastTo": "bc", "Reshape": "r", "MatMul": "matmul",
          "relu_mask": "mask", "tie_share": "share"}
_RESERVED = {"np", "step", "call"} | set(dir(builtins))


@dataclass
class Program:
    """The generated step: its source, the function, and what to read and write around it."""

    source: str
    step: Callable[..., Any]
    inputs: list[Value]  # the parameters of ``step``, in order (slots, then optimizer states)
    optimizers: list[Any]
    outputs: list[Value | None]  # the function's results (None stays None); ``step`` returns
    # the values of those that are not None, then the final gradients that are not None
    grads: list[tuple[TensorSlot, Value | None]]  # .grad of each slot after the step
    guards: list[tuple[TensorSlot, str, Any]]
    steps: list[Step] = field(default_factory=list)
    sgd_plain: list[Any] = field(default_factory=list)  # SGDs written as p -= lr * g


class _Names:
    """Unique, sanitised identifiers."""

    def __init__(self) -> None:
        self.used: set[str] = set(_RESERVED)

    def fresh(self, hint: str) -> str:
        base = re.sub(r"\W+", "_", hint.replace("-", "neg_"))
        base = re.sub(r"_+", "_", base).strip("_") or "t"
        if base[0].isdigit():
            base = "v" + base
        if keyword.iskeyword(base):
            base += "_"
        name, n = base, 2
        while name in self.used:
            name, n = f"{base}_{n}", n + 1
        self.used.add(name)
        return name


def generate(rec: Recorder, results: list[Any], fn_name: str) -> Program:
    """Name every value, write the source, ``exec`` it; raises ``CannotCompile``."""
    names = _Names()
    namespace: dict[str, Any] = {"np": np, "_states": {}}
    inputs: list[Value] = []
    lines: list[str] = []
    sgd_plain: list[Any] = []

    def name_of(v: Value, hint: str = "") -> str:
        if not v.name:
            found = rec.hints.get(id(v.array))
            if isinstance(found, Value):  # the gradient of an unnamed tensor: d + its name
                found = "d" + found.name if found.name else None
            v.name = names.fresh(found or v.hint or hint)
            if v.kind in ("arg", "data", "grad"):
                inputs.append(v)
            elif v.kind == "const":
                namespace[v.name] = v.array
        return v.name

    def text(x: Any, partner: Value | None = None, number_ok: bool = False) -> str:
        if isinstance(x, Value):
            x = implicit.get(id(x), x)
            if id(x) in inline:
                return inline[id(x)]
            if x.kind == "const" and number_ok and partner is not None:
                number = _number(x.array, partner)
                if number is not None:
                    return number
            return name_of(x, "c")
        return _literal(x, text)

    phase = ""
    uses = _use_counts(rec.steps)
    op_uses = _use_counts([s for s in rec.steps if s.kind == "op"])
    implicit = _implicit_broadcasts(rec.steps, results, rec)
    returned_ids = {id(rec.values.get(id(getattr(r, "data", r)))) for r in results}
    inline: dict[int, str] = {}  # a transpose used once is written where it is used: W2.T
    for s in rec.steps:
        if s.out is not None and id(s.out) in implicit:
            continue
        if s.kind == "op" and s.target is shape.Transpose and s.out is not None and \
                uses.get(id(s.out)) == 1 == op_uses.get(id(s.out)) and id(s.out) not in returned_ids and \
                isinstance(s.inputs[0], Value) and s.inputs[0].kind != "const":
            axes = s.options["axes"]
            arg = text(s.inputs[0])
            inline[id(s.out)] = f"{arg}.T" if axes == (1, 0) else f"{arg}.transpose({axes})"
            continue
        if s.phase != phase and s.kind != "store":
            lines.append(f"# {s.phase}")
            phase = s.phase
        new = _lines(s, name_of, text, names, namespace, sgd_plain)
        if s.kind == "inplace" and new and lines and _inlinable(lines[-1], s, uses):
            # p -= lr * g reads as the tutorial's update(): the product, used only here, is
            # written into the line (the same two NumPy calls, in the same order)
            target, rest = lines.pop().split(" = ", 1)
            new = [new[0].rsplit(" ", 1)[0] + " " + rest]
        lines.extend(new)

    outputs = [_result_value(r, rec) for r in results]
    grads = _final_grads(rec)
    returned = [name_of(v, "out") for v in outputs if v is not None]
    returned += [name_of(v) for _, v in grads if v is not None]
    inputs.sort(key=lambda v: ("arg", "data", "grad").index(v.kind))  # arguments first
    params = [v.name for v in inputs] + [namespace["_states"][id(o)] for o in rec.optimizers]
    del namespace["_states"]
    consts = [f"#   {k} = {_show(namespace[k])}" for k in namespace if isinstance(namespace[k], np.ndarray)]
    title = re.sub(r"[^\w.<>]", "_", fn_name)  # a __qualname__ can be set to anything
    head = [f"def step({', '.join(params)}):",
            f'    """{title}, compiled by tg.compile: the NumPy calls the engine made."""']
    if consts:
        head += ["    # constants:"] + ["    " + c for c in consts]
    body = ["    " + ln for ln in lines] + [f"    return ({', '.join(returned)}{',' if returned else ''})"]
    source = "\n".join(head + body) + "\n"
    filename = f"<tg.compile {fn_name} #{_counter()}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)  # our own source, built from the trace
    return Program(source, namespace["step"], inputs, list(rec.optimizers), outputs, grads,
                   list(rec.grad_guards), list(rec.steps), sgd_plain)


_COUNT = [0]


def _counter() -> int:
    _COUNT[0] += 1
    return _COUNT[0]


def _lines(s: Step, name_of: Callable, text: Callable, names: _Names, namespace: dict,
           sgd_plain: list) -> list[str]:
    if s.kind == "op":
        return [_op_line(s, name_of, text, names, namespace)]
    if s.kind == "derived":
        fn = s.target
        fname = getattr(fn, "__name__", "")
        if getattr(np, fname, None) is fn:
            call = f"np.{fname}"
        else:
            call = _bind(namespace, names, fname or "derived", fn)
        args = ", ".join(text(a) for a in s.inputs)
        assert s.out is not None
        return [f"{name_of(s.out, _SHORT.get(fname, fname))} = {call}({args})"]
    if s.kind == "store":
        src = s.inputs[0]
        assert s.out is not None and s.slot is not None
        if s.options["copy"]:  # autograd copies a gradient another leaf already holds
            return [f"{name_of(s.out, 'd' + (s.slot.name or 'x'))} = np.array({name_of(src)})"]
        name_of(src, "d" + (s.slot.name or "x"))
        return []
    if s.kind == "add":
        acc, g = s.inputs
        return [f"np.add({name_of(acc)}, {name_of(g)}, out={acc.name}, casting=\"unsafe\")"]
    if s.kind == "assign":
        return []
    if s.kind == "inplace":
        target, other = s.inputs
        if s.target is None:  # fill_ / zero_ / copy_
            return [f"{name_of(target)}[...] = {text(other)}"]
        symbol = _INPLACE.get(s.target)
        if symbol is None:
            raise CannotCompile(f"in-place {s.target.__name__} is not one of + - * /")
        return [f"{name_of(target)} {symbol} {text(other, target, True)}"]
    if s.kind == "optim":
        return _optim_lines(s, name_of, names, namespace, sgd_plain)
    raise CannotCompile(f"unknown step {s.kind}")  # pragma: no cover


def _op_line(s: Step, name_of: Callable, text: Callable, names: _Names, namespace: dict) -> str:
    cls = s.target
    ins: list[Value] = s.inputs
    assert s.out is not None
    template = TEMPLATES.get(cls)
    if template is not None:
        number_ok = cls in _NUMBER_OK
        args = [text(v, _partner(ins, i), number_ok) for i, v in enumerate(ins)]
        options = {k: text(v) for k, v in s.options.items()}
        expr = template.format(*args, **options)
        if cls is shape.Transpose and s.options["axes"] == (1, 0):
            expr = f"{args[0]}.T"
    else:
        fname = _bind(namespace, names, cls.__name__.lower(), partial(cls.forward, cls.__new__(cls)))
        parts = [text(v) for v in ins] + [f"{k}={text(v)}" for k, v in s.options.items()]
        expr = f"{fname}({', '.join(parts)})"
        if not cls.__module__.startswith("tinygrad_edu.ops"):
            expr = f"np.asarray({expr})"  # as Function.apply does for an op's raw result
    if np.ndim(s.out.array) == 0:
        expr = f"np.asarray({expr})"  # NumPy returns scalars for 0-d results; apply makes arrays
    return f"{name_of(s.out, _default_name(s, ins))} = {expr}"


def _implicit_broadcasts(steps: list[Step], results: list[Any], rec: Recorder) -> dict[int, Value]:
    """BroadcastTo views that NumPy's own broadcasting can stand in for.

    The engine makes every broadcast an explicit node (so pictures show it and its backward
    is one sum); when the view only feeds elementwise ops whose other operand already has the
    full shape, ``z = matmul + b`` computes the very same sums as ``matmul + broadcast_to(b)``,
    without the ~4 µs that building the view costs.  Maps the view's Value to its source.
    """
    candidates = {id(s.out): s for s in steps if s.kind == "op" and s.target is shape.BroadcastTo}
    keep: set[int] = set()
    for s in steps:
        for i, v in enumerate(s.inputs):
            if not isinstance(v, Value) or id(v) not in candidates:
                continue
            partner = _partner(s.inputs, i)
            ok = s.kind == "op" and s.target in _NUMBER_OK and partner is not None and \
                np.shape(partner.array) == np.shape(v.array) and id(partner) not in candidates
            if not ok:
                keep.add(id(v))
        for v in s.options.values():
            if isinstance(v, Value):
                keep.add(id(v))
    for r in results:
        found = rec.values.get(id(getattr(r, "data", r)))
        if found is not None:
            keep.add(id(found))
    for s in steps:
        if s.kind == "store" and s.out is not None:
            keep.add(id(s.out))
    return {i: s.inputs[0] for i, s in candidates.items() if i not in keep}


def _use_counts(steps: list[Step]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for s in steps:
        for v in s.inputs:
            if isinstance(v, Value):
                counts[id(v)] = counts.get(id(v), 0) + 1
    return counts


def _inlinable(previous: str, s: Step, uses: dict[int, int]) -> bool:
    other = s.inputs[1]
    return isinstance(other, Value) and other.kind == "op" and uses.get(id(other)) == 1 and \
        bool(other.name) and previous.startswith(other.name + " = ")


def _partner(ins: list[Value], i: int) -> Value | None:
    others = [v for j, v in enumerate(ins) if j != i and v.kind != "const"]
    return others[0] if others else None


def _default_name(s: Step, ins: list[Value]) -> str:
    cls_name = s.target.__name__
    if cls_name in ("Transpose", "BroadcastTo", "Reshape") and ins and ins[0].name:
        return f"{ins[0].name}_{_SHORT[cls_name]}"
    base = _SHORT.get(cls_name, cls_name.lower())
    scope = _scope_name(s.scope[-1]) if s.scope else ""
    prefix = "g_" if s.phase == "backward" else ""
    return prefix + (f"{scope}_{base}" if scope else base)


def _scope_name(label: str) -> str:
    """``fc1: Linear(2→4)`` -> ``fc1``; ``MLP`` -> ``mlp`` (module_scope's labels)."""
    return label.split(":")[0] if ":" in label else label.split("(")[0].lower()


def _bind(namespace: dict, names: _Names, hint: str, obj: Any) -> str:
    for k, v in namespace.items():
        if v is obj or (isinstance(v, partial) and isinstance(obj, partial) and v.func is obj.func):
            return k
    name = names.fresh(hint)
    namespace[name] = obj
    return name


def _optim_lines(s: Step, name_of: Callable, names: _Names, namespace: dict,
                 sgd_plain: list) -> list[str]:
    opt = s.target
    label = _bind(namespace, names, type(opt).__name__.lower(), opt)
    state = namespace["_states"].setdefault(id(opt), names.fresh(label + "_state"))
    plain = type(opt) is SGD and opt.momentum == 0 and opt.weight_decay == 0
    lr = names.fresh("lr") if plain else ""
    lines = [f"{lr} = {label}.lr"] if plain else []
    if plain:
        sgd_plain.append(opt)
    for i, param, grad in s.inputs:
        g = name_of(grad)
        if grad.array.dtype != param.array.dtype:  # as Optimizer._grad_array does
            g2 = names.fresh(g + "_cast")
            lines.append(f"{g2} = {g}.astype(np.{param.array.dtype.name})")
            g = g2
        if plain:
            lines.append(f"{name_of(param)} -= {lr} * {g}")
        else:
            lines.append(f"{label}._update({name_of(param)}, {g}, {state}[{i}])")
    return lines


def _result_value(r: Any, rec: Recorder) -> Value | None:
    from ..tensor import Tensor

    if r is None:
        return None
    array = r.data if isinstance(r, Tensor) else r
    found = rec.values.get(id(array))
    if found is None:
        raise CannotCompile("the step returns a value the trace did not compute")
    return found


def _final_grads(rec: Recorder) -> list[tuple[TensorSlot, Value | None]]:
    final: dict[int, tuple[TensorSlot, Value | None]] = {}
    for s in rec.steps:
        if s.kind == "store":
            assert s.slot is not None
            final[id(s.slot)] = (s.slot, s.out)
        elif s.kind == "assign":
            assert s.slot is not None
            final[id(s.slot)] = (s.slot, s.inputs[0])
    return list(final.values())


def _number(array: np.ndarray, partner: Value) -> str | None:
    """A 0-d constant as a Python number, when NumPy gives the same result with either."""
    if array.dtype != partner.array.dtype or np.ndim(partner.array) == 0:
        return None
    value = array.item()
    if isinstance(value, float):
        if not np.isfinite(value) or abs(value) > 1e30:
            return None
        shown = str(array[()]) if array.dtype == np.float32 else repr(value)
        shown = shown if "." in shown or "e" in shown else shown + ".0"
        if np.asarray(float(shown), dtype=array.dtype).tobytes() != array.tobytes():
            return None
        return shown
    return repr(value) if isinstance(value, (bool, int)) else None


def _literal(x: Any, text: Callable) -> str:
    if isinstance(x, tuple):
        inner = ", ".join(_literal(i, text) if not isinstance(i, Value) else text(i) for i in x)
        return f"({inner}{',' if len(x) == 1 else ''})"
    if isinstance(x, list):
        return "[" + ", ".join(_literal(i, text) if not isinstance(i, Value) else text(i) for i in x) + "]"
    if isinstance(x, Value):
        return text(x)
    if isinstance(x, np.dtype):
        return f"np.{x.name}"
    if isinstance(x, (bool, np.bool_)):
        return repr(bool(x))
    if isinstance(x, np.integer):
        return repr(int(x))
    if isinstance(x, np.floating):
        return f"np.{type(x).__name__}({float(x)!r})"
    if x is None or x is Ellipsis or isinstance(x, (int, float, str, slice)):
        return repr(x)
    raise CannotCompile(f"cannot write {type(x).__name__} into the source")


def _show(array: np.ndarray) -> str:
    return f"{array.tolist()!r} ({array.dtype})" if array.size <= 4 else f"array of shape {array.shape}"
