"""One recorded step: reading its inputs, running the program, writing back, checking it.

``RecordedStep`` is what ``Compiled`` (step.py) keeps per trace.  The glue that runs on every
call -- read the arrays, call the program, hand ``.grad`` and the results back -- is written
out as a small generated function (``_make_runner``), and so are the guards (guards.py).
``verify`` and ``checked`` run the program on copies beside the eager function and name the
first value that differs.
"""

from __future__ import annotations

import builtins
import copy
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ..config import Config
from ..tensor import Tensor
from . import guards
from .codegen import generate
from .trace import CannotCompile, Recorder, TensorSlot, Value


class TraceMismatchError(RuntimeError):
    """``check=True``: the compiled step and the eager function disagree on a call."""


_SERIAL = [0]


class RecordedStep:
    """One recorded program of a ``Compiled`` step: what it reads before each call, runs, and
    writes after; its guards; and the checks against the eager function (``verify``, ``checked``)."""

    def __init__(self, rec: Recorder, result: Any, flat: list[Any], name: str, checks: int) -> None:
        leaves, self.rebuild = _flatten_result(result)
        for leaf in leaves:
            if isinstance(leaf, Tensor) and leaf._requires_grad and not rec.backward_seen:
                raise CannotCompile(
                    "it returns a tensor that needs a gradient but calls no backward(): a compiled "
                    "forward has no graph to differentiate. Compile the whole step (forward, "
                    "backward, update), or the forward alone under tg.no_grad()")
        self.leaves = leaves
        self.single = isinstance(result, Tensor) or result is None or isinstance(result, np.ndarray)
        self.arg_is_tensor = [isinstance(a, Tensor) for a in flat]
        self.program = generate(rec, leaves, name)
        self.names = [leaf.name if isinstance(leaf, Tensor) else None for leaf in leaves]
        self.is_tensor = [isinstance(leaf, Tensor) for leaf in leaves]
        self.slots_out = [_returned_slot(rec, leaf) for leaf in leaves]
        p = self.program
        captured = [v for v in p.inputs if v.kind == "data" and v.slot is not None and v.slot.arg is None]
        self.data_guards = [(_tensor(v.slot, flat), (v.array.shape, v.array.dtype,
                                                     _tensor(v.slot, flat)._requires_grad))
                            for v in captured]
        self.grad_guards = [(_tensor(s, flat), event, expected) for s, event, expected in p.guards
                            if s.arg is None]
        self.arg_grad_guards = [(s.arg, event, expected) for s, event, expected in p.guards
                                if s.arg is not None]
        self.state_snapshots = rec.state_snapshots
        self.checks_left = checks
        self.fn_name = name
        _SERIAL[0] += 1
        self.serial = _SERIAL[0]
        # Both run on every call, so both are written out as generated functions of ``flat``.
        self.holds: Callable[[list[Any]], bool] = guards.compiled_check(
            self.data_guards, self.grad_guards, self.arg_grad_guards, p.sgd_plain)
        self.run: Callable[[Any], Any] = self._make_runner()  # flat: a list, or the args tuple
        plain = all(type(a) is Tensor for a in flat)  # step(x, y): the shortcut of Compiled.__call__
        self.same_call: Callable[[Any], bool] | None = guards.compiled_check(
            self.data_guards, self.grad_guards, self.arg_grad_guards, p.sgd_plain,
            call=(list(flat), Config.grad_enabled)) if plain else None

    def release(self) -> None:
        """Drop the traced call's arrays (intermediates, snapshots): the program does not need
        them, and keeping them would hold a batch's worth of memory per trace."""
        p = self.program
        for v in [*p.inputs, *[o for o in p.outputs if o is not None],
                  *[g for _, g in p.grads if g is not None]]:
            v.array = v.snapshot = None
        p.steps = []
        self.state_snapshots = {}
        self.leaves = []


    # -- running -------------------------------------------------------------------------
    def _inputs(self, flat: list[Any]) -> list[Any]:
        out: list[Any] = []
        for v in self.program.inputs:
            if v.kind == "arg":
                a = flat[v.index] if v.index is not None else None
                out.append(a.data if isinstance(a, Tensor) else a)
            elif v.kind == "data":
                out.append(_tensor(v.slot, flat).data)
            else:  # "grad"
                grad = _tensor(v.slot, flat)._grad
                assert grad is not None
                out.append(grad.data)
        return out + [opt.state for opt in self.program.optimizers]


    def _make_runner(self) -> Callable[[list[Any]], Any]:
        """``_inputs`` + ``step`` + ``_write_back`` as one generated function: the glue runs
        on every call, and written out it costs a few µs less than the loops above."""
        p = self.program
        namespace: dict[str, Any] = {"step": p.step, "_T": Tensor._from_op, "rebuild": self.rebuild}

        def tensor(slot: TensorSlot | None) -> str:
            assert slot is not None
            if slot.tensor is None:
                return f"flat[{slot.arg}]"
            name = f"t{len(namespace)}"
            namespace[name] = slot.tensor
            return name
        reads = []
        for v in p.inputs:
            if v.kind == "arg":
                assert v.index is not None
                is_tensor = self.arg_is_tensor[v.index]
                reads.append(f"flat[{v.index}]" + (".data" if is_tensor else ""))
            else:
                reads.append(tensor(v.slot) + (".data" if v.kind == "data" else "._grad.data"))
        for i, opt in enumerate(p.optimizers):
            namespace[f"o{i}"] = opt
            reads.append(f"o{i}.state")
        lines = ["def run(flat):", f"    r = step({', '.join(reads)})"]
        k = 0
        results = []
        for out, is_tensor, name, slot in zip(p.outputs, self.is_tensor, self.names, self.slots_out):
            if out is None:
                results.append("None")
                continue
            if slot is not None:
                results.append(tensor(slot))
            elif is_tensor:
                lines.append(f"    o_{k} = _T(r[{k}], None)")
                if name is not None:
                    namespace[f"name_{k}"] = name
                    lines.append(f"    o_{k}.name = name_{k}")
                results.append(f"o_{k}")
            else:
                results.append(f"r[{k}]")
            k += 1
        for slot, value in p.grads:
            if value is None:
                lines.append(f"    {tensor(slot)}._grad = None")
            else:
                lines.append(f"    {tensor(slot)}._grad = _T(r[{k}], None)")
                k += 1
        single = len(results) == 1 and self.single
        lines.append(f"    return {results[0]}" if single else f"    return rebuild([{', '.join(results)}])")
        exec(builtins.compile("\n".join(lines) + "\n", "<tg.compile runner>", "exec"), namespace)
        return namespace["run"]

    # -- checking ------------------------------------------------------------------------
    def verify(self, flat: list[Any], result: Any) -> None:
        """Right after the trace: the program, run on copies of the state the eager call found,
        must end where the eager call ended, bit for bit."""
        inputs = [np.array(v.snapshot, copy=True) for v in self.program.inputs]
        states = [copy.deepcopy(self.state_snapshots[id(o)]) for o in self.program.optimizers]
        with np.errstate(all="ignore"), warnings.catch_warnings():  # eager has warned already
            warnings.simplefilter("ignore")
            problem = self._compare(inputs, states, flat, result)
        if problem is not None:
            raise CannotCompile(f"the generated program does not reproduce the eager call: {problem}. "
                                "Was an array changed with NumPy (on .data)? That is outside what "
                                "the engine sees; write the update with Tensor ops under tg.no_grad()")

    def checked(self, flat: list[Any], fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
        """``check=True``: run eagerly for real and the program on copies; they must agree."""
        inputs = [np.array(a, copy=True) for a in self._inputs(flat)[:len(self.program.inputs)]]
        states = [copy.deepcopy(o.state) for o in self.program.optimizers]
        result = fn(*args, **kwargs)
        problem = self._compare(inputs, states, flat, result)
        if problem is not None:
            raise TraceMismatchError(
                f"tg.compile(check=True): the trace of {self.fn_name} does not hold on this call: "
                f"{problem}. The step's Python code took another path for these values: "
                "control flow on a tensor's value, or NumPy on .data, is traced as taken; keep "
                "such decisions outside the compiled function")
        return result

    def _compare(self, inputs: list[Any], states: list[Any], flat: list[Any], result: Any) -> str | None:
        p = self.program
        try:
            returned = list(p.step(*inputs, *states))
        except Exception as err:  # the program failed where eager ran: report, never hide
            return f"it raised {type(err).__name__}: {err}"
        leaves, _ = _flatten_result(result)
        values = iter(returned)
        for i, (out, leaf) in enumerate(zip(p.outputs, leaves)):
            if out is None:
                continue
            eager = leaf.data if isinstance(leaf, Tensor) else leaf
            if not _same(next(values), eager):
                return f"return value {i} ({self.names[i] or out.name}) differs"
        for slot, value in p.grads:
            got = None if value is None else next(values)
            live_grad = _tensor(slot, flat)._grad
            if (got is None) != (live_grad is None) or \
                    (got is not None and live_grad is not None and not _same(got, live_grad.data)):
                return f"{_label(slot, value)}.grad differs"
        for v, array in zip(p.inputs, inputs):
            if v.kind in ("data", "grad") and v.slot is not None:
                t = _tensor(v.slot, flat)
                live = t.data if v.kind == "data" else (t._grad.data if t._grad is not None else None)
                if live is None or not _same(array, live):
                    return f"{v.name} ({'.data' if v.kind == 'data' else '.grad'}) differs"
        for opt, state in zip(p.optimizers, states):
            if not _same_state(state, opt.state):
                return f"the state of {type(opt).__name__} differs"
        return None


def _same(a: Any, b: Any) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and \
        np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes()


def _same_state(a: list[dict], b: list[dict]) -> bool:
    if len(a) != len(b):
        return False
    for sa, sb in zip(a, b):
        if sa.keys() != sb.keys():
            return False
        for k in sa:
            x, y = sa[k], sb[k]
            if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
                if not _same(x, y):
                    return False
            elif x != y:
                return False
    return True


def _label(slot: TensorSlot, value: Value | None) -> str:
    return slot.name or (value.name if value is not None else "a tensor")


def _tensor(slot: TensorSlot | None, flat: list[Any]) -> Tensor:
    assert slot is not None
    if slot.tensor is not None:
        return slot.tensor
    assert slot.arg is not None
    return flat[slot.arg]


def _returned_slot(rec: Recorder, leaf: Any) -> TensorSlot | None:
    """A returned tensor that is an argument or a captured tensor is returned as itself."""
    if isinstance(leaf, Tensor):
        found = rec.slots.get(id(leaf))
        if found is not None:
            return found
    return None


def _flatten_result(result: Any) -> tuple[list[Any], Callable[[list[Any]], Any]]:
    """What the step returns: tensors, arrays and None, in tuples, lists and dicts."""
    if result is None or isinstance(result, (Tensor, np.ndarray)):
        return [result], lambda leaves: leaves[0]
    if isinstance(result, (tuple, list)):
        parts = [_flatten_result(r) for r in result]
        kind = type(result)

        def rebuild(leaves: list[Any]) -> Any:
            out, i = [], 0
            for (sub, fn) in parts:
                out.append(fn(leaves[i:i + len(sub)]))
                i += len(sub)
            return kind(out) if kind in (tuple, list) else kind(*out)
        return [leaf for sub, _ in parts for leaf in sub], rebuild
    if isinstance(result, dict):
        keys = list(result)
        leaves, inner = _flatten_result([result[k] for k in keys])
        return leaves, lambda ls: dict(zip(keys, inner(ls)))
    raise CannotCompile(
        f"it returns a {type(result).__name__}; a compiled step returns tensors (and tuples, "
        "lists or dicts of them). Return the loss Tensor and call .item() on it outside the step")
