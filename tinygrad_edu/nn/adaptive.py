"""Adaptive pooling and channel dropout: the CNN pieces PyTorch models add after the basics.

``AdaptiveAvgPool2d((1, 1))`` (global average pooling) ends most modern CNNs, and
``Dropout2d`` drops whole feature maps.  Both are compositions of ops that exist already --
pooling, slicing, a mean or max, a product with a mask -- so neither has gradient code.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..creation import stack
from ..tensor import Tensor
from . import functional as F  # (imported while functional.py loads: used at call time)
from .functional_cnn import _as_float, _check_nchw, avg_pool2d, max_pool2d
from .module import Module


def _output_size(output_size: Any, size: tuple[int, int], who: str) -> tuple[int, int]:
    """An int or (h, w) pair; ``None`` in the pair keeps that input size (as PyTorch)."""
    pair = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,) * 2
    if len(pair) != 2 or not all(
            n is None or (isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 1)
            for n in pair):
        raise ValueError(f"{who}: output_size must be a positive integer or a pair of them "
                         f"(None keeps the input's size), got {output_size!r}")
    return tuple(size[i] if n is None else int(n) for i, n in enumerate(pair))  # type: ignore[return-value]


def _adaptive(x: Any, output_size: Any, reduce: str, who: str) -> Tensor:
    """Cell (i, j) pools rows ⌊i·H/oh⌋ .. ⌈(i+1)·H/oh⌉ and the columns likewise (PyTorch's cells).

    When the sizes divide, the cells are a plain pooling with kernel = stride = H/oh; otherwise
    each cell is sliced and reduced on its own, and the cells are stacked back.
    """
    x = _as_float(x)
    _check_nchw(x, who)
    (h, w), (oh, ow) = x.shape[2:], _output_size(output_size, x.shape[2:], who)
    if h % oh == 0 and w % ow == 0:
        kernel = (h // oh, w // ow)
        pool = max_pool2d if reduce == "max" else avg_pool2d
        return pool(x, kernel, kernel)
    rows = []
    for i in range(oh):
        top, bottom = (i * h) // oh, math.ceil((i + 1) * h / oh)
        cells = []
        for j in range(ow):
            left, right = (j * w) // ow, math.ceil((j + 1) * w / ow)
            cell = x[:, :, top:bottom, left:right]
            cells.append(cell.max(axis=(2, 3)) if reduce == "max" else cell.mean(axis=(2, 3)))
        rows.append(stack(cells, axis=-1))
    return stack(rows, axis=-2)


def adaptive_avg_pool2d(input: Any, output_size: Any) -> Tensor:
    """The mean of each of oh×ow cells that tile the image, as ``F.adaptive_avg_pool2d``."""
    return _adaptive(input, output_size, "mean", "adaptive_avg_pool2d")


def adaptive_max_pool2d(input: Any, output_size: Any) -> Tensor:
    """The maximum of each of oh×ow cells that tile the image, as ``F.adaptive_max_pool2d``."""
    return _adaptive(input, output_size, "max", "adaptive_max_pool2d")


def dropout2d(input: Any, p: float = 0.5, training: bool = True,
              rng: np.random.Generator | None = None) -> Tensor:
    """Channel dropout: y[n, c] = x[n, c] · m[n, c] / (1 - p), one m ~ Bernoulli(1 - p) per map.

    Neighbouring pixels of one feature map are strongly correlated, so dropping single pixels
    regularises little; dropping whole maps does (Tompson et al. 2015, PyTorch's Dropout2d).
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout2d: p must be a probability in [0, 1], got {p}")
    x = _as_float(input)
    if x.ndim not in (3, 4):
        raise ValueError(f"dropout2d: expected (N, C, H, W) or (C, H, W), got shape {x.shape}")
    if not training or p == 0.0:
        return x
    maps = x.shape[:-2] + (1, 1)  # one draw per (sample, channel), broadcast over the pixels
    return F.inverted_dropout(x, p, maps, rng)


class _AdaptivePool2d(Module):
    def __init__(self, output_size: Any) -> None:
        super().__init__()
        _output_size(output_size, (1, 1), type(self).__name__)  # checked now, not at the first call
        self.output_size = output_size

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(_AdaptivePool2d):
    """out = the mean of each of output_size cells; ``AdaptiveAvgPool2d(1)`` is global average pooling."""

    def forward(self, x: Any) -> Tensor:
        return adaptive_avg_pool2d(x, self.output_size)


class AdaptiveMaxPool2d(_AdaptivePool2d):
    """out = the maximum of each of output_size cells that tile the image, as torch.nn."""

    def forward(self, x: Any) -> Tensor:
        return adaptive_max_pool2d(x, self.output_size)


class Dropout2d(Module):
    """Drops whole feature maps with probability ``p`` in training (``dropout2d``); eval passes through."""

    def __init__(self, p: float = 0.5, rng: np.random.Generator | None = None) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout2d: p must be a probability in [0, 1], got {p}")
        self.p, self.rng = float(p), rng

    def forward(self, x: Any) -> Tensor:
        return dropout2d(x, self.p, training=self.training, rng=self.rng)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Unflatten(Module):
    """Split dimension ``dim`` into ``unflattened_size``: (N, 64) -> (N, 1, 8, 8), as torch.nn."""

    def __init__(self, dim: int, unflattened_size: Any) -> None:
        super().__init__()
        self.dim, self.unflattened_size = int(dim), tuple(unflattened_size)

    def forward(self, x: Any) -> Tensor:
        x = _as_float(x) if not isinstance(x, Tensor) else x
        dim = self.dim % x.ndim
        if math.prod(self.unflattened_size) != x.shape[dim] and -1 not in self.unflattened_size:
            raise ValueError(f"Unflatten: size {x.shape[dim]} of dimension {self.dim} (input shape "
                             f"{x.shape}) cannot become {self.unflattened_size}")
        return x.reshape(*x.shape[:dim], *self.unflattened_size, *x.shape[dim + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


__all__ = ["adaptive_avg_pool2d", "adaptive_max_pool2d", "dropout2d", "AdaptiveAvgPool2d",
           "AdaptiveMaxPool2d", "Dropout2d", "Unflatten"]
