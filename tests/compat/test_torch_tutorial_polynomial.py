"""Fitting sin(x) with a cubic, four ways, in the style of "Learning PyTorch with Examples".

Written for this project (not copied): raw tensors with autograd, nn.Sequential with a summed
MSELoss and a hand-written update under no_grad, the same with an optimizer, and a custom
Module.  Each runs with ``import tinygrad_edu as torch`` only; with torch installed the same
text under torch prints the same numbers (float64, fixed starting coefficients).
"""

from __future__ import annotations

import numpy as np
from torch_tutorial_runner import check_same_as_torch, numbers, run

DATA = """
import math
x = torch.linspace(-math.pi, math.pi, 2000, dtype=torch.float64)
y = torch.sin(x)
"""

AUTOGRAD = DATA + """
a = torch.tensor(0.1, dtype=torch.float64, requires_grad=True)
b = torch.tensor(-0.2, dtype=torch.float64, requires_grad=True)
c = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
d = torch.tensor(-0.05, dtype=torch.float64, requires_grad=True)
learning_rate = 1e-6
for t in range(2000):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = (y_pred - y).pow(2).sum()
    if t % 500 == 499:
        print(t, loss.item())
    loss.backward()
    with torch.no_grad():
        for p in (a, b, c, d):
            p -= learning_rate * p.grad
            p.grad = None
print("fit", a.item(), b.item(), c.item(), d.item())
"""

NN_MODEL = DATA + """
p = torch.tensor([1, 2, 3])
xx = x.unsqueeze(-1).pow(p)
model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1)).double()
with torch.no_grad():
    model[0].weight.copy_(torch.tensor([[0.2, -0.1, 0.05]], dtype=torch.float64))
    model[0].bias.fill_(0.1)
loss_fn = torch.nn.MSELoss(reduction='sum')
"""

NN = NN_MODEL + """
learning_rate = 1e-6
for t in range(2000):
    loss = loss_fn(model(xx), y)
    if t % 500 == 499:
        print(t, loss.item())
    model.zero_grad()
    loss.backward()
    with torch.no_grad():
        for param in model.parameters():
            param -= learning_rate * param.grad
layer = model[0]
print("fit", layer.bias.item(), layer.weight[:, 0].item(), layer.weight[:, 1].item(),
      layer.weight[:, 2].item())
"""

OPTIM = NN_MODEL + """
optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
for t in range(2000):
    loss = loss_fn(model(xx), y)
    if t % 500 == 499:
        print(t, loss.item())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
layer = model[0]
print("fit", layer.bias.item(), *[w.item() for w in layer.weight.view(-1)])
"""

MODULE = DATA + """
class Cubic(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Parameter(torch.tensor(0.1, dtype=torch.float64))
        self.b = torch.nn.Parameter(torch.tensor(-0.2, dtype=torch.float64))
        self.c = torch.nn.Parameter(torch.tensor(0.3, dtype=torch.float64))
        self.d = torch.nn.Parameter(torch.tensor(-0.05, dtype=torch.float64))

    def forward(self, x):
        return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3

model = Cubic()
criterion = torch.nn.MSELoss(reduction='sum')
optimizer = torch.optim.SGD(model.parameters(), lr=1e-6)
for t in range(2000):
    loss = criterion(model(x), y)
    if t % 500 == 499:
        print(t, loss.item())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print("fit", *[p.item() for p in model.parameters()])
print("parameters", sum(p.numel() for p in model.parameters()))
"""


def _final_fit(output: str) -> np.ndarray:
    line = next(row for row in output.splitlines() if row.startswith("fit"))
    return numbers(line)


def _losses(output: str) -> np.ndarray:
    return np.array([numbers(row)[1] for row in output.splitlines() if row[:1].isdigit()])


def test_raw_tensors_with_autograd():
    out = run(AUTOGRAD)
    losses = _losses(out)
    assert len(losses) == 4 and np.all(np.diff(losses) < 0)  # the loss keeps falling
    a, b, c, d = _final_fit(out)
    assert abs(b - 0.85) < 0.05 and abs(d + 0.09) < 0.02 and abs(a) < 0.1 and abs(c) < 0.05
    check_same_as_torch(AUTOGRAD, out, rtol=1e-9)


def test_sequential_with_summed_mse_and_a_manual_update():
    out = run(NN)
    bias, w1, w2, w3 = _final_fit(out)
    assert abs(w1 - 0.85) < 0.05 and abs(w3 + 0.09) < 0.02 and abs(bias) < 0.1
    assert _losses(out)[-1] < 20
    check_same_as_torch(NN, out, rtol=1e-9)


def test_sequential_with_an_optimizer():
    out = run(OPTIM)
    assert _losses(out)[-1] < 20
    bias, w1, w2, w3 = _final_fit(out)
    assert abs(w1 - 0.85) < 0.05 and abs(w3 + 0.09) < 0.02
    # The first few hundred steps agree to the last digit; near the optimum RMSprop's g/√v
    # divides tiny gradients by tiny averages, so summation-order differences in the last bit
    # grow to ~1e-3 in the loss and ~1e-6 in the near-zero even coefficients.
    check_same_as_torch(OPTIM, out, rtol=2e-3, atol=1e-5)


def test_custom_module():
    out = run(MODULE)
    a, b, c, d = _final_fit(out)
    assert abs(b - 0.85) < 0.05 and abs(d + 0.09) < 0.02
    assert "parameters 4" in out
    check_same_as_torch(MODULE, out, rtol=1e-9)
