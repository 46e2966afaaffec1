"""tg.gradcheck / tg.gradgradcheck as tools: they pass correct ops, and when an op is wrong the
error says which input, which element, both values -- and which recorded op is to blame."""

from __future__ import annotations

import re

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor


class BadCube(tg.Function):
    """y = x**3, with a deliberately wrong backward (2x² instead of 3x²)."""

    def forward(ctx, x):
        return x ** 3

    def backward(ctx, grad_out):
        (x,) = ctx.inputs
        return grad_out * 2 * x ** 2


class NumpyCube(tg.Function):
    """y = x**3 with a correct first derivative computed in raw NumPy: not differentiable again."""

    def forward(ctx, x):
        return x ** 3

    def backward(ctx, grad_out):
        (x,) = ctx.inputs
        return Tensor(grad_out.data * 3 * x.data ** 2)


class HalfDetachedCube(tg.Function):
    """y = x**3 whose backward 3·x·detach(x) has the right value but half the second derivative."""

    def forward(ctx, x):
        return x ** 3

    def backward(ctx, grad_out):
        (x,) = ctx.inputs
        return grad_out * 3 * x * x.detach()


def _inputs():
    x = Tensor(np.array([[0.5, -1.0], [1.5, 2.0]]), requires_grad=True, name="x")
    w = Tensor(np.array([0.3, -0.7]), requires_grad=True, name="w")
    return x, w


def test_gradcheck_returns_true_for_correct_compositions():
    x, w = _inputs()
    assert tg.gradcheck(lambda x, w: ((x * w).tanh() @ w.exp() + x.sum()).sigmoid(), [x, w]) is True
    assert tg.gradgradcheck(lambda x, w: ((x * w).tanh() @ w.exp()).sum(), [x, w]) is True


def test_gradcheck_accepts_float32_and_non_float_inputs():
    x = Tensor(np.array([0.1, 0.2, 0.3], dtype=np.float32))
    labels = Tensor([2, 0, 1])
    assert tg.gradcheck(lambda x, i: x[i] * x, [x, labels])
    assert x.dtype == np.float32 and not x.requires_grad  # the caller's tensor is untouched


def test_gradcheck_works_on_non_contiguous_inputs():
    """Regression: a transposed (Fortran-ordered) input used to be perturbed on a copy,
    so every numeric derivative came out 0."""
    x = Tensor(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]).T)
    assert not x.data.flags.c_contiguous
    assert tg.gradcheck(lambda t: (t * t).sum(), [x])


def test_wrong_op_in_a_composition_is_named_with_input_element_and_values():
    x, w = _inputs()
    with pytest.raises(tg.GradcheckError) as info:
        tg.gradcheck(lambda x, w: (BadCube.apply(x * w).tanh() + x).sum(), [x, w])
    message = str(info.value)
    first_line = message.splitlines()[0]
    assert re.search(r"input 'x' \(shape \(2, 2\)\) at element \(\d, \d\)", first_line)
    match = re.search(r"analytic (\S+) vs numeric (\S+)", first_line)
    assert match and float(match.group(1)) != pytest.approx(float(match.group(2)), rel=1e-3)
    # ... and the op whose backward is wrong, with where its forward ran
    assert "the recorded op whose backward is wrong: BadCube" in message
    assert "test_gradcheck_tool.py" in message
    # the local check of BadCube reports exactly 2/3 of the true derivative at that element
    local = re.search(r"BadCube.*analytic (\S+) vs numeric (\S+)", message, re.S)
    assert local and float(local.group(1)) == pytest.approx(2 / 3 * float(local.group(2)), rel=1e-6)


def test_analytic_and_numeric_values_in_the_message_are_the_real_ones():
    x = Tensor(np.array([2.0]), requires_grad=True, name="x")
    with pytest.raises(tg.GradcheckError, match=r"input 'x' \(shape \(1,\)\) at element \(0,\): "
                                                r"analytic 8 vs numeric 12"):
        tg.gradcheck(lambda t: BadCube.apply(t).sum(), [x])


def test_unnamed_inputs_are_numbered():
    x, w = _inputs()
    with pytest.raises(tg.GradcheckError, match=r"input 1 \(shape \(2,\)\)"):
        tg.gradcheck(lambda a, b: (a + 0 * BadCube.apply(b)).sum() + BadCube.apply(b).sum(),
                     [Tensor(x.data), Tensor(w.data)])


def test_backward_that_is_not_differentiable_passes_gradcheck_but_fails_gradgradcheck():
    x, _ = _inputs()
    assert tg.gradcheck(lambda t: NumpyCube.apply(t).sum(), [x])
    with pytest.raises(tg.GradcheckError, match=r"input 'x'.*analytic 0 vs numeric"):
        tg.gradgradcheck(lambda t: NumpyCube.apply(t).sum(), [x])


def test_gradgradcheck_catches_a_wrong_second_derivative():
    x, _ = _inputs()
    assert tg.gradcheck(lambda t: HalfDetachedCube.apply(t).sum(), [x])
    with pytest.raises(tg.GradcheckError) as info:
        tg.gradgradcheck(lambda t: (HalfDetachedCube.apply(t) * 2).sum(), [x])
    match = re.search(r"analytic (\S+) vs numeric (\S+)", str(info.value))
    assert match and float(match.group(1)) == pytest.approx(0.5 * float(match.group(2)), rel=1e-6)


def test_gradcheck_with_a_non_scalar_output_checks_every_element():
    """Output element 1 alone is wrong; the random projection still sees it."""
    class WrongSecondRow(tg.Function):
        def forward(ctx, x):
            return x * 2.0

        def backward(ctx, grad_out):
            scale = np.array([2.0, 2.0, 3.0])
            return grad_out * Tensor(scale)

    x = Tensor(np.array([1.0, 2.0, 3.0]))
    with pytest.raises(tg.GradcheckError, match=r"at element \(2,\)"):
        tg.gradcheck(lambda t: WrongSecondRow.apply(t), [x])


def test_gradcheck_rejects_non_tensor_outputs():
    with pytest.raises(TypeError, match="fn must return Tensors, got float"):
        tg.gradcheck(lambda t: 1.0, [Tensor([1.0])])
