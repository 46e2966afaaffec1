"""Direct loop implementations of conv2d, max/avg pooling and pad: the definitions, written out.

Slow and obvious on purpose: one output element at a time, exactly as the formulas in the
docstrings of nn/functional_cnn.py say, so the fast im2col versions are checked against them.
"""

from __future__ import annotations

import numpy as np


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def _padded(x, padding, value=0.0):
    ph, pw = _pair(padding)
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def loop_conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    (sh, sw), (dh, dw) = _pair(stride), _pair(dilation)
    xp = _padded(x, padding)
    n, _, h, wd = xp.shape
    out_c, group_c, kh, kw = w.shape
    oh, ow = (h - dh * (kh - 1) - 1) // sh + 1, (wd - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, out_c, oh, ow))
    for i in range(n):
        for o in range(out_c):
            g = o // (out_c // groups)
            for r in range(oh):
                for c in range(ow):
                    total = 0.0
                    for ci in range(group_c):
                        for a in range(kh):
                            for e in range(kw):
                                total += (w[o, ci, a, e]
                                          * xp[i, g * group_c + ci, r * sh + a * dh, c * sw + e * dw])
                    out[i, o, r, c] = total + (0.0 if b is None else b[o])
    return out


def _loop_pool(x, kernel_size, stride, padding, dilation, reduce, pad_value):
    (kh, kw) = _pair(kernel_size)
    (sh, sw) = _pair(kernel_size if stride is None else stride)
    dh, dw = _pair(dilation)
    xp = _padded(x, padding, pad_value)
    n, ch, h, w = xp.shape
    oh, ow = (h - dh * (kh - 1) - 1) // sh + 1, (w - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, ch, oh, ow))
    for i in range(n):
        for c in range(ch):
            for r in range(oh):
                for q in range(ow):
                    window = [xp[i, c, r * sh + a * dh, q * sw + e * dw]
                              for a in range(kh) for e in range(kw)]
                    out[i, c, r, q] = reduce(window)
    return out


def loop_max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1):
    return _loop_pool(x, kernel_size, stride, padding, dilation, max, -np.inf)


def loop_avg_pool2d(x, kernel_size, stride=None, padding=0):
    return _loop_pool(x, kernel_size, stride, padding, 1, lambda v: sum(v) / len(v), 0.0)


def loop_pad(x, pad, value=0.0):
    widths = [(0, 0)] * x.ndim
    for k in range(len(pad) // 2):
        widths[x.ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    out = np.full([n + a + b for n, (a, b) in zip(x.shape, widths)], value)
    out[tuple(slice(a, a + n) for n, (a, _) in zip(x.shape, widths))] = x
    return out
