"""Two more programs in the style of PyTorch's tutorials, written for this project.

* a dynamic network: a fresh Python ``random`` draw decides, on every forward pass, how many
  times one shared parameter is reused (control flow in plain Python, weight sharing);
* the quickstart training loop: an MLP classifier on a small synthetic image set, with
  ``model.train()``/``model.eval()``, ``CrossEntropyLoss``, ``optim.SGD``, accuracy counted by
  ``(pred.argmax(1) == y).type(torch.float).sum().item()`` under ``torch.no_grad()``.

Each runs with ``import tinygrad_edu as torch`` only; with torch installed the same text under
torch prints the same numbers (the starting weights are passed in, both runs seed ``random``).
"""

from __future__ import annotations

from torch_tutorial_runner import check_same_as_torch, numbers, run

DYNAMIC = """
import math, random
random.seed(0)
x = torch.linspace(-math.pi, math.pi, 2000, dtype=torch.float64)
y = torch.sin(x)

class DynamicNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        start = [0.1, -0.2, 0.3, -0.05, 0.01]
        for name, value in zip("abcde", start):
            setattr(self, name, torch.nn.Parameter(torch.tensor(value, dtype=torch.float64)))

    def forward(self, x):
        y = self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3
        for power in range(4, random.randint(4, 6)):
            y = y + self.e * x ** power
        return y

model = DynamicNet()
criterion = torch.nn.MSELoss(reduction='sum')
optimizer = torch.optim.SGD(model.parameters(), lr=1e-8, momentum=0.9)
for t in range(3000):
    loss = criterion(model(x), y)
    if t % 1000 == 999:
        print(t, loss.item())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print("fit", *[p.item() for p in model.parameters()])
"""

QUICKSTART = """
import numpy as np
rng = np.random.default_rng(0)
# 8x8 "images" of three classes: a bright row, a bright column or a bright diagonal, plus noise.
def make(n):
    labels = rng.integers(0, 3, n)
    images = rng.normal(0.0, 0.3, (n, 8, 8))
    for image, label in zip(images, labels):
        k = rng.integers(0, 8)
        if label == 0:
            image[k, :] += 1.0
        elif label == 1:
            image[:, k] += 1.0
        else:
            image[np.arange(8), np.arange(8)] += 1.0
    return images.astype(np.float32), labels.astype(np.int64)

train_x, train_y = make(600)
test_x, test_y = make(200)
device = "cuda" if torch.cuda.is_available() else "cpu"

class NeuralNetwork(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = torch.nn.Flatten()
        self.linear_relu_stack = torch.nn.Sequential(
            torch.nn.Linear(64, 32), torch.nn.ReLU(),
            torch.nn.Linear(32, 32), torch.nn.ReLU(),
            torch.nn.Linear(32, 3),
        )

    def forward(self, x):
        return self.linear_relu_stack(self.flatten(x))

model = NeuralNetwork().to(device)
start = np.random.default_rng(1)
with torch.no_grad():
    for param in model.parameters():
        param.copy_(torch.tensor(start.uniform(-0.2, 0.2, tuple(param.shape)).astype(np.float32)))
print("parameters", sum(p.numel() for p in model.parameters()))

loss_fn = torch.nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=1e-1)

def batches(images, labels, size):
    for i in range(0, len(labels), size):
        yield torch.tensor(images[i:i + size]), torch.tensor(labels[i:i + size])

def train():
    model.train()
    for X, y in batches(train_x, train_y, 50):
        X, y = X.to(device), y.to(device)
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    return loss.item()

def test():
    model.eval()
    test_loss, correct, n_batches = 0.0, 0.0, 0
    with torch.no_grad():
        for X, y in batches(test_x, test_y, 50):
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
            n_batches += 1
    return test_loss / n_batches, correct / len(test_y)

for epoch in range(5):
    last = train()
    test_loss, accuracy = test()
    print(f"epoch {epoch + 1} train_loss {last:.6f} test_loss {test_loss:.6f} accuracy {accuracy:.4f}")
"""


def test_dynamic_net_with_python_control_flow():
    out = run(DYNAMIC)
    a, b, c, d, e = numbers(out.splitlines()[-1])
    losses = [numbers(row)[1] for row in out.splitlines()[:-1]]
    # lr=1e-8 (x⁵ reaches 306, so a larger step diverges): 3000 steps go a good way down
    assert losses == sorted(losses, reverse=True) and losses[-1] < 0.5 * losses[0]
    assert 0.2 < b < 0.9 and abs(e) < 0.01
    check_same_as_torch(DYNAMIC, out, rtol=1e-9, atol=1e-12)


def test_quickstart_training_loop():
    out = run(QUICKSTART)
    assert "parameters 3235" in out  # 64·32+32 + 32·32+32 + 32·3+3
    rows = [numbers(row) for row in out.splitlines() if row.startswith("epoch")]
    assert len(rows) == 5
    first, last = rows[0], rows[-1]
    # numbers per row: epoch, train loss, test loss, accuracy
    assert last[2] < first[2] - 0.3 and last[3] > first[3] + 0.2 and last[3] > 0.7
    # float32 matrix products sum in a different order in NumPy and torch: agree to ~1e-4.
    check_same_as_torch(QUICKSTART, out, rtol=1e-3, atol=1e-4)
