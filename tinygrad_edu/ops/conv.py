"""Patch primitives for convolution and pooling: im2col, its adjoint col2im, and constant pad.

A convolution is a matrix product on patches: ``Im2col`` copies every kh×kw window of the
(padded) input into a row, and ``conv2d`` (nn/functional_cnn.py) multiplies those rows with
the weights; pooling is a max or mean over the same rows.

Why im2col is a primitive and not a composition of indexing ops: as a composition (one
``x[..., i::s, j::s]`` slice per kernel offset, stacked) the graph would hold kh·kw slices and
a stack per call, and the backward a scatter per slice.  As one op its forward is kh·kw
strided slice copies and its backward is ``Col2im``, the same kh·kw slices added back.  Both
are linear, each is the other's adjoint, so each one's backward is the other: the gradient
stays a graph of primitives, and second-order gradients work.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..function import Function


def output_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """How many windows fit along one axis: ⌊(size + 2p - d(k-1) - 1) / s⌋ + 1 (as PyTorch)."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _window_slices(i: int, j: int, out_h: int, out_w: int, stride: tuple[int, int],
                   dilation: tuple[int, int]) -> tuple[Any, ...]:
    """The padded-input positions that kernel offset (i, j) sees, one per output position."""
    top, left = i * dilation[0], j * dilation[1]
    return (Ellipsis, slice(top, top + stride[0] * (out_h - 1) + 1, stride[0]),
            slice(left, left + stride[1] * (out_w - 1) + 1, stride[1]))


def im2col_array(x: np.ndarray, kernel_size: tuple[int, int], stride: tuple[int, int],
                 padding: tuple[int, int], dilation: tuple[int, int]) -> np.ndarray:
    """The patches of an (N, C, H, W) array as a new (N, OH, OW, C, kh, kw) array (Im2col's forward)."""
    (kh, kw), (ph, pw) = kernel_size, padding
    n, c, h, w = x.shape
    if ph or pw:
        padded = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=x.dtype)
        padded[:, :, ph:ph + h, pw:pw + w] = x
        x = padded
    out_h = output_size(x.shape[2], kh, stride[0], 0, dilation[0])
    out_w = output_size(x.shape[3], kw, stride[1], 0, dilation[1])
    cols = np.empty((n, out_h, out_w, c, kh, kw), dtype=x.dtype)
    # One strided slice per kernel offset (i, j): what that weight sees at every position.
    # Speed, off the learner's path: these kh·kw copies are 2-3x faster than copying one
    # as_strided view of all the windows, whose innermost axes (C, kh, kw) are short.
    for i in range(kh):
        for j in range(kw):
            window = x[_window_slices(i, j, out_h, out_w, stride, dilation)]  # (N, C, OH, OW)
            cols[:, :, :, :, i, j] = window.transpose(0, 2, 3, 1)
    return cols


class Im2col(Function):
    """cols[n, h, w, c, i, j] = xpad[n, c, h·s + i·d, w·s + j·d];  linear, so its backward is Col2im

    Input (N, C, H, W), output (N, OH, OW, C, kh, kw): reshaped to (N·OH·OW, C·kh·kw) it is one
    row per output position, the patch it sees (the rows of ``torch.nn.functional.unfold``'s
    transpose), so a convolution is one matrix product -- the layout that makes it one BLAS call.
    """

    __slots__ = ()

    saves_nothing = True  # backward uses only shapes/options: a second backward may run it

    rules = ("∂im2col(x)/∂x: G ↦ col2im(G) (overlapping windows add up)",)
    jvp_rules = ("ż = im2col(ẋ)",)

    def onnx(ctx, b):
        """ONNX: Pad, one strided Slice per kernel offset, Concat, Reshape, Transpose"""
        return b.patches(ctx)

    def forward(ctx, x, kernel_size, stride, padding, dilation):
        return im2col_array(x, kernel_size, stride, padding, dilation)

    def backward(ctx, grad_out):
        (x,) = ctx.inputs
        return Col2im.apply(grad_out, input_shape=x.shape, **ctx.options)

    def jvp(ctx, tangent):
        """im2col is linear: the output tangent is im2col of the input tangent"""
        return Im2col.apply(tangent, **ctx.options)


class Col2im(Function):
    """x[n, c, h·s + i·d, w·s + j·d] += cols[n, h, w, c, i, j];  the adjoint: its backward is Im2col"""

    __slots__ = ()

    saves_nothing = True

    rules = ("∂col2im(G)/∂G: X ↦ im2col(X)",)
    jvp_rules = ("ż = col2im(ġ)",)

    def forward(ctx, cols, input_shape, kernel_size, stride, padding, dilation):
        n, c, h, w = input_shape
        (ph, pw), (kh, kw) = padding, kernel_size
        out_h, out_w = cols.shape[1:3]
        padded = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
        # kh·kw strided slice-adds: inside one slice the positions are distinct, so ``+=`` is
        # exact, and it is many times faster than np.add.at over every element.
        for i in range(kh):
            for j in range(kw):
                window = cols[:, :, :, :, i, j].transpose(0, 3, 1, 2)  # (N, C, OH, OW)
                padded[_window_slices(i, j, out_h, out_w, stride, dilation)] += window
        return padded[:, :, ph:ph + h, pw:pw + w]

    def backward(ctx, grad_out):
        options = {k: v for k, v in ctx.options.items() if k != "input_shape"}
        return Im2col.apply(grad_out, **options)

    def jvp(ctx, tangent):
        """col2im is linear: the output tangent is col2im of the input tangent"""
        return Col2im.apply(tangent, **ctx.options)


class Pad(Function):
    """z = x with `widths` (before, after) entries of `value` around each axis;  dz/dx = crop back"""

    __slots__ = ()

    saves_nothing = True

    rules = ("∂pad(x)/∂x = crop the padding off",)
    jvp_rules = ("ż = pad(ẋ) with zeros",)

    def onnx(ctx, b):
        """ONNX: Pad in constant mode, the widths as [befores..., afters...]"""
        widths = ctx.options["widths"]
        pads = [before for before, _ in widths] + [after for _, after in widths]
        return b.node("Pad", b.input(ctx, 0), b.ints(pads), b.scalar(ctx.options["value"], ctx.inputs[0]))

    def forward(ctx, x, widths, value):
        return np.pad(x, widths, constant_values=value)

    def backward(ctx, grad_out):
        inside = tuple(slice(before, n - after) for (before, after), n
                       in zip(ctx.options["widths"], grad_out.shape))
        return grad_out[inside]

    def jvp(ctx, tangent):
        """the padding is constant: its tangent is 0, the rest is the input's tangent"""
        return Pad.apply(tangent, widths=ctx.options["widths"], value=0.0)
