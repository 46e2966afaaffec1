"""Nothing silent, nothing fragile: every misuse of the core gives a correct result or a clear error.

``MISUSE`` is the table of mistakes.  Each row is a misuse, the exception it must raise and
words its message must hold: the thing that is wrong, the value given and what to do instead.
The error must come from tinygrad_edu, where the mistake is made, never from deep inside
NumPy.  The tests after the table are the misuses whose right answer is a value (nan with a
warning, inf like NumPy, a zero gradient) rather than an error.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor, nn, optim

PACKAGE = Path(tg.__file__).parent
HERE = Path(__file__).name


# -- misuses that take more than one line --------------------------------------------------------
def _anomalous(fn: Callable[[], object]) -> object:
    """Run ``fn`` under detect_anomaly (NumPy's own warning muted: the error is the message)."""
    with tg.detect_anomaly(), np.errstate(all="ignore"):
        return fn()


def _grad_of_a_grad_without_create_graph():
    x = Tensor([2.0], requires_grad=True)
    (g,) = tg.grad((x ** 3).sum(), x)  # not recorded: create_graph=False
    tg.grad(g.sum(), x)


def _backward_of_a_grad_without_create_graph():
    x = Tensor([2.0], requires_grad=True)
    (g,) = tg.grad((x ** 3).sum(), x)
    g.sum().backward()


def _backward_twice():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    y.backward()  # the first call freed the graph


def _in_place_update_of_a_leaf_while_recording():
    w = Tensor([1.0, 2.0], requires_grad=True, name="w")
    w -= 0.1 * Tensor([1.0, 1.0])


class _Strings(tg.Function):
    def forward(ctx, x):
        return np.array(["a"] * x.size)

    def backward(ctx, grad_out):
        return grad_out


class _Complex(tg.Function):
    def forward(ctx, x):
        return x * 1j

    def backward(ctx, grad_out):
        return grad_out


class _NoReturn(tg.Function):
    def forward(ctx, x):
        x * 2  # noqa: B018  the mistake: the result is not returned

    def backward(ctx, grad_out):
        return grad_out


class _WrongShapeBackward(tg.Function):
    def forward(ctx, x):
        return x * 2

    def backward(ctx, grad_out):
        return Tensor(np.ones(5))


def _custom_backward_of_the_wrong_shape():
    x = Tensor([1.0, 2.0], requires_grad=True)
    _WrongShapeBackward.apply(x).sum().backward()


def _hook_returning_a_number():
    x = Tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: 5)
    (x * 2).sum().backward()


M = Tensor(np.ones((2, 3)))
X = Tensor([1.0, 2.0], requires_grad=True)

MISUSE = [
    # -- data and dtypes ---------------------------------------------------------------------
    ("complex64 dtype", lambda: Tensor([1.0], dtype=np.complex64), TypeError,
     r"Tensor: dtype=complex64 is not supported; a tensor holds bool, integers, float32 or float64"),
    ("object dtype", lambda: Tensor([1.0], dtype=object), TypeError,
     r"Tensor: dtype=object is not supported; a tensor holds bool, integers, float32 or float64"),
    ("float16 dtype", lambda: Tensor([1.0], dtype=np.float16), TypeError,
     r"Tensor: dtype=float16 is not supported; a tensor holds bool, integers, float32 or float64"),
    ("float16 array", lambda: Tensor(np.ones(2, dtype=np.float16)), TypeError,
     r"got dtype float16; convert it first \(for example with \.astype\(np\.float32\)\)"),
    ("complex data", lambda: Tensor([1j]), TypeError, r"float32 or float64, got dtype complex128"),
    ("astype complex", lambda: M.astype(complex), TypeError,
     r"astype: dtype=complex128 is not supported; a tensor holds bool, integers, float32"),
    ("astype float16", lambda: M.astype(np.float16), TypeError,
     r"astype: dtype=float16 is not supported; a tensor holds bool, integers, float32"),
    ("dtype name", lambda: Tensor([1.0], dtype="foo"), TypeError,
     r"dtype='foo' is not a dtype; use one of np\.float32, np\.float64"),
    ("times a complex number", lambda: M * 1j, TypeError, r"got dtype complex128"),
    ("string data", lambda: Tensor("abc"), TypeError,
     r"the string 'abc'; convert text to numbers first"),
    ("ragged list", lambda: Tensor([[1.0], [1.0, 2.0]]), ValueError,
     r"ragged nested list.*every row must have the same length"),
    ("None", lambda: Tensor(None), TypeError, r"Tensor\(None\): a tensor needs data.*tg\.zeros\(shape\)"),
    ("huge int", lambda: Tensor(10**30), OverflowError,
     r"integer too large for int64; use a float \(for example 1e30\)"),
    ("huge int in a list", lambda: Tensor([1, 10**30]), OverflowError, r"too large for int64"),
    ("generator", lambda: Tensor(x for x in range(3)), TypeError,
     r"generator \(an iterator\).*Pass a list instead: Tensor\(list\(values\)\)"),
    ("list of tensors that require grad", lambda: Tensor([X, X]), TypeError,
     r"list of Tensors that require grad.*tg\.stack\(tensors\)"),
    ("requires_grad not a bool", lambda: Tensor([1.0], requires_grad="no"), TypeError,
     r"requires_grad must be True or False, got 'no'"),
    ("requires_grad on ints", lambda: Tensor([1, 2], requires_grad=True), TypeError,
     r"only floating-point tensors can require gradients.*dtype int64.*dtype=np\.float32"),
    ("requires_grad off a computed tensor", lambda: setattr(X * 2, "requires_grad", False),
     RuntimeError, r"only be switched off on a leaf tensor; use \.detach\(\)"),
    # -- arguments -----------------------------------------------------------------------------
    ("axis True", lambda: M.sum(axis=True), TypeError, r"sum: axis must be an integer, got bool True"),
    ("axis 1.0", lambda: M.sum(axis=1.0), TypeError, r"sum: axis must be an integer, got float 1\.0"),
    ("axis out of range", lambda: M.mean(axis=5), ValueError,
     r"mean: axis 5 is out of range for a tensor of shape \(2, 3\) \(valid: -2 to 1\)"),
    ("softmax axis out of range", lambda: M.softmax(axis=2), ValueError, r"axis 2 is out of range"),
    ("repeated axis", lambda: M.sum(axis=(0, 0)), ValueError, r"sum: repeated axis in \(0, 0\)"),
    ("ddof 0.5", lambda: M.var(ddof=0.5), TypeError, r"var: ddof must be an integer, got float 0\.5"),
    ("flatten start after end", lambda: M.flatten(1, 0), ValueError,
     r"flatten: start_dim 1 comes after end_dim 0 for a tensor of shape \(2, 3\); give start_dim <= end_dim"),
    ("clip min above max", lambda: M.clip(2, 1), ValueError,
     r"clip: min \(2\) is larger than max \(1\); swap"),
    ("squeeze a size-2 axis", lambda: M.squeeze(0), ValueError, r"squeeze: axis 0 has size 2, not 1"),
    ("unsqueeze out of range", lambda: M.unsqueeze(5), ValueError, r"unsqueeze: axis 5 is out of range"),
    ("permute not a permutation", lambda: M.permute(0, 0), ValueError,
     r"dims \(0, 0\) are not a permutation.*use transpose\(dim0, dim1\)"),
    ("transpose of three dims", lambda: M.transpose(1, 0, 2), ValueError,
     r"transpose\(dim0, dim1\) swaps two dimensions; to reorder all of them use permute\(1, 0, 2\)"),
    ("set_grad_enabled('yes')", lambda: tg.set_grad_enabled("yes"), TypeError,
     r"set_grad_enabled\(mode\): mode must be True or False, got 'yes'"),
    ("int default dtype", lambda: tg.set_default_dtype(np.int32), ValueError,
     r"default dtype must be float32 or float64, got int32"),
    # -- shapes and values -------------------------------------------------------------------
    ("matmul shapes", lambda: M @ M, ValueError,
     r"matmul: shapes \(2, 3\) and \(2, 3\) are not aligned.*last dimension of the left operand \(3\)"),
    ("matmul of 0-d", lambda: Tensor(1.0) @ Tensor(1.0), ValueError, r"at least 1 dimension.*use \*"),
    ("broadcast", lambda: M + Tensor(np.ones(4)), ValueError,
     r"Add: shapes \(2, 3\) and \(4,\) cannot be broadcast.*reshape or unsqueeze one side"),
    ("reshape size", lambda: M.reshape(4), ValueError,
     r"cannot reshape a tensor of shape \(2, 3\) \(6 elements\) into shape \(4,\).*must stay the same"),
    ("reshape two -1", lambda: M.reshape(-1, -1), ValueError, r"only one dimension may be -1"),
    ("index out of range", lambda: M[5], IndexError,
     r"shape \(2, 3\) with \[5\]: index 5 is out of bounds for axis 0 with size 2"),
    ("float index", lambda: M[1.5], IndexError, r"with \[1\.5\]: only integers, slices"),
    ("item of many", lambda: M.item(), ValueError, r"item\(\) needs a tensor with one element.*\(2, 3\)"),
    ("truth value of many", lambda: bool(M), ValueError,
     r"truth value of a tensor of shape \(2, 3\) is ambiguous; reduce it first"),
    ("len of 0-d", lambda: len(Tensor(1.0)), TypeError, r"len\(\) of a 0-d tensor; use \.item\(\)"),
    ("max of empty", lambda: Tensor(np.zeros(0)).max(), ValueError, r"max\(\) of an empty tensor"),
    ("int to negative int power", lambda: Tensor([2]) ** Tensor([-1]), ValueError,
     r"integer tensors to negative integer powers.*make the base float first.*astype\(np\.float32\)"),
    ("stack of different shapes", lambda: tg.stack([Tensor([1.0]), Tensor([1.0, 2.0])]), ValueError,
     r"stack: all tensors need the same shape, got \[\(1,\), \(2,\)\]"),
    # -- making tensors -------------------------------------------------------------------------
    ("eye(-1)", lambda: tg.eye(-1), ValueError, r"eye: n must be a non-negative integer, got -1"),
    ("eye(2, -3)", lambda: tg.eye(2, -3), ValueError, r"eye: m must be a non-negative integer, got -3"),
    ("eye(2.5)", lambda: tg.eye(2.5), TypeError, r"eye: n must be a non-negative integer, got float 2\.5"),
    ("arange step 0", lambda: tg.arange(0, 5, 0), ValueError,
     r"arange: step must not be 0.*positive step to count up or a negative one"),
    ("arange to inf", lambda: tg.arange(0, float("inf")), ValueError,
     r"arange: stop must be a finite number, got inf"),
    ("arange from nan", lambda: tg.arange(float("nan"), 3), ValueError,
     r"arange: start must be a finite number, got nan"),
    ("arange of a string", lambda: tg.arange("3"), TypeError, r"arange: stop must be a number, got str '3'"),
    ("zeros dtype name", lambda: tg.zeros(2, dtype="foo"), TypeError, r"zeros: dtype='foo' is not a dtype"),
    ("ones complex", lambda: tg.ones(2, dtype=complex), TypeError,
     r"ones: dtype=complex128 is not supported; a tensor holds bool, integers, float32 or float64"),
    ("randn float16", lambda: tg.randn(2, dtype=np.float16), TypeError, r"randn: dtype=float16"),
    ("full dtype name", lambda: tg.full(2, 1.0, dtype="foo"), TypeError, r"full: dtype='foo'"),
    ("arange dtype name", lambda: tg.arange(3, dtype="foo"), TypeError, r"arange: dtype='foo'"),
    ("zeros_like dtype name", lambda: tg.zeros_like(M, dtype="foo"), TypeError, r"zeros_like: dtype='foo'"),
    ("zeros(-1)", lambda: tg.zeros(-1), ValueError,
     r"zeros: a shape needs non-negative integers, got \(-1,\); give sizes such as zeros\(2, 3\)"),
    ("randn(2.5)", lambda: tg.randn(2.5), ValueError,
     r"randn: a shape needs non-negative integers, got \(2\.5,\)"),
    # -- gradients ------------------------------------------------------------------------------
    ("grad of a number", lambda: tg.grad(3.0, X), TypeError,
     r"grad\(\): outputs must be a Tensor or a list of Tensors, got float 3\.0"),
    ("grad of a grad", _grad_of_a_grad_without_create_graph, RuntimeError,
     r"grad\(\) on .*does not require grad.*a grad of a grad.*create_graph=True"),
    ("backward of a grad", _backward_of_a_grad_without_create_graph, RuntimeError,
     r"backward\(\) on .*does not require grad.*create_graph=True"),
    ("grad of an unused input", lambda: tg.grad((X * 2).sum(), [X, Tensor([1.0], requires_grad=True)]),
     RuntimeError, r"is not used to compute the outputs; pass allow_unused=True"),
    ("backward of many", lambda: (X * 2).backward(), RuntimeError,
     r"needs grad= for a non-scalar output of shape \(2,\): call \.sum\(\)"),
    ("backward with a wrong seed", lambda: (X * 2).backward(np.ones(3)), RuntimeError,
     r"the gradient has shape \(3,\) but the output has shape \(2,\)"),
    ("backward twice", _backward_twice, RuntimeError,
     r"backward through Mul a second time.*Pass retain_graph=True to the first backward\(\)"),
    ("in-place update of a leaf", _in_place_update_of_a_leaf_while_recording, RuntimeError,
     r"-= on tensor 'w', a leaf that requires grad, while recording.*with tg\.no_grad\(\):"),
    ("hook that is not callable", lambda: X.register_hook(5), TypeError,
     r"register_hook\(fn\): fn must be a function of the gradient, got int 5"),
    ("hook returning a number", _hook_returning_a_number, RuntimeError,
     r"hook on a tensor of shape \(2,\) returned int.*must return None or a Tensor of shape \(2,\)"),
    # -- custom Functions -----------------------------------------------------------------------
    ("forward returns strings", lambda: _Strings.apply(X), TypeError,
     r"_Strings\.forward returned an array of dtype <U1; a forward must return numbers"),
    ("forward returns complex", lambda: _Complex.apply(X), TypeError,
     r"_Complex\.forward returned an array of dtype complex64"),
    ("forward returns None", lambda: _NoReturn.apply(X), TypeError,
     r"_NoReturn\.forward returned None.*is a `return` missing"),
    ("apply to an array", lambda: _Strings.apply(np.ones(2)), TypeError,
     r"_Strings\.apply: input 0 is ndarray, not a Tensor; wrap array inputs in tg\.Tensor"),
    ("backward of the wrong shape", _custom_backward_of_the_wrong_shape, RuntimeError,
     r"_WrongShapeBackward\.backward returned a gradient of shape \(5,\) for input 0, whose shape is \(2,\)"),
    # -- anomaly mode: the op that makes the first NaN/Inf, its inputs and your line ------------------
    ("anomaly: log(-1)", lambda: _anomalous(lambda: Tensor([-1.0]).log()), RuntimeError,
     rf"detect_anomaly: Log produced nan.*input 0 = -1\.0.*{HERE}:\d+ in <lambda>: .*\.log\(\)"),
    ("anomaly: 0 * inf", lambda: _anomalous(lambda: Tensor([0.0]) * Tensor([np.inf])), RuntimeError,
     rf"detect_anomaly: Mul produced nan.*input 0 = 0\.0; input 1 = inf.*{HERE}:\d+"),
    ("anomaly: inf - inf", lambda: _anomalous(lambda: Tensor([np.inf]) - Tensor([np.inf])), RuntimeError,
     r"detect_anomaly: Add produced nan.*input 0 = inf; input 1 = -inf"),
    ("anomaly: exp(1000)", lambda: _anomalous(lambda: Tensor([1000.0]).exp()), RuntimeError,
     r"detect_anomaly: Exp produced inf.*input 0 = 1000\.0"),
    # -- nn and optim ----------------------------------------------------------------------------
    ("Linear(0, 1)", lambda: nn.Linear(0, 1), ValueError,
     r"Linear: in_features must be a positive integer, got 0"),
    ("SGD lr < 0", lambda: optim.SGD([X], lr=-1), ValueError,
     r"SGD: invalid lr=-1; it must be a finite number >= 0"),
]


@pytest.mark.parametrize(("misuse", "error", "words"),
                         [pytest.param(f, e, w, id=name) for name, f, e, w in MISUSE])
def test_misuse_raises_a_clear_error_where_the_mistake_is_made(misuse, error, words):
    with pytest.raises(error, match=words) as info:
        misuse()
    raised_in = Path(str(info.traceback[-1].path))
    assert PACKAGE in raised_in.parents, f"raised in {raised_in}, not by tinygrad_edu"
    assert info.value.__cause__ is None  # no NumPy error hanging behind the message


def test_the_table_covers_every_item_once():
    names = [name for name, *_ in MISUSE]
    assert len(names) == len(set(names))


# -- anomaly mode in detail ------------------------------------------------------------------------
def test_anomaly_names_the_op_the_input_and_your_line():
    with tg.detect_anomaly(), np.errstate(invalid="ignore"):
        with pytest.raises(RuntimeError) as info:
            line = inspect.currentframe().f_lineno + 1
            Tensor([-1.0]).log()
    message = str(info.value)
    assert "Log" in message and "input 0 = -1.0" in message
    assert f"{HERE}:{line} in test_anomaly_names_the_op_the_input_and_your_line: " \
           "Tensor([-1.0]).log()" in message


def test_without_detect_anomaly_nan_passes_silently():
    with pytest.warns(RuntimeWarning, match="invalid value encountered in log"):
        assert np.isnan(Tensor([-1.0]).log().item())
    with pytest.warns(RuntimeWarning, match="invalid value encountered in multiply"):
        assert np.isnan((Tensor([0.0]) * Tensor([np.inf])).item())


def test_anomaly_does_not_blame_an_op_that_only_passes_a_nan_on():
    x = Tensor([np.nan, 1.0], requires_grad=True)
    inf = Tensor([np.inf, 1.0])
    with tg.detect_anomaly():
        y = ((x * 2 + 1).exp().log() * 3).sum()
        z = (inf * 2).exp() + 1  # an Inf that comes in is not made here either
    assert np.isnan(y.item()) and np.isinf(z.numpy()[0])


def test_anomaly_names_the_first_op_not_a_later_one():
    x = Tensor([-1.0, 4.0], requires_grad=True)
    first = r"Log produced nan in its forward pass \(first at index \(0,\); input 0 = -1\.0\)"
    with tg.detect_anomaly(), np.errstate(invalid="ignore"), pytest.raises(RuntimeError, match=first):
        ((x + 0.0).log() * 3).exp()


# -- correct results ---------------------------------------------------------------------------------
def _np_log_softmax(x: np.ndarray, axis: tuple[int, ...]) -> np.ndarray:
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


@pytest.mark.parametrize("axis", [(0, 1), (1, 2), (0, 2), (0, 1, 2), (-1, 0), 1])
def test_softmax_normalises_over_all_given_axes(axis):
    data = np.random.default_rng(0).standard_normal((2, 3, 4))
    x = Tensor(data)
    axes = tuple(a % 3 for a in np.atleast_1d(axis))
    np.testing.assert_allclose(x.log_softmax(axis=axis).numpy(), _np_log_softmax(data, axes), rtol=1e-12)
    np.testing.assert_allclose(x.softmax(axis=axis).numpy(), np.exp(_np_log_softmax(data, axes)),
                               rtol=1e-12)
    np.testing.assert_allclose(x.softmax(axis=axis).numpy().sum(axis=axes), 1.0, rtol=1e-12)
    assert tg.gradcheck(lambda t: t.softmax(axis=axis), x)
    assert tg.gradcheck(lambda t: t.log_softmax(axis=axis), x)


def test_mean_of_nothing_is_nan_with_a_warning():
    with pytest.warns(RuntimeWarning, match=r"mean: no elements to average over \(count 0\).*nan"):
        assert np.isnan(Tensor(np.zeros(0)).mean().item())
    with pytest.warns(RuntimeWarning, match=r"mean: no elements"):
        out = Tensor(np.zeros((0, 3))).mean(axis=0)
    assert out.shape == (3,) and np.isnan(out.numpy()).all()


def test_variance_with_no_degrees_of_freedom_is_nan_with_a_warning():
    x = Tensor([3.0], requires_grad=True)
    words = r"var: 1 element\(s\) with ddof=1 leave no degrees of freedom \(use a smaller ddof"
    with pytest.warns(RuntimeWarning, match=words):
        v = x.var(ddof=1)
    assert np.isnan(v.item())
    with pytest.warns(RuntimeWarning, match=r"ddof=1"):
        assert np.isnan(Tensor([3.0]).std(ddof=1).item())
    assert x.var().item() == 0.0  # ddof=0 has one degree of freedom: 0, no warning


def test_std_keeps_a_nan_variance_nan():
    """Zero spread gives std 0; nan (a nan input) must not be turned into 0 as well."""
    with np.errstate(invalid="ignore"):
        assert np.isnan(Tensor([np.nan, 1.0]).std().item())
    np.testing.assert_array_equal(Tensor([[1.0, 1.0], [np.nan, 1.0]]).std(axis=1).numpy(), [0.0, np.nan])


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_std_of_constant_values_has_zero_gradient(axis, keepdims):
    x = Tensor(np.full((2, 3), 5.0), requires_grad=True)
    s = x.std(axis=axis, keepdims=keepdims)
    np.testing.assert_array_equal(s.numpy(), np.zeros(s.shape))
    s.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3)))  # 0, not nan


def test_std_of_partly_constant_rows():
    """Only the constant row gets the zero gradient; the other row's gradient is the usual one."""
    x = Tensor(np.array([[1.0, 1.0, 1.0], [1.0, 2.0, 4.0]]), requires_grad=True)
    x.std(axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[0], [0.0, 0.0, 0.0])
    row = np.array([1.0, 2.0, 4.0])
    expected = (row - row.mean()) / (row.size * row.std())
    np.testing.assert_allclose(x.grad.numpy()[1], expected, rtol=1e-12)


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
@pytest.mark.parametrize("ddof", [0, 1])
def test_std_of_varying_values_is_unchanged(axis, ddof):
    data = np.random.default_rng(1).standard_normal((3, 4))
    x = Tensor(data)
    np.testing.assert_allclose(x.std(axis=axis, ddof=ddof).numpy(), np.std(data, axis=axis, ddof=ddof),
                               rtol=1e-12)
    assert tg.gradcheck(lambda t: t.std(axis=axis, ddof=ddof), x)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_division_by_zero_is_inf_or_nan_like_numpy(dtype):
    data = np.array([1.0, 0.0, -2.0], dtype=dtype)
    with np.errstate(all="ignore"):
        expected = data / dtype(0)
    for zero in (0, 0.0, Tensor(np.array(0.0, dtype=dtype))):
        with pytest.warns(RuntimeWarning):
            out = Tensor(data) / zero
        np.testing.assert_array_equal(out.numpy(), expected)  # inf, nan, -inf
        assert out.dtype == dtype


def test_integer_tensor_divided_by_zero():
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        out = Tensor([1, 2]) / 0
    assert out.dtype.kind == "f"
    np.testing.assert_array_equal(out.numpy(), [np.inf, np.inf])


def test_a_grad_of_a_grad_with_create_graph_works():
    """The fix the error above suggests: d²(x³)/dx² = 6x."""
    x = Tensor([2.0], requires_grad=True)
    (g,) = tg.grad((x ** 3).sum(), x, create_graph=True)
    (gg,) = tg.grad(g.sum(), x)
    assert g.item() == 12.0 and gg.item() == 12.0


def test_creation_still_takes_what_it_should():
    assert tg.eye(0).shape == (0, 0) and tg.eye(2, 3).shape == (2, 3) and tg.eye(np.int64(2)).shape == (2, 2)
    assert tg.arange(5, 0, -2).tolist() == [5, 3, 1]  # a negative step counts down
    assert tg.arange(np.float64(1.5)).tolist() == [0.0, 1.0]
    assert tg.zeros(0).shape == (0,) and tg.zeros(2, dtype="float64").dtype == np.float64
    assert tg.zeros(2, dtype=bool).dtype == np.bool_ and tg.ones(2, dtype=np.int32).dtype == np.int32
