"""Misuse gives a standard exception whose message names the op, the shapes or values, and what
to do (issue 2, section 6) -- never a raw NumPy traceback.  Plus the numerically stable forms:
sigmoid, softmax and log_softmax at extreme inputs, in float32 and float64."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor


# -- bad data -----------------------------------------------------------------------------------------
def test_string_data():
    with pytest.raises(TypeError, match=r"the string 'abc'.*convert text to numbers"):
        Tensor("abc")
    with pytest.raises(TypeError, match=r"bool, integers, float32 or float64.*<U1"):
        Tensor(["a", "b"])


def test_ragged_list():
    with pytest.raises(ValueError, match=r"ragged nested list.*same length"):
        Tensor([[1.0, 2.0], [3.0]])


def test_object_array():
    with pytest.raises(TypeError, match=r"dtype object.*ragged lists or mixed types"):
        Tensor(np.array([1.0, None], dtype=object))
    with pytest.raises(TypeError, match=r"Tensor\(None\): a tensor needs data"):
        Tensor(None)


def test_complex_data():
    with pytest.raises(TypeError, match="complex128"):
        Tensor([1j])


def test_list_of_tensors_that_require_grad_suggests_stack():
    a = Tensor(1.0, requires_grad=True)
    with pytest.raises(TypeError, match=r"list of Tensors that require grad.*cut them from the "
                                        r"graph.*tg\.stack"):
        Tensor([a, Tensor(2.0)])
    assert Tensor([a.detach(), Tensor(2.0)]).tolist() == [1.0, 2.0]  # constants are fine


def test_item_assignment_explains_the_alternatives():
    t = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"item assignment.*tg\.where.*no_grad"):
        t[0] = 5.0


def test_in_place_update_of_a_parameter_while_recording():
    w = Tensor([1.0, 2.0], requires_grad=True, name="w")
    with pytest.raises(RuntimeError, match=r"-= on tensor 'w', a leaf that requires grad, while "
                                           r"recording.*tg\.no_grad\(\)"):
        w -= 0.1
    ints = Tensor([1, 2])
    with pytest.raises(TypeError, match=r"\+= cannot update .* \(dtype int64\) in place with float"):
        ints += 0.5
    with pytest.raises(ValueError, match=r"\*= cannot update .* with ndarray of shape \(3,\)"):
        ints *= np.ones(3, dtype=np.int64)


@pytest.mark.parametrize("data", [[1, 2], np.array([1, 2], dtype=np.int32), [True, False]])
def test_requires_grad_on_integer_or_bool_data(data):
    with pytest.raises(TypeError, match=r"only floating-point tensors can require gradients.*"
                                        r"dtype (int|bool).*dtype=np\.float32"):
        Tensor(data, requires_grad=True)


def test_requires_grad_on_integer_constructors():
    with pytest.raises(TypeError, match="int64"):
        tg.ones_like(Tensor([1, 2]), requires_grad=True)
    with pytest.raises(TypeError, match="int64"):
        tg.zeros(2, dtype=np.int64, requires_grad=True)


def test_bad_shapes_and_seeds_for_constructors():
    with pytest.raises(ValueError, match=r"non-negative integers, got \(-1,\)"):
        tg.zeros(-1)
    with pytest.raises(ValueError, match=r"non-negative integers, got \(2\.5,\)"):
        tg.randn(2.5)
    with pytest.raises(ValueError, match="non-negative integer, got -1"):
        tg.manual_seed(-1)
    with pytest.raises(TypeError, match="np.random.Generator"):
        tg.randn(2, rng=42)


# -- shapes ---------------------------------------------------------------------------------------------
def test_matmul_misaligned_names_both_shapes():
    a, b = Tensor(np.ones((2, 3))), Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3\) and \(2, 3\) are not aligned.*"
                                         r"left operand \(3\).*second-to-last.*right \(2\)"):
        a @ b
    with pytest.raises(ValueError, match=r"shapes \(3,\) and \(4,\).*only dimension"):
        Tensor(np.ones(3)) @ Tensor(np.ones(4))
    with pytest.raises(ValueError, match=r"matmul \(batch dimensions\): shapes \(2,\) and \(3,\)"):
        Tensor(np.ones((2, 2, 3))) @ Tensor(np.ones((3, 3, 4)))
    with pytest.raises(ValueError, match=r"at least 1 dimension.*\(\) and \(1,\).*use \*"):
        Tensor(2.0) @ Tensor([1.0])


@pytest.mark.parametrize("requires_grad", [False, True])
def test_non_broadcastable_shapes(requires_grad):
    a = Tensor(np.ones((2, 3)), requires_grad=requires_grad)
    b = Tensor(np.ones((2, 4)))
    pattern = r"shapes \(2, 3\) and \(2, 4\) cannot be broadcast together.*reshape or unsqueeze"
    with pytest.raises(ValueError, match="Add: " + pattern):
        a + b
    with pytest.raises(ValueError, match="Mul: " + pattern):
        a * b
    with pytest.raises(ValueError, match="Maximum: " + pattern):
        a.maximum(b)
    with pytest.raises(ValueError, match=r"where: shapes \(3,\) and \(2,\)"):
        tg.where(np.array([True, False, True]), Tensor([1.0, 2.0]), 0.0)
    with pytest.raises(ValueError, match=r"shapes \(2, 3\) and \(4, 3\) cannot be broadcast"):
        a.broadcast_to(4, 3)
    with pytest.raises(ValueError, match=r"greater: shapes \(2, 3\) and \(2, 4\)"):
        _ = a > b


def test_reshape_to_the_wrong_size():
    t = Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"cannot reshape a tensor of shape \(2, 3\) \(6 elements\) "
                                         r"into shape \(4, 2\) \(8 elements\)"):
        t.reshape(4, 2)
    with pytest.raises(ValueError, match=r"cannot reshape \(2, 3\) \(6 elements\) to \(4, -1\)"):
        t.reshape(4, -1)
    with pytest.raises(ValueError, match="only one dimension may be -1"):
        t.reshape(-1, -1)
    with pytest.raises(TypeError, match=r"sizes must be integers, got \(2\.5, 3\)"):
        Tensor(np.ones(6)).reshape(2.5, 3)


@pytest.mark.parametrize("call, op", [
    (lambda t: t.sum(axis=2), "sum"),
    (lambda t: t.mean(axis=-3), "mean"),
    (lambda t: t.max(axis=(0, 5)), "max"),
    (lambda t: t.var(axis=2), "var"),
    (lambda t: t.softmax(axis=2), "log_softmax"),
    (lambda t: t.argmax(axis=2), "argmax"),
    (lambda t: t.squeeze(2), "squeeze"),
    (lambda t: t.swapaxes(0, 2), "transpose"),  # swapaxes(a, b) is transpose(a, b)
    (lambda t: t.transpose(0, 2), "transpose"),
])
def test_axis_out_of_range(call, op):
    t = Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=rf"{op}: axis -?\d is out of range for a tensor of shape "
                                         r"\(2, 3\) \(valid: -2 to 1\)"):
        call(t)


def test_other_shape_misuse():
    t = Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"unsqueeze: axis 5 is out of range for a 2-d tensor"):
        t.unsqueeze(5)
    with pytest.raises(ValueError, match=r"squeeze: axis 0 has size 2, not 1 \(shape \(2, 3\)\)"):
        t.squeeze(0)
    with pytest.raises(ValueError, match=r"permute: dims \(0, 0\) are not a permutation.*transpose\(dim0"):
        t.permute(0, 0)
    with pytest.raises(ValueError, match=r"repeated axis"):
        t.sum(axis=(0, 0))
    with pytest.raises(ValueError, match=r"concatenate: shapes \(2, 2\), \(3, 3\) differ outside axis 0"):
        tg.concatenate([Tensor(np.ones((2, 2))), Tensor(np.ones((3, 3)))])
    with pytest.raises(ValueError, match=r"concatenate: axis 1 is out of range for 1-d"):
        tg.concatenate([Tensor([1.0]), Tensor([2.0])], axis=1)
    with pytest.raises(ValueError, match=r"stack: all tensors need the same shape.*\(1,\), \(2,\)"):
        tg.stack([Tensor([1.0]), Tensor([1.0, 2.0])])
    with pytest.raises(ValueError, match=r"clip: min \(1\) is larger than max \(0\)"):
        t.clip(1, 0)
    with pytest.raises(ValueError, match=r"max\(\) of an empty tensor"):
        Tensor(np.ones((0,))).max()


@pytest.mark.parametrize("index, pattern", [
    (5, r"\[5\]: index 5 is out of bounds for axis 0 with size 2"),
    (-3, r"\[-3\]: index -3 is out of bounds"),
    ((slice(None), 10), r"\[:, 10\]: index 10 is out of bounds for axis 1 with size 3"),
    ([0, 7], r"\[\[0, 7\]\]: index 7 is out of bounds"),
    (1.5, r"\[1\.5\]: only integers, slices"),
    (np.array([0.5]), r".*arrays used as indices must be of integer \(or boolean\) type"),
    (np.array([True, False, True]), r".*boolean index did not match"),
    ((0, 0, 0), r"\[0, 0, 0\]: too many indices"),
    ("a", r"\['a'\]"),
])
def test_bad_index_names_the_index_and_the_shape(index, pattern):
    t = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(IndexError, match=r"cannot index a tensor of shape \(2, 3\) with " + pattern):
        t[index]


def test_custom_function_applied_to_a_non_tensor():
    class Double(tg.Function):
        def forward(ctx, x):
            return x * 2

        def backward(ctx, grad_out):
            return grad_out * 2

    with pytest.raises(TypeError, match=r"Double\.apply: input 1 is ndarray, not a Tensor.*"
                                        r"tg\.Tensor\(\.\.\.\).*keyword options"):
        Double.apply(Tensor([1.0]), np.ones(1))


# -- backward misuse --------------------------------------------------------------------------------------
def test_backward_on_non_scalar_without_grad():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"non-scalar output of shape \(2,\).*\.sum\(\).*grad="):
        (x * 2).backward()


def test_backward_with_grad_of_the_wrong_shape():
    x = Tensor([1.0, 2.0], requires_grad=True)
    # RuntimeError, as PyTorch raises for a wrong-shaped gradient (it was ValueError)
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\) but the output has shape \(2,\)"):
        (x * 2).backward(np.ones(3))


def test_backward_on_a_tensor_that_does_not_require_grad():
    with pytest.raises(RuntimeError, match=r"backward\(\) on a tensor of shape \(1,\), which does "
                                           r"not require grad.*no_grad"):
        Tensor([1.0]).backward()
    x = Tensor([1.0], requires_grad=True)
    with tg.no_grad():
        y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()
    with pytest.raises(RuntimeError, match="named 'w'|tensor 'w'"):
        Tensor([1.0], name="w").backward()


def test_backward_twice_through_a_freed_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    loss = y.sum()
    loss.backward()
    # Sum needs no saved values, so (as in PyTorch) it may run again; Exp needs its output.
    with pytest.raises(RuntimeError, match=r"backward through Exp a second time.*freed.*"
                                           r"retain_graph=True"):
        loss.backward()
    with pytest.raises(RuntimeError, match=r"backward through Exp a second time"):
        (y * 2).sum().backward()  # a new op on top, but Exp's graph is gone


def test_grad_misuse():
    x = Tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="every input must be a Tensor that requires grad"):
        tg.grad((x * 2).sum(), [Tensor([1.0])])
    with pytest.raises(RuntimeError, match=r"grad\(\) needs grad= for a non-scalar"):
        tg.grad(x * Tensor([1.0, 2.0]), x)


def test_item_and_truth_of_many_elements():
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        Tensor([1.0, 2.0]).item()
    with pytest.raises(ValueError, match=r"truth value of a tensor of shape \(2,\) is ambiguous"):
        if Tensor([1.0, 2.0]):
            pass


# -- numerics -------------------------------------------------------------------------------------
@pytest.fixture
def strict_numerics():
    """Any NumPy floating-point warning or Python warning fails the test."""
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        yield


@pytest.mark.usefixtures("strict_numerics")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_is_stable_for_huge_inputs(dtype):
    values = np.array([-1e4, -1000.0, -100.0, -20.0, 0.0, 20.0, 100.0, 1000.0, 1e4], dtype=dtype)
    x = Tensor(values, requires_grad=True)
    y = x.sigmoid()
    y.sum().backward()
    assert y.dtype == dtype and x.grad.dtype == dtype
    assert np.all(np.isfinite(y.numpy())) and np.all(np.isfinite(x.grad.numpy()))
    assert y.numpy()[0] == 0.0 and y.numpy()[-1] == 1.0 and y.numpy()[4] == 0.5
    assert np.all((y.numpy() >= 0) & (y.numpy() <= 1))
    expected_grad = np.exp(-np.abs(values.astype(np.float64))) / (1 + np.exp(-np.abs(values))) ** 2
    # σ' = σ(1-σ) from the output: where σ rounds to 1, the tiny true slope rounds to 0
    np.testing.assert_allclose(x.grad.numpy(), expected_grad, rtol=1e-5,
                               atol=np.finfo(dtype).eps)


@pytest.mark.usefixtures("strict_numerics")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("scale", [1e4, -1e4])
def test_softmax_and_log_softmax_are_stable_for_huge_logits(dtype, scale):
    logits = np.array([[1.0, 0.5, -1.0], [0.0, 0.0, 0.0], [-1.0, 1.0, 0.9999]]) * scale
    x = Tensor(logits.astype(dtype), requires_grad=True)
    p = x.softmax(axis=-1)
    logp = x.log_softmax(axis=-1)
    assert p.dtype == logp.dtype == dtype
    assert np.all(np.isfinite(p.numpy())) and np.all(np.isfinite(logp.numpy()))
    np.testing.assert_allclose(p.numpy().sum(axis=-1), 1.0, rtol=1e-6)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    expected = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    # log_softmax is not log(softmax): the smallest log-probability is about -2e4, not -inf
    np.testing.assert_allclose(logp.numpy(), expected, rtol=1e-6)
    assert logp.numpy().min() < -1e3
    (logp[:, 0].sum() + (p * p).sum()).backward()
    assert np.all(np.isfinite(x.grad.numpy())) and x.grad.dtype == dtype
    np.testing.assert_allclose(x.grad.numpy().sum(axis=-1), 0.0, atol=1e-5)  # rows of J sum to 0


@pytest.mark.usefixtures("strict_numerics")
def test_tanh_and_relu_at_extremes_are_finite():
    x = Tensor(np.array([-1e4, 1e4], dtype=np.float32), requires_grad=True)
    (x.tanh() + x.relu() * 0.0 + x.leaky_relu()).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.array([0.01, 1.0], dtype=np.float32))
