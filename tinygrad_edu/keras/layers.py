"""Keras-style layers: ``Dense``, ``Activation``, ``Softmax``, ``Dropout``, ``Flatten``,
``InputLayer`` and ``Input``.

They are ``keras.Layer`` (so ``nn.Module``) subclasses over the same Tensor operations as
the PyTorch-style API; only the vocabulary differs.  A ``Dense`` layer holds ``kernel``
(in, out) and ``bias`` and computes ``activation(x @ kernel + bias)``.  Without
``input_shape`` it is built at its first call, when the input size is known -- as in Keras.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import nn
from ..config import get_default_dtype
from ..nn.init import INITIALIZERS
from ..nn.layers import ACTIVATIONS
from ..nn.rules import GradRule, LayerRule
from ..optim.optimizer import check_range
from ..tensor import Tensor
from .checks import check_bool, check_int
from .functional import Input
from .layer import Layer

# Keras' leaky_relu slope is 0.2 where PyTorch's (nn.LeakyReLU's default) is 0.01.
_KERAS_SETTINGS: dict[str, dict[str, Any]] = {"leaky_relu": {"alpha": 0.2}}


def _activation(name: str | Callable | None) -> tuple[str, Callable[[Tensor], Tensor]]:
    """An activation by name, from nn's one table (``nn.layers.ACTIVATIONS``), or a callable."""
    if name is None:
        name = "linear"
    if callable(name):
        return getattr(name, "__name__", "custom"), name
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(
            f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)} or pass a callable"
        )
    module = ACTIVATIONS[name](**_KERAS_SETTINGS.get(name, {}))
    # Its forward, not the module: a child module would add a box to graph pictures and an
    # entry to named_modules(); the ops recorded are the same either way.
    return name, module.forward


# kernel_initializer / bias_initializer by name, from nn.init's one table.  A Keras kernel is
# (in, out), the transpose of PyTorch's (out, in), so the layer gives its fans explicitly (the
# bias, too, takes the layer's fans).
def _initialize(name: str | Callable, tensor: Tensor, fan_in: int, fan_out: int) -> None:
    if callable(name):
        name(tensor)
        return
    if not isinstance(name, str) or name not in INITIALIZERS:
        raise ValueError(
            f"unknown initializer {name!r}; choose one of {sorted(INITIALIZERS)} or pass a callable"
        )
    INITIALIZERS[name](tensor, None, (fan_in, fan_out))


def dense_rule(activation: LayerRule | None) -> LayerRule:
    """Dense's layer rule: the (in, out) kernel's matrix rules, after the activation's own.

    The kernel is the transpose of nn.Linear's weight, so ∂L/∂K = xᵀ·δ (the tutorial's
    ``a1.T @ dz2``) and ∂L/∂x = δ·Kᵀ.  With an activation, δ is first taken through it:
    ∂L/∂z = ∂L/∂out ⊙ f'(z), and the matrix rules use that.
    """
    linear = (GradRule("W", "∂L/∂{W} = {x}ᵀ·δ", lambda d, x, **_: x.T @ d),
              GradRule("b", "∂L/∂{b} = Σₙ δ", lambda d, **_: d.sum(axis=0)),
              GradRule("x", "∂L/∂{x} = δ·{W}ᵀ", lambda d, W, **_: d @ W.T))
    params = (("W", "kernel"), ("b", "bias"))
    linear_ops = (("MatMul", "BroadcastTo", "Add"), ("MatMul", "Add"), ("MatMul",))
    if activation is None:
        return LayerRule(("{out} = {x}·{W} + {b}",), linear, params, linear_ops, x_ndim=2)
    (through,) = activation.grads  # an activation has one input, called {x} in its own rule

    def dz(d: np.ndarray, z: np.ndarray, out: np.ndarray, **_: Any) -> np.ndarray:
        return through.numpy(d, x=z, out=out)

    def after(rule: GradRule) -> GradRule:
        return GradRule(rule.wrt, rule.text.replace("δ", "∂L/∂{z}"),
                        lambda d, **v: rule.numpy(dz(d, **v), **v))

    return LayerRule(
        forward=("{z} = {x}·{W} + {b}", activation.forward[0].replace("{x}", "{z}")),
        grads=(GradRule("z", through.text.replace("{x}", "{z}"), dz), *map(after, linear)),
        params=params,
        ops=tuple(lin + act for lin in linear_ops for act in activation.ops),
        x_ndim=2, last_axis=activation.last_axis,
    )


class Dense(Layer):
    """y = activation(x @ kernel + bias), kernel of shape (input_dim, units).

    ``kernel_initializer`` defaults to Glorot uniform, U(-√(6/(in+out)), √(6/(in+out))),
    and ``bias_initializer`` to zeros, as in Keras.
    """

    # Its layer rule for each activation that has one (nn.layers.ACTIVATIONS, see dense_rule).
    layer_rules = {name: dense_rule(getattr(make, "layer_rule", None))
                   for name, make in ACTIVATIONS.items()
                   if hasattr(make, "layer_rule") or make is nn.Identity}

    def __init__(self, units: int, activation: str | Callable | None = None, use_bias: bool = True,
                 input_shape: tuple[int, ...] | None = None,
                 kernel_initializer: str | Callable = "glorot_uniform",
                 bias_initializer: str | Callable = "zeros", name: str | None = None,
                 input_dim: int | None = None, trainable: bool = True) -> None:
        if input_dim is not None:
            input_shape = (check_int("Dense", "input_dim", input_dim, 1),)
        super().__init__(name=name, input_shape=input_shape, trainable=trainable)
        self.units = check_int("Dense", "units (the number of outputs)", units, 1)
        self.activation_name, self.activation = _activation(activation)
        self.use_bias = check_bool("Dense", "use_bias", use_bias)
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel: Tensor | None = None
        self.bias: Tensor | None = None
        if self.input_shape is not None:
            self.build(self.input_shape[-1])

    @property
    def built(self) -> bool:
        return self.kernel is not None

    def build(self, input_dim: int) -> None:
        """Create the weights once the input size is known."""
        dtype = get_default_dtype()
        kernel = Tensor(np.zeros((input_dim, self.units), dtype=dtype), requires_grad=True)
        _initialize(self.kernel_initializer, kernel, input_dim, self.units)
        self.kernel = kernel
        if self.use_bias:
            bias = Tensor(np.zeros(self.units, dtype=dtype), requires_grad=True)
            _initialize(self.bias_initializer, bias, input_dim, self.units)
            self.bias = bias
        self.apply_trainable()

    def forward(self, x: Tensor) -> Tensor:
        if self.kernel is None:
            self.build(x.shape[-1])
        assert self.kernel is not None
        if x.shape[-1] != self.kernel.shape[0]:
            raise ValueError(
                f"Dense({self.units}) expects inputs with {self.kernel.shape[0]} features, got shape "
                f"{x.shape}; check input_shape or the previous layer's units"
            )
        if x.dtype != self.kernel.dtype:
            x = x.astype(self.kernel.dtype)  # Keras casts inputs to the layer's dtype (float32)
        z = x @ self.kernel
        if self.bias is not None:
            z = z + self.bias
        return self.activation(z)

    def output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (*input_shape[:-1], self.units)

    def extra_repr(self) -> str:
        return f"units={self.units}, activation={self.activation_name!r}"

    def short_repr(self) -> str:
        inputs = "?" if self.kernel is None else str(self.kernel.shape[0])
        return f"Dense({inputs}→{self.units}, {self.activation_name})"


class Activation(Layer):
    """Apply an activation by name: ``Activation('relu')``."""

    def __init__(self, activation: str | Callable, name: str | None = None,
                 input_shape: tuple[int, ...] | None = None, trainable: bool = True) -> None:
        super().__init__(name=name, input_shape=input_shape, trainable=trainable)
        self.activation_name, self.activation = _activation(activation)

    def forward(self, x: Tensor) -> Tensor:
        return self.activation(x)

    def output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return input_shape


class Softmax(Layer):
    """softmax(x)_i = exp(x_i) / Σ_j exp(x_j) along ``axis`` (the last one by default)."""

    def __init__(self, axis: int = -1, name: str | None = None,
                 input_shape: tuple[int, ...] | None = None, trainable: bool = True) -> None:
        super().__init__(name=name, input_shape=input_shape, trainable=trainable)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise TypeError(f"Softmax: axis must be an integer such as -1, got {axis!r}")
        self.axis = int(axis)

    def forward(self, x: Tensor) -> Tensor:
        return x.softmax(axis=self.axis)

    def output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return input_shape


class Dropout(Layer):
    """Zero a fraction ``rate`` of inputs while training (scaled by 1/(1-rate)); identity otherwise."""

    def __init__(self, rate: float, name: str | None = None,
                 input_shape: tuple[int, ...] | None = None, trainable: bool = True) -> None:
        super().__init__(name=name, input_shape=input_shape, trainable=trainable)
        check_range("Dropout", "rate", rate, 0.0, 1.0, high_open=True)
        self.rate = rate
        self.dropout = nn.Dropout(rate)

    def forward(self, x: Tensor, training: bool = False) -> Tensor:
        """Drops only in training mode: inside ``fit``, or called with ``training=True``."""
        return nn.functional.dropout(x, self.rate, training=training, rng=self.dropout.rng)

    def output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return input_shape


class Flatten(Layer):
    """Flatten every dimension but the batch dimension."""

    def __init__(self, name: str | None = None, input_shape: tuple[int, ...] | None = None,
                 trainable: bool = True) -> None:
        super().__init__(name=name, input_shape=input_shape, trainable=trainable)

    def forward(self, x: Tensor) -> Tensor:
        return x.reshape(x.shape[0], -1)

    def output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        rest = input_shape[1:]
        size = None if any(n is None for n in rest) else int(np.prod([n for n in rest if n is not None]))
        return (input_shape[0], size)


class InputLayer(Layer):
    """Declares the input shape (without the batch dimension); passes data through.

    ``Sequential([InputLayer(shape=(4,)), ...])`` or ``Sequential([keras.Input(shape=(4,)), ...])``:
    as in Keras, the model keeps it out of ``model.layers`` and uses it to check its inputs.
    """

    def __init__(self, shape: tuple[int, ...] | None = None, input_shape: tuple[int, ...] | None = None,
                 name: str | None = None) -> None:
        given = shape if shape is not None else input_shape
        if given is None:
            raise ValueError("InputLayer needs shape=(n_features,)")
        super().__init__(name=name)
        self.input_shape: tuple[int, ...] = Input(given).shape[1:]  # type: ignore[assignment]

    def forward(self, x: Tensor) -> Tensor:
        if tuple(x.shape[1:]) != self.input_shape:
            expected = ", ".join(map(str, self.input_shape))
            raise ValueError(f"the model expects inputs of shape (batch, {expected}), got {x.shape}")
        return x

    def output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return input_shape


# The layers that join several inputs (Concatenate, Add, ...) are listed here with the others.
# isort: split
from . import merging  # noqa: E402
from .merging import *  # noqa: E402, F403

# The image layers (Conv2D, MaxPooling2D, ...) likewise; they reuse _activation/_initialize above.
# isort: split
from . import conv_layers  # noqa: E402
from .conv_layers import *  # noqa: E402, F403

__all__ = ["Layer", "Dense", "Activation", "Softmax", "Dropout", "Flatten", "InputLayer", "Input",
           *merging.__all__, *conv_layers.__all__]
