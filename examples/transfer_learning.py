"""Transfer learning: an autoencoder's encoder as the frozen feature extractor of a digit classifier.

The setting: many images, few labels.  The autoencoder of ``autoencoder.py`` (64→32→2→32→64)
is trained on the 1437 training digits *without their labels*; then a classifier is
trained on only 50 labelled digits (5 per class) and tested on the 360 held-out ones.

The classifier network is 64→32 (tanh)→10 in every variant; what changes is where its first
layer comes from and whether it is trained:

- ``scratch``: random start, every weight trained on the 50 labels (the baseline).
- ``frozen_ae_hidden``: the first layer *is* the autoencoder's first layer (Linear 64→32 and
  tanh), frozen with ``requires_grad_(False)``; only Linear 32→10 is trained.  This is the
  transfer variant the script is about.  Why the 32-unit layer and not the 2-D code: two
  numbers per image cannot keep ten classes apart (``frozen_ae_code`` shows it).
- ``frozen_ae_code``: the whole encoder frozen (the 2-D code), then Linear 2→10.
- ``frozen_random``: a frozen *random* first layer -- the control that says how much of
  the frozen features' accuracy is owed to pretraining at all.
- ``fine_tuned``: the first layer starts from the autoencoder's weights and is trained too.

Each variant is trained the same way (full-batch Adam, lr 0.01, 300 steps, cross-entropy;
with 50 labels there are none to spare for early stopping), on several random draws of
the labelled digits, and test accuracy is reported as mean ± std over the draws.  The full
run also sweeps the number of labels (20 to 200) and tries a wider autoencoder with a 16-D
code (64→32→16→32→64).

What the full run measures is *not* the textbook story, so here it is plainly: with 50
labels the frozen autoencoder features are *worse* than training the same small network
from scratch (0.80 against 0.84 test accuracy), only a little better than frozen random
features (0.77), and the gap stays at every label count from 20 to 200.  Fine-tuning from
the autoencoder's weights comes out slightly ahead of scratch at every label count, by
less than the spread over draws (0.85 against 0.84 at 50 labels).  Two reasons.  The
autoencoder's training signal reaches the 32 hidden units only through the 2-D code, so it
shapes what two numbers need for reconstruction and little else.  And reconstruction is
not classification: digits' raw pixels are already good inputs for a small classifier, so
there is little for unsupervised features to add.  A 16-D code keeps much more (test MSE
0.007 against 0.035) and its frozen features match scratch at 20 and 50 labels, then fall
behind.  Pretraining pays off when the unlabeled data teach something the few labels
cannot -- bigger inputs, far more unlabeled data, or a pretraining task closer to the
target task.

    python examples/transfer_learning.py [--quick] [--out DIR]

Pictures written to ``--out`` (default ``examples-output/transfer_learning``):

- ``transfer_learning_accuracy.png``: test accuracy with 50 labels for every variant (mean ±
  std over draws), and test accuracy against the number of labels.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from _common import parse_args, pyplot, save_figure
from autoencoder import Autoencoder, load_scaled_digits, reconstruction_mse, train_autoencoder

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F

VARIANTS = {
    "scratch": "from scratch (all trained)",
    "frozen_ae_hidden": "frozen AE layer, 32 units",
    "frozen_ae_code": "frozen AE code, 2-D",
    "frozen_random": "frozen random layer, 32 units",
    "fine_tuned": "AE layer, fine-tuned",
    "frozen_ae16_hidden": "frozen AE(16-D code) layer",
}


def build_classifier(kind: str, ae: Autoencoder | None) -> nn.Sequential:
    """features → Linear(·, 10); which features, and whether they train, depends on ``kind``."""
    if kind in ("frozen_ae_hidden", "frozen_ae16_hidden"):
        assert ae is not None
        features = ae.encoder[:2]  # the AE's own Linear(64→32) and tanh: same parameters
        features.requires_grad_(False)
    elif kind == "frozen_ae_code":
        assert ae is not None
        features = ae.encoder  # 64 → 32 → 2
        features.requires_grad_(False)
    else:
        features = nn.Sequential(nn.Linear(64, 32), nn.Tanh())
        if kind == "frozen_random":
            features.requires_grad_(False)
        elif kind == "fine_tuned":
            assert ae is not None
            features.load_state_dict(ae.encoder[:2].state_dict())  # a copy: the AE stays as it is
    width = 2 if kind == "frozen_ae_code" else 32
    return nn.Sequential(features, nn.Linear(width, 10))


def train_classifier(model: nn.Module, X: np.ndarray, y: np.ndarray, steps: int = 300,
                     lr: float = 0.01) -> None:
    """Full-batch Adam on the cross-entropy.

    The optimizer gets *all* parameters, frozen ones included: a parameter with
    ``requires_grad=False`` never receives a ``.grad``, and ``step()`` skips parameters
    without one -- so freezing alone keeps the pretrained weights fixed (``main`` checks it).
    """
    opt = tg.optim.Adam(model.parameters(), lr=lr)
    xt = tg.Tensor(X.astype(np.float32))
    for _ in range(steps):
        opt.zero_grad()
        F.cross_entropy(model(xt), y).backward()
        opt.step()


def accuracy(model: nn.Module, X: np.ndarray, y: np.ndarray) -> float:
    with tg.no_grad():
        return float(np.mean(model(tg.Tensor(X.astype(np.float32))).data.argmax(axis=1) == y))


def few_labels(y: np.ndarray, per_class: int, seed: int) -> np.ndarray:
    """Indices of ``per_class`` random examples of each digit."""
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.choice(np.flatnonzero(y == c), per_class, replace=False) for c in range(10)])


def pretrain(code: int, epochs: int, X_train: np.ndarray) -> Autoencoder:
    tg.manual_seed(0)
    ae = Autoencoder(code=code)
    train_autoencoder(ae, X_train, epochs)  # the images only: no labels
    ae.requires_grad_(False)  # from now on the autoencoder is a fixed feature extractor
    return ae


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(__doc__.splitlines()[0], argv, "examples-output/transfer_learning")
    ae_epochs, draws = (20, 2) if args.quick else (150, 5)
    label_counts = [50] if args.quick else [20, 50, 100, 200]
    X_train, X_test, y_train, y_test = load_scaled_digits()

    ae = pretrain(2, ae_epochs, X_train)
    autoencoders: dict[str, Autoencoder] = {"2": ae}
    print(f"autoencoder 64-32-2-32-64 trained {ae_epochs} epochs on {len(X_train)} unlabelled digits "
          f"(test reconstruction MSE {reconstruction_mse(ae, X_test):.4f})")
    variants = [k for k in VARIANTS if k != "frozen_ae16_hidden"]
    if not args.quick:
        autoencoders["16"] = pretrain(16, ae_epochs, X_train)
        variants.append("frozen_ae16_hidden")
        print(f"autoencoder 64-32-16-32-64 (wider code) trained the same way (test reconstruction MSE "
              f"{reconstruction_mse(autoencoders['16'], X_test):.4f})")

    before = {code: a.state_dict() for code, a in autoencoders.items()}
    results: dict[int, dict[str, list[float]]] = {}
    for n_labels in label_counts:
        results[n_labels] = {k: [] for k in variants}
        for draw in range(draws):
            labelled = few_labels(y_train, n_labels // 10, seed=100 + draw)
            for kind in variants:
                tg.manual_seed(draw)  # the same random starts for every variant of a draw
                model = build_classifier(kind, autoencoders["16" if kind == "frozen_ae16_hidden" else "2"])
                train_classifier(model, X_train[labelled], y_train[labelled])
                results[n_labels][kind].append(accuracy(model, X_test, y_test))

    print(f"\ntest accuracy on {len(y_test)} digits, classifier 64-32-10, mean ± std over {draws} "
          f"draws of the labelled digits:")
    print(f"  {'first layer':<32}" + "".join(f"{f'{n} labels':>16}" for n in label_counts))
    for kind in variants:
        cells = "".join(f"{np.mean(results[n][kind]):>10.3f} ± {np.std(results[n][kind]):.3f}"
                        for n in label_counts)
        print(f"  {VARIANTS[kind]:<32}{cells}")
    # Frozen means frozen: training the classifiers left every autoencoder weight as it was.
    unchanged = all(np.array_equal(before[code][name], value)
                    for code, a in autoencoders.items() for name, value in a.state_dict().items())
    print(f"autoencoder weights unchanged by the classifiers' training: {unchanged}")
    at50 = {k: float(np.mean(v)) for k, v in results[50].items()}
    gain = at50["frozen_ae_hidden"] - at50["scratch"]
    print(f"\nwith 50 labels the frozen autoencoder features are {abs(gain):.3f} "
          f"{'better' if gain > 0 else 'worse'} than training from scratch")

    plt = pyplot()
    if plt is not None:
        _plot(plt, args.out, results, variants, label_counts)
    return {"accuracy_50": at50,
            "std_50": {k: float(np.std(v)) for k, v in results[50].items()},
            "by_labels": {n: {k: float(np.mean(v)) for k, v in r.items()} for n, r in results.items()},
            "draws": draws, "ae_test_mse": reconstruction_mse(ae, X_test),
            "frozen_weights_unchanged": unchanged}


def _plot(plt: Any, out: Any, results: dict[int, dict[str, list[float]]], variants: list[str],
          label_counts: list[int]) -> None:
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.6), gridspec_kw={"width_ratios": [1.1, 1]})
    colours = dict(zip(VARIANTS, plt.get_cmap("tab10").colors))
    means = [np.mean(results[50][k]) for k in variants]
    stds = [np.std(results[50][k]) for k in variants]
    bars = left.barh(range(len(variants)), means, xerr=stds, color=[colours[k] for k in variants],
                     capsize=3)
    for bar, mean in zip(bars, means):
        left.text(0.31, bar.get_y() + bar.get_height() / 2, f"{mean:.3f}", va="center", fontsize=9,
                  color="white", weight="bold")
    left.set_yticks(range(len(variants)))
    left.set_yticklabels([VARIANTS[k] for k in variants], fontsize=9)
    left.invert_yaxis()
    left.set_xlim(0.3, 1.0)
    left.set_xlabel("test accuracy")
    left.set_title("50 labelled digits (mean ± std over draws)")
    left.grid(alpha=0.3, axis="x")
    for k in variants:
        curve = [np.mean(results[n][k]) for n in label_counts]
        spread = [np.std(results[n][k]) for n in label_counts]
        right.errorbar(label_counts, curve, yerr=spread, marker="o", capsize=3, color=colours[k],
                       label=VARIANTS[k])
    right.set_xscale("log")
    right.minorticks_off()
    right.set_xticks(label_counts)
    right.set_xticklabels([str(n) for n in label_counts])
    right.set_xlabel("labelled digits")
    right.set_ylabel("test accuracy")
    right.set_title("Test accuracy against the number of labels")
    right.grid(alpha=0.3)
    right.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    save_figure(fig, out, "transfer_learning_accuracy.png")


if __name__ == "__main__":
    main()
