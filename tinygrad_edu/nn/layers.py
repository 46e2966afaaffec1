"""Layers: Linear, Embedding, Dropout, Flatten, Identity and the activation modules.

Each layer owns its parameters and calls one function from ``functional.py`` in
``forward``; the gradient comes from the engine.  ``short_repr`` gives the one-line label
(``Linear(2→4)``) that graph pictures put on the box of a layer call.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..config import get_default_dtype
from ..tensor import Tensor
from . import functional as F
from . import init as init_
from .module import Module, Parameter
from .rules import GradRule, LayerRule, elementwise, softmax_rows

__all__ = [
    "Linear", "Embedding", "Dropout", "Flatten", "Identity",
    "ReLU", "Sigmoid", "Tanh", "LeakyReLU", "Softmax", "LogSoftmax", "Softplus", "ReLU6",
    "Hardswish", "SiLU", "GELU", "Mish", "ACTIVATIONS",
]


class Linear(Module):
    """Fully connected layer:  y = x @ Wᵀ + b,  W of shape (out_features, in_features).

    ``init`` chooses the starting weights:

    - ``None`` / ``'default'`` (PyTorch's default): W and b ~ U(-1/sqrt(in_features),
      1/sqrt(in_features)).  This is ``kaiming_uniform_(W, a=sqrt(5))``; it keeps outputs of
      order 1 for inputs of order 1 whatever the width.
    - ``'xavier'`` (Glorot uniform, for sigmoid/tanh), ``'xavier_normal'``, ``'he'``
      (Kaiming normal with ReLU gain, std = sqrt(2/in_features)), ``'he_uniform'``,
      ``'small'`` (N(0, 0.01²)), ``'zeros'`` (all zero: every unit stays identical), or any
      other name in ``nn.init.INITIALIZERS`` (the Keras spellings too); these start the bias at 0.
    - a callable ``fn(weight)`` that fills the weight in place (e.g.
      ``lambda w: nn.init.normal_(w, std=0.5)``); the bias starts at 0.

    ``rng`` (a ``np.random.Generator``) makes one layer reproducible on its own; otherwise
    the global generator (``tg.manual_seed``) is used.
    """

    # The chain rule of the whole layer, as the layer view prints it (nn/rules.py); a test
    # checks each NumPy line against the engine.  δ = ∂L/∂out arrives from above, one row
    # per sample: the weight sums over samples, the input gets one row back per sample.
    layer_rule = LayerRule(
        forward=("{out} = {x}·{W}ᵀ + {b}",),
        grads=(GradRule("W", "∂L/∂{W} = δᵀ·{x}", lambda d, x, **_: d.T @ x),
               GradRule("b", "∂L/∂{b} = Σₙ δ", lambda d, **_: d.sum(axis=0)),
               GradRule("x", "∂L/∂{x} = δ·{W}", lambda d, W, **_: d @ W)),
        params=(("W", "weight"), ("b", "bias")),
        ops=(("Transpose", "MatMul", "BroadcastTo", "Add"), ("Transpose", "MatMul", "Add"),
             ("Transpose", "MatMul")),
        x_ndim=2,  # (batch, features): for more batch dimensions the sums run over all of them
    )

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 init: str | Callable[[Tensor], Any] | None = None,
                 rng: np.random.Generator | None = None, dtype: Any = None) -> None:
        super().__init__()
        for what, n in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
                raise ValueError(f"Linear: {what} must be a positive integer, got {n!r}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        dtype = np.dtype(dtype or get_default_dtype())
        self.weight = Parameter(np.zeros((self.out_features, self.in_features), dtype=dtype))
        self.bias = Parameter(np.zeros(self.out_features, dtype=dtype)) if bias else None
        self.reset_parameters(init, rng)

    def reset_parameters(self, init: str | Callable[[Tensor], Any] | None = None,
                         rng: np.random.Generator | None = None) -> None:
        """(Re)initialise weight and bias with the scheme described in the class docstring."""
        if init is None or init == "default":
            init_.kaiming_uniform_(self.weight, a=math.sqrt(5), rng=rng)  # = U(±1/sqrt(fan_in))
            if self.bias is not None:
                bound = 1.0 / math.sqrt(self.in_features)
                init_.uniform_(self.bias, -bound, bound, rng=rng)
            return
        if callable(init):
            init(self.weight)
        elif isinstance(init, str) and init in init_.INITIALIZERS:
            init_.INITIALIZERS[init](self.weight, rng, None)
        else:
            raise ValueError(
                f"Linear: unknown init {init!r}; use None (PyTorch default), "
                f"{', '.join(repr(k) for k in init_.INITIALIZERS)} or a function that fills the weight"
            )
        if self.bias is not None:
            init_.zeros_(self.bias)

    def forward(self, x: Any) -> Tensor:
        return F.linear(x, self.weight, self.bias)

    def short_repr(self) -> str:
        return f"Linear({self.in_features}→{self.out_features})"

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Embedding(Module):
    """A lookup table: row ``i`` of ``weight`` (num_embeddings, embedding_dim) is the vector of token ``i``.

    ``forward(indices)`` is ``weight[indices]`` for an integer tensor of any shape, giving
    shape ``indices.shape + (embedding_dim,)``.  Indexing is differentiable: a token that
    appears several times gets the sum of its gradients (the engine's scatter-add).
    Weights start as N(0, 1), like PyTorch.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int,
                 rng: np.random.Generator | None = None, dtype: Any = None) -> None:
        super().__init__()
        for what, n in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
                raise ValueError(f"Embedding: {what} must be a positive integer, got {n!r}")
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        dtype = np.dtype(dtype or get_default_dtype())
        self.weight = Parameter(np.zeros((self.num_embeddings, self.embedding_dim), dtype=dtype))
        init_.normal_(self.weight, rng=rng)

    def forward(self, indices: Any) -> Tensor:
        idx = indices.data if isinstance(indices, Tensor) else np.asarray(indices)
        if idx.dtype.kind not in "iu":
            raise TypeError(
                f"Embedding expects integer token indices, got dtype {idx.dtype}; convert them "
                "with .astype(np.int64) (a float index has no row to look up)"
            )
        if idx.size and (idx.min() < 0 or idx.max() >= self.num_embeddings):
            raise IndexError(
                f"Embedding has {self.num_embeddings} rows (indices 0 .. "
                f"{self.num_embeddings - 1}) but got indices from {idx.min()} to {idx.max()}"
            )
        return self.weight[idx]

    def short_repr(self) -> str:
        return f"Embedding({self.num_embeddings}, {self.embedding_dim})"

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"


class Dropout(Module):
    """Inverted dropout: in training, zero each element with probability ``p`` and scale
    the rest by 1/(1 - p); in eval mode (``model.eval()``) pass the input through unchanged.
    Draws from ``rng`` or the global generator."""

    def __init__(self, p: float = 0.5, rng: np.random.Generator | None = None) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be a probability in [0, 1], got {p}")
        self.p, self.rng = float(p), rng

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, training=self.training, rng=self.rng)

    def short_repr(self) -> str:
        return f"Dropout(p={self.p})"

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Flatten(Module):
    """Merge dimensions ``start_dim .. end_dim`` into one: (N, 8, 8) -> (N, 64) by default."""

    # A reshape moves no number: the gradient is reshaped back (the image layers' view of it).
    layer_rule = LayerRule(
        forward=("{out} = {x} flattened, one row per sample",),
        grads=(GradRule("x", "∂L/∂{x} = δ reshaped back to the shape of {x}",
                        lambda d, x, **_: d.reshape(x.shape)),),
        ops=(("Reshape",),),
    )

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Tensor) -> Tensor:
        return F.as_tensor(x).flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Identity(Module):
    """y = x (a placeholder, e.g. to remove a layer from a model without rewiring it)."""

    def forward(self, x: Any) -> Any:
        return x


class ReLU(Module):
    """y = max(x, 0)."""

    layer_rule = elementwise("{out} = relu({x})", "[{x} > 0]", lambda x, **_: (x > 0).astype(x.dtype),
                             ("ReLU",))

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(x)


class Sigmoid(Module):
    """y = 1 / (1 + exp(-x))."""

    # σ' written with the saved output, as the tutorial writes it: a(1 - a).
    layer_rule = elementwise("{out} = σ({x})", "{out}(1 − {out})", lambda out, **_: out * (1 - out),
                             ("Sigmoid",))

    def forward(self, x: Tensor) -> Tensor:
        return F.sigmoid(x)


class Tanh(Module):
    """y = tanh(x)."""

    layer_rule = elementwise("{out} = tanh({x})", "(1 − {out}²)", lambda out, **_: 1 - out * out,
                             ("Tanh",))

    def forward(self, x: Tensor) -> Tensor:
        return F.tanh(x)


class LeakyReLU(Module):
    """y = x for x > 0, alpha·x otherwise (alpha = 0.01 by default)."""

    def __init__(self, alpha: float = 0.01) -> None:
        super().__init__()
        self.alpha = float(alpha)

    def forward(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class Softmax(Module):
    """y = exp(x) / sum(exp(x)) along ``axis`` (``dim`` is accepted as PyTorch's name)."""

    # Not elementwise: each output row depends on the whole input row, so the rule is the
    # Jacobian-vector product out ⊙ (δ - Σⱼ δⱼ outⱼ), per row (for the default last axis).
    layer_rule = LayerRule(
        forward=("{out} = softmax({x})",),
        grads=(GradRule("x", "∂L/∂{x} = {out} ⊙ (δ − Σⱼ δ ⊙ {out})",
                        lambda d, out, **_: out * (d - (d * out).sum(axis=-1, keepdims=True))),),
        ops=(("LogSoftmax", "Exp"),),
        last_axis=True,
    )

    def __init__(self, axis: int = -1, dim: int | None = None) -> None:
        super().__init__()
        self.axis = axis if dim is None else dim

    def forward(self, x: Tensor) -> Tensor:
        return F.softmax(x, self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class LogSoftmax(Softmax):
    """y = x - log(sum(exp(x))) along ``axis``, computed stably."""

    layer_rule = LayerRule(
        forward=("{out} = log softmax({x})",),
        grads=(GradRule("x", "∂L/∂{x} = δ − softmax({x}) · Σⱼ δ",
                        lambda d, x, **_: d - softmax_rows(x) * d.sum(axis=-1, keepdims=True)),),
        ops=(("LogSoftmax",),),
        last_axis=True,
    )

    def forward(self, x: Tensor) -> Tensor:
        return F.log_softmax(x, self.axis)


class Softplus(Module):
    """y = log(1 + exp(β·x)) / β, linear above ``threshold`` (``F.softplus``)."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = float(beta), float(threshold)

    def forward(self, x: Tensor) -> Tensor:
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class ReLU6(Module):
    """y = min(max(x, 0), 6)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.relu6(x)


class Hardswish(Module):
    """y = x · relu6(x + 3) / 6."""

    def forward(self, x: Tensor) -> Tensor:
        return F.hardswish(x)


class SiLU(Module):
    """y = x · σ(x)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.silu(x)


class GELU(Module):
    """y = x · Φ(x) (``approximate="tanh"`` for the tanh form; see ``F.gelu``)."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        return F.gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Mish(Module):
    """y = x · tanh(softplus(x))."""

    def forward(self, x: Tensor) -> Tensor:
        return F.mish(x)


# The one table of activation names: nn.MLP(activation=name) builds these modules, and the Keras
# layers (Dense(activation=name), Activation(name)) run them.
ACTIVATIONS: dict[str, Callable[..., Module]] = {
    "linear": Identity, "identity": Identity, "relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh,
    "leaky_relu": LeakyReLU, "softmax": Softmax, "log_softmax": LogSoftmax,
}
