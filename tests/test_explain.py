"""The chain-rule trace: its order is the engine's, its numbers are the engine's gradients."""

import ast
import importlib
import importlib.util
import pathlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import Tensor
from tinygrad_edu.autograd import GraphFreedError, topological_order
from tinygrad_edu.explain import Trace


def leaf(values, name):
    return Tensor(np.asarray(values, dtype=np.float64), requires_grad=True, name=name)


def expression():
    a, b, c = leaf(2.0, "a"), leaf(-3.0, "b"), leaf(10.0, "c")
    d = a * b + c
    return (a, b, c), d * d


def small_network():
    x = Tensor(np.array([[1.0, -2.0], [0.5, 3.0], [-1.0, 0.0]]), name="x")
    w = leaf([[0.1, -0.3, 0.2], [0.7, 0.4, -0.5]], "w")
    b = leaf([0.05, -0.1, 0.2], "b")
    h = (x @ w + b).tanh()
    return (w, b), (h.log_softmax(axis=1) * h).sum() + h.max() * 0.5


def shapes_and_indexing():
    u = leaf(np.arange(1.0, 7.0).reshape(2, 3), "u")
    v = leaf([0.5, -1.5, 2.0], "v")
    parts = tg.concatenate([u[0], u[1, ::-1] * v, u[:, 1]])
    picked = parts[[0, 0, 4]]  # a repeated index: gradients must add up
    gated = tg.where(parts.data > 0, parts, parts * 0.1)
    return (u, v), (picked.sum() + gated.exp().mean() + u.T.reshape(6).sigmoid().sum()
                    + (u / v).relu().sum() + u.maximum(v).sum())


BUILDERS = [expression, small_network, shapes_and_indexing]


def contributions_into(trace, tensor):
    """Add up every contribution the trace sends to ``tensor``, in the order they arrive."""
    total = None
    for step in trace:
        for c in step.contributions:
            if c.input is tensor and c.value is not None:
                total = c.value if total is None else total + c.value
    return total


@pytest.mark.parametrize("build", BUILDERS, ids=lambda f: f.__name__)
def test_trace_numbers_equal_the_gradients_backward_produces(build):
    leaves, loss = build()
    trace = tg.explain(loss)
    loss.backward()
    for t in leaves:
        summed = contributions_into(trace, t)
        np.testing.assert_allclose(summed, t.grad.data, rtol=1e-12, atol=1e-15)
        np.testing.assert_array_equal(trace.grad(t), t.grad.data)


@pytest.mark.parametrize("build", BUILDERS, ids=lambda f: f.__name__)
def test_steps_come_in_the_engine_order_with_the_ops_own_rules(build):
    _, loss = build()
    trace = tg.explain(loss)
    engine_order = [t._ctx for t in reversed(topological_order([loss])) if t._ctx is not None]
    assert [s.node for s in trace] == engine_order
    assert [s.number for s in trace] == list(range(1, len(engine_order) + 1))
    for step in trace:
        assert step.op == type(step.node).__name__
        rules = type(step.node).rules
        if len(rules) == 1:  # one rule for any number of inputs (Concatenate)
            rules = rules * len(step.contributions)
        assert [c.rule for c in step.contributions] == list(rules)
        assert step.output is step.node.output
        # The upstream gradient is the sum of what arrived from the later ops (or the seed).
        parts = [p for _, p in step.upstream_parts]
        np.testing.assert_allclose(np.sum(parts, axis=0), step.upstream, rtol=1e-12)
        for c in step.contributions:
            if c.value is not None:
                assert c.value.shape == c.input.shape
            if c.local is not None:  # elementwise: upstream ⊙ local = contribution
                np.testing.assert_allclose(step.upstream * c.local, c.value, rtol=1e-12, atol=1e-15)


def test_the_classic_example_step_by_step():
    (a, b, c), L = expression()
    trace = tg.explain(L)
    assert len(trace) == 3 and [s.op for s in trace] == ["Mul", "Add", "Mul"]
    first, second, third = trace
    assert first.formula == "L = Mul(add1, add1)"
    # d = a*b + c = 4 is used twice by d*d: two contributions of 4 meet and add up to 8.
    assert [float(c.value) for c in first.contributions] == [4.0, 4.0]
    (s,) = first.sums
    assert (float(s.previous), float(s.contribution), float(s.total)) == (4.0, 4.0, 8.0)
    assert float(second.upstream) == 8.0 and [n for n, _ in second.upstream_parts] == [1, 1]
    assert [float(c.local) for c in third.contributions] == [-3.0, 2.0]  # ∂(ab)/∂a = b, ∂/∂b = a
    assert [float(c.value) for c in third.contributions] == [-24.0, 16.0]
    text = str(trace)
    for line in ("Step 1 of 3 · Mul:  L = Mul(add1, add1)", "add1 already had a gradient, so the two add "
                 "up: 4 + 4 = 8", "upstream × local = 8 × (-3) = -24", "∂L/∂a = -24", "∂L/∂b = 16",
                 "∂L/∂c = 8", "(the sum of 2 contributions, from steps 1, 1)"):
        assert line in text
    assert str(third) in text


def test_matmul_has_a_rule_but_no_elementwise_local_number():
    (w, b), loss = small_network()
    matmul = next(s for s in tg.explain(loss) if s.op == "MatMul")
    assert matmul.contributions[0].value is None  # x is data: no gradient
    assert matmul.contributions[1].local is None and matmul.contributions[1].rule == "∂(X@Y)/∂Y: G ↦ Xᵀ@G"
    assert "no gradient: this input does not require grad" in str(matmul)


def test_large_tensors_print_shapes_and_statistics():
    x = leaf(np.linspace(-1, 1, 30).reshape(5, 6), "x")
    loss = (x * x).sum()
    text = str(tg.explain(loss))
    assert "shape (5, 6): mean" in text and "local =" not in text  # too big for a local number
    assert "[[" not in text


def test_explain_changes_no_grad_and_keeps_the_graph_usable():
    (a, b, c), L = expression()
    tg.explain(L)
    tg.explain(L)
    assert a.grad is None and b.grad is None and c.grad is None
    L.backward()
    assert (a.grad.item(), b.grad.item(), c.grad.item()) == (-24.0, 16.0, 8.0)


def test_after_a_plain_backward_explain_says_the_graph_is_gone():
    (a, b, c), L = expression()
    L.backward()
    with pytest.raises(RuntimeError, match=r"freed by backward\(\).*before loss.backward\(\).*"
                                           r"retain_graph=True"):
        tg.explain(L)
    (a, b, c), L = expression()
    L.backward(retain_graph=True)
    assert float(tg.explain(L).grad(a)) == -24.0  # forward values and the graph survive
    assert a.grad.item() == -24.0  # and .grad is still what backward left


def test_non_scalar_needs_a_seed_like_backward():
    x = leaf([1.0, 2.0, 3.0], "x")
    y = x * x
    with pytest.raises(RuntimeError, match="needs grad= for a non-scalar"):
        tg.explain(y)
    seed = np.array([1.0, 0.5, -1.0])
    trace = tg.explain(y, grad=seed)
    y.backward(seed)
    np.testing.assert_array_equal(trace.grad(x), x.grad.data)
    with pytest.raises(RuntimeError, match="gradient has shape"):  # as backward (PyTorch)
        tg.explain(x * 2.0, grad=np.ones(2))


def test_tensors_without_a_graph_are_refused():
    with pytest.raises(RuntimeError, match="does not require grad"):
        tg.explain(Tensor(1.0))
    with pytest.raises(TypeError, match="takes a Tensor"):
        tg.explain(3.0)


def test_hooks_are_part_of_the_traced_pass():
    x = leaf(3.0, "x")
    y = x * x
    y.register_hook(lambda g: g * 10)
    z = y + 1.0
    trace = tg.explain(z)
    assert float(trace.grad(x)) == 60.0
    z.backward()
    assert x.grad.item() == 60.0


def test_a_custom_function_without_rule_text_is_named():
    class Cube(tg.Function):
        def forward(ctx, x):
            return x ** 3

        def backward(ctx, grad_out):
            (x,) = ctx.inputs
            return grad_out * 3 * x * x

    x = leaf(2.0, "x")
    trace = tg.explain(Cube.apply(x))
    assert trace[0].contributions[0].rule == "(no rule text: Cube.rules is missing entry 0)"
    assert float(trace[0].contributions[0].local) == 12.0


def test_trace_is_a_sequence_of_steps():
    _, L = expression()
    trace = tg.explain(L)
    assert isinstance(trace, Trace) and trace[-1] is list(trace)[-1] and len(trace[0:2]) == 2
    assert repr(trace) == "<Trace of L: 3 steps>"
    assert trace.label(L) == "L" and [trace.label(t) for t in trace.leaves] == ["a", "b", "c"]


@settings(max_examples=25)
@given(st.lists(st.floats(-2, 2, allow_nan=False), min_size=6, max_size=6))
def test_trace_matches_backward_for_random_values(values):
    w = leaf(np.reshape(values[:4], (2, 2)), "w")
    v = leaf(values[4:], "v")
    h = (w @ v).tanh() * v + (w * w).sum(axis=0)
    loss = h.sigmoid().sum() + (w - v).exp().mean()
    trace = tg.explain(loss)
    loss.backward()
    for t in (w, v):
        np.testing.assert_allclose(contributions_into(trace, t), t.grad.data, rtol=1e-12, atol=1e-15)


def test_a_freed_graph_raises_graph_freed_error_with_its_message():
    (a, b, c), L = expression()
    L.backward()
    message = (r"^explain\(\): the graph was already freed by backward\(\) \(first freed op: Mul\)\. "
               r"Call tg.explain\(loss\) before loss.backward\(\), or use "
               r"loss.backward\(retain_graph=True\)\.$")
    with pytest.raises(GraphFreedError, match=message):
        tg.explain(L)
    assert issubclass(GraphFreedError, RuntimeError)  # so `except RuntimeError` still catches it


def _imported_modules(module):
    """Every module a module's source imports, relative imports resolved."""
    names = []
    tree = ast.parse(pathlib.Path(module.__file__).read_text(encoding="utf-8"))
    for node in ast.walk(tree):  # every import, those inside functions included
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            name = importlib.util.resolve_name("." * node.level + (node.module or ""), module.__package__)
            names += [name] + [f"{name}.{alias.name}" for alias in node.names]
    return names


@pytest.mark.parametrize("name", ["tinygrad_edu.explain", "tinygrad_edu.formatting"])
def test_the_trace_imports_nothing_from_the_pictures(name):
    """Data flows one way: viz/ reads explain and formatting, never the other way round."""
    module = importlib.import_module(name)
    names = _imported_modules(module)
    assert names and [n for n in names if n.split(".")[:2] == ["tinygrad_edu", "viz"]] == []
    borrowed = [k for k, v in vars(module).items()
                if str(getattr(v, "__module__", "")).startswith("tinygrad_edu.viz")]
    assert borrowed == []


def test_local_numbers_come_from_the_elementwise_flag_with_one_vjp():
    class Square(tg.Function):
        rules = ("∂(x²)/∂x = 2·x",)
        calls = 0

        def forward(ctx, x):
            return x * x

        def backward(ctx, grad_out):
            type(ctx).calls += 1
            (x,) = ctx.inputs
            return grad_out * 2 * x

    class ElementwiseSquare(Square):
        elementwise = True
        calls = 0

    x = leaf([1.0, -2.0, 3.0], "x")
    plain = tg.explain(Square.apply(x).sum())
    assert plain[1].op == "Square" and plain[1].contributions[0].local is None  # no flag: no number
    flagged = tg.explain(ElementwiseSquare.apply(x).sum())
    np.testing.assert_array_equal(flagged[1].contributions[0].local, [2.0, -4.0, 6.0])
    assert "local = [2, -4, 6]" in str(flagged[1])
    # The traced backward once; with the flag, one vector-Jacobian product for the local numbers.
    assert (Square.calls, ElementwiseSquare.calls) == (1, 2)


def test_a_matmul_with_a_diagonal_jacobian_still_shows_no_local_number():
    """The local numbers come from the op's flag, not from a Jacobian that happens to be diagonal."""
    w = Tensor(np.diag([2.0, -1.0]), name="w")
    v = leaf([0.5, 1.5], "v")
    matmul = tg.explain((w @ v).sum())[1]
    assert matmul.op == "MatMul" and matmul.contributions[1].local is None
    np.testing.assert_array_equal(matmul.contributions[1].value, [2.0, -1.0])
