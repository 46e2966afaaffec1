"""Check analytic gradients against central finite differences, and find the op that is wrong.

    numeric ∂f/∂xᵢ ≈ (f(x + ε eᵢ) - f(x - ε eᵢ)) / 2ε          (error O(ε²), in float64)

A non-scalar output is checked through a fixed random projection ``sum(f(x) * w)``, which
tests every output element at once.  When the whole function fails, every recorded op in its
graph is checked on its own, so the error names the op whose backward is wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .autograd import grad, topological_order
from .config import detect_anomaly, enable_grad, no_grad
from .tensor import Tensor


class GradcheckError(RuntimeError):
    """Raised when an analytic gradient disagrees with finite differences."""


def gradcheck(fn: Callable[..., Any], inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, seed: int = 0) -> bool:
    """True when ``fn``'s gradients match central differences; otherwise raise ``GradcheckError``.

    ``inputs`` is a Tensor or a sequence of them; float inputs are copied to float64 and
    require grad, other inputs (integer labels, masks) are passed through unchanged.  The
    error names the input, the element, both values and -- when ``fn`` is a composition --
    the recorded op whose backward is wrong.
    """
    xs = _float64_copies(inputs)
    problem = _compare(fn, xs, eps, atol, rtol, seed)
    if problem is None:
        return True
    culprit = _find_wrong_op(fn, xs, eps, atol, rtol, seed)
    raise GradcheckError(problem + ("\n" + culprit if culprit else ""))


def gradgradcheck(fn: Callable[..., Any], inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, seed: int = 0) -> bool:
    """Check second derivatives: the gradient computed with ``create_graph=True`` is itself
    checked by ``gradcheck`` (so every backward must be differentiable)."""
    xs = _float64_copies(inputs)
    rng = np.random.default_rng(seed + 1)
    out_weights: dict[str, np.ndarray] = {}
    grad_weights = [rng.standard_normal(x.shape) for x in xs]

    def first_derivative(*ys: Any) -> Tensor:
        """Σᵢ sum(∂f/∂yᵢ · vᵢ) for fixed random vᵢ: its gradient holds the second derivatives."""
        total = Tensor(np.zeros((), dtype=np.float64))
        with enable_grad():  # finite differences call this under no_grad
            out = _scalarize(fn(*ys), out_weights, seed)
            if not out.requires_grad:
                return total
            pairs = [(y, v) for y, v in zip(ys, grad_weights)
                     if isinstance(y, Tensor) and y.requires_grad]
            gs = grad(out, [y for y, _ in pairs], create_graph=True, allow_unused=True)
            for (_, v), g in zip(pairs, gs):
                if g is not None:
                    total = total + (g * v).sum()
        return total

    return gradcheck(first_derivative, xs, eps=eps, atol=atol, rtol=rtol, seed=seed)


# -- helpers --------------------------------------------------------------------------------------
def _float64_copies(inputs: Any) -> list[Any]:
    items = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    out: list[Any] = []
    for x in items:
        if not isinstance(x, Tensor):
            x = Tensor(x)
        if x.dtype.kind == "f":
            out.append(Tensor(np.array(x.data, dtype=np.float64), requires_grad=True, name=x.name))
        else:
            out.append(x)
    return out


def _scalarize(out: Any, weights: dict[str, np.ndarray], seed: int) -> Tensor:
    """sum(out * w) for fixed random w (one per output), so every element is checked.

    A single scalar output is used as it is (w = 1), so the values in an error message are
    the real derivatives.
    """
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    total: Tensor | None = None
    for k, o in enumerate(outs):
        if not isinstance(o, Tensor):
            raise TypeError(f"gradcheck: fn must return Tensors, got {type(o).__name__}")
        key = f"{k}:{o.shape}"
        if key not in weights and len(outs) == 1 and o.size == 1:
            weights[key] = np.ones(o.shape)  # a scalar needs no projection: report its own values
        elif key not in weights:
            weights[key] = np.random.default_rng(seed + k).standard_normal(o.shape)
        term = (o.astype(np.float64) * weights[key]).sum()
        total = term if total is None else total + term
    assert total is not None
    return total


def _compare(fn: Callable, xs: list[Any], eps: float, atol: float, rtol: float,
             seed: int) -> str | None:
    """None when all gradients agree; otherwise a message about the first disagreement."""
    weights: dict[str, np.ndarray] = {}
    with enable_grad():
        out = _scalarize(fn(*xs), weights, seed)
    wrt = [x for x in xs if isinstance(x, Tensor) and x.requires_grad]
    analytic = grad(out, wrt, allow_unused=True) if out.requires_grad else [None] * len(wrt)
    for index, (x, g) in enumerate(zip(wrt, analytic)):
        a = np.zeros(x.shape) if g is None else g.data.astype(np.float64)
        n = _numeric(lambda: _scalarize(fn(*xs), weights, seed).item(), x, eps)
        bad = ~np.isclose(a, n, rtol=rtol, atol=atol, equal_nan=True)
        if bad.any():
            at = tuple(int(i) for i in np.argwhere(bad)[0])
            label = f"{x.name!r}" if x.name else f"{index}"
            return (f"gradcheck failed for input {label} (shape {x.shape}) at element {at}: "
                    f"analytic {a[at]:.8g} vs numeric {n[at]:.8g} "
                    f"(max abs difference {np.max(np.abs(a - n)):.3g})")
    return None


def _numeric(f: Callable[[], float], x: Tensor, eps: float) -> np.ndarray:
    result = np.zeros(x.shape)
    # Index element by element rather than through ``reshape(-1)``: for a non-contiguous
    # array (a transpose, a broadcast copy) reshape returns a copy and x would never move.
    with no_grad():
        for i in np.ndindex(*x.shape):
            original = x.data[i]
            x.data[i] = original + eps
            plus = f()
            x.data[i] = original - eps
            minus = f()
            x.data[i] = original
            result[i] = (plus - minus) / (2 * eps)
    return result


def _find_wrong_op(fn: Callable, xs: list[Any], eps: float, atol: float, rtol: float,
                   seed: int) -> str | None:
    """Re-run ``fn``, then check every recorded op alone on float64 copies of its inputs."""
    with detect_anomaly(), enable_grad():  # remember forward sites
        outs = fn(*xs)
    outs = list(outs) if isinstance(outs, (tuple, list)) else [outs]
    for tensor in topological_order([o for o in outs if o.requires_grad]):
        node = tensor._ctx
        if node is None or node.name == "Cast":  # a cast to float32 cannot be checked in float64
            continue
        local_inputs: Sequence[Any] = [
            Tensor(np.array(t.data, dtype=np.float64), requires_grad=True) if t.requires_grad
            else Tensor._from_op(t.data, None) for t in node.inputs
        ]

        op_class, options = type(node), node.options

        def local(*ys: Any, _op: Any = op_class, _opts: dict = options) -> Tensor:
            return _op.apply(*ys, **_opts)

        try:
            problem = _compare(local, list(local_inputs), eps, atol, rtol, seed)
        except Exception as err:  # a backward that crashes is wrong too
            problem = f"its backward raised {type(err).__name__}: {err}"
        if problem is not None:
            site = f" (forward ran at {node.forward_site})" if node.forward_site else ""
            return f"the recorded op whose backward is wrong: {node.name}{site}: {problem}"
    return None

