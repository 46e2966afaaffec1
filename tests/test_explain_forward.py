"""The forward-mode trace: the jvp rule and the numbers of every step, in the engine's order."""

import html

import numpy as np
import pytest
from test_explain import BUILDERS, leaf

import tinygrad_edu as tg
from tinygrad_edu.autograd import GraphFreedError
from tinygrad_edu.explain import read_graph


def test_one_product_prints_the_rule_with_the_numbers_put_in():
    x, y = leaf(2.0, "x"), leaf(3.0, "y")
    trace = tg.explain_forward(x * y, [x, y], [1.0, 0.0])
    assert str(trace) == (
        "Forward mode for L = 6 (scalar, float64): 1 forward step, inputs first, in the order "
        "the engine runs them.\n"
        "seed (the direction to differentiate along): tangent of x = 1, tangent of y = 0\n\n"
        "Step 1 of 1 · Mul:  L = Mul(x, y)\n"
        "  ż = ẋ·y + x·ẏ   (here z = L)\n"
        "    = 1·3 + 2·0 = 3\n\n"
        "Tangent of the output: tangent of L = 3   (J·v: Σ ∂L/∂input · tangent of that input)")


def test_each_step_shows_its_rule_and_negative_numbers_in_parentheses():
    a, b = leaf(2.0, "a"), leaf(-3.0, "b")
    out = (a * b).exp() + a ** 2
    lines = str(tg.explain_forward(out, [a, b], [0.5, -1.0])).split("\n")
    assert "  ż = ẋ·y + x·ẏ   (here x = a, y = b, z = mul1)" in lines
    assert "    = 0.5·(-3) + 2·(-1) = -3.5" in lines
    assert "  ż = exp(x)·ẋ   (here x = mul1, z = exp1)" in lines
    assert "    = exp(-6)·(-3.5) = -0.008676" in lines
    assert "  ż = c·x^(c-1)·ẋ   (here x = a, z = powconst1)" in lines
    assert "    = 2·2^(2-1)·0.5 = 2" in lines
    assert "    = -0.008676 + 2 = 1.991" in lines  # no parentheses where the sum starts
    assert lines[-1].startswith("Tangent of the output: tangent of L = 1.991")


def test_arrays_are_shown_as_blocks_and_a_missing_tangent_as_zero():
    w = leaf([[1.0, -2.0], [0.5, 1.0]], "w")
    v = leaf([1.0, 2.0], "v")
    trace = tg.explain_forward((w @ v).sum(), [w], [np.ones((2, 2))])
    text = str(trace).split("\n\n")[1]
    assert text == (
        "Step 1 of 2 · MatMul:  matmul1 = MatMul(w, v)\n"
        "  ż = ẋ@y + x@ẏ   (here x = w, y = v, z = matmul1)\n"
        "      ẋ (tangent of w) =\n"
        "        [[1, 1],\n"
        "         [1, 1]]\n"
        "      ẏ = 0   (no tangent reaches v)\n"
        "      ż (tangent of matmul1) = [3, 3]")


@pytest.mark.parametrize("build", BUILDERS, ids=lambda f: f.__name__)
def test_the_trace_runs_in_topological_order_and_ends_at_the_directional_derivative(build):
    leaves, out = build()
    rng = np.random.default_rng(0)
    tangents = [rng.standard_normal(t.shape) for t in leaves]
    graph = read_graph(out)
    trace = tg.explain_forward(out, list(leaves), tangents, graph=graph)
    reverse = tg.explain(out, graph=graph)  # one graph, one name per tensor, both directions
    assert {s.output_label for s in trace} <= {s.output_label for s in reverse}
    # J·v from the trace equals ⟨∇out, v⟩ from reverse mode
    grads = tg.grad(out, list(leaves), retain_graph=True)
    expected = sum(float(np.sum(g.numpy() * v)) for g, v in zip(grads, tangents))
    assert trace.output_tangent.item() == pytest.approx(expected, rel=1e-12)
    # every step's output comes after the outputs of the steps feeding it
    position = {id(s.output): s.number for s in trace}
    for step in trace:
        for inp in step.node.inputs:
            assert position.get(id(inp), 0) < step.number
        assert np.array_equal(trace.tangent(step.output), step.tangent)
    assert all(leaf.grad is None for leaf in leaves)  # nothing was changed


def test_misuse_is_named():
    x, y = leaf(2.0, "x"), leaf([1.0, 2.0], "y")
    out = (x * y).sum()
    with pytest.raises(ValueError, match=r"the tangent for y has shape \(3,\), but y has shape \(2,\)"):
        tg.explain_forward(out, [x, y], [1.0, [1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match="2 inputs but 1 tangents"):
        tg.explain_forward(out, [x, y], [1.0])
    with pytest.raises(ValueError, match=r"input .* is not part of the output's recorded graph"):
        tg.explain_forward(out, [leaf(1.0, "other")], [1.0])
    with pytest.raises(ValueError, match=r"graph= was read from out, not from this output"):
        tg.explain_forward(out, [x], [1.0], graph=read_graph(x * y))
    with pytest.raises(TypeError, match="takes the output Tensor first"):
        tg.explain_forward(1.0, [x], [1.0])
    out.backward()
    with pytest.raises(GraphFreedError, match=r"explain_forward\(\): the graph was already freed"):
        tg.explain_forward(out, [x, y], [1.0, [0.0, 1.0]])


def test_a_custom_function_with_several_outputs_and_the_notebook_view():
    class Pair(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 2.0, x.exp()

        @staticmethod
        def backward(ctx, ga, gb):
            (x,) = ctx.saved_tensors
            return ga * 2.0 + gb * x.exp()

        @staticmethod
        def jvp(ctx, tx):
            (x,) = ctx.saved_tensors
            return tx * 2.0, tx * x.exp()

    x = leaf([0.0, 1.0], "x")
    a, b = Pair.apply(x)
    out = (a * b).sum()
    trace = tg.explain_forward(out, x, np.array([1.0, 0.0]))
    assert "(no rule text: Pair.jvp_rules is empty)" in str(trace)
    # d/dx₀ of Σ 2x·eˣ at x = (0, 1) along (1, 0): 2·e⁰ + 2·0·e⁰ = 2
    assert trace.output_tangent.item() == pytest.approx(2.0, rel=1e-15)
    page = trace._repr_html_()  # what Jupyter shows: the printed text, escaped
    assert page.startswith("<pre>Forward mode for L = ") and page.endswith("</pre>")
    assert html.unescape(page[len("<pre>"):-len("</pre>")]) == str(trace)


def test_tg_explain_traces_forward_mode_when_given_inputs_and_tangents():
    x, y = leaf(2.0, "x"), leaf(3.0, "y")
    out = x * y
    assert str(tg.explain(out, inputs=[x, y], tangents=[1.0, 0.0])) == str(
        tg.explain_forward(out, [x, y], [1.0, 0.0]))
    with pytest.raises(ValueError, match=r"forward mode needs both inputs= .* and tangents="):
        tg.explain(out, tangents=[1.0, 0.0])
