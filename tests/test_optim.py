"""Optimizers against their update formulas (NumPy, no torch), their errors and their guarantees."""

import math
import tracemalloc

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.optim import SGD, Adagrad, Adam, AdamW, ExponentialLR, RMSprop, StepLR


def make_param(values, dtype=np.float64, name=None):
    return tg.Tensor(np.array(values, dtype=dtype), requires_grad=True, name=name)


def run(opt_cls, p0, grads, **kw):
    """Feed the gradient sequence to the optimizer; return the parameter after each step."""
    p = make_param(p0)
    opt = opt_cls([p], **kw)
    history = []
    for g in grads:
        p.grad = tg.Tensor(np.array(g, dtype=np.float64))
        opt.step()
        history.append(p.data.copy())
    return np.array(history)


# -- worked examples: a few steps done by hand ---------------------------------------------------
def test_sgd_by_hand():
    # theta = 1, g = 2, lr = 0.1: 1 - 0.1 * 2 = 0.8; then g = -1: 0.8 + 0.1 = 0.9
    np.testing.assert_allclose(run(SGD, [1.0], [[2.0], [-1.0]], lr=0.1)[:, 0], [0.8, 0.9])


def test_sgd_momentum_by_hand():
    # b1 = g1 = 1 -> 1 - 0.1 = 0.9;  b2 = 0.9*1 + 1 = 1.9 -> 0.9 - 0.19 = 0.71
    np.testing.assert_allclose(run(SGD, [1.0], [[1.0], [1.0]], lr=0.1, momentum=0.9)[:, 0], [0.9, 0.71])
    # nesterov: step 1 uses g + 0.9*b1 = 1.9 -> 0.81;  b2 = 1.9, step 2 uses 1 + 0.9*1.9 = 2.71
    np.testing.assert_allclose(run(SGD, [1.0], [[1.0], [1.0]], lr=0.1, momentum=0.9, nesterov=True)[:, 0],
                               [0.81, 0.81 - 0.271])
    # dampening scales gradients entering the buffer after the first: b2 = 0.9*1 + 0.5*1 = 1.4
    np.testing.assert_allclose(run(SGD, [1.0], [[1.0], [1.0]], lr=0.1, momentum=0.9, dampening=0.5)[:, 0],
                               [0.9, 0.9 - 0.14])


def test_sgd_weight_decay_by_hand():
    # g <- g + wd * theta = 0 + 0.5 * 2 = 1 -> 2 - 0.1 * 1 = 1.9
    np.testing.assert_allclose(run(SGD, [2.0], [[0.0]], lr=0.1, weight_decay=0.5)[:, 0], [1.9])


def test_first_adaptive_steps_by_hand():
    g = [[4.0, -0.25]]
    # Adam's first step is lr * m_hat / (sqrt(v_hat) + eps) = lr * g / |g|: about lr per entry
    np.testing.assert_allclose(run(Adam, [0.0, 0.0], g, lr=0.01)[0], [-0.01, 0.01], rtol=1e-6)
    # Adagrad: s = g**2, step = lr * g / |g|
    np.testing.assert_allclose(run(Adagrad, [0.0, 0.0], g, lr=0.1)[0], [-0.1, 0.1], rtol=1e-8)
    # RMSprop: v = 0.01 g**2, step = lr * g / (0.1 |g|) = 10 lr
    np.testing.assert_allclose(run(RMSprop, [0.0, 0.0], g, lr=0.01)[0], [-0.1, 0.1], rtol=1e-6)


def test_adamw_decay_is_decoupled_by_hand():
    # with a zero gradient Adam's moments stay 0, so only the decay acts: theta * (1 - lr*wd)
    out = run(AdamW, [2.0], [[0.0], [0.0]], lr=0.1, weight_decay=0.5)[:, 0]
    np.testing.assert_allclose(out, [2.0 * 0.95, 2.0 * 0.95 ** 2])
    # Adam's L2 decay goes through the adaptive scaling instead: first step ~ lr * sign
    np.testing.assert_allclose(run(Adam, [2.0], [[0.0]], lr=0.1, weight_decay=0.5)[0, 0], 1.9, rtol=1e-6)


# -- 100 steps against textbook formulas ---------------------------------------------------------
RNG = np.random.default_rng(42)
P0 = RNG.standard_normal((3, 4))
GRADS = RNG.standard_normal((100, 3, 4))


def textbook_sgd(lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
    theta, b, out = P0.copy(), None, []
    for g in GRADS:
        g = g + weight_decay * theta
        if momentum:
            b = g.copy() if b is None else momentum * b + (1 - dampening) * g
            g = g + momentum * b if nesterov else b
        theta = theta - lr * g
        out.append(theta)
    return np.array(out)


def textbook_adam(lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False, amsgrad=False):
    theta, m, v, vmax, out = P0.copy(), 0.0, 0.0, 0.0, []
    for t, g in enumerate(GRADS, start=1):
        if decoupled:
            theta = theta * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * theta
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g ** 2
        vmax = np.maximum(vmax, v)
        m_hat = m / (1 - betas[0] ** t)
        v_hat = (vmax if amsgrad else v) / (1 - betas[1] ** t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(theta)
    return np.array(out)


def textbook_rmsprop(lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
    theta, v, gbar, b, out = P0.copy(), 0.0, 0.0, 0.0, []
    for g in GRADS:
        g = g + weight_decay * theta
        v = alpha * v + (1 - alpha) * g ** 2
        gbar = alpha * gbar + (1 - alpha) * g
        d = np.sqrt(v - gbar ** 2 if centered else v) + eps
        b = momentum * b + g / d
        theta = theta - lr * (b if momentum else g / d)
        out.append(theta)
    return np.array(out)


def textbook_adagrad(lr, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
    theta, s, out = P0.copy(), initial_accumulator_value, []
    for t, g in enumerate(GRADS, start=1):
        g = g + weight_decay * theta
        s = s + g ** 2
        theta = theta - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(s) + eps)
        out.append(theta)
    return np.array(out)


FORMULA_CASES = [
    (SGD, textbook_sgd, dict(lr=0.05)),
    (SGD, textbook_sgd, dict(lr=0.05, momentum=0.9)),
    (SGD, textbook_sgd, dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01)),
    (SGD, textbook_sgd, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
    (Adagrad, textbook_adagrad, dict(lr=0.1)),
    (Adagrad, textbook_adagrad, dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.5)),
    (RMSprop, textbook_rmsprop, dict(lr=0.01)),
    (RMSprop, textbook_rmsprop, dict(lr=0.01, alpha=0.9, momentum=0.7, weight_decay=0.05)),
    (RMSprop, textbook_rmsprop, dict(lr=0.01, centered=True, momentum=0.5)),
    (Adam, textbook_adam, dict(lr=0.01)),
    (Adam, textbook_adam, dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1, amsgrad=True)),
]


@pytest.mark.parametrize("opt_cls, formula, kw", FORMULA_CASES, ids=lambda x: getattr(x, "__name__", str(x)))
def test_matches_textbook_formula_over_100_steps(opt_cls, formula, kw):
    np.testing.assert_allclose(run(opt_cls, P0, GRADS, **kw), formula(**kw), rtol=1e-9, atol=1e-12)


def test_adamw_matches_textbook_formula():
    ours = run(AdamW, P0, GRADS, lr=0.01, weight_decay=0.1)
    np.testing.assert_allclose(ours, textbook_adam(0.01, weight_decay=0.1, decoupled=True), rtol=1e-9)


# -- guarantees: no graph, in place, dtype, skipping, no growth ----------------------------------
ALL = [(SGD, dict(lr=0.1, momentum=0.9, weight_decay=0.01)), (Adagrad, dict(weight_decay=0.01)),
       (RMSprop, dict(momentum=0.5, centered=True)), (Adam, dict(amsgrad=True)), (AdamW, {})]


@pytest.mark.parametrize("opt_cls, kw", ALL, ids=lambda x: getattr(x, "__name__", ""))
def test_step_records_no_graph_and_updates_in_place(opt_cls, kw):
    w = make_param(np.ones((2, 3)), name="w")
    x = tg.Tensor(np.arange(6.0).reshape(3, 2))
    opt = opt_cls([w], **kw)
    array_before = w.data
    for _ in range(3):
        opt.zero_grad()
        (x @ w).tanh().sum().backward()
        grad_before = w.grad.data.copy()
        old = w.data.copy()
        opt.step()
        assert w._ctx is None and w.is_leaf and w.requires_grad
        assert w.data is array_before  # the same array, changed in place
        assert not np.allclose(w.data, old)
        np.testing.assert_array_equal(w.grad.data, grad_before)  # the gradient itself is untouched


@pytest.mark.parametrize("opt_cls, kw", ALL, ids=lambda x: getattr(x, "__name__", ""))
def test_float32_stays_float32(opt_cls, kw):
    w = make_param(np.ones(4), dtype=np.float32)
    opt = opt_cls([w], **kw)
    for _ in range(3):
        w.grad = tg.Tensor(np.array([1.0, -2.0, 0.5, 3.0], dtype=np.float32))
        opt.step()
    assert w.dtype == np.float32
    for value in opt.state[0].values():
        if isinstance(value, np.ndarray):
            assert value.dtype == np.float32


def test_float64_gradient_is_cast_to_float32_param():
    w = make_param([1.0, 2.0], dtype=np.float32)
    w.grad = tg.Tensor(np.array([1.0, 1.0]))  # float64
    SGD([w], lr=0.5).step()
    assert w.dtype == np.float32
    np.testing.assert_allclose(w.data, [0.5, 1.5])


@pytest.mark.parametrize("opt_cls, kw", ALL, ids=lambda x: getattr(x, "__name__", ""))
def test_parameters_without_grad_are_skipped(opt_cls, kw):
    a, b = make_param([1.0, 2.0]), make_param([3.0])
    opt = opt_cls([a, b], **kw)
    a.grad = tg.Tensor(np.array([0.5, 0.5]))
    opt.step()
    np.testing.assert_array_equal(b.data, [3.0])
    assert opt.state[1] == {}
    assert not np.allclose(a.data, [1.0, 2.0])


def test_zero_grad_sets_none():
    a = make_param([1.0])
    (a * 3).sum().backward()
    opt = SGD([a], lr=0.1)
    opt.zero_grad()
    assert a.grad is None


@pytest.mark.parametrize("opt_cls, kw", ALL, ids=lambda x: getattr(x, "__name__", ""))
def test_state_does_not_grow(opt_cls, kw):
    w = make_param(np.zeros(50_000))
    opt = opt_cls([w], **kw)
    g = tg.Tensor(np.full(50_000, 0.1))
    for _ in range(3):
        w.grad = g
        opt.step()
    ids = {k: id(v) for k, v in opt.state[0].items() if isinstance(v, np.ndarray)}
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(30):
        w.grad = g
        opt.step()
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert grown < 50_000  # one float64 copy of the parameter would be 400 kB
    assert ids == {k: id(v) for k, v in opt.state[0].items() if isinstance(v, np.ndarray)}


def test_grad_of_wrong_shape_is_named():
    w = make_param([1.0, 2.0], name="w")
    w.grad = tg.Tensor(np.ones(3))
    with pytest.raises(ValueError, match=r"'w'.*shape \(2,\).*\(3,\)"):
        SGD([w], lr=0.1).step()


# -- construction errors ---------------------------------------------------------------------------
@pytest.mark.parametrize("make, message", [
    (lambda p: SGD(p, lr=-0.1), r"SGD: invalid lr=-0.1; .*>= 0"),
    (lambda p: SGD(p, lr=float("nan")), r"invalid lr=nan"),
    (lambda p: SGD(p, lr=0.1, momentum=1.5), r"momentum=1.5.*\[0, 1\]"),
    (lambda p: SGD(p, lr=0.1, momentum=-0.1), r"momentum"),
    (lambda p: SGD(p, lr=0.1, dampening=2), r"dampening"),
    (lambda p: SGD(p, lr=0.1, weight_decay=-1), r"weight_decay=-1.*>= 0"),
    (lambda p: SGD(p, lr=0.1, nesterov=True), r"nesterov=True needs momentum > 0"),
    (lambda p: SGD(p, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), r"dampening = 0"),
    (lambda p: Adam(p, betas=(1.0, 0.999)), r"betas\[0\]=1.0.*\[0, 1\)"),
    (lambda p: Adam(p, betas=(0.9, -0.1)), r"betas\[1\]"),
    (lambda p: Adam(p, betas=0.9), r"betas must be a pair"),
    (lambda p: Adam(p, eps=-1e-8), r"eps"),
    (lambda p: AdamW(p, weight_decay=-0.01), r"AdamW: invalid weight_decay"),
    (lambda p: RMSprop(p, alpha=1.2), r"alpha=1.2"),
    (lambda p: RMSprop(p, lr=-1), r"RMSprop: invalid lr"),
    (lambda p: Adagrad(p, lr_decay=-0.5), r"lr_decay"),
    (lambda p: Adagrad(p, initial_accumulator_value=-1), r"initial_accumulator_value"),
    (lambda p: SGD(p, lr="0.1"), r"invalid lr='0.1'"),
])
def test_invalid_hyperparameters_raise_value_error(make, message):
    with pytest.raises(ValueError, match=message):
        make([make_param([1.0])])


def test_params_are_checked():
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([], lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD(iter([]), lr=0.1)
    with pytest.raises(TypeError, match="parameter 1 is a ndarray, not a Tensor"):
        SGD([make_param([1.0]), np.ones(2)], lr=0.1)
    with pytest.raises(TypeError, match="single Tensor; wrap it in a list"):
        SGD(make_param([1.0]), lr=0.1)
    with pytest.raises(TypeError, match="a dict"):
        SGD({"w": np.ones(2)}, lr=0.1)
    with pytest.raises(TypeError, match="iterable"):
        SGD(3, lr=0.1)
    with pytest.raises(TypeError, match="dtype int64"):
        SGD([tg.Tensor(np.array([1, 2]))], lr=0.1)
    p = make_param([1.0])
    with pytest.raises(ValueError, match="appears more than once"):
        SGD([p, p], lr=0.1)
    with pytest.raises(ValueError, match="not a leaf"):
        SGD([p * 2], lr=0.1)


def test_params_from_a_generator():
    ps = [make_param([1.0]), make_param([2.0])]
    opt = SGD((p for p in ps), lr=0.5)
    assert opt.params == ps
    for p in ps:
        p.grad = tg.Tensor(np.array([1.0]))
    opt.step()
    np.testing.assert_allclose([p.item() for p in ps], [0.5, 1.5])


# -- state_dict ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("opt_cls, kw", ALL, ids=lambda x: getattr(x, "__name__", ""))
def test_state_dict_resume_gives_identical_trajectory(opt_cls, kw):
    grads = GRADS[:10]
    full = run(opt_cls, P0, grads, **kw)
    p = make_param(P0)
    opt = opt_cls([p], **kw)
    for g in grads[:5]:
        p.grad = tg.Tensor(g)
        opt.step()
    snapshot = opt.state_dict()
    p.grad = tg.Tensor(grads[5])
    opt.step()  # must not change the snapshot
    q = make_param(p.data.copy())
    q.data[...] = full[4]
    resumed = opt_cls([q], **kw)
    resumed.load_state_dict(snapshot)
    for g in grads[5:]:
        q.grad = tg.Tensor(g)
        resumed.step()
    np.testing.assert_allclose(q.data, full[-1], rtol=1e-12)


def test_state_dict_contents_and_hyperparameters():
    p = make_param([1.0, 2.0])
    opt = Adam([p], lr=0.01, betas=(0.8, 0.9))
    p.grad = tg.Tensor(np.array([1.0, 1.0]))
    opt.step()
    sd = opt.state_dict()
    assert sd["optimizer"] == "Adam"
    assert sd["hyperparameters"] == {"lr": 0.01, "betas": (0.8, 0.9), "eps": 1e-8, "weight_decay": 0.0,
                                     "amsgrad": False}
    assert set(sd["state"]) == {0} and sd["state"][0]["step"] == 1
    np.testing.assert_allclose(sd["state"][0]["exp_avg"], [0.2, 0.2])
    other = Adam([make_param([0.0, 0.0])], lr=0.5)
    other.load_state_dict(sd)
    assert other.lr == 0.01 and other.betas == (0.8, 0.9)


def test_load_state_dict_errors_name_the_problem():
    p = make_param([1.0, 2.0])
    opt = SGD([p], lr=0.1, momentum=0.9)
    p.grad = tg.Tensor(np.array([1.0, 1.0]))
    opt.step()
    sd = opt.state_dict()
    with pytest.raises(ValueError, match="saved by SGD; it cannot be loaded into Adam"):
        Adam([make_param([1.0, 2.0])]).load_state_dict(sd)
    with pytest.raises(ValueError, match=r"has shape \(3,\), but the parameter has shape \(2,\)"):
        SGD([make_param([1.0, 2.0])], lr=0.1, momentum=0.9).load_state_dict(
            {**sd, "state": {0: {"momentum_buffer": np.ones(3)}}})
    with pytest.raises(ValueError, match="state for parameter 1, but this optimizer has 1 parameters"):
        SGD([make_param([1.0, 2.0])], lr=0.1).load_state_dict({**sd, "state": {1: sd["state"][0]}})
    with pytest.raises(ValueError, match="unknown state 'exp_avg'"):
        SGD([make_param([1.0, 2.0])], lr=0.1).load_state_dict({**sd, "state": {0: {"exp_avg": np.ones(2)}}})
    with pytest.raises(ValueError, match="unknown hyperparameters"):
        SGD([make_param([1.0, 2.0])], lr=0.1).load_state_dict(
            {**sd, "hyperparameters": {"betas": (0.9, 0.9)}})
    with pytest.raises(ValueError, match="expects the dict returned by state_dict"):
        SGD([make_param([1.0, 2.0])], lr=0.1).load_state_dict({"w": np.ones(2)})
    target = SGD([make_param([1.0, 2.0])], lr=0.1)
    with pytest.raises(ValueError, match="invalid lr=-1"):
        target.load_state_dict({**sd, "hyperparameters": {**sd["hyperparameters"], "lr": -1}})
    assert target.lr == 0.1 and target.momentum == 0  # a failed load changes nothing


# -- schedulers ------------------------------------------------------------------------------------------
def test_step_lr_and_exponential_lr():
    opt = SGD([make_param([1.0])], lr=1.0)
    sched = StepLR(opt, step_size=3, gamma=0.5)
    lrs = []
    for _ in range(7):
        lrs.append(sched.get_last_lr()[0])
        sched.step()
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]
    opt = Adam([make_param([1.0])], lr=0.1)
    sched = ExponentialLR(opt, gamma=0.9)
    for _ in range(5):
        sched.step()
    assert math.isclose(opt.lr, 0.1 * 0.9 ** 5) and sched.get_last_lr() == [opt.lr]


def test_scheduler_lr_changes_the_update():
    p = make_param([0.0])
    opt = SGD([p], lr=1.0)
    sched = StepLR(opt, step_size=1, gamma=0.1)
    for _ in range(3):
        p.grad = tg.Tensor(np.array([1.0]))
        opt.step()
        sched.step()
    np.testing.assert_allclose(p.data, [-1.11])


def test_scheduler_errors_and_state():
    opt = SGD([make_param([1.0])], lr=1.0)
    with pytest.raises(ValueError, match="step_size"):
        StepLR(opt, step_size=0)
    with pytest.raises(ValueError, match="gamma"):
        ExponentialLR(opt, gamma=-0.5)
    with pytest.raises(TypeError, match="expects an optimizer"):
        StepLR("adam", step_size=2)
    sched = StepLR(opt, step_size=2, gamma=0.5)
    for _ in range(5):
        sched.step()
    other_opt = SGD([make_param([1.0])], lr=1.0)
    other = StepLR(other_opt, step_size=2, gamma=0.5)
    other.load_state_dict(sched.state_dict())
    assert other_opt.lr == opt.lr == 0.25


# -- a small training run: linear regression with plain Tensors -----------------------------------------
@pytest.mark.parametrize("make_opt, batch_size, epochs", [
    (lambda ps: SGD(ps, lr=0.1), None, 150),                     # batch gradient descent
    (lambda ps: SGD(ps, lr=0.02), 1, 4),                         # stochastic gradient descent
    (lambda ps: SGD(ps, lr=0.1, momentum=0.9), 16, 15),          # mini-batch with momentum
    (lambda ps: Adam(ps, lr=0.05), 16, 25),
    (lambda ps: RMSprop(ps, lr=0.01), 32, 60),
])
def test_linear_regression_loss_decreases(make_opt, batch_size, epochs):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 3))
    y = X @ np.array([[1.5], [-2.0], [0.5]]) + 0.3 + 0.05 * rng.standard_normal((200, 1))
    w = tg.Tensor(np.zeros((3, 1), np.float32), requires_grad=True)
    b = tg.Tensor(np.zeros(1, np.float32), requires_grad=True)
    opt = make_opt([w, b])
    loader = tg.data.DataLoader((X, y), batch_size=batch_size, shuffle=True, seed=1)

    def full_loss():
        return (((tg.Tensor(X.astype(np.float32)) @ w + b) - y.astype(np.float32)) ** 2).mean().item()

    start = full_loss()
    for _ in range(epochs):
        for xb, yb in loader:
            opt.zero_grad()
            loss = ((xb @ w + b - yb) ** 2).mean()
            loss.backward()
            opt.step()
    assert w.dtype == np.float32
    assert full_loss() < 0.01 < start
    np.testing.assert_allclose(w.data.ravel(), [1.5, -2.0, 0.5], atol=0.05)
