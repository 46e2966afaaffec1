"""The README quick start, as a test: its printed numbers must hold."""

import numpy as np

from tinygrad_edu import Tensor


def test_readme_quick_start_numbers():
    a = Tensor(2.0, requires_grad=True, name="a")
    b = Tensor(-3.0, requires_grad=True, name="b")
    c = Tensor(10.0, requires_grad=True, name="c")
    L = (a * b + c) ** 2
    L.backward()
    assert L.item() == 16.0
    assert (a.grad.item(), b.grad.item(), c.grad.item()) == (-24.0, 16.0, 8.0)
    x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, name="x")
    ((x @ x.T).relu() * 0.5).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[4.0, 6.0], [4.0, 6.0]])
