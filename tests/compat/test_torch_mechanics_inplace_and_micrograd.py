"""Two more programs in the style of the autograd-mechanics notes and of micrograd's tests.

* hooks, ``retain_grad``, and in-place operations: refused on a leaf, allowed under
  ``no_grad``, recorded on a graph tensor nothing saved, detected at backward when an op saved
  the changed values;
* micrograd's engine test: micrograd's ``Value`` (here ``tinygrad_edu.micrograd``) against
  "torch" -- which, with the import switched, is tinygrad_edu itself.

Each runs with ``import tinygrad_edu as torch`` only; with torch installed the same text under
torch prints the same numbers and the same messages.
"""

from __future__ import annotations

from torch_tutorial_runner import HAS_TORCH, check_same_as_torch, run

MECHANICS = """
# register_hook on a leaf: double the gradient
v = torch.tensor([0., 0., 0.], requires_grad=True)
h = v.register_hook(lambda grad: grad * 2)  # double the gradient
v.backward(torch.tensor([1., 2., 3.]))
print("hooked leaf grad:", v.grad)
h.remove()  # removes the hook

# retain_grad on a non-leaf, and a hook on a non-leaf that prints
a = torch.tensor([1., 2., 3.], requires_grad=True)
b = a * 2
b.retain_grad()
b.register_hook(lambda grad: print("hook sees grad of b:", grad))
c = (b ** 2).sum()
c.backward()
print("b.grad:", b.grad)
print("a.grad:", a.grad)
print("b.is_leaf:", b.is_leaf, "a.is_leaf:", a.is_leaf)

# in-place on a leaf that requires grad is an error
a = torch.tensor([1., 2.], requires_grad=True)
try:
    a.add_(1)
except RuntimeError as e:
    print("in-place on leaf: RuntimeError")

# ... but allowed under no_grad (this is how optimizers update)
with torch.no_grad():
    a.add_(1)
print("after no_grad add_:", a)

# in-place on a non-leaf is fine when nothing saved it
a = torch.ones(2, requires_grad=True)
b = a * 2
b.mul_(3)
b.sum().backward()
print("grad through in-place mul_:", a.grad)

# modifying a tensor that backward needs is detected
x = torch.tensor([1., 2.], requires_grad=True)
y = x.exp()   # exp saves its output for backward
y.add_(1)
try:
    y.sum().backward()
    print("no error")
except RuntimeError as e:
    print("modified saved tensor: RuntimeError")

# backward twice through a graph that saved tensors needs retain_graph=True
x = torch.tensor([1., 2.], requires_grad=True)
y = torch.tensor([3., 4.], requires_grad=True)
(x + y).sum().backward()
s = (x + y).sum()
s.backward()
s.backward()
print("x.grad after three backwards of (x + y).sum():", x.grad)
p = (x * y).sum()
p.backward()
try:
    p.backward()
    print("no error")
except RuntimeError as e:
    print("second backward of (x * y).sum(): RuntimeError")
"""

MICROGRAD_TEST = """from tinygrad_edu.micrograd.engine import Value


def test_sanity_check():

    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    xmg, ymg = x, y

    x = torch.Tensor([-4.0]).double()
    x.requires_grad = True
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    xpt, ypt = x, y

    print("sanity: forward", ymg.data, ypt.data.item(), "backward", xmg.grad, xpt.grad.item())
    # forward pass went well
    assert ymg.data == ypt.data.item()
    # backward pass went well
    assert xmg.grad == xpt.grad.item()


def test_more_ops():

    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    amg, bmg, gmg = a, b, g

    a = torch.Tensor([-4.0]).double()
    b = torch.Tensor([2.0]).double()
    a.requires_grad = True
    b.requires_grad = True
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g = g + 10.0 / f
    g.backward()
    apt, bpt, gpt = a, b, g

    print("more ops: g", gmg.data, gpt.data.item(), "a.grad", amg.grad, apt.grad.item(),
          "b.grad", bmg.grad, bpt.grad.item())
    tol = 1e-6
    # forward pass went well
    assert abs(gmg.data - gpt.data.item()) < tol
    # backward pass went well
    assert abs(amg.grad - apt.grad.item()) < tol
    assert abs(bmg.grad - bpt.grad.item()) < tol


if __name__ == "__main__":
    test_sanity_check()
    print("test_sanity_check passed")
    test_more_ops()
    print("test_more_ops passed")
"""


def test_hooks_retain_grad_and_in_place_rules():
    out = run(MECHANICS)
    assert "hooked leaf grad: Tensor([2., 4., 6.]" in out
    assert "in-place on leaf: RuntimeError" in out
    assert "grad through in-place mul_: Tensor([6., 6.]" in out
    assert "modified saved tensor: RuntimeError" in out
    assert "second backward of (x * y).sum(): RuntimeError" in out
    check_same_as_torch(MECHANICS, out, rtol=1e-6)
    if HAS_TORCH:  # the messages, not only the numbers
        theirs = run(MECHANICS, "torch")
        assert [line for line in out.splitlines() if "Error" in line] == \
            [line for line in theirs.splitlines() if "Error" in line]


def test_micrograd_engine_test_runs_with_tinygrad_edu_as_both_sides():
    out = run(MICROGRAD_TEST)
    assert "test_sanity_check passed" in out and "test_more_ops passed" in out
