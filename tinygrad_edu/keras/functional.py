"""The Functional API's symbolic tensors: ``keras.Input(shape=...)`` and layers called on it.

A ``KerasTensor`` holds no numbers: it records which layer made it from which inputs, so
``keras.Model(inputs=..., outputs=...)`` can replay that graph on real Tensors.  This module
only describes graphs; ``layer.py`` calls ``symbolic_call`` and ``model.py`` runs the result.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..config import no_grad
from ..tensor import Tensor
from .checks import check_shape


class KerasTensor:
    """A placeholder for a batch of data: its ``shape`` (batch dimension ``None``) and history.

    ``layer`` is the layer that produced it (``None`` for an ``Input``) and ``parents`` the
    KerasTensors it was called on, in argument order.
    """

    def __init__(self, shape: tuple[int | None, ...], layer: Any = None,
                 parents: tuple[KerasTensor, ...] = (), as_list: bool = False,
                 name: str | None = None) -> None:
        self.shape = shape
        self.layer, self.parents, self.as_list = layer, parents, as_list
        self.name = name

    @property
    def ndim(self) -> int:
        """The number of dimensions, batch included."""
        return len(self.shape)

    def __repr__(self) -> str:
        made_by = "Input" if self.layer is None else type(self.layer).__name__
        return f"<KerasTensor shape={self.shape}, made by {made_by}>"


def Input(shape: tuple[int, ...], name: str | None = None) -> KerasTensor:
    """``keras.Input(shape=(4,))``: the start of a Functional model (or of a Sequential one).

    ``shape`` leaves out the batch dimension; the result's ``.shape`` is ``(None, 4)``.
    """
    return KerasTensor((None, *check_shape("Input", "shape", shape)), name=name)


def is_symbolic(value: Any) -> bool:
    """True for a KerasTensor or a non-empty list/tuple of them (a layer called on several)."""
    if isinstance(value, KerasTensor):
        return True
    return isinstance(value, (list, tuple)) and bool(value) and all(isinstance(v, KerasTensor) for v in value)


def symbolic_call(layer: Any, inputs: Any) -> KerasTensor:
    """``layer(keras_tensor)``: find the output shape by running the layer once on zeros.

    The probe has a batch of one, runs without recording a graph and in evaluation mode (so a
    Dropout layer draws no random numbers); it also builds a lazy layer such as ``Dense``.
    """
    as_list = isinstance(inputs, (list, tuple))
    parents = tuple(inputs) if as_list else (inputs,)
    probes = [Tensor(np.zeros((1, *p.shape[1:]), dtype=np.float32)) for p in parents]
    was_training = layer.training
    layer.eval()
    try:
        with no_grad():
            out = layer(probes if as_list else probes[0])
    finally:
        layer.train(was_training)
    result = KerasTensor((None, *out.shape[1:]), layer=layer, parents=parents, as_list=as_list)
    object.__setattr__(layer, "symbolic_output", result)  # Keras' layer.output
    return result


def graph_order(inputs: list[KerasTensor], outputs: list[KerasTensor]) -> list[KerasTensor]:
    """Every KerasTensor between ``inputs`` and ``outputs``, each after its parents.

    An explicit depth-first loop (no recursion); a path that ends at an ``Input`` which is not
    among ``inputs`` is an error, because the model could not be given that data.
    """
    given = {id(t) for t in inputs}
    order: list[KerasTensor] = []
    done: set[int] = set()
    stack: list[tuple[KerasTensor, bool]] = [(t, False) for t in reversed(outputs)]
    while stack:
        node, parents_done = stack.pop()
        if id(node) in done:
            continue
        if parents_done or id(node) in given:
            done.add(id(node))
            order.append(node)
            continue
        if node.layer is None:
            raise ValueError(
                f"keras.Model: the outputs depend on an Input of shape {node.shape} that is not in "
                "inputs=...; pass every keras.Input the outputs were computed from"
            )
        stack.append((node, True))
        stack.extend((p, False) for p in reversed(node.parents) if id(p) not in done)
    return order
