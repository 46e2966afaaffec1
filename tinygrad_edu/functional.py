"""Functional forms of Tensor methods: ``tg.exp(x)``, ``tg.relu(x)``, ``F.softmax(x, dim=1)``.

PyTorch-style code calls maths and activations as functions.  Each one here is one line over
the Tensor method (data that is not yet a Tensor is wrapped first), with PyTorch's argument
names (``input``, ``other``, ``dim``) where PyTorch has them.  This is the one home of these
functions: ``tg.relu`` and ``tg.nn.functional.relu`` are the same object, and ``__all__`` below
is the list from which both the top-level namespace and the command line's allow-list are built.
"""

from __future__ import annotations

from typing import Any

from .tensor import Tensor, where

__all__ = [
    "exp", "log", "sqrt", "sin", "cos", "abs", "square", "pow", "clamp", "add", "sub", "mul",
    "div", "maximum", "minimum", "matmul", "mm", "where",
    "relu", "sigmoid", "tanh", "leaky_relu", "softmax", "log_softmax", "step",
    # reductions, shapes and constants, as torch.sum(x, dim=1) ... (one line over the method)
    "sum", "mean", "max", "min", "amax", "amin", "argmax", "argmin", "std", "var", "norm",
    "logsumexp", "flatten", "reshape", "squeeze", "unsqueeze", "transpose", "permute", "t",
    "broadcast_to", "masked_fill", "neg", "dot", "outer", "sign", "floor", "ceil", "round",
    "isnan", "isinf", "isfinite",
]


def _t(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def exp(input: Any) -> Tensor:
    """eˣ, elementwise."""
    return _t(input).exp()


def log(input: Any) -> Tensor:
    """ln x, elementwise."""
    return _t(input).log()


def sqrt(input: Any) -> Tensor:
    """√x, elementwise."""
    return _t(input).sqrt()


def sin(input: Any) -> Tensor:
    """sin x, elementwise."""
    return _t(input).sin()


def cos(input: Any) -> Tensor:
    """cos x, elementwise."""
    return _t(input).cos()


def abs(input: Any) -> Tensor:  # noqa: A001  (PyTorch's name, torch.abs)
    """|x|, elementwise (subgradient 0 at 0)."""
    return _t(input).abs()


def square(input: Any) -> Tensor:
    """x², elementwise."""
    return _t(input).square()


def pow(input: Any, exponent: Any) -> Tensor:  # noqa: A001  (PyTorch's name, torch.pow)
    """xᶜ for a number or tensor exponent (a tensor exponent needs a positive base)."""
    return _t(input) ** exponent


def clamp(input: Any, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    """Values limited to [min, max] (``Tensor.clip``)."""
    return _t(input).clip(min=min, max=max)


def add(input: Any, other: Any, alpha: Any = 1) -> Tensor:
    """input + alpha · other."""
    return _t(input).add(other, alpha=alpha)


def sub(input: Any, other: Any, alpha: Any = 1) -> Tensor:
    """input - alpha · other."""
    return _t(input).sub(other, alpha=alpha)


def mul(input: Any, other: Any) -> Tensor:
    """input · other, elementwise."""
    return _t(input) * other


def div(input: Any, other: Any) -> Tensor:
    """input / other, elementwise."""
    return _t(input) / other


def maximum(input: Any, other: Any) -> Tensor:
    """Elementwise max of two tensors (ties split the gradient)."""
    return _t(input).maximum(other)


def minimum(input: Any, other: Any) -> Tensor:
    """Elementwise min of two tensors."""
    return _t(input).minimum(other)


def matmul(input: Any, other: Any) -> Tensor:
    """input @ other."""
    return _t(input) @ other


def mm(input: Any, mat2: Any) -> Tensor:
    """input @ mat2 for two matrices."""
    return _t(input).mm(mat2)


def relu(input: Any) -> Tensor:
    """max(x, 0)."""
    return _t(input).relu()


def sigmoid(input: Any) -> Tensor:
    """1 / (1 + exp(-x)), in (0, 1)."""
    return _t(input).sigmoid()


def tanh(input: Any) -> Tensor:
    """tanh(x), in (-1, 1)."""
    return _t(input).tanh()


def leaky_relu(input: Any, negative_slope: float = 0.01) -> Tensor:
    """x for x > 0, negative_slope·x otherwise."""
    return _t(input).leaky_relu(negative_slope)


def softmax(input: Any, dim: Any = None, axis: Any = None) -> Tensor:
    """exp(xᵢ) / Σⱼ exp(xⱼ) along ``dim`` (``axis`` is NumPy's name; the last one by default)."""
    return _t(input).softmax(axis, dim=dim)


def log_softmax(input: Any, dim: Any = None, axis: Any = None) -> Tensor:
    """xᵢ - log Σⱼ exp(xⱼ) along ``dim`` (the last one by default), computed stably."""
    return _t(input).log_softmax(axis, dim=dim)


def step(input: Any) -> Tensor:
    """Heaviside step: 1 where x >= 0, else 0 (gradient 0)."""
    return _t(input).step()


# -- reductions: ``dim``/``keepdim`` as PyTorch names them ------------------------------------
def sum(input: Any, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """Σ over ``dim`` (every element by default)."""
    return _t(input).sum(dim=dim, keepdim=keepdim)


def mean(input: Any, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Σ x / count over ``dim`` (every element by default)."""
    return _t(input).mean(dim=dim, keepdim=keepdim)


def max(input: Any, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001
    """``max(x)``: the largest value; ``max(x, d)``: ``(values, indices)`` along ``d``;
    ``max(x, other_tensor)``: the elementwise ``maximum`` (PyTorch's three forms)."""
    if dim is None:
        return _t(input).max()
    return _t(input).max(dim, keepdim)


def min(input: Any, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001
    """``min(x)``, ``min(x, d)`` → ``(values, indices)``, ``min(x, other)`` (see ``max``)."""
    if dim is None:
        return _t(input).min()
    return _t(input).min(dim, keepdim)


def amax(input: Any, dim: Any = None, keepdim: bool = False) -> Tensor:
    """The largest values along ``dim`` (no indices)."""
    return _t(input).amax(dim, keepdim)


def amin(input: Any, dim: Any = None, keepdim: bool = False) -> Tensor:
    """The smallest values along ``dim`` (no indices)."""
    return _t(input).amin(dim, keepdim)


def argmax(input: Any, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Index of the largest value (of the flattened tensor when ``dim`` is None)."""
    return _t(input).argmax(dim=dim, keepdim=keepdim)


def argmin(input: Any, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Index of the smallest value."""
    return _t(input).argmin(dim=dim, keepdim=keepdim)


def std(input: Any, dim: Any = None, keepdim: bool = False, correction: int = 1) -> Tensor:
    """√(Σ(x − x̄)² / (count − correction)): PyTorch's default ``correction=1`` (Bessel's)."""
    return _t(input).std(dim=dim, keepdim=keepdim, ddof=correction)


def var(input: Any, dim: Any = None, keepdim: bool = False, correction: int = 1) -> Tensor:
    """Σ(x − x̄)² / (count − correction), PyTorch's default ``correction=1``."""
    return _t(input).var(dim=dim, keepdim=keepdim, ddof=correction)


def norm(input: Any, p: Any = "fro", dim: Any = None, keepdim: bool = False) -> Tensor:
    """‖x‖_p (``Tensor.norm``)."""
    return _t(input).norm(p, dim, keepdim)


def logsumexp(input: Any, dim: Any, keepdim: bool = False) -> Tensor:
    """log Σ exp(x) along ``dim``, computed without overflow."""
    return _t(input).logsumexp(dim, keepdim)


# -- shapes ------------------------------------------------------------------------------------
def flatten(input: Any, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Dimensions ``start_dim``..``end_dim`` merged into one."""
    return _t(input).flatten(start_dim, end_dim)


def reshape(input: Any, shape: Any) -> Tensor:
    """The same elements in a new shape."""
    return _t(input).reshape(shape)


def squeeze(input: Any, dim: Any = None) -> Tensor:
    """Dimensions of size 1 removed (only ``dim`` when given)."""
    return _t(input).squeeze(dim)


def unsqueeze(input: Any, dim: int) -> Tensor:
    """A new dimension of size 1 at ``dim``."""
    return _t(input).unsqueeze(dim)


def transpose(input: Any, dim0: int, dim1: int) -> Tensor:
    """Dimensions ``dim0`` and ``dim1`` swapped."""
    return _t(input).transpose(dim0, dim1)


def permute(input: Any, dims: Any) -> Tensor:
    """Dimensions reordered: output dimension i is input dimension ``dims[i]``."""
    return _t(input).permute(*dims)


def t(input: Any) -> Tensor:
    """Transpose of a matrix (a vector stays as it is)."""
    return _t(input).t()


def broadcast_to(input: Any, size: Any) -> Tensor:
    """Repeated along new or size-1 dimensions to ``size``; the gradient sums back."""
    return _t(input).broadcast_to(*size)


def masked_fill(input: Any, mask: Any, value: Any) -> Tensor:
    """``value`` where ``mask`` is true, ``input`` elsewhere."""
    return _t(input).masked_fill(mask, value)


# -- more elementwise maths --------------------------------------------------------------------
def neg(input: Any) -> Tensor:
    """−x."""
    return -_t(input)


def dot(input: Any, other: Any) -> Tensor:
    """Σᵢ aᵢ·bᵢ of two vectors."""
    a, b = _t(input), _t(other)
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"dot: needs two vectors (1-D), got shapes {a.shape} and {b.shape}; "
                         "use matmul for matrices")
    return a @ b


def outer(input: Any, vec2: Any) -> Tensor:
    """The matrix aᵢ·bⱼ of two vectors."""
    return _t(input).reshape(-1, 1) * _t(vec2).reshape(1, -1)


def sign(input: Any) -> Tensor:
    """−1, 0 or 1 (no gradient)."""
    return _t(input).sign()


def floor(input: Any) -> Tensor:
    """⌊x⌋ (no gradient)."""
    return _t(input).floor()


def ceil(input: Any) -> Tensor:
    """⌈x⌉ (no gradient)."""
    return _t(input).ceil()


def round(input: Any, decimals: int = 0) -> Tensor:  # noqa: A001
    """x rounded half to even (no gradient)."""
    return _t(input).round(decimals)


def isnan(input: Any) -> Tensor:
    """Where x is NaN."""
    return _t(input).isnan()


def isinf(input: Any) -> Tensor:
    """Where x is ±inf."""
    return _t(input).isinf()


def isfinite(input: Any) -> Tensor:
    """Where x is finite."""
    return _t(input).isfinite()
