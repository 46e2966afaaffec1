"""The examples' training loops, compiled: the same numbers as the examples' own eager loops.

Each test runs an example's training function as it is (eager) and the same loop with its
step wrapped in ``tg.compile``, from the same seed, and compares every recorded number and
every final weight byte for byte.  Epochs and data are cut down; the loops are not.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from example_runner import load_example

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.compiler import CompileWarning
from tinygrad_edu.nn import functional as F


@pytest.fixture(autouse=True)
def every_step_compiles():
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)
        yield


def same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def same_weights(m1: nn.Module, m2: nn.Module) -> bool:
    return all(same(p.data, q.data) for p, q in zip(m1.parameters(), m2.parameters()))


def minibatch_loop(model: nn.Module, opt, loader, loss_fn, epochs: int, evaluate) -> tuple[list, object]:
    """classification.train / autoencoder.train_autoencoder / regression's loop, step compiled."""
    @tg.compile
    def step(xb, yb):
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        return loss
    history = []
    for _ in range(epochs):
        for batch in loader:
            xb, yb = batch if isinstance(batch, (tuple, list)) else (batch, batch)
            step(xb, yb)
        history.append(evaluate(model))
    return history, step


def test_xor_mlp_training_curve():
    xor = load_example("xor_mlp")
    study = xor.load_seed_study()
    net_eager, mse_eager = xor.train_curve(study, seed=3, lr=0.5, epochs=60)

    net = study.make_tutorial_mlp(3)
    opt = tg.optim.SGD(net.parameters(), lr=0.5)
    x, y = tg.Tensor(study.X), tg.Tensor(study.Y)

    @tg.compile
    def step(x, y):
        out = net(x)
        opt.zero_grad()
        F.binary_cross_entropy(out, y).backward()
        opt.step()
        return out
    mse = [float(np.mean((step(x, y).data - study.Y) ** 2)) for _ in range(60)]
    assert mse == mse_eager and same_weights(net, net_eager)
    assert step.trace_count == 1 and "F" not in step.source.split("def step")[0]


@pytest.mark.parametrize("part", ["breast_cancer", "digits"])
def test_classification_train(part):
    clf = load_example("classification")
    if part == "breast_cancer":
        X, y = tg.data.load_breast_cancer()
        X, y = (X[:150] - X[:150].mean(0)) / X[:150].std(0), y[:150, None].astype(np.float64)
        sizes, loss_fn, lr = [30, 16, 1], F.binary_cross_entropy_with_logits, 1e-3
    else:
        X, y = tg.data.load_digits()
        X, y = X[:150] / 16.0, y[:150]
        sizes, loss_fn, lr = [64, 32, 10], F.cross_entropy, 3e-3

    def evaluate(model):
        return float(np.asarray(clf.logits(model, X)).sum())
    tg.manual_seed(0)
    eager_model = nn.MLP(sizes, activation="relu")
    eager = clf.train(eager_model, X, y, loss_fn, 2, lr, evaluate)

    tg.manual_seed(0)
    model = nn.MLP(sizes, activation="relu")
    opt = tg.optim.Adam(model.parameters(), lr=lr)
    loader = tg.data.DataLoader((X, y), batch_size=32, shuffle=True)
    history, step = minibatch_loop(model, opt, loader, loss_fn, 2, evaluate)
    assert history == eager and same_weights(model, eager_model)
    assert step.trace_count == 2  # batches of 32 and the last one of 22


def test_autoencoder_training():
    ae = load_example("autoencoder")
    X = tg.data.load_digits()[0][:96] / 16.0
    tg.manual_seed(0)
    eager_model = ae.Autoencoder()
    eager = ae.train_autoencoder(eager_model, X, epochs=2)["train"]

    tg.manual_seed(0)
    model = ae.Autoencoder()
    opt = tg.optim.Adam(model.parameters(), lr=3e-3)
    loader = tg.data.DataLoader(X, batch_size=32, shuffle=True)
    history, step = minibatch_loop(model, opt, loader, F.mse_loss, 2,
                                   lambda m: ae.reconstruction_mse(m, X))
    assert history == eager and same_weights(model, eager_model)
    assert "encoder" in step.source and "np.tanh(" in step.source


def test_regression_mlp_with_early_stopping_and_the_momentum_linear_fit():
    reg = load_example("regression")
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(70, 4)), rng.normal(size=70)
    tg.manual_seed(0)
    eager_model = nn.MLP([4, 16, 1], activation="tanh", dtype=np.float64)
    best = reg.train_with_early_stopping(eager_model, X, y, X[:10], y[:10], epochs=3, lr=1e-2, seed=1)

    tg.manual_seed(0)
    model = nn.MLP([4, 16, 1], activation="tanh", dtype=np.float64)
    opt = tg.optim.Adam(model.parameters(), lr=1e-2)
    loader = tg.data.DataLoader((X, y[:, None]), batch_size=32, shuffle=True, seed=1, dtype=np.float64)
    states = []

    def evaluate(m):
        states.append(m.state_dict())
        return float(np.mean((reg.predict(m, X[:10]) - y[:10]) ** 2))
    val, _ = minibatch_loop(model, opt, loader, F.mse_loss, 3, evaluate)
    first_best = int(np.argmin(val))  # the first epoch with the lowest error, as the example keeps
    model.load_state_dict(states[first_best])
    assert best == first_best + 1 and same_weights(model, eager_model)

    eager_linear = reg.linear_by_gradient_descent(X, y, steps=25)
    A = np.c_[X, np.ones(len(X))]
    lam_max = float(np.linalg.eigvalsh(2 * A.T @ A / len(A)).max())
    linear = nn.Linear(4, 1, dtype=np.float64, init="zeros")
    opt = tg.optim.SGD(linear.parameters(), lr=1.0 / lam_max, momentum=0.9)
    xt, yt = tg.Tensor(X), tg.Tensor(y[:, None])

    @tg.compile
    def step(x, y):
        opt.zero_grad()
        F.mse_loss(linear(x), y).backward()
        opt.step()
    for _ in range(25):
        step(xt, yt)
    assert same_weights(linear, eager_linear)


def test_universal_approximation_fit_with_a_learning_rate_schedule():
    ua = load_example("universal_approximation")
    x = np.linspace(-1, 1, 40)[:, None]
    y = np.abs(x)
    eager_model = ua.one_hidden_layer(8, seed=0, activation=nn.ReLU)
    final = ua.fit(eager_model, x, y, steps=30, lr=0.05)

    model = ua.one_hidden_layer(8, seed=0, activation=nn.ReLU)
    opt = tg.optim.Adam(model.parameters(), lr=0.05)
    schedule = tg.optim.ExponentialLR(opt, gamma=0.01 ** (1.0 / 30))
    xt, yt = tg.Tensor(x), tg.Tensor(y)

    @tg.compile
    def step(x, y):
        opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        return loss
    for _ in range(30):
        loss = step(xt, yt)
        schedule.step()  # changes opt.lr between calls: Adam reads it when it runs
    assert float(loss.item()) == final and same_weights(model, eager_model)
