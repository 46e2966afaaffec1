"""The chain rule, in one function.

``run_backward`` orders the graph with an explicit loop (no recursion, so a 100,000-op chain
is fine), seeds the output gradient, walks the nodes from the output back to the leaves,
asks each node for its inputs' contributions and *adds* contributions that meet at the same
tensor.  Ops never walk the graph; layers never compute gradients.  ``Tensor.backward`` and
``grad`` are thin front ends over it; the chain-rule trace listens to it through ``tracer``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

from .config import Config, backward_mode
from .config import enable_grad as enable_grad  # torch.autograd has the grad modes too
from .config import inference_mode as inference_mode
from .config import no_grad as no_grad
from .config import set_grad_enabled as set_grad_enabled
from .custom_function import Function as Function  # PyTorch's form (tg.Function: NumPy form)
from .gradsinks import Capture, LeafGrads
from .tensor import Tensor

KEPT_FOR_PICTURES = 5000  # tensors in a backward pass whose gradients a picture may replay


class GraphFreedError(RuntimeError):
    """A backward pass (or a trace of one) reached a node whose saved values were released."""


class Tracer(Protocol):
    """Receives every step of a backward pass, in the order the engine runs them."""

    def on_step(self, node: Any, output: Tensor, grad_out: Tensor, grads: tuple) -> None: ...

    def on_accumulate(self, tensor: Tensor, previous: Tensor, contribution: Tensor,
                      total: Tensor) -> None: ...


class HookHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook."""

    def __init__(self, hooks: list, fn: Callable) -> None:
        self._hooks, self._fn = hooks, fn

    def remove(self) -> None:
        if self._fn in self._hooks:
            self._hooks.remove(self._fn)


def topological_order(roots: Sequence[Tensor]) -> list[Tensor]:
    """Every tensor that requires grad and leads to ``roots``, parents before children.

    Depth-first search with an explicit stack: each tensor is pushed once to visit its
    parents and once more to be emitted after them.  Parents are visited in argument order,
    so the order -- and hence every sum of gradients -- is the same on every run.
    """
    order: list[Tensor] = []
    visited: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(r, False) for r in reversed(roots)]
    while stack:
        tensor, parents_done = stack.pop()
        if parents_done:
            order.append(tensor)
            continue
        key = id(tensor)
        if key in visited:
            continue
        visited.add(key)
        stack.append((tensor, True))
        node = tensor._ctx
        if node is not None:
            for parent in reversed(node.inputs):
                if parent._requires_grad and id(parent) not in visited:
                    stack.append((parent, False))
    return order


def run_backward(
    roots: Sequence[Tensor],
    seeds: Sequence[Tensor],
    *,
    retain_graph: bool,
    create_graph: bool,
    capture: Sequence[Tensor] | None = None,
    tracer: Tracer | None = None,
) -> dict[int, Tensor]:
    """Propagate ``seeds`` (one gradient per root) back through the recorded graph.

    Without ``capture`` the total gradient of every leaf (and of tensors that called
    ``retain_grad``) is *added* to its ``.grad``.  With ``capture``, ``.grad`` is left alone,
    the walk stops at the captured tensors (nothing below them runs) and their gradients are
    returned, keyed by ``id``.
    """
    pending = _Pending(tracer, roots, seeds)  # gradients that reached a tensor, summed as they meet
    sink = _sink(capture, seeds, create_graph)
    plan = _plan(roots, capture)
    # Pictures after a plain backward() replay the gradients each node kept; a graph larger
    # than any picture (max_nodes) keeps none: holding them costs a long chain about 40%.
    keep = len(plan) <= KEPT_FOR_PICTURES
    with backward_mode(create_graph):
        for tensor, node in plan:
            grad_out = pending.pop(id(tensor), None)
            if grad_out is None:
                continue  # nothing flows here (e.g. only through a None contribution)
            grad_out = sink.receive(tensor, grad_out)  # hooks, then .grad or the capture
            if node is None:
                continue  # a leaf (or a captured input): the walk ends here
            grads = _ask_op(node, tensor, grad_out, tracer)  # upstream × local, per input
            for inp, g in zip(node.inputs, grads):
                if g is not None and inp._requires_grad:  # a constant input's share is dropped
                    pending.add(inp, g)
            if not retain_graph:
                node.release(grad_out, grads, keep)
    return sink.captured


def _plan(roots: Sequence[Tensor],
          capture: Sequence[Tensor] | None) -> list[tuple[Tensor, Any]]:
    """The walk, output first: each tensor with the node to run there (None: stop there).

    ``backward()`` runs every node.  ``grad(outputs, inputs)`` visits only tensors through
    which a gradient reaches an input, and runs a node only if that input lies below it:
    hooks below the inputs never fire, and that part of the graph is not freed.
    """
    order = topological_order(roots)
    if capture is None:
        return [(t, t._ctx) for t in reversed(order)]
    wanted = {id(t) for t in capture}
    leads: set[int] = set()  # tensors from which an input is reached (the inputs included)
    expand: set[int] = set()  # ...and those whose node must run for that
    for t in order:  # parents before children, so a tensor's parents are decided first
        if t._ctx is not None and any(id(p) in leads for p in t._ctx.inputs):
            expand.add(id(t))
        if id(t) in wanted or id(t) in expand:
            leads.add(id(t))
    return [(t, t._ctx if id(t) in expand else None) for t in reversed(order) if id(t) in leads]


def _sink(capture: Sequence[Tensor] | None, seeds: Sequence[Tensor],
          create_graph: bool) -> LeafGrads | Capture:
    return LeafGrads(seeds, create_graph) if capture is None else Capture(capture)


class _Pending(dict):
    """Gradients waiting at each tensor (by id).  Two that meet are added: the multivariate
    chain rule."""

    def __init__(self, tracer: Tracer | None, roots: Sequence[Tensor],
                 seeds: Sequence[Tensor]) -> None:
        super().__init__()
        self.tracer = tracer
        for root, seed in zip(roots, seeds):
            self.add(root, seed)

    def add(self, tensor: Tensor, g: Tensor) -> None:
        previous = self.get(id(tensor))
        if previous is None:
            self[id(tensor)] = g
            return
        total = previous + g
        if self.tracer is not None:
            self.tracer.on_accumulate(tensor, previous, g, total)
        self[id(tensor)] = total


def _ask_op(node: Any, output: Tensor, grad_out: Tensor,
            tracer: Tracer | None) -> tuple[Tensor | None, ...]:
    """The op's backward: one gradient per input (None where none flows).

    The engine's own ops return one gradient per input, of its shape, by construction: only
    a dtype is corrected (float32 meeting float64 gives float64 gradients).  An op of yours,
    or any op in anomaly mode, has every gradient checked.
    """
    if node._released:
        raise node.released_error()
    node._versions is None or node.check_versions()  # inputs changed in place since recorded?
    raw = node.backward(grad_out)
    if node.builtin and not Config.anomaly:
        grads = raw if type(raw) is tuple else (raw,)
        for inp, g in zip(node.inputs, grads):
            if g is not None and g.data.dtype != inp.data.dtype:
                grads = _cast_to_inputs(node, grads)
                break
    else:
        grads = _checked_all(node, raw if type(raw) is tuple else (raw,))
    if tracer is not None:  # the trace shows no gradient for inputs that need none
        grads = tuple([g if inp._requires_grad else None for inp, g in zip(node.inputs, grads)])
        tracer.on_step(node, output, grad_out, grads)
    return grads


def _cast_to_inputs(node: Any, grads: tuple) -> tuple[Tensor | None, ...]:
    return tuple([g if g is None or g.dtype == inp.dtype else g.astype(inp.dtype)
                  for inp, g in zip(node.inputs, grads)])


def _checked_all(node: Any, raw: tuple) -> tuple[Tensor | None, ...]:
    if len(raw) != len(node.inputs):
        raise RuntimeError(
            f"{node.name}.backward returned {len(raw)} gradients for "
            f"{len(node.inputs)} inputs; return one per input (None where not needed)"
        )
    return tuple([
        None if g is None or not inp._requires_grad else _checked(node, i, inp, g)
        for i, inp, g in zip(range(len(raw)), node.inputs, raw)
    ])


def _checked(node: Any, index: int, inp: Tensor, g: Any) -> Tensor:
    """Every gradient must have its input's shape and dtype; say which op broke that."""
    if not isinstance(g, Tensor):  # custom ops may return plain arrays
        g = Tensor._from_op(np.asarray(g, dtype=inp.dtype), None)
    if g.shape != inp.shape:
        raise RuntimeError(
            f"{node.name}.backward returned a gradient of shape {g.shape} for input {index}, "
            f"whose shape is {inp.shape}; a gradient must have its input's shape"
        )
    if g.dtype != inp.dtype:
        g = g.astype(inp.dtype)
    if Config.anomaly and not np.all(np.isfinite(g.data)):
        raise RuntimeError(
            f"detect_anomaly: {node.name}.backward produced a non-finite gradient "
            f"(nan/inf) for input {index}; its forward ran at {node.forward_site}"
        )
    return g


def tensor_backward(tensor: Tensor, gradient: Any, grad: Any, retain_graph: bool | None,
                    create_graph: bool) -> None:
    """Implementation of ``Tensor.backward`` (see there): ``grad=`` is ``gradient``'s old name."""
    if grad is not None:
        if gradient is not None:
            raise TypeError("backward(): give the gradient once, as gradient= (grad= is its "
                            "older name), not both")
        gradient = grad
    seed = seed_gradient(tensor, gradient, "backward()")
    keep = create_graph if retain_graph is None else retain_graph
    run_backward([tensor], [seed], retain_graph=keep, create_graph=create_graph)


def backward(
    tensors: Tensor | Sequence[Tensor],
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
) -> None:
    """``torch.autograd.backward``: one backward pass from several outputs at once.

    Same as summing ``(t * g).sum()`` over the pairs and calling ``backward()`` on that: each
    leaf's ``.grad`` gets the sum of the contributions of all ``tensors``, and a node shared
    by two outputs runs once.  ``grad_tensors`` holds one seed per tensor (None for a
    one-element tensor).
    """
    roots = _tensors(tensors, "tensors", "backward()")
    seeds = [seed_gradient(t, g, "backward()") for t, g in zip(roots, _seeds(roots, grad_tensors))]
    keep = create_graph if retain_graph is None else retain_graph
    run_backward(roots, seeds, retain_graph=keep, create_graph=create_graph)


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """Gradients of ``outputs`` with respect to ``inputs``, returned; ``.grad`` is untouched.

    ``grad_outputs`` seeds non-scalar outputs (like ``backward(grad)``).  With
    ``create_graph=True`` the results are differentiable, so ``grad`` can be applied again
    (grad of grad, Hessian-vector products).  An input that does not influence the outputs
    is an error unless ``allow_unused=True``, in which case its gradient is ``None``.
    """
    outs = _tensors(outputs, "outputs", "grad()")
    ins = _tensors(inputs, "inputs", "grad()")
    for t in ins:
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"grad(): every input must be a Tensor that requires grad, got "
                               f"{t._label()}; create it with requires_grad=True (or leave it out)")
    seeds = [seed_gradient(o, g, "grad()") for o, g in zip(outs, _seeds(outs, grad_outputs))]
    keep = create_graph if retain_graph is None else retain_graph
    found = run_backward(outs, seeds, retain_graph=keep, create_graph=create_graph, capture=ins)
    result = tuple(found.get(id(t)) for t in ins)
    for t, g in zip(ins, result):
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad(): input {t._label()} is not used to compute the outputs; "
                "pass allow_unused=True to get None for it"
            )
    return result


def _tensors(value: Any, what: str, where: str) -> list[Tensor]:
    """A Tensor or a sequence of Tensors, as a list (``grad(outputs, inputs)``)."""
    values = [value] if isinstance(value, Tensor) else value
    if not isinstance(values, (list, tuple)) or not all(isinstance(v, Tensor) for v in values):
        raise TypeError(f"{where}: {what} must be a Tensor or a list of Tensors, got "
                        f"{type(value).__name__} {value!r:.60}")
    return list(values)


def _seeds(outs: list[Tensor], given: Any) -> list[Any]:
    """One seed (or None) per output, from ``grad_outputs``/``grad_tensors``."""
    if given is None or isinstance(given, (Tensor, np.ndarray)):
        return [given] * len(outs)
    given = list(given)
    if len(given) != len(outs):
        raise ValueError(
            f"{len(outs)} outputs but {len(given)} grad_outputs; give one "
            "gradient (or None for a scalar output) per output"
        )
    return given


def seed_gradient(tensor: Tensor, grad: Any, where: str) -> Tensor:
    """The gradient a backward pass starts from: ∂tensor/∂tensor = 1, or the caller's ``grad``.

    A non-scalar output has no natural seed, so it must be given (``grad=`` of its shape, as
    in PyTorch); ``backward``, ``grad`` and ``explain`` all start here.
    """
    if not tensor.requires_grad:
        raise RuntimeError(
            f"{where} on {tensor._label()}, which does not require grad: {_NOT_RECORDED}"
        )
    if grad is None:
        if tensor.data.size != 1:
            raise RuntimeError(
                f"{where} needs grad= for a non-scalar output of shape {tensor.shape}: call "
                ".sum() (or .mean()) first, or pass grad= (a gradient of that shape)"
            )
        return Tensor._from_op(np.ones(tensor.shape, dtype=tensor.dtype), None)
    g = grad if isinstance(grad, Tensor) else Tensor(grad, dtype=tensor.dtype)
    if g.shape != tensor.shape:  # RuntimeError, as PyTorch raises
        raise RuntimeError(
            f"{where}: the gradient has shape {g.shape} but the output has shape {tensor.shape}; "
            "they must match"
        )
    return g if g.dtype == tensor.dtype else g.astype(tensor.dtype)


_NOT_RECORDED = (
    "no recorded operation leads to it from a tensor with requires_grad=True (or it was "
    "computed under no_grad). If it is itself a gradient (a grad of a grad), compute that "
    "gradient with create_graph=True so it is recorded."
)
