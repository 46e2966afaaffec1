"""Higher-order gradients: a Hessian-vector product, Newton's method, and a gradient's own graph.

Every backward rule in tinygrad_edu is written with Tensor operations.  With
``create_graph=True`` the engine records those operations while it runs them, so the
gradient it returns is an ordinary tensor with a graph behind it -- and can be
differentiated again.  Three uses:

1. **Hessian-vector product.**  For a small tanh network's MSE loss L(θ) (21 parameters,
   float64) and a random direction v, ``g = tg.grad(L, θ, create_graph=True)`` and then
   ``tg.grad(g·v, θ)`` give H·v, the Hessian times v, without ever forming H (the trick
   behind truncated-Newton and many curvature estimates).  It is checked against central
   finite differences of the gradient, (∇L(θ + εv) - ∇L(θ - εv)) / 2ε.  Doing it for the
   21 unit vectors builds the whole Hessian, which must be symmetric; its eigenvalues say
   what kind of point the weights sit at.
2. **Newton's method** on f(x) = eˣ - 2x (minimum at x* = ln 2), with f' and f'' both from
   autograd: x ← x - f'(x)/f''(x).  Convergence is quadratic -- the number of correct digits
   roughly doubles per step, or precisely e_{k+1}/e_k² → f'''(x*)/(2 f''(x*)) = 1/2, which
   the printed table shows -- against gradient descent with a fixed step 0.25, whose error,
   after a good first step, only halves per step (e_{k+1}/e_k → 1 - 0.25·f''(x*) = 1/2).
3. **The gradient's own graph.**  For y = x·tanh(x), ``y.backward(create_graph=True)`` leaves
   in ``x.grad`` the tensor dy/dx = tanh(x) + x·(1 - tanh²(x)) together with the ops that
   computed it; ``viz.save_graph(x.grad, ...)`` draws them.  Differentiating it once more
   gives y'' = 2(1 - tanh²x) - 2x·tanh x·(1 - tanh²x), compared with that closed form.

    python examples/higher_order.py [--quick] [--out DIR]

Pictures written to ``--out`` (default ``examples-output/higher_order``):

- ``higher_order_function_graph.svg``: the forward graph of y = x·tanh(x).
- ``higher_order_grad_graph.svg``: the graph of dy/dx built by the backward pass.
- ``higher_order_newton.png``: |x_k - x*| per iteration (log scale), Newton vs gradient descent.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from _common import parse_args, pyplot, save_figure

import tinygrad_edu as tg
from tinygrad_edu import nn, viz
from tinygrad_edu.nn import functional as F

F64 = np.float64


# -- 1. Hessian-vector product ----------------------------------------------------------------------
def small_problem(seed: int = 0) -> tuple[nn.Module, tg.Tensor, tg.Tensor]:
    """A 3→4→1 tanh network (21 parameters) and 8 random samples, all float64."""
    rng = np.random.default_rng(seed)
    model = nn.MLP([3, 4, 1], activation="tanh", dtype=F64, rng=rng)
    X = tg.Tensor(rng.normal(size=(8, 3)))
    y = tg.Tensor(rng.normal(size=(8, 1)))
    return model, X, y


def _present(grads: tuple[tg.Tensor | None, ...]) -> list[tg.Tensor]:
    """tg.grad's results, which are all present here (every parameter affects the loss)."""
    out = [g for g in grads if g is not None]
    assert len(out) == len(grads)
    return out


def hessian_vector_product(loss_fn: Any, params: list[tg.Tensor], v: list[np.ndarray]) -> list[np.ndarray]:
    """H·v by double backward: H·v = ∇_θ (∇_θ L · v), v held constant."""
    grads = _present(tg.grad(loss_fn(), params, create_graph=True))  # differentiable gradients
    g_dot_v = sum(((g * vi).sum() for g, vi in zip(grads, v)), start=tg.Tensor(np.zeros((), dtype=F64)))
    return [h.data for h in _present(tg.grad(g_dot_v, params))]


def finite_difference_hvp(loss_fn: Any, params: list[tg.Tensor], v: list[np.ndarray],
                          eps: float = 1e-5) -> list[np.ndarray]:
    """(∇L(θ + εv) - ∇L(θ - εv)) / 2ε, moving the parameters in place and back."""

    def gradient_at(step: float) -> list[np.ndarray]:
        for p, vi in zip(params, v):
            p.data += step * vi
        grads = [g.data.copy() for g in _present(tg.grad(loss_fn(), params))]
        for p, vi in zip(params, v):
            p.data -= step * vi
        return grads

    plus, minus = gradient_at(eps), gradient_at(-eps)
    return [(a - b) / (2 * eps) for a, b in zip(plus, minus)]


def hessian_check(seed: int = 0) -> dict[str, Any]:
    model, X, y = small_problem(seed)
    params = list(model.parameters())

    def loss() -> tg.Tensor:
        return F.mse_loss(model(X), y)

    rng = np.random.default_rng(seed + 1)
    v = [rng.normal(size=p.shape) for p in params]
    hv = np.concatenate([a.ravel() for a in hessian_vector_product(loss, params, v)])
    fd = np.concatenate([a.ravel() for a in finite_difference_hvp(loss, params, v)])
    n = sum(p.size for p in params)
    # The whole Hessian, one column per unit vector.
    columns = []
    for i in range(n):
        e = np.zeros(n)
        e[i] = 1.0
        pieces = np.split(e, np.cumsum([p.size for p in params])[:-1])
        unit = [piece.reshape(p.shape) for piece, p in zip(pieces, params)]
        columns.append(np.concatenate([a.ravel() for a in hessian_vector_product(loss, params, unit)]))
    H = np.stack(columns, axis=1)
    eigenvalues = np.linalg.eigvalsh((H + H.T) / 2)
    return {"n_params": n, "loss": float(loss().item()),
            "max_abs_diff": float(np.max(np.abs(hv - fd))),
            "rel_diff": float(np.linalg.norm(hv - fd) / np.linalg.norm(fd)),
            "hv_norm": float(np.linalg.norm(hv)),
            "asymmetry": float(np.max(np.abs(H - H.T))),
            "eig_min": float(eigenvalues.min()), "eig_max": float(eigenvalues.max()),
            "n_negative": int((eigenvalues < -1e-10).sum())}


# -- 2. Newton's method -----------------------------------------------------------------------------
X_STAR = math.log(2.0)


def f(x: tg.Tensor) -> tg.Tensor:
    """f(x) = eˣ - 2x: convex, minimum at ln 2, f''(x) = eˣ > 0."""
    return x.exp() - 2.0 * x


def newton(x0: float, steps: int) -> list[float]:
    """Iterates of x ← x - f'(x)/f''(x), both derivatives by autograd."""
    xs = [x0]
    for _ in range(steps):
        x = tg.Tensor(np.array(xs[-1], dtype=F64), requires_grad=True)
        (d1,) = tg.grad(f(x), x, create_graph=True)  # f'(x), differentiable
        assert d1 is not None
        (d2,) = tg.grad(d1, x)                       # f''(x)
        assert d2 is not None
        xs.append(xs[-1] - d1.item() / d2.item())
    return xs


def gradient_descent(x0: float, steps: int, lr: float) -> list[float]:
    xs = [x0]
    for _ in range(steps):
        x = tg.Tensor(np.array(xs[-1], dtype=F64), requires_grad=True)
        (d1,) = tg.grad(f(x), x)
        assert d1 is not None
        xs.append(xs[-1] - lr * d1.item())
    return xs


# -- 3. the gradient's graph ------------------------------------------------------------------------
def gradient_graph(out: Any) -> dict[str, float]:
    x = tg.Tensor(np.array(0.5), requires_grad=True, name="x")
    y = x * x.tanh()
    y.name = "y"
    y.backward(create_graph=True)  # x.grad now carries the ops that computed it
    dydx = x.grad
    assert dydx is not None
    dydx.name = "dy_dx"
    for name, tensor in (("higher_order_function_graph.svg", y), ("higher_order_grad_graph.svg", dydx)):
        try:
            viz.save_graph(tensor, out / name)
            print(f"saved {out / name}")
        except viz.RendererNotFound as err:  # no Graphviz: the .dot source was written instead
            print(err)
    (d2,) = tg.grad(dydx, x)
    assert d2 is not None
    t = math.tanh(0.5)
    return {"dydx": dydx.item(), "dydx_exact": t + 0.5 * (1 - t * t),
            "d2ydx2": d2.item(), "d2ydx2_exact": 2 * (1 - t * t) - 2 * 0.5 * t * (1 - t * t),
            "grad_graph_ops": _count_ops(dydx)}


def _count_ops(tensor: tg.Tensor) -> int:
    seen, stack = set(), [tensor]
    while stack:
        t = stack.pop()
        if t._ctx is None or id(t) in seen:
            continue
        seen.add(id(t))
        stack.extend(t._ctx.inputs)
    return len(seen)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(__doc__.splitlines()[0], argv, "examples-output/higher_order")

    hess = hessian_check()
    print(f"Hessian-vector product of an MLP 3-4-1's MSE ({hess['n_params']} parameters, float64):")
    print(f"  double backward vs finite differences: max |diff| {hess['max_abs_diff']:.1e}, "
          f"relative {hess['rel_diff']:.1e} (|Hv| = {hess['hv_norm']:.3f})")
    shape = "not a minimum, the loss curves down along some directions" if hess["n_negative"] \
        else "locally convex"
    print(f"  full Hessian from {hess['n_params']} products: max |H - Hᵀ| = {hess['asymmetry']:.1e}; "
          f"eigenvalues from {hess['eig_min']:.3f} to {hess['eig_max']:.3f} "
          f"({hess['n_negative']} negative: {shape})")

    steps = 6
    xs = newton(2.0, steps)
    gd = gradient_descent(2.0, 40, lr=0.25)
    errors = [abs(x - X_STAR) for x in xs]
    gd_errors = [abs(x - X_STAR) for x in gd]
    print(f"\nNewton's method on f(x) = exp(x) - 2x from x0 = 2 (minimum at ln 2 = {X_STAR:.15f}):")
    print(f"  {'k':>2} {'x_k':>19} {'|x_k - x*|':>11} {'e_k / e_(k-1)^2':>16}")
    ratios: list[float] = []
    for k, (x, e) in enumerate(zip(xs, errors)):
        ratio = e / errors[k - 1] ** 2 if k and errors[k - 1] > 1e-7 else None
        if ratio is not None:
            ratios.append(ratio)
        print(f"  {k:>2} {x:>19.15f} {e:>11.2e} {'' if ratio is None else f'{ratio:16.3f}'}")
    newton_iters = next(k for k, e in enumerate(errors) if e < 1e-12)
    gd_iters = next((k for k, e in enumerate(gd_errors) if e < 1e-12), None)
    print(f"  below 1e-12 after {newton_iters} Newton steps; gradient descent (step 0.25) needs "
          f"{gd_iters if gd_iters is not None else f'more than {len(gd) - 1}'} steps "
          f"(error {gd_errors[newton_iters]:.1e} after {newton_iters})")

    graph = gradient_graph(args.out)
    print(f"\ny = x·tanh(x) at x = 0.5: dy/dx = {graph['dydx']:.12f} (closed form "
          f"{graph['dydx_exact']:.12f}), computed by a graph of {graph['grad_graph_ops']} ops; "
          f"d²y/dx² = {graph['d2ydx2']:.12f} (closed form {graph['d2ydx2_exact']:.12f})")

    plt = pyplot()
    if plt is not None:
        _plot_newton(plt, args.out, errors, gd_errors)
    return {"hessian": hess, "newton_errors": errors, "newton_ratios": ratios,
            "newton_iterations": newton_iters, "gd_iterations": gd_iters,
            "gd_errors": gd_errors, "gradient_graph": graph}


def _plot_newton(plt: Any, out: Any, errors: list[float], gd_errors: list[float]) -> None:
    fig, ax = plt.subplots(figsize=(6.5, 4))
    floor = 1e-17  # plot exact zeros (converged in float64) at the bottom instead of dropping them
    ax.semilogy(range(len(gd_errors)), np.maximum(gd_errors, floor), "s-", ms=3,
                label="gradient descent, step 0.25")
    ax.semilogy(range(len(errors)), np.maximum(errors, floor), "o-", label="Newton (f'' from autograd)")
    ax.set_xlabel("iteration k")
    ax.set_ylabel("|x_k - ln 2|")
    ax.set_ylim(floor / 2, 10)
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    ax.set_title("Minimising exp(x) - 2x from x0 = 2")
    fig.tight_layout()
    save_figure(fig, out, "higher_order_newton.png")


if __name__ == "__main__":
    main()
