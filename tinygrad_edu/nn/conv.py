"""Convolution and pooling layers: Conv2d, MaxPool2d, AvgPool2d (NCHW, as torch.nn).

Each holds its settings (and Conv2d its weight and bias, laid out and initialised as
PyTorch's, so a ``state_dict`` matches ``torch.nn``) and calls one function of
``functional_cnn.py``.  The ``layer_rule`` beside each class is what the layer view prints;
its NumPy side (below) is checked against the engine by tests/test_layer_view_rules.py.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..config import get_default_dtype
from ..tensor import Tensor
from . import functional as F
from . import init as init_
from .functional_cnn import _pair, check_named_padding
from .module import Module, Parameter
from .rules import GradRule, LayerRule

__all__ = ["Conv2d", "MaxPool2d", "AvgPool2d"]


# -- the rules' NumPy side: each gradient written as the convolution it is ----------------------
def _correlate(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    """out[n, o, h, w] = Σ_{c,i,j} k[o, c, i, j] · x[n, c, h + i, w + j] (stride 1, no padding)."""
    windows = np.lib.stride_tricks.sliding_window_view(x, k.shape[2:], axis=(2, 3))
    return np.einsum("nchwij,ocij->nohw", windows, k)


def _pad_hw(x: np.ndarray, p: int) -> np.ndarray:
    return np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))


def _same_padding(x: np.ndarray, d: np.ndarray, W: np.ndarray) -> int:
    """The padding of a stride-1 call, read off the shapes: OH = H + 2p - kh + 1."""
    return (d.shape[2] - x.shape[2] + W.shape[2] - 1) // 2


def conv_weight_grad(d: np.ndarray, x: np.ndarray, W: np.ndarray) -> np.ndarray:
    """∂L/∂W[o, c, i, j] = Σ_{n,h,w} xpad[n, c, h + i, w + j] · δ[n, o, h, w]: x ⋆ δ."""
    xpad = _pad_hw(x, _same_padding(x, d, W))
    return _correlate(xpad.transpose(1, 0, 2, 3), d.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)


def conv_input_grad(d: np.ndarray, x: np.ndarray, W: np.ndarray) -> np.ndarray:
    """∂L/∂x = δ, padded by k - 1, correlated with the flipped kernel; the padding is cut off."""
    p, k = _same_padding(x, d, W), W.shape[2]
    full = _correlate(_pad_hw(d, k - 1), W[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))
    return full[:, :, p:p + x.shape[2], p:p + x.shape[3]]


def _spread(d: np.ndarray, x: np.ndarray) -> np.ndarray:
    """δ of each non-overlapping window copied to all the window's inputs (0 where none)."""
    kh, kw = x.shape[2] // d.shape[2], x.shape[3] // d.shape[3]
    up = np.repeat(np.repeat(d, kh, axis=2), kw, axis=3)
    out = np.zeros_like(x)
    out[:, :, :up.shape[2], :up.shape[3]] = up
    return out


def _window_size(d: np.ndarray, x: np.ndarray) -> int:
    """kh·kw of windows that tile the input (read off the shapes)."""
    return (x.shape[2] // d.shape[2]) * (x.shape[3] // d.shape[3])


def maxpool_input_grad(d: np.ndarray, x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """δ goes to the input that was each window's maximum: [x = max of its window]·δ."""
    return _spread(d, x) * (x == _spread(out, x))


def _settings(nodes: Any, **wanted: Any) -> bool:
    """Whether the call's Im2col node has the given options (the rules assume them)."""
    im2col = [n for n in nodes if n.name == "Im2col"]
    return len(im2col) == 1 and all(im2col[0].options[k] == v for k, v in wanted.items())


def _unit_conv(nodes: Any, roles: dict[str, Tensor]) -> bool:
    """Stride 1, dilation 1, one group, square kernel and symmetric padding."""
    W, x = roles.get("W"), roles.get("x")
    return (W is not None and x is not None and x.ndim == 4 and W.shape[1] == x.shape[1]
            and W.shape[2] == W.shape[3] and len(set(nodes[0].options["padding"])) == 1
            and _settings(nodes, stride=(1, 1), dilation=(1, 1)))


def _patch_matrix(nodes: Any, roles: dict[str, Tensor]) -> bool:
    """The input is the (N·OH·OW, C·kh·kw) patch matrix of one group."""
    W, x = roles.get("W"), roles.get("x")
    return W is not None and x is not None and x.ndim == 2 and x.shape[1] == W[0].size


def patches_weight_grad(d: np.ndarray, x: np.ndarray, W: np.ndarray) -> np.ndarray:
    """∂L/∂W = δᵀ·P with δ as one row per output position (N·OH·OW, O), P the patch matrix."""
    return (d.transpose(0, 2, 3, 1).reshape(-1, W.shape[0]).T @ x).reshape(W.shape)


# What conv2d records after the patches (one group): W reshaped and transposed, the matmul,
# the bias (or none), the result put back to (N, OH, OW, O) and then channels first.
_CONV_MATMUL = ("Reshape", "Transpose", "MatMul")
_CONV_BIAS = (("BroadcastTo", "Add"), ())
_CONV_NCHW = ("Reshape", "Transpose")


def _tiling_pool(nodes: Any, roles: dict[str, Tensor]) -> bool:
    """Windows that tile the input: stride = kernel, no padding or dilation."""
    im2col = [n for n in nodes if n.name == "Im2col"]
    return bool(im2col) and _settings(nodes, stride=im2col[0].options["kernel_size"],
                                      padding=(0, 0), dilation=(1, 1))


class Conv2d(Module):
    """2-D convolution layer: out = W ⋆ x + b, W of shape (out_channels, in_channels/groups, kh, kw).

    Arguments, defaults and initialisation are PyTorch's: W and b ~ U(-1/√fan_in, 1/√fan_in)
    with fan_in = in_channels/groups · kh · kw (``kaiming_uniform_(a=√5)``).  Only
    ``padding_mode='zeros'`` is supported.
    """

    layer_rule = LayerRule(
        forward=("{out} = {W} ⋆ {x} + {b}   (a matmul on patches: {W}·im2col({x}))",),
        grads=(GradRule("W", "∂L/∂{W} = {x} ⋆ δ   (the input convolved with the upstream gradient)",
                        lambda d, x, W, **_: conv_weight_grad(d, x, W)),
               GradRule("b", "∂L/∂{b} = Σ over n, h, w of δ", lambda d, **_: d.sum(axis=(0, 2, 3))),
               GradRule("x", "∂L/∂{x} = δ ⋆ flip({W})   (a full convolution: col2im({W}ᵀ·δ))",
                        lambda d, x, W, **_: conv_input_grad(d, x, W))),
        params=(("W", "weight"), ("b", "bias")),
        ops=tuple(("Im2col", "Reshape") + _CONV_MATMUL + bias + _CONV_NCHW for bias in _CONV_BIAS),
        applies=_unit_conv,
        # On data (the first layer) im2col is not recorded: the layer sees a constant patch
        # matrix, one row per output pixel, and its rule is the Linear rule on those rows.
        data_input=LayerRule(
            forward=("{out} = {x}·{W}ᵀ + {b}   ({x}: the image's patches, one row per output pixel)",),
            grads=(GradRule("W", "∂L/∂{W} = δᵀ·{x}   (the input convolved with the upstream gradient)",
                            lambda d, x, W, **_: patches_weight_grad(d, x, W)),
                   GradRule("b", "∂L/∂{b} = Σ over n, h, w of δ", lambda d, **_: d.sum(axis=(0, 2, 3)))),
            params=(("W", "weight"), ("b", "bias")),
            ops=tuple(_CONV_MATMUL + bias + _CONV_NCHW for bias in _CONV_BIAS),
            applies=_patch_matrix,
        ),
    )

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", rng: np.random.Generator | None = None,
                 dtype: Any = None) -> None:
        super().__init__()
        for what, n in (("in_channels", in_channels), ("out_channels", out_channels),
                        ("groups", groups)):
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
                raise ValueError(f"Conv2d: {what} must be a positive integer, got {n!r}")
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"Conv2d: in_channels ({in_channels}) and out_channels "
                             f"({out_channels}) must both be divisible by groups ({groups})")
        if padding_mode != "zeros":
            raise ValueError(f"Conv2d: only padding_mode='zeros' is supported, got {padding_mode!r}")
        self.in_channels, self.out_channels, self.groups = int(in_channels), int(out_channels), int(groups)
        self.kernel_size = _pair(kernel_size, "Conv2d", "kernel_size", 1)
        self.stride = _pair(stride, "Conv2d", "stride", 1)
        if isinstance(padding, str):  # "valid" or "same", kept as the string (as PyTorch)
            check_named_padding(padding, stride, "Conv2d")
            self.padding: Any = padding
        else:
            self.padding = _pair(padding, "Conv2d", "padding", 0)
        self.dilation = _pair(dilation, "Conv2d", "dilation", 1)
        dtype = np.dtype(dtype or get_default_dtype())
        shape = (self.out_channels, self.in_channels // self.groups, *self.kernel_size)
        self.weight = Parameter(np.zeros(shape, dtype=dtype))
        self.bias = Parameter(np.zeros(self.out_channels, dtype=dtype)) if bias else None
        self.reset_parameters(rng)

    def reset_parameters(self, rng: np.random.Generator | None = None) -> None:
        """PyTorch's default: W ~ kaiming_uniform_(a=√5) = U(±1/√fan_in), b ~ U(±1/√fan_in)."""
        init_.kaiming_uniform_(self.weight, a=math.sqrt(5), rng=rng)
        if self.bias is not None:
            bound = 1.0 / math.sqrt(math.prod(self.weight.shape[1:]))
            init_.uniform_(self.bias, -bound, bound, rng=rng)

    def forward(self, x: Any) -> Tensor:
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups)

    def short_repr(self) -> str:
        kh, kw = self.kernel_size
        return f"Conv2d({self.in_channels}→{self.out_channels}, {kh}×{kw})"

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding not in ((0, 0), "valid"):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text + ("" if self.bias is not None else ", bias=False")


class _Pool2d(Module):
    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        who = type(self).__name__
        self.kernel_size = _pair(kernel_size, who, "kernel_size", 1)
        self.stride = self.kernel_size if stride is None else _pair(stride, who, "stride", 1)
        self.padding = _pair(padding, who, "padding", 0)

    def short_repr(self) -> str:
        kh, kw = self.kernel_size
        return f"{type(self).__name__}({kh}×{kw})"

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """out = the maximum of each kernel_size window (stride defaults to kernel_size), as torch.nn."""

    layer_rule = LayerRule(
        forward=("{out} = max of each window of {x}",),
        grads=(GradRule("x", "∂L/∂{x} = δ routed to each window's maximum (0 elsewhere)",
                        lambda d, x, out, **_: maxpool_input_grad(d, x, out)),),
        ops=(("Im2col", "Reshape", "Max", "Transpose"),),
        x_ndim=4, applies=_tiling_pool,
    )

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 dilation: Any = 1) -> None:
        super().__init__(kernel_size, stride, padding)
        self.dilation = _pair(dilation, "MaxPool2d", "dilation", 1)

    def forward(self, x: Any) -> Tensor:
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation)


class AvgPool2d(_Pool2d):
    """out = the mean of each kernel_size window (stride defaults to kernel_size), as torch.nn."""

    layer_rule = LayerRule(
        forward=("{out} = mean of each window of {x}",),
        grads=(GradRule("x", "∂L/∂{x} = δ / (kh·kw) spread over each window",
                        lambda d, x, **_: _spread(d, x) / _window_size(d, x)),),
        ops=(("Im2col", "Reshape", "Sum", "Mul", "Transpose"),),
        x_ndim=4, applies=_tiling_pool,
    )

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 count_include_pad: bool = True) -> None:
        super().__init__(kernel_size, stride, padding)
        self.count_include_pad = bool(count_include_pad)

    def forward(self, x: Any) -> Tensor:
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding,
                            count_include_pad=self.count_include_pad)
