"""``Optimizer``: the base class every update rule builds on.

An optimizer holds a list of parameter tensors and, after ``loss.backward()`` has filled
their ``.grad``, changes each parameter's ``.data`` array in place.  It works on raw NumPy
arrays, never on Tensors, so an update records no graph and keeps nothing alive between
steps except the per-parameter state arrays (momentum buffers, running averages...).
Subclasses only write ``_update`` (one parameter, one step) and ``_check`` (their
hyperparameter ranges); this file holds what they share.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

import numpy as np

from ..config import Config
from ..serialization import CheckpointError
from ..tensor import Tensor

State = dict[str, Any]  # one parameter's state: arrays, plus "step" counters where needed


class Optimizer:
    """Base class: ``zero_grad()``, ``step()``, ``state_dict()``, ``load_state_dict()``.

    ``params`` is a list (or any iterable, e.g. ``model.parameters()``) of leaf tensors.  The
    learning rate is the plain attribute ``lr``, so a scheduler (or you) can change it between
    steps.  ``state[i]`` is the state of ``params[i]``; it is created on the parameter's first
    update and kept in the parameter's dtype.
    """

    hyperparameters: ClassVar[tuple[str, ...]] = ("lr",)  # saved by state_dict, in this order
    state_names: ClassVar[tuple[str, ...]] = ()  # the arrays _update keeps per parameter
    nonnegative_state: ClassVar[tuple[str, ...]] = ()  # sums of squares: sqrt() of a negative is nan

    lr: float

    def __init__(self, params: Iterable[Tensor]) -> None:
        self.params: list[Tensor] = _check_params(params, type(self).__name__)
        self.state: list[State] = [{} for _ in self.params]

    # -- what subclasses write ---------------------------------------------------------------
    def _update(self, param: np.ndarray, grad: np.ndarray, state: State) -> None:
        """Change ``param`` in place using ``grad``; keep running quantities in ``state``."""
        raise NotImplementedError(f"{type(self).__name__} must define _update(param, grad, state)")

    def _check(self) -> None:
        """Raise ValueError if a hyperparameter is out of range (the base checks ``lr``)."""
        check_range(type(self).__name__, "lr", self.lr, low=0.0)

    # -- the public interface ------------------------------------------------------------------
    def zero_grad(self) -> None:
        """Forget the gradients of the last backward (set every ``.grad`` to ``None``).

        ``backward`` *adds* into ``.grad``, so without this call the next step would use the
        sum of all gradients so far.
        """
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """Apply one update to every parameter that has a gradient (others are skipped)."""
        if Config.recorder is not None:  # compile seam: tg.compile records the step (compiler/)
            Config.recorder.optimizer_step(self)
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            self._update(p.data, self._grad_array(i, p), self.state[i])
            p._version += 1  # updated in place: a graph recorded before the step must not reuse it

    def state_dict(self) -> dict[str, Any]:
        """A snapshot: ``{"optimizer": name, "hyperparameters": {...}, "state": {index: {...}}}``.

        The state arrays are copies, so later steps do not change a saved snapshot.  The
        result contains only strings, numbers, tuples and arrays, so ``tg.save`` can store it.
        """
        state = {
            i: {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in s.items()}
            for i, s in enumerate(self.state) if s
        }
        return {
            "optimizer": type(self).__name__,
            "hyperparameters": {name: getattr(self, name) for name in self.hyperparameters},
            "state": state,
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyperparameters and per-parameter state saved by ``state_dict()``.

        Everything is checked before anything changes: the optimizer type, the parameter
        indices, the state names and the array shapes must match this optimizer, and values
        that would turn the parameters into nan at the next ``step()`` -- a step count that is
        not an integer >= 0, a negative second moment, any nan or inf -- raise
        ``CheckpointError`` (a ``ValueError``).
        """
        name = type(self).__name__
        if not isinstance(state_dict, dict) or not {"hyperparameters", "state"} <= state_dict.keys():
            raise ValueError(
                f"{name}.load_state_dict expects the dict returned by state_dict(), with keys "
                f"'hyperparameters' and 'state'; got {_describe(state_dict)}"
            )
        saved_name = state_dict.get("optimizer", name)
        if saved_name != name:
            raise ValueError(f"this state dict was saved by {saved_name}; it cannot be loaded into {name}")
        hyper = dict(state_dict["hyperparameters"])
        unknown = sorted(set(hyper) - set(self.hyperparameters))
        if unknown:
            raise ValueError(f"{name}.load_state_dict: unknown hyperparameters {unknown}; "
                             f"{name} has {list(self.hyperparameters)}")
        new_state = [self._checked_state(key, value) for key, value in state_dict["state"].items()]
        old = {k: getattr(self, k) for k in hyper}
        for k, v in hyper.items():
            setattr(self, k, tuple(v) if isinstance(v, list) else v)
        try:
            self._check()
        except ValueError as err:
            for k, v in old.items():
                setattr(self, k, v)
            raise CheckpointError(f"{name}.load_state_dict: the saved hyperparameters are invalid: {err}") \
                from None
        self.state = [{} for _ in self.params]
        for index, s in new_state:
            self.state[index] = s

    def __repr__(self) -> str:
        hyper = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.hyperparameters)
        return f"{type(self).__name__}({len(self.params)} parameters, {hyper})"

    # -- helpers -----------------------------------------------------------------------------------
    def _grad_array(self, i: int, p: Tensor) -> np.ndarray:
        """The gradient of ``params[i]`` as an array of the parameter's dtype and shape."""
        assert p.grad is not None
        grad = p.grad.data if isinstance(p.grad, Tensor) else np.asarray(p.grad)
        if grad.shape != p.data.shape:
            raise ValueError(
                f"{type(self).__name__}.step: parameter {i} ({_param_label(p)}) has shape "
                f"{p.data.shape} but its .grad has shape {grad.shape}; gradients must match "
                "their parameter"
            )
        return grad if grad.dtype == p.data.dtype else grad.astype(p.data.dtype)

    def _checked_state(self, key: Any, saved: Any) -> tuple[int, State]:
        """Validate one saved entry of ``state`` and return it as (index, fresh state)."""
        name = type(self).__name__
        try:
            index = int(key)
        except (TypeError, ValueError):
            raise ValueError(f"{name}.load_state_dict: state key {key!r} is not a parameter index") from None
        if not 0 <= index < len(self.params):
            raise ValueError(f"{name}.load_state_dict: state for parameter {index}, but this optimizer "
                             f"has {len(self.params)} parameters (0..{len(self.params) - 1})")
        p = self.params[index]
        out: State = {}
        for k, v in dict(saved).items():
            if k == "step":  # the number of updates so far: bias corrections divide by 1 - beta**step
                if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)) or v < 0:
                    raise CheckpointError(f"{name}.load_state_dict: parameter {index} has step={v!r}; the "
                                          "step count must be an integer >= 0 (the checkpoint is damaged)")
                out[k] = int(v)
                continue
            if k not in self.state_names:
                raise ValueError(f"{name}.load_state_dict: parameter {index} has unknown state {k!r}; "
                                 f"{name} keeps {list(self.state_names) + ['step']}")
            arr = np.array(v.data if isinstance(v, Tensor) else v, dtype=p.data.dtype)  # a copy
            if arr.shape != p.data.shape:
                raise ValueError(f"{name}.load_state_dict: state {k!r} of parameter {index} "
                                 f"({_param_label(p)}) has shape {arr.shape}, but the parameter "
                                 f"has shape {p.data.shape}")
            _check_values(name, index, p, k, arr, nonnegative=k in self.nonnegative_state)
            out[k] = arr
        return index, out


# -- validation shared by all optimizers -------------------------------------------------------------
def check_range(owner: str, name: str, value: Any, low: float | None = None, high: float | None = None,
                low_open: bool = False, high_open: bool = False) -> None:
    """Raise ``ValueError`` unless ``low <= value <= high`` (ends open where asked).

    The message names the owner, the hyperparameter, its value and the allowed range.
    """
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    ok = ok and bool(np.isfinite(value))
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        left = "any" if low is None else ("(" if low_open else "[") + f"{low:g}"
        right = "any" if high is None else f"{high:g}" + (")" if high_open else "]")
        if low is not None and high is None:
            allowed = f"> {low:g}" if low_open else f">= {low:g}"
        elif low is None and high is not None:
            allowed = f"< {high:g}" if high_open else f"<= {high:g}"
        else:
            allowed = f"in {left}, {right}"
        raise ValueError(f"{owner}: invalid {name}={value!r}; it must be a finite number {allowed}")


def _check_values(owner: str, index: int, p: Tensor, key: str, arr: np.ndarray, nonnegative: bool) -> None:
    """Refuse saved state that the next step() would turn into nan parameters."""
    where = f"{owner}.load_state_dict: state {key!r} of parameter {index} ({_param_label(p)})"
    bad = int(np.count_nonzero(~np.isfinite(arr)))
    if bad:
        raise CheckpointError(f"{where} has {bad} nan or inf entries; the next step() would spread them "
                              "into the parameter. The checkpoint is damaged: load an earlier one")
    if nonnegative and (arr < 0).any():
        raise CheckpointError(f"{where} has negative entries (the smallest is {float(arr.min())!r}), but "
                              "it is built from squared gradients and is never negative; the next step() "
                              "would take its square root (nan). The checkpoint is damaged: load an "
                              "earlier one")


def _check_params(params: Any, owner: str) -> list[Tensor]:
    """Turn ``params`` into a list of distinct leaf tensors, or say clearly what is wrong."""
    if isinstance(params, Tensor):
        raise TypeError(f"{owner} expects an iterable of tensors, got a single Tensor; "
                        "wrap it in a list: [t]")
    if isinstance(params, dict):
        raise TypeError(f"{owner} expects tensors, got a dict (a state_dict?); pass "
                        "model.parameters() or a list of tensors")
    try:
        out = list(params)
    except TypeError:
        raise TypeError(f"{owner} expects an iterable of tensors (e.g. model.parameters()), "
                        f"got {type(params).__name__}") from None
    if not out:
        raise ValueError(f"{owner} got an empty parameter list; nothing to optimize "
                         "(did the model register its layers as attributes?)")
    seen: set[int] = set()
    for i, p in enumerate(out):
        if not isinstance(p, Tensor):
            hint = " (parameter groups as dicts are not supported)" if isinstance(p, dict) else ""
            raise TypeError(f"{owner}: parameter {i} is a {type(p).__name__}, not a Tensor{hint}")
        if p.dtype.kind != "f":
            raise TypeError(f"{owner}: parameter {i} ({_param_label(p)}) has dtype {p.dtype}; "
                            "only floating-point tensors can be optimized")
        if not p.is_leaf:
            raise ValueError(f"{owner}: parameter {i} ({_param_label(p)}) is the result of an "
                             "operation, not a leaf; optimize the leaf tensors it was computed from")
        if id(p) in seen:
            raise ValueError(f"{owner}: parameter {i} ({_param_label(p)}) appears more than once; "
                             "it would be updated twice per step")
        seen.add(id(p))
    return out


def _param_label(p: Tensor) -> str:
    return repr(p.name) if p.name else f"shape {p.shape}"


def _describe(x: Any) -> str:
    return f"a dict with keys {sorted(map(str, x))}" if isinstance(x, dict) else type(x).__name__
