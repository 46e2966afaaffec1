"""The guide's own small pictures and traces: tiny graphs that explain one idea each.

The examples in ``examples/`` make the big pictures; the chapters on the chain rule and on
the engine also need graphs of three or four ops, drawn with ``tinygrad_edu.viz`` and
traced with ``tg.explain`` from real runs.  ``gen_figures.py`` calls ``write(folder)``;
nothing in ``docs/figures/guide/`` is written by hand.
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import Tensor, keras, nn, viz
from tinygrad_edu.viz.layers import LayerView, layer_view


README_PICTURE = "chain_rule_backward.svg"  # the picture at the top of the README


def chain_rule() -> Tensor:
    """The README's example: L = (a·b + c)²."""
    a = Tensor(2.0, requires_grad=True, name="a")
    b = Tensor(-3.0, requires_grad=True, name="b")
    c = Tensor(10.0, requires_grad=True, name="c")
    L = (a * b + c) ** 2
    L.name = "L"
    return L


def neuron() -> Tensor:
    """One sigmoid neuron, one training example, squared error: L = (σ(w1·x1 + w2·x2 + b) - y)²."""
    x1 = Tensor(1.0, name="x1", dtype=np.float64)
    x2 = Tensor(-2.0, name="x2", dtype=np.float64)
    w1 = Tensor(0.5, requires_grad=True, name="w1", dtype=np.float64)
    w2 = Tensor(-0.25, requires_grad=True, name="w2", dtype=np.float64)
    b = Tensor(0.1, requires_grad=True, name="b", dtype=np.float64)
    z = w1 * x1 + w2 * x2 + b
    z.name = "z"
    a = z.sigmoid()
    a.name = "a"
    L = (a - 1.0) ** 2
    L.name = "L"
    return L


def reuse() -> Tensor:
    """A value used twice: f = x·y + x, so ∂f/∂x = y + 1 is the sum of two contributions."""
    x = Tensor(3.0, requires_grad=True, name="x")
    y = Tensor(4.0, requires_grad=True, name="y")
    f = x * y + x
    f.name = "f"
    return f


def broadcast() -> Tensor:
    """A bias of shape (3,) added to a batch of shape (2, 3): the BroadcastTo node is explicit."""
    X = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], name="X")
    bias = Tensor([0.1, 0.2, 0.3], requires_grad=True, name="bias")
    s = (X + bias).sum()
    s.name = "s"
    return s


def higher_order() -> tuple[Tensor, Tensor, Tensor]:
    """y = x³ at x = 2; dy/dx = 3x² = 12 recorded as a graph; d²y/dx² = 6x = 12 from it."""
    x = Tensor(2.0, requires_grad=True, name="x", dtype=np.float64)
    y = x ** 3
    y.name = "y"
    (dy,) = tg.grad(y, x, create_graph=True)
    dy.name = "dy_dx"
    (d2y,) = tg.grad(dy, x)
    return y, dy, d2y


def mlp_on_xor() -> Tensor:
    """The 2→4→1 sigmoid network's loss on the four XOR inputs (seeded weights)."""
    tg.manual_seed(0)
    net = nn.MLP([2, 4, 1], activation="sigmoid", output_activation="sigmoid", dtype=np.float64)
    X, y = tg.data.make_xor()
    loss = nn.functional.binary_cross_entropy(net(Tensor(X)), Tensor(y.reshape(-1, 1)))
    loss.name = "loss"
    return loss


def tutorial_network() -> tuple[Tensor, dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """The tutorial's 2→4→1 sigmoid network as Keras layers (its (in, out) weight layout),
    with the tutorial's start W = randn·0.5 (biases small, not 0), on XOR, mean BCE, float64."""
    rng = np.random.default_rng(0)
    w = {"W1": rng.normal(size=(2, 4)) * 0.5, "b1": rng.normal(size=4) * 0.1,
         "W2": rng.normal(size=(4, 1)) * 0.5, "b2": rng.normal(size=1) * 0.1}
    previous = tg.get_default_dtype()
    tg.set_default_dtype(np.float64)
    try:
        model = keras.Sequential([keras.layers.Dense(4, activation="sigmoid", input_dim=2),
                                  keras.layers.Dense(1, activation="sigmoid")])
    finally:
        tg.set_default_dtype(previous)
    for layer, k in zip(model.layers, "12"):
        layer.kernel.data[...] = w[f"W{k}"]
        layer.bias.data[...] = w[f"b{k}"]
    X, labels = tg.data.make_xor()
    X, y = X.astype(np.float64), labels.reshape(-1, 1).astype(np.float64)
    loss = nn.functional.binary_cross_entropy(model(Tensor(X, name="X")), Tensor(y, name="y"))
    return loss, w, X, y


# The tutorial's backward(), line by line, beside the layer-view line that computes the same
# thing: (tutorial line, the tensor it makes, layer name, role in that layer's rule).
TUTORIAL_LINES = (
    ("dz2 = a2 - y", "z2", "dense_1", "z"),
    ("dW2 = (1/m) * a1.T @ dz2", "W2", "dense_1", "W"),
    ("db2 = (1/m) * np.sum(dz2, axis=0)", "b2", "dense_1", "b"),
    ("da1 = dz2 @ W2.T", "a1", "dense_1", "x"),
    ("dz1 = da1 * (a1 * (1 - a1))", "z1", "dense", "z"),
    ("dW1 = (1/m) * X.T @ dz1", "W1", "dense", "W"),
    ("db1 = (1/m) * np.sum(dz1, axis=0)", "b1", "dense", "b"),
)


def tutorial_backward(w: dict[str, np.ndarray], X: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """The tutorial's hand-written gradients, with its late 1/m moved onto every δ as the
    engine has it (the engine's δ = ∂L/∂z2 is (a2 - y)/m: the mean's 1/m is in it)."""
    m = X.shape[0]
    a1 = 1 / (1 + np.exp(-(X @ w["W1"] + w["b1"])))
    a2 = 1 / (1 + np.exp(-(a1 @ w["W2"] + w["b2"])))
    dz2 = a2 - y
    da1 = dz2 @ w["W2"].T
    dz1 = da1 * (a1 * (1 - a1))
    return {"z2": dz2 / m, "W2": a1.T @ dz2 / m, "b2": dz2.sum(axis=0) / m, "a1": da1 / m,
            "z1": dz1 / m, "W1": X.T @ dz1 / m, "b1": dz1.sum(axis=0) / m}


def tutorial_table(view: LayerView, hand: dict[str, np.ndarray]) -> str:
    """The side-by-side table: tutorial line, layer-view line, and how far apart their numbers are."""
    rows = ["| the tutorial's `backward()` | the layer view, drawn from the engine | shape | max difference |",
            "|---|---|---|---|"]
    for line, name, layer_name, role in TUTORIAL_LINES:
        q = view.layer(layer_name).grad(role)
        assert q is not None and q.value is not None, (layer_name, role)
        diff = float(np.max(np.abs(q.value - hand[name])))
        shape = "×".join(map(str, q.shape))
        # Below 1e-15 the two float64 computations differ only in rounding (and by how much
        # depends on the BLAS build), so the table says so instead of printing the noise.
        rows.append(f"| `{line}` | `{q.text}` | {shape} | {'< 1e-15' if diff < 1e-15 else f'{diff:.1e}'} |")
    return "\n".join(rows) + "\n"


def _save_trace(tensor: Tensor, path: pathlib.Path) -> None:
    path.write_text(str(tg.explain(tensor)) + "\n", encoding="utf-8")


def write(folder: pathlib.Path) -> list[pathlib.Path]:
    """Draw every guide picture and trace into ``folder``; return the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[pathlib.Path] = []

    def save(name: str, make: Callable[[pathlib.Path], object]) -> None:
        make(folder / name)
        written.append(folder / name)

    L = chain_rule()
    save("chain_rule_forward.svg", lambda p: viz.save_graph(L, p))
    save("chain_rule_trace.txt", lambda p: _save_trace(L, p))
    L.backward()  # the README's order: backward() first, then the picture of that backward
    save(README_PICTURE, lambda p: viz.save_graph(L, p, show="backward"))

    L = neuron()
    # Top to bottom: seven ops side by side would shrink to unreadable at page width.
    save("neuron_forward.svg", lambda p: viz.save_graph(L, p, rankdir="TB"))
    save("neuron_backward.svg", lambda p: viz.save_graph(L, p, show="backward", rankdir="TB"))
    save("neuron_trace.txt", lambda p: _save_trace(L, p))
    save("neuron_backprop.html", lambda p: viz.save_backprop_html(L, p))

    f = reuse()
    save("reuse_backward.svg", lambda p: viz.save_graph(f, p, show="backward"))
    save("reuse_trace.txt", lambda p: _save_trace(f, p))

    s = broadcast()
    save("broadcast_backward.svg", lambda p: viz.save_graph(s, p, show="backward"))
    save("broadcast_trace.txt", lambda p: _save_trace(s, p))

    y, dy, d2y = higher_order()
    save("higher_order_graph.svg", lambda p: viz.save_graph(dy, p))
    save("higher_order.txt", lambda p: p.write_text(
        f"y = x**3 at x = 2:  y = {y.item():g},  dy/dx = {dy.item():g},  d2y/dx2 = {d2y.item():g}\n"
        f"dy/dx was made by {dy.op} and requires grad: {dy.requires_grad}\n", encoding="utf-8"))

    loss = mlp_on_xor()
    save("mlp_ops.svg", lambda p: viz.save_graph(loss, p, collapse=False, values=False, grads=False))
    save("mlp_layers_fc1.svg", lambda p: viz.save_graph(loss, p, show="backward", expand=["fc1"]))

    loss, w, X, y = tutorial_network()
    view = layer_view(loss, tg.explain(loss))
    save("tutorial_layers_backward.svg", lambda p: viz.save_graph(loss, p, show="backward"))
    save("tutorial_layers.md", lambda p: p.write_text(tutorial_table(view, tutorial_backward(w, X, y)),
                                                      encoding="utf-8"))

    import im2col_figure  # matplotlib, only here: a convolution as a matmul on patches (chapter 10)

    save("im2col.png", im2col_figure.draw)
    return written
