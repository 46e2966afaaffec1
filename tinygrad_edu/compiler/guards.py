"""When may a recorded program stand in for a call?  The call's key and a trace's guards.

The key is what the arguments look like (each tensor's shape, dtype and ``requires_grad``,
each array's shape and dtype, every other argument by value) plus the grad mode.  A trace
also depends on the state it found outside: each captured tensor's shape, dtype and
``requires_grad``, whether its ``.grad`` was there, and an SGD written as ``p -= lr * g``
still having no momentum.  Anything else a step's Python code decides from the data is
traced as taken (``check=True`` catches a trace that no longer holds).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np

from ..config import Config
from ..tensor import Tensor

_LEAF = (Tensor, np.ndarray)


def flatten(args: tuple, kwargs: dict) -> tuple[list[Any], list[str], Any]:
    """The arguments' tensors and arrays in order, names for them, and the rest as a hashable key."""
    if not kwargs and all(type(a) is Tensor for a in args):  # the common call: step(x, y), fast
        key: Any = tuple([(a.data.shape, a.data.dtype, a._requires_grad) for a in args])
        return list(args), [a.name or f"arg{i}" for i, a in enumerate(args)], (key, Config.grad_enabled)
    leaves: list[Any] = []
    names: list[str] = []

    def walk(x: Any, name: str) -> Hashable:
        if isinstance(x, Tensor):
            leaves.append(x)
            names.append(x.name or name)
            return ("T", x.data.shape, x.data.dtype.str, x._requires_grad)
        if isinstance(x, np.ndarray):
            leaves.append(x)
            names.append(name)
            return ("A", x.shape, x.dtype.str)
        if isinstance(x, (tuple, list)):
            return (type(x).__name__, tuple(walk(v, f"{name}_{i}") for i, v in enumerate(x)))
        if isinstance(x, dict):
            return ("dict", tuple((k, walk(v, f"{name}_{k}")) for k, v in x.items()))
        hash(x)  # a TypeError here: the caller runs such a call eagerly
        return ("V", type(x).__name__, x)

    key = (tuple(walk(a, f"arg{i}") for i, a in enumerate(args)),
           tuple((k, walk(v, k)) for k, v in sorted(kwargs.items())), Config.grad_enabled)
    return leaves, names, key


def holds(guards: list[tuple[Any, str, Any]], data_slots: list[tuple[Tensor, Any]],
          sgd_plain: list[Any]) -> bool:
    """Does the state outside the step still look as it did when the trace was recorded?"""
    for tensor, (shape, dtype, requires_grad) in data_slots:
        data = tensor.data
        if data.shape != shape or data.dtype != dtype or tensor._requires_grad != requires_grad:
            return False
    for tensor, event, expected in guards:
        grad = tensor._grad
        if event == "none":
            if grad is not None:
                return False
        elif grad is None or (grad.data.shape, grad.data.dtype) != expected or \
                grad._requires_grad or not grad.data.flags.writeable:
            return False
    return all(opt.momentum == 0 and opt.weight_decay == 0 for opt in sgd_plain)
