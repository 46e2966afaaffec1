"""``keras.utils``: the helpers Keras programs call besides models and layers."""

from __future__ import annotations

from ..random import manual_seed


def set_random_seed(seed: int) -> None:
    """Seed every random draw (weight initialisation, shuffling, dropout), as Keras' function does.

    tinygrad_edu has one generator for all of them, so this is ``tinygrad_edu.manual_seed``.
    """
    manual_seed(seed)
