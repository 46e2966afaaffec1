"""The autograd-mechanics notes as a program (own text): grad_fn, backward(gradient=),
several roots, grad of grad, retain_graph, hooks and the grad modes."""

import pytest
from autograd_program import run, torch_installed

PROGRAM = '''
import torch

x = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
w = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64)
z = x * w + x
print("leaf", x.grad_fn is None, "requires_grad", z.requires_grad, w.requires_grad)
print("graph", z.grad_fn.name(), [n.name() if n is not None else None
                                  for n, _ in z.grad_fn.next_functions])
z.backward(gradient=torch.tensor([1.0, 0.1, 0.01], dtype=torch.float64))
print("vjp", [round(v, 4) for v in x.grad.tolist()])
kept = x.grad
(x * x).sum().backward()
print("same grad object", x.grad is kept, [round(v, 4) for v in kept.tolist()])
x.grad = None

torch.autograd.backward([(x ** 2).sum(), (x * 3).sum()])
print("two roots", x.grad.tolist())
x.grad = None

y = (x ** 3).sum()
g, = torch.autograd.grad(y, x, create_graph=True)
gg, = torch.autograd.grad(g.sum(), x)
print("first", g.tolist(), "second", gg.tolist())

s = (x + 1).sum()
s.backward()
s.backward()
print("sum twice ok", x.grad.tolist())
p = (x * x).sum()
p.backward()
try:
    p.backward()
except RuntimeError:
    print("product twice needs retain_graph")

seen = []
h = x * 2
h.register_hook(lambda grad: seen.append(grad.tolist()))
x.register_hook(lambda grad: seen.append("below"))
torch.autograd.grad((h * h).sum(), h)
print("hooks", seen)


@torch.no_grad
def evaluate():
    return (x * 2).requires_grad


print("no_grad", evaluate(), torch.is_grad_enabled())
torch.set_grad_enabled(False)
print("off", (x * 2).requires_grad)
torch.set_grad_enabled(True)
with torch.set_grad_enabled(False):
    print("block", torch.is_grad_enabled())
print("back on", torch.is_grad_enabled())
'''


def test_runs_unchanged_under_tinygrad_edu():
    out = run(PROGRAM, "tinygrad_edu")
    assert "same grad object True" in out and "product twice needs retain_graph" in out
    assert "hooks [[4.0, 8.0, 12.0]]" in out  # the hook below grad()'s input did not fire


@pytest.mark.skipif(not torch_installed(), reason="torch is not installed")
def test_prints_what_torch_prints():
    assert run(PROGRAM, "tinygrad_edu") == run(PROGRAM, "torch")
