"""``tg.onnx``: a model trained here, written as an ONNX graph that onnxruntime (or any ONNX
runtime) runs without tinygrad_edu.

``export`` records one call of the model and writes the recorded graph, one ONNX node (or a
few) per primitive; each op class in tinygrad_edu/ops/ carries its own ONNX form in an
``onnx(ctx, b)`` method next to its forward, written with the ``OnnxBuilder`` ``b``.
Needs the ``onnx`` package (``pip install "tinygrad-edu[onnx]"``), imported only on use.
"""

from __future__ import annotations

import re
from typing import Any

from .builder import BATCH, CannotExport, OnnxBuilder
from .export import DEFAULT_OPSET, export, require_onnx

__all__ = ["export", "listing", "CannotExport", "OnnxBuilder", "BATCH", "DEFAULT_OPSET"]


def listing(model: Any) -> str:
    """A short text listing of an ONNX model: inputs, initializers, one line per node, outputs.

    ``model`` is what ``export`` returned, or a path to an .onnx file.
    """
    onnx = require_onnx()
    proto = model if hasattr(model, "graph") else onnx.load(str(model))
    g = proto.graph

    def shape(value: Any) -> str:
        dims = value.type.tensor_type.shape.dim
        return "(" + ", ".join(d.dim_param or str(d.dim_value) for d in dims) + ")"

    def attrs(node: Any) -> str:
        shown = [f"{a.name}={onnx.helper.get_attribute_value(a)}" for a in node.attribute]
        return f"  [{', '.join(shown)}]" if shown else ""

    lines = [f"input   {v.name} {shape(v)}" for v in g.input]
    for t in g.initializer:  # weights by shape; the constants the export made (axes...) by value
        if re.fullmatch(r"(const|ints|condition|index)_\d+", t.name):
            lines.append(f"const   {t.name} = {onnx.numpy_helper.to_array(t).tolist()}")
        else:
            lines.append(f"weight  {t.name} {tuple(t.dims)}")
    lines += [f"{n.op_type}({', '.join(n.input)}) -> {', '.join(n.output)}{attrs(n)}" for n in g.node]
    lines += [f"output  {v.name} {shape(v)}" for v in g.output]
    return "\n".join(lines)
