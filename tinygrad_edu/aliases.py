"""Other vocabularies for Tensor methods: the names PyTorch and NumPy code uses.

Each method here only calls a Tensor method, so the core file does not grow with every
framework's spelling and "go to definition" on an alias lands one line away from the real
op.  Tensor inherits this mixin; nothing is patched in at import time.
"""

from __future__ import annotations

# Methods annotate ``self: Tensor`` (the only class that inherits this mixin); mypy cannot
# check that a mixin's self type is its subclass, hence:
# mypy: disable-error-code="misc"
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .tensor import Tensor


class TensorAliases:
    """PyTorch / NumPy spellings of Tensor methods (see each method's target)."""

    __slots__ = ()

    def requires_grad_(self: Tensor, value: bool = True) -> Tensor:
        """Set ``requires_grad`` in place and return self (PyTorch style)."""
        self.requires_grad = value
        return self

    def float(self: Tensor) -> Tensor:
        """``astype(float32)``."""
        return self.astype(np.float32)

    def double(self: Tensor) -> Tensor:
        """``astype(float64)``."""
        return self.astype(np.float64)

    def view(self: Tensor, *shape: Any) -> Tensor:
        """``reshape`` (tinygrad_edu never distinguishes views from copies)."""
        return self.reshape(*shape)

    def permute(self: Tensor, *axes: Any) -> Tensor:
        """``transpose(*axes)``: a full permutation of the axes."""
        return self.transpose(*axes)

    def expand(self: Tensor, *shape: Any) -> Tensor:
        """``broadcast_to``."""
        return self.broadcast_to(*shape)

    def expand_dims(self: Tensor, axis: int) -> Tensor:
        """``unsqueeze`` (NumPy's name)."""
        return self.unsqueeze(axis)

    def matmul(self: Tensor, other: Any) -> Tensor:
        """``self @ other``."""
        return self @ other

    def dot(self: Tensor, other: Any) -> Tensor:
        """``self @ other`` (NumPy's name)."""
        return self @ other
