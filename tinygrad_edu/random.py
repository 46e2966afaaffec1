"""The one random number generator behind every random draw in tinygrad_edu.

``randn``, ``rand``, weight initialisers, dropout and shuffling all draw from ``generator()``
unless they are handed their own ``np.random.Generator``; ``manual_seed`` resets it, so the
same seed gives the same numbers.  Like PyTorch, a fresh process starts from a fixed seed.
"""

from __future__ import annotations

import numpy as np

DEFAULT_SEED = 0
_state = {"rng": np.random.default_rng(DEFAULT_SEED)}


def manual_seed(seed: int) -> np.random.Generator:
    """Reset the global generator so that every later draw is reproducible; returns it."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"manual_seed expects a non-negative integer, got {seed!r}")
    _state["rng"] = np.random.default_rng(int(seed))
    return _state["rng"]


def generator(rng: np.random.Generator | None = None) -> np.random.Generator:
    """Return ``rng`` when given, otherwise the global generator."""
    if rng is None:
        return _state["rng"]
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"expected a np.random.Generator (np.random.default_rng(seed)), got {type(rng).__name__}"
        )
    return rng
