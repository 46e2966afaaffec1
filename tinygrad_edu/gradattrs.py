"""A Tensor's graph attributes: ``is_leaf``, ``op``, ``grad`` (checked on assignment), ``grad_fn``.

``Tensor`` inherits them, as it inherits the Python protocols (pyprotocol.py), so tensor.py
stays one screen per topic.  ``grad_fn`` is a read-only *view* of the engine's graph node: it
answers PyTorch's questions (``name()``, ``next_functions``) and never changes the graph.
"""

from __future__ import annotations

# The properties annotate ``self: Tensor`` (the one class that inherits this mixin), as
# pyprotocol.py does; mypy cannot check a mixin's self type against its subclass, hence:
# mypy: disable-error-code="misc"
from typing import TYPE_CHECKING, Any

from .config import Config

if TYPE_CHECKING:
    from .tensor import Tensor


class GradAttributes:
    """``grad`` and ``grad_fn`` for ``Tensor`` (which holds the ``_grad`` and ``_ctx`` slots)."""

    __slots__ = ()

    @property
    def is_leaf(self: Tensor) -> bool:
        """True for tensors made by the user (not by a recorded op)."""
        return self._ctx is None

    @property
    def op(self: Tensor) -> str | None:
        """Name of the op that produced this tensor (``None`` for leaves)."""
        return None if self._ctx is None else self._ctx.name

    @property
    def grad(self: Tensor) -> Tensor | None:
        """The gradient ``backward()`` summed here (leaves and ``retain_grad`` tensors), or None.

        Backward calls add into this same tensor object when they can, so a reference you
        keep sees the new total (as in PyTorch).
        """
        return self._grad

    @grad.setter
    def grad(self: Tensor, value: Tensor | None) -> None:
        # Every Tensor is a GradAttributes: this checks for a Tensor without importing
        # tensor.py here (``p.grad = None`` runs for every parameter on every step).
        if value is not None and not isinstance(value, GradAttributes):
            _refuse_assignment(self, value)
        self._grad = value
        if Config.recorder is not None:  # compile seam: tg.compile sees zero_grad (compiler/)
            Config.recorder.grad_assigned(self, value)

    @property
    def grad_fn(self: Tensor) -> Node | None:
        """The node that made this tensor (None for a leaf), as PyTorch shows it.

        ``t.grad_fn.name()`` is ``"MulBackward0"`` for a product (``"<Op>Backward0"`` for the
        engine's ops, ``"<MyFunction>Backward"`` for an ``autograd.Function``, as PyTorch spells
        them); ``t.grad_fn.next_functions`` pairs each input with where its gradient goes.
        """
        return None if self._ctx is None else Node(self._ctx)


def _refuse_assignment(tensor: Tensor, value: Any) -> None:
    raise TypeError(f"assigned grad expected to be a Tensor or None but got "
                    f"{type(value).__name__} {value!r:.40}; wrap numbers in tg.Tensor(...) "
                    f"of shape {tensor.shape}")


class Node:
    """PyTorch's view of a graph node (``t.grad_fn``): its name and where gradients go next.

    Two views of the same node compare equal (``y.grad_fn == z.grad_fn.next_functions[0][0]``).
    """

    __slots__ = ("op",)

    def __init__(self, op: Any) -> None:
        self.op = op  # the engine's Function instance

    def name(self) -> str:
        return self.op.grad_fn_name

    @property
    def next_functions(self) -> tuple[tuple[Node | AccumulateGrad | None, int], ...]:
        """One ``(node, 0)`` per input: its ``grad_fn``, an ``AccumulateGrad`` for a leaf that
        requires grad, or ``None`` where no gradient flows."""
        return tuple((_next(t), 0) for t in self.op.inputs)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Node) and other.op is self.op

    def __hash__(self) -> int:
        return id(self.op)

    def __repr__(self) -> str:
        return f"<{self.name()} object>"


class AccumulateGrad:
    """Where a leaf's gradient ends: added to ``variable.grad`` (PyTorch's name)."""

    __slots__ = ("variable",)

    def __init__(self, variable: Tensor) -> None:
        self.variable = variable

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    next_functions: tuple = ()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AccumulateGrad) and other.variable is self.variable

    def __hash__(self) -> int:
        return id(self.variable)

    def __repr__(self) -> str:
        return "<AccumulateGrad object>"


def _next(t: Tensor) -> Node | AccumulateGrad | None:
    if t._ctx is not None:
        return Node(t._ctx)
    return AccumulateGrad(t) if t._requires_grad else None
