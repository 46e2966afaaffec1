"""Optimizers side by side: batch GD, SGD, mini-batch, momentum, RMSprop and Adam.

Batch, stochastic and mini-batch gradient descent are *one* algorithm, ``optim.SGD``, fed
by ``data.DataLoader`` with ``batch_size=None`` (all samples per step), ``1`` and ``k``.
Momentum, RMSprop and Adam change the update rule instead.

Part (a), a loss surface you can see.  Two weights w = (w1, w2) fit a least-squares line
y ≈ X w to 64 noisy samples; the loss, mean((X w - y)²), is an average over samples, so the
batch size decides how exact each step's gradient is.  The two features have very
different scales (std 1 and 0.18), so the bowl is long and narrow (condition number ≈ 30):
steep along w1, nearly flat along w2.  Every optimizer starts at the same point and gets the same
number of epochs (passes over the 64 samples).  The first three differ only in batch size
(plain SGD, same learning rate); the last three use the full batch and differ only in the
update rule.  What to look for: batch GD crawls along the flat direction; SGD takes 64
small noisy steps per epoch, gets close first and then jitters around the minimum;
momentum builds up speed along the valley; RMSprop and Adam divide each coordinate's step
by its own gradient scale, which undoes ill-conditioning that lies along the axes, as it
does here (for a tilted bowl they help much less).

Part (b), a real data set.  The same 30→16→1 ReLU network (same starting weights) learns
the breast-cancer diagnosis with each optimizer; momentum, RMSprop and Adam use
mini-batches of 32 as one usually would.  The training loss after every epoch and the
test accuracy are reported.

    python examples/optimizers.py [--quick] [--out DIR]

Pictures written to ``--out`` (default ``examples-output/optimizers``):

- ``optimizer_paths.png``: all six trajectories on the contour plot of the least-squares bowl.
- ``optimizer_loss_curves.png``: training loss per epoch on breast cancer, one line per optimizer.
- ``optimizer_race.html``: part (c), the animation (open it in a browser; it plays by itself).

Part (c), a race.  ``tg.viz.optimizer_race`` runs GD, momentum, RMSprop and Adam -- the
library's own optimizers, on a Tensor of two parameters -- for 200 steps on Rosenbrock's
curved valley f(x, y) = (1 - x)² + 10 (y - x²)² from (-1.5, 2) and writes a self-contained
page that animates the four paths.  Momentum gathers speed along the valley floor and
arrives first; Adam follows; GD and RMSprop (each a fixed step size in its own way) are
still on the way after 200 steps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from _common import parse_args, pyplot, save_figure

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.data import DataLoader
from tinygrad_edu.nn import functional as F

MakeOptimizer = Callable[[list[tg.Tensor]], optim.Optimizer]

# name -> (batch size for DataLoader, optimizer factory); part (a), the 2-D bowl
SURFACE_SETUPS: dict[str, tuple[int | None, MakeOptimizer]] = {
    "batch GD": (None, lambda p: optim.SGD(p, lr=0.1)),
    "SGD (batch 1)": (1, lambda p: optim.SGD(p, lr=0.1)),
    "mini-batch (16)": (16, lambda p: optim.SGD(p, lr=0.1)),
    "momentum 0.9": (None, lambda p: optim.SGD(p, lr=0.1, momentum=0.9)),
    "RMSprop": (None, lambda p: optim.RMSprop(p, lr=0.1)),
    "Adam": (None, lambda p: optim.Adam(p, lr=0.3)),
}

# part (b), breast cancer
MLP_SETUPS: dict[str, tuple[int | None, MakeOptimizer]] = {
    "batch GD": (None, lambda p: optim.SGD(p, lr=0.5)),
    "SGD (batch 1)": (1, lambda p: optim.SGD(p, lr=0.01)),
    "mini-batch (32)": (32, lambda p: optim.SGD(p, lr=0.1)),
    "momentum 0.9": (32, lambda p: optim.SGD(p, lr=0.01, momentum=0.9)),
    "RMSprop": (32, lambda p: optim.RMSprop(p, lr=0.001)),
    "Adam": (32, lambda p: optim.Adam(p, lr=0.001)),
}
START = np.array([-2.5, 5.5])


# -- part (a): the least-squares bowl ----------------------------------------------------------------
def bowl_data(n: int = 64, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features on very different scales, a noisy linear target, and the exact minimum."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2)) * np.array([1.0, 0.18])  # w1 steep, w2 nearly flat
    y = X @ np.array([1.0, 2.0]) + 0.2 * rng.normal(size=n)
    w_star = np.linalg.lstsq(X, y, rcond=None)[0]
    return X, y, w_star


def bowl_loss(w: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """mean((X w - y)²) for one w of shape (2,) or a grid of them, shape (..., 2)."""
    residual = np.einsum("nd,...d->...n", X, w) - y
    return (residual ** 2).mean(axis=-1)


def descend(X: np.ndarray, y: np.ndarray, batch_size: int | None, make: MakeOptimizer,
            epochs: int, seed: int = 0) -> np.ndarray:
    """Train w from START; return the path, one point per optimizer step."""
    w = tg.Tensor(START.copy(), requires_grad=True, name="w")
    opt = make([w])
    loader = DataLoader((X, y), batch_size=batch_size, shuffle=True, seed=seed, dtype=np.float64)
    path = [w.data.copy()]
    for _ in range(epochs):
        for xb, yb in loader:
            opt.zero_grad()
            F.mse_loss(xb @ w, yb).backward()
            opt.step()
            path.append(w.data.copy())
    return np.array(path)


# -- part (b): the same MLP on breast cancer -------------------------------------------------------
def breast_cancer() -> tuple[np.ndarray, ...]:
    X, y = tg.data.load_breast_cancer()
    X_train, X_test, y_train, y_test = tg.data.train_test_split(X, y, test_size=0.25, seed=0, stratify=y)
    X_train, X_test, _ = tg.data.standardize(X_train, X_test)
    as32 = [a.astype(np.float32) for a in (X_train, X_test, y_train.reshape(-1, 1), y_test.reshape(-1, 1))]
    return tuple(as32)


def train_mlp(data: tuple[np.ndarray, ...], batch_size: int | None, make: MakeOptimizer,
              epochs: int) -> tuple[list[float], float]:
    """Training loss before training and after each epoch (whole training set), and the
    final test accuracy."""
    X_train, X_test, y_train, y_test = data
    net = nn.MLP([X_train.shape[1], 16, 1], activation="relu", rng=np.random.default_rng(0))
    opt = make(list(net.parameters()))
    loader = DataLoader((X_train, y_train), batch_size=batch_size, shuffle=True, seed=0)
    with tg.no_grad():
        curve = [F.binary_cross_entropy_with_logits(net(X_train), y_train).item()]  # epoch 0
    for _ in range(epochs):
        for xb, yb in loader:
            opt.zero_grad()
            F.binary_cross_entropy_with_logits(net(xb), yb).backward()
            opt.step()
        with tg.no_grad():
            curve.append(F.binary_cross_entropy_with_logits(net(X_train), y_train).item())
    with tg.no_grad():
        accuracy = float(((net(X_test).data > 0) == (y_test > 0.5)).mean())
    return curve, accuracy


# -- pictures -----------------------------------------------------------------------------------------
def plot_paths(plt: Any, paths: dict[str, np.ndarray], X: np.ndarray, y: np.ndarray,
               w_star: np.ndarray, epochs: int, out: Any) -> None:
    g1, g2 = np.meshgrid(np.linspace(-3.5, 4.5, 241), np.linspace(-1.0, 7.0, 241))
    surface = bowl_loss(np.stack([g1, g2], axis=-1), X, y)
    fig, ax = plt.subplots(figsize=(9, 8))
    ax.contour(g1, g2, surface, levels=np.geomspace(surface.min() + 1e-3, surface.max(), 25),
               colors="#999999", linewidths=0.6)
    # Several paths overlap (batch GD under mini-batch, RMSprop under Adam at first):
    # distinct dashes and widths keep each one visible.
    styles = {"batch GD": ("-", 3.0), "SGD (batch 1)": ("-", 0.7), "mini-batch (16)": ("--", 1.4),
              "momentum 0.9": ("-", 1.4), "RMSprop": ("-", 3.0), "Adam": ("--", 1.4)}
    for name, path in paths.items():
        style, width = styles.get(name, ("-", 1.4))
        distance = np.linalg.norm(path[-1] - w_star)
        ax.plot(path[:, 0], path[:, 1], linestyle=style, linewidth=width, alpha=0.85,
                label=f"{name}: {len(path) - 1} steps, ends {distance:.2f} from the minimum")
    ax.plot(*START, "ko", markersize=8)
    ax.annotate("start", START, textcoords="offset points", xytext=(6, 6))
    ax.plot(*w_star, "k*", markersize=16, label="minimum")
    ax.set_xlabel("w1")
    ax.set_ylabel("w2")
    ax.set_aspect("equal")
    ax.set_title(f"Least squares on 64 samples: {epochs} epochs per optimizer")
    ax.legend(loc="lower right", fontsize=9)
    fig.tight_layout()
    save_figure(fig, out, "optimizer_paths.png")


def plot_curves(plt: Any, curves: dict[str, list[float]], accuracies: dict[str, float], out: Any) -> None:
    fig, ax = plt.subplots(figsize=(8, 4.8))
    for name, curve in curves.items():
        ax.semilogy(np.arange(len(curve)), curve, marker=".",
                    label=f"{name}: test accuracy {accuracies[name]:.3f}")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss (BCE, log scale)")
    ax.set_title("30→16→1 ReLU network on breast cancer, same start, six optimizers")
    ax.legend(fontsize=9)
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    save_figure(fig, out, "optimizer_loss_curves.png")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(__doc__.splitlines()[0], argv, "examples-output/optimizers")

    X, y, w_star = bowl_data()
    hessian = 2 * X.T @ X / len(X)
    eigenvalues = np.linalg.eigvalsh(hessian)
    surface_epochs = 30 if args.quick else 60
    paths = {name: descend(X, y, batch, make, surface_epochs)
             for name, (batch, make) in SURFACE_SETUPS.items()}
    distances = {name: float(np.linalg.norm(path[-1] - w_star)) for name, path in paths.items()}
    min_loss = float(bowl_loss(w_star, X, y))
    print(f"(a) least squares, 64 samples, minimum w* = {np.round(w_star, 3).tolist()} "
          f"(loss {min_loss:.4f}), condition number {eigenvalues[-1] / eigenvalues[0]:.0f}; "
          f"{surface_epochs} epochs from {START.tolist()}:")
    for name, path in paths.items():
        print(f"  {name:<16} {len(path) - 1:>5} steps   distance to w* {distances[name]:.4f}   "
              f"loss {float(bowl_loss(path[-1], X, y)):.4f}")

    data = breast_cancer()
    mlp_epochs = 5 if args.quick else 30
    setups = dict(MLP_SETUPS)
    if args.quick:
        setups.pop("SGD (batch 1)")  # 426 steps per epoch: the one slow run, left to the full mode
    curves, accuracies = {}, {}
    for name, (batch, make) in setups.items():
        curves[name], accuracies[name] = train_mlp(data, batch, make, mlp_epochs)
    print(f"\n(b) breast cancer ({len(data[0])} train / {len(data[1])} test), 30→16→1 ReLU, "
          f"{mlp_epochs} epochs:")
    print(f"  every run starts from the same weights: training loss {curves['batch GD'][0]:.4f}")
    for name in curves:
        steps = -(-len(data[0]) // (setups[name][0] or len(data[0])))
        updates = "update " if steps == 1 else "updates"
        print(f"  {name:<16} {steps:>3} {updates} per epoch   final training loss {curves[name][-1]:.4f}   "
              f"test accuracy {accuracies[name]:.3f}")

    race = tg.viz.optimizer_race(steps=200)  # the same in quick mode: it takes a second
    race.save(args.out / "optimizer_race.html")
    race_loss = {name: float(path[-1, 2]) for name, path in race.paths.items()}
    print("\n(c) the race on f(x, y) = (1 - x)² + 10 (y - x²)², 200 steps from (-1.5, 2): final loss")
    for name, value in race_loss.items():
        print(f"  {name:<24} {value:.3g}")

    plt = pyplot()
    if plt is not None:
        plot_paths(plt, paths, X, y, w_star, surface_epochs, args.out)
        plot_curves(plt, curves, accuracies, args.out)
    return {
        "surface": {"w_star": w_star.tolist(), "condition_number": float(eigenvalues[-1] / eigenvalues[0]),
                    "distance_to_minimum": distances,
                    "steps": {name: len(path) - 1 for name, path in paths.items()},
                    "start_distance": float(np.linalg.norm(START - w_star))},
        "mlp": {"final_loss": {name: c[-1] for name, c in curves.items()}, "test_accuracy": accuracies,
                "initial_loss": {name: c[0] for name, c in curves.items()}, "epochs": mlp_epochs},
        "race_final_loss": race_loss,
    }


if __name__ == "__main__":
    main()
