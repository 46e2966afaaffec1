"""``keras.Sequential``: a ``Model`` whose layers are applied one after the other.

Layers are added with the constructor's list, ``add`` or removed with ``pop``.  A leading
``keras.Input(shape=...)`` or ``InputLayer`` declares the input size, so the model is built
at once; as in Keras it is not one of ``model.layers``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import nn
from ..tensor import Tensor
from .functional import Input, KerasTensor
from .layers import InputLayer
from .model import Model, _array


class Sequential(Model):
    """A stack of layers applied in order: ``Sequential([Dense(8, activation='relu'), Dense(1)])``."""

    input_layer: InputLayer | None

    def __init__(self, layers: Iterable[Any] | None = None, name: str = "sequential") -> None:
        super().__init__(name=name)
        if isinstance(layers, nn.Module):
            raise TypeError(f"Sequential expects a list of layers, got a single "
                            f"{type(layers).__name__}; wrap it in a list: Sequential([layer])")
        # Kept out of the registered modules: it has no weights and is not in model.layers.
        object.__setattr__(self, "input_layer", None)
        for layer in layers or []:
            self.add(layer)

    def add(self, layer: Any) -> None:
        """Append a layer; it is registered under its ``name`` or an automatic one (dense_1...).

        ``add(keras.Input(shape=(4,)))`` (or an ``InputLayer``) first declares the input size.
        """
        if isinstance(layer, KerasTensor):
            layer = InputLayer(shape=tuple(n for n in layer.shape[1:] if n is not None))
        if isinstance(layer, InputLayer):
            if self.layer_names or self.input_layer is not None:
                raise ValueError("Sequential: an Input / InputLayer can only be the first entry")
            object.__setattr__(self, "input_layer", layer)
            return
        if not isinstance(layer, nn.Module):
            raise TypeError(f"Sequential.add needs a layer (an nn.Module), got {type(layer).__name__}")
        self.register_layer(layer)
        if self._input_shape() is not None:
            self.build()  # like Keras: a known input size builds every layer at once

    def pop(self) -> nn.Module:
        """Remove the last layer and return it."""
        if not self.layer_names:
            raise TypeError("Sequential.pop: there are no layers in the model")
        name = self.layer_names.pop()
        layer = getattr(self, name)
        delattr(self, name)
        self._optim = None
        return layer

    def forward(self, x: Any) -> Tensor:
        """Apply the layers in order (after the InputLayer's shape check, if there is one)."""
        out = x if isinstance(x, Tensor) else Tensor(_array(x, "model input"))
        if self.input_layer is not None:
            out = self.input_layer(out)  # checks the shape
        for layer in self.layers:
            out = layer(out)
        return out

    @property
    def inputs(self) -> list[KerasTensor] | None:
        """``[keras.Input]`` of the declared input shape (None while the shape is unknown)."""
        shape = self._input_shape()
        if shape is None:
            return None
        cached = self.__dict__.get("symbolic_graph")
        if cached is None or cached[0] != tuple(self.layer_names):
            # As Keras does: call the layers on an Input, so each layer gets an .output.
            x = start = Input(shape)
            for layer in self.layers:
                x = layer(x)
            cached = (tuple(self.layer_names), start, x)
            object.__setattr__(self, "symbolic_graph", cached)
        return [cached[1]]

    @property
    def outputs(self) -> list[KerasTensor] | None:
        """``[the last layer's output]`` (None while the input shape is unknown)."""
        return None if self.inputs is None else [self.__dict__["symbolic_graph"][2]]

    def _input_shape(self) -> tuple[int, ...] | None:
        if self.input_layer is not None:
            return self.input_layer.input_shape
        first = self.layers[0] if self.layer_names else None
        return getattr(first, "input_shape", None)
