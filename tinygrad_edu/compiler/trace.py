"""Recording one eager call of a step: every array the engine computes, and where it came from.

While ``tg.compile`` traces, ``Config.recorder`` is a ``Recorder``; the engine's seams
(``Function.apply``, ``derived``, the leaf-gradient stores in autograd.py, ``p.grad = ...``,
in-place ``p -= ...`` and ``Optimizer.step``) report to it.  Each array gets a ``Value``:
an argument, a parameter's data or gradient read when the step runs, a constant, or the
output of a recorded step.  An array whose origin the engine did not see (NumPy on ``.data``)
is refused -- replaying it as a constant could give a wrong number.
"""

from __future__ import annotations

import copy
import functools
import types
import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..config import Config
from ..optim.optimizer import Optimizer
from ..tensor import Tensor


class CannotCompile(Exception):
    """The trace holds something the compiler cannot replay exactly (the reason is the message)."""


@dataclass(eq=False)
class TensorSlot:
    """A tensor the step reads or writes: an argument (by position) or one captured from outside."""

    name: str
    arg: int | None = None  # position among the flattened arguments
    tensor: Tensor | None = None  # a captured tensor (a parameter, a constant tensor)


@dataclass(eq=False)
class Value:
    """One array of the traced program.

    ``kind`` is ``"arg"`` (an argument's array), ``"data"`` / ``"grad"`` (a tensor's ``.data`` /
    ``.grad.data``, read on each call), ``"const"`` (a 0-d constant, baked in) or ``"op"``
    (made by a step of the program).  ``snapshot`` is a copy of a slot's value when the trace
    first read it: the self-check replays the program on these copies.
    """

    kind: str
    array: Any  # kept alive during the trace, so array ids stay unique
    hint: str = ""
    slot: TensorSlot | None = None
    snapshot: Any = None
    name: str = ""  # set by codegen
    index: int | None = None  # for "arg": position among the flattened arguments


@dataclass(eq=False)
class Step:
    """One line (or a few) of the program: ``kind`` is op, derived, store, add, assign, inplace, optim."""

    kind: str
    phase: str  # "forward", "backward" or "update": the program's section headers
    target: Any = None  # op class, derived function, ufunc or optimizer
    inputs: list[Any] = field(default_factory=list)  # Values or literals
    options: dict[str, Any] = field(default_factory=dict)
    out: Value | None = None
    slot: TensorSlot | None = None  # the tensor whose gradient a store/assign changes
    scope: tuple[str, ...] = ()


class Recorder:
    """Receives the engine's seam calls during one traced call and builds the step list."""

    def __init__(self, args: list[Any], arg_names: list[str], fn: Any = None) -> None:
        self.fn = fn
        self.args = args
        self._reachable: list[Tensor] | None = None
        self._names: dict[int, str] = {}
        self.steps: list[Step] = []
        self.values: dict[int, Value] = {}
        self.slots: dict[int, TensorSlot] = {}  # by id of the Tensor
        self.arg_slots: list[TensorSlot | None] = []
        self.problem: str | None = None
        self.backward_seen = False
        self.retry = False  # the problem may be gone on the next call (see finish)
        self.grad_touched: dict[int, str] = {}  # tensor id -> first gradient event
        self.grad_guards: list[tuple[TensorSlot, str, Any]] = []
        self.optimizers: list[Any] = []
        self.state_snapshots: dict[int, Any] = {}
        self.hints: dict[int, Any] = {}  # array id -> a name, or the Value it is the gradient of
        self._pending: list[tuple[Tensor, Value]] = []
        self._captured: list[tuple[TensorSlot, weakref.ReferenceType[Tensor]]] = []
        for i, (a, name) in enumerate(zip(args, arg_names)):
            slot = None
            if isinstance(a, Tensor):
                slot = TensorSlot(name, arg=i)
                self.slots[id(a)] = slot
                a = a.data
            if isinstance(a, np.ndarray) and id(a) not in self.values:
                self.values[id(a)] = Value("arg", a, name, slot, snapshot=a.copy(), index=i)
            self.arg_slots.append(slot)

    # -- bookkeeping ---------------------------------------------------------------------
    def refuse(self, reason: str) -> None:
        if self.problem is None:
            self.problem = reason

    @property
    def phase(self) -> str:
        if Config.in_backward:
            return "backward"
        return "update" if self.backward_seen else "forward"

    def _bind_pending(self) -> None:
        """Bind gradient copies made by autograd right after it told us (see grad_stored)."""
        for tensor, value in self._pending:
            value.array = tensor._grad.data if tensor._grad is not None else None
            if value.array is not None:
                self.values[id(value.array)] = value
        self._pending.clear()

    def slot(self, tensor: Tensor) -> TensorSlot:
        found = self.slots.get(id(tensor))
        if found is None:
            self._grad_owner(None)  # the names of reachable tensors, for those without .name
            name = tensor.name or self._names.get(id(tensor), "")
            found = self.slots[id(tensor)] = TensorSlot(name, tensor=tensor)
            self._captured.append((found, weakref.ref(tensor)))
        return found

    def value(self, array: Any, holder: Tensor | None, what: str) -> Value:
        """The Value of an array the engine is about to use; see the module docstring."""
        found = self.values.get(id(array))
        if found is not None:
            return found
        if not isinstance(array, np.ndarray):
            raise CannotCompile(f"{what} is a {type(array).__name__}, not an array")
        if holder is None:  # derived() and options name arrays, not tensors: whose .data is it?
            holder = self._data_owner(array)
        if array.ndim == 0 and array.dtype != bool:  # a number made into an array (operands, seeds)
            v = Value("const", array)
        elif Config.in_backward and (holder is None or self._data_owner(array) is None):
            raise CannotCompile(
                f"{what} (shape {array.shape}) was made with NumPy inside a backward rule, not by "
                "an op: a compiled step would replay the first call's values")
        elif holder is not None and self._grad_owner(holder) is not None:  # p.grad.zero_()
            owner = self._grad_owner(holder)
            assert owner is not None
            slot = self._first_grad_event(owner, "some", (array.shape, array.dtype))
            v = Value("grad", array, "grad_" + (slot.name or "p"), slot, snapshot=array.copy())
        elif holder is not None and holder.data is array and holder._ctx is None:
            slot = self.slot(holder)
            v = Value("data", array, slot.name, slot, snapshot=array.copy())
        else:
            raise CannotCompile(
                f"{what} (shape {array.shape}) was computed outside the engine's ops (NumPy on "
                ".data, or an array made inside the step): a compiled step would replay it as a "
                "constant. Pass it to the step as an argument, or compute it with Tensor ops")
        self.values[id(array)] = v
        return v

    def _data_owner(self, array: Any) -> Tensor | None:
        """The argument or reachable tensor whose ``.data`` is ``array``, if any."""
        self._grad_owner(None)  # fills the list
        assert self._reachable is not None
        return next((t for t in self._reachable if t.data is array), None)

    def _grad_owner(self, holder: Tensor | None) -> Tensor | None:
        """The argument or reachable tensor whose ``.grad`` is ``holder``, if any."""
        if self._reachable is None:
            found = reachable_with_names(self.fn)
            self._names = {i: name for i, (_, name) in found.items()}
            self._reachable = [t for t, _ in found.values()] + [a for a in self.args if isinstance(a, Tensor)]
        return next((t for t in self._reachable if t._grad is holder), None)

    def literal(self, x: Any, what: str) -> Any:
        """Options and derived() arguments: arrays become Values, the rest must be plain data."""
        if isinstance(x, np.ndarray):
            return self.value(x, None, what)
        if isinstance(x, (tuple, list)):
            return type(x)(self.literal(i, what) for i in x)
        if isinstance(x, Tensor):
            return self.value(x.data, x, what)
        if x is None or x is Ellipsis or isinstance(x, (bool, int, float, str, slice, np.generic,
                                                        np.dtype)):
            return x
        raise CannotCompile(f"{what} is a {type(x).__name__}; only numbers, tuples and arrays "
                            "can be compiled")

    def _guarded(self, fn: Any, *args: Any) -> None:
        if self.problem is not None:
            return
        try:
            self._bind_pending()
            fn(*args)
        except CannotCompile as err:
            self.refuse(str(err))

    # -- the seams ------------------------------------------------------------------------
    def op(self, cls: type, inputs: tuple[Tensor, ...], options: dict, data: Any) -> None:
        self._guarded(self._op, cls, inputs, options, data)

    def _op(self, cls: type, inputs: tuple[Tensor, ...], options: dict, data: Any) -> None:
        if type(cls).__module__.endswith("custom_function") or cls.__module__.endswith("custom_function"):
            raise CannotCompile(f"{cls.__name__} is a tg.autograd.Function (PyTorch's form, with "
                                "Tensor code inside): only ops with a NumPy forward can be compiled")
        if Config.in_backward and Config.grad_enabled:
            raise CannotCompile("backward(create_graph=True) records the gradient's own graph, "
                                "which a compiled step does not build")
        name = cls.__name__
        ins = [self.value(t.data, t, f"input {i} of {name}") for i, t in enumerate(inputs)]
        opts = {k: self.literal(v, f"option {k}= of {name}") for k, v in options.items()}
        out = Value("op", data)
        self.steps.append(Step("op", self.phase, cls, ins, opts, out, scope=Config.scope))
        self.values[id(data)] = out

    def derived(self, fn: Any, args: tuple, out: Any) -> None:
        self._guarded(self._derived, fn, args, out)

    def _derived(self, fn: Any, args: tuple, out: Any) -> None:
        name = getattr(fn, "__name__", repr(fn))
        ins = [self.literal(a, f"argument {i} of {name}") for i, a in enumerate(args)]
        value = Value("op", out)
        self.steps.append(Step("derived", self.phase, fn, ins, out=value))
        self.values[id(out)] = value

    def gradient_of(self, tensor: Tensor, g: Tensor) -> None:
        self._guarded(self._gradient_of, tensor, g)

    def _gradient_of(self, tensor: Tensor, g: Tensor) -> None:
        self.backward_seen = True
        if tensor._hooks:
            raise CannotCompile(f"{tensor._label()} has a hook (register_hook): hooks run Python "
                                "code on the gradient, which a compiled step does not replay")
        if tensor._retains_grad and tensor._ctx is not None:
            raise CannotCompile(f"retain_grad() on {tensor._label()}: a compiled step keeps only "
                                "the leaves' gradients")
        if tensor.name:
            self.hints.setdefault(id(tensor.data), tensor.name)
        # "d" + the tensor's name; for an unnamed tensor, the name codegen gives its value
        of = "d" + tensor.name if tensor.name else self.values.get(id(tensor.data))
        self.hints.setdefault(id(g.data), of)

    def _first_grad_event(self, tensor: Tensor, event: str, guard: Any = None) -> TensorSlot:
        slot = self.slot(tensor)
        if id(tensor) not in self.grad_touched:
            self.grad_touched[id(tensor)] = event
            if event != "assign":  # an assignment does not depend on the gradient before it
                self.grad_guards.append((slot, event, guard))
        return slot

    def grad_stored(self, tensor: Tensor, given: Any, copied: bool) -> None:
        self._guarded(self._grad_stored, tensor, given, copied)

    def _grad_stored(self, tensor: Tensor, given: Any, copied: bool) -> None:
        slot = self._first_grad_event(tensor, "none")  # backward found .grad None: stored
        src = self.value(given, None, f"the gradient of {tensor._label()}")
        out = Value("op", None, "d" + (slot.name or "x")) if copied else src
        self.steps.append(Step("store", self.phase, None, [src], {"copy": copied}, out, slot))
        if copied:
            self._pending.append((tensor, out))

    def grad_added(self, tensor: Tensor, total: Tensor, g: Tensor, create_graph: bool) -> None:
        self._guarded(self._grad_added, tensor, total, g, create_graph)

    def _grad_added(self, tensor: Tensor, total: Tensor, g: Tensor, create_graph: bool) -> None:
        if create_graph or total._requires_grad or not total.data.flags.writeable:
            raise CannotCompile(f"the gradient of {tensor._label()} is not a plain writeable array")
        slot = self._first_grad_event(tensor, "some", (total.shape, total.dtype))
        acc = self.values.get(id(total.data))
        if acc is None:
            acc = Value("grad", total.data, "grad_" + (slot.name or "x"), slot, snapshot=total.data.copy())
            self.values[id(total.data)] = acc
        gv = self.value(g.data, None, f"the gradient added to {tensor._label()}")
        self.steps.append(Step("add", self.phase, None, [acc, gv], slot=slot))

    def grad_assigned(self, tensor: Tensor, value: Tensor | None) -> None:
        self._guarded(self._grad_assigned, tensor, value)

    def _grad_assigned(self, tensor: Tensor, value: Tensor | None) -> None:
        slot = self._first_grad_event(tensor, "assign")
        src = None if value is None else self.value(value.data, value,
                                                    f"the .grad given to {tensor._label()}")
        self.steps.append(Step("assign", self.phase, None, [src], slot=slot))

    def inplace(self, t: Tensor, ufunc: Any, operand: Any) -> None:
        self._guarded(self._inplace, t, ufunc, operand)

    def _inplace(self, t: Tensor, ufunc: Any, operand: Any) -> None:
        target = self.value(t.data, t, f"the tensor updated in place ({t._label()})")
        other = self.literal(operand, f"the operand of an in-place {getattr(ufunc, '__name__', 'fill_')}")
        self.steps.append(Step("inplace", "update", ufunc, [target, other]))

    def optimizer_step(self, opt: Any) -> None:
        self._guarded(self._optimizer_step, opt)

    def _optimizer_step(self, opt: Any) -> None:
        if type(opt).step is not Optimizer.step:
            raise CannotCompile(f"{type(opt).__name__} overrides step(); only _update rules compile")
        if id(opt) in self.state_snapshots:
            raise CannotCompile(f"{type(opt).__name__}.step() runs twice in one step")
        self.state_snapshots[id(opt)] = copy.deepcopy(opt.state)
        self.optimizers.append(opt)
        items = []
        for i, p in enumerate(opt.params):
            if id(p) not in self.grad_touched:  # .grad came from outside the step
                self._first_grad_event(p, "none" if p.grad is None else "some",
                                       None if p.grad is None else (p.grad.shape, p.grad.dtype))
            if p.grad is None:
                continue
            param = self.value(p.data, p, f"parameter {i} of {type(opt).__name__}")
            grad = self.values.get(id(p.grad.data))
            if grad is None:
                slot = self.slot(p)
                grad = Value("grad", p.grad.data, "grad_" + (slot.name or "p"), slot,
                             snapshot=p.grad.data.copy())
                self.values[id(p.grad.data)] = grad
            items.append((i, param, grad))
        self.steps.append(Step("optim", "update", opt, items))

    # -- the end of the call ---------------------------------------------------------------
    def unseen_changes(self, before: dict[int, tuple[Tensor, Any, Any, Any]]) -> None:
        """Refuse a trace during which a reachable tensor changed behind the engine's back
        (NumPy on ``.data``, a running statistic): the program would not repeat that change."""
        written = {id(s.tensor) for s in self.slots.values() if s.tensor is not None}
        graded = {i for i in self.grad_touched}
        for i, (t, data, copy_, grad) in before.items():
            if i not in written and (t.data is not data or not np.array_equal(t.data, copy_, equal_nan=True)):
                self.refuse(f"{t._label()} changed during the step without a Tensor op (NumPy on "
                            ".data?); a compiled step would not repeat that change")
            if i not in graded and t._grad is not grad:
                self.refuse(f"the .grad of {t._label()} changed in a way the trace did not see")

    def finish(self, existing: set[int]) -> None:
        """After the call: every tensor read from outside must be one the function could reach
        before the call (``existing``: a parameter of a captured model, a tensor in a closure)
        -- not one made inside it, whose values the next call would make anew."""
        self._bind_pending()
        if self.problem is not None or not self._captured:
            return
        reachable = set(reachable_tensors(self.fn)) | {id(a) for a in self.args}  # as the call left it
        for slot, ref in self._captured:
            if id(ref()) in reachable and id(ref()) not in existing:
                self.retry = True  # a layer that builds its weights on first use: trace again
                self.refuse(f"{slot.name or 'a tensor'} was created during this call and kept (a "
                            "layer built on first use?); the next call records the step again")
                return
            if id(ref()) not in reachable:
                self.refuse(
                    f"a tensor of shape {slot.tensor.shape if slot.tensor is not None else '?'} "
                    f"({slot.name or 'unnamed'}) was made inside the step from arrays the engine "
                    "did not compute; a compiled step would reuse its first values. Pass it to "
                    "the step as an argument, or make it outside the step")
                return


def reachable_tensors(fn: Any, depth: int = 6) -> dict[int, Tensor]:
    """The tensors ``fn`` can reach, by id: through closures, the globals a function's code
    names, defaults, ``self`` of a method, and from there attributes, items and functions."""
    return {i: t for i, (t, _) in reachable_with_names(fn, depth).items()}


def reachable_with_names(fn: Any, depth: int = 6) -> dict[int, tuple[Tensor, str]]:
    """``reachable_tensors`` with the name each tensor is reached by first (``W1``, ``fc1``...)."""
    found: dict[int, tuple[Tensor, str]] = {}
    seen: set[int] = set()
    level: list[tuple[str, Any]] = [("", f) for f in fn] if isinstance(fn, tuple) else [("", fn)]
    for _ in range(depth):
        nxt: list[tuple[str, Any]] = []
        for name, obj in level:
            if id(obj) in seen or isinstance(obj, _OPAQUE):
                continue
            seen.add(id(obj))
            if isinstance(obj, Tensor):
                found[id(obj)] = (obj, name)
            elif isinstance(obj, (list, tuple, set, frozenset)):
                nxt.extend((f"{name}_{i}", v) for i, v in enumerate(obj))
            elif isinstance(obj, dict):
                nxt.extend((str(k), v) for k, v in obj.items())
            elif isinstance(obj, types.FunctionType):  # what its code can reach
                nxt.extend(_function_roots(obj))
            elif isinstance(obj, types.MethodType):
                nxt.extend((("self", obj.__self__), ("", obj.__func__)))
            elif isinstance(obj, functools.partial):
                nxt.extend(("", v) for v in (obj.func, *obj.args, *obj.keywords.values()))
            elif isinstance(getattr(obj, "__dict__", None), dict):  # an object: its attributes
                nxt.extend(vars(obj).items())
        level = nxt
    return found


# Never walked into: numbers, strings, arrays, classes, modules (np, torch: nothing of ours).
_OPAQUE = (str, bytes, int, float, complex, np.ndarray, np.generic, type, types.ModuleType,
           types.BuiltinFunctionType)


def _function_roots(fn: Any) -> list[tuple[str, Any]]:
    cells = [c for c in (fn.__closure__ or ())]
    roots: list[tuple[str, Any]] = [(n, c.cell_contents) for n, c in zip(fn.__code__.co_freevars, cells)
                                    if _filled(c)]
    roots.extend(("", d) for d in fn.__defaults__ or ())
    names: set[str] = set()
    codes = [fn.__code__]
    while codes:  # the function's code and the code of the functions defined inside it
        code = codes.pop()
        names |= set(code.co_names)
        codes.extend(c for c in code.co_consts if hasattr(c, "co_names"))
    g = getattr(fn, "__globals__", {})
    roots.extend((n, g[n]) for n in sorted(names) if n in g)
    return roots


def _filled(cell: Any) -> bool:
    try:
        _ = cell.cell_contents
    except ValueError:  # a closure variable not assigned yet
        return False
    return True
