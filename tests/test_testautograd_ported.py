"""Cases of PyTorch's ``TestAutograd`` (test/test_autograd.py) ported with ``torch`` replaced by
tinygrad_edu: the autograd semantics a PyTorch user relies on.

The bodies keep PyTorch's structure; ``assert_equal`` stands in for ``self.assertEqual`` on
tensors (PyTorch compares values with a tolerance).
"""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as torch


def assert_equal(a, b):
    np.testing.assert_allclose(np.asarray(getattr(a, "data", a)), np.asarray(getattr(b, "data", b)),
                               rtol=1.3e-6, atol=1e-5)


def test_accumulate_grad():
    grad_output = torch.ones(5, 5)

    def compute_grad(create_graph):
        x = torch.randn(5, 5, requires_grad=True)
        y = x + 2
        y.backward(grad_output, retain_graph=True)
        x_grad = x.grad
        x_grad_clone = x.grad.clone()
        y.backward(grad_output, create_graph=create_graph)
        return x_grad, x_grad_clone

    # Accumulate in-place when create_graph is False
    x_grad, x_grad_clone = compute_grad(create_graph=False)
    assert_equal(x_grad, x_grad_clone * 2)
    # Accumulate out-of-place when create_graph is True
    x_grad, x_grad_clone = compute_grad(create_graph=True)
    assert_equal(x_grad, x_grad_clone)


def test_grad():
    x = torch.randn(2, 2, requires_grad=True)
    y = torch.randn(2, 2, requires_grad=True)
    z = x ** 2 + y * x + y ** 2
    z.backward(torch.ones(2, 2), create_graph=True)
    x_grad = 2 * x + y
    y_grad = x + 2 * y
    assert_equal(x.grad, x_grad)
    assert_equal(y.grad, y_grad)
    grad_sum = 2 * x.grad + y.grad
    x_hv = torch.autograd.grad(outputs=[grad_sum], grad_outputs=[torch.ones(2, 2)], inputs=[x],
                               create_graph=True)
    expected_x_hv = torch.ones(2, 2) * 5
    assert_equal(x_hv[0], expected_x_hv)
    assert_equal(x.grad, x_grad)
    assert_equal(y.grad, y_grad)
    grad_out = torch.ones(2)
    with pytest.raises(RuntimeError):
        torch.autograd.grad(outputs=[grad_sum], grad_outputs=[grad_out], inputs=[x], create_graph=True)


def test_grad_nonleaf():
    x_init = torch.randn(2, 2, requires_grad=True)
    x = x_init
    y = torch.randn(2, 2, requires_grad=True)
    grad_output = torch.ones(2, 2)

    def fn(x):
        return x ** 2 + y * x + y ** 2

    for _ in range(5):
        (grad_x,) = torch.autograd.grad(fn(x), x, grad_outputs=grad_output, create_graph=True)
        grad_x_expected = 2 * x + y
        assert y.grad is None
        assert x.grad is None
        assert_equal(grad_x, grad_x_expected)
        x = x + 0.05 * grad_x
    val_init = fn(x_init).sum()
    val_final = fn(x).sum()
    assert val_final > val_init
    x.backward(grad_output)
    assert y.grad is not None and x_init.grad is not None


def test_grad_unreachable():
    x = torch.ones(1, requires_grad=True)
    y = torch.ones(1, requires_grad=True)
    z = x * 2  # noqa: F841  (PyTorch makes sure x and y have grad accumulators)
    w = y * 2  # noqa: F841
    grad_x, grad_y = torch.autograd.grad(x * 2, [x, y], allow_unused=True)
    assert_equal(grad_x, x * 2)
    assert grad_y is None
    z = torch.ones(1, requires_grad=True)
    grad_x, grad_z = torch.autograd.grad(x * 2, [x, z], allow_unused=True)
    assert_equal(grad_x, x * 2)
    assert grad_z is None
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        grad_x, grad_y = torch.autograd.grad(x * 2, [x, y], allow_unused=False)


def test_hooks():
    x = torch.ones(5, 5, requires_grad=True)
    y = torch.ones(5, 5) * 4
    y.requires_grad_(True)
    counter = [0]

    def bw_hook(inc, grad):
        assert isinstance(grad, torch.Tensor)
        counter[0] += inc

    z = x ** 2 + x * 2 + x * y + y
    x.register_hook(lambda *args: bw_hook(0, *args))
    test = z.register_hook(lambda *args: bw_hook(1, *args))
    z.backward(torch.ones(5, 5), retain_graph=True)
    assert counter[0] == 1
    test2 = z.register_hook(lambda *args: bw_hook(2, *args))
    z.backward(torch.ones(5, 5), retain_graph=True)
    assert counter[0] == 4
    test2.remove()
    z.backward(torch.ones(5, 5), retain_graph=True)
    assert counter[0] == 5

    def bw_hook_modify(grad):
        return grad.mul(2)

    test.remove()
    z.register_hook(bw_hook_modify)
    with torch.no_grad():
        y.grad.zero_()
    z.backward(torch.ones(5, 5), retain_graph=True)
    assert_equal(y.grad, (x + 1) * 2)
    y.register_hook(bw_hook_modify)
    with torch.no_grad():
        y.grad.zero_()
    z.backward(torch.ones(5, 5))
    assert_equal(y.grad, (x + 1) * 4)


def test_retain_grad():
    input = torch.rand(1, 3, requires_grad=True)
    h1 = input * 3
    out = (h1 * h1).sum()
    h1.retain_grad()
    h1.retain_grad()  # may be called twice
    out.backward(retain_graph=True)
    assert_equal(h1 * 2, h1.grad)
    out.backward(retain_graph=True)  # accumulates
    assert_equal(h1 * 4, h1.grad)
    with torch.no_grad():
        input.grad.zero_()
    input.retain_grad()  # a no-op for leaves
    input.retain_grad()
    out.backward()
    assert_equal(input * 18, input.grad)


def test_requires_grad():
    x = torch.randn(5, 5)
    y = torch.randn(5, 5)
    z = torch.randn(5, 5, requires_grad=True)
    a = x + y
    assert not a.requires_grad
    b = a + z
    assert b.requires_grad
    b.backward(torch.ones(5, 5))
    assert_equal(z.grad, torch.ones(5, 5))


def test_no_grad():
    x = torch.ones(5, 5, requires_grad=True)
    y = torch.ones(5, 5) * 4
    with torch.no_grad():
        w = x + y

    @torch.no_grad()
    def adder(x, y):
        return x + y

    z = adder(x, y)
    assert not w.requires_grad
    with pytest.raises(RuntimeError):
        w.backward(torch.ones(5, 5))
    assert w.grad_fn is None
    assert not z.requires_grad
    with pytest.raises(RuntimeError):
        z.backward(torch.ones(5, 5))
    assert z.grad_fn is None
    with torch.no_grad():
        assert not torch.is_grad_enabled()
        w = adder(x, y)
        assert not torch.is_grad_enabled()


def test_set_grad_enabled():
    x = torch.tensor([1.0], requires_grad=True)
    with torch.set_grad_enabled(False):
        y = x * 2
    assert not y.requires_grad
    with torch.set_grad_enabled(True):
        y = x * 2
    assert y.requires_grad
    with torch.set_grad_enabled(False):
        torch.set_grad_enabled(True)
        y = x * 2
    assert y.requires_grad


def test_backward_twice_with_saved_values_without_retain_graph_should_throw():
    b = torch.randn(3, requires_grad=True, dtype=torch.double)
    c = torch.zeros(3, dtype=torch.double)
    c[[1, 2]] = b[[1, 1]].detach()
    d = b * c
    d.sum().backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        d.sum().backward()


def test_backward_twice_without_saved_values():
    b = torch.randn(3, requires_grad=True, dtype=torch.double)
    c = b + 1
    c.sum().backward()
    c.sum().backward()
    assert_equal(b.grad, torch.ones(3) * 2)


def test_leaf_assignment():
    x = torch.randn(5, 5)
    y = torch.randn(5, requires_grad=True)
    z = torch.randn(5, requires_grad=True)
    with torch.no_grad():
        x[0] = y
        x[1] = 2 * z
    assert not x.requires_grad  # without in-place recording, x stays a constant here


def test_sum_to_with_broadcast():
    x = torch.randn(3, 1, requires_grad=True)
    y = torch.randn(1, 4, requires_grad=True)
    (x * y).sum().backward()
    assert_equal(x.grad, y.sum(dim=1, keepdim=True).expand(3, 1))
    assert_equal(y.grad, x.sum(dim=0, keepdim=True).expand(1, 4))


def test_grad_mode_restored_after_an_exception_in_no_grad():
    with pytest.raises(ValueError):
        with torch.no_grad():
            raise ValueError("inside")
    assert torch.is_grad_enabled()
