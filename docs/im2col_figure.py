"""The guide's im2col picture: a 3×3 convolution of a 4×4 image as one matrix product.

Drawn with matplotlib from the engine's own ``Im2col`` (ops/conv.py) and ``F.conv2d``, so the
numbers in the picture are the ones the library computes.  ``guide_figures.write`` calls
``draw(path)``; the picture is ``docs/figures/guide/im2col.png``.
"""

from __future__ import annotations

import pathlib
from typing import Any

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu.nn import functional as F
from tinygrad_edu.ops.conv import Im2col

IMAGE = np.array([[1, 2, 0, 1], [0, 1, 3, 1], [2, 1, 0, 0], [1, 0, 2, 1]], dtype=np.float64)
KERNEL = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]], dtype=np.float64)  # a vertical-edge filter
HIGHLIGHT = 1  # the output position (row-major) whose patch is shown in colour: (0, 1)


def numbers() -> tuple[np.ndarray, np.ndarray]:
    """The patch matrix (4 × 9) and the output (2 × 2), as the library computes them."""
    x = tg.Tensor(IMAGE.reshape(1, 1, 4, 4))
    cols = Im2col.apply(x, kernel_size=(3, 3), stride=(1, 1), padding=(0, 0), dilation=(1, 1))
    out = F.conv2d(x, tg.Tensor(KERNEL.reshape(1, 1, 3, 3)))
    return cols.data.reshape(4, 9), out.data.reshape(2, 2)


def _grid(ax: Any, values: np.ndarray, title: str, marked: set[tuple[int, int]], colour: str) -> None:
    rows, cols = values.shape
    for (i, j), v in np.ndenumerate(values):
        face = colour if (i, j) in marked else "white"
        ax.add_patch(_rect((j, rows - 1 - i), face))
        ax.text(j + 0.5, rows - 0.5 - i, f"{v:g}", ha="center", va="center", fontsize=12)
    ax.set_xlim(-0.1, cols + 0.1)
    ax.set_ylim(-0.1, rows + 0.1)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=11)


def _rect(corner: tuple[int, int], face: str) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle(corner, 1, 1, facecolor=face, edgecolor="#444444", linewidth=0.8)


def draw(path: pathlib.Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    patches, out = numbers()
    r, c = divmod(HIGHLIGHT, 2)
    window = {(r + i, c + j) for i in range(3) for j in range(3)}
    fig = plt.figure(figsize=(6.8, 6.4))
    grid = fig.add_gridspec(3, 3, height_ratios=[1.0, 1.0, 0.3], width_ratios=[1.0, 0.8, 0.55])
    _grid(fig.add_subplot(grid[0, 0]), IMAGE, "image x (4×4)", window, "#ffd8a8")
    _grid(fig.add_subplot(grid[0, 1]), KERNEL, "kernel W (3×3)", set(), "white")
    _grid(fig.add_subplot(grid[0, 2]), out, "out = W ⋆ x (2×2)", {(r, c)}, "#ffd8a8")
    _grid(fig.add_subplot(grid[1, :2]), patches, "im2col(x): one row per output position,\n"
          "the 9 pixels its window sees", {(HIGHLIGHT, j) for j in range(9)}, "#ffd8a8")
    _grid(fig.add_subplot(grid[1, 2]), out.reshape(4, 1), "out as\na column", {(HIGHLIGHT, 0)},
          "#ffd8a8")
    _grid(fig.add_subplot(grid[2, :2]), KERNEL.reshape(1, 9), "W flattened: each row · this = its output",
          set(), "#dbe4ff")
    terms = " + ".join(f"{p:g}·{w:g}" for p, w in zip(patches[HIGHLIGHT], KERNEL.ravel()))
    fig.text(0.5, 0.01, f"out = im2col(x) @ W.reshape(9); the highlighted row:\n{terms} = "
             f"{out[r, c]:g}", ha="center", fontsize=10)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)
