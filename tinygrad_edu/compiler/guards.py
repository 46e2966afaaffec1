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


def flatten(args: tuple, kwargs: dict) -> tuple[list[Any], Any]:
    """The arguments' tensors and arrays in order, and everything about the call as a hashable key."""
    if not kwargs and all([type(a) is Tensor for a in args]):  # the common call: step(x, y), fast
        key: Any = tuple([(a.data.shape, a.data.dtype, a._requires_grad) for a in args])
        return list(args), (key, Config.grad_enabled)
    leaves, _, key = _walk(args, kwargs)
    return leaves, key


def leaf_names(args: tuple, kwargs: dict) -> list[str]:
    """A name for each of ``flatten``'s leaves: the tensor's own, else ``arg0``, ``arg1_2``..."""
    return _walk(args, kwargs)[1]


def _walk(args: tuple, kwargs: dict) -> tuple[list[Any], list[str], Any]:
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


def compiled_check(data_slots: list[tuple[Tensor, Any]], grads: list[tuple[Tensor, str, Any]],
                   arg_grads: list[tuple[int, str, Any]], sgd_plain: list[Any],
                   call: tuple[list[Tensor], bool] | None = None) -> Any:
    """Does the state outside the step still look as it did when the trace was recorded?

    ``data_slots``: captured tensors with their (shape, dtype, requires_grad); ``grads``:
    (tensor, "none" or "some", (shape, dtype)) -- whether its ``.grad`` was absent, or a
    plain writeable array of that shape; ``arg_grads`` the same for arguments, by position;
    ``sgd_plain``: SGDs written as ``p -= lr * g``, which must still have no momentum or
    decay.  Returns ``holds(flat) -> bool``, written out as one ``and`` of comparisons
    because it runs on every call.  With ``call`` (the traced call's tensor arguments and its
    grad mode), the expression also checks that ``flat`` holds tensors like those -- the key
    of ``flatten``, without building it: the shortcut for a step called again like last time.
    """
    namespace: dict[str, Any] = {"Tensor": Tensor, "Config": Config}

    def bind(obj: Any) -> str:
        name = f"k{len(namespace)}"
        namespace[name] = obj
        return name
    terms = []
    if call is not None:
        tensors, grad_mode = call
        terms.append(f"len(flat) == {len(tensors)} and Config.grad_enabled is {bool(grad_mode)}")
        for i, a in enumerate(tensors):
            terms.append(f"type(flat[{i}]) is Tensor and flat[{i}].data.shape == {bind(a.data.shape)} and "
                         f"flat[{i}].data.dtype == {bind(a.data.dtype)} and "
                         f"flat[{i}]._requires_grad is {bool(a._requires_grad)}")
    for tensor, (shape, dtype, requires_grad) in data_slots:
        t = bind(tensor)
        terms.append(f"{t}.data.shape == {bind(shape)} and {t}.data.dtype == {bind(dtype)} and "
                     f"{t}._requires_grad is {bool(requires_grad)}")
    owners = [(bind(t), e, x) for t, e, x in grads] + [(f"flat[{i}]", e, x) for i, e, x in arg_grads]
    for t, event, expected in owners:
        if event == "none":
            terms.append(f"{t}._grad is None")
        else:
            shape, dtype = expected
            terms.append(f"({t}._grad is not None and {t}._grad.data.shape == {bind(shape)} and "
                         f"{t}._grad.data.dtype == {bind(dtype)} and not {t}._grad._requires_grad "
                         f"and {t}._grad.data.flags.writeable)")
    for opt in sgd_plain:
        o = bind(opt)
        terms.append(f"{o}.momentum == 0 and {o}.weight_decay == 0")
    source = f"def holds(flat):\n    return {' and '.join(terms) or 'True'}\n"
    exec(compile(source, "<tg.compile guards>", "exec"), namespace)
    return namespace["holds"]
