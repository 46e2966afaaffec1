"""Stateless building blocks: ``import tinygrad_edu.nn.functional as F``.

Layers and losses as plain functions of tensors.  Every one is a composition of Tensor
operations, so the engine differentiates it; nothing here writes a gradient.  The
activations are the top-level ones (``F.relu is tg.relu``, from ``functional.py``).  The
modules in ``layers.py`` and ``losses.py`` are thin wrappers that hold the settings.  Losses
check their inputs first, so a wrong shape or label fails here with a message saying what
to change, not deep inside NumPy.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..config import get_default_dtype, module_scope
from ..function import derived
from ..functional import leaky_relu, log_softmax, relu, sigmoid, softmax, tanh
from ..random import generator
from ..tensor import Tensor, where
from .rules import GradRule, LayerRule, one_hot, softmax_rows

# isort: split
# The CNN pieces live in their own module (functional_cnn.py) and are re-exported here.
from .functional_cnn import avg_pool2d, batch_norm, conv2d, layer_norm, max_pool2d, pad

# isort: split
from .adaptive import adaptive_avg_pool2d, adaptive_max_pool2d, dropout2d

__all__ = [
    "linear", "relu", "sigmoid", "tanh", "leaky_relu", "softmax", "log_softmax", "dropout",
    "softplus", "relu6", "hardswish", "silu", "gelu", "mish",
    "mse_loss", "l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "cross_entropy", "nll_loss",
    "conv2d", "max_pool2d", "avg_pool2d", "pad", "batch_norm", "layer_norm",
    "adaptive_avg_pool2d", "adaptive_max_pool2d", "dropout2d",
]

_REDUCTIONS = ("mean", "sum", "none")


def as_tensor(x: Any, like: Tensor | None = None) -> Tensor:
    """Tensors pass through; arrays and lists become Tensors.

    Float data takes ``like``'s float dtype (else the default dtype); integer data stays
    integer, so class labels remain labels.
    """
    if isinstance(x, Tensor):
        return x
    array = np.asarray(x)
    if array.dtype.kind == "f":
        dtype = like.dtype if like is not None and like.dtype.kind == "f" else get_default_dtype()
        return Tensor(array.astype(dtype, copy=False))
    return Tensor(array)


def _float_pair(input: Any, target: Any) -> tuple[Tensor, Tensor]:
    """Prediction and target as float tensors of one dtype (the prediction's)."""
    input = as_tensor(input)
    if input.dtype.kind != "f":
        input = input.astype(get_default_dtype())
    target = as_tensor(target, like=input)
    if target.dtype != input.dtype:
        target = target.astype(input.dtype)
    return input, target


# -- layers and activations ------------------------------------------------------------------------
def linear(x: Any, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x @ Wᵀ + b, with W of shape (out_features, in_features) as in PyTorch."""
    x = as_tensor(x, like=weight)
    if x.dtype.kind != "f":
        x = x.astype(weight.dtype)  # integer features (0/1 inputs) meet float weights
    if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"linear: the input has shape {x.shape} but the weight has shape {weight.shape}, "
            f"so the layer expects {weight.shape[1]} features in the input's last dimension; "
            f"reshape the input to (batch, {weight.shape[1]}) or change in_features"
        )
    out = x @ weight.T
    return out if bias is None else out + bias


def softplus(input: Any, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """y = log(1 + exp(β·x)) / β, and y = x where β·x > threshold (as PyTorch).

    Composed in the stable form max(z, 0) + log(1 + exp(-|z|)) with z = β·x, so exp never
    sees a positive argument and cannot overflow.
    """
    x = as_tensor(input)
    z = x * beta if beta != 1 else x
    soft = z.maximum(0.0) + (1.0 + (-z.abs()).exp()).log()
    soft = soft * (1.0 / beta) if beta != 1 else soft
    return where(derived(np.greater, z.data, threshold), x, soft)  # derived: compile and ONNX see it


def relu6(input: Any) -> Tensor:
    """y = min(max(x, 0), 6);  dy/dx = 1 strictly inside (0, 6), else 0 (PyTorch's choice at the kinks)."""
    x = as_tensor(input)
    # derived(): tg.compile and tg.onnx see how the mask and the clipped values were made
    inside = derived(np.logical_and, derived(np.greater, x.data, 0), derived(np.less, x.data, 6))
    clipped = Tensor._from_op(derived(np.clip, x.data, 0.0, 6.0), None)  # a constant: no gradient
    return where(inside, x, clipped)


def hardswish(input: Any) -> Tensor:
    """y = x · relu6(x + 3) / 6 (MobileNetV3's cheap swish; at x = ±3 the gradient is 0 and 1)."""
    x = as_tensor(input)
    return x * relu6(x + 3.0) * (1.0 / 6.0)


def silu(input: Any) -> Tensor:
    """y = x · σ(x) (also called swish)."""
    x = as_tensor(input)
    return x * x.sigmoid()


def mish(input: Any) -> Tensor:
    """y = x · tanh(softplus(x))."""
    x = as_tensor(input)
    return x * softplus(x).tanh()


def _erf(x: Tensor) -> Tensor:
    """erf(x) by Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7, float32's resolution).

    erf is not among the primitives, so it is composed: for t = 1 / (1 + p·|x|),
    erf(|x|) = 1 - (a₁t + a₂t² + ... + a₅t⁵)·exp(-x²), and erf is odd.
    """
    a1, a2, a3, a4, a5, p = 0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429, 0.3275911
    ax = x.abs()
    t = (1.0 + p * ax) ** -1
    poly = t * (a1 + t * (a2 + t * (a3 + t * (a4 + t * a5))))
    erf_abs = 1.0 - poly * (-(x * x)).exp()
    return where(derived(np.less, x.data, 0), -erf_abs, erf_abs)  # derived: compile and ONNX see it


def gelu(input: Any, approximate: str = "none") -> Tensor:
    """y = x · Φ(x), Φ the standard normal CDF, as ``torch.nn.functional.gelu``.

    ``approximate="none"``: Φ(x) = (1 + erf(x/√2)) / 2 with erf composed from the
    Abramowitz-Stegun formula (error < 1.5e-7, so it matches PyTorch in float32 but is not
    exact in float64).  ``approximate="tanh"``: Φ(x) ≈ (1 + tanh(√(2/π)·(x + 0.044715·x³))) / 2.
    """
    x = as_tensor(input)
    if approximate == "tanh":
        inner = (x + 0.044715 * (x * x * x)) * float(np.sqrt(2.0 / np.pi))
        return 0.5 * x * (1.0 + inner.tanh())
    if approximate != "none":
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return 0.5 * x * (1.0 + _erf(x * float(1.0 / np.sqrt(2.0))))


def dropout(x: Tensor, p: float = 0.5, training: bool = True,
            rng: np.random.Generator | None = None) -> Tensor:
    """Inverted dropout: y = x · m / (1 - p) with m ~ Bernoulli(1 - p) in training, y = x otherwise.

    Dividing by the keep probability during training keeps E[y] = x, so nothing has to be
    rescaled at evaluation time.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    x = as_tensor(x)
    return x if not training or p == 0.0 else inverted_dropout(x, p, x.shape, rng)


def inverted_dropout(x: Tensor, p: float, mask_shape: tuple[int, ...],
                     rng: np.random.Generator | None) -> Tensor:
    """x · m / (1 - p), one m ~ Bernoulli(1 - p) per entry of ``mask_shape`` (broadcast over x)."""
    if p == 1.0:
        return x * 0.0  # every unit dropped (and 1/(1-p) would divide by zero)
    keep = generator(rng).random(mask_shape) >= p
    return x * Tensor((keep / (1.0 - p)).astype(x.dtype))


# -- losses -----------------------------------------------------------------------------------------
def _reduce(loss: Tensor, reduction: str, who: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{who}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _same_shape(input: Tensor, target: Tensor, who: str) -> None:
    # Broadcasting (N, 1) against (N,) silently builds an (N, N) loss: refuse it.
    if input.shape != target.shape:
        raise ValueError(
            f"{who}: input shape {input.shape} and target shape {target.shape} differ; they "
            f"must match element for element -- reshape the target, e.g. "
            f"target.reshape{input.shape}"
        )


# Each loss records its ops under its own name (``module_scope``), so the layer view draws
# the call as one box with the rule below; n is the number of elements, N of samples.
MSE_LOSS_RULE = LayerRule(
    forward=("{out} = mean(({x} − {y})²)",),
    grads=(GradRule("x", "∂L/∂{x} = δ · 2({x} − {y}) / n", lambda d, x, y, **_: d * 2 * (x - y) / x.size),),
    ops=(("Add", "Mul", "Sum", "Mul"),))


def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error:  ℓᵢ = (xᵢ - yᵢ)²,  reduced by mean (default), sum or none."""
    input, target = _float_pair(input, target)
    _same_shape(input, target, "mse_loss")
    with module_scope("mse_loss"):
        diff = input - target
        return _reduce(diff * diff, reduction, "mse_loss")


def l1_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean absolute error:  ℓᵢ = |xᵢ - yᵢ|  (subgradient 0 where xᵢ = yᵢ)."""
    input, target = _float_pair(input, target)
    _same_shape(input, target, "l1_loss")
    with module_scope("l1_loss"):
        return _reduce((input - target).abs(), reduction, "l1_loss")


L1_LOSS_RULE = LayerRule(
    forward=("{out} = mean(|{x} − {y}|)",),
    grads=(GradRule("x", "∂L/∂{x} = δ · sign({x} − {y}) / n",
                    lambda d, x, y, **_: d * np.sign(x - y) / x.size),),
    ops=(("Add", "Neg", "Maximum", "Sum", "Mul"),))


def check_probabilities(t: Tensor, what: str, who: str, hint: str) -> None:
    """Raise ``ValueError`` unless every entry of ``t`` lies in [0, 1] (nan counts as outside).

    The message names the caller ``who``, the tensor ``what``, the range it actually spans and
    ends with ``hint`` (what to do instead).  The binary cross-entropies here and the Keras
    losses (``keras.losses``) share this one check.
    """
    if t.size and (np.nanmin(t.data) < 0 or np.nanmax(t.data) > 1 or np.isnan(t.data).any()):
        raise ValueError(
            f"{who}: the {what} must lie in [0, 1], but it ranges from {np.min(t.data):.4g} to "
            f"{np.max(t.data):.4g}{hint}"
        )


def _clamped_log(p: Tensor) -> Tensor:
    """log(p), but never below -100 (PyTorch's convention), with finite gradients.

    log(0) = -inf would turn the loss and 0·inf in backward into nan.  Values below the
    smallest normal float are replaced by -100 (gradient 0); above it 1/p cannot overflow.
    """
    tiny = np.finfo(p.dtype).tiny
    safe = p.clip(min=tiny)  # the log never sees 0 or a subnormal, even in the unused branch
    return where(derived(np.less, p.data, tiny), -100.0, safe.log()).maximum(-100.0)


def binary_cross_entropy(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """BCE on probabilities:  ℓᵢ = -[yᵢ·log pᵢ + (1 - yᵢ)·log(1 - pᵢ)],  each log clamped at -100.

    ``input`` holds probabilities (e.g. after a sigmoid).  With logits, prefer
    ``binary_cross_entropy_with_logits``: it is exact where this one has to clamp.
    """
    input, target = _float_pair(input, target)
    who = "binary_cross_entropy"
    _same_shape(input, target, who)
    check_probabilities(input, "input (probabilities)", who,
                        "; if these are logits, use binary_cross_entropy_with_logits")
    check_probabilities(target, "target", who, "; targets are 0/1 labels or soft labels")
    with module_scope(who):
        loss = -(target * _clamped_log(input) + (1.0 - target) * _clamped_log(1.0 - input))
        return _reduce(loss, reduction, who)


# The clamp at log = -100 adds ops but changes nothing for probabilities away from 0 and 1.
BINARY_CROSS_ENTROPY_RULE = LayerRule(
    forward=("{out} = −mean({y}·log {x} + (1 − {y})·log(1 − {x}))",),
    grads=(GradRule("x", "∂L/∂{x} = δ · ({x} − {y}) / (n·{x}(1 − {x}))",
                    lambda d, x, y, **_: d * (x - y) / (x.size * x * (1 - x))),),
    ops=(("Where", "Log", "Where", "Maximum", "Mul", "Neg", "Add", "Where", "Log", "Where",
          "Maximum", "Mul", "Add", "Neg", "Sum", "Mul"),))


def binary_cross_entropy_with_logits(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """BCE on logits x:  ℓᵢ = -[yᵢ·log σ(xᵢ) + (1 - yᵢ)·log(1 - σ(xᵢ))].

    Computed in the stable rearrangement  max(x, 0) - x·y + log(1 + exp(-|x|)):  the exp
    never sees a positive argument, so it cannot overflow, and no log of 0 is taken.  At
    x = 0 the max and |x| split their gradient evenly, which gives exactly σ(0) - y.
    """
    input, target = _float_pair(input, target)
    who = "binary_cross_entropy_with_logits"
    _same_shape(input, target, who)
    check_probabilities(target, "target", who, "; targets are 0/1 labels or soft labels")
    with module_scope(who):
        loss = input.maximum(0.0) - input * target + (1.0 + (-input.abs()).exp()).log()
        return _reduce(loss, reduction, who)


BINARY_CROSS_ENTROPY_WITH_LOGITS_RULE = LayerRule(
    forward=("{out} = −mean({y}·log σ({x}) + (1 − {y})·log(1 − σ({x})))",),
    grads=(GradRule("x", "∂L/∂{x} = δ · (σ({x}) − {y}) / n",
                    lambda d, x, y, **_: d * (1 / (1 + np.exp(-x)) - y) / x.size),),
    ops=(("Maximum", "Mul", "Neg", "Add", "Neg", "Maximum", "Neg", "Exp", "Add", "Log", "Add",
          "Sum", "Mul"),))


def _check_class_scores(input: Tensor, who: str) -> None:
    if input.ndim not in (1, 2):
        raise ValueError(
            f"{who}: expected scores of shape (batch, classes) or (classes,), got {input.shape}; "
            "flatten extra dimensions into the batch first"
        )


def _check_labels(input: Tensor, target: Tensor, who: str) -> None:
    """Integer class labels: one per sample, each in [0, classes)."""
    batch = input.shape[:-1]
    classes = input.shape[-1]
    if target.dtype.kind == "f":
        raise TypeError(
            f"{who}: class-index targets must be integers, got {target.dtype} labels of shape "
            f"{target.shape}; convert them with target.astype(np.int64), or pass one-hot / "
            f"probability targets of shape {input.shape}"
        )
    if target.dtype.kind not in "iu":
        raise TypeError(f"{who}: targets must be integer class labels, got dtype {target.dtype}")
    if target.shape != batch:
        raise ValueError(
            f"{who}: input of shape {input.shape} needs one label per sample, i.e. a target of "
            f"shape {batch}, but the target has shape {target.shape}"
            + ("; the batch sizes differ" if target.ndim == 1 and len(batch) == 1 else "")
        )
    if target.size and (target.data.min() < 0 or target.data.max() >= classes):
        bad = target.data[(target.data < 0) | (target.data >= classes)]
        raise ValueError(
            f"{who}: label {int(bad.flat[0])} is out of range for {classes} classes (valid labels "
            f"are 0 .. {classes - 1}); check the labels or the number of output units"
        )


def nll_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood:  ℓᵢ = -log_probs[i, yᵢ],  for ``input`` = log-probabilities.

    ``nll_loss(log_softmax(logits), labels)`` equals ``cross_entropy(logits, labels)``.
    """
    input = as_tensor(input)
    target = as_tensor(target)
    _check_class_scores(input, "nll_loss")
    _check_labels(input, target, "nll_loss")
    with module_scope("nll_loss"):
        return _picked_log_likelihood(input, target, reduction, "nll_loss")


def _picked_log_likelihood(log_probs: Tensor, target: Tensor, reduction: str, who: str) -> Tensor:
    if log_probs.ndim == 1:
        picked = log_probs[target.data]
    else:
        picked = log_probs[derived(np.arange, log_probs.shape[0]), target.data]  # one per row
    return _reduce(-picked, reduction, who)


NLL_LOSS_RULE = LayerRule(
    forward=("{out} = −(1/N) Σₙ {x}[n, {y}ₙ]",),
    grads=(GradRule("x", "∂L/∂{x} = −δ · onehot({y}) / N",
                    lambda d, x, y, **_: -d * one_hot(y, x.shape[-1], x.dtype) / y.size),),
    ops=(("GetItem", "Neg", "Sum", "Mul"),))


def cross_entropy(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy on logits x (shape (batch, classes)).

    Integer labels y:                ℓᵢ = -log softmax(xᵢ)[yᵢ] = logsumexp(xᵢ) - xᵢ[yᵢ]
    Probability / one-hot targets q: ℓᵢ = -Σ_c qᵢc · log softmax(xᵢ)_c
    log-softmax is computed stably, so huge logits give finite losses and gradients.
    """
    input = as_tensor(input)
    target = as_tensor(target, like=input)
    _check_class_scores(input, "cross_entropy")
    if target.dtype.kind == "f" and target.shape == input.shape:
        target = target.astype(input.dtype) if target.dtype != input.dtype else target
        with module_scope("cross_entropy"):
            loss = -(target * input.log_softmax(axis=-1)).sum(axis=-1)
            return _reduce(loss, reduction, "cross_entropy")
    if target.dtype.kind == "f" and target.ndim == input.ndim:
        raise ValueError(
            f"cross_entropy: probability targets must have the input's shape {input.shape}, "
            f"got {target.shape}"
        )
    _check_labels(input, target, "cross_entropy")
    with module_scope("cross_entropy"):
        return _picked_log_likelihood(input.log_softmax(axis=-1), target, reduction, "cross_entropy")


# For integer labels; the softmax and the log cancel into softmax - onehot.
CROSS_ENTROPY_RULE = LayerRule(
    forward=("{out} = −(1/N) Σₙ log softmax({x})[n, {y}ₙ]",),
    grads=(GradRule("x", "∂L/∂{x} = δ · (softmax({x}) − onehot({y})) / N",
                    lambda d, x, y, **_: d * (softmax_rows(x) - one_hot(y, x.shape[-1], x.dtype)) / y.size),),
    ops=(("LogSoftmax", "GetItem", "Neg", "Sum", "Mul"),))

# The losses' layer rules by the name their calls record (the layer view looks them up here).
LOSS_RULES = {
    "mse_loss": MSE_LOSS_RULE, "l1_loss": L1_LOSS_RULE,
    "binary_cross_entropy": BINARY_CROSS_ENTROPY_RULE,
    "binary_cross_entropy_with_logits": BINARY_CROSS_ENTROPY_WITH_LOGITS_RULE,
    "nll_loss": NLL_LOSS_RULE, "cross_entropy": CROSS_ENTROPY_RULE,
}
