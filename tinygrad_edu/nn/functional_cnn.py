"""The functional forms of the CNN layers: conv2d, pooling, pad, batch_norm, layer_norm.

Re-exported by ``nn.functional`` (``F.conv2d`` ...), with PyTorch's argument names and
defaults.  Each is a composition: ``Im2col`` / ``Pad`` (ops/conv.py) cut the patches, and a
matmul, max or mean does the rest, so the engine differentiates everything (twice, too).
Shapes are checked first so that a wrong input fails here, naming the shapes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..config import get_default_dtype, no_grad
from ..ops.conv import Im2col, Pad, im2col_array, output_size
from ..tensor import Tensor


def _as_float(x: Any) -> Tensor:
    if not isinstance(x, Tensor):
        x = Tensor(np.asarray(x, dtype=get_default_dtype()))
    return x if x.dtype.kind == "f" else x.astype(get_default_dtype())


def _pair(value: Any, who: str, what: str, low: int) -> tuple[int, int]:
    """An int or a pair of ints (height, width), each at least ``low``."""
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                                 and v >= low for v in pair):
        raise ValueError(f"{who}: {what} must be an integer >= {low} or a pair of them "
                         f"(height, width), got {value!r}")
    return int(pair[0]), int(pair[1])


def _check_nchw(x: Tensor, who: str) -> None:
    if x.ndim != 4:
        raise ValueError(
            f"{who}: expected a 4-D input (batch, channels, height, width), got shape {x.shape}; "
            + ("add the batch dimension with x.unsqueeze(0)" if x.ndim == 3 else
               "reshape images to (N, C, H, W), e.g. x.reshape(-1, 1, 8, 8)"))


def _windows(x: Tensor, kernel: tuple[int, int], stride: tuple[int, int], padding: tuple[int, int],
             dilation: tuple[int, int], who: str) -> Tensor:
    """im2col with a shape check: (N, C, H, W) -> (N, OH, OW, C, kh, kw)."""
    h, w = x.shape[2:]
    span = (dilation[0] * (kernel[0] - 1) + 1, dilation[1] * (kernel[1] - 1) + 1)
    if h + 2 * padding[0] < span[0] or w + 2 * padding[1] < span[1]:
        raise ValueError(
            f"{who}: the kernel covers {span[0]}×{span[1]} (kernel_size {kernel}, dilation "
            f"{dilation}) but the padded input is only {h + 2 * padding[0]}×{w + 2 * padding[1]} "
            f"(input shape {x.shape}, padding {padding}); use a smaller kernel or more padding")
    return Im2col.apply(x, kernel_size=kernel, stride=stride, padding=padding, dilation=dilation)


def check_named_padding(padding: str, stride: Any, who: str) -> None:
    """PyTorch's two named paddings: "valid" (none) and "same" (output size = input size)."""
    if padding not in ("valid", "same"):
        raise ValueError(f"{who}: padding must be an integer, a pair, 'valid' or 'same', got {padding!r}")
    if padding == "same" and _pair(stride, who, "stride", 1) != (1, 1):
        raise ValueError(f"{who}: padding='same' is not supported for strided convolutions "
                         f"(stride={stride!r}), as in PyTorch; give the padding as numbers")


def _named_padding(x: Tensor, padding: str, kernel: tuple[int, int], stride: tuple[int, int],
                   dilation: tuple[int, int]) -> tuple[Tensor, tuple[int, int]]:
    """"valid" is no padding; "same" pads d·(k-1) per axis, the odd one after (as PyTorch)."""
    check_named_padding(padding, stride, "conv2d")
    if padding == "valid":
        return x, (0, 0)
    (top, bottom), (left, right) = [(d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2)
                                    for k, d in zip(kernel, dilation)]
    if (top, left) == (bottom, right):  # symmetric: im2col pads it itself
        return x, (top, left)
    return pad(x, (left, right, top, bottom)), (0, 0)


def conv2d(input: Any, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D cross-correlation, as ``torch.nn.functional.conv2d``: x (N, C, H, W), W (O, C/g, kh, kw)

        out[n, o, h, w] = b[o] + Σ_{c,i,j} W[o, c, i, j] · xpad[n, c, h·s + i·d, w·s + j·d]

    computed as a matmul on patches: the rows of im2col(x) (one per output position, C·kh·kw
    long) times W reshaped to (O, C·kh·kw), transposed.  ``padding`` may also be "valid" (none)
    or "same" (stride 1; the output keeps the input's size).  With ``groups`` g the channels are
    split into g groups and group k's outputs see only group k's inputs: one batched matmul
    over the groups.
    """
    x = _as_float(input)
    _check_nchw(x, "conv2d")
    if weight.ndim != 4:
        raise ValueError(f"conv2d: the weight must be 4-D (out_channels, in_channels/groups, kh, kw), "
                         f"got shape {weight.shape}")
    if x.dtype != weight.dtype:
        x = x.astype(weight.dtype)
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"conv2d: groups must be a positive integer, got {groups!r}")
    n, c = x.shape[:2]
    out_c, group_c, kh, kw = weight.shape
    if c % groups or out_c % groups or c // groups != group_c:
        raise ValueError(
            f"conv2d: the input has {c} channels (shape {x.shape}) but the weight of shape "
            f"{weight.shape} with groups={groups} expects {group_c * groups}; in_channels and "
            f"out_channels must both be divisible by groups")
    stride, dilation = _pair(stride, "conv2d", "stride", 1), _pair(dilation, "conv2d", "dilation", 1)
    if isinstance(padding, str):
        x, padding = _named_padding(x, padding, (kh, kw), stride, dilation)
    padding = _pair(padding, "conv2d", "padding", 0)
    cols = _windows(x, (kh, kw), stride, padding, dilation, "conv2d")
    out_h, out_w = cols.shape[1:3]
    rows, k = n * out_h * out_w, group_c * kh * kw
    if bias is not None and bias.shape != (out_c,):
        raise ValueError(f"conv2d: the bias must have shape ({out_c},), one per output channel, "
                         f"got {bias.shape}")
    if groups == 1:  # (N·OH·OW, C·kh·kw) @ (C·kh·kw, O): one BLAS call
        out = cols.reshape(rows, k) @ weight.reshape(out_c, k).T
    else:  # (g, N·OH·OW, C/g·kh·kw) @ (g, C/g·kh·kw, O/g), then the groups side by side
        patches = cols.reshape(rows, groups, k).permute(1, 0, 2)
        out = (patches @ weight.reshape(groups, out_c // groups, k).permute(0, 2, 1))
        out = out.permute(1, 0, 2).reshape(rows, out_c)
    if bias is not None:  # one bias per column, added while the rows are contiguous
        out = out + bias
    return out.reshape(n, out_h, out_w, out_c).permute(0, 3, 1, 2)  # channels first, as NCHW


def _pool_settings(who: str, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
                   ceil_mode: bool) -> tuple[tuple[int, int], ...]:
    if ceil_mode:
        raise ValueError(f"{who}: ceil_mode=True is not supported; pad the input (F.pad) so the "
                         "windows fit, or use ceil_mode=False")
    kernel = _pair(kernel_size, who, "kernel_size", 1)
    stride = kernel if stride is None or stride == () else _pair(stride, who, "stride", 1)
    padding = _pair(padding, who, "padding", 0)
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(f"{who}: padding {padding} must be at most half the kernel {kernel} "
                         "(as in PyTorch): a window of padding only has nothing to pool")
    return kernel, stride, padding, _pair(dilation, who, "dilation", 1)


def lowest(dtype: np.dtype) -> float:
    """The most negative finite value of a float dtype: max pooling's padding."""
    return float(np.finfo(dtype).min)


def max_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False) -> Tensor:
    """out[n, c, h, w] = max over the window of x at (h·s, w·s);  stride defaults to kernel_size

    The padding is the lowest finite number of the dtype, so it never wins a max (PyTorch
    pads with -inf; a finite value gives the same result and keeps ``detect_anomaly`` from
    taking the padding for an overflow).  The gradient goes to the window's maximum (shared
    equally between exact ties).
    """
    x = _as_float(input)
    _check_nchw(x, "max_pool2d")
    kernel, stride, padding, dilation = _pool_settings("max_pool2d", kernel_size, stride,
                                                       padding, dilation, ceil_mode)
    if padding != (0, 0):
        x = pad(x, (padding[1], padding[1], padding[0], padding[0]), value=lowest(x.dtype))
    cols = _windows(x, kernel, stride, (0, 0), dilation, "max_pool2d")
    n, out_h, out_w, c, kh, kw = cols.shape
    return cols.reshape(n, out_h, out_w, c, kh * kw).max(axis=-1).permute(0, 3, 1, 2)


def avg_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """out[n, c, h, w] = mean over the window of x at (h·s, w·s);  stride defaults to kernel_size

    The zero padding counts in the mean (``count_include_pad=True``, PyTorch's default); with
    False each window is divided by how many real inputs it covers.
    """
    x = _as_float(input)
    _check_nchw(x, "avg_pool2d")
    kernel, stride, padding, _ = _pool_settings("avg_pool2d", kernel_size, stride, padding, 1,
                                                ceil_mode)
    cols = _windows(x, kernel, stride, padding, (1, 1), "avg_pool2d")
    n, out_h, out_w, c, kh, kw = cols.shape
    out = cols.reshape(n, out_h, out_w, c, kh * kw).mean(axis=-1).permute(0, 3, 1, 2)
    if count_include_pad or padding == (0, 0):
        return out
    ones = np.ones((1, 1, *x.shape[2:]), dtype=x.dtype)
    covered = im2col_array(ones, kernel, stride, padding, (1, 1)).sum(axis=(3, 4, 5))
    return out * Tensor((kh * kw / covered).astype(x.dtype))


def pad(input: Any, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:
    """Constant padding, as ``torch.nn.functional.pad``: ``pad`` lists (before, after) widths
    from the LAST axis backwards -- (left, right) pads only the width, (left, right, top,
    bottom) the width and the height of an image batch."""
    x = _as_float(input) if not isinstance(input, Tensor) else input
    if mode != "constant":
        raise ValueError(f"pad: only mode='constant' is supported, got {mode!r}")
    widths = tuple(pad) if isinstance(pad, (tuple, list)) else None
    if (widths is None or len(widths) % 2 or len(widths) // 2 > x.ndim
            or not all(isinstance(p, (int, np.integer)) and not isinstance(p, bool) and p >= 0
                       for p in widths)):
        raise ValueError(
            f"pad: pad must be an even-length sequence of non-negative integers, (left, right, "
            f"top, bottom, ...) for at most {x.ndim} axes of the input of shape {x.shape}, "
            f"got {pad!r}")
    pairs = [(0, 0)] * x.ndim
    for k in range(len(widths) // 2):  # the first pair is the last axis
        pairs[x.ndim - 1 - k] = (int(widths[2 * k]), int(widths[2 * k + 1]))
    return Pad.apply(x, widths=tuple(pairs), value=0.0 if value is None else float(value))


def batch_norm(input: Any, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """y = (x - μ) / √(σ² + ε) · γ + β per channel (axis 1), as ``torch.nn.functional.batch_norm``

    In training μ, σ² are the batch's mean and biased variance over every axis but 1, and the
    running statistics (updated in place, outside the graph) move toward them:
    running = (1 - momentum)·running + momentum·batch, with the *unbiased* variance, as
    PyTorch.  In eval the running statistics are used instead.
    """
    x = _as_float(input)
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected (batch, channels, ...), got shape {x.shape}")
    c = x.shape[1]
    axes = (0, *range(2, x.ndim))
    shape = (1, c) + (1,) * (x.ndim - 2)
    if training:
        count = x.size // c
        if count <= 1:
            raise ValueError(f"batch_norm: expected more than one value per channel when training, "
                             f"got input of shape {x.shape}; use a larger batch or eval()")
        mean = x.mean(axis=axes, keepdims=True)
        centered = x - mean
        var = (centered * centered).mean(axis=axes, keepdims=True)
        if running_mean is not None and running_var is not None:
            with no_grad():  # raw-array updates: statistics, not part of the model's graph
                running_mean.data[...] = ((1 - momentum) * running_mean.data
                                          + momentum * mean.data.reshape(c))
                unbiased = var.data.reshape(c) * (count / (count - 1))
                running_var.data[...] = (1 - momentum) * running_var.data + momentum * unbiased
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: eval mode needs running_mean and running_var "
                             "(or pass training=True to use the batch's statistics)")
        centered = x - Tensor(running_mean.data.reshape(shape).astype(x.dtype))
        var = Tensor(running_var.data.reshape(shape).astype(x.dtype))
    out = centered * (var + eps) ** -0.5
    if weight is not None:
        out = out * weight.reshape(shape)
    return out if bias is None else out + bias.reshape(shape)


def layer_norm(input: Any, normalized_shape: Any, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """y = (x - μ) / √(σ² + ε) · γ + β, μ and σ² (biased) over the last len(normalized_shape) axes"""
    x = _as_float(input)
    shape = tuple(normalized_shape) if isinstance(normalized_shape, (tuple, list)) else (normalized_shape,)
    if tuple(x.shape[x.ndim - len(shape):]) != shape or len(shape) > x.ndim:
        raise ValueError(f"layer_norm: normalized_shape {shape} must be the input's last dimensions, "
                         f"but the input has shape {x.shape}")
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    centered = x - x.mean(axis=axes, keepdims=True)
    var = (centered * centered).mean(axis=axes, keepdims=True)
    out = centered * (var + eps) ** -0.5
    if weight is not None:
        out = out * weight
    return out if bias is None else out + bias


__all__ = ["conv2d", "max_pool2d", "avg_pool2d", "pad", "batch_norm", "layer_norm", "output_size"]
