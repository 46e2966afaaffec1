"""Forward mode, op by op: every row of the op table (test_ops_table.TABLE) in forward mode.

Each row's Jacobian-vector product (``tg.func.jvp``, the ops' ``jvp`` rules) is checked on
hypothesis-drawn shapes (broadcast pairs included) and values, in float64, three ways:

* against central differences along the tangent, (f(x + εv) - f(x - εv)) / 2ε;
* against the op's ``backward``: ⟨J v, u⟩ = ⟨v, Jᵀu⟩ for random u and v;
* forward over reverse: ``hvp`` of ⟨f(x), w⟩ against central differences of its gradient,
  which pushes tangents through every backward rule's own ops (ScatterAdd included).

And every op class in tinygrad_edu/ops defines ``jvp`` right after ``backward``.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import strategies as S
from hypothesis import given, settings
from hypothesis import strategies as st
from test_ops_table import IDS, TABLE, Case, _draw

import tinygrad_edu as tg
from tinygrad_edu import Tensor, ops
from tinygrad_edu.function import Function

EPS = 1e-6


def _differentiable(case: Case, arrays: tuple[np.ndarray, ...],
                    params: dict[str, Any]) -> tuple[Callable[..., Tensor], list[np.ndarray]]:
    """The row as a function of its float inputs only (a where's boolean condition is fixed)."""
    floats = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"]

    def f(*xs: Tensor) -> Tensor:
        full = [Tensor(a) for a in arrays]  # the condition stays boolean
        for i, x in zip(floats, xs):
            full[i] = x
        return case.fn(*full, **params)
    return f, [arrays[i] for i in floats]


def _t(a: Any) -> Tensor:
    """A float64 tensor (a 0-d NumPy result is a scalar, which would take the default float32)."""
    return Tensor(np.asarray(a, dtype=np.float64))


def _random_like(rng: np.random.Generator, arrays: list[np.ndarray]) -> list[np.ndarray]:
    return [rng.standard_normal(a.shape) for a in arrays]


def _value(f: Callable[..., Tensor], arrays: list[np.ndarray]) -> np.ndarray:
    with tg.no_grad():
        return f(*[_t(a) for a in arrays]).numpy()


def _inner(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    return float(sum(np.sum(x * y) for x, y in zip(a, b)))


@pytest.mark.parametrize("case", TABLE, ids=IDS)
@settings(max_examples=S.examples(20))
@given(data=st.data())
def test_jvp_matches_central_differences(case: Case, data: st.DataObject):
    arrays, params = _draw(case, data)
    f, xs = _differentiable(case, arrays, params)
    vs = _random_like(np.random.default_rng(data.draw(st.integers(0, 2**16), label="seed")), xs)
    out, tangent = tg.func.jvp(f, tuple(_t(x) for x in xs), tuple(_t(v) for v in vs))
    plus = _value(f, [x + EPS * v for x, v in zip(xs, vs)])
    minus = _value(f, [x - EPS * v for x, v in zip(xs, vs)])
    assert tangent.shape == out.shape
    np.testing.assert_allclose(out.numpy(), _value(f, xs), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(tangent.numpy(), (plus - minus) / (2 * EPS), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", TABLE, ids=IDS)
@settings(max_examples=S.examples(20))
@given(data=st.data())
def test_jvp_is_the_adjoint_of_backward(case: Case, data: st.DataObject):
    """⟨J v, u⟩ = ⟨v, Jᵀ u⟩: the forward rule and the backward rule are one Jacobian."""
    arrays, params = _draw(case, data)
    f, xs = _differentiable(case, arrays, params)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16), label="seed"))
    vs = _random_like(rng, xs)
    _, tangent = tg.func.jvp(f, tuple(_t(x) for x in xs), tuple(_t(v) for v in vs))
    u = rng.standard_normal(tangent.shape)
    _, vjp_fn = tg.func.vjp(f, *[_t(x) for x in xs])
    cotangents = [g.numpy() for g in vjp_fn(_t(u))]
    forward, backward = float(np.sum(tangent.numpy() * u)), _inner(vs, cotangents)
    assert forward == pytest.approx(backward, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("case", TABLE, ids=IDS)
@settings(max_examples=S.examples(8))
@given(data=st.data())
def test_forward_over_reverse_matches_differences_of_the_gradient(case: Case, data: st.DataObject):
    """hvp of L(x) = ⟨f(x), w⟩: a tangent through the graph that grad recorded."""
    arrays, params = _draw(case, data)
    f, xs = _differentiable(case, arrays, params)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16), label="seed"))
    vs = _random_like(rng, xs)
    w = _t(rng.standard_normal(_value(f, xs).shape))
    loss = lambda *ts: (f(*ts) * w).sum()  # noqa: E731
    everything = tuple(range(len(xs)))
    hv = tg.func.hvp(loss, tuple(_t(x) for x in xs), tuple(_t(v) for v in vs))

    def gradient_at(shift: float) -> list[np.ndarray]:
        at = [_t(x + shift * v) for x, v in zip(xs, vs)]
        return [g.numpy() for g in tg.func.grad(loss, everything)(*at)]

    plus, minus = gradient_at(EPS), gradient_at(-EPS)
    for h, gp, gm in zip(hv, plus, minus):
        np.testing.assert_allclose(h.numpy(), (gp - gm) / (2 * EPS), rtol=1e-3, atol=1e-5)


# -- every op has its forward rule -------------------------------------------------------------
def _op_classes() -> list[type]:
    found = []
    for info in pkgutil.iter_modules(ops.__path__):
        module = importlib.import_module(f"tinygrad_edu.ops.{info.name}")
        found += [c for _, c in inspect.getmembers(module, inspect.isclass)
                  if issubclass(c, Function) and c.__module__ == module.__name__]
    return found


OP_CLASSES = _op_classes()


def test_the_op_list_is_complete():
    names = {c.__name__ for c in OP_CLASSES}
    assert {"Add", "Mul", "MatMul", "Sum", "Max", "GetItem", "ScatterAdd", "LogSoftmax"} <= names
    assert len(OP_CLASSES) >= 25


@pytest.mark.parametrize("op", OP_CLASSES, ids=[c.__name__ for c in OP_CLASSES])
def test_every_op_defines_jvp_right_after_backward(op: type):
    assert "jvp" in vars(op), f"{op.__name__} has no jvp rule"
    assert op.jvp_rules and all("=" in rule for rule in op.jvp_rules), op.__name__
    tree = ast.parse(inspect.getsource(op).strip())
    methods = [n.name for n in tree.body[0].body if isinstance(n, ast.FunctionDef)]  # type: ignore[attr-defined]
    assert methods.index("jvp") == methods.index("backward") + 1, methods
