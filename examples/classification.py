"""Classification: breast-cancer diagnosis (binary) and handwritten digits (10 classes).

Part 1, Breast Cancer Wisconsin (569 tumours, 30 measurements of cell nuclei): malignant (0)
or benign (1).  The features are standardized with the training rows' statistics (their
scales differ by four orders of magnitude), 20% of the tumours are held out with the class
balance kept (``stratify``), and an MLP 30→16→1 (ReLU) outputs one *logit* per tumour,
trained with ``binary_cross_entropy_with_logits`` -- the stable form of sigmoid followed by
binary cross-entropy.  For a diagnosis the two mistakes are not equal, so besides accuracy
the script prints the confusion matrix and the share of malignant tumours it catches.

Part 2, digits (1797 images of 8x8 pixels, values 0..16 scaled to [0, 1]): an MLP
64→64→10 (ReLU) gives ten logits per image, trained with softmax cross-entropy
(``F.cross_entropy``, which applies log-softmax itself), 20% of the images held out.  The
10x10 confusion matrix shows which digits are mistaken for which.

Both parts also train the plain linear model on the same inputs (logistic regression and
softmax regression), so the printed numbers say what the hidden layer adds: on these two
data sets, only a little (one tumour, a few digit images): both are almost linearly
separable in their raw features.

    python examples/classification.py [--quick] [--out DIR]

Pictures written to ``--out`` (default ``examples-output/classification``):

- ``classification_confusion_matrices.png``: the confusion matrices of the two MLPs on their
  test sets (rows: true class, columns: predicted class).
- ``classification_test_accuracy.png``: test accuracy after every epoch, both MLPs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from _common import parse_args, pyplot, save_figure

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F

Loss = Callable[[tg.Tensor, tg.Tensor], tg.Tensor]


def confusion_matrix(truth: np.ndarray, pred: np.ndarray, n_classes: int) -> np.ndarray:
    """counts[i, j] = number of samples of true class i predicted as class j."""
    counts = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(counts, (truth, pred), 1)
    return counts


def train(model: nn.Module, X: np.ndarray, y: np.ndarray, loss_fn: Loss, epochs: int, lr: float,
          evaluate: Callable[[nn.Module], float]) -> list[float]:
    """Adam on shuffled mini-batches of 32; ``evaluate(model)`` after every epoch is returned."""
    opt = tg.optim.Adam(model.parameters(), lr=lr)
    loader = tg.data.DataLoader((X, y), batch_size=32, shuffle=True)
    history = []
    for _ in range(epochs):
        for xb, yb in loader:
            opt.zero_grad()
            loss_fn(model(xb), yb).backward()
            opt.step()
        history.append(evaluate(model))
    return history


def logits(model: nn.Module, X: np.ndarray) -> np.ndarray:
    with tg.no_grad():
        return model(tg.Tensor(X.astype(np.float32))).data


# -- part 1: breast cancer -------------------------------------------------------------------------
def breast_cancer(epochs: int) -> dict[str, Any]:
    X, y, names = tg.data.load_breast_cancer(return_names=True)
    X_train, X_test, y_train, y_test = tg.data.train_test_split(X, y, test_size=0.2, seed=0, stratify=y)
    X_train, X_test, _ = tg.data.standardize(X_train, X_test)
    targets = y_train[:, None].astype(np.float64)  # BCE wants float 0/1 targets shaped like the logits

    def accuracy(model: nn.Module) -> float:
        return float(np.mean((logits(model, X_test)[:, 0] > 0) == y_test))  # logit > 0 <=> p > 1/2

    results: dict[str, Any] = {}
    for key, sizes in (("logistic", [30, 1]), ("mlp", [30, 16, 1])):
        tg.manual_seed(0)
        model = nn.MLP(sizes, activation="relu")
        history = train(model, X_train, targets, F.binary_cross_entropy_with_logits, epochs, 1e-3, accuracy)
        pred = (logits(model, X_test)[:, 0] > 0).astype(np.int64)
        results[key] = {"accuracy": history[-1], "history": history,
                        "confusion": confusion_matrix(y_test, pred, 2)}
    results["class_names"] = names.target_names
    results["n_test"] = len(y_test)
    return results


# -- part 2: digits ----------------------------------------------------------------------------------
def digits(epochs: int) -> dict[str, Any]:
    X, y = tg.data.load_digits()
    X = X / 16.0  # pixels 0..16 -> [0, 1]
    X_train, X_test, y_train, y_test = tg.data.train_test_split(X, y, test_size=0.2, seed=0, stratify=y)

    def accuracy(model: nn.Module) -> float:
        return float(np.mean(logits(model, X_test).argmax(axis=1) == y_test))

    results: dict[str, Any] = {}
    for key, sizes in (("softmax_regression", [64, 10]), ("mlp", [64, 64, 10])):
        tg.manual_seed(0)
        model = nn.MLP(sizes, activation="relu")
        history = train(model, X_train, y_train, F.cross_entropy, epochs, 3e-3, accuracy)
        pred = logits(model, X_test).argmax(axis=1)
        results[key] = {"accuracy": history[-1], "history": history,
                        "confusion": confusion_matrix(y_test, pred, 10)}
    results["n_test"] = len(y_test)
    return results


def _print_matrix(counts: np.ndarray, labels: list[str]) -> None:
    width = max(4, max(len(s) for s in labels) + 1)
    print(" " * (width + 6) + "predicted")
    print(" " * (width + 2) + "".join(f"{s:>{width}}" for s in labels))
    for label, row in zip(labels, counts):
        print(f"  {label:>{width}}" + "".join(f"{int(c):>{width}}" for c in row))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(__doc__.splitlines()[0], argv, "examples-output/classification")
    cancer_epochs, digit_epochs = (30, 30) if args.quick else (100, 60)

    cancer = breast_cancer(cancer_epochs)
    cm = cancer["mlp"]["confusion"]
    malignant_caught = cm[0, 0] / cm[0].sum()
    print(f"breast cancer, {cancer['n_test']} test tumours, {cancer_epochs} epochs: "
          f"MLP accuracy {cancer['mlp']['accuracy']:.3f} "
          f"(logistic regression {cancer['logistic']['accuracy']:.3f})")
    print(f"  malignant tumours caught: {cm[0, 0]} of {cm[0].sum()} ({malignant_caught:.1%}); "
          f"benign called malignant: {cm[1, 0]} of {cm[1].sum()}")
    _print_matrix(cm, cancer["class_names"])

    digit = digits(digit_epochs)
    cm = digit["mlp"]["confusion"]
    off = cm - np.diag(np.diag(cm))
    worst = np.unravel_index(off.argmax(), off.shape)  # the first of any ties
    print(f"digits, {digit['n_test']} test images, {digit_epochs} epochs: "
          f"MLP accuracy {digit['mlp']['accuracy']:.3f} "
          f"(softmax regression {digit['softmax_regression']['accuracy']:.3f})")
    pairs = sorted(((int(c), int(i), int(j)) for (i, j), c in np.ndenumerate(off) if c), reverse=True)
    print("  mistakes (true -> predicted: count): "
          + ", ".join(f"{i}->{j}: {c}" for c, i, j in pairs))
    _print_matrix(cm, [str(d) for d in range(10)])

    plt = pyplot()
    if plt is not None:
        _plot_confusions(plt, args.out, cancer, digit)
        _plot_accuracy(plt, args.out, cancer, digit)
    return {
        "breast_cancer": {"accuracy": cancer["mlp"]["accuracy"],
                          "logistic_accuracy": cancer["logistic"]["accuracy"],
                          "malignant_recall": float(malignant_caught),
                          "confusion": cancer["mlp"]["confusion"].tolist()},
        "digits": {"accuracy": digit["mlp"]["accuracy"],
                   "softmax_regression_accuracy": digit["softmax_regression"]["accuracy"],
                   "confusion": digit["mlp"]["confusion"].tolist(),
                   "most_confused": (int(worst[0]), int(worst[1]), int(off[worst]))},
    }


def _matrix(ax: Any, counts: np.ndarray, labels: list[str], title: str) -> None:
    ax.imshow(counts, cmap="Blues")
    for (i, j), c in np.ndenumerate(counts):
        if c:
            ax.text(j, i, str(c), ha="center", va="center", fontsize=9,
                    color="white" if c > counts.max() / 2 else "black")
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels)
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)


def _plot_confusions(plt: Any, out: Any, cancer: dict[str, Any], digit: dict[str, Any]) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(11, 5), gridspec_kw={"width_ratios": [1, 1.8]})
    _matrix(axes[0], cancer["mlp"]["confusion"], cancer["class_names"],
            f"Breast cancer MLP (accuracy {cancer['mlp']['accuracy']:.3f})")
    _matrix(axes[1], digit["mlp"]["confusion"], [str(d) for d in range(10)],
            f"Digits MLP (accuracy {digit['mlp']['accuracy']:.3f})")
    fig.tight_layout()
    save_figure(fig, out, "classification_confusion_matrices.png")


def _plot_accuracy(plt: Any, out: Any, cancer: dict[str, Any], digit: dict[str, Any]) -> None:
    fig, ax = plt.subplots(figsize=(7, 4))
    for result, key, label in ((cancer, "mlp", "breast cancer, MLP 30-16-1"),
                               (cancer, "logistic", "breast cancer, logistic regression"),
                               (digit, "mlp", "digits, MLP 64-64-10"),
                               (digit, "softmax_regression", "digits, softmax regression")):
        history = result[key]["history"]
        ax.plot(range(1, len(history) + 1), history, label=label,
                ls="-" if key == "mlp" else "--")
    ax.set_xlabel("epoch")
    ax.set_ylabel("test accuracy")
    ax.set_ylim(0.8, 1.0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title("Test accuracy during training")
    fig.tight_layout()
    save_figure(fig, out, "classification_test_accuracy.png")


if __name__ == "__main__":
    main()
