"""Normalisation layers: BatchNorm1d, BatchNorm2d and LayerNorm, as torch.nn.

BatchNorm normalises each channel with the batch's statistics while training and with the
running statistics (buffers, saved in ``state_dict`` with torch's names) in eval mode;
LayerNorm normalises each sample over its last dimensions.  Both are compositions of
Tensor operations (``F.batch_norm``, ``F.layer_norm``): the engine differentiates them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..config import get_default_dtype
from ..tensor import Tensor
from . import functional as F
from .module import Module, Parameter
from .rules import GradRule, LayerRule

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm"]


# -- the layer rule's NumPy side (training mode: batch statistics over every axis but 1) -----------
def _normalised(x: np.ndarray, eps: float = 1e-5) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    axes = (0, *range(2, x.ndim))
    std = np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    return (x - x.mean(axis=axes, keepdims=True)) / std, std, axes


def _channel(v: np.ndarray, x: np.ndarray) -> np.ndarray:
    return v.reshape((1, -1) + (1,) * (x.ndim - 2))


def batchnorm_input_grad(d: np.ndarray, x: np.ndarray, W: np.ndarray | None = None) -> np.ndarray:
    """∂L/∂x = γ/σ · (δ − mean(δ) − x̂·mean(δ·x̂)): the batch statistics depend on x too."""
    xhat, std, axes = _normalised(x)
    g = d if W is None else d * _channel(W, x)
    return (g - g.mean(axis=axes, keepdims=True)
            - xhat * (g * xhat).mean(axis=axes, keepdims=True)) / std


class _BatchNorm(Module):
    """y = (x - μ) / √(σ² + eps) · weight + bias per channel (axis 1); see ``F.batch_norm``.

    ``momentum`` (0.1) moves the running statistics toward each training batch's:
    running = (1 - momentum)·running + momentum·batch (the variance unbiased, as PyTorch);
    ``num_batches_tracked`` counts the training batches.  ``affine=False`` drops weight and
    bias; ``track_running_stats=False`` uses batch statistics in eval mode too.
    """

    # Training mode (batch statistics); in eval mode the recorded ops differ and no rule is shown.
    layer_rule = LayerRule(
        forward=("{out} = ({x} − μ)/√(σ² + ε)·{W} + {b}   (μ, σ²: the batch's, per channel)",),
        grads=(GradRule("W", "∂L/∂{W} = Σ over n, h, w of δ·x̂   (x̂ = ({x} − μ)/√(σ² + ε))",
                        lambda d, x, **_: (d * _normalised(x)[0]).sum(axis=_normalised(x)[2])),
               GradRule("b", "∂L/∂{b} = Σ over n, h, w of δ",
                        lambda d, x, **_: d.sum(axis=_normalised(x)[2])),
               GradRule("x", "∂L/∂{x} = {W}/√(σ² + ε)·(δ − mean(δ) − x̂·mean(δ·x̂))",
                        lambda d, x, W=None, **_: batchnorm_input_grad(d, x, W))),
        params=(("W", "weight"), ("b", "bias")),
        ops=(("Sum", "Mul", "Neg", "BroadcastTo", "Add", "Mul", "Sum", "Mul", "Add", "PowConst",
              "BroadcastTo", "Mul", "Reshape", "BroadcastTo", "Mul", "Reshape", "BroadcastTo", "Add"),),
    )
    expected_ndim: tuple[int, ...] = ()
    # Buffers (register_buffer), present when track_running_stats is True.
    running_mean: Tensor
    running_var: Tensor
    num_batches_tracked: Tensor

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 affine: bool = True, track_running_stats: bool = True, dtype: Any = None) -> None:
        super().__init__()
        who = type(self).__name__
        if isinstance(num_features, bool) or not isinstance(num_features, (int, np.integer)) \
                or num_features <= 0:
            raise ValueError(f"{who}: num_features must be a positive integer, got {num_features!r}")
        if not 0.0 <= momentum <= 1.0 or eps <= 0:
            raise ValueError(f"{who}: momentum must be in [0, 1] and eps positive, got "
                             f"momentum={momentum!r}, eps={eps!r}")
        self.num_features, self.eps, self.momentum = int(num_features), float(eps), float(momentum)
        self.affine, self.track_running_stats = bool(affine), bool(track_running_stats)
        dtype = np.dtype(dtype or get_default_dtype())
        self.weight = Parameter(np.ones(self.num_features, dtype=dtype)) if affine else None
        self.bias = Parameter(np.zeros(self.num_features, dtype=dtype)) if affine else None
        if self.track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(self.num_features, dtype=dtype)))
            self.register_buffer("running_var", Tensor(np.ones(self.num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches tracked."""
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0

    def forward(self, x: Any) -> Tensor:
        x = x if isinstance(x, Tensor) else F.as_tensor(x)
        who = type(self).__name__
        if x.ndim not in self.expected_ndim or x.shape[1] != self.num_features:
            raise ValueError(
                f"{who}({self.num_features}) expects input of shape "
                f"{' or '.join(self._shapes())}, got {x.shape}")
        use_batch = self.training or not self.track_running_stats
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data[...] += 1
        tracked = self.track_running_stats
        return F.batch_norm(x, self.running_mean if tracked else None,
                            self.running_var if tracked else None, self.weight, self.bias,
                            training=use_batch, momentum=self.momentum, eps=self.eps)

    def _shapes(self) -> list[str]:
        rest = {2: "", 3: ", L", 4: ", H, W"}
        return [f"(N, {self.num_features}{rest[n]})" for n in self.expected_ndim]

    def short_repr(self) -> str:
        return f"{type(self).__name__}({self.num_features})"

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) inputs, per feature C."""

    expected_ndim = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) images, per channel C (statistics over N, H, W)."""

    expected_ndim = (4,)


class LayerNorm(Module):
    """y = (x - μ) / √(σ² + eps) · weight + bias, μ and σ² over the last dimensions (one sample).

    ``normalized_shape`` is those dimensions' sizes; ``elementwise_affine=True`` gives a weight
    (ones) and a bias (zeros) of that shape, ``bias=False`` keeps only the weight, as PyTorch.
    """

    def __init__(self, normalized_shape: Any, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, dtype: Any = None) -> None:
        super().__init__()
        shape = tuple(normalized_shape) if isinstance(normalized_shape, (tuple, list)) \
            else (normalized_shape,)
        if not shape or not all(isinstance(n, (int, np.integer)) and n > 0 for n in shape):
            raise ValueError(f"LayerNorm: normalized_shape must be positive sizes, got "
                             f"{normalized_shape!r}")
        self.normalized_shape = tuple(int(n) for n in shape)
        self.eps, self.elementwise_affine = float(eps), bool(elementwise_affine)
        dtype = np.dtype(dtype or get_default_dtype())
        affine = self.elementwise_affine
        self.weight = Parameter(np.ones(self.normalized_shape, dtype=dtype)) if affine else None
        self.bias = Parameter(np.zeros(self.normalized_shape, dtype=dtype)) \
            if affine and bias else None

    def forward(self, x: Any) -> Tensor:
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")
