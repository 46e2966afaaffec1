"""Keras-style image layers: ``Conv2D``, ``MaxPooling2D``, ``AveragePooling2D``, ``BatchNormalization``.

Channels-last, as Keras: images are (batch, height, width, channels) and a Conv2D kernel is
(kh, kw, in_channels, filters).  Each layer moves the channels to axis 1, calls the same
``nn.functional`` function the PyTorch-style layers call, and moves them back -- one engine,
two vocabularies.  ``padding="same"`` pads as TensorFlow does (the odd pixel at the bottom/right).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..config import get_default_dtype
from ..nn import functional as F
from ..nn.functional_cnn import _pair, lowest
from ..tensor import Tensor
from .checks import check_bool, check_int
from .layer import Layer
from .layers import _activation, _initialize

__all__: list[str] = ["Conv2D", "MaxPooling2D", "AveragePooling2D", "BatchNormalization"]


def _to_nchw(x: Tensor, who: str) -> Tensor:
    if x.ndim != 4:
        raise ValueError(f"{who}: expected a 4-D input (batch, height, width, channels), got shape "
                         f"{x.shape}; Keras image layers are channels-last")
    return x.permute(0, 3, 1, 2)


def _padding_mode(who: str, padding: str) -> str:
    if padding not in ("valid", "same"):
        raise ValueError(f"{who}: padding must be 'valid' or 'same', got {padding!r}")
    return padding


def _same_pads(size: tuple[int, ...], kernel: tuple[int, int], stride: tuple[int, int],
               dilation: tuple[int, int]) -> tuple[int, int, int, int]:
    """TensorFlow's "same": out = ⌈n / s⌉; the total padding splits with the extra one after.

    Returned in F.pad's order: (left, right, top, bottom).
    """
    pads = []
    for n, k, s, d in zip(size, kernel, stride, dilation):
        total = max((math.ceil(n / s) - 1) * s + d * (k - 1) + 1 - n, 0)
        pads.append((total // 2, total - total // 2))
    (top, bottom), (left, right) = pads
    return left, right, top, bottom


class Conv2D(Layer):
    """out = activation(conv(x, kernel) + bias) on (batch, h, w, channels) images.

    ``kernel`` has shape (kh, kw, in_channels, filters) and starts Glorot uniform, with
    fan_in = kh·kw·in_channels and fan_out = kh·kw·filters; ``bias`` starts at zeros -- as
    Keras.  Built at the first call unless ``input_shape`` is given.
    """

    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1), padding: str = "valid",
                 dilation_rate: Any = (1, 1), groups: int = 1, activation: str | Callable | None = None,
                 use_bias: bool = True, kernel_initializer: str | Callable = "glorot_uniform",
                 bias_initializer: str | Callable = "zeros", name: str | None = None,
                 input_shape: tuple[int, ...] | None = None, trainable: bool = True) -> None:
        super().__init__(name=name, input_shape=input_shape, trainable=trainable)
        self.filters = check_int("Conv2D", "filters", filters, 1)
        self.groups = check_int("Conv2D", "groups", groups, 1)
        self.kernel_size = _pair(kernel_size, "Conv2D", "kernel_size", 1)
        self.strides = _pair(strides, "Conv2D", "strides", 1)
        self.dilation_rate = _pair(dilation_rate, "Conv2D", "dilation_rate", 1)
        self.padding = _padding_mode("Conv2D", padding)
        self.activation_name, self.activation = _activation(activation)
        self.use_bias = check_bool("Conv2D", "use_bias", use_bias)
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel: Tensor | None = None
        self.bias: Tensor | None = None
        if self.input_shape is not None:
            self.build(self.input_shape[-1])

    def build(self, in_channels: int) -> None:
        """Create kernel (kh, kw, in/groups, filters) and bias once the channels are known."""
        if in_channels % self.groups or self.filters % self.groups:
            raise ValueError(f"Conv2D: input channels ({in_channels}) and filters ({self.filters}) "
                             f"must both be divisible by groups ({self.groups})")
        dtype = get_default_dtype()
        kh, kw = self.kernel_size
        shape = (kh, kw, in_channels // self.groups, self.filters)
        fans = (kh * kw * shape[2], kh * kw * self.filters)
        kernel = Tensor(np.zeros(shape, dtype=dtype), requires_grad=True)
        _initialize(self.kernel_initializer, kernel, *fans)
        self.kernel = kernel
        if self.use_bias:
            bias = Tensor(np.zeros(self.filters, dtype=dtype), requires_grad=True)
            _initialize(self.bias_initializer, bias, *fans)
            self.bias = bias
        self.apply_trainable()

    def forward(self, x: Tensor) -> Tensor:
        if self.kernel is None:
            if x.ndim != 4:
                _to_nchw(x, "Conv2D")  # the error names the shape
            self.build(x.shape[-1])
        assert self.kernel is not None
        if x.ndim == 4 and x.shape[-1] != self.kernel.shape[2] * self.groups:
            raise ValueError(f"Conv2D({self.filters}) expects {self.kernel.shape[2] * self.groups} "
                             f"input channels (the last axis), got input of shape {x.shape}")
        if x.dtype != self.kernel.dtype:
            x = x.astype(self.kernel.dtype)
        images = _to_nchw(x, "Conv2D")
        padding: Any = 0
        if self.padding == "same":
            images = F.pad(images, _same_pads(images.shape[2:], self.kernel_size, self.strides,
                                              self.dilation_rate))
        weight = self.kernel.permute(3, 2, 0, 1)  # Keras (kh, kw, in, out) -> torch (out, in, kh, kw)
        out = F.conv2d(images, weight, self.bias, self.strides, padding, self.dilation_rate,
                       self.groups)
        return self.activation(out.permute(0, 2, 3, 1))

    def extra_repr(self) -> str:
        return (f"filters={self.filters}, kernel_size={self.kernel_size}, strides={self.strides}, "
                f"padding={self.padding!r}, activation={self.activation_name!r}")

    def short_repr(self) -> str:
        kh, kw = self.kernel_size
        return f"Conv2D({self.filters}, {kh}×{kw}, {self.activation_name})"


class _Pooling2D(Layer):
    def __init__(self, pool_size: Any = (2, 2), strides: Any = None, padding: str = "valid",
                 name: str | None = None, input_shape: tuple[int, ...] | None = None,
                 trainable: bool = True) -> None:
        super().__init__(name=name, input_shape=input_shape, trainable=trainable)
        who = type(self).__name__
        self.pool_size = _pair(pool_size, who, "pool_size", 1)
        self.strides = self.pool_size if strides is None else _pair(strides, who, "strides", 1)
        self.padding = _padding_mode(who, padding)

    def forward(self, x: Tensor) -> Tensor:
        images = _to_nchw(x, type(self).__name__)
        pads = (0, 0, 0, 0)
        if self.padding == "same":
            pads = _same_pads(images.shape[2:], self.pool_size, self.strides, (1, 1))
        return self.pool(images, pads).permute(0, 2, 3, 1)

    def pool(self, images: Tensor, pads: tuple[int, int, int, int]) -> Tensor:
        raise NotImplementedError

    def extra_repr(self) -> str:
        return f"pool_size={self.pool_size}, strides={self.strides}, padding={self.padding!r}"


class MaxPooling2D(_Pooling2D):
    """The maximum of each pool_size window (strides default to pool_size), channels-last."""

    def pool(self, images: Tensor, pads: tuple[int, int, int, int]) -> Tensor:
        if any(pads):  # "same": the padding never wins a max
            images = F.pad(images, pads, value=lowest(images.dtype))
        return F.max_pool2d(images, self.pool_size, self.strides)


class AveragePooling2D(_Pooling2D):
    """The mean of each pool_size window (strides default to pool_size), channels-last.

    With ``padding="same"`` a border window is divided by the inputs it really covers (Keras).
    """

    def pool(self, images: Tensor, pads: tuple[int, int, int, int]) -> Tensor:
        if not any(pads):
            return F.avg_pool2d(images, self.pool_size, self.strides)
        summed = F.avg_pool2d(F.pad(images, pads), self.pool_size, self.strides)
        ones = np.ones((1, 1, *images.shape[2:]), dtype=images.dtype)
        covered = F.avg_pool2d(F.pad(Tensor(ones), pads), self.pool_size, self.strides)
        return summed * Tensor(1.0 / covered.data)


class BatchNormalization(Layer):
    """y = (x - mean) / √(var + epsilon) · gamma + beta over the last axis (the channels).

    In training (inside ``fit``) the batch's statistics are used and the moving ones follow:
    moving = momentum·moving + (1 - momentum)·batch, with the batch's *biased* variance --
    Keras' convention (momentum 0.99, epsilon 1e-3), not PyTorch's.  Only ``axis=-1``.
    """

    def __init__(self, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True, name: str | None = None,
                 input_shape: tuple[int, ...] | None = None, trainable: bool = True) -> None:
        super().__init__(name=name, input_shape=input_shape, trainable=trainable)
        if axis != -1:
            raise ValueError(f"BatchNormalization: only axis=-1 (channels-last) is supported, got {axis!r}")
        if not 0.0 <= momentum <= 1.0 or epsilon <= 0:
            raise ValueError(f"BatchNormalization: momentum must be in [0, 1] and epsilon positive, "
                             f"got momentum={momentum!r}, epsilon={epsilon!r}")
        self.axis, self.momentum, self.epsilon = axis, float(momentum), float(epsilon)
        self.center = check_bool("BatchNormalization", "center", center)
        self.scale = check_bool("BatchNormalization", "scale", scale)
        self.gamma: Tensor | None = None
        self.beta: Tensor | None = None
        if self.input_shape is not None:
            self.build(self.input_shape[-1])

    @property
    def built(self) -> bool:
        return "moving_mean" in self._buffers

    # As Keras: the moving statistics are weights too, non-trainable ones (in get_weights order).
    @property
    def weights(self) -> list[Tensor]:
        return [*self.parameters(), *self._buffers.values()]

    @property
    def non_trainable_weights(self) -> list[Tensor]:
        return [w for w in self.weights if not w.requires_grad]

    def get_weights(self) -> list[np.ndarray]:
        """gamma, beta, moving_mean, moving_variance (copies), as Keras."""
        return [w.data.copy() for w in self.weights]

    def build(self, channels: int) -> None:
        """gamma (ones), beta (zeros), moving_mean (zeros) and moving_variance (ones)."""
        dtype = get_default_dtype()
        if self.scale:
            self.gamma = Tensor(np.ones(channels, dtype=dtype), requires_grad=True)
        if self.center:
            self.beta = Tensor(np.zeros(channels, dtype=dtype), requires_grad=True)
        self.register_buffer("moving_mean", Tensor(np.zeros(channels, dtype=dtype)))
        self.register_buffer("moving_variance", Tensor(np.ones(channels, dtype=dtype)))
        self.apply_trainable()

    def forward(self, x: Tensor, training: bool = False) -> Tensor:
        if not self.built:
            self.build(x.shape[-1])
        moving_mean, moving_var = self._buffers["moving_mean"], self._buffers["moving_variance"]
        if x.shape[-1] != moving_mean.shape[0]:
            raise ValueError(f"BatchNormalization expects {moving_mean.shape[0]} channels on the "
                             f"last axis, got input of shape {x.shape}")
        channels_first = x.permute(0, x.ndim - 1, *range(1, x.ndim - 1)) if x.ndim > 2 else x
        out = F.batch_norm(channels_first, None, None, self.gamma, self.beta, training=True,
                           eps=self.epsilon) if training else None
        if training:
            axes = tuple(i for i in range(x.ndim - 1))
            m = self.momentum
            moving_mean.data[...] = m * moving_mean.data + (1 - m) * x.data.mean(axis=axes)
            moving_var.data[...] = m * moving_var.data + (1 - m) * x.data.var(axis=axes)
        else:
            out = F.batch_norm(channels_first, moving_mean, moving_var, self.gamma, self.beta,
                               training=False, eps=self.epsilon)
        assert out is not None
        return out.permute(0, *range(2, x.ndim), 1) if x.ndim > 2 else out

    def output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return input_shape
