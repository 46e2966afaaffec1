"""Global modes of the engine, kept in one place.

Graph recording, anomaly detection and the module scope (for graph pictures) are switches
*per thread*, as PyTorch's grad mode is: a ``no_grad`` block in an evaluation thread never
stops a training thread from recording.  Each is flipped through a context manager (also
usable as a decorator) that restores the old value in a ``finally``-like ``__exit__``, so an
exception can never leave the engine in the wrong mode.  The default float dtype is one
setting for the whole process (as ``torch.set_default_dtype``).
"""

from __future__ import annotations

import copy
import functools
import inspect
import threading
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np


class _Modes(threading.local):
    """The engine's switches; every thread sees its own copy, starting from these defaults.

    Read them as ``Config.grad_enabled``; change them only through the managers below.
    """

    grad_enabled: bool = True  # record a graph for ops whose inputs require grad
    anomaly: bool = False  # check every forward output and backward step for NaN/Inf
    scope: tuple[str, ...] = ()  # names of the module calls we are inside (for graph clusters)
    in_backward: bool = False  # ops now run inside a backward rule (anomaly checks them there)
    recorder: Any = None  # tg.compile is tracing this thread: the seams report to it (compiler/)


Config = _Modes()
F = TypeVar("F", bound=Callable[..., Any])


class _SetMode:
    """Set one ``Config`` attribute for the duration of a ``with`` block or decorated call."""

    def __init__(self, attribute: str, value: Any) -> None:
        self.attribute, self.value = attribute, value
        self._saved: list[Any] = []  # a stack, so one instance can be re-entered

    def __enter__(self) -> None:
        self._saved.append(getattr(Config, self.attribute))
        setattr(Config, self.attribute, self.value)

    def __exit__(self, *exc: object) -> None:
        setattr(Config, self.attribute, self._saved.pop())

    def __call__(self, fn: F) -> F:
        """As a decorator (``@no_grad()``): every call enters a fresh copy of this manager, so
        calls that overlap -- in two threads, or recursively -- each get back their own modes.
        A generator function gets the mode each time it runs (not while it is paused)."""
        if inspect.isgeneratorfunction(fn):
            return cast(F, self._generator(fn))

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            with self._fresh():
                return fn(*args, **kwargs)
        return cast(F, run)

    def _generator(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            gen, mode = fn(*args, **kwargs), self._fresh()
            sent: Any = None
            thrown: BaseException | None = None
            while True:
                with mode:  # the mode holds only while the generator's own code runs
                    try:
                        out = gen.send(sent) if thrown is None else gen.throw(thrown)
                    except StopIteration as stop:
                        return stop.value
                sent, thrown = None, None
                try:
                    sent = yield out
                except GeneratorExit:
                    gen.close()
                    raise
                except BaseException as error:  # passed on into the generator
                    thrown = error
        return run

    def _fresh(self) -> _SetMode:
        fresh = copy.copy(self)
        fresh._saved = []
        return fresh


class module_scope(_SetMode):
    """Label every op recorded inside the block with ``name`` (nested blocks nest the labels).

    ``nn.Module.__call__`` uses it, so graph pictures can fold a module call into one cluster.
    """

    def __init__(self, name: str) -> None:
        super().__init__("scope", ())
        self.name = name

    # Written out rather than through getattr/setattr: this runs on every module call.
    def __enter__(self) -> None:
        scope = Config.scope
        self._saved.append(scope)
        Config.scope = scope + (self.name,)  # this thread's scope, one level deeper

    def __exit__(self, *exc: object) -> None:
        Config.scope = self._saved.pop()


class backward_mode(_SetMode):
    """The modes a backward pass runs in: recording only for ``create_graph``.

    It also marks the thread as inside backward: with anomaly mode on, the ops a backward
    rule runs are checked by the gradient check (which names the rule), not the forward one;
    and a rule may edit a gradient it cloned in place (``custom_function.assign_items``).
    """

    def __init__(self, create_graph: bool) -> None:
        super().__init__("grad_enabled", create_graph)

    # Written out rather than through super(): this runs once per backward() call.
    def __enter__(self) -> None:
        self._saved.append((Config.grad_enabled, Config.in_backward))
        Config.grad_enabled = self.value
        Config.in_backward = True

    def __exit__(self, *exc: object) -> None:
        Config.grad_enabled, Config.in_backward = self._saved.pop()


def _bare_or_called(mode: _SetMode, fn: Any) -> Any:
    """``@no_grad`` (bare, ``fn`` given) decorates at once; ``no_grad()`` returns the manager."""
    if fn is None:
        return mode
    if not callable(fn):
        raise TypeError(f"expected a function to decorate, got {type(fn).__name__} {fn!r}")
    return mode(fn)


def no_grad(fn: Any = None) -> Any:
    """Record no graph inside the block: results do not require grad and keep nothing alive.

    >>> with no_grad():
    ...     y = x * 2          # y.requires_grad is False, no graph node is created

    Also a decorator, bare (``@no_grad``) or called (``@no_grad()``), as in PyTorch.
    """
    return _bare_or_called(_SetMode("grad_enabled", False), fn)


def enable_grad(fn: Any = None) -> Any:
    """Record the graph again inside a ``no_grad`` block (or in a decorated function)."""
    return _bare_or_called(_SetMode("grad_enabled", True), fn)


def inference_mode(mode: Any = True) -> Any:
    """PyTorch's ``inference_mode``; here the same as ``no_grad`` (``mode=False``: no change).

    PyTorch makes it faster than ``no_grad`` by skipping bookkeeping this engine does not
    have, so the two are one thing here.  Bare ``@inference_mode`` works too.
    """
    if callable(mode):
        return no_grad(mode)
    return _SetMode("grad_enabled", False) if mode else _KeepMode("grad_enabled", None)


class _KeepMode(_SetMode):
    """A manager that leaves the mode as it finds it (``inference_mode(False)``)."""

    def __enter__(self) -> None:
        self._saved.append(getattr(Config, self.attribute))


class set_grad_enabled(_SetMode):
    """Turn recording on or off: at once (as a call), for a block, or for a decorated function.

    As in PyTorch the call itself switches the mode (``set_grad_enabled(False)`` on its own
    line turns recording off in this thread); ``with set_grad_enabled(training): ...`` restores
    the previous mode at the end of the block; ``@set_grad_enabled(False)`` applies it per call.
    """

    def __init__(self, mode: bool) -> None:
        if not isinstance(mode, (bool, np.bool_)):
            raise TypeError(f"set_grad_enabled(mode): mode must be True or False, got {mode!r}")
        super().__init__("grad_enabled", bool(mode))
        self._saved.append(Config.grad_enabled)
        Config.grad_enabled = self.value

    def __enter__(self) -> None:
        pass  # already switched by __init__

    def __call__(self, fn: F) -> F:
        self.__exit__()  # decorating must not change the mode now; each call will
        return super().__call__(fn)

    def _fresh(self) -> _SetMode:
        return _SetMode("grad_enabled", self.value)


def is_grad_enabled() -> bool:
    """True when new operations record a graph (in this thread)."""
    return Config.grad_enabled


def detect_anomaly() -> _SetMode:
    """Check every recorded forward output and every backward step for NaN or Inf.

    Inside the block each recorded op remembers where in your code its forward ran.  The
    first op whose forward makes a NaN/Inf from finite inputs, or whose backward makes a
    non-finite gradient, raises a ``RuntimeError`` naming the op, the offending input values
    and that line.  It makes recording slower, so use it only while hunting a bug.
    """
    return _SetMode("anomaly", True)


# -- the default dtype: one setting for the process ----------------------------------------
_DEFAULT_DTYPE = {"float": np.dtype(np.float32)}


def set_default_dtype(dtype: Any) -> None:
    """Set the dtype that Python floats become (float32 unless changed; float64 for checks)."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"set_default_dtype: {dtype!r} is not a dtype; use np.float32 or "
                        "np.float64") from None
    if dt not in (np.float32, np.float64):
        raise ValueError(f"the default dtype must be float32 or float64, got {dt}")
    _DEFAULT_DTYPE["float"] = dt


def get_default_dtype() -> np.dtype:
    """The dtype Python floats and float lists become."""
    return _DEFAULT_DTYPE["float"]
