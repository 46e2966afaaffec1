"""Universal approximation: one hidden layer of tanh units fitting sin(x), |x| and a step.

The theorem (Cybenko 1989, Hornik 1991) says that for any *continuous* function on a closed
interval and any tolerance, some network ``x -> Linear(1, n) -> tanh -> Linear(n, 1)`` with
enough hidden units n stays within the tolerance everywhere on the interval.  It promises
that such weights exist; it says nothing about how many units, or whether gradient descent
finds them.  This script measures both at once: for each target and each width it trains
the network (Adam, full batch, a decaying learning rate) on noise-free samples of
[-3, 3] and measures the error on a dense grid of 2001 points:

- ``max`` = max |f̂(x) - f(x)| (the sup-norm the theorem is about), and
- ``mean`` = mean |f̂(x) - f(x)|.

What to expect, and what the full run prints: for sin and |x| both errors fall by more than
an order of magnitude from 1 to 32 units.  Not perfectly monotonically (2 units do no
better than 1 on sin's max error): what is measured is the theorem's capacity *plus* an
optimizer with a fixed budget, which can stall in a poor local minimum.
The step is not continuous, so the theorem does not cover it, and it shows: no continuous
function can be closer than 1/2 to a jump of height 1 in the max norm (at the jump it must
take one value, which is at least 1/2 from one side's limit), so the max error never drops
below about 0.5 however wide the layer; the *mean* error still falls, because the tanh ramp
gets steeper and the region where it is wrong gets narrower, and away from the jump
(|x| > 0.3) the fit does converge.

The tutorial states the theorem as "given sufficient neurons and non-linear activation".
Non-linear is not enough: the activation must not be a polynomial (Leshno et al. 1993).
The script measures it too: with x² as the activation, a hidden layer of any width
computes a quadratic polynomial of x, so on sin its error stops at the error of the best
quadratic (mean |error| 0.36 at every width from 2 to 32 units in the full run) while tanh
goes down to 0.001.

One choice needs a word: the first layer starts with its "switch points" -b/w spread
uniformly over the interval (w ~ N(0, 1), b = -w·c with c ~ U(-3, 3)).  With PyTorch's
default init all units switch inside [-1, 1] with gentle slopes, and many more steps are
needed before the wider networks show what they can represent.

    python examples/universal_approximation.py [--quick] [--out DIR]

Pictures written to ``--out`` (default ``examples-output/universal_approximation``):

- ``universal_approximation_fits.png``: each target with the fits of several widths.
- ``universal_approximation_error_vs_width.png``: max and mean absolute error against the
  number of hidden units (log-log), one panel per target.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from _common import parse_args, pyplot, save_figure

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F

INTERVAL = (-3.0, 3.0)
JUMP_WINDOW = 0.3  # for the step: "away from the jump" means |x| > this

# The names make_regression_1d understands, with the same functions for the dense grid.
TARGETS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sin": np.sin,
    "abs": np.abs,
    "step": lambda x: (x >= 0).astype(np.float64),
}


class Square(nn.Module):
    """y = x²: nonlinear, but a polynomial -- the activation the theorem excludes."""

    def forward(self, x: tg.Tensor) -> tg.Tensor:
        return x * x


def one_hidden_layer(width: int, seed: int, activation: type[nn.Module] = nn.Tanh) -> nn.Sequential:
    """x -> Linear(1, width) -> activation -> Linear(width, 1), in float64, switch points spread out.

    Unit i computes tanh(w_i·x + b_i), which switches sign at x = -b_i/w_i; drawing that
    point uniformly over the interval gives every unit something to do from the start.
    """
    rng = np.random.default_rng(seed)
    hidden = nn.Linear(1, width, dtype=np.float64, rng=rng)
    nn.init.normal_(hidden.weight, std=1.0, rng=rng)
    centres = rng.uniform(*INTERVAL, size=width)
    assert hidden.bias is not None
    hidden.bias.data = -hidden.weight.data[:, 0] * centres
    return nn.Sequential(hidden, activation(), nn.Linear(width, 1, dtype=np.float64, rng=rng))


def fit(model: nn.Module, x: np.ndarray, y: np.ndarray, steps: int, lr: float) -> float:
    """Full-batch Adam on the MSE, learning rate decayed 100-fold over the run; final loss."""
    opt = tg.optim.Adam(model.parameters(), lr=lr)
    schedule = tg.optim.ExponentialLR(opt, gamma=0.01 ** (1.0 / steps))
    xt, yt = tg.Tensor(x), tg.Tensor(y)
    loss = F.mse_loss(model(xt), yt)
    for _ in range(steps):
        opt.zero_grad()
        loss = F.mse_loss(model(xt), yt)
        loss.backward()
        opt.step()
        schedule.step()
    return float(loss.item())


def grid_errors(model: nn.Module, target: Callable[[np.ndarray], np.ndarray],
                grid: np.ndarray) -> tuple[dict[str, float], np.ndarray]:
    """max, mean and RMS absolute error on the grid (and max away from x = 0), plus f̂(grid)."""
    with tg.no_grad():
        pred = model(tg.Tensor(grid[:, None])).data[:, 0]
    err = np.abs(pred - target(grid))
    away = np.abs(grid) > JUMP_WINDOW
    return ({"max": float(err.max()), "mean": float(err.mean()),
             "rmse": float(np.sqrt(np.mean(err ** 2))), "max_away_from_0": float(err[away].max())},
            pred)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(__doc__.splitlines()[0], argv, "examples-output/universal_approximation")
    widths = [1, 4, 16] if args.quick else [1, 2, 4, 8, 16, 32]
    steps, n_samples, lr = (400, 100, 0.03) if args.quick else (3000, 400, 0.02)
    grid = np.linspace(*INTERVAL, 2001)

    errors: dict[str, dict[str, list[float]]] = {}
    predictions: dict[str, dict[int, np.ndarray]] = {}
    samples: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    print(f"one hidden tanh layer, {steps} Adam steps, {n_samples} samples on {INTERVAL}; "
          f"errors on a grid of {len(grid)} points")
    print(f"{'target':>18} {'width':>5} {'max|err|':>9} {'mean|err|':>9} {'RMSE':>8} {'train MSE':>10}")
    for name, target in TARGETS.items():
        x, y = tg.data.make_regression_1d(name, n_samples=n_samples, x_range=INTERVAL, seed=0)
        samples[name] = (x[:, 0], y[:, 0])
        errors[name] = {"max": [], "mean": [], "rmse": [], "max_away_from_0": []}
        predictions[name] = {}
        for width in widths:
            model = one_hidden_layer(width, seed=width)
            train_mse = fit(model, x, y, steps, lr)
            err, pred = grid_errors(model, target, grid)
            for key in errors[name]:
                errors[name][key].append(err[key])
            predictions[name][width] = pred
            print(f"{name:>18} {width:>5} {err['max']:>9.4f} {err['mean']:>9.4f} "
                  f"{err['rmse']:>8.4f} {train_mse:>10.2e}")

    # "Non-linear" is not enough: with a polynomial activation the network is a polynomial of
    # fixed degree (here 2) however wide it is, so its error has a floor: the best quadratic.
    x, y = tg.data.make_regression_1d("sin", n_samples=n_samples, x_range=INTERVAL, seed=0)
    squared: dict[str, list[float]] = {"max": [], "mean": []}
    for width in widths:
        model = one_hidden_layer(width, seed=width, activation=Square)
        train_mse = fit(model, x, y, steps, lr)
        err, _ = grid_errors(model, np.sin, grid)
        squared["max"].append(err["max"])
        squared["mean"].append(err["mean"])
        print(f"{'sin, x² activation':>18} {width:>5} {err['max']:>9.4f} {err['mean']:>9.4f} "
              f"{err['rmse']:>8.4f} {train_mse:>10.2e}")
    best_quadratic = np.abs(np.polyval(np.polyfit(grid, np.sin(grid), 2), grid) - np.sin(grid))
    errors["sin_square_activation"] = squared

    step = errors["step"]
    print(f"step: max error stays >= {min(step['max']):.2f} at every width (no continuous function "
          "can beat 0.5 at a jump of height 1);")
    print(f"      mean error {step['mean'][0]:.4f} -> {step['mean'][-1]:.4f}; max error away from the "
          f"jump (|x| > {JUMP_WINDOW}) {step['max_away_from_0'][0]:.3f} -> {step['max_away_from_0'][-1]:.3f}")
    for name in ("sin", "abs"):
        e = errors[name]
        print(f"{name}: max error {e['max'][0]:.3f} -> {e['max'][-1]:.3f}, mean error "
              f"{e['mean'][0]:.4f} -> {e['mean'][-1]:.4f} from {widths[0]} to {widths[-1]} units")
    print(f"sin with x² activation: mean error {squared['mean'][-1]:.3f} at {widths[-1]} units, "
          f"no better than the best quadratic polynomial ({best_quadratic.mean():.3f}): "
          "non-linear is not enough")

    plt = pyplot()
    if plt is not None:
        _plot_fits(plt, args.out, grid, samples, predictions, widths)
        _plot_errors(plt, args.out, widths, errors, float(best_quadratic.mean()))
    return {"widths": widths, "errors": errors, "steps": steps, "n_samples": n_samples,
            "best_quadratic_mean_error": float(best_quadratic.mean())}


def _plot_fits(plt: Any, out: Any, grid: np.ndarray, samples: dict, predictions: dict,
               widths: list[int]) -> None:
    shown = [w for w in widths if w in (1, 4, 32)] or widths
    if widths[-1] not in shown:
        shown.append(widths[-1])
    fig, axes = plt.subplots(1, len(TARGETS), figsize=(13, 3.8))
    for ax, (name, target) in zip(axes, TARGETS.items()):
        ax.plot(grid, target(grid), color="black", lw=2.5, alpha=0.35, label="target")
        for width in shown:
            ax.plot(grid, predictions[name][width], lw=1.4, label=f"{width} unit{'s' * (width > 1)}")
        ax.set_title({"sin": "sin(x)", "abs": "|x|", "step": "step(x) (discontinuous)"}[name])
        ax.set_xlabel("x")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8, loc="upper left")
    fig.suptitle("One hidden tanh layer: fits for a few widths")
    fig.tight_layout()
    save_figure(fig, out, "universal_approximation_fits.png")


def _plot_errors(plt: Any, out: Any, widths: list[int], errors: dict, best_quadratic: float) -> None:
    fig, axes = plt.subplots(1, len(TARGETS), figsize=(13, 3.8), sharey=True)
    for ax, name in zip(axes, TARGETS):
        e = errors[name]
        ax.loglog(widths, e["max"], "o-", label="max |error|")
        ax.loglog(widths, e["mean"], "s-", label="mean |error|")
        if name == "sin":
            ax.loglog(widths, errors["sin_square_activation"]["mean"], "d--", color="tab:purple",
                      label="mean |error|, x² activation")
            ax.axhline(best_quadratic, color="tab:purple", ls=":", lw=1, label="best quadratic polynomial")
        if name == "step":
            ax.loglog(widths, e["max_away_from_0"], "^--", label=f"max |error|, |x| > {JUMP_WINDOW}")
            ax.axhline(0.5, color="grey", ls=":", lw=1.2, label="0.5: least max error of any continuous fit")
        ax.set_title(name)
        ax.set_xlabel("hidden units")
        ax.set_xticks(widths)
        ax.set_xticklabels([str(w) for w in widths])
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8, loc="lower left")
    axes[0].set_ylabel("error on a 2001-point grid")
    fig.suptitle("Error against width (one hidden layer, tanh unless marked)")
    fig.tight_layout()
    save_figure(fig, out, "universal_approximation_error_vs_width.png")


if __name__ == "__main__":
    main()
