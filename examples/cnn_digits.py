"""A first CNN: the shipped 8x8 digits, a small convolutional network against the MLP.

The data and the split are those of ``classification.py`` part 2 (1797 images, pixels scaled
to [0, 1], 20% held out with the classes balanced), and so is the MLP 64→64→10 it is
compared with (same optimizer, batch size and learning rate).  The CNN sees each digit as
an image, (1, 8, 8), instead of 64 unrelated numbers:

    Conv2d(1→12, 3×3, padding 1) → BatchNorm2d → ReLU → MaxPool2d(2) → Flatten → Linear(192→10)

Twelve 3×3 filters slide over the image (the same 108 weights at every position), so a
stroke is detected wherever it is; max-pooling keeps the strongest response of each 2×2
patch.  That prior knowledge -- nearby pixels belong together, a pattern means the same
thing anywhere -- is what the MLP must learn from data.  BatchNorm keeps each filter's
responses at mean 0 and variance 1 over the batch while training; ``model.eval()`` switches it
to the running statistics for every test evaluation.

    python examples/cnn_digits.py [--quick] [--out DIR]

Pictures written to ``--out`` (default ``examples-output/cnn_digits``):

- ``cnn_digits_filters.png``: the twelve learned 3×3 filters, and the twelve feature maps
  (after BatchNorm and ReLU) they give on one test digit.
- ``cnn_digits_test_accuracy.png``: test accuracy after every epoch, CNN and MLP.
- ``cnn_digits_layers.svg``: the layer view of a training step's loss on four test digits:
  each layer with its forward and backward in matrix form, e.g. the convolution's weight
  gradient (a convolution of the input with the upstream gradient) and BatchNorm's.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from _common import parse_args, pyplot, save_figure
from classification import confusion_matrix, train

import tinygrad_edu as tg
from tinygrad_edu import nn, viz
from tinygrad_edu.nn import functional as F

FILTERS = 12


def make_cnn() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, FILTERS, 3, padding=1), nn.BatchNorm2d(FILTERS), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(FILTERS * 4 * 4, 10))


def predict(model: nn.Module, X: np.ndarray) -> np.ndarray:
    """Class scores in eval mode (BatchNorm's running statistics), then back to training mode."""
    model.eval()
    try:
        with tg.no_grad():
            return model(tg.Tensor(X.astype(np.float32))).data
    finally:
        model.train()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(__doc__.splitlines()[0], argv, "examples-output/cnn_digits")
    mlp_epochs, cnn_epochs = (10, 10) if args.quick else (60, 30)
    X, y = tg.data.load_digits()
    X = X / 16.0
    X_train, X_test, y_train, y_test = tg.data.train_test_split(X, y, test_size=0.2, seed=0, stratify=y)
    images_train, images_test = X_train.reshape(-1, 1, 8, 8), X_test.reshape(-1, 1, 8, 8)

    tg.manual_seed(0)
    mlp = nn.MLP([64, 64, 10], activation="relu")
    mlp_history = train(mlp, X_train, y_train, F.cross_entropy, mlp_epochs, 3e-3,
                        lambda m: float(np.mean(predict(m, X_test).argmax(axis=1) == y_test)))
    tg.manual_seed(0)
    cnn = make_cnn()
    cnn_history = train(cnn, images_train, y_train, F.cross_entropy, cnn_epochs, 3e-3,
                        lambda m: float(np.mean(predict(m, images_test).argmax(axis=1) == y_test)))
    pred = predict(cnn, images_test).argmax(axis=1)
    confusion = confusion_matrix(y_test, pred, 10)
    cnn_params = sum(p.size for p in cnn.parameters())
    mlp_params = sum(p.size for p in mlp.parameters())
    print(f"digits, {len(y_test)} test images: CNN accuracy {cnn_history[-1]:.3f} after {cnn_epochs} "
          f"epochs ({cnn_params:,} weights), MLP {mlp_history[-1]:.3f} after {mlp_epochs} epochs "
          f"({mlp_params:,} weights)")
    print(f"  CNN mistakes: {int(confusion.sum() - np.trace(confusion))} of {len(y_test)}; MLP: "
          f"{int(round((1 - mlp_history[-1]) * len(y_test)))}")

    # The layer view of a training step's loss (batch statistics) on four test digits.
    loss = F.cross_entropy(cnn(tg.Tensor(images_test[:4].astype(np.float32))), y_test[:4])
    loss.backward()
    layers_svg = viz.save_graph(loss, args.out / "cnn_digits_layers.svg", show="backward")
    print(f"saved {layers_svg}")

    plt = pyplot()
    if plt is not None:
        _plot_filters(plt, args.out, cnn, images_test[0], int(y_test[0]))
        _plot_accuracy(plt, args.out, cnn_history, mlp_history)
    return {"cnn_accuracy": cnn_history[-1], "mlp_accuracy": mlp_history[-1],
            "cnn_history": cnn_history, "mlp_history": mlp_history,
            "confusion": confusion.tolist(), "cnn_params": cnn_params, "mlp_params": mlp_params,
            "layers_svg": str(layers_svg)}


def feature_maps(cnn: nn.Sequential, image: np.ndarray) -> np.ndarray:
    """The (12, 8, 8) responses of the filters to one image, after BatchNorm and ReLU (eval mode)."""
    cnn.eval()
    try:
        with tg.no_grad():
            return cnn[:3](tg.Tensor(image[None].astype(np.float32))).data[0]
    finally:
        cnn.train()


def _plot_filters(plt: Any, out: Any, cnn: nn.Sequential, image: np.ndarray, label: int) -> None:
    """Two blocks of six filters, each above its feature map; the input digit on the left."""
    filters = cnn[0].weight.data[:, 0]
    maps = feature_maps(cnn, image)
    half = FILTERS // 2
    fig, axes = plt.subplots(4, half + 1, figsize=(6.8, 4.6))
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0, 0].imshow(image[0], cmap="gray_r")
    axes[0, 0].set_title(f"input: a {label}", fontsize=10)
    for ax in axes[1:, 0]:
        ax.axis("off")
    bound = np.abs(filters).max()
    for k in range(FILTERS):
        row, col = 2 * (k // half), k % half + 1
        axes[row, col].imshow(filters[k], cmap="RdBu_r", vmin=-bound, vmax=bound)
        axes[row, col].set_title(f"filter {k}", fontsize=10)
        axes[row + 1, col].imshow(maps[k], cmap="magma")
    for row in (0, 2):
        axes[row, 1].set_ylabel("weights", fontsize=10)
        axes[row + 1, 1].set_ylabel("feature\nmap", fontsize=10)
    fig.suptitle("The 3×3 filters (red +, blue −) and their 8×8 responses\n"
                 "(after BatchNorm and ReLU) to one test digit", fontsize=11)
    fig.tight_layout()
    save_figure(fig, out, "cnn_digits_filters.png")


def _plot_accuracy(plt: Any, out: Any, cnn_history: list[float], mlp_history: list[float]) -> None:
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(range(1, len(cnn_history) + 1), cnn_history, label="CNN (conv 3×3, pool, linear)")
    ax.plot(range(1, len(mlp_history) + 1), mlp_history, "--", label="MLP 64-64-10")
    ax.set_xlabel("epoch")
    ax.set_ylabel("test accuracy")
    ax.set_ylim(0.85, 1.0)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    ax.set_title("Digits: test accuracy during training")
    fig.tight_layout()
    save_figure(fig, out, "cnn_digits_test_accuracy.png")


if __name__ == "__main__":
    main()
