"""The layer view as plain data: each module call with its layer rule, symbols and numbers.

``layer_view(loss)`` finds the layer calls in the engine's graph (the module scopes every
op records, grouped as ``GraphModel`` groups them), looks up the rule each layer declares
beside its code (``nn.Linear.layer_rule``, ``F.LOSS_RULES``, ``keras Dense.layer_rules``),
names its tensors the tutorial's way (``x``, ``W1``, ``z1``, ``a1``, ``L``) and attaches the
engine's own gradients from one trace.  The picture (``draw_graph(view="layers")``) and the
browser page read these dataclasses; nothing here changes a tensor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..explain import Trace
from ..nn import conv as nn_conv
from ..nn import functional as F
from ..nn import layers as nn_layers
from ..nn import normalization as nn_norm
from ..nn.rules import LayerRule
from ..tensor import Tensor
from .model import GraphModel, GroupItem

# Where each layer kind declares its rule: the class name a scope label starts with
# (``fc1: Linear(2→4)`` -> Linear), or the name a loss function records.
MODULE_RULES: dict[str, LayerRule] = {
    cls.__name__: cls.layer_rule for cls in (
        nn_layers.Linear, nn_layers.ReLU, nn_layers.Sigmoid, nn_layers.Tanh, nn_layers.Softmax,
        nn_layers.LogSoftmax, nn_layers.Flatten, nn_conv.Conv2d, nn_conv.MaxPool2d, nn_conv.AvgPool2d,
        nn_norm.BatchNorm1d, nn_norm.BatchNorm2d)
}


@dataclass(frozen=True)
class Quantity:
    """One line of a layer's backward with the engine's numbers.

    ``text`` is the filled-in rule (``∂L/∂W1 = δᵀ·x``), ``tensor`` the label of the tensor it
    is the gradient of, ``shape`` that tensor's shape and ``value`` what the engine computed
    for it through this layer (``None`` when no number exists: the forward view, or an
    input such as the data ``X`` that needs no gradient -- then ``note`` says so).
    """

    role: str
    text: str
    tensor: str
    shape: tuple[int, ...]
    value: np.ndarray | None
    note: str = ""


@dataclass(frozen=True)
class Layer:
    """One module call: its box id in the picture, the op ids inside it, and its rule filled in.

    ``rule`` is ``None`` for a call whose kind declares no rule (a custom module) or whose
    recorded ops are not the ones the rule was written for; the picture then lists its ops.
    ``symbols`` maps roles (``x``, ``W``, ``out``...) to the names printed, ``tensors`` the
    same roles to the graph's tensor labels.
    """

    id: str
    scope: tuple[str, ...]
    name: str
    kind: str
    op_ids: tuple[str, ...]
    ops: tuple[str, ...]
    rule: LayerRule | None
    symbols: dict[str, str]
    tensors: dict[str, str]
    shapes: dict[str, tuple[int, ...]]
    forward: tuple[str, ...]
    upstream: Quantity | None
    grads: tuple[Quantity, ...]

    def grad(self, role: str) -> Quantity | None:
        """The backward line for ``role`` (``"W"``, ``"x"``...), if the rule has one."""
        return next((q for q in self.grads if q.role == role), None)


@dataclass(frozen=True)
class LayerView:
    """The layers of ``root``'s graph in forward order (inputs first, the loss last)."""

    root: str
    layers: tuple[Layer, ...]
    traced: bool  # whether the numbers of a backward pass are attached

    def layer(self, name: str) -> Layer:
        """The layer called ``name`` (``"fc1"``) or with that whole scope label."""
        for layer in self.layers:
            if name in (layer.name, layer.scope[-1]):
                return layer
        raise KeyError(f"no layer called {name!r}; the layers are "
                       f"{', '.join(layer.name for layer in self.layers)}")


def layer_view(root: Tensor, trace: Trace | None = None, model: GraphModel | None = None) -> LayerView:
    """The layer view of ``root``'s graph; with ``trace`` (``tg.explain(root)``), its numbers.

    ``model`` is the picture's ``GraphModel`` when the caller has one (its group ids become
    the layers' ids); otherwise the graph is read and grouped here.
    """
    if model is None:
        model = GraphModel(root, collapse=True, graph=None if trace is None else trace.graph)
    steps = {id(s.node): s for s in trace} if trace is not None else {}
    namer = _Namer(model)
    layers = []
    for item in model.items:
        if isinstance(item, GroupItem):
            layers.append(_layer(item, model, namer, trace, steps))
    return LayerView(model.labels[id(root)], tuple(layers), trace is not None)


def rule_for(label: str) -> LayerRule | None:
    """The rule declared for a scope label (``fc1: Linear(2→4)``, ``mse_loss``), if any."""
    short = label.split(": ", 1)[-1]
    kind = _kind(label)
    if kind == "Dense":  # keras: Dense(2→4, sigmoid) -- the rule depends on the activation
        from ..keras.layers import Dense  # keras is loaded only if a Dense was called

        activation = short[short.rfind(", ") + 2:-1] if ", " in short else "linear"
        return Dense.layer_rules.get(activation)
    return MODULE_RULES.get(kind) or F.LOSS_RULES.get(short)


def _kind(label: str) -> str:
    match = re.match(r"[A-Za-z_]\w*", label.split(": ", 1)[-1])
    return match.group(0) if match else label


def _layer(group: GroupItem, model: GraphModel, namer: _Namer, trace: Trace | None,
           steps: dict[int, Any]) -> Layer:
    label = group.scope[-1]
    name = label.split(": ", 1)[0] if ": " in label else label
    ops = tuple(n.name for n in group.nodes)
    rule = rule_for(label)
    if rule is not None and ops not in rule.ops and rule.data_input is not None:
        rule = rule.data_input  # e.g. a first convolution, whose input is data
    roles = _roles(group, rule, model) if rule is not None and ops in rule.ops else None
    if roles is None:
        rule, roles = None, {"out": group.nodes[-1].output}
    symbols = namer.name(group, rule, roles)
    root = model.labels[id(model.root)]

    def fill(text: str) -> str:  # the rules say L for the loss; the picture uses its name
        return rule.fill(text, symbols).replace("∂L/∂", f"∂{root}/∂") if rule else text

    tensors = {role: model.labels[id(t)] for role, t in roles.items()}
    shapes = {role: tuple(t.shape) for role, t in roles.items()}
    forward: tuple[str, ...] = ()
    upstream: Quantity | None = None
    grads: tuple[Quantity, ...] = ()
    if rule is not None:
        forward = tuple(_without_missing(fill(line), roles) for line in rule.forward)
        out = roles["out"]
        upstream = Quantity("out", fill(rule.upstream), tensors["out"], tuple(out.shape),
                            None if trace is None else trace.grad(out))
        grads = tuple(_quantity(g.wrt, fill(g.text), roles[g.wrt], group, model, trace, steps)
                      for g in rule.grads if g.wrt in roles)
    index = {id(t): i for i, t in enumerate(model.tensors)}  # ids as the per-op picture gives them
    op_ids = tuple(f"op{index[id(n.output)]}" for n in group.nodes)
    return Layer(group.id, group.scope, name, _kind(label), op_ids, ops, rule, symbols, tensors,
                 shapes, forward, upstream, grads)


def _roles(group: GroupItem, rule: LayerRule, model: GraphModel) -> dict[str, Tensor] | None:
    """Which tensor plays which role in this call: parameters by attribute name, then inputs."""
    made = {id(n.output) for n in group.nodes}
    external: list[Tensor] = []
    for n in group.nodes:
        for t in n.inputs:
            literal = t._ctx is None and not t.requires_grad and t.size == 1 and not t.name
            if id(t) not in made and not literal and all(t is not e for e in external):
                external.append(t)
    roles: dict[str, Tensor] = {"out": group.nodes[-1].output}
    for role, attribute in rule.params:
        found = [t for t in external if t.name and t.name.rsplit(".", 1)[-1] == attribute]
        if found:
            roles[role] = found[0]
            external = [t for t in external if t is not found[0]]  # == on tensors is elementwise
    if any(role == "W" for role, _ in rule.params) and "W" not in roles:
        return None  # a weight the rule speaks of is not there: do not guess
    if external:
        roles["x"] = external[0]
    if len(external) > 1:
        roles["y"] = external[1]
    x = roles.get("x")
    if rule.x_ndim is not None and (x is None or x.ndim != rule.x_ndim):
        return None  # the matrix texts are written for one row per sample
    if rule.last_axis and x is not None and any(
            n.options.get("axis", -1) not in (-1, x.ndim - 1) for n in group.nodes):
        return None  # a softmax over another axis: the texts' Σⱼ would be the wrong sum
    if rule.applies is not None and not rule.applies(group.nodes, roles):
        return None  # settings the texts were not written for (a strided convolution)
    if any(g.wrt == "z" for g in rule.grads):
        roles["z"] = group.nodes[-1].inputs[0]  # the pre-activation, input of the last op
    return roles


def _quantity(role: str, text: str, tensor: Tensor, group: GroupItem, model: GraphModel,
              trace: Trace | None, steps: dict[int, Any]) -> Quantity:
    """This layer's contribution to ``tensor``'s gradient, as the engine computed it."""
    label, shape = model.labels[id(tensor)], tuple(tensor.shape)
    if not tensor.requires_grad:
        return Quantity(role, text, label, shape, None,
                        f"not computed: {label} does not require grad")
    if trace is None:
        return Quantity(role, text, label, shape, None)
    if any(n.output is tensor for n in group.nodes):  # made inside (a pre-activation)
        return Quantity(role, text, label, shape, trace.grad(tensor))
    parts = [steps[id(n)].contributions[i].value for n in group.nodes if id(n) in steps
             for i, t in enumerate(n.inputs) if t is tensor]
    parts = [p for p in parts if p is not None]
    value = None if not parts else parts[0] if len(parts) == 1 else np.sum(parts, axis=0)
    return Quantity(role, text, label, shape, value)


def _without_missing(text: str, roles: dict[str, Tensor]) -> str:
    """A layer without bias: ``z = x·Wᵀ + b`` is printed as ``z = x·Wᵀ``."""
    return text if "b" in roles else re.sub(r" \+ b\S*$", "", text)


class _Namer:
    """The tutorial's symbols: layers with a weight count up (W1, z1), activations take the
    count (a1), the root is L (or its name), data keeps its own name or is called x."""

    def __init__(self, model: GraphModel) -> None:
        self.model = model
        self.count = 0
        self.symbol: dict[int, str] = {}  # tensor id -> symbol given by the layer that made it
        self.used: set[str] = set()  # a pool after a ReLU must not print a2 = max(... a2)

    def name(self, group: GroupItem, rule: LayerRule | None, roles: dict[str, Tensor]) -> dict[str, str]:
        if "W" in roles or self.count == 0:
            self.count += 1
        k = str(self.count)
        out = roles["out"]
        symbols: dict[str, str] = {role: f"{role}{k}" for role in ("W", "b", "z") if role in roles}
        for role in ("x", "y"):
            if role in roles:
                symbols[role] = self.symbol.get(id(roles[role])) or self._data_name(roles[role], role)
        if out is self.model.root:
            symbols["out"] = self.model.labels[id(out)]
        elif rule is not None and any(g.wrt == "z" for g in rule.grads):
            symbols["out"] = f"a{k}"  # a Dense with its activation
        elif "W" in roles:
            symbols["out"] = f"z{k}"
        elif rule is not None and not any(role in ("y",) for role in roles):
            symbols["out"] = f"a{k}"
        else:
            symbols["out"] = self.model.labels[id(out)]
        if symbols["out"] in self.used and out is not self.model.root:
            symbols["out"] = self._fresh(symbols["out"])
        self.used.add(symbols["out"])
        self.symbol[id(out)] = symbols["out"]
        return symbols

    def _fresh(self, symbol: str) -> str:
        """``a2`` taken: ``a2′``, then ``a2″`` (layers without weights share their count)."""
        for mark in ("′", "″", "‴"):
            if symbol + mark not in self.used:
                return symbol + mark
        return f"{symbol}_{len(self.used)}"

    def _data_name(self, t: Tensor, role: str) -> str:
        if t.name:
            return self.model.labels[id(t)]
        return role
