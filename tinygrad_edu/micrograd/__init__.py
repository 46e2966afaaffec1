"""micrograd's API on tinygrad_edu's engine: ``Value`` and ``MLP``, for programs written for micrograd.

``from tinygrad_edu.micrograd.engine import Value`` and ``from tinygrad_edu.micrograd.nn import
MLP`` stand in for micrograd's two imports.  Each ``Value`` is a one-number tinygrad_edu Tensor
underneath, so the graph, ``backward()``, the chain-rule trace (``tg.explain(v.tensor)``) and
the pictures (``tg.viz.save_graph(v.tensor, ...)``) are the engine's own.
"""

from .engine import Value
from .nn import MLP, Layer, Module, Neuron

__all__ = ["Value", "Module", "Neuron", "Layer", "MLP"]
