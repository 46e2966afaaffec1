"""Weight initialisation: zeros, small random (std 0.01), Xavier and He, measured.

Part 1, symmetry.  With every weight at zero, all hidden units of a layer compute the same
value and receive the same gradient, so after any amount of training they are still
copies of each other: the layer has the capacity of a single unit.  A 2→8→1 sigmoid
network learns a ring-shaped class (two-thirds inner ring) from zero weights and from
Xavier weights; after training, the largest difference between two zero-started hidden
units is exactly 0, and that network never beats "always answer the majority class".
(On balanced labels it is worse: the very first gradient is exactly 0, so nothing moves.)

Part 2, signal propagation.  A 10-layer network of width 64 (tanh, then ReLU) receives
one fixed batch; for each scheme we record the standard deviation of every layer's
activations and of every layer's weight gradient (MSE to a fixed random target).

- zeros: activations and gradients are exactly 0 (no signal at all);
- small random, N(0, 0.01²): each layer scales the signal by about 0.01·sqrt(64) = 0.08,
  so by layer 10 the activations are ~1e-11 and the gradients ~1e-13: nothing to learn from;
- Xavier (Glorot uniform, gain 1): the tanh network's gradients keep one scale through all
  ten layers and its activations shrink only slowly (std 0.62 → 0.21); in the ReLU network,
  which zeroes half its inputs, activations shrink by about sqrt(2) per layer (0.58 → 0.03);
- He (Kaiming normal, std sqrt(2/fan_in)): the ReLU network's activations stay at one scale
  (1.1 → 1.4) and its gradients do not vanish.  (He's larger weights also suit this tanh
  network; the 5/3 tanh gain PyTorch suggests for Xavier sits between the two.)

    python examples/init_schemes.py [--quick] [--out DIR]

Pictures written to ``--out`` (default ``examples-output/init_schemes``):

- ``init_symmetry.png``: the decision regions learned from zero and from Xavier weights.
- ``init_layer_stats.png``: activation std and gradient std per layer, tanh and ReLU
  networks, one line per scheme (log scale; the all-zero scheme is listed, not drawn).
- ``gradient_health_small.png`` / ``gradient_health_he.png`` and the ``.html`` reports:
  ``tg.viz.GradientMonitor`` watching the ReLU network train from each init (part 3).

Part 3, watched while training.  The 10-layer ReLU network takes SGD steps from small random
and from He weights, with ``tg.viz.GradientMonitor`` recording every layer's gradient norm
and update-to-weight ratio: from small weights the first layer's gradient is ~1e-10 of
the last layer's and the typical update moves a layer by ~1e-9 of its size (nothing
learns); from He weights the first and the last layer's gradient norms stay within a
factor of a few, and the ratios sit near the usual 1e-3.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np
from _common import parse_args, pyplot, save_figure

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F

SCHEMES = {  # label -> Linear(init=...)
    "zeros": "zeros",
    "small random (0.01)": "small",
    "Xavier": "xavier",
    "He": "he",
}
DEPTH, WIDTH, BATCH = 10, 64, 256


# -- part 1: symmetry -------------------------------------------------------------------------------
def ring_data() -> tuple[np.ndarray, np.ndarray]:
    """Two rings, the inner one (label 1) twice as frequent as the outer one (label 0).

    The imbalance matters: with balanced labels a zero-started sigmoid network has a zero
    gradient from the start and does not move at all (see ``first_gradient_norm``).
    """
    X, y = tg.data.make_circles(300, noise=0.05, factor=0.5, seed=0)
    keep = np.concatenate([np.flatnonzero(y == 1), np.flatnonzero(y == 0)[:75]])
    return X[keep], y[keep]


def train_ring_network(init: str, X: np.ndarray, y: np.ndarray, epochs: int) -> nn.MLP:
    net = nn.MLP([2, 8, 1], activation="sigmoid", output_activation="sigmoid", init=init,
                 rng=np.random.default_rng(0), dtype=np.float64)
    opt = tg.optim.SGD(net.parameters(), lr=2.0)
    x, target = tg.Tensor(X), tg.Tensor(y.reshape(-1, 1).astype(np.float64))
    for _ in range(epochs):
        opt.zero_grad()
        F.binary_cross_entropy(net(x), target).backward()
        opt.step()
    return net


def hidden_unit_spread(net: nn.MLP) -> float:
    """Largest difference between any hidden unit's weights (in, bias and out) and unit 0's."""
    W1, b1, W2 = net.fc1.weight.data, net.fc1.bias.data, net.fc2.weight.data
    return float(max(np.abs(W1 - W1[0]).max(), np.abs(b1 - b1[0]).max(), np.abs(W2 - W2[:, :1]).max()))


def first_gradient_norm(init: str) -> float:
    """‖gradient‖ over all parameters of a 2→8→1 sigmoid network on XOR (balanced labels)."""
    X, y = tg.data.make_xor()
    net = nn.MLP([2, 8, 1], activation="sigmoid", output_activation="sigmoid", init=init,
                 rng=np.random.default_rng(0), dtype=np.float64)
    F.binary_cross_entropy(net(tg.Tensor(X)), tg.Tensor(y.reshape(-1, 1).astype(np.float64))).backward()
    return float(np.sqrt(sum((p.grad.data ** 2).sum() for p in net.parameters())))


# -- part 2: statistics per layer -------------------------------------------------------------------
def layer_statistics(activation: str, init: str, X: np.ndarray, Y: np.ndarray,
                     seed: int = 0) -> dict[str, list[float]]:
    """std of each layer's activations and of its weight gradient, for one batch."""
    rng = np.random.default_rng(seed)
    layers = [nn.Linear(WIDTH, WIDTH, init=init, rng=rng, dtype=np.float64) for _ in range(DEPTH)]
    h, activations = tg.Tensor(X), []
    for layer in layers:
        h = F.tanh(layer(h)) if activation == "tanh" else F.relu(layer(h))
        activations.append(float(h.data.std()))
    F.mse_loss(h, tg.Tensor(Y)).backward()
    gradients = [float(layer.weight.grad.data.std()) for layer in layers]
    return {"activation_std": activations, "gradient_std": gradients}


def monitored_training(init: str, X: np.ndarray, Y: np.ndarray, steps: int,
                       seed: int = 0) -> tg.viz.GradientMonitor:
    """The ReLU network of ``layer_statistics`` as an ``nn.Sequential``, trained and watched."""
    rng = np.random.default_rng(seed)
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    for k in range(1, DEPTH + 1):  # named like nn.MLP's layers: fc1, act1, ...
        layers[f"fc{k}"] = nn.Linear(WIDTH, WIDTH, init=init, rng=rng, dtype=np.float64)
        layers[f"act{k}"] = nn.ReLU()
    net = nn.Sequential(layers)
    monitor = tg.viz.GradientMonitor(net, every=1, details_every=1)  # a short run: every detail
    opt = tg.optim.SGD(net.parameters(), lr=0.01)
    x, y = tg.Tensor(X), tg.Tensor(Y)
    for _ in range(steps):
        opt.zero_grad()
        F.mse_loss(net(x), y).backward()
        opt.step()
        monitor.record()  # after backward and step
    return monitor


def _ratio(values: list[float]) -> float:
    """last / first, or 0 when the first is 0 (the all-zero scheme has no signal to keep)."""
    return values[-1] / values[0] if values[0] else 0.0


def print_table(stats: dict[str, dict[str, dict[str, list[float]]]]) -> None:
    shown = (1, DEPTH // 2, DEPTH)
    head = " ".join(f"{'act L' + str(k):>9}" for k in shown) + "  " + " ".join(
        f"{'grad L' + str(k):>9}" for k in shown)
    for network, per_scheme in stats.items():
        print(f"\n{DEPTH}-layer {network} network, width {WIDTH}: std of activations / weight gradients")
        print(f"  {'scheme':<20}{head}")
        for scheme, s in per_scheme.items():
            acts = " ".join(f"{s['activation_std'][k - 1]:9.1e}" for k in shown)
            grads = " ".join(f"{s['gradient_std'][k - 1]:9.1e}" for k in shown)
            print(f"  {scheme:<20}{acts}  {grads}")


# -- pictures ----------------------------------------------------------------------------------------
def plot_symmetry(plt: Any, nets: dict[str, nn.MLP], X: np.ndarray, y: np.ndarray,
                  results: dict[str, dict[str, float]], out: Any) -> None:
    grid = np.linspace(-1.4, 1.4, 161)
    gx, gy = np.meshgrid(grid, grid)
    points = tg.Tensor(np.column_stack([gx.ravel(), gy.ravel()]))
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.8))
    for ax, (label, net) in zip(axes, nets.items()):
        with tg.no_grad():
            regions = (net(points).data > 0.5).reshape(gx.shape)
        ax.contourf(gx, gy, regions, levels=[-0.5, 0.5, 1.5], colors=["#dbe9f6", "#fbd9c4"])
        ax.scatter(X[y == 0, 0], X[y == 0, 1], s=12, color="#1f5fa8", label="outer ring (0)")
        ax.scatter(X[y == 1, 0], X[y == 1, 1], s=12, color="#c2502b", label="inner ring (1)")
        r = results[label]
        ax.set_title(f"{label} init: accuracy {r['accuracy']:.2f}\n"
                     f"max difference between hidden units {r['hidden_unit_spread']:.3g}", fontsize=10)
        ax.set_aspect("equal")
    axes[0].legend(loc="lower left", fontsize=8)
    fig.suptitle("2→8→1 sigmoid network, same training: zero init leaves 8 identical hidden units")
    fig.tight_layout()
    save_figure(fig, out, "init_symmetry.png")


def plot_layer_stats(plt: Any, stats: dict[str, dict[str, dict[str, list[float]]]], out: Any) -> None:
    fig, axes = plt.subplots(2, 2, figsize=(12, 7.5), sharex=True)
    layers = np.arange(1, DEPTH + 1)
    for col, (network, per_scheme) in enumerate(stats.items()):
        for row, key in enumerate(("activation_std", "gradient_std")):
            ax = axes[row, col]
            for scheme, s in per_scheme.items():
                values = np.array(s[key])
                if np.all(values == 0):
                    continue  # zeros: exactly 0 everywhere, nothing to draw on a log scale
                ax.semilogy(layers, values, marker="o", label=scheme)
            what = "activations" if key == "activation_std" else "weight gradients"
            ax.set_title(f"{network} network: std of {what}", fontsize=10)
            ax.grid(alpha=0.3, which="both")
            ax.set_xticks(layers)
        axes[1, col].set_xlabel("layer")
    axes[0, 0].legend(title="init (zeros: exactly 0, not drawn)", fontsize=8, title_fontsize=8)
    fig.suptitle(f"{DEPTH} layers of width {WIDTH}, one fixed batch: how each init carries the signal")
    fig.tight_layout()
    save_figure(fig, out, "init_layer_stats.png")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(__doc__.splitlines()[0], argv, "examples-output/init_schemes")

    X, y = ring_data()
    epochs = 400 if args.quick else 1000
    nets, symmetry = {}, {}
    for label, init in (("zeros", "zeros"), ("Xavier", "xavier")):
        net = nets[label] = train_ring_network(init, X, y, epochs)
        with tg.no_grad():
            accuracy = float(((net(tg.Tensor(X)).data.ravel() > 0.5) == y).mean())
        symmetry[label] = {"hidden_unit_spread": hidden_unit_spread(net), "accuracy": accuracy,
                           "fc1_weight_norm": float(np.linalg.norm(net.fc1.weight.data))}
    majority = float(np.bincount(y).max() / len(y))
    print(f"Rings ({len(y)} points, majority class {majority:.1%}), 2→8→1 sigmoid, {epochs} epochs of SGD:")
    for label, r in symmetry.items():
        print(f"  {label:<7} init: max difference between hidden units = {r['hidden_unit_spread']:.3g}, "
              f"‖W1‖ = {r['fc1_weight_norm']:.2f}, training accuracy {r['accuracy']:.1%}")
    xor_grad = first_gradient_norm("zeros")
    print(f"  zeros on balanced labels (XOR): norm of the first gradient = {xor_grad} -- nothing moves")

    rng = np.random.default_rng(0)  # one batch and one target, shared by every network
    batch = rng.normal(size=(BATCH, WIDTH))
    target = rng.normal(size=(BATCH, WIDTH))
    stats = {network: {label: layer_statistics(network, init, batch, target)
                       for label, init in SCHEMES.items()}
             for network in ("tanh", "ReLU")}
    print_table(stats)
    drift = {network: {label: _ratio(s["activation_std"]) for label, s in per_scheme.items()}
             for network, per_scheme in stats.items()}
    print("\nActivation std, layer 10 / layer 1 (1 = the signal keeps its scale):")
    for network, ratios in drift.items():
        print(f"  {network:<5} " + ", ".join(f"{label} {r:.2g}" for label, r in ratios.items()))

    steps = 10 if args.quick else 30
    monitors = {"small": monitored_training("small", batch, target, steps),
                "he": monitored_training("he", batch, target, steps)}
    health = {}
    print(f"\nGradientMonitor, {steps} SGD steps (lr 0.01) of the ReLU network:")
    for name, monitor in monitors.items():
        norms, ratios = monitor.grad_norms(), monitor.update_ratios()
        first, last = norms["fc1"], norms[f"fc{DEPTH}"]
        health[name] = {"max_grad_norm": max(max(v) for v in norms.values()),
                        "first_over_last": [a / b for a, b in zip(first, last)],
                        "median_update_ratio": float(np.median([r for v in ratios.values() for r in v]))}
        h = health[name]
        print(f"  {name:<6} largest ‖grad‖ {h['max_grad_norm']:.1e}, first / last layer at step 0 "
              f"{h['first_over_last'][0]:.2g}, median update-to-weight ratio {h['median_update_ratio']:.1e}")
        monitor.save_html(args.out / f"gradient_health_{name}.html",
                          title=f"Gradient health: {DEPTH}-layer ReLU network, {name} init")

    plt = pyplot()
    if plt is not None:
        plot_symmetry(plt, nets, X, y, symmetry, args.out)
        plot_layer_stats(plt, stats, args.out)
        for name, monitor in monitors.items():
            label = "small random (0.01)" if name == "small" else "He"
            save_figure(monitor.plot(title=f"GradientMonitor: {DEPTH}-layer ReLU network, {label} init"),
                        args.out, f"gradient_health_{name}.png")
    return {
        "symmetry": symmetry,
        "majority_fraction": majority,
        "xor_zero_init_first_gradient_norm": xor_grad,
        "layer_stats": stats,
        "activation_drift": drift,
        "monitor": health,
    }


if __name__ == "__main__":
    main()
