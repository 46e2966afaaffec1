"""The forward-and-reverse picture (viz.draw_modes) and the tangent pass it draws (viz.tangents):
tangents against finite differences, the jvp rule and its terms on the edges, the two halves
agreeing, determinism, errors, rendering."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_edu import Tensor, viz
from tinygrad_edu.viz.renderer import find_renderer
from tinygrad_edu.viz.tangents import GENERIC_RULE, tangent_pass


def chain(a=2.0, b=-3.0, c=10.0):
    """L = (a·b + c)², the README's graph, in float64."""
    a, b, c = (Tensor(v, requires_grad=True, name=n, dtype=np.float64)
               for v, n in ((a, "a"), (b, "b"), (c, "c")))
    L = (a * b + c) ** 2
    L.name = "L"
    return a, b, c, L


def central_difference(f, x, v, h=1e-6):
    return (f(x + h * v) - f(x - h * v)) / (2 * h)


def test_default_seed_is_the_first_input_and_gives_its_derivative():
    a, b, c, L = chain()
    fp = tangent_pass(L)
    assert fp.inputs == (a, b, c)
    # dL/da = 2(ab + c)·b = 2·4·(-3)
    assert fp.tangent(L) == pytest.approx(-24.0)
    assert fp.tangent(b) is None and fp.tangent(c) is None  # zero tangents are not carried
    assert [s.output_label for s in fp.steps] == ["mul1", "add1", "L"]


def test_tangent_matches_central_differences_along_a_direction():
    v = np.array([0.3, -1.1, 0.7])
    _, _, _, L = chain()
    fp = tangent_pass(L, tangents=list(v))

    def f(p):
        return (p[0] * p[1] + p[2]) ** 2

    assert fp.tangent(L) == pytest.approx(central_difference(f, np.array([2.0, -3.0, 10.0]), v),
                                          rel=1e-8)


def test_terms_are_each_inputs_share_and_sum_to_the_tangent():
    a, b, _, L = chain()
    fp = tangent_pass(L, [a, b], [1.0, 2.0])
    mul = fp.steps[0]
    assert mul.rule == "ż = ẋ·y + x·ẏ"
    # ẋ·y = 1·(-3), x·ẏ = 2·2
    assert [(i, float(t)) for i, t in mul.terms] == [(0, -3.0), (1, 4.0)]
    assert float(mul.tangent) == 1.0


def test_edge_label_shows_the_rule_with_its_numbers_put_in():
    a, b, _, L = chain()
    source = viz.draw_modes(L, [a, b], [1.0, 2.0]).source
    assert "ż = ẋ·y + x·ẏ<BR/>= 1·(-3) + 2·2 = 1" in source  # explain_forward's numbers
    assert "<BR/>= 2·4^(2-1)·1 = 8" in source  # the square: c·x^(c-1)·ẋ


def test_edge_label_of_a_vector_step_shows_each_inputs_term_then_the_sum():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True, name="x")
    y = Tensor(np.array([3.0, 4.0]), requires_grad=True, name="y")
    source = viz.draw_modes((x * y).sum(), [x, y], [np.ones(2), np.ones(2)]).source
    assert "ż = ẋ·y + x·ẏ<BR/>= [3, 4] + [1, 2] = [4, 6]" in source  # ẋ·y and x·ẏ
    assert "<BR/>= 10" in source


def test_the_two_halves_agree_and_the_caption_says_so():
    a, b, c, L = chain()
    source = viz.draw_modes(L, [a, b, c], [1.0, 0.5, -2.0]).source
    # forward: J·v = -24·1 + 16·0.5 + 8·(-2) = -32; reverse gives the gradients -24, 16, 8
    assert "gives the tangent of L = -32" in source
    assert "Σᵢ ⟨∂L/∂xᵢ, ẋᵢ⟩ = -32" in source
    for k, grad in ((1, "-24"), (2, "16"), (3, "8")):
        assert re.search(rf'rt{k}_value"><FONT[^>]*>grad = {grad}<', source)
    assert re.search(r'ft1_value"><FONT[^>]*>tangent = 1<', source)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-3, 3), min_size=3, max_size=3),
       st.lists(st.floats(-2, 2), min_size=3, max_size=3))
def test_forward_tangent_equals_gradient_dot_tangent(values, direction):
    a, b, c, L = chain(*values)
    fp = tangent_pass(L, [a, b, c], direction)
    L.backward()
    expected = sum(x.grad.item() * v for x, v in zip((a, b, c), direction))
    got = 0.0 if fp.tangent(L) is None else float(fp.tangent(L))
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_an_op_without_a_tangent_gets_a_zero_edge_and_constants_a_dotted_one():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True, name="x")
    w = Tensor(np.array([3.0, 4.0]), requires_grad=True, name="w")
    k = Tensor(np.array([5.0, 6.0]), name="k")
    y = (x * k + w.exp()).sum()
    source = viz.draw_modes(y, [x, w], [np.ones(2), None]).source
    assert "ż = 0" in source  # exp(w) gets no tangent
    assert re.search(r"ft\d+ -> fop\d+ \[[^]]*style=dotted", source)  # k is a constant


def test_dot_source_is_deterministic():
    sources = {viz.draw_modes(chain()[3]).source for _ in range(3)}
    assert len(sources) == 1


def test_bad_arguments_say_what_is_wrong():
    a, b, _, L = chain()
    with pytest.raises(ValueError, match=r"tangents\[0\] has shape \(2,\), but its input has shape \(\)"):
        viz.draw_modes(L, [a], [np.ones(2)])
    with pytest.raises(ValueError, match="2 tangents for 1 inputs"):
        viz.draw_modes(L, [a], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"inputs\[0\].*not a tensor that requires grad in the graph of L"):
        viz.draw_modes(L, [Tensor(1.0, requires_grad=True)])
    with pytest.raises(ValueError, match="does not require grad"):
        viz.draw_modes(Tensor(1.0) * 2)
    with pytest.raises(TypeError, match=r"inputs\[1\] is list"):
        viz.draw_modes(L, [a, [1.0]])
    with pytest.raises(ValueError, match="rankdir"):
        viz.draw_modes(L, rankdir="up")
    with pytest.raises(ValueError, match="more than max_nodes=3"):
        viz.draw_modes(L, max_nodes=3)


def test_an_op_of_yours_without_jvp_rules_text_gets_the_generic_rule():
    from tinygrad_edu.function import Function

    class Twice(Function):
        def forward(ctx, x):
            return 2 * x

        def backward(ctx, grad_out):
            return grad_out * 2

        def jvp(ctx, tx):
            return tx * 2

    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    fp = tangent_pass(Twice.apply(x).sum())
    assert fp.steps[0].rule == GENERIC_RULE
    np.testing.assert_array_equal(fp.steps[0].tangent, [2.0, 2.0])


@pytest.mark.skipif(find_renderer() is None, reason="no Graphviz renderer")
def test_renders_with_both_halves_and_their_cells():
    svg = viz.render(viz.draw_modes(chain()[3]).source, "svg").decode()
    for title in ("forward mode (jvp)", "reverse mode (vjp)"):
        assert title in svg
    # Graphviz writes a cell's id on its link as a_<id>; both halves have one per tensor
    assert {f'id="a_{h}t{k}_value"' for h in "fr" for k in range(1, 7)} <= set(
        re.findall(r'id="a_[fr]t\d+_value"', svg))
