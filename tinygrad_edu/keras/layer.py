"""``Layer``: what every Keras-style layer and model shares on top of ``nn.Module``.

It adds Keras' vocabulary -- ``name``, ``trainable``, ``input_shape``, ``weights``,
``get_weights``/``set_weights`` -- and lets a layer be called on a ``keras.Input`` (a
symbolic ``KerasTensor``, see ``functional.py``) as well as on real Tensors.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from .. import nn
from ..tensor import Tensor
from .checks import check_bool, check_shape
from .functional import is_symbolic, symbolic_call


def snake_case(name: str) -> str:
    """``"SparseCategoricalAccuracy"`` -> ``"sparse_categorical_accuracy"``, ``"Conv2D"`` ->
    ``"conv2d"`` (Keras' default names: no underscore after a digit)."""
    return "".join("_" + c.lower() if c.isupper() and i and not name[i - 1].isdigit() else c.lower()
                   for i, c in enumerate(name))


# Keras' "learning phase": True while ``fit`` trains (or inside a call with training=True),
# False otherwise -- so ``model(x)`` outside fit runs in inference mode, as in Keras.
_PHASE = threading.local()


def learning_phase() -> bool:
    """Whether layers run in training mode now (Dropout drops only then)."""
    return getattr(_PHASE, "training", False)


@contextmanager
def training_phase(training: bool) -> Iterator[None]:
    """Run the calls inside in training (True) or inference (False) mode."""
    before = learning_phase()
    _PHASE.training = bool(training)
    try:
        yield
    finally:
        _PHASE.training = before


def takes_training(method: Any) -> bool:
    """Whether a ``call``/``forward`` accepts Keras' ``training=`` argument (cached per function)."""
    func = getattr(method, "__func__", method)
    known = _TAKES_TRAINING.get(func)
    if known is None:
        known = _TAKES_TRAINING[func] = "training" in inspect.signature(func).parameters
    return known


_TAKES_TRAINING: dict[Any, bool] = {}


class Layer(nn.Module):
    """Base class of Keras-style layers.

    ``name`` defaults to the snake-case class name (a model makes it unique: ``dense_1``);
    ``input_shape`` (without the batch dimension) lets the first layer of a ``Sequential``
    build the model at once; ``trainable=False`` freezes the layer's weights.
    """

    def __init__(self, name: str | None = None, input_shape: tuple[int, ...] | None = None,
                 trainable: bool = True) -> None:
        super().__init__()
        owner = type(self).__name__
        if name is not None and (not isinstance(name, str) or not name):
            raise TypeError(f"{owner}: name must be a non-empty string, got {name!r}")
        self.layer_name = name
        self.input_shape = check_shape(owner, "input_shape", input_shape) if input_shape is not None else None
        self._trainable = check_bool(owner, "trainable", trainable)
        # (None, ...) from the last call on real data; summary() shows it.
        self.last_output_shape: tuple[int | None, ...] | None = None

    @property
    def output(self) -> Any:
        """The KerasTensor this layer last produced when called on a ``keras.Input`` chain."""
        out = self.__dict__.get("symbolic_output")
        if out is None:
            raise AttributeError(f"layer {self.name!r} has never been called on a keras.Input, so it "
                                 "has no output; call it on one, or put it in a model that has one")
        return out

    @property
    def name(self) -> str:
        """The name given, else the name a model registered the layer under, else the class's."""
        return self.layer_name or self._call_name or snake_case(type(self).__name__)

    # -- freezing -----------------------------------------------------------------------------
    @property
    def trainable(self) -> bool:
        """False freezes the layer: its weights get no gradient, so ``fit`` leaves them as they are."""
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        value = check_bool(type(self).__name__, "trainable", value)
        # As in Keras, setting it on a layer (or a whole model) sets it on every sub-layer.
        for module in self.modules():
            if isinstance(module, Layer):
                object.__setattr__(module, "_trainable", value)
            for p in module.parameters(recurse=False):
                p.requires_grad = value

    def apply_trainable(self) -> None:
        """Give weights created later (a lazy ``build``) the layer's current ``trainable``."""
        if not self._trainable:
            for p in self.parameters():
                p.requires_grad = False

    # -- weights --------------------------------------------------------------------------------
    @property
    def weights(self) -> list[Tensor]:
        """Every weight, layer by layer (a Dense layer gives kernel then bias)."""
        return list(self.parameters())

    @property
    def trainable_weights(self) -> list[Tensor]:
        """The weights ``fit`` updates."""
        return [p for p in self.parameters() if p.requires_grad]

    @property
    def non_trainable_weights(self) -> list[Tensor]:
        """The frozen weights (``trainable=False``)."""
        return [p for p in self.parameters() if not p.requires_grad]

    def get_weights(self) -> list[np.ndarray]:
        """Copies of the weights as NumPy arrays, in ``weights`` order (Dense: kernel (in, out), bias)."""
        return [p.data.copy() for p in self.parameters()]

    def set_weights(self, weights: list[Any]) -> None:
        """Overwrite the weights with arrays in ``get_weights`` order; counts and shapes must match."""
        params = self.weights
        owner = f"{type(self).__name__} {self.name!r}"
        if len(weights) != len(params):
            raise ValueError(f"{owner}.set_weights: expected a list of {len(params)} arrays "
                             f"(shapes {[p.shape for p in params]}), got {len(weights)}")
        arrays = [np.asarray(w) for w in weights]
        for i, (p, w) in enumerate(zip(params, arrays)):  # check everything before writing
            if w.shape != p.shape:
                raise ValueError(f"{owner}.set_weights: weight {i} ({p.name}) has shape {p.shape}, "
                                 f"got an array of shape {w.shape}")
        for p, w in zip(params, arrays):
            p.data[...] = w

    # -- calling --------------------------------------------------------------------------------
    def __call__(self, *args: Any, training: bool | None = None, **kwargs: Any) -> Any:
        """Run the layer; ``training`` (as in Keras) picks training or inference mode for it and
        every layer inside (by default: training inside ``fit``, inference elsewhere)."""
        if args and is_symbolic(args[0]):
            if len(args) > 1 or kwargs:
                raise TypeError(f"{type(self).__name__}: call a layer on one KerasTensor or a list "
                                "of them, e.g. layer(x) or layer([a, b])")
            return symbolic_call(self, args[0])
        phase = learning_phase() if training is None else bool(training)
        if takes_training(self.forward):
            kwargs["training"] = phase
        with training_phase(phase):
            out = super().__call__(*args, **kwargs)
        if isinstance(out, Tensor):  # one tuple per call, for summary()'s Output Shape column
            self.last_output_shape = (None, *out.shape[1:])
        return out
