"""The tutorial's hand-written backward pass next to autograd: which loss does it differentiate?

The tutorial's two-layer sigmoid network (X @ W1 + b1 → σ → @ W2 + b2 → σ) comes with a
backward pass written out by hand and a comment saying "MSE loss":

    dz2 = a2 - y;   dW2 = (1/m) a1ᵀ dz2;   db2 = (1/m) Σ dz2
    dz1 = (dz2 W2ᵀ) ⊙ a1 (1 - a1);   dW1 = (1/m) Xᵀ dz1;   db1 = (1/m) Σ dz1

Here the same float64 weights go through that NumPy code and through tinygrad_edu's
``backward()``.  The hand gradients equal autograd's gradients of the mean *binary
cross-entropy* to rounding (≈1e-16), and a NumPy finite-difference check of the
cross-entropy agrees independently.  Against the mean squared error they are off: for
L = mean((a2 - y)²) the chain rule gives ∂L/∂z2 = (2/m)(a2 - y)·a2(1 - a2) -- the hand code
drops the factor 2·a2(1 - a2), the sigmoid's own derivative, which the cross-entropy
cancels exactly.  Putting that factor back makes the hand code match the MSE gradient too.

    python examples/backprop_by_hand_vs_autograd.py [--quick] [--out DIR]

Files written to ``--out`` (default ``examples-output/backprop_by_hand_vs_autograd``):

- ``backprop_graph.svg``: the forward graph of the cross-entropy loss, with values.
- ``backprop_graph_backward.svg``: the same graph with gradients flowing back, each edge
  labelled upstream × local = contribution.
- ``backprop_explain.txt``: ``tg.explain(loss)``, the chain rule one op at a time, in the
  order the engine runs it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from _common import parse_args

import tinygrad_edu as tg
from tinygrad_edu import viz
from tinygrad_edu.nn import functional as F

PARAMS = ("W1", "b1", "W2", "b2")


def tutorial_weights(seed: int, n_in: int = 2, n_hidden: int = 4) -> dict[str, np.ndarray]:
    """The tutorial's start, in its (in, out) layout: W = randn·0.5, b = 0 (float64).

    The biases get small random values too, so that their gradients are tested on
    something other than the special case b = 0.
    """
    rng = np.random.default_rng(seed)
    return {
        "W1": rng.normal(size=(n_in, n_hidden)) * 0.5, "b1": rng.normal(size=(1, n_hidden)) * 0.1,
        "W2": rng.normal(size=(n_hidden, 1)) * 0.5, "b2": rng.normal(size=(1, 1)) * 0.1,
    }


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def forward_numpy(w: dict[str, np.ndarray], X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a1 = sigmoid(X @ w["W1"] + w["b1"])
    a2 = sigmoid(a1 @ w["W2"] + w["b2"])
    return a1, a2


def backward_by_hand(w: dict[str, np.ndarray], X: np.ndarray, y: np.ndarray,
                     dz2_rule: str = "tutorial") -> dict[str, np.ndarray]:
    """The tutorial's backward(), line for line.

    ``dz2_rule="tutorial"`` uses its dz2 = a2 - y; ``"mse"`` uses the MSE's true
    ∂L/∂z2 times m, i.e. 2 (a2 - y) a2 (1 - a2) (the 1/m is applied below, as in the tutorial).
    """
    m = X.shape[0]
    a1, a2 = forward_numpy(w, X)
    dz2 = a2 - y if dz2_rule == "tutorial" else 2 * (a2 - y) * a2 * (1 - a2)
    dW2 = (1 / m) * a1.T @ dz2
    db2 = (1 / m) * np.sum(dz2, axis=0, keepdims=True)
    da1 = dz2 @ w["W2"].T
    dz1 = da1 * (a1 * (1 - a1))  # sigmoid'(z1) written with the saved activation
    dW1 = (1 / m) * X.T @ dz1
    db1 = (1 / m) * np.sum(dz1, axis=0, keepdims=True)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def bce_numpy(w: dict[str, np.ndarray], X: np.ndarray, y: np.ndarray) -> float:
    a2 = forward_numpy(w, X)[1]
    return float(-np.mean(y * np.log(a2) + (1 - y) * np.log(1 - a2)))


def finite_differences(w: dict[str, np.ndarray], X: np.ndarray, y: np.ndarray,
                       eps: float = 1e-6) -> dict[str, np.ndarray]:
    """Central differences of the NumPy cross-entropy: a check that uses no autograd at all."""
    grads = {}
    for name in PARAMS:
        g = np.zeros_like(w[name])
        for idx in np.ndindex(w[name].shape):
            plus = {k: v.copy() for k, v in w.items()}
            minus = {k: v.copy() for k, v in w.items()}
            plus[name][idx] += eps
            minus[name][idx] -= eps
            g[idx] = (bce_numpy(plus, X, y) - bce_numpy(minus, X, y)) / (2 * eps)
        grads[name] = g
    return grads


def build_graph(w: dict[str, np.ndarray], X: np.ndarray, y: np.ndarray,
                loss: str) -> tuple[tg.Tensor, dict[str, tg.Tensor]]:
    """The same network in Tensor operations; returns the loss and the leaf parameters."""
    params = {name: tg.Tensor(w[name].copy(), requires_grad=True, name=name) for name in PARAMS}
    x, target = tg.Tensor(X, name="X"), tg.Tensor(y, name="y")
    z1 = x @ params["W1"] + params["b1"]
    a1 = z1.sigmoid()
    z2 = a1 @ params["W2"] + params["b2"]
    a2 = z2.sigmoid()
    for tensor, name in ((z1, "z1"), (a1, "a1"), (z2, "z2"), (a2, "a2")):
        tensor.name = name  # the tutorial's names, shown in the picture and the trace
    if loss == "bce":
        # Written out rather than F.binary_cross_entropy, so the graph and the trace show
        # every step of  -mean(y log a2 + (1 - y) log(1 - a2)).
        value = -(target * a2.log() + (1.0 - target) * (1.0 - a2).log()).mean()
    elif loss == "library_bce":
        value = F.binary_cross_entropy(a2, target)
    else:
        value = ((a2 - target) ** 2).mean()
    value.name = "L"
    return value, params


def autograd_gradients(w: dict[str, np.ndarray], X: np.ndarray, y: np.ndarray,
                       loss: str) -> dict[str, np.ndarray]:
    value, params = build_graph(w, X, y, loss)
    value.backward()
    return {name: p.grad.data for name, p in params.items()}


def max_difference(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> float:
    return max(float(np.max(np.abs(a[k] - b[k]))) for k in PARAMS)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(__doc__.splitlines()[0], argv, "examples-output/backprop_by_hand_vs_autograd")
    X, labels = tg.data.make_xor()  # the 4-row truth table
    y = labels.reshape(-1, 1).astype(np.float64)
    w = tutorial_weights(seed=0)

    hand = backward_by_hand(w, X, y)
    bce = autograd_gradients(w, X, y, "bce")
    mse = autograd_gradients(w, X, y, "mse")
    hand_mse = backward_by_hand(w, X, y, dz2_rule="mse")
    numeric = finite_differences(w, X, y)
    library = autograd_gradients(w, X, y, "library_bce")  # F.binary_cross_entropy: the same loss

    diffs = {
        "hand_vs_autograd_bce": max_difference(hand, bce),
        "hand_vs_library_bce": max_difference(hand, library),
        "hand_vs_finite_differences_bce": max_difference(hand, numeric),
        "hand_vs_autograd_mse": max_difference(hand, mse),
        "hand_with_mse_dz2_vs_autograd_mse": max_difference(hand_mse, mse),
    }
    per_param = {k: float(np.max(np.abs(hand[k] - mse[k]))) for k in PARAMS}
    ratio = float(np.abs(hand["W2"]).max() / np.abs(mse["W2"]).max())

    print("Tutorial backward (dz2 = a2 - y) vs autograd, same float64 weights, XOR batch (m = 4):")
    rows = [
        ("vs autograd, mean binary cross-entropy", diffs["hand_vs_autograd_bce"], ""),
        ("vs autograd, F.binary_cross_entropy", diffs["hand_vs_library_bce"], ""),
        ("vs NumPy finite differences of the BCE", diffs["hand_vs_finite_differences_bce"],
         "  (eps 1e-6: truncation-limited)"),
        ("vs autograd, the MSE it claims", diffs["hand_vs_autograd_mse"], ""),
    ]
    for label, diff, note in rows:
        print(f"  {label:<40} max |difference| = {diff:.1e}{note}")
    print("    per parameter: " + ", ".join(f"{k} {v:.2e}" for k, v in per_param.items()))
    print(f"    the largest hand dW2 entry is {ratio:.1f}x the true MSE one: the hand code leaves out "
          "the factor 2·a2·(1 - a2) <= 1/2")
    print(f"  with dz2 = 2 (a2 - y) a2 (1 - a2) instead, vs the MSE: max |difference| = "
          f"{diffs['hand_with_mse_dz2_vs_autograd_mse']:.1e}")
    print("Why: for L = -mean(y log a2 + (1-y) log(1-a2)) with a2 = σ(z2), ∂L/∂a2 = (a2 - y) / "
          "(m a2 (1 - a2)),\n  and the sigmoid's ∂a2/∂z2 = a2 (1 - a2) cancels the denominator: "
          "∂L/∂z2 = (a2 - y)/m.\n  For the MSE nothing cancels: ∂L/∂z2 = 2 (a2 - y) a2 (1 - a2) / m. "
          "So the tutorial trains on cross-entropy\n  while printing the MSE.")

    value, params = build_graph(w, X, y, "bce")
    graph = viz.save_graph(value, args.out / "backprop_graph.svg")
    backward_graph = viz.save_graph(value, args.out / "backprop_graph_backward.svg", show="backward")
    trace = tg.explain(value)
    trace_path = args.out / "backprop_explain.txt"
    trace_path.write_text(str(trace) + "\n", encoding="utf-8")
    print(f"saved {graph}\nsaved {backward_graph}\nsaved {trace_path} ({len(trace)} backward steps)")
    traced = {name: trace.grad(p) for name, p in params.items()}
    return {
        **diffs,
        "mse_gap_per_param": per_param,
        "trace_steps": len(trace),
        "trace_vs_hand": max_difference(hand, {k: v for k, v in traced.items() if v is not None}),
        "bce_loss": value.item(),
    }


if __name__ == "__main__":
    main()
