"""What a picture shows: the recorded graph as numbered items, with module calls folded.

``GraphModel`` reads a tensor's graph as ``explain.read_graph`` walked and named it (in the
engine's own order) and decides what gets drawn: tensor items, op items, and -- when
``collapse`` is on -- one group item per module call.  Item ids come from the traversal
order (``t3``, ``op3``, ``g1``), never from memory addresses, so the same code gives the
same picture on every run.  Drawing (graph.py) and the backprop page (html.py) use it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from ..explain import Graph, read_graph
from ..tensor import Tensor

Use = tuple[Any, int]  # (op node, argument index): one place a tensor is consumed


@dataclass
class TensorItem:
    """A tensor drawn as a box: a leaf (``param`` / ``const``), an op ``result`` or the ``root``."""

    id: str
    tensor: Tensor
    label: str
    kind: str
    place: tuple[str, ...]  # the nest of module boxes it is drawn in


@dataclass
class OpItem:
    """One recorded op (a ``Function`` node)."""

    id: str
    node: Any
    place: tuple[str, ...]


@dataclass
class GroupItem:
    """One module call folded into a single box: its ops, and the parameters only it uses."""

    id: str
    scope: tuple[str, ...]
    nodes: list[Any] = field(default_factory=list)
    folded: list[TensorItem] = field(default_factory=list)

    @property
    def place(self) -> tuple[str, ...]:
        return self.scope[:-1]


@dataclass
class Edge:
    """A tensor flowing into an op or group (``uses`` says as which arguments), or out of one."""

    src: str
    dst: str
    tensor: Tensor
    uses: tuple[Use, ...] = ()  # empty for output edges


class GraphModel:
    """The items and edges of ``root``'s graph, ready to be drawn.

    With ``collapse=True`` each call of an innermost module (a scope no other scope nests
    inside, such as ``fc1: Linear(2→4)``) becomes one ``GroupItem``; its internal tensors
    disappear and parameters used only there are listed inside it.  Outer modules are drawn
    as labelled boxes around their contents.  ``graph`` is ``root``'s ``explain.Graph`` when
    the caller already has it (a ``Trace`` carries the one it read), so it is walked once.
    ``expand`` names module calls (``"fc1"`` or the whole label) to draw op by op anyway.
    With ``between=False`` (the layer view) a tensor passed from one module box to others is
    not drawn as a box of its own: the edge between the two boxes stands for it.
    """

    def __init__(self, root: Tensor, collapse: bool = True, graph: Graph | None = None,
                 expand: Collection[str] = (), between: bool = True) -> None:
        graph = read_graph(root) if graph is None else graph
        if graph.root is not root:
            raise ValueError("GraphModel: graph= was read from another tensor than root")
        self.root = root
        self.expand, self.between = frozenset(expand), between
        self.tensors = graph.tensors
        self.labels = graph.labels
        self.consumers: dict[int, list[Use]] = {}
        for t in self.tensors:
            if t._ctx is not None:
                for i, parent in enumerate(t._ctx.inputs):
                    self.consumers.setdefault(id(parent), []).append((t._ctx, i))
        self.groups: dict[int, GroupItem] = self._find_groups() if collapse else {}
        self.items: list[TensorItem | OpItem | GroupItem] = []
        self.edges: list[Edge] = []
        self.item_of_node: dict[int, OpItem | GroupItem] = {}
        # Where each tensor is drawn: its own box, or the op/group box that hides or lists it.
        self.item_of_tensor: dict[int, TensorItem | OpItem | GroupItem] = {}
        self._group_edges: dict[tuple[str, int], Edge] = {}
        self._build()

    # -- grouping ---------------------------------------------------------------------------
    def _find_groups(self) -> dict[int, GroupItem]:
        """Map each op inside an innermost module call to that call's group.

        Two calls of the same module share a scope label, so ops are grouped by scope *and*
        connection: ops joined by a tensor that one makes and the other uses belong to the
        same call (a small union-find over the graph order).
        """
        nodes = [t._ctx for t in self.tensors if t._ctx is not None]
        scopes = {n.scope for n in nodes if n.scope}
        innermost = {s for s in scopes if not any(len(o) > len(s) and o[:len(s)] == s for o in scopes)
                     and not self.expanded(s)}
        parent: dict[int, int] = {id(n): id(n) for n in nodes if n.scope in innermost}

        def find(k: int) -> int:
            while parent[k] != k:
                parent[k] = parent[parent[k]]
                k = parent[k]
            return k

        for n in nodes:
            if id(n) not in parent:
                continue
            for used_by, _ in self.consumers.get(id(n.output), ()):
                if id(used_by) in parent and used_by.scope == n.scope:
                    parent[find(id(used_by))] = find(id(n))
        groups: dict[int, GroupItem] = {}
        by_root: dict[int, GroupItem] = {}
        for n in nodes:
            if id(n) not in parent:
                continue
            key = find(id(n))
            if key not in by_root:
                by_root[key] = GroupItem(f"g{len(by_root) + 1}", n.scope)
            by_root[key].nodes.append(n)
            groups[id(n)] = by_root[key]
        return groups

    def expanded(self, scope: tuple[str, ...]) -> bool:
        """Whether the call ``scope`` is to be drawn op by op (named in ``expand``)."""
        label = scope[-1]
        return label in self.expand or label.split(": ", 1)[0] in self.expand

    def _folded_into(self, t: Tensor) -> GroupItem | None:
        """The group a leaf is listed inside: parameters and scalar constants used by one group only."""
        if t._ctx is not None or t is self.root or not (t.requires_grad or t.size == 1):
            return None
        homes = {id(self.groups.get(id(node))) for node, _ in self.consumers.get(id(t), ())}
        if len(homes) != 1:
            return None
        node = self.consumers[id(t)][0][0]
        return self.groups.get(id(node))

    def _hidden(self, t: Tensor) -> bool:
        """An output made inside a group and only used inside that same group is not drawn."""
        if t._ctx is None or t is self.root or id(t._ctx) not in self.groups:
            return False
        group = self.groups[id(t._ctx)]
        uses = self.consumers.get(id(t), ())
        if not self.between:  # the layer view: passed on to other boxes only
            return bool(uses) and all(id(n) in self.groups for n, _ in uses)
        return bool(uses) and all(self.groups.get(id(n)) is group for n, _ in uses)

    def _leaf_place(self, t: Tensor) -> tuple[str, ...]:
        """Parameters and scalar constants sit in the innermost box holding all their users."""
        if not (t.requires_grad or t.size == 1):
            return ()
        scopes = [n.scope for n, _ in self.consumers.get(id(t), ())]
        if not scopes:
            return ()
        common = scopes[0]
        for s in scopes[1:]:
            k = 0
            while k < min(len(common), len(s)) and common[k] == s[k]:
                k += 1
            common = common[:k]
        return common

    # -- items and edges --------------------------------------------------------------------
    def _build(self) -> None:
        for index, t in enumerate(self.tensors):
            node = t._ctx
            if node is None:
                group = self._folded_into(t)
                kind = "param" if t.requires_grad else "const"
                item = TensorItem(f"t{index}", t, self.labels[id(t)],
                                  "root" if t is self.root else kind, self._leaf_place(t))
                if group is not None:
                    group.folded.append(item)
                    self.item_of_tensor[id(t)] = group
                else:
                    self.items.append(item)
                    self.item_of_tensor[id(t)] = item
                continue
            maker = self._add_op(node, index)
            if self._hidden(t):
                self.item_of_tensor[id(t)] = maker
                continue
            kind = "root" if t is self.root else "result"
            item = TensorItem(f"t{index}", t, self.labels[id(t)], kind, maker.place)
            self.items.append(item)
            self.item_of_tensor[id(t)] = item
            self.edges.append(Edge(maker.id, item.id, t))

    def _add_op(self, node: Any, index: int) -> OpItem | GroupItem:
        """Draw the op (or, on its group's first op, the group) and the edges into it."""
        group = self.groups.get(id(node))
        if group is None:
            op = OpItem(f"op{index}", node, node.scope)
            self.items.append(op)
            self.item_of_node[id(node)] = op
            for i, parent in enumerate(node.inputs):
                self.edges.append(Edge(self._source(parent), op.id, parent, ((node, i),)))
            return op
        if group.nodes[0] is node:
            self.items.append(group)
        self.item_of_node[id(node)] = group
        for i, parent in enumerate(node.inputs):
            if self.item_of_tensor.get(id(parent)) is group:
                continue  # made or listed inside the group: no edge
            key = (group.id, id(parent))
            if key in self._group_edges:  # one edge per tensor, listing every use
                self._group_edges[key].uses += ((node, i),)
            else:
                edge = Edge(self._source(parent), group.id, parent, ((node, i),))
                self._group_edges[key] = edge
                self.edges.append(edge)
        return group

    def _source(self, t: Tensor) -> str:
        return self.item_of_tensor[id(t)].id

    @property
    def node_count(self) -> int:
        return len(self.items)

    def item_id(self, node: Any) -> str:
        """The id of the op or group item that shows ``node`` (``op5``, ``g1``)."""
        return self.item_of_node[id(node)].id
