"""tg.func against torch.func (float64), where torch is installed.

The random compositions of test_torch_compare (a pool of broadcastable tensors, a few
unary/binary steps, a final reduction or matrix op) run through jvp, vjp, jacrev, jacfwd,
hessian and hvp in both frameworks.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import strategies as S
from hypothesis import given, note, settings
from hypothesis import strategies as st
from test_torch_compare import _describe, _run, programs

from tinygrad_edu import Tensor
from tinygrad_edu import func as F

torch = pytest.importorskip("torch")
TF = torch.func
# torch.func scripts a helper on first use; that deprecation is torch's own business.
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")


def _both(arrays: list[np.ndarray]) -> tuple[tuple[Tensor, ...], tuple[Any, ...]]:
    return (tuple(Tensor(a.copy()) for a in arrays),
            tuple(torch.tensor(a, dtype=torch.float64) for a in arrays))


def _same(ours: Any, theirs: Any, what: str) -> None:
    """Equal values and shapes, through tuples nested as torch.func nests them."""
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs), what
        for k, (o, t) in enumerate(zip(ours, theirs)):
            _same(o, t, f"{what}[{k}]")
        return
    expected = theirs.detach().numpy()
    assert ours.shape == tuple(expected.shape), what
    np.testing.assert_allclose(ours.numpy(), expected, rtol=1e-9, atol=1e-11, err_msg=what)


def _functions(program: dict):
    return (lambda *xs: _run(program, list(xs), ours=True),
            lambda *xs: _run(program, list(xs), ours=False))


def _directions(program: dict, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(a.shape) for a in program["inputs"]]


@settings(max_examples=S.examples(15))
@given(program=programs(), seed=st.integers(0, 2**16))
def test_jvp_and_vjp_match_torch_func(program: dict, seed: int):
    note(_describe(program))
    ours, theirs = _functions(program)
    xs, txs = _both(program["inputs"])
    vs, tvs = _both(_directions(program, seed))
    out, tangent = F.jvp(ours, xs, vs)
    t_out, t_tangent = TF.jvp(theirs, txs, tvs)
    _same(out, t_out, "jvp value")
    _same(tangent, t_tangent, "jvp tangent")
    u = np.random.default_rng(seed + 1).standard_normal(out.shape)
    _, vjp_fn = F.vjp(ours, *xs)
    _, t_vjp_fn = TF.vjp(theirs, *txs)
    _same(vjp_fn(Tensor(u)), t_vjp_fn(torch.tensor(u)), "vjp")


@settings(max_examples=S.examples(10))
@given(program=programs())
def test_jacrev_and_jacfwd_match_torch_func(program: dict):
    note(_describe(program))
    ours, theirs = _functions(program)
    xs, txs = _both(program["inputs"])
    expected = TF.jacrev(theirs, argnums=(0, 1, 2, 3))(*txs)
    _same(F.jacrev(ours, argnums=(0, 1, 2, 3))(*xs), expected, "jacrev")
    _same(F.jacfwd(ours, argnums=(0, 1, 2, 3))(*xs), expected, "jacfwd")
    _same(F.jacfwd(ours, argnums=1)(*xs), TF.jacfwd(theirs, argnums=1)(*txs), "jacfwd argnums=1")


@settings(max_examples=S.examples(10))
@given(program=programs(), seed=st.integers(0, 2**16))
def test_hessian_and_hvp_match_torch_func(program: dict, seed: int):
    note(_describe(program))
    ours, theirs = _functions(program)
    scalar_ours = lambda *xs: (ours(*xs) ** 2).sum()  # noqa: E731
    scalar_theirs = lambda *xs: (theirs(*xs) ** 2).sum()  # noqa: E731
    xs, txs = _both(program["inputs"])
    _same(F.hessian(scalar_ours, argnums=1)(*xs), TF.hessian(scalar_theirs, argnums=1)(*txs),
          "hessian")
    vs, tvs = _both(_directions(program, seed))
    everything = (0, 1, 2, 3)
    expected = TF.jvp(TF.grad(scalar_theirs, argnums=everything), txs, tvs)[1]
    _same(F.hvp(scalar_ours, xs, vs), expected, "hvp")


def test_grad_of_grad_and_jacrev_of_jacfwd_match_torch_func():
    x = np.array([0.3, -1.2, 2.0])
    ours = lambda t: (t.sin() * t.exp()).sum() * t[0]  # noqa: E731
    _same(F.grad(lambda t: F.grad(ours)(t).sum())(Tensor(x)),
          TF.grad(lambda t: TF.grad(ours)(t).sum())(torch.tensor(x)), "grad of grad")
    _same(F.jacrev(F.jacfwd(ours))(Tensor(x)), TF.jacrev(TF.jacfwd(ours))(torch.tensor(x)),
          "jacrev of jacfwd")
