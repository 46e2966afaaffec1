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
from tinygrad_edu import Tensor, nn, viz


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
    save("chain_rule_backward.svg", lambda p: viz.save_graph(L, p, show="backward"))
    save("chain_rule_trace.txt", lambda p: _save_trace(L, p))

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
    return written
