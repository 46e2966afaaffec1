"""Every optimizer and scheduler against torch.optim: same hyperparameters, same gradients, 100 steps."""

import numpy as np
import pytest

import tinygrad_edu as tg

torch = pytest.importorskip("torch")

CASES = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.8, dampening=0.4, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.05)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.2, eps=1e-6)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.005, momentum=0.5, centered=True, weight_decay=0.01)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, betas=(0.5, 0.9), weight_decay=0.3, amsgrad=True)),
]


@pytest.mark.parametrize("name, kw", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_matches_torch_over_100_steps(name, kw):
    rng = np.random.default_rng(7)
    shapes = [(4, 3), (3,), (2, 2)]
    starts = [rng.standard_normal(s) for s in shapes]
    ours = [tg.Tensor(s.copy(), requires_grad=True) for s in starts]
    theirs = [torch.tensor(s.copy(), dtype=torch.float64, requires_grad=True) for s in starts]
    opt = getattr(tg.optim, name)(ours, **kw)
    ref = getattr(torch.optim, name)(theirs, **kw)
    for step in range(100):
        for i, (p, q) in enumerate(zip(ours, theirs)):
            if i == 2 and step % 3 == 0:  # sometimes no gradient: both must skip the parameter
                p.grad, q.grad = None, None
                continue
            g = rng.standard_normal(p.shape) * (1 + step % 5)
            p.grad = tg.Tensor(g.copy())
            q.grad = torch.tensor(g.copy(), dtype=torch.float64)
        opt.step()
        ref.step()
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("name, kw", [("StepLR", dict(step_size=3, gamma=0.5)),
                                      ("ExponentialLR", dict(gamma=0.9))])
def test_schedulers_match_torch(name, kw):
    ours_opt = tg.optim.SGD([tg.Tensor(np.ones(2), requires_grad=True)], lr=0.3)
    ref_opt = torch.optim.SGD([torch.ones(2, requires_grad=True)], lr=0.3)
    ours = getattr(tg.optim, name)(ours_opt, **kw)
    ref = getattr(torch.optim.lr_scheduler, name)(ref_opt, **kw)
    for _ in range(12):
        ref_opt.step()  # torch warns if the scheduler steps before the optimizer
        ours.step()
        ref.step()
        np.testing.assert_allclose(ours.get_last_lr(), ref.get_last_lr(), rtol=1e-12)
