"""The perceptron on logic gates: AND and OR are learned in a few epochs, XOR never is.

Rosenblatt's rule (``nn.Perceptron``, the tutorial's settings lr = 0.01, zero start) nudges
the weights after every mistake.  It stops once a whole pass over the four inputs makes no
mistake -- which happens only if one straight line can separate the 1s from the 0s.  AND
and OR pass that test; XOR does not, so the error count never reaches zero.  A network with
one hidden layer (2→4→1, trained by backprop) bends the boundary and solves XOR.

    python examples/perceptron_gates.py [--quick] [--out DIR]

Pictures written to ``--out`` (default ``examples-output/perceptron_gates``):

- ``perceptron_boundaries.png``: decision regions of the perceptron on AND, OR and XOR, and of
  the 2→4→1 network on XOR.
- ``perceptron_errors.png``: mistakes per epoch for each gate (XOR never reaches 0).
- ``perceptron_graph.svg``: the perceptron's forward graph z = X @ w + b.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from _common import parse_args, pyplot, save_figure

import tinygrad_edu as tg
from tinygrad_edu import nn, viz
from tinygrad_edu.nn import functional as F

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
GATES = {
    "AND": np.array([0, 0, 0, 1]),
    "OR": np.array([0, 1, 1, 1]),
    "XOR": np.array([0, 1, 1, 0]),
}

WHY_DEPTH = """\
Why XOR needs a hidden layer:
  A perceptron answers 1 exactly where w·x + b >= 0, i.e. on one side of a straight line.
  XOR wants (0,1) and (1,0) on one side and (0,0) and (1,1) on the other; adding the two
  conditions for the 1s (w2 + b >= 0, w1 + b >= 0) gives w1 + w2 + 2b >= 0, while the two
  for the 0s (b < 0, w1 + w2 + b < 0) add up to w1 + w2 + 2b < 0 -- a contradiction, so no
  line exists and the rule keeps cycling.  A hidden layer first maps the inputs to new
  features (roughly "x1 OR x2" and "x1 AND x2"); in that space XOR is "OR and not AND",
  which one line does separate.  Depth buys a bent decision boundary."""


def train_perceptrons(epochs: int) -> dict[str, nn.Perceptron]:
    """One perceptron per gate, with the tutorial's learning rate 0.01 and zero start."""
    return {gate: nn.Perceptron(2, lr=0.01, epochs=epochs, dtype=np.float64).fit(X, y)
            for gate, y in GATES.items()}


def train_xor_mlp(epochs: int, seed: int = 0) -> tuple[nn.MLP, float]:
    """The 2→4→1 sigmoid network on XOR, full-batch gradient descent on the cross-entropy.

    lr = 5 is the setting ``examples/xor_mlp.py`` (and ``benchmarks/xor_seeds.py``) found to
    solve XOR for every seed; the tutorial's lr = 0.1 is far too slow for 2000 epochs.
    """
    tg.manual_seed(seed)
    net = nn.MLP([2, 4, 1], activation="sigmoid", output_activation="sigmoid", dtype=np.float64)
    opt = tg.optim.SGD(net.parameters(), lr=5.0)
    x, y = tg.Tensor(X), tg.Tensor(GATES["XOR"].reshape(-1, 1).astype(np.float64))
    for _ in range(epochs):
        opt.zero_grad()
        F.binary_cross_entropy(net(x), y).backward()
        opt.step()
    with tg.no_grad():
        accuracy = float(((net(x).data > 0.5) == (y.data > 0.5)).mean())
    return net, accuracy


def plot_boundaries(plt: Any, perceptrons: dict[str, nn.Perceptron], mlp: nn.MLP, out: Any) -> None:
    grid = np.linspace(-0.5, 1.5, 201)
    gx, gy = np.meshgrid(grid, grid)
    points = np.column_stack([gx.ravel(), gy.ravel()])
    with tg.no_grad():
        mlp_regions = (mlp(tg.Tensor(points)).data > 0.5).astype(int)
    panels = [(f"perceptron on {g}", GATES[g], perceptrons[g].predict(points)) for g in GATES]
    panels.append(("2→4→1 network on XOR", GATES["XOR"], mlp_regions.ravel()))
    fig, axes = plt.subplots(1, 4, figsize=(16, 4.2))
    for ax, (title, labels, regions) in zip(axes, panels):
        ax.contourf(gx, gy, regions.reshape(gx.shape), levels=[-0.5, 0.5, 1.5],
                    colors=["#dbe9f6", "#fbd9c4"])
        for label, marker, color in ((0, "o", "#1f5fa8"), (1, "s", "#c2502b")):
            pts = X[labels == label]
            ax.scatter(pts[:, 0], pts[:, 1], marker=marker, s=140, color=color,
                       edgecolor="black", label=f"label {label}", zorder=3)
        ax.set_title(title)
        ax.set_xlabel("x1")
        ax.set_ylabel("x2")
        ax.set_aspect("equal")
    axes[0].legend(loc="upper left", fontsize=9)
    fig.suptitle("Decision regions: a perceptron draws one straight line; XOR needs a bent boundary")
    fig.tight_layout()
    save_figure(fig, out, "perceptron_boundaries.png")


def plot_errors(plt: Any, perceptrons: dict[str, nn.Perceptron], out: Any) -> None:
    fig, ax = plt.subplots(figsize=(7, 4))
    for (gate, p), marker in zip(perceptrons.items(), "os^"):
        ax.plot(range(1, len(p.errors_) + 1), p.errors_, marker=marker, label=gate)
    ax.set_xlabel("epoch (one pass over the 4 inputs)")
    ax.set_ylabel("mistakes in the epoch")
    ax.set_ylim(-0.2, 4.4)
    ax.set_title("Perceptron rule, lr = 0.01: AND and OR reach 0 mistakes, XOR never does")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    save_figure(fig, out, "perceptron_errors.png")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(__doc__.splitlines()[0], argv, "examples-output/perceptron_gates")
    epochs = 30 if args.quick else 100
    perceptrons = train_perceptrons(epochs)
    for gate, p in perceptrons.items():
        verdict = (f"converged after {len(p.errors_)} epochs" if p.converged_ else
                   f"did NOT converge in {epochs} epochs (fewest mistakes in one: {min(p.errors_)})")
        more = " ..." if len(p.errors_) > 12 else ""
        print(f"{gate:>3}: {verdict}; mistakes per epoch {p.errors_[:12]}{more}")
    print()
    print(WHY_DEPTH)
    mlp, accuracy = train_xor_mlp(600 if args.quick else 2000)
    print(f"\n2→4→1 sigmoid network on XOR (lr 5, cross-entropy): accuracy {accuracy:.0%}")

    z = perceptrons["AND"](X)  # forward returns z = X @ w + b; that graph is what we draw
    graph = viz.save_graph(z, args.out / "perceptron_graph.svg")
    print(f"saved {graph}")
    plt = pyplot()
    if plt is not None:
        plot_boundaries(plt, perceptrons, mlp, args.out)
        plot_errors(plt, perceptrons, args.out)
    return {
        "epochs_to_converge": {g: len(p.errors_) for g, p in perceptrons.items() if p.converged_},
        "converged": {g: p.converged_ for g, p in perceptrons.items()},
        "errors": {g: list(p.errors_) for g, p in perceptrons.items()},
        "xor_min_errors": min(perceptrons["XOR"].errors_),
        "mlp_xor_accuracy": accuracy,
        "weights": {g: (p.weight.data.tolist(), float(p.bias.data)) for g, p in perceptrons.items()},
    }


if __name__ == "__main__":
    main()
