"""Global modes of the engine, kept in one place.

Graph recording and anomaly detection are the only two global switches. Each is flipped
through a context manager (also usable as a decorator) that restores the old value in a
``finally`` block, so an exception can never leave the engine in the wrong mode.
"""

from __future__ import annotations

import contextlib


class Config:
    """The engine's global switches.  Read them; change them only through the managers below."""

    grad_enabled: bool = True  # record a graph for ops whose inputs require grad
    anomaly: bool = False  # check every backward step for NaN/Inf and remember forward sites
    scope: tuple[str, ...] = ()  # names of the module calls we are inside (for graph clusters)


class _SetMode(contextlib.ContextDecorator):
    """Set one ``Config`` attribute for the duration of a ``with`` block or decorated call."""

    def __init__(self, attribute: str, value: bool) -> None:
        self.attribute, self.value = attribute, value
        self._saved: list[bool] = []  # a stack, so one instance can be re-entered

    def __enter__(self) -> None:
        self._saved.append(getattr(Config, self.attribute))
        setattr(Config, self.attribute, self.value)

    def __exit__(self, *exc: object) -> None:
        setattr(Config, self.attribute, self._saved.pop())


class module_scope(contextlib.ContextDecorator):
    """Label every op recorded inside the block with ``name`` (nested blocks nest the labels).

    ``nn.Module.__call__`` uses it, so graph pictures can fold a module call into one cluster.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._saved: list[tuple[str, ...]] = []

    def __enter__(self) -> None:
        self._saved.append(Config.scope)
        Config.scope = Config.scope + (self.name,)

    def __exit__(self, *exc: object) -> None:
        Config.scope = self._saved.pop()


def no_grad() -> _SetMode:
    """Record no graph inside the block: results do not require grad and keep nothing alive.

    >>> with no_grad():
    ...     y = x * 2          # y.requires_grad is False, no graph node is created
    """
    return _SetMode("grad_enabled", False)


def enable_grad() -> _SetMode:
    """Record the graph again inside a ``no_grad`` block (or in a decorated function)."""
    return _SetMode("grad_enabled", True)


def set_grad_enabled(mode: bool) -> _SetMode:
    """Turn recording on or off for a block: ``with set_grad_enabled(training): ...``."""
    return _SetMode("grad_enabled", bool(mode))


def is_grad_enabled() -> bool:
    """True when new operations record a graph."""
    return Config.grad_enabled


def detect_anomaly() -> _SetMode:
    """Check every backward step for NaN or Inf.

    Inside the block each recorded op remembers where in your code its forward ran; when a
    backward step produces a non-finite gradient, a ``RuntimeError`` names the op and that line.
    It makes recording slower, so use it only while hunting a bug.
    """
    return _SetMode("anomaly", True)
