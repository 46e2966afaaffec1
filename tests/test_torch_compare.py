"""Values and gradients against PyTorch (float64), where torch is installed.

Random compositions are drawn by hypothesis as small programs (a pool of broadcastable
tensors, a few unary/binary steps, a final reduction or matrix op) and run in both
frameworks.  Named checks cover every matmul layout, reductions with axis/keepdims,
softmax/log_softmax at extreme logits, indexing with repeats and masks, tie-breaking
conventions, and a Hessian-vector product.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import strategies as S
from hypothesis import given, note, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import Tensor

torch = pytest.importorskip("torch")


def _pair(values: np.ndarray) -> tuple[Tensor, Any]:
    """The same float64 leaf in both frameworks."""
    return (Tensor(values.copy(), requires_grad=True),
            torch.tensor(values, dtype=torch.float64, requires_grad=True))


def _assert_same(ours: Tensor, theirs: Any, what: str = "value") -> None:
    expected = theirs.detach().numpy()
    assert ours.shape == tuple(expected.shape), what
    np.testing.assert_allclose(ours.numpy(), expected, rtol=1e-9, atol=1e-12, err_msg=what)


def _check(fn_ours: Callable, fn_torch: Callable, arrays: list[np.ndarray],
           weight_seed: int = 0) -> None:
    """Same value and same gradients (of a fixed random projection of the output)."""
    pairs = [_pair(a) for a in arrays]
    out_ours = fn_ours(*[p[0] for p in pairs])
    out_torch = fn_torch(*[p[1] for p in pairs])
    _assert_same(out_ours, out_torch)
    w = np.random.default_rng(weight_seed).standard_normal(out_ours.shape)
    (out_ours * w).sum().backward()
    (out_torch * torch.tensor(w)).sum().backward()
    for k, (ours, theirs) in enumerate(pairs):
        _assert_same(ours.grad, theirs.grad, f"gradient of input {k}")


# -- random compositions ------------------------------------------------------------------------------
# Each entry works on both tg.Tensor and torch.Tensor (same method names), keeping values moderate.
UNARY: list[tuple[str, Callable[[Any], Any]]] = [
    ("neg", lambda t: -t),
    ("tanh", lambda t: t.tanh()),
    ("sigmoid", lambda t: t.sigmoid()),
    ("relu", lambda t: t.relu()),
    ("abs", lambda t: t.abs()),
    ("gauss", lambda t: (-(t * t)).exp()),
    ("log", lambda t: (t * t + 1.0).log()),
    ("sqrt", lambda t: (t * t + 0.25).sqrt()),
    ("cube", lambda t: t.clip(-1.5, 1.5) ** 3),
    ("rpow", lambda t: 2.0 ** t.tanh()),
    ("clip", lambda t: t.clip(-0.5, 0.8)),
    ("affine", lambda t: 0.5 - t * 1.5),
    ("rdiv", lambda t: 1.0 / (t * t + 1.0)),
]
BINARY: list[tuple[str, Callable[[Any, Any], Any]]] = [
    ("add", lambda a, b: a + b),
    ("sub", lambda a, b: a - b),
    ("mul", lambda a, b: a * b),
    ("div", lambda a, b: a / (b * b + 0.5)),
    ("pow", lambda a, b: (a * a + 0.5) ** b.tanh()),
]


def _maximum(a: Any, b: Any) -> Any:
    return a.maximum(b) if isinstance(a, Tensor) else torch.maximum(a, b)


def _where(a: Any, b: Any) -> Any:
    if isinstance(a, Tensor):
        return tg.where(a > b, a, b * 2.0)
    return torch.where(a > b, a, b * 2.0)


BINARY += [("maximum", _maximum), ("where", _where)]

# Final steps: from a (rows, cols) tensor to any shape.  (ours, torch) per entry.
FINAL: list[tuple[str, Callable, Callable]] = [
    ("sum_axis0", lambda t: t.sum(axis=0), lambda t: t.sum(dim=0)),
    ("mean_keep", lambda t: t.mean(axis=1, keepdims=True), lambda t: t.mean(dim=1, keepdim=True)),
    ("max_axis1", lambda t: t.max(axis=1), lambda t: t.amax(dim=1)),
    ("min_all", lambda t: t.min(), lambda t: t.amin()),
    ("var_axis0", lambda t: t.var(axis=0), lambda t: t.var(dim=0, correction=0)),
    ("std_all", lambda t: t.std(), lambda t: t.std(correction=0)),
    ("softmax", lambda t: t.softmax(axis=-1), lambda t: t.softmax(dim=-1)),
    ("log_softmax0", lambda t: t.log_softmax(axis=0), lambda t: t.log_softmax(dim=0)),
    ("matmul_T", lambda t: t @ t.T, lambda t: t @ t.T),
    ("matmul_vec", lambda t: t.T @ t[:, 0], lambda t: t.T @ t[:, 0]),
    ("reshape_T", lambda t: t.reshape(-1, 1).T, lambda t: t.reshape(-1, 1).T),
    ("gather_rows", lambda t: t[[0, -1, 0]], lambda t: t[[0, -1, 0]]),
    ("concat", lambda t: tg.concatenate([t, t * 2.0], axis=1), lambda t: torch.cat([t, t * 2.0], 1)),
    ("stack", lambda t: tg.stack([t, t.exp()], axis=0), lambda t: torch.stack([t, t.exp()], 0)),
    ("flatten_relu", lambda t: t.flatten().relu(), lambda t: t.flatten().relu()),
]

ROWS, COLS = 3, 4
POOL_SHAPES = [(ROWS, COLS), (COLS,), (ROWS, 1), ()]


@st.composite
def programs(draw: st.DrawFn) -> dict:
    inputs = [draw(S.arrays(shape)) for shape in POOL_SHAPES]
    steps = draw(st.lists(st.tuples(st.booleans(), st.integers(0, 99), st.integers(0, 99),
                                    st.integers(0, 99)), min_size=1, max_size=6))
    final = draw(st.integers(0, len(FINAL) - 1))
    return {"inputs": inputs, "steps": steps, "final": final}


def _run(program: dict, leaves: list[Any], ours: bool) -> Any:
    pool = list(leaves)
    for binary, op, i, j in program["steps"]:
        a, b = pool[i % len(pool)], pool[j % len(pool)]
        if binary:
            pool.append(BINARY[op % len(BINARY)][1](a, b))
        else:
            pool.append(UNARY[op % len(UNARY)][1](a))
    # combine everything so every leaf matters, broadcast to (ROWS, COLS), then finish
    total = pool[0]
    for k, t in enumerate(pool[1:]):
        total = total + t * (0.5 + 0.25 * k)
    _, final_ours, final_torch = FINAL[program["final"]]
    return final_ours(total) if ours else final_torch(total)


def _describe(program: dict) -> str:
    names = [(BINARY[op % len(BINARY)][0] if binary else UNARY[op % len(UNARY)][0])
             for binary, op, _, _ in program["steps"]]
    return " -> ".join(names + [FINAL[program["final"]][0]])


@settings(max_examples=S.examples(60))
@given(program=programs())
def test_random_compositions_match_torch(program: dict):
    note(f"program: {_describe(program)}")
    _check(lambda *xs: _run(program, list(xs), ours=True),
           lambda *xs: _run(program, list(xs), ours=False), program["inputs"])


def test_composition_description_is_readable():
    program = {"inputs": [], "steps": [(False, 1, 0, 0), (True, 2, 0, 1)], "final": 2}
    assert _describe(program) == "tanh -> mul -> max_axis1"


# -- named comparisons ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["1d1d", "2d", "batched", "1d2d", "2d1d", "1dNd", "Nd1d"])
@settings(max_examples=S.examples(8))
@given(data=st.data())
def test_matmul_layouts_match_torch(kind: str, data: st.DataObject):
    x, y = data.draw(S.matmul_pair(kind))
    _check(lambda a, b: a @ b, lambda a, b: torch.matmul(a, b), [x, y])


@settings(max_examples=S.examples(25))
@given(arrays=S.broadcast_pair())
def test_broadcasting_binary_ops_match_torch(arrays):
    fn = lambda a, b: (a * b - a / (b * b + 1.0) + (a - b).maximum(a * 0.5))  # noqa: E731
    torch_fn = lambda a, b: (a * b - a / (b * b + 1.0) + torch.maximum(a - b, a * 0.5))  # noqa: E731
    _check(fn, torch_fn, list(arrays))


REDUCTIONS = [
    ("sum", lambda t, ax, kd: t.sum(axis=ax, keepdims=kd),
     lambda t, ax, kd: t.sum(dim=ax, keepdim=kd)),
    ("mean", lambda t, ax, kd: t.mean(axis=ax, keepdims=kd),
     lambda t, ax, kd: t.mean(dim=ax, keepdim=kd)),
    ("max", lambda t, ax, kd: t.max(axis=ax, keepdims=kd),
     lambda t, ax, kd: t.amax(dim=ax if ax is not None else (), keepdim=kd)),
    ("min", lambda t, ax, kd: t.min(axis=ax, keepdims=kd),
     lambda t, ax, kd: t.amin(dim=ax if ax is not None else (), keepdim=kd)),
    ("var", lambda t, ax, kd: t.var(axis=ax, keepdims=kd),
     lambda t, ax, kd: t.var(dim=ax, keepdim=kd, correction=0)),
]


@pytest.mark.parametrize("name, ours, theirs", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
@settings(max_examples=S.examples(15))
@given(data=st.data())
def test_reductions_match_torch(name, ours, theirs, data: st.DataObject):
    (x,) = data.draw(S.one(S.GRID, S.shapes(1), unique=True))
    params = data.draw(S.reduce_params(x.shape))
    axis = params["axis"]
    _check(lambda t: ours(t, axis, params["keepdims"]),
           lambda t: theirs(t, axis, params["keepdims"]), [x])


@pytest.mark.parametrize("scale", [1.0, 1e4])
@pytest.mark.parametrize("axis", [0, -1])
def test_softmax_and_log_softmax_match_torch(scale, axis):
    x = np.random.default_rng(3).standard_normal((4, 5)) * scale
    _check(lambda t: t.softmax(axis=axis) * 3.0 + t.log_softmax(axis=axis),
           lambda t: t.softmax(dim=axis) * 3.0 + t.log_softmax(dim=axis), [x])


def test_indexing_with_repeats_and_masks_matches_torch():
    x = np.random.default_rng(4).standard_normal((4, 3))
    rows = np.array([0, 2, 0, 0, 3])
    mask = x > 0
    _check(lambda t: t[rows] * t[rows], lambda t: t[torch.tensor(rows)] * t[torch.tensor(rows)], [x])
    _check(lambda t: t[mask] ** 2, lambda t: t[torch.tensor(mask)] ** 2, [x])
    _check(lambda t: t[rows, [2, 2, 1, 2, 0]], lambda t: t[torch.tensor(rows), [2, 2, 1, 2, 0]], [x])
    _check(lambda t: t[1:, ::2][None], lambda t: t[1:, ::2][None], [x])


def test_max_ties_share_the_gradient_like_torch_amax():
    """Tied maxima split the upstream gradient evenly (torch.amax's convention); the shares
    sum to the upstream gradient.  torch.max(dim) instead sends it all to one index."""
    x = np.array([[3.0, 1.0, 3.0], [2.0, 2.0, 2.0], [0.0, 5.0, 1.0]])
    _check(lambda t: t.max(axis=1), lambda t: t.amax(dim=1), [x])
    _check(lambda t: t.max(), lambda t: t.amax(), [x])
    _check(lambda t: t.min(axis=0), lambda t: t.amin(dim=0), [x])
    ours, theirs = _pair(x)
    ours.max(axis=1).sum().backward()
    theirs.max(dim=1).values.sum().backward()
    # Both sum to the upstream 3 -- up to rounding: three thirds summed in whatever order this
    # NumPy build's reduction takes need not give exactly 3.0.
    assert ours.grad.numpy().sum() == pytest.approx(3.0) == theirs.grad.numpy().sum()
    assert not np.array_equal(ours.grad.numpy(), theirs.grad.numpy())  # but split differently


def test_elementwise_ties_and_kinks_follow_torch():
    """maximum at a tie gives 1/2 to each side, abs and relu have slope 0 at 0, clip passes
    the gradient at its ends -- all as in PyTorch."""
    a = np.array([1.0, 2.0, 0.0, -0.5, 0.8])
    b = np.array([1.0, 0.0, 0.0, -0.5, 0.8])
    _check(lambda s, t: s.maximum(t), lambda s, t: torch.maximum(s, t), [a, b])
    _check(lambda s, t: s.minimum(t), lambda s, t: torch.minimum(s, t), [a, b])
    _check(lambda s: s.abs() + s.relu(), lambda s: s.abs() + s.relu(), [a])
    _check(lambda s: s.clip(-0.5, 0.8), lambda s: s.clamp(-0.5, 0.8), [a])


def test_activations_match_torch():
    x = np.linspace(-5, 5, 12).reshape(3, 4) + 0.01
    F = torch.nn.functional
    _check(lambda t: t.leaky_relu(0.2) + t.sigmoid() * t.tanh(),
           lambda t: F.leaky_relu(t, 0.2) + t.sigmoid() * t.tanh(), [x])


def test_hessian_vector_product_matches_torch():
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((6, 3)), rng.integers(0, 2, 6)
    w1, w2, v1, v2 = (rng.standard_normal(s) for s in [(3, 5), (5, 2), (3, 5), (5, 2)])

    def loss(lib_x, a, b, lib):
        logits = (lib_x @ a).tanh() @ b
        logp = logits.log_softmax(axis=-1) if lib is tg else logits.log_softmax(dim=-1)
        return -logp[np.arange(6), y].mean() if lib is tg else -logp[torch.arange(6), y].mean()

    (a, ta), (b, tb) = _pair(w1), _pair(w2)
    ga, gb = tg.grad(loss(Tensor(x), a, b, tg), [a, b], create_graph=True)
    ha, hb = tg.grad((ga * v1).sum() + (gb * v2).sum(), [a, b])
    tga, tgb = torch.autograd.grad(loss(torch.tensor(x), ta, tb, torch), [ta, tb],
                                   create_graph=True)
    tha, thb = torch.autograd.grad((tga * torch.tensor(v1)).sum() + (tgb * torch.tensor(v2)).sum(),
                                   [ta, tb])
    _assert_same(ga, tga, "gradient")
    _assert_same(ha, tha, "Hv for w1")
    _assert_same(hb, thb, "Hv for w2")


def test_float32_results_match_torch_float32():
    x = np.random.default_rng(6).standard_normal((3, 4)).astype(np.float32)
    ours = Tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    out = ((ours @ ours.T).sigmoid() * 2.5 + 1).log().sum()
    tout = ((theirs @ theirs.T).sigmoid() * 2.5 + 1).log().sum()
    out.backward()
    tout.backward()
    assert out.dtype == np.float32 and ours.grad.dtype == np.float32
    np.testing.assert_allclose(out.item(), tout.item(), rtol=1e-5)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-4, atol=1e-6)
