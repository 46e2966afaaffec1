"""micrograd's API (``tinygrad_edu.micrograd``): its own test numbers, and its MLP against the
same network computed with matrices."""

from __future__ import annotations

import random

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.micrograd.engine import Value
from tinygrad_edu.micrograd.nn import MLP, Neuron


def test_micrograd_sanity_check_numbers():
    # micrograd's test_sanity_check: y = -20 and dy/dx = 46 (checked there against PyTorch).
    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    assert y.data == -20.0 and x.grad == 46.0


def test_micrograd_more_ops_numbers():
    a, b = Value(-4.0), Value(2.0)
    c = a + b
    d = a * b + b ** 3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e ** 2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    assert g.data == pytest.approx(24.70408163265306, abs=1e-12)
    assert a.grad == pytest.approx(138.83381924198252, abs=1e-9)
    assert b.grad == pytest.approx(645.5772594752186, abs=1e-9)


def test_data_and_grad_are_floats_that_training_loops_can_write():
    w = Value(0.5)
    loss = (w * 3.0 - 1.0) ** 2
    loss.backward()
    assert isinstance(w.grad, float) and w.grad == pytest.approx(2 * (1.5 - 1.0) * 3.0)
    w.data -= 0.1 * w.grad
    assert w.data == pytest.approx(0.2) and isinstance(w.data, float)
    w.grad = 0
    assert w.grad == 0.0
    with pytest.raises(ValueError, match="can only be reset to 0"):
        w.grad = 1.0
    with pytest.raises(TypeError, match="int/float powers"):
        w ** Value(2.0)


def test_mlp_gradients_equal_the_matrix_form_of_the_same_network():
    random.seed(0)
    model = MLP(3, [4, 1])
    xs = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]]
    scores = [model(list(map(Value, row))) for row in xs]
    loss = sum((s * s for s in scores), Value(0.0))
    model.zero_grad()
    loss.backward()
    first, last = model.layers
    W1 = tg.Tensor(np.array([[w.data for w in n.w] for n in first.neurons]), requires_grad=True)
    b1 = tg.Tensor(np.array([n.b.data for n in first.neurons]), requires_grad=True)
    W2 = tg.Tensor(np.array([[w.data for w in n.w] for n in last.neurons]), requires_grad=True)
    out = ((tg.Tensor(np.array(xs)) @ W1.T + b1).relu() @ W2.T)
    (out * out).sum().backward()
    np.testing.assert_allclose([[w.grad for w in n.w] for n in first.neurons], W1.grad.data, rtol=1e-12)
    np.testing.assert_allclose([n.b.grad for n in first.neurons], b1.grad.data, rtol=1e-12)
    np.testing.assert_allclose([[w.grad for w in n.w] for n in last.neurons], W2.grad.data, rtol=1e-12)
    assert len(model.parameters()) == 4 * 4 + 5 and repr(Neuron(2)) == "ReLUNeuron(2)"
