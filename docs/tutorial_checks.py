"""Measurements behind the "Tutorial errata" page: each claim of the tutorial, checked by code.

Every function runs one small experiment with tinygrad_edu (or, where the point is the
tutorial's own NumPy snippet, with that snippet) and returns its numbers.  ``gen_figures.py``
writes them into ``docs/figures/errata/`` for the pages to include, and ``tests/test_docs.py``
asserts the conclusions, so the errata cannot drift away from what the code measures.

    python docs/tutorial_checks.py      # prints every measurement
"""

from __future__ import annotations

from typing import Any

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F

GATE_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
AND = np.array([0, 0, 0, 1])
OR = np.array([0, 1, 1, 1])
XOR = np.array([0, 1, 1, 0])


def perceptron_iterations(lr: float = 0.01) -> dict[str, Any]:
    """"Try it on AND gate -- converges in <10 iterations": count epochs, updates and samples.

    The tutorial's loop (zero start, sample by sample) is replayed step by step; an
    "iteration" can mean a pass over the data (epoch), a weight update (a mistake) or one
    sample shown to the neuron, and the claim is true only for the first.  The result is
    the same for every learning rate: from a zero start every weight is a multiple of lr
    and step(z) only looks at the sign of z.
    """
    result: dict[str, Any] = {}
    for gate, y in (("AND", AND), ("OR", OR)):
        w, b = np.zeros(2), 0.0
        samples = updates = last_mistake_sample = 0
        mistakes_per_epoch: list[int] = []
        for _ in range(15):  # the tutorial's epochs=15
            mistakes = 0
            for x_i, y_i in zip(GATE_X, y):
                samples += 1
                y_hat = 1 if x_i @ w + b >= 0 else 0
                update = lr * (y_i - y_hat)
                if update != 0:
                    w, b = w + update * x_i, b + update
                    updates += 1
                    mistakes += 1
                    last_mistake_sample = samples
            mistakes_per_epoch.append(mistakes)
        clean = mistakes_per_epoch.index(0) + 1  # first epoch with no mistake
        library = nn.Perceptron(2, lr=lr, epochs=15, dtype=np.float64).fit(GATE_X, y)
        result[gate] = {
            "mistakes_per_epoch": mistakes_per_epoch[:clean],
            "epochs_with_mistakes": clean - 1,
            "first_clean_epoch": clean,
            "weight_updates": updates,
            "samples_until_last_mistake": last_mistake_sample,
            "library_errors": list(library.errors_),
        }
    return result


def perceptron_lr_invariance() -> bool:
    """From zero weights the perceptron makes the same mistakes for every learning rate."""
    runs = [nn.Perceptron(2, lr=lr, epochs=15, dtype=np.float64).fit(GATE_X, AND).errors_
            for lr in (0.001, 0.01, 1.0, 10.0)]
    return all(r == runs[0] for r in runs)


def leaky_relu_slopes() -> dict[str, float]:
    """The slope for x < 0 that autograd measures for the tutorial's alpha and the defaults."""
    x = tg.Tensor([-2.0], requires_grad=True, dtype=np.float64)
    slopes = {}
    for label, fn in (("tutorial, alpha=0.1", lambda t: t.leaky_relu(0.1)),
                      ("tinygrad_edu / PyTorch default", lambda t: t.leaky_relu()),
                      ("Keras 3 default, negative_slope=0.3", lambda t: t.leaky_relu(0.3))):
        (g,) = tg.grad(fn(x).sum(), x)
        slopes[label] = float(g.data[0])
    return slopes


def tutorial_softmax(x: np.ndarray) -> np.ndarray:
    """The tutorial's snippet, verbatim in behaviour: one global max, one global sum."""
    ex = np.exp(x - np.max(x))
    return ex / ex.sum()


def softmax_on_a_batch() -> dict[str, Any]:
    """The tutorial's softmax on a 2-D batch (one row per sample) against ``tg.softmax``."""
    batch = np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])
    far_apart = np.array([[0.0, 1.0], [1000.0, 1001.0]])
    with np.errstate(invalid="ignore", divide="ignore"):
        # Even with the sum fixed to one per row, the global max empties the lower row.
        ex = np.exp(far_apart - np.max(far_apart))
        per_row_sum = ex / ex.sum(axis=-1, keepdims=True)
    return {
        "row_sums_tutorial": tutorial_softmax(batch).sum(axis=-1).tolist(),
        "row_sums_tinygrad": tg.softmax(tg.Tensor(batch), axis=-1).data.sum(axis=-1).tolist(),
        "far_rows_global_max_row_sum": per_row_sum[0].tolist(),
        "far_rows_tinygrad": tg.softmax(tg.Tensor(far_apart), axis=-1).data.round(4).tolist(),
    }


def zero_init(activation: str, gate: str, epochs: int = 1000, lr: float = 1.0) -> dict[str, Any]:
    """Train a 2→4→1 network on a gate from all-zero weights and biases; look at the hidden units.

    "Zero init → no learning" is not quite what happens.  With sigmoid hidden units on OR
    the loss goes down, but every hidden unit receives the same gradient, so the four stay
    identical: the network learns exactly as a 2→1→1 network would.  On XOR the start is
    an exact stationary point (the labels are balanced, so every gradient is 0).  With ReLU
    hidden units (relu'(0) = 0) nothing but the output bias ever moves.
    """
    target = {"OR": OR, "XOR": XOR}[gate]
    net = nn.MLP([2, 4, 1], activation=activation, output_activation="sigmoid", init="zeros",
                 dtype=np.float64)
    for layer in (net.fc1, net.fc2):
        nn.init.zeros_(layer.bias)
    x, y = tg.Tensor(GATE_X), tg.Tensor(target.reshape(-1, 1).astype(np.float64))
    opt = tg.optim.SGD(net.parameters(), lr=lr)
    first = None
    for _ in range(epochs):
        opt.zero_grad()
        loss = F.binary_cross_entropy(net(x), y)
        first = loss.item() if first is None else first
        loss.backward()
        opt.step()
    w1, b1 = net.fc1.weight.data, net.fc1.bias.data
    with tg.no_grad():
        out = net(x).data.ravel()
    return {
        "steps": epochs,
        "loss_first": first,
        "loss_last": F.binary_cross_entropy(net(x), y).item(),
        "hidden_units_identical": bool(np.all(w1 == w1[0]) and np.all(b1 == b1[0])),
        "fc1_weight_abs_max": float(np.abs(w1).max()),
        "fc2_weight_abs_max": float(np.abs(net.fc2.weight.data).max()),
        "output_bias": float(net.fc2.bias.data[0]),
        "correct": int(((out > 0.5) == (target > 0.5)).sum()),
    }


def tutorial_backward_vs_autograd(seed: int = 0) -> dict[str, float]:
    """The tutorial's "MSE" backward against autograd's gradients of BCE and of MSE.

    The formulas are the tutorial's (dz2 = a2 - y, ...); the weights are W ~ N(0, 0.5²), as
    in its MLP.  The largest absolute difference to each loss's true gradient is returned.
    """
    rng = np.random.default_rng(seed)
    W1, W2 = rng.standard_normal((2, 4)) * 0.5, rng.standard_normal((4, 1)) * 0.5
    b1, b2 = np.zeros((1, 4)), np.zeros((1, 1))
    X, y = GATE_X, XOR.astype(np.float64)
    a1 = 1 / (1 + np.exp(-(X @ W1 + b1)))
    a2 = 1 / (1 + np.exp(-(a1 @ W2 + b2)))
    m = X.shape[0]
    dz2 = a2 - y.reshape(-1, 1)
    hand = {"W2": a1.T @ dz2 / m, "b2": dz2.sum(axis=0, keepdims=True) / m}
    dz1 = (dz2 @ W2.T) * a1 * (1 - a1)
    hand.update(W1=X.T @ dz1 / m, b1=dz1.sum(axis=0, keepdims=True) / m)

    def autograd_grads(loss_fn: Any) -> dict[str, np.ndarray]:
        params = {k: tg.Tensor(v, requires_grad=True) for k, v in
                  (("W1", W1), ("b1", b1), ("W2", W2), ("b2", b2))}
        h = (tg.Tensor(X) @ params["W1"] + params["b1"]).sigmoid()
        out = (h @ params["W2"] + params["b2"]).sigmoid()
        grads = tg.grad(loss_fn(out, tg.Tensor(y.reshape(-1, 1))), list(params.values()))
        return {k: g.data for k, g in zip(params, grads)}

    def gap(other: dict[str, np.ndarray]) -> float:
        return max(float(np.abs(hand[k] - other[k]).max()) for k in hand)

    return {"vs_bce": gap(autograd_grads(F.binary_cross_entropy)),
            "vs_mse": gap(autograd_grads(F.mse_loss))}


def tutorial_loss_print() -> dict[str, Any]:
    """``np.mean((output - y)**2)`` with the 1-D ``y`` that ``y.reshape(-1, 1)`` implies.

    ``output`` has shape (4, 1) and ``y`` shape (4,), so the difference broadcasts to a
    4×4 table of every output minus every target: a perfect network prints 0.5.
    """
    y = XOR.astype(np.float64)
    perfect = y.reshape(-1, 1)
    return {"broadcast_shape": list((perfect - y).shape),
            "printed_for_perfect_output": float(np.mean((perfect - y) ** 2)),
            "true_mse_for_perfect_output": float(np.mean((perfect - y.reshape(-1, 1)) ** 2))}


def activation_slopes() -> dict[str, float]:
    """"Tanh: stronger gradients": the largest slope of sigmoid and tanh, from autograd at 0."""
    x = tg.Tensor([0.0], requires_grad=True, dtype=np.float64)
    return {name: float(tg.grad(getattr(x, name)().sum(), x)[0].data[0]) for name in ("sigmoid", "tanh")}


def run_all() -> dict[str, Any]:
    return {
        "perceptron": perceptron_iterations(),
        "perceptron_lr_invariant": perceptron_lr_invariance(),
        "leaky_relu": leaky_relu_slopes(),
        "softmax": softmax_on_a_batch(),
        "zero_init": {f"{act} on {gate}": zero_init(act, gate)
                      for act in ("sigmoid", "relu") for gate in ("OR", "XOR")},
        "backward": tutorial_backward_vs_autograd(),
        "loss_print": tutorial_loss_print(),
        "activation_slopes": activation_slopes(),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run_all(), indent=1))
