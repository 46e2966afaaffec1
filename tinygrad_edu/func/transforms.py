"""The function transforms of ``tg.func``, named and behaving as in ``torch.func``.

Each one calls the function with recording on, then runs one of the two engines over the
graph it recorded: reverse mode (``autograd.grad``, one backward pass per output element)
for ``vjp``, ``grad`` and ``jacrev``; forward mode (``forward.run_forward``, one pass per
input element) for ``jvp`` and ``jacfwd``.  ``hessian`` and ``hvp`` are forward over
reverse: a tangent pushed through the graph that ``grad`` recorded.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .. import autograd
from ..config import enable_grad, no_grad
from ..creation import stack, zeros, zeros_like
from ..forward import run_forward
from ..tensor import Tensor
from .arguments import (
    differentiable_input,
    differentiated_arguments,
    function_outputs,
    matching,
    one_hot,
    packed,
    reaches_outside,
    tensor_tuple,
)


def jvp(func: Callable[..., Any], primals: Any, tangents: Any) -> tuple[Any, Any]:
    """``(func(*primals), J·tangents)``: the output and its directional derivative.

    J is the Jacobian of ``func`` at ``primals``; ``tangents`` holds one direction per primal,
    of its shape.  Forward mode: one pass through the recorded graph, inputs first, each op's
    ``jvp`` giving ż from the tangents of its inputs.  ``primals`` and ``tangents`` are
    tuples of Tensors (one Tensor is accepted for one argument); a function returning a
    tuple of Tensors gets a tuple of tangents.
    """
    where = "jvp()"
    primals = tensor_tuple(primals, "primals", where)
    tangents = matching(tangents, primals, "tangents", "primals", where)
    inputs = tuple(differentiable_input(p) for p in primals)
    with enable_grad():
        outs, several = function_outputs(func(*inputs), where)
    # Record the tangent's own graph only if something outside will differentiate it.
    outside = reaches_outside(outs, inputs) or any(t.requires_grad for t in tangents)
    with enable_grad() if outside else no_grad():
        found = run_forward(inputs, tangents, outs)
    tangent_outs = tuple(zeros_like(o) if t is None else t for o, t in zip(outs, found))
    return packed(_returned(outs, outside), several), packed(tangent_outs, several)


def vjp(func: Callable[..., Any], *primals: Tensor) -> tuple[Any, Callable[[Any], tuple]]:
    """``(func(*primals), vjp_fn)``; ``vjp_fn(cotangents)`` gives uᵀJ, one tensor per primal.

    ``cotangents`` has the output's structure (one Tensor, or a tuple for a tuple of
    outputs) and shapes.  Reverse mode: each call of ``vjp_fn`` is one backward pass over
    the graph recorded once, so it may be called many times.
    """
    where = "vjp()"
    primals = tensor_tuple(primals, "primals", where)
    inputs = tuple(differentiable_input(p) for p in primals)
    with enable_grad():
        outs, several = function_outputs(func(*inputs), where)
    outside = reaches_outside(outs, inputs)

    def vjp_fn(cotangents: Any) -> tuple[Tensor, ...]:
        cts = matching(cotangents if several else (cotangents,), outs, "cotangents", "outputs",
                       "vjp_fn()")
        return _backward(outs, cts, inputs, outside or any(c.requires_grad for c in cts))

    return packed(_returned(outs, outside), several), vjp_fn


def grad_and_value(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable:
    """A function giving ``(∇func, func)`` at its arguments; ``func`` must return one number.

    The gradient is taken with respect to the arguments at ``argnums`` (a tuple of them for
    a tuple of argnums), by one backward pass.
    """
    @functools.wraps(func)
    def grad_and_value_of(*args: Any) -> tuple[Any, Tensor]:
        where = "grad()"
        call, inputs = differentiated_arguments(args, argnums, where)
        with enable_grad():
            out = func(*call)
        if not isinstance(out, Tensor) or out.size != 1:
            got = f"a tensor of shape {out.shape}" if isinstance(out, Tensor) else type(out).__name__
            raise RuntimeError(
                f"{where}: the function must return a scalar Tensor (one element), got {got}; "
                "reduce it first (.sum(), .mean()), or use jacrev / vjp for a non-scalar output")
        outside = reaches_outside([out], inputs)
        grads = _backward((out,), (None,), inputs, outside)
        return (grads[0] if isinstance(argnums, int) else grads), _returned((out,), outside)[0]

    return grad_and_value_of


def grad(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable:
    """The gradient of ``func`` (which returns one number) as a function of its arguments.

    ``grad(f)(x)`` is ∇f(x), of x's shape; ``argnums`` picks the arguments, as in
    ``torch.func.grad``.  Being a function itself, it composes: ``grad(grad(f))`` is f''
    for a scalar f, and ``jvp(grad(f), (x,), (v,))`` a Hessian-vector product.
    """
    @functools.wraps(func)
    def gradient_of(*args: Any) -> Any:
        return grad_and_value(func, argnums)(*args)[0]

    return gradient_of


def jacrev(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable:
    """The Jacobian of ``func`` by reverse mode: one backward pass per output element.

    ``jacrev(f)(x)`` has shape ``f(x).shape + x.shape``: row k is the gradient of output
    element k.  A tuple of argnums gives a tuple of Jacobians; a tuple of outputs, a tuple
    (per output) of those.  Cheap when the outputs are few (m backward passes, whatever n).
    """
    @functools.wraps(func)
    def jacobian_of(*args: Any) -> Any:
        call, inputs = differentiated_arguments(args, argnums, "jacrev()")
        with enable_grad():
            outs, several = function_outputs(func(*call), "jacrev()")
        outside = reaches_outside(outs, inputs)
        per_output = []
        for o in outs:
            rows = [_backward((o,), (one_hot(o.shape, k, o.dtype),), inputs, outside)
                    for k in range(o.size)]  # row k: the gradient of o's element k
            per_output.append(tuple(_joined([r[i] for r in rows], o, x, axis=0)
                                    for i, x in enumerate(inputs)))
        return _structured(per_output, argnums, several)

    return jacobian_of


def jacfwd(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable:
    """The Jacobian of ``func`` by forward mode: one forward pass per input element.

    Same result and shapes as ``jacrev``; cheap when the inputs are few (n forward passes,
    whatever m).  Column k is the tangent of the outputs along the k-th basis direction.
    """
    @functools.wraps(func)
    def jacobian_of(*args: Any) -> Any:
        call, inputs = differentiated_arguments(args, argnums, "jacfwd()")
        with enable_grad():
            outs, several = function_outputs(func(*call), "jacfwd()")
        outside = reaches_outside(outs, inputs)
        columns: list[list[Tensor]] = [[] for _ in outs]  # [output][input]: one Jacobian
        for i, x in enumerate(inputs):
            cols: list[list[Tensor]] = [[] for _ in outs]
            for k in range(x.size):
                seeds = [one_hot(x.shape, k, x.dtype) if j == i else None
                         for j in range(len(inputs))]
                with enable_grad() if outside else no_grad():
                    found = run_forward(inputs, seeds, outs)
                for col, o, t in zip(cols, outs, found):
                    col.append(zeros_like(o) if t is None else t)
            for j, o in enumerate(outs):
                columns[j].append(_joined(cols[j], o, x, axis=o.ndim))
        return _structured([tuple(c) for c in columns], argnums, several)

    return jacobian_of


def hessian(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable:
    """The Hessian of a scalar ``func``: ``jacfwd(jacrev(func))``, forward over reverse.

    ``hessian(f)(x)`` has shape ``x.shape + x.shape``.  Reverse mode records the gradient's
    graph once; forward mode then pushes one tangent per input element through it.
    """
    return jacfwd(jacrev(func, argnums), argnums)


def hvp(func: Callable[..., Any], primals: Any, tangents: Any) -> Any:
    """The Hessian-vector product H·v of a scalar ``func`` at ``primals``, forward over reverse.

    ``jvp(grad(func), primals, tangents)``: one backward pass records ∇f, one forward pass
    pushes v through that graph -- H·v without forming H (n×n), at the cost of about two
    gradients.  ``primals``/``tangents``: one Tensor each, or tuples of them (then a tuple).
    """
    several = not isinstance(primals, Tensor)
    argnums = tuple(range(len(primals))) if several and isinstance(primals, (tuple, list)) else 0
    return jvp(grad(func, argnums), primals, tangents)[1]


# -- shared pieces ---------------------------------------------------------------------------
def _backward(outs: tuple[Tensor, ...], cotangents: tuple[Tensor | None, ...],
              inputs: tuple[Tensor, ...], record: bool) -> tuple[Tensor, ...]:
    """One backward pass: uᵀJ for each input (zeros where the outputs do not depend on it)."""
    live = [(o, c) for o, c in zip(outs, cotangents) if o.requires_grad]
    grads: tuple[Tensor | None, ...] = (None,) * len(inputs)
    if live:
        grads = autograd.grad([o for o, _ in live], list(inputs), [c for _, c in live],
                              retain_graph=True, create_graph=record, allow_unused=True)
    return tuple(zeros_like(x) if g is None else g for x, g in zip(inputs, grads))


def _joined(parts: list[Tensor], out: Tensor, x: Tensor, axis: int) -> Tensor:
    """Rows (axis 0) or columns (last axis) of one Jacobian, shaped ``out.shape + x.shape``."""
    shape = out.shape + x.shape
    if not parts:  # an empty output or input: an empty Jacobian
        return zeros(shape, dtype=out.dtype)
    return stack(parts, axis=axis).reshape(shape)


def _structured(per_output: list[tuple[Tensor, ...]], argnums: Any, several: bool) -> Any:
    """Jacobians as torch.func nests them: per output (if a tuple), then per argnum (if a tuple)."""
    by_arg = [j[0] if isinstance(argnums, int) else j for j in per_output]
    return tuple(by_arg) if several else by_arg[0]


def _returned(outs: tuple[Tensor, ...], outside: bool) -> tuple[Tensor, ...]:
    """The function's outputs as given back: cut from the stand-ins' graph, unless something
    outside the transform differentiates them (then they stay connected)."""
    return outs if outside else tuple(o.detach() for o in outs)
