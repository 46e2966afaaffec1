"""Argument checks for the Keras front end: ``layers``, ``model`` and ``callbacks`` call these
where an argument is passed, so ``Dense(True)`` or ``fit(epochs=2.5)`` fails at once with a
message naming the argument, its value and what to pass -- not later, inside NumPy.
Float hyperparameters use ``optim``'s ``check_range``, the check the optimizers themselves use.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def check_int(owner: str, name: str, value: Any, minimum: int) -> int:
    """``value`` as an int; ``ValueError`` unless it is an integer >= ``minimum`` (bools refused)."""
    # bool is a subclass of int: without this, Dense(True) would be a layer of one unit.
    is_bool = isinstance(value, (bool, np.bool_))
    if is_bool or not isinstance(value, (int, np.integer)) or value < minimum:
        kind = " (a bool, not a number)" if is_bool else ""
        raise ValueError(f"{owner}: {name} must be an integer >= {minimum}, got {value!r}{kind}")
    return int(value)


def check_bool(owner: str, name: str, value: Any) -> bool:
    """``value`` as a bool; ``TypeError`` unless it is True or False (a string is always truthy)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{owner}: {name} must be True or False, got {value!r}")
    return bool(value)


def check_shape(owner: str, name: str, value: Any) -> tuple[int, ...]:
    """A shape without the batch dimension, e.g. ``(4,)``: a tuple or list of positive integers."""
    if not isinstance(value, (tuple, list)) or not value:
        raise TypeError(f"{owner}: {name} must be a tuple of sizes without the batch dimension, "
                        f"e.g. {name}=(4,) for 4 features, got {value!r}")
    return tuple(check_int(owner, f"{name}[{i}]", n, 1) for i, n in enumerate(value))
