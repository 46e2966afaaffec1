"""Every op through tg.compile: the program's line for it computes what its forward computes.

For each function below a step computes a loss, runs backward and returns the loss and the
gradients.  The compiled step is traced on one batch and then run on other values of the
same shapes; its results must equal the eager step's on those values byte for byte -- so a
template that drifted from its op's forward, or a mask frozen at the traced values, fails.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu.compiler import CompileWarning
from tinygrad_edu.compiler.codegen import TEMPLATES
from tinygrad_edu.nn import functional as F

LABELS = tg.Tensor(np.array([0, 2, 1]))
FUNCTIONS = {
    "add-sub-mul-div": lambda x, y: ((x + y) * (x - 2.0) / (y * y + 1.0)).sum(),
    "neg-pow": lambda x, y: (-(x ** 3) + (y * y + 1.0) ** x).sum(),
    "exp-log-sqrt": lambda x, y: ((x * 0.1).exp() + (y * y + 0.5).log() + (y * y + 1.0).sqrt()).sum(),
    "sin-cos": lambda x, y: (x.sin() * y.cos()).sum(),
    "maximum-minimum-abs": lambda x, y: (x.maximum(y) + x.minimum(0.25) + y.abs()).sum(),
    "clip-where-compare": lambda x, y: (x.clip(-0.5, 0.5) + tg.where(y > 0, x, y * 2.0)).sum(),
    "relu-leaky-sigmoid-tanh": lambda x, y: (x.relu() + y.leaky_relu(0.1) + x.sigmoid() * y.tanh()).sum(),
    "softmax-log-softmax": lambda x, y: (x.softmax(axis=1) * y.log_softmax(axis=0)).sum(),
    "matmul-transpose": lambda x, y: (x @ y.T).mean() + (x.T @ y).sum(),
    "sum-mean-var": lambda x, y: (x.sum(axis=0) * y.mean(axis=0) + x.var(axis=1).sum()).sum(),
    "reshape-permute-broadcast": lambda x, y: (x.reshape(-1) * y.permute(1, 0).reshape(-1)).sum()
    + (x[:1] * y).sum(),
    "index-cat-stack": lambda x, y: (x[1:, 0] * y[1:, 1]).sum() + tg.cat([x, y], dim=0).sum()
    + (tg.stack([x, y]) ** 2).sum(),
    "cast": lambda x, y: ((x.astype(np.float64) * 2.0).astype(x.dtype) * y).sum(),
    "losses": lambda x, y: F.mse_loss(x, y) + F.binary_cross_entropy(x.sigmoid(), (y > 0).astype(x.dtype))
    + F.l1_loss(x, y) + F.binary_cross_entropy_with_logits(x, y.sigmoid()),
    "cross-entropy": lambda x, y: F.cross_entropy(x @ y.T, LABELS),  # labels from outside the step
}


def step_for(fn, x, y):
    def step():
        x.grad = y.grad = None
        loss = fn(x, y)
        loss.backward()
        return loss, x.grad, y.grad
    return step


def same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@settings(max_examples=4)
@given(seed=st.integers(0, 1000), dtype=st.sampled_from([np.float32, np.float64]))
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_each_op_replays_what_eager_computes_on_new_values(name, seed, dtype):
    rng = np.random.default_rng(seed)
    x = tg.Tensor(np.zeros((3, 4), dtype), requires_grad=True)
    y = tg.Tensor(np.zeros((3, 4), dtype), requires_grad=True)
    eager = step_for(FUNCTIONS[name], x, y)
    compiled = tg.compile(eager)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)
        for _ in range(3):
            x.data[...] = rng.normal(size=(3, 4))
            y.data[...] = rng.normal(size=(3, 4))
            got = [t.data for t in compiled()]
            want = [t.data for t in eager()]
            assert all(same(a, b) for a, b in zip(got, want)), name
    assert compiled.trace_count == 1


def test_every_template_is_one_of_the_engine_ops_and_names_each_input():
    from tinygrad_edu.function import Function

    for cls, template in TEMPLATES.items():
        assert issubclass(cls, Function) and "{0}" in template, cls


def test_max_reduction_compiles_and_follows_the_maximum_when_it_moves():
    """Max's backward mask is derived() from the input and the output, so the program
    recomputes it: after the data changes, the gradient goes to the new maxima (ties share)."""
    x = tg.Tensor(np.array([[1.0, 3.0], [2.0, 0.0]]), requires_grad=True)

    def step():
        x.grad = None
        loss = x.max(axis=1).sum()
        loss.backward()
        return loss
    run = tg.compile(step)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)
        run()
        x.data[...] = [[4.0, 3.0], [5.0, 5.0]]
        run()
    assert run.trace_count == 1
    assert same(x.grad.data, np.array([[1.0, 0.0], [0.5, 0.5]]))
