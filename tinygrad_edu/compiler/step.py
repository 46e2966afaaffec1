"""``tg.compile(fn)``: run a training step once eagerly while recording it, then replay the NumPy.

A ``Compiled`` keeps a cache of traces, one per call key (guards.py).  A call whose key is
new runs ``fn`` eagerly with a ``Recorder`` listening (trace.py), turns the record into source
(codegen.py) and checks at once that the source reproduces the eager call bit for bit on
copies of the state it started from.  Later calls with the same key run the source.  What
cannot be compiled runs eagerly, with one ``CompileWarning`` saying why.
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable
from typing import Any

from ..config import Config
from ..tensor import Tensor
from . import guards
from .codegen import Program
from .replay import RecordedStep, TraceMismatchError
from .trace import CannotCompile, Recorder, reachable_tensors

__all__ = ["compile", "Compiled", "CompileWarning", "TraceMismatchError"]


class CompileWarning(UserWarning):
    """A call of a compiled step ran eagerly because its trace cannot be compiled."""


class Compiled:
    """A step function that runs as generated NumPy after its first call; see ``compile``."""

    def __init__(self, fn: Callable[..., Any], check: bool | int = False, max_traces: int = 8) -> None:
        if not callable(fn):
            raise TypeError(f"tg.compile(fn): fn must be a function (or a Module), got "
                            f"{type(fn).__name__} {fn!r:.60}")
        self.fn = fn
        self.check_calls = 3 if check is True else int(check)
        self.max_traces = max_traces
        self.traces: dict[Any, list[RecordedStep] | str] = {}  # key -> traces, or why it runs eagerly
        self._last: RecordedStep | None = None
        functools.update_wrapper(self, fn, updated=())  # type: ignore[arg-type]

    @property
    def name(self) -> str:
        return getattr(self.fn, "__qualname__", type(self.fn).__name__)

    @property
    def trace_count(self) -> int:
        """How many programs have been recorded (one per argument signature and outside state)."""
        return sum(len(t) for t in self.traces.values() if not isinstance(t, str))

    # -- what a learner looks at ---------------------------------------------------------
    @property
    def source(self) -> str:
        """The generated Python source of the most recent trace (``print(step.source)``)."""
        return self._latest().program.source

    @property
    def program(self) -> Program:
        return self._latest().program

    @property
    def graph(self) -> Any:
        """The latest trace as a picture: ``graphviz.Digraph`` of its values and NumPy calls."""
        from .picture import program_graph

        return program_graph(self.program, self.name)

    def _latest(self) -> RecordedStep:
        found = [t for ts in self.traces.values() if not isinstance(ts, str) for t in ts]
        if not found:
            why = next((v for v in self.traces.values() if isinstance(v, str)), None)
            raise RuntimeError(f"{self.name} has no compiled trace yet: call it once first"
                               + (f" (its calls run eagerly: {why})" if why else ""))
        return max(found, key=lambda t: t.serial)

    # -- calls ---------------------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if Config.anomaly or Config.recorder is not None:  # anomaly checks, or a step inside a trace
            return self.fn(*args, **kwargs)
        last = self._last  # called like last time: one generated check instead of a key
        if last is not None and not kwargs and last.checks_left <= 0 and last.same_call is not None \
                and last.same_call(args):
            return last.run(args)
        try:
            flat, key = guards.flatten(args, kwargs)
        except TypeError:  # an argument that is not hashable: nothing to key a trace on
            return self.fn(*args, **kwargs)
        entry = self.traces.get(key)
        if isinstance(entry, str):
            return self.fn(*args, **kwargs)
        for trace in entry or ():
            if trace.holds(flat):
                if trace.checks_left > 0:
                    trace.checks_left -= 1
                    return trace.checked(flat, self.fn, args, kwargs)
                self._last = trace
                return trace.run(flat)
        if entry is not None and len(entry) >= self.max_traces:
            self._eager(key, f"more than {self.max_traces} traces for one argument signature "
                        "(the captured state keeps changing)", keep=False)
            return self.fn(*args, **kwargs)
        return self._trace(key, flat, args, kwargs)

    def _trace(self, key: Any, flat: list[Any], args: tuple, kwargs: dict) -> Any:
        names = guards.leaf_names(args, kwargs)
        # What the step can reach: its closure and globals, and the objects passed to it
        roots = (self.fn, *[a for a in (*args, *kwargs.values()) if not isinstance(a, Tensor)])
        recorder = Recorder(flat, _argument_names(self.fn, names), roots)
        before = {i: (t, t.data, t.data.copy(), t._grad) for i, t in reachable_tensors(roots).items()}
        saved, Config.recorder = Config.recorder, recorder
        try:
            result = self.fn(*args, **kwargs)
        finally:
            Config.recorder = saved
        recorder.finish(set(before) | {id(a) for a in flat})
        recorder.unseen_changes(before)
        try:
            if recorder.problem is not None:
                raise CannotCompile(recorder.problem)
            trace = RecordedStep(recorder, result, flat, self.name, self.check_calls)
            trace.verify(flat, result)
        except CannotCompile as err:
            self._eager(key, str(err), keep=not recorder.retry)
            return result
        trace.release()
        self.traces.setdefault(key, [])
        entry = self.traces[key]
        assert not isinstance(entry, str)
        entry.append(trace)
        return result

    def _eager(self, key: Any, reason: str, keep: bool = True) -> None:
        warnings.warn(CompileWarning(f"tg.compile: {self.name} runs eagerly: {reason}"), stacklevel=4)
        if keep:
            self.traces[key] = reason

    def __repr__(self) -> str:
        n = self.trace_count
        return f"<compiled {self.name}: {n} trace{'s' if n != 1 else ''}>"


def _argument_names(fn: Callable[..., Any], names: list[str]) -> list[str]:
    """Argument names from the signature (``X``, ``y``) where the tensors have none."""
    target = getattr(fn, "forward", fn)  # a Module: the names of its forward()
    try:
        signature = inspect.signature(target).parameters.values()
    except (TypeError, ValueError):
        return names
    params = [p.name for p in signature if p.kind is not p.VAR_POSITIONAL and p.kind is not p.VAR_KEYWORD]
    def named(n: str) -> str:
        position = n[3:].split("_")[0]
        if n.startswith("arg") and position.isdigit() and int(position) < len(params):
            return params[int(position)] + n[3 + len(position):]
        return n
    return [named(n) for n in names]


def compile(fn: Callable[..., Any] | None = None, *, check: bool | int = False,
            max_traces: int = 8) -> Any:
    """Compile a training step (or a forward) into straight-line NumPy; see guide chapter 9.

    ``step = tg.compile(fn)``: the first call with given argument shapes, dtypes,
    ``requires_grad`` flags and grad mode runs ``fn`` eagerly and records every op of the
    forward pass, of ``backward()`` and of the updates (an optimizer's ``zero_grad()`` /
    ``step()``, or ``p -= lr * p.grad`` under ``no_grad``).  Later calls like it run the
    recorded program -- the same NumPy calls in the same order, so the loss, every ``.grad``
    and the optimizer state come out bit for bit as eager ones would -- and return what
    ``fn`` returns (returned tensors carry no graph).  ``print(step.source)`` shows the
    program; ``step.graph`` draws it.

    Parameters may be arguments or captured from the enclosing scope (a model, an
    optimizer).  Python control flow is traced as taken (as ``torch.jit.trace`` does): an
    ``if`` on a tensor's value, or NumPy on ``.data`` that the engine does not see, is frozen
    into the trace.  ``check=True`` runs the next three calls eagerly as well and raises
    ``TraceMismatchError`` naming the first tensor that differs (``check=n``: n calls).
    What cannot be compiled -- a hook, ``create_graph=True``, a ``tg.autograd.Function``, an
    array made with NumPy inside the step -- runs eagerly with a ``CompileWarning``.
    Usable as a decorator: ``@tg.compile`` or ``@tg.compile(check=True)``.
    """
    if fn is None:
        return lambda f: Compiled(f, check=check, max_traces=max_traces)
    return Compiled(fn, check=check, max_traces=max_traces)
