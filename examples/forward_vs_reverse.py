"""Forward mode and reverse mode: the same Jacobian two ways, what each costs, and H·v.

For f: Rⁿ → Rᵐ, forward mode (``tg.func.jvp``) pushes one tangent direction v from the
inputs to the outputs and gets one *column* J·v of the Jacobian; reverse mode (``vjp``, the
backprop the rest of the guide uses) pulls one output weighting u back from the outputs and
gets one *row* uᵀJ.  So the full Jacobian costs n forward passes or m backward passes --
which is why training, where m = 1 (one loss) and n is the number of weights, runs in
reverse.  Four parts:

1. **The Jacobian both ways.**  For f(x) = tanh(W₂·tanh(W₁·x)), built column by column with
   ``jvp`` and row by row with ``vjp`` (counting the passes), and with ``jacfwd`` /
   ``jacrev``; all four agree, and agree with central finite differences (float64).
2. **The cost asymmetry.**  For a wide input (n large, m = 1, like a loss of many weights)
   and a wide output (n = 1, m large, like a curve traced by one parameter): the passes each
   mode needs.  Counts, not timings: ``benchmarks/bench_jacobian.py`` measures the times.
3. **Hessian-vector products.**  For a small tanh network's MSE loss L(θ), H·v forward over
   reverse (``tg.func.hvp``: one backward pass records ∇L, one forward pass pushes v through
   it) against reverse over reverse (the gradient of ∇L·v) and finite differences of the
   gradient; and the whole Hessian, ``hessian`` (jacfwd of jacrev) against jacrev of jacrev.
4. **A picture** (``viz.draw_modes``): one small graph with the tangent flowing forward
   beside the gradient flowing back.

    python examples/forward_vs_reverse.py [--quick] [--out DIR]

Written to ``--out`` (default ``examples-output/forward_vs_reverse``):

- ``forward_vs_reverse_modes.svg``: L = (a·b + c)² in forward mode and in reverse mode.
- ``forward_vs_reverse_explorer.html``: the step-through page of L, playing either direction
  (Backward: the gradients, output first; Forward: the tangent of a, inputs first).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from _common import parse_args

import tinygrad_edu as tg
from tinygrad_edu import viz
from tinygrad_edu.func import grad, hessian, hvp, jacfwd, jacrev, jvp, vjp

F64 = np.float64


# -- 1. the Jacobian, column by column and row by row ------------------------------------------------
def two_layer_map(n: int, m: int, seed: int = 0) -> Callable[[tg.Tensor], tg.Tensor]:
    """x ↦ tanh(W₂·tanh(W₁·x)), Rⁿ → Rᵐ, with a hidden width of 8 (float64)."""
    rng = np.random.default_rng(seed)
    W1 = tg.Tensor(rng.normal(size=(8, n)) / np.sqrt(n))
    W2 = tg.Tensor(rng.normal(size=(m, 8)) / np.sqrt(8))

    def f(x: tg.Tensor) -> tg.Tensor:
        return (W2 @ (W1 @ x).tanh()).tanh()

    return f


def jacobian_by_columns(f: Callable[[tg.Tensor], tg.Tensor], x: tg.Tensor) -> tuple[np.ndarray, int]:
    """Forward mode: column k of J is the tangent of f along the k-th unit vector."""
    columns = []
    for k in range(x.size):
        e = np.zeros(x.shape, dtype=F64)
        e[k] = 1.0
        _, column = jvp(f, (x,), (tg.Tensor(e),))  # one forward pass
        columns.append(column.numpy())
    return np.stack(columns, axis=1), len(columns)


def jacobian_by_rows(f: Callable[[tg.Tensor], tg.Tensor], x: tg.Tensor) -> tuple[np.ndarray, int]:
    """Reverse mode: row k of J is the gradient of output k, uᵀJ for the k-th unit vector u."""
    out, vjp_fn = vjp(f, x)  # f is run (and recorded) once; each vjp_fn call is a backward pass
    rows = []
    for k in range(out.size):
        u = np.zeros(out.shape, dtype=F64)
        u[k] = 1.0
        (row,) = vjp_fn(tg.Tensor(u))
        rows.append(row.numpy())
    return np.stack(rows, axis=0), len(rows)


def finite_difference_jacobian(f: Callable[[tg.Tensor], tg.Tensor], x: np.ndarray,
                               eps: float = 1e-6) -> np.ndarray:
    columns = []
    for k in range(x.size):
        e = np.zeros_like(x)
        e[k] = eps
        columns.append((f(tg.Tensor(x + e)).numpy() - f(tg.Tensor(x - e)).numpy()) / (2 * eps))
    return np.stack(columns, axis=1)


def jacobian_check(n: int, m: int) -> dict[str, Any]:
    f = two_layer_map(n, m)
    x0 = np.random.default_rng(1).normal(size=n)
    x = tg.Tensor(x0)
    by_columns, forward_passes = jacobian_by_columns(f, x)
    by_rows, backward_passes = jacobian_by_rows(f, x)
    fd = finite_difference_jacobian(f, x0)
    return {"n": n, "m": m, "forward_passes": forward_passes, "backward_passes": backward_passes,
            "columns_vs_rows": float(np.max(np.abs(by_columns - by_rows))),
            "jacfwd_vs_jacrev": float(np.max(np.abs(jacfwd(f)(x).numpy() - jacrev(f)(x).numpy()))),
            "jacfwd_vs_columns": float(np.max(np.abs(jacfwd(f)(x).numpy() - by_columns))),
            "vs_finite_differences": float(np.max(np.abs(by_rows - fd)))}


# -- 2. the cost asymmetry --------------------------------------------------------------------------
def passes_needed(n: int, m: int) -> dict[str, int]:
    """The passes a full Jacobian of two_layer_map(n, m) takes each way: one per jvp call
    (a column) or per vjp_fn call (a row), whatever the other dimension is."""
    f = two_layer_map(n, m)
    x = tg.Tensor(np.random.default_rng(2).normal(size=n))
    _, forward_passes = jacobian_by_columns(f, x)
    _, backward_passes = jacobian_by_rows(f, x)
    return {"n": n, "m": m, "forward": forward_passes, "backward": backward_passes}


# -- 3. Hessian-vector products ---------------------------------------------------------------------
def mlp_loss(seed: int = 0) -> tuple[Callable[[tg.Tensor], tg.Tensor], int]:
    """The MSE of a 2→3→1 tanh network on 6 samples, as a function of its 13 weights θ."""
    rng = np.random.default_rng(seed)
    X, Y = tg.Tensor(rng.normal(size=(6, 2))), tg.Tensor(rng.normal(size=(6, 1)))

    def loss(theta: tg.Tensor) -> tg.Tensor:
        W1, b1 = theta[0:6].reshape(3, 2), theta[6:9]
        W2, b2 = theta[9:12].reshape(1, 3), theta[12:13]
        return ((((X @ W1.T + b1).tanh() @ W2.T + b2) - Y) ** 2).mean()

    return loss, 13


def hvp_check(seed: int = 0) -> dict[str, Any]:
    loss, n = mlp_loss(seed)
    rng = np.random.default_rng(seed + 1)
    theta, v = tg.Tensor(rng.normal(size=n)), tg.Tensor(rng.normal(size=n))
    forward_over_reverse = hvp(loss, theta, v).numpy()
    reverse_over_reverse = grad(lambda t: (grad(loss)(t) * v).sum())(theta).numpy()
    eps = 1e-5
    fd = (grad(loss)(theta + eps * v).numpy() - grad(loss)(theta - eps * v).numpy()) / (2 * eps)
    H_fwd_rev = hessian(loss)(theta).numpy()
    H_rev_rev = jacrev(jacrev(loss))(theta).numpy()
    return {"n_params": n, "hv_norm": float(np.linalg.norm(forward_over_reverse)),
            "fwd_rev_vs_rev_rev": float(np.max(np.abs(forward_over_reverse - reverse_over_reverse))),
            "vs_finite_differences": float(np.max(np.abs(forward_over_reverse - fd))),
            "hessian_fwd_rev_vs_rev_rev": float(np.max(np.abs(H_fwd_rev - H_rev_rev))),
            "hessian_asymmetry": float(np.max(np.abs(H_fwd_rev - H_fwd_rev.T))),
            "hessian_times_v_vs_hvp": float(np.max(np.abs(H_fwd_rev @ v.numpy() - forward_over_reverse)))}


# -- 4. the picture -----------------------------------------------------------------------------------
def picture(out: Any) -> dict[str, Any]:
    a, b, c = (tg.Tensor(v, requires_grad=True, name=k, dtype=F64)
               for k, v in (("a", 2.0), ("b", -3.0), ("c", 10.0)))
    L = (a * b + c) ** 2
    L.name = "L"
    drawing = viz.draw_modes(L, [a, b, c], [1.0, 0.0, 0.0])  # the tangent of a: dL/da
    path = out / "forward_vs_reverse_modes.svg"
    try:
        path.write_bytes(viz.render(drawing.source, "svg"))
        print(f"saved {path}")
    except viz.RendererNotFound as err:  # no Graphviz: keep the DOT source instead
        path.with_suffix(".dot").write_text(drawing.source, encoding="utf-8")
        print(err)
    if viz.find_renderer() is not None:  # the step-through page, both directions (before backward)
        page = viz.save_backprop_html(L, out / "forward_vs_reverse_explorer.html", forward=True,
                                      tangents=[1.0, 0.0, 0.0])
        print(f"saved {page}")
    _, dL_da = jvp(lambda a: (a * b + c) ** 2, (a,), (tg.Tensor(1.0, dtype=F64),))  # one jvp pass
    L.backward()  # one backward pass: every gradient at once
    return {"dL_da_forward": dL_da.item(), "dL_da_reverse": a.grad.item(),
            "dL_db_reverse": b.grad.item(), "dL_dc_reverse": c.grad.item()}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(__doc__.splitlines()[0], argv, "examples-output/forward_vs_reverse")
    n, m = (4, 3) if args.quick else (12, 5)
    jac = jacobian_check(n, m)
    print(f"Jacobian of tanh(W2·tanh(W1·x)): R^{n} -> R^{m}, {m}×{n}, float64")
    print(f"  forward mode: {jac['forward_passes']} jvp passes (one column each); "
          f"reverse mode: {jac['backward_passes']} vjp passes (one row each)")
    print(f"  columns vs rows: max |diff| {jac['columns_vs_rows']:.1e}; jacfwd vs jacrev "
          f"{jac['jacfwd_vs_jacrev']:.1e}; vs finite differences {jac['vs_finite_differences']:.1e}")

    sizes = (1, 10, 100) if args.quick else (1, 10, 100, 1000)
    print("\nPasses for a full Jacobian (one per jvp column, one per vjp row):")
    print(f"  {'shape of f':>22}  {'forward (jvp)':>13}  {'reverse (vjp)':>13}")
    costs = []
    for k in sizes:
        for shape in ((k, 1), (1, k)) if k > 1 else ((1, 1),):
            costs.append(passes_needed(*shape))
            c = costs[-1]
            shown = f"R^{c['n']} -> R^{c['m']}"
            print(f"  {shown:>22}  {c['forward']:>13}  {c['backward']:>13}")
    print("  one loss (m = 1) of many weights: reverse mode needs one pass, forward mode one per weight")

    hv = hvp_check()
    print(f"\nHessian-vector product of a 2-3-1 tanh MSE ({hv['n_params']} weights, float64):")
    print(f"  forward-over-reverse vs reverse-over-reverse: max |diff| {hv['fwd_rev_vs_rev_rev']:.1e}; "
          f"vs finite differences of the gradient {hv['vs_finite_differences']:.1e} "
          f"(|Hv| = {hv['hv_norm']:.3f})")
    print(f"  hessian (jacfwd of jacrev) vs jacrev of jacrev: {hv['hessian_fwd_rev_vs_rev_rev']:.1e}; "
          f"max |H - Hᵀ| {hv['hessian_asymmetry']:.1e}; H·v vs hvp {hv['hessian_times_v_vs_hvp']:.1e}")

    drawn = picture(args.out)
    print(f"\nL = (a·b + c)²: dL/da = {drawn['dL_da_reverse']:g} both ways")
    return {"jacobian": jac, "passes": costs, "hvp": hv, "picture": drawn}


if __name__ == "__main__":
    main()
