"""What the function transforms take and give: checked arguments and the tensors they differentiate.

Each transform in transforms.py calls the user's function on stand-ins for its
differentiated arguments (``differentiable_input``), reads what it returned
(``function_outputs``) and, when an outer transform or an outside tensor needs the result
to stay differentiable, records the work it does (``reaches_outside``).  Misuse is caught
here, with messages that name the transform, the argument and its shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..autograd import topological_order
from ..config import enable_grad
from ..ops.shape import Reshape
from ..tensor import Tensor


def tensor_tuple(value: Any, what: str, where: str) -> tuple[Tensor, ...]:
    """``value`` as a tuple of Tensors: one Tensor, or a tuple or list of them."""
    values = (value,) if isinstance(value, Tensor) else value
    if not isinstance(values, (tuple, list)):
        raise TypeError(f"{where}: {what} must be a Tensor or a tuple of Tensors, got "
                        f"{type(value).__name__}")
    return tuple(checked_tensor(v, f"{what}[{i}]", where) for i, v in enumerate(values))


def checked_tensor(value: Any, name: str, where: str) -> Tensor:
    """``value`` if it is a floating-point Tensor (what can be differentiated), else a TypeError."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{where}: {name} is a {type(value).__name__}, not a Tensor; only "
                        "Tensors can be differentiated (wrap it as tg.tensor(...))")
    if value.dtype.kind != "f":
        raise TypeError(f"{where}: {name} has dtype {value.dtype}; only floating-point "
                        "tensors can be differentiated (use .double() or dtype=tg.float64)")
    return value


def matching(values: Any, like: tuple[Tensor, ...], what: str, like_what: str,
             where: str) -> tuple[Tensor, ...]:
    """Tangents or cotangents, one per tensor of ``like``, each of its shape (cast to its dtype)."""
    given = tensor_tuple(values, what, where)
    if len(given) != len(like):
        raise ValueError(f"{where}: {len(like)} {like_what} but {len(given)} {what}; give one "
                         f"per {like_what[:-1] if like_what.endswith('s') else like_what}")
    for i, (v, p) in enumerate(zip(given, like)):
        if v.shape != p.shape:
            raise ValueError(
                f"{where}: {what}[{i}] has shape {v.shape}, but {like_what}[{i}] has shape "
                f"{p.shape}; each must have the shape of the {like_what[:-1]} it belongs to")
    return tuple(v if v.dtype == p.dtype else v.astype(p.dtype) for v, p in zip(given, like))


def argnums_tuple(argnums: Any, count: int, where: str) -> tuple[int, ...]:
    """``argnums`` (an int or a tuple of ints, negatives from the end) as positions."""
    nums = argnums if isinstance(argnums, tuple) else (argnums,)
    if not nums or not all(isinstance(n, int) and not isinstance(n, bool) for n in nums):
        raise TypeError(f"{where}: argnums must be an int or a non-empty tuple of ints, got "
                        f"{argnums!r}")
    bad = [n for n in nums if not -count <= n < count]
    if bad:
        raise ValueError(
            f"{where}: argnums={argnums!r} is out of range: the function was called with "
            f"{count} positional argument{'s' if count != 1 else ''}, so argnums may be 0 to "
            f"{count - 1} (or -{count} to -1 from the end)")
    positions = tuple(n % count for n in nums)
    if len(set(positions)) != len(positions):
        raise ValueError(f"{where}: argnums={argnums!r} names an argument twice")
    return positions


def differentiated_arguments(args: tuple, argnums: Any,
                             where: str) -> tuple[list[Any], tuple[Tensor, ...]]:
    """The call's arguments with stand-ins at ``argnums``, and those stand-ins."""
    positions = argnums_tuple(argnums, len(args), where)
    call = list(args)
    for n in positions:
        call[n] = differentiable_input(checked_tensor(args[n], f"argument {n} (in argnums)", where))
    return call, tuple(call[n] for n in positions)


def differentiable_input(p: Tensor) -> Tensor:
    """The tensor that stands for ``p`` inside the function, to differentiate with respect to.

    A constant ``p`` gets a fresh leaf over the same numbers, with ``requires_grad``.  A ``p``
    that an outer transform is differentiating (it requires grad) gets an identity node on
    top of it instead: the inner transform seeds that node, and the outer one still finds
    the path back to ``p`` (``jacfwd(jacrev(f))``).
    """
    if p.requires_grad:
        with enable_grad():
            return Reshape.apply(p, shape=p.shape)  # the identity, recorded
    leaf = Tensor._from_op(p.data, None)
    leaf.requires_grad = True
    leaf.name = p.name
    return leaf


def function_outputs(out: Any, where: str) -> tuple[tuple[Tensor, ...], bool]:
    """What the function returned, as a tuple of Tensors, and whether it was a tuple."""
    several = isinstance(out, (tuple, list))
    outs = tuple(out) if several else (out,)
    for i, o in enumerate(outs):
        if not isinstance(o, Tensor):
            which = f"output {i}" if several else "the output"
            raise TypeError(f"{where}: the function must return a Tensor or a tuple of Tensors; "
                            f"{which} is a {type(o).__name__}")
    return outs, several


def reaches_outside(outputs: Sequence[Tensor], inputs: Sequence[Tensor]) -> bool:
    """Whether the outputs depend on a tensor that requires grad other than ``inputs``.

    Then an outer transform (or the caller's own ``backward``) will differentiate what this
    transform returns, so its work must be recorded (``create_graph``); otherwise it runs
    with recording off, which is cheaper.
    """
    ours = {id(t) for t in inputs}
    return any(t._ctx is None and id(t) not in ours for t in topological_order(list(outputs))
               if t.requires_grad)


def one_hot(shape: tuple[int, ...], k: int, dtype: np.dtype) -> Tensor:
    """The k-th basis direction of a tensor of ``shape``: 1 at flat position k, 0 elsewhere."""
    e = np.zeros(int(np.prod(shape)), dtype=dtype)
    e[k] = 1
    return Tensor._from_op(e.reshape(shape), None)


def packed(values: tuple, several: bool) -> Any:
    """A tuple back as a tuple, one value as itself."""
    return values if several else values[0]
