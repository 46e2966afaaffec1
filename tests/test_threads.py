"""Grad mode, anomaly mode and the module scope are per thread (config.py), tested with real threads.

Events and barriers fix the order in which the threads meet, so each test checks the exact
interleaving it names (no sleeps); ``sys.setswitchinterval`` is lowered where threads run side
by side so that they really switch inside each other's ``no_grad`` blocks.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor, nn, optim
from tinygrad_edu.config import Config

TIMEOUT = 10  # seconds; only reached if a test is broken, never in a passing run


@pytest.fixture
def fast_switching() -> Iterator[None]:
    """Switch threads every 10 µs (instead of 5 ms), so loops interleave finely."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(old)


class Worker(threading.Thread):
    """A thread that keeps the exception it raised, so the test can re-raise it."""

    def __init__(self, target: Callable[[], object]) -> None:
        super().__init__(daemon=True)
        self.work, self.error = target, None
        self.result: object = None

    def run(self) -> None:
        try:
            self.result = self.work()
        except BaseException as err:  # noqa: B036  handed to the main thread by finish()
            self.error = err

    def finish(self) -> object:
        self.join(TIMEOUT)
        assert not self.is_alive(), "worker thread did not finish"
        if self.error is not None:
            raise self.error
        return self.result


def test_a_thread_inside_no_grad_does_not_stop_recording_in_the_main_thread():
    inside, main_done = threading.Event(), threading.Event()

    def evaluate():
        with tg.no_grad():
            inside.set()
            assert main_done.wait(TIMEOUT)
            return tg.is_grad_enabled(), (Tensor([1.0], requires_grad=True) * 2).requires_grad

    worker = Worker(evaluate)
    worker.start()
    assert inside.wait(TIMEOUT)  # the other thread is now sitting inside no_grad
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    assert tg.is_grad_enabled() and y.requires_grad and not y.is_leaf
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])
    main_done.set()
    assert worker.finish() == (False, False)  # ... and its own block was never switched on


def test_threads_looping_no_grad_leave_recording_on_in_the_main_thread(fast_switching):
    start = threading.Barrier(3)

    def loop():
        start.wait(TIMEOUT)
        for _ in range(2000):
            with tg.no_grad():
                pass

    workers = [Worker(loop), Worker(loop)]
    for w in workers:
        w.start()
    start.wait(TIMEOUT)
    recorded = [(Tensor([1.0], requires_grad=True) * 3).requires_grad for _ in range(500)]
    for w in workers:
        w.finish()
    assert all(recorded) and tg.is_grad_enabled()


def test_one_decorated_function_running_in_two_threads_restores_each_threads_mode():
    """``@tg.enable_grad()`` is one object; its saved modes must not cross between threads."""
    a_inside, b_inside, a_left = threading.Event(), threading.Event(), threading.Event()

    @tg.enable_grad()
    def step(first: bool) -> None:
        if first:  # thread A enters first and leaves first, while B is still inside
            a_inside.set()
            assert b_inside.wait(TIMEOUT)
        else:
            b_inside.set()
            assert a_left.wait(TIMEOUT)

    def thread_a():
        with tg.no_grad():
            step(True)
            after = tg.is_grad_enabled()
        a_left.set()
        return after

    worker = Worker(thread_a)
    worker.start()
    assert a_inside.wait(TIMEOUT)
    step(False)
    assert worker.finish() is False  # A is back in its no_grad block
    assert tg.is_grad_enabled()  # the main thread is back to recording


def _data() -> tuple[Tensor, Tensor]:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((32, 3))
    y = x @ np.array([[1.0], [-2.0], [0.5]]) + 0.3
    return Tensor(x), Tensor(y)


def _train(steps: int) -> tuple[list[np.ndarray], int]:
    """Train a Linear(3, 1) with SGD; returns its weights and how many losses recorded a graph."""
    x, y = _data()
    model = nn.Linear(3, 1, rng=np.random.default_rng(0), dtype=np.float64)
    opt = optim.SGD(model.parameters(), lr=0.05)
    recorded = 0
    for _ in range(steps):
        loss = ((model(x) - y) ** 2).mean()
        recorded += loss.requires_grad
        opt.zero_grad()
        loss.backward()
        opt.step()
    return [p.data.copy() for p in model.parameters()], recorded


def test_training_beside_an_evaluating_thread_matches_training_alone(fast_switching):
    steps = 300
    alone, _ = _train(steps)
    eval_running, training_done = threading.Event(), threading.Event()
    x, _ = _data()
    evaluated = nn.Linear(3, 1, rng=np.random.default_rng(5), dtype=np.float64)

    def evaluate():
        passes = 0
        while not training_done.is_set():
            with tg.no_grad():
                out = evaluated(x)
                assert not out.requires_grad
                eval_running.set()
                passes += 1
        return passes

    def train():
        assert eval_running.wait(TIMEOUT)
        try:
            return _train(steps)
        finally:
            training_done.set()

    evaluator, trainer = Worker(evaluate), Worker(train)
    evaluator.start()
    trainer.start()
    weights, recorded = trainer.finish()
    assert evaluator.finish() > 0
    assert recorded == steps  # every training step recorded its graph
    for w, w_alone in zip(weights, alone):
        np.testing.assert_array_equal(w, w_alone)  # bit for bit


def test_detect_anomaly_in_one_thread_is_not_seen_by_another():
    inside, checked = threading.Event(), threading.Event()

    def hunt():
        with tg.detect_anomaly():
            inside.set()
            assert checked.wait(TIMEOUT)
            with np.errstate(invalid="ignore"), pytest.raises(RuntimeError, match="detect_anomaly: Log"):
                Tensor([-1.0]).log()

    worker = Worker(hunt)
    worker.start()
    assert inside.wait(TIMEOUT)
    assert not Config.anomaly
    with pytest.warns(RuntimeWarning, match="invalid value"):
        out = Tensor([-1.0], requires_grad=True).log()  # silently nan here, as without the mode
    assert np.isnan(out.item())
    checked.set()
    worker.finish()


def test_module_scope_is_per_thread():
    """A module call in one thread does not label the ops recorded in another."""
    inside, recorded = threading.Event(), threading.Event()

    class Waits(nn.Module):
        def forward(self, x):
            inside.set()
            assert recorded.wait(TIMEOUT)
            return x * 2

    worker = Worker(lambda: Waits()(Tensor([1.0], requires_grad=True))._ctx.scope)
    worker.start()
    assert inside.wait(TIMEOUT)
    out = Tensor([1.0], requires_grad=True) * 2
    recorded.set()
    assert out._ctx.scope == () and Config.scope == ()
    assert worker.finish() == ("Waits",)
