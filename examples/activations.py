"""Activation functions and their derivatives, the derivatives computed by autograd.

Part 1: sigmoid, tanh, ReLU, leaky ReLU and softmax are evaluated on a grid of inputs and
differentiated by ``backward()``; each autograd derivative is compared with its textbook
formula (the largest difference is printed -- it is at rounding level in float64).
Leaky ReLU is drawn with alpha = 0.1, the tutorial's value; the library's default
(``F.leaky_relu``, ``nn.LeakyReLU``) is 0.01, so the example passes alpha explicitly.

Part 2: vanishing gradients.  Two 10-layer stacks of width 32 -- one with sigmoid and
Xavier init, one with ReLU and He init, the init each is meant to have -- see the same
input batch and target; the gradient norm of each layer's weight is measured after one
backward pass.  Each sigmoid layer multiplies the backward signal by sigmoid' <= 1/4, so
by the first layer the sigmoid stack's gradient is orders of magnitude smaller.

    python examples/activations.py [--quick] [--out DIR]

Pictures written to ``--out`` (default ``examples-output/activations``):

- ``activations.png``: each function (top row) and its derivative (bottom row), autograd as a
  line and the closed form as dots.
- ``vanishing_gradients.png``: gradient norm per layer, sigmoid stack vs ReLU stack (log scale).
- ``gradient_health_sigmoid.png`` / ``gradient_health_relu.png`` and the ``.html`` reports:
  ``tg.viz.GradientMonitor`` watching each stack train (part 3).

Part 3: the same two stacks train for a few SGD steps on that batch, watched by
``tg.viz.GradientMonitor``: the heat map of layers against steps shows the sigmoid stack's
gradient dark near the input at every step, the ReLU stack's even from input to output.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from _common import parse_args, pyplot, save_figure

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F

LEAKY_ALPHA = 0.1  # the tutorial's leaky_relu(x, alpha=0.1); the library default is 0.01
DEPTH, WIDTH = 10, 32


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


# name -> (tinygrad_edu function, closed-form value, closed-form derivative)
ELEMENTWISE: dict[str, tuple[Callable[[tg.Tensor], tg.Tensor], Callable[[np.ndarray], np.ndarray],
                             Callable[[np.ndarray], np.ndarray]]] = {
    "sigmoid": (F.sigmoid, _sigmoid, lambda x: _sigmoid(x) * (1 - _sigmoid(x))),
    "tanh": (F.tanh, np.tanh, lambda x: 1 - np.tanh(x) ** 2),
    "relu": (F.relu, lambda x: np.maximum(x, 0), lambda x: (x > 0).astype(x.dtype)),
    f"leaky_relu(alpha={LEAKY_ALPHA})": (
        lambda t: F.leaky_relu(t, LEAKY_ALPHA),
        lambda x: np.where(x > 0, x, LEAKY_ALPHA * x),
        lambda x: np.where(x > 0, 1.0, LEAKY_ALPHA),
    ),
}


def elementwise_derivative(fn: Callable[[tg.Tensor], tg.Tensor],
                           grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """f(x) and f'(x) on the grid, f' from one backward pass.

    Output i depends only on input i, so the gradient of sum_i f(x_i) with respect to x_i
    is exactly f'(x_i): one backward call gives the derivative at every grid point.
    """
    x = tg.Tensor(grid, requires_grad=True)
    y = fn(x)
    y.sum().backward()
    return y.data, x.grad.data


def softmax_sweep(grid: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Softmax of the 3-vector (s, 1, -1) for every s on the grid, and ∂p_i/∂s by autograd.

    Softmax mixes its inputs, so one backward pass per output: row n of the batch depends
    only on s_n, so the gradient of sum_n p_i(n) with respect to s_n is ∂p_i/∂s at s_n.
    The closed form is ∂p_i/∂s = p_i (δ_i0 - p_0).
    """
    s = tg.Tensor(grid, requires_grad=True)
    n = len(grid)
    logits = tg.stack([s, tg.Tensor(np.ones(n)), tg.Tensor(-np.ones(n))], axis=1)  # (n, 3)
    p = F.softmax(logits, axis=1)
    autograd = np.empty((n, 3))
    for i in range(3):
        s.grad = None
        p[:, i].sum().backward(retain_graph=True)
        autograd[:, i] = s.grad.data
    probs = p.data
    closed = probs * ((np.arange(3) == 0) - probs[:, :1])
    return probs, autograd, closed


def layer_gradient_norms(activation: str, init: str, X: np.ndarray, Y: np.ndarray, seed: int) -> list[float]:
    """‖∂L/∂W‖ for each layer of a DEPTH-layer stack (plus a linear read-out), L = MSE to Y."""
    net = nn.MLP([WIDTH] * (DEPTH + 1) + [1], activation=activation, init=init,
                 rng=np.random.default_rng(seed), dtype=np.float64)
    F.mse_loss(net(tg.Tensor(X)), tg.Tensor(Y)).backward()
    return [float(np.linalg.norm(getattr(net, f"fc{i}").weight.grad.data)) for i in range(1, DEPTH + 1)]


def monitored_training(activation: str, init: str, X: np.ndarray, Y: np.ndarray, seed: int,
                       steps: int) -> tg.viz.GradientMonitor:
    """The stack of ``layer_gradient_norms`` (same seed), trained ``steps`` SGD steps, watched."""
    net = nn.MLP([WIDTH] * (DEPTH + 1) + [1], activation=activation, init=init,
                 rng=np.random.default_rng(seed), dtype=np.float64)
    monitor = tg.viz.GradientMonitor(net, every=1, details_every=1)  # a short run: every detail
    opt = tg.optim.SGD(net.parameters(), lr=0.05)
    x, y = tg.Tensor(X), tg.Tensor(Y)
    for _ in range(steps):
        opt.zero_grad()
        F.mse_loss(net(x), y).backward()
        opt.step()
        monitor.record()  # after backward and step: this step's gradients and update
    return monitor


def plot_functions(plt: Any, grid: np.ndarray, curves: dict[str, Any], softmax: Any, out: Any) -> None:
    fig, axes = plt.subplots(2, 5, figsize=(18, 6.5), sharex=True)
    for col, (name, (value, autograd, closed)) in enumerate(curves.items()):
        axes[0, col].plot(grid, value, color="#1f5fa8")
        axes[0, col].set_title(name)
        axes[1, col].plot(grid, autograd, color="#c2502b", label="autograd")
        axes[1, col].plot(grid[::25], closed[::25], "k.", label="closed form")
    probs, autograd, closed = softmax
    for i, color in enumerate(("#1f5fa8", "#c2502b", "#2a8a4a")):
        axes[0, 4].plot(grid, probs[:, i], color=color, label=f"p{i}")
        axes[1, 4].plot(grid, autograd[:, i], color=color, label=f"∂p{i}/∂s")
        axes[1, 4].plot(grid[::25], closed[::25, i], "k.")
    axes[0, 4].set_title("softmax(s, 1, -1)")
    axes[0, 4].legend(fontsize=8)
    axes[1, 4].legend(fontsize=8)
    axes[1, 0].legend(fontsize=8)
    axes[0, 0].set_ylabel("f(x)")
    axes[1, 0].set_ylabel("f'(x)")
    for ax in axes[1]:
        ax.set_xlabel("x (s for softmax)")
    for ax in axes.ravel():
        ax.grid(alpha=0.3)
    fig.suptitle("Activations (top) and their derivatives from backward() (bottom); "
                 "dots: closed-form derivative")
    fig.tight_layout()
    save_figure(fig, out, "activations.png")


def plot_vanishing(plt: Any, norms: dict[str, list[float]], out: Any) -> None:
    fig, ax = plt.subplots(figsize=(7, 4.2))
    layers = np.arange(1, DEPTH + 1)
    for label, values in norms.items():
        ax.semilogy(layers, values, marker="o", label=label)
    ax.set_xlabel("layer (1 = closest to the input)")
    ax.set_ylabel("‖∂L/∂W‖ (log scale)")
    ax.set_xticks(layers)
    ax.set_title(f"{DEPTH} layers of width {WIDTH}: the sigmoid gradient fades toward the input")
    ax.legend()
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    save_figure(fig, out, "vanishing_gradients.png")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(__doc__.splitlines()[0], argv, "examples-output/activations")
    # An even number of points avoids x = 0 exactly, where ReLU has no derivative (the
    # engine uses 0 there, as PyTorch does).
    grid = np.linspace(-5.0, 5.0, 400 if args.quick else 1000)
    curves, errors = {}, {}
    for name, (fn, value_fn, derivative_fn) in ELEMENTWISE.items():
        value, autograd = elementwise_derivative(fn, grid)
        closed = derivative_fn(grid)
        curves[name] = (value, autograd, closed)
        errors[name] = float(max(np.abs(value - value_fn(grid)).max(), np.abs(autograd - closed).max()))
    softmax = softmax_sweep(grid)
    errors["softmax"] = float(np.abs(softmax[1] - softmax[2]).max())
    print("Largest |autograd derivative - closed form| on the grid (float64):")
    for name, err in errors.items():
        print(f"  {name:<22} {err:.1e}")
    print(f"(leaky ReLU uses alpha = {LEAKY_ALPHA} as in the tutorial; the library default is 0.01)")

    rng = np.random.default_rng(0)  # one fixed batch and target for both stacks
    X, Y = rng.normal(size=(128, WIDTH)), rng.normal(size=(128, 1))
    norms = {
        "sigmoid, Xavier init": layer_gradient_norms("sigmoid", "xavier", X, Y, seed=1),
        "ReLU, He init": layer_gradient_norms("relu", "he", X, Y, seed=1),
    }
    sigmoid_first, relu_first = norms["sigmoid, Xavier init"][0], norms["ReLU, He init"][0]
    ratio = relu_first / sigmoid_first
    print(f"\nVanishing gradients, {DEPTH} layers of width {WIDTH}, same batch and target:")
    print(f"  first-layer ‖∂L/∂W‖: sigmoid {sigmoid_first:.2e}, ReLU {relu_first:.2e} "
          f"(ReLU's is {ratio:.1e} times larger)")
    for label, values in norms.items():
        print(f"  {label:<21} layers 1..{DEPTH}: " + " ".join(f"{v:.1e}" for v in values))

    steps = 10 if args.quick else 40
    # A target the stacks can learn (a linear map of the input), so the gradients do not just
    # die out once the read-out has fitted the mean of a random target.
    learnable = X @ rng.normal(size=(WIDTH, 1)) / np.sqrt(WIDTH)
    monitors = {"sigmoid": monitored_training("sigmoid", "xavier", X, learnable, 1, steps),
                "relu": monitored_training("relu", "he", X, learnable, 1, steps)}
    health = {}
    print(f"\nGradientMonitor, {steps} SGD steps (lr 0.05) of each stack on a learnable target:")
    for name, monitor in monitors.items():
        layers = monitor.grad_norms()
        first_over_last = [a / b for a, b in zip(layers["fc1"], layers[f"fc{DEPTH}"])]
        health[name] = {"first_over_last": first_over_last, "fc1_grad_norm": layers["fc1"]}
        print(f"  {name:<8} ‖grad fc1‖ / ‖grad fc{DEPTH}‖: step 0 {first_over_last[0]:.1e}, step {steps - 1} "
              f"{first_over_last[-1]:.1e}; ‖grad fc1‖ from {min(layers['fc1']):.1e} "
              f"to {max(layers['fc1']):.1e}")
        monitor.save_html(args.out / f"gradient_health_{name}.html",
                          title=f"Gradient health: {DEPTH} {name} layers of width {WIDTH}")
    print("  (the sigmoid stack's read-out fits the mean in a few steps; then every layer is stuck at "
          "~1e-6: no signal reaches the input layers to learn from)")

    plt = pyplot()
    if plt is not None:
        plot_functions(plt, grid, curves, softmax, args.out)
        plot_vanishing(plt, norms, args.out)
        for name, monitor in monitors.items():
            label = "sigmoid, Xavier init" if name == "sigmoid" else "ReLU, He init"
            save_figure(monitor.plot(title=f"GradientMonitor: {DEPTH}-layer stack, {label}"), args.out,
                        f"gradient_health_{name}.png")
    return {
        "max_abs_error": errors,
        "leaky_relu_alpha": LEAKY_ALPHA,
        "first_layer_grad_norm": {"sigmoid": sigmoid_first, "relu": relu_first},
        "relu_over_sigmoid": ratio,
        "layer_grad_norms": norms,
        "monitor": health,
    }


if __name__ == "__main__":
    main()
