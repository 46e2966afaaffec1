"""A new op: softplus as a ``tg.Function``, checked with ``gradcheck`` and drawn.

softplus(x) = log(1 + eˣ) is a smooth ReLU; its derivative is the sigmoid σ(x).  Written
the obvious way with Tensor ops, ``(1 + x.exp()).log()``, it fails at both ends in
float32: for x = 100 the exp overflows (the value is inf and the gradient inf·0 = nan),
and for x = -100 the 1 + e⁻¹⁰⁰ rounds to 1, so the value is 0 instead of 3.8e-44.  As one
primitive it can use the rearrangement

    log(1 + eˣ) = max(x, 0) + log1p(e^(-|x|))

whose exp never sees a positive argument, and a one-line backward, σ(x)·grad_out.  That
backward is written with a Tensor op (``x.sigmoid()``), not NumPy, so the engine can
differentiate it again: ``gradgradcheck`` (second derivatives) passes too.

Then the point of ``gradcheck``: ``SoftplusForgetsGradOut`` is the same op with the
classic bug -- its backward returns the local derivative σ(x) and forgets to multiply by
the upstream gradient.  Used inside a bigger function, ``gradcheck`` compares with finite
differences, fails, re-checks every recorded op on its own and names the culprit; the
script prints that message.  (The bug hides whenever the upstream gradient happens to be
all ones -- e.g. when the op feeds a plain ``sum()`` -- which is why gradcheck checks
non-scalar outputs through random weights.)

    python examples/custom_op.py [--quick] [--out DIR]

Pictures and text written to ``--out`` (default ``examples-output/custom_op``):

- ``custom_op_graph.svg``: the forward graph of a one-neuron ``softplus(w·x + b)``, with the
  new op as a node like any built-in one.
- ``custom_op_backward.svg``: the same graph in the backward view, the softplus edge
  labelled with its rule ∂softplus(x)/∂x = σ(x).
- ``custom_op_explain.txt``: ``tg.explain`` of that neuron (the chain-rule trace).
- ``custom_op_softplus.png``: softplus next to ReLU, and its first and second derivatives
  from autograd next to the closed forms σ(x) and σ(x)(1 - σ(x)).
"""

from __future__ import annotations

import ast
import pathlib
from typing import Any

import numpy as np
from _common import parse_args, pyplot, save_figure

import tinygrad_edu as tg
from tinygrad_edu import viz


class Softplus(tg.Function):
    """y = log(1 + exp(x));  dy/dx = σ(x) = 1 / (1 + exp(-x))"""

    rules = ("∂softplus(x)/∂x = σ(x)",)

    def forward(ctx, x):
        # log(1 + e^x) overflows for large x; this form only ever takes exp of -|x| <= 0,
        # and log1p keeps the tiny values for very negative x that 1 + e^x rounds away.
        return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))

    def backward(ctx, grad_out):
        (x,) = ctx.inputs
        # A Tensor op, not np: with create_graph=True this is recorded and differentiable.
        return grad_out * x.sigmoid()


class SoftplusForgetsGradOut(Softplus):
    """The same op with a bug: backward returns the local derivative, not grad_out times it."""

    def backward(ctx, grad_out):
        (x,) = ctx.inputs
        return x.sigmoid()  # BUG: should be grad_out * x.sigmoid()


def class_source(cls: type) -> str:
    """The text of a class defined in this file (``inspect.getsource`` needs the module to be
    importable by name, which an example loaded from its path is not)."""
    text = pathlib.Path(__file__).read_text(encoding="utf-8")
    for node in ast.parse(text).body:
        if isinstance(node, ast.ClassDef) and node.name == cls.__name__:
            return "\n".join(text.splitlines()[node.lineno - 1: node.end_lineno]) + "\n"
    raise LookupError(f"class {cls.__name__} is not defined in {__file__}")


def softplus(x: tg.Tensor) -> tg.Tensor:
    return Softplus.apply(x)


def naive_softplus(x: tg.Tensor) -> tg.Tensor:
    return (1 + x.exp()).log()


def extremes() -> dict[str, Any]:
    """Value and gradient of both versions at x = -100, 0, 100 in float32."""
    out = {}
    for name, fn in (("naive", naive_softplus), ("careful", softplus)):
        x = tg.Tensor(np.array([-100.0, 0.0, 100.0], dtype=np.float32), requires_grad=True)
        with np.errstate(over="ignore", invalid="ignore"):  # the naive version overflows on purpose
            y = fn(x)
            y.sum().backward()
        assert x.grad is not None
        out[name] = {"value": y.data.tolist(), "grad": x.grad.data.tolist()}
    return out


def derivatives_by_autograd(grid: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """softplus, its first and second derivative on the grid (float64), all from the engine."""
    x = tg.Tensor(grid, requires_grad=True)
    y = softplus(x)
    # Each y_i depends on x_i only, so d(sum y)/dx_i = y_i'(x_i); the same trick again for y''.
    (dy,) = tg.grad(y.sum(), x, create_graph=True)
    assert dy is not None
    (d2y,) = tg.grad(dy.sum(), x)
    assert d2y is not None
    return y.data, dy.data, d2y.data


def catch_the_bug() -> str:
    """gradcheck on f(x) = sum(softplus(x)²) with the buggy op; returns its error message."""
    x = np.linspace(-2.0, 2.0, 5)
    try:
        tg.gradcheck(lambda t: (SoftplusForgetsGradOut.apply(t) ** 2).sum(), [x])
    except tg.GradcheckError as err:
        return str(err)
    raise AssertionError("gradcheck did not catch the missing grad_out")  # it must


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(__doc__.splitlines()[0], argv, "examples-output/custom_op")
    print("The new op, forward and backward side by side:\n")
    print(class_source(Softplus))
    print(f"rules: {Softplus.rules}\n")

    ext = extremes()
    for name, r in ext.items():
        value, grad = (", ".join(f"{v:.3g}" for v in r[k]) for k in ("value", "grad"))
        print(f"{name:>8} softplus at x = -100, 0, 100 (float32): values {value};  gradients {grad}")

    checks = np.random.default_rng(0).normal(0, 3, size=(3, 4))  # a 2-D input, values of both signs
    ok_first = tg.gradcheck(softplus, [checks])
    ok_second = tg.gradgradcheck(softplus, [checks])
    print(f"\ngradcheck(softplus): {ok_first};  gradgradcheck(softplus): {ok_second}")

    message = catch_the_bug()
    print("\ngradcheck on sum(softplus(x)²) with the op whose backward forgets grad_out:")
    shown = message.replace(str(pathlib.Path(__file__).resolve().parent) + "/", "")  # short paths
    print("  GradcheckError: " + shown.replace("\n", "\n  "))

    grid = np.linspace(-6, 6, 241)
    y, dy, d2y = derivatives_by_autograd(grid)
    sig = 1 / (1 + np.exp(-grid))
    err_first = float(np.max(np.abs(dy - sig)))
    err_second = float(np.max(np.abs(d2y - sig * (1 - sig))))
    print(f"\nautograd vs closed form on [-6, 6] (float64): max |y' - σ| = {err_first:.1e}, "
          f"max |y'' - σ(1-σ)| = {err_second:.1e}")

    # One neuron, scalars, so every number fits in the picture.
    w = tg.Tensor(-1.5, requires_grad=True, name="w")
    b = tg.Tensor(0.5, requires_grad=True, name="b")
    x = tg.Tensor(2.0, name="x")
    out = softplus(w * x + b)
    trace = str(tg.explain(out))
    (args.out / "custom_op_explain.txt").write_text(trace + "\n", encoding="utf-8")
    print("\n" + trace)
    for name, show in (("custom_op_graph.svg", "forward"), ("custom_op_backward.svg", "backward")):
        try:
            viz.save_graph(out, args.out / name, show=show)
            print(f"saved {args.out / name}")
        except viz.RendererNotFound as err:  # no Graphviz: the .dot source was written instead
            print(err)

    plt = pyplot()
    if plt is not None:
        _plot(plt, args.out, grid, y, dy, d2y, sig)
    return {"gradcheck": ok_first, "gradgradcheck": ok_second, "bug_message": message,
            "extremes": ext, "max_error_first_derivative": err_first,
            "max_error_second_derivative": err_second, "neuron_value": float(out.item())}


def _plot(plt: Any, out: Any, grid: np.ndarray, y: np.ndarray, dy: np.ndarray, d2y: np.ndarray,
          sig: np.ndarray) -> None:
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    left.plot(grid, y, lw=2, label="softplus(x) = log(1 + eˣ)")
    left.plot(grid, np.maximum(grid, 0), ls="--", color="grey", label="relu(x)")
    left.set_title("softplus, a smooth ReLU")
    right.plot(grid, dy, lw=2, label="softplus'(x), autograd")
    right.plot(grid[::12], sig[::12], "o", ms=4, label="σ(x)")
    right.plot(grid, d2y, lw=2, label="softplus''(x), autograd (create_graph)")
    right.plot(grid[::12], (sig * (1 - sig))[::12], "s", ms=4, label="σ(x)(1 - σ(x))")
    right.set_title("first and second derivative")
    for ax in (left, right):
        ax.set_xlabel("x")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    save_figure(fig, out, "custom_op_softplus.png")


if __name__ == "__main__":
    main()
