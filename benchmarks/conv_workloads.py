"""The convolution workload: one conv layer's training step on a batch of 64 shipped digits.

Conv2d(1 -> 16, 3×3, padding 1) on (64, 1, 8, 8) images; the loss is sum(out · G) for a
fixed array G, so the upstream gradient is G and the step times the layer, not a loss.  The
gradients of the weight, the bias *and the input* (as for a layer inside a network, so the
col2im half of the backward runs too), then an SGD update.  Variants as in workloads.py:

- ``numpy``: im2col written by hand (kh·kw slice copies into rows, one matmul forward,
  the output as NCHW like the layer's, two matmuls backward, the input gradient by kh·kw
  slice-adds) -- the baseline;
- ``raw``: ``F.conv2d`` on Tensors with the update under ``no_grad``;
- ``nn``: ``nn.Conv2d`` and ``optim.SGD``; ``compiled``: that step through ``tg.compile``;
- ``torch``: the same step in PyTorch (CPU), when installed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

Step = Any
BATCH, OUT_CHANNELS, KERNEL, PAD, CONV_LR = 64, 16, 3, 1, 0.05


def conv_data() -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    from tinygrad_edu.data import load_digits

    X, _ = load_digits()
    images = (X[:BATCH] / 16.0).astype(np.float32).reshape(BATCH, 1, 8, 8)
    rng = np.random.default_rng(0)
    bound = 1 / np.sqrt(KERNEL * KERNEL)
    params = [rng.uniform(-bound, bound, (OUT_CHANNELS, 1, KERNEL, KERNEL)).astype(np.float32),
              rng.uniform(-bound, bound, OUT_CHANNELS).astype(np.float32)]
    upstream = (rng.standard_normal((BATCH, OUT_CHANNELS, 8, 8)) / 8**2).astype(np.float32)
    return images, params, upstream


def conv_numpy(images: np.ndarray, params: list[np.ndarray], G: np.ndarray) -> Step:
    W, b = (p.copy() for p in params)
    n, c, h, w = images.shape
    k, out_c = KERNEL, W.shape[0]

    def step() -> float:
        xp = np.zeros((n, c, h + 2 * PAD, w + 2 * PAD), dtype=images.dtype)
        xp[:, :, PAD:PAD + h, PAD:PAD + w] = images
        patches = np.empty((n, h, w, c, k, k), dtype=images.dtype)
        for i in range(k):  # one slice copy per kernel offset
            for j in range(k):
                patches[:, :, :, :, i, j] = xp[:, :, i:i + h, j:j + w].transpose(0, 2, 3, 1)
        cols = patches.reshape(n * h * w, c * k * k)  # one row per output position
        rows = cols @ W.reshape(out_c, -1).T + b  # (N·H·W, O)
        out = rows.reshape(n, h, w, out_c).transpose(0, 3, 1, 2)  # the layer's NCHW output
        loss = float((out * G).sum())
        dout = G.transpose(0, 2, 3, 1).reshape(n * h * w, out_c)
        dW = (dout.T @ cols).reshape(W.shape)
        db = dout.sum(axis=0)
        dcols = (dout @ W.reshape(out_c, -1)).reshape(n, h, w, c, k, k)
        dxp = np.zeros_like(xp)
        for i in range(k):
            for j in range(k):
                dxp[:, :, i:i + h, j:j + w] += dcols[:, :, :, :, i, j].transpose(0, 3, 1, 2)
        dx = dxp[:, :, PAD:PAD + h, PAD:PAD + w]
        W[...] -= CONV_LR * dW
        b[...] -= CONV_LR * db
        del dx  # computed, as every variant computes the input's gradient
        return loss

    return step


def conv_raw(tg: Any, images: np.ndarray, params: list[np.ndarray], G: np.ndarray) -> Step:
    W, b = weights = [tg.Tensor(p.copy(), requires_grad=True) for p in params]
    x, upstream = tg.Tensor(images, requires_grad=True), tg.Tensor(G)
    F = tg.nn.functional

    def step() -> float:
        loss = (F.conv2d(x, W, b, padding=PAD) * upstream).sum()
        x.grad = W.grad = b.grad = None
        loss.backward()
        with tg.no_grad():
            for p in weights:
                p -= CONV_LR * p.grad
        return loss.item()

    return step


def conv_nn(tg: Any, images: np.ndarray, params: list[np.ndarray], G: np.ndarray,
            compiled: bool = False) -> Step:
    layer = tg.nn.Conv2d(1, OUT_CHANNELS, KERNEL, padding=PAD)
    layer.weight.data[...], layer.bias.data[...] = params
    opt = tg.optim.SGD(layer.parameters(), lr=CONV_LR)
    x, upstream = tg.Tensor(images, requires_grad=True), tg.Tensor(G)

    def step() -> Any:
        opt.zero_grad()
        x.grad = None
        loss = (layer(x) * upstream).sum()
        loss.backward()
        opt.step()
        return loss

    run = tg.compile(step) if compiled else step
    return lambda: run().item()


def conv_torch(torch: Any, images: np.ndarray, params: list[np.ndarray], G: np.ndarray) -> Step:
    layer = torch.nn.Conv2d(1, OUT_CHANNELS, KERNEL, padding=PAD)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(params[0]))
        layer.bias.copy_(torch.from_numpy(params[1]))
    opt = torch.optim.SGD(layer.parameters(), lr=CONV_LR)
    x, upstream = torch.from_numpy(images).requires_grad_(True), torch.from_numpy(G)

    def step() -> float:
        opt.zero_grad()
        x.grad = None
        loss = (layer(x) * upstream).sum()
        loss.backward()
        opt.step()
        return loss.item()

    return step
