"""Autoencoder: squeeze 8x8 digits through two numbers and rebuild them.

The network is 64→32→2→32→64: an *encoder* (Linear 64→32, tanh, Linear 32→2) maps an image
to a 2-D code, a *decoder* (Linear 2→32, tanh, Linear 32→64, sigmoid) maps the code back to
64 pixel values in [0, 1].  It is trained to reproduce its input, with the MSE between
pixels (scaled to [0, 1]) as the loss, and never sees a label: the codes are *learned*
features.  Colouring the test images' codes by their digit afterwards shows how much of the
class structure the two numbers kept.

Reconstruction error is reported on held-out images (20% of the 1797 digits) next to two
references computed in closed form with NumPy: predicting the mean training image for
every image, and PCA with 2 components -- the best any *linear* encoder/decoder with a 2-D
code can do in MSE.  The full run's autoencoder has a clearly lower test MSE than PCA: the
nonlinear layers are worth something even at this size.

``Autoencoder``, ``load_scaled_digits`` and ``train_autoencoder`` are reused by
``transfer_learning.py``.

    python examples/autoencoder.py [--quick] [--out DIR]

Pictures written to ``--out`` (default ``examples-output/autoencoder``):

- ``autoencoder_codes.png``: the 2-D codes of the test images, coloured by digit.
- ``autoencoder_reconstructions.png``: one test image per digit, the autoencoder's
  reconstruction and PCA-2's reconstruction.
- ``autoencoder_loss.png``: training and test MSE per epoch, with the PCA-2 level.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from _common import parse_args, pyplot, save_figure

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F


class Autoencoder(nn.Module):
    """encoder: 64 → hidden → code;  decoder: code → hidden → 64 (sigmoid: pixels in [0, 1])."""

    def __init__(self, pixels: int = 64, hidden: int = 32, code: int = 2) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(pixels, hidden), nn.Tanh(), nn.Linear(hidden, code))
        self.decoder = nn.Sequential(nn.Linear(code, hidden), nn.Tanh(), nn.Linear(hidden, pixels),
                                     nn.Sigmoid())

    def forward(self, x: Any) -> tg.Tensor:
        return self.decoder(self.encoder(x))


def load_scaled_digits(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Digits with pixels in [0, 1], split 80/20 with every digit in proportion:
    ``X_train, X_test, y_train, y_test``."""
    X, y = tg.data.load_digits()
    X_train, X_test, y_train, y_test = tg.data.train_test_split(X / 16.0, y, test_size=0.2, seed=seed,
                                                                stratify=y)
    return X_train, X_test, y_train, y_test


def reconstruction_mse(model: Autoencoder, X: np.ndarray) -> float:
    with tg.no_grad():
        return float(np.mean((model(tg.Tensor(X.astype(np.float32))).data - X) ** 2))


def encode(model: Autoencoder, X: np.ndarray) -> np.ndarray:
    with tg.no_grad():
        return model.encoder(tg.Tensor(X.astype(np.float32))).data


def train_autoencoder(model: Autoencoder, X: np.ndarray, epochs: int, lr: float = 3e-3,
                      X_test: np.ndarray | None = None) -> dict[str, list[float]]:
    """Adam on shuffled mini-batches of 32 images, loss MSE(model(x), x); no labels involved.

    Returns the MSE on ``X`` (and on ``X_test`` if given) after every epoch.
    """
    opt = tg.optim.Adam(model.parameters(), lr=lr)
    loader = tg.data.DataLoader(X, batch_size=32, shuffle=True)  # one array: batches are Tensors
    history: dict[str, list[float]] = {"train": [], "test": []}
    for _ in range(epochs):
        for xb in loader:
            opt.zero_grad()
            F.mse_loss(model(xb), xb).backward()
            opt.step()
        history["train"].append(reconstruction_mse(model, X))
        if X_test is not None:
            history["test"].append(reconstruction_mse(model, X_test))
    return history


def pca(X_train: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and the top-k principal directions (rows) of the training images."""
    mean = X_train.mean(axis=0)
    _, _, vt = np.linalg.svd(X_train - mean, full_matrices=False)
    return mean, vt[:k]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(__doc__.splitlines()[0], argv, "examples-output/autoencoder")
    epochs = 20 if args.quick else 150
    X_train, X_test, y_train, y_test = load_scaled_digits()

    tg.manual_seed(0)
    model = Autoencoder()
    history = train_autoencoder(model, X_train, epochs, X_test=X_test)
    test_mse = history["test"][-1]

    mean, directions = pca(X_train, 2)
    pca_recon = (X_test - mean) @ directions.T @ directions + mean
    pca_mse = float(np.mean((pca_recon - X_test) ** 2))
    mean_mse = float(np.mean((mean - X_test) ** 2))
    print(f"autoencoder 64-32-2-32-64, {epochs} epochs on {len(X_train)} images (no labels)")
    print(f"  test reconstruction MSE per pixel: autoencoder {test_mse:.4f}, PCA with 2 components "
          f"{pca_mse:.4f}, mean image {mean_mse:.4f}")
    print(f"  (pixels are in [0, 1]; the train MSE is {history['train'][-1]:.4f})")

    codes = encode(model, X_test)
    centroids = np.array([codes[y_test == d].mean(axis=0) for d in range(10)])
    # How well do the two numbers separate the classes?  Nearest class centroid (fitted on
    # the training images' codes) as a crude label-reading of the code space.
    train_codes = encode(model, X_train)
    train_centroids = np.array([train_codes[y_train == d].mean(axis=0) for d in range(10)])
    nearest = np.argmin(((codes[:, None, :] - train_centroids[None]) ** 2).sum(-1), axis=1)
    centroid_acc = float(np.mean(nearest == y_test))
    print(f"  nearest-centroid accuracy in the 2-D code space: {centroid_acc:.3f} (chance 0.1)")

    plt = pyplot()
    if plt is not None:
        _plot_codes(plt, args.out, codes, y_test, centroids)
        with tg.no_grad():
            recon = model(tg.Tensor(X_test.astype(np.float32))).data
        _plot_reconstructions(plt, args.out, X_test, y_test, recon, pca_recon)
        _plot_loss(plt, args.out, history, pca_mse)
    return {"test_mse": test_mse, "pca2_test_mse": pca_mse, "mean_image_test_mse": mean_mse,
            "train_mse": history["train"][-1], "code_centroid_accuracy": centroid_acc,
            "epochs": epochs}


def _plot_codes(plt: Any, out: Any, codes: np.ndarray, labels: np.ndarray, centroids: np.ndarray) -> None:
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    cmap = plt.get_cmap("tab10")
    for d in range(10):
        pts = codes[labels == d]
        ax.scatter(pts[:, 0], pts[:, 1], s=12, color=cmap(d), alpha=0.7, label=str(d))
    for d, (cx, cy) in enumerate(centroids):
        ax.text(cx, cy, str(d), fontsize=15, weight="bold", ha="center", va="center", color=cmap(d),
                bbox={"boxstyle": "circle,pad=0.2", "fc": "white", "ec": cmap(d), "alpha": 0.85})
    ax.set_xlabel("code 1")
    ax.set_ylabel("code 2")
    ax.set_title("2-D codes of the test digits (labels used only for colour)")
    ax.legend(title="digit", fontsize=8, ncol=2, loc="best", markerscale=1.5)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    save_figure(fig, out, "autoencoder_codes.png")


def _plot_reconstructions(plt: Any, out: Any, X: np.ndarray, labels: np.ndarray, recon: np.ndarray,
                          pca_recon: np.ndarray) -> None:
    picks = [int(np.flatnonzero(labels == d)[0]) for d in range(10)]
    rows = (("original", X), ("autoencoder", recon), ("PCA, 2 comp.", pca_recon))
    fig, axes = plt.subplots(len(rows), 10, figsize=(10, 3.4))
    for r, (name, images) in enumerate(rows):
        for c, i in enumerate(picks):
            ax = axes[r, c]
            ax.imshow(np.clip(images[i], 0, 1).reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r, 0].set_ylabel(name, fontsize=9)
    fig.suptitle("Test digits and their reconstructions from two numbers")
    fig.tight_layout()
    save_figure(fig, out, "autoencoder_reconstructions.png")


def _plot_loss(plt: Any, out: Any, history: dict[str, list[float]], pca_mse: float) -> None:
    fig, ax = plt.subplots(figsize=(6.5, 4))
    epochs = range(1, len(history["train"]) + 1)
    ax.plot(epochs, history["train"], label="autoencoder, train")
    ax.plot(epochs, history["test"], label="autoencoder, test")
    ax.axhline(pca_mse, color="grey", ls="--", label="PCA with 2 components, test")
    ax.set_xlabel("epoch")
    ax.set_ylabel("reconstruction MSE per pixel")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("Reconstruction error")
    fig.tight_layout()
    save_figure(fig, out, "autoencoder_loss.png")


if __name__ == "__main__":
    main()
