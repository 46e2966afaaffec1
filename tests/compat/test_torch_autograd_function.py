"""A custom autograd.Function fit, as in "Learning PyTorch with Examples" (own program).

y ≈ a + b·P3(c + d·x) with the Legendre polynomial P3 as a Function with a hand-written
backward, trained by plain gradient descent inside no_grad.
"""

import pytest
from autograd_program import run, torch_installed

PROGRAM = '''
import math
import torch


class LegendrePolynomial3(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


xs = [-1.0 + 2.0 * i / 49 for i in range(50)]
x = torch.tensor(xs, dtype=torch.float64)
y = torch.tensor([math.exp(v) for v in xs], dtype=torch.float64)
a, b, c, d = (torch.tensor(v, dtype=torch.float64, requires_grad=True)
              for v in (0.0, -1.0, 0.0, 0.3))
P3 = LegendrePolynomial3.apply
for step in range(300):
    y_pred = a + b * P3(c + d * x)
    loss = ((y_pred - y) ** 2).sum()
    if step % 100 == 0:
        print(step, round(loss.item(), 6))
    loss.backward()
    with torch.no_grad():
        for p in (a, b, c, d):
            p -= 1e-3 * p.grad
            p.grad = None
print("grad_fn", y_pred.grad_fn.name() == "AddBackward0")
print("result", [round(p.item(), 5) for p in (a, b, c, d)])
'''


def test_runs_unchanged_under_tinygrad_edu():
    out = run(PROGRAM, "tinygrad_edu")
    assert out.splitlines()[0] == "0 " + out.splitlines()[0].split()[1]
    assert "grad_fn True" in out and "result [" in out


@pytest.mark.skipif(not torch_installed(), reason="torch is not installed")
def test_prints_what_torch_prints():
    assert run(PROGRAM, "tinygrad_edu") == run(PROGRAM, "torch")
