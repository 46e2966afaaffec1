"""The Tensor's public surface (issue 2, section 2): construction and dtype rules, attributes,
repr, constructors, seeding, comparisons and reflected operators."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor


# -- construction and dtypes ---------------------------------------------------------------------
@pytest.mark.parametrize("data, dtype", [
    (1.5, np.float32),
    ([1.0, 2.0], np.float32),
    ([[1, 2.5], [3, 4]], np.float32),  # a float anywhere makes the list float
    (3, np.int64),
    ([1, 2, 3], np.int64),
    (True, np.bool_),
    ([True, False], np.bool_),
    (np.array([1.0, 2.0], dtype=np.float64), np.float64),
    (np.array([1.0, 2.0], dtype=np.float32), np.float32),
    (np.array([1, 2], dtype=np.int32), np.int32),
    (np.array([True]), np.bool_),
])
def test_dtype_rules(data, dtype):
    assert Tensor(data).dtype == dtype


def test_set_default_dtype_changes_what_python_floats_become():
    assert tg.get_default_dtype() == np.float32
    tg.set_default_dtype(np.float64)
    try:
        assert Tensor(1.5).dtype == np.float64
        assert Tensor([1.0, 2.0]).dtype == np.float64
        assert tg.zeros(2).dtype == tg.randn(2).dtype == tg.full(2, 0.5).dtype == np.float64
        assert Tensor(np.ones(2, dtype=np.float32)).dtype == np.float32  # arrays keep theirs
        assert Tensor([1, 2]).dtype == np.int64
    finally:
        tg.set_default_dtype(np.float32)
    assert Tensor(1.5).dtype == np.float32
    with pytest.raises(ValueError, match="float32 or float64"):
        tg.set_default_dtype(np.int32)


def test_explicit_dtype_argument():
    assert Tensor([1, 2], dtype=np.float64).dtype == np.float64
    assert Tensor([1.7, 2.2], dtype=np.int64).tolist() == [1, 2]
    t = Tensor([1, 2], dtype=np.float32, requires_grad=True)
    assert t.requires_grad and t.dtype == np.float32


def test_numpy_arrays_are_shared_not_copied():
    a = np.array([1.0, 2.0])
    t = Tensor(a)
    assert t.data is a
    u = Tensor(t)  # from another tensor: same data, a new leaf
    assert u.data is a and u is not t and u.is_leaf


def test_integer_and_bool_data_keep_their_dtype_and_cannot_require_grad():
    labels = Tensor([0, 2, 1])
    mask = Tensor([True, False, True])
    assert labels.dtype.kind == "i" and mask.dtype == np.bool_
    assert not labels.requires_grad and not mask.requires_grad
    with pytest.raises(TypeError, match="floating-point"):
        labels.requires_grad = True


# -- attributes and methods ----------------------------------------------------------------------
def test_attributes():
    x = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True, name="x")
    assert isinstance(x.data, np.ndarray) and x.data.shape == (2, 3)
    assert x.grad is None and x.requires_grad and x.is_leaf and x.name == "x"
    assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6 and x.dtype == np.float32
    assert len(x) == 2
    assert x.T.shape == (3, 2) and x.T.tolist() == [[1, 4], [2, 5], [3, 6]]
    assert x.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    assert x.numpy() is x.data
    assert np.asarray(x) is x.data
    assert np.asarray(x, dtype=np.float64).dtype == np.float64
    copied = np.array(x)  # np.array copies, like for any array-like
    copied[0, 0] = 99.0
    assert x.data[0, 0] == 1.0 and np.array(x, copy=False) is x.data
    assert x[1, 2].item() == 6.0 and isinstance(x[1, 2].item(), float)
    assert Tensor(3).item() == 3 and isinstance(Tensor(3).item(), int)
    assert [row.tolist() for row in x] == x.tolist()
    y = x * 2
    assert not y.is_leaf and y.op == "Mul" and x.op is None


def test_grad_is_a_tensor_with_the_parameters_shape_and_dtype():
    x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, name="x")
    ((x @ x.T).relu() * 0.5).sum().backward()
    assert isinstance(x.grad, Tensor)
    assert x.grad.shape == x.shape and x.grad.dtype == x.dtype
    np.testing.assert_array_equal(x.grad.numpy(), [[4.0, 6.0], [4.0, 6.0]])
    np.testing.assert_array_equal(np.asarray(x.grad), x.grad.numpy())


def test_retain_grad_and_register_hook_return_values():
    x = Tensor([1.0], requires_grad=True)
    y = x * 2
    assert y.retain_grad() is y
    handle = y.register_hook(lambda g: None)
    assert hasattr(handle, "remove")
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).retain_grad()
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).register_hook(lambda g: g)


def test_requires_grad_switching():
    x = Tensor([1.0])
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad = False
    assert not x.requires_grad
    y = Tensor([1.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"detach\(\)"):
        y.requires_grad = False


def test_repr_shows_data_op_name_and_requires_grad():
    x = Tensor([1.0, 2.0], requires_grad=True, name="w")
    text = repr(x)
    assert text.startswith("Tensor([1., 2.]") and "name='w'" in text
    assert "requires_grad=True" in text and "dtype=float32" in text and "op=" not in text
    y = x * 3
    assert "op=Mul" in repr(y) and "[3., 6.]" in repr(y) and "requires_grad=True" in repr(y)
    plain = repr(Tensor([[1, 2], [3, 4]]))
    assert "requires_grad" not in plain and "int64" in plain and "[3, 4]" in plain


def test_len_and_truth_value_errors():
    with pytest.raises(TypeError, match="0-d"):
        len(Tensor(1.0))
    with pytest.raises(ValueError, match="ambiguous"):
        bool(Tensor([1.0, 2.0]))
    assert bool(Tensor([1.0])) and not bool(Tensor(0.0))
    with pytest.raises(ValueError, match=r"item\(\) needs a tensor with one element.*\(2,\)"):
        Tensor([1.0, 2.0]).item()


# -- constructors ---------------------------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda **kw: tg.zeros(2, 3, **kw),
    lambda **kw: tg.zeros((2, 3), **kw),
    lambda **kw: tg.ones([2, 3], **kw),
    lambda **kw: tg.full((2, 3), 0.5, **kw),
    lambda **kw: tg.zeros_like(Tensor(np.ones((2, 3), dtype=np.float32)), **kw),
    lambda **kw: tg.ones_like(Tensor(np.ones((2, 3), dtype=np.float32)), **kw),
    lambda **kw: tg.arange(6.0, **kw),
    lambda **kw: tg.eye(2, 3, **kw),
    lambda **kw: tg.randn(2, 3, **kw),
    lambda **kw: tg.rand(2, 3, **kw),
], ids=["zeros", "zeros_tuple", "ones_list", "full", "zeros_like", "ones_like", "arange", "eye",
        "randn", "rand"])
def test_constructors_take_dtype_and_requires_grad(make):
    t = make()
    assert t.size == 6 and t.dtype == np.float32 and not t.requires_grad
    for spelling in (np.float64, np.dtype("float64"), "float64"):  # a dtype object included
        t = make(dtype=spelling, requires_grad=True)
        assert t.dtype == np.float64 and t.requires_grad and t.is_leaf


def test_constructor_values():
    np.testing.assert_array_equal(tg.zeros(2).numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(tg.ones(2).numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(tg.full((2,), 7.5).numpy(), [7.5, 7.5])
    np.testing.assert_array_equal(tg.eye(2).numpy(), [[1.0, 0.0], [0.0, 1.0]])
    assert tg.zeros_like(Tensor([1, 2])).dtype == np.int64  # like: keeps the dtype
    u = tg.rand(1000).numpy()
    assert 0.0 <= u.min() and u.max() < 1.0
    n = tg.randn(4000, dtype=np.float64).numpy()
    assert abs(n.mean()) < 0.1 and abs(n.std() - 1.0) < 0.1


def test_full_infers_the_dtype_from_the_fill_value():
    assert tg.full((2,), 0.5).dtype == np.float32
    assert tg.full((2,), 7).dtype == np.int64 and tg.full(2, 7).tolist() == [7, 7]
    assert tg.full((2,), True).dtype == np.bool_
    assert tg.full((2,), 7, dtype=np.float64).dtype == np.float64
    assert tg.full(shape=(1, 2), fill_value=0.25).shape == (1, 2)


def test_arange():
    assert tg.arange(4).tolist() == [0, 1, 2, 3] and tg.arange(4).dtype == np.int64
    assert tg.arange(1, 7, 2).tolist() == [1, 3, 5]
    assert tg.arange(10, step=3).tolist() == [0, 3, 6, 9]  # arange(stop, step=...)
    half = tg.arange(0.0, 2.0, 0.5)
    assert half.dtype == np.float32 and half.tolist() == [0.0, 0.5, 1.0, 1.5]
    assert tg.arange(3, dtype=np.float64).dtype == np.float64
    assert tg.arange(3, dtype=np.float32, requires_grad=True).requires_grad
    with pytest.raises(TypeError, match="floating-point"):
        tg.arange(3, requires_grad=True)  # integers cannot require grad: pass dtype=


def test_manual_seed_makes_draws_reproducible():
    tg.manual_seed(123)
    first = (tg.randn(3).numpy().copy(), tg.rand(2).numpy().copy())
    tg.manual_seed(123)
    second = (tg.randn(3).numpy(), tg.rand(2).numpy())
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    tg.manual_seed(124)
    assert not np.array_equal(tg.randn(3).numpy(), first[0])
    own = np.random.default_rng(5)
    np.testing.assert_array_equal(tg.randn(3, rng=own).numpy(),
                                  np.random.default_rng(5).standard_normal(3).astype(np.float32))


# -- comparisons and reflected operators -------------------------------------------------------------
def test_comparisons_give_bool_tensors_without_grad():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    cases = {
        "<": (x < 2, [True, False, False]), "<=": (x <= 2, [True, True, False]),
        ">": (x > 2, [False, False, True]), ">=": (x >= 2, [False, True, True]),
        "==": (x == 2, [False, True, False]), "!=": (x != 2, [True, False, True]),
    }
    for op, (result, expected) in cases.items():
        assert result.dtype == np.bool_, op
        assert not result.requires_grad and result._ctx is None, op
        assert result.tolist() == expected, op
    assert (x > Tensor([0.0, 5.0, 0.0])).tolist() == [True, False, True]
    assert (x[:, None] < x).shape == (3, 3)  # broadcasting


def test_reflected_operators_with_numbers_and_arrays():
    t = Tensor([1.0, 2.0], requires_grad=True)
    arr = np.array([10.0, 20.0], dtype=np.float32)
    results = {
        "2*t": (2 * t, [2.0, 4.0]), "arr+t": (arr + t, [11.0, 22.0]),
        "arr-t": (arr - t, [9.0, 18.0]), "arr*t": (arr * t, [10.0, 40.0]),
        "arr/t": (arr / t, [10.0, 10.0]), "1-t": (1 - t, [0.0, -1.0]),
        "2/t": (2 / t, [2.0, 1.0]), "2**t": (2 ** t, [2.0, 4.0]),
        "arr@t": (arr @ t, 50.0), "[[1,2]]@t": (Tensor([[1.0, 2.0]]) @ t, [5.0]),
    }
    for label, (out, expected) in results.items():
        assert isinstance(out, Tensor), label  # not an object array of tensors
        assert out.requires_grad, label
        np.testing.assert_allclose(out.numpy(), expected, err_msg=label)
        assert out.dtype == np.float32, label
    (arr * t).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), arr)


def test_integer_tensors_in_float_ops_become_the_default_float():
    """Labels and counts can flow into float maths without surprises (PyTorch's rules)."""
    ints = Tensor([1, 4])
    assert ints.sqrt().tolist() == [1.0, 2.0] and ints.sqrt().dtype == np.float32
    assert (ints ** 0.5).tolist() == [1.0, 2.0]
    assert (ints ** 2).tolist() == [1, 16] and (ints ** 2).dtype == np.int64
    assert (ints ** -1).tolist() == [1.0, 0.25]
    assert (1 / ints).tolist() == [1.0, 0.25]
    assert (Tensor([2.0, 2.0]) / ints).tolist() == [2.0, 0.5]
    for out in (ints.exp(), ints.log(), ints.sigmoid(), ints.tanh(), ints.softmax(),
                ints.log_softmax(), ints / 2, ints * 0.5, ints.mean()):
        assert out.dtype == np.float32
    np.testing.assert_allclose(ints.sigmoid().numpy(), 1 / (1 + np.exp(-np.array([1.0, 4.0]))),
                               rtol=1e-6)
    assert (ints + 1).dtype == np.int64 and ints.relu().dtype == np.int64


def test_zero_dim_tensors_accept_axis_0_and_minus_1():
    s = Tensor(2.5, requires_grad=True)
    assert s.sum(axis=0).item() == 2.5 and s.mean(axis=-1).item() == 2.5
    assert s.max(axis=0).item() == 2.5 and s.softmax().item() == 1.0
    assert s.argmax(axis=0).item() == 0
    assert s.swapaxes(0, -1) is s
    s.sum(axis=0).backward()
    assert s.grad.item() == 1.0


def test_getitem_variants():
    x = Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    assert x[None].shape == (1, 3, 4) and x[..., 0].shape == (3,)
    assert x[[0, 2], 1:].shape == (2, 3) and x[Tensor([0, 0])].shape == (2, 4)
    assert x[x > 5].tolist() == [6.0, 7.0, 8.0, 9.0, 10.0, 11.0]
    assert x[1, ::-2].tolist() == [7.0, 5.0]


def test_repeated_indices_and_masks_accumulate_in_backward():
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 1.0])
    x.grad = None
    picked = x[x > 1.5]
    (picked * picked).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 4.0, 6.0])
    m = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    m[[0, 0, 1], [2, 2, 0]].sum().backward()
    np.testing.assert_array_equal(m.grad.numpy(), [[0, 0, 2], [1, 0, 0]])


def test_functional_forms_exist():
    x = Tensor([-1.0, 2.0])
    for name in ("relu", "sigmoid", "tanh", "leaky_relu", "softmax", "log_softmax", "step",
                 "exp", "sqrt"):
        fn = getattr(tg, name)
        arg = x.abs() if name == "sqrt" else x
        np.testing.assert_array_equal(fn(arg).numpy(), getattr(arg, name)().numpy())
    np.testing.assert_array_equal(tg.maximum(x, 0.0).numpy(), [0.0, 2.0])
    np.testing.assert_array_equal(tg.minimum(0.0, x).numpy(), [-1.0, 0.0])
    np.testing.assert_array_equal(tg.matmul(x, x).numpy(), 5.0)
    np.testing.assert_array_equal(tg.log(tg.exp(x)).numpy(), x.numpy())
    assert tg.cat is tg.concatenate
    np.testing.assert_array_equal(tg.tensor([1.0]).numpy(), [1.0])


def test_clip_where_and_maximum_with_python_numbers():
    x = Tensor([-1.0, 0.25, 2.0], requires_grad=True)
    assert x.clip(min=0).tolist() == [0.0, 0.25, 2.0]
    assert x.clip(max=1).tolist() == [-1.0, 0.25, 1.0]
    assert x.clip(0, 1).tolist() == [0.0, 0.25, 1.0]
    assert tg.where(x > 0, x, 0.0).tolist() == [0.0, 0.25, 2.0]
    assert tg.where(x > 0, 1.0, x).tolist() == [-1.0, 1.0, 1.0]
    assert tg.where(np.array([True, False, True]), 1.0, 2.0).tolist() == [1.0, 2.0, 1.0]
    assert x.maximum(0).tolist() == [0.0, 0.25, 2.0]
    (x.clip(0, 1) + tg.where(x > 0, x, 0.0) + x.maximum(0.25)).sum().backward()
    # clip: 1 inside [0, 1]; where: 1 where x > 0; maximum: a tie at 0.25 gives 1/2
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1 + 1 + 0.5, 0 + 1 + 1])


def test_max_ties_share_the_gradient_and_sum_to_upstream():
    x = Tensor(np.array([[3.0, 1.0, 3.0], [2.0, 2.0, 2.0]]), requires_grad=True)
    x.max(axis=1).backward(np.array([6.0, 9.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [[3.0, 0.0, 3.0], [3.0, 3.0, 3.0]])
    assert x.grad.numpy().sum(axis=1).tolist() == [6.0, 9.0]
    a, b = Tensor(np.array([1.0, 2.0]), requires_grad=True), Tensor(np.array([1.0, 0.0]),
                                                                    requires_grad=True)
    a.maximum(b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy() + b.grad.numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(a.grad.numpy(), [0.5, 1.0])
    z = Tensor(np.array([0.0, -1.0, 1.0]), requires_grad=True)
    z.abs().sum().backward()
    np.testing.assert_array_equal(z.grad.numpy(), [0.0, -1.0, 1.0])  # subgradient 0 at 0


def test_python_number_conversions_and_formatting():
    loss = Tensor([[0.123456]], requires_grad=True) * 2
    assert float(loss) == pytest.approx(0.246912) and isinstance(float(loss), float)
    assert int(Tensor(3.9)) == 3
    assert f"{loss:.3f}" == "0.247" and f"{Tensor(7):d}" == "7"
    assert f"{loss}" == repr(loss)
    with pytest.raises(ValueError, match="one element"):
        float(Tensor([1.0, 2.0]))


def test_manual_sgd_step_updates_the_parameter_in_place_under_no_grad():
    """The tutorial-style loop: w -= lr * w.grad inside no_grad keeps w the same leaf."""
    w = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    for _ in range(3):
        loss = (w * w).sum()
        loss.backward()
        with tg.no_grad():
            before = w
            w -= 0.25 * w.grad
            assert w is before
        w.grad = None
    assert w.is_leaf and w.requires_grad
    np.testing.assert_allclose(w.numpy(), np.array([1.0, -2.0]) * 0.5 ** 3)
    with tg.no_grad():
        w *= 2
        w /= Tensor(np.array([2.0, 4.0]))
        w += np.array([1.0, 1.0])
    np.testing.assert_allclose(w.numpy(), [1.125, 0.875])


def test_in_place_operators_while_recording_build_new_tensors():
    """h += b inside a forward pass must stay differentiable (it rebinds h)."""
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = x * 3.0
    original = h
    h += x
    assert h is not original and h.op == "Add"
    total = tg.zeros(())  # a constant accumulator that receives a recorded value
    total += h.sum()
    assert total.requires_grad
    total.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 4.0])


def test_integer_operands_take_the_float_dtype_in_matmul_and_concatenate():
    f = Tensor(np.ones((2, 2), dtype=np.float32))
    i = Tensor(np.ones((2, 2), dtype=np.int64))
    assert (f @ i).dtype == np.float32 and (i @ f).dtype == np.float32
    assert tg.concatenate([f, i]).dtype == np.float32
    assert tg.stack([i, f]).dtype == np.float32
    assert tg.concatenate([i, i]).dtype == np.int64


def test_subtracting_a_named_tensor_keeps_its_name_in_the_graph():
    # pictures of ``pred - y`` must say y, not an anonymous constant
    pred = Tensor([1.0, 2.0], requires_grad=True, name="pred")
    y = Tensor([0.0, 1.0], name="y")
    diff = pred - y
    assert [t.name for t in diff._ctx.inputs] == ["pred", "-y"]
    np.testing.assert_array_equal(diff.numpy(), [1.0, 1.0])
    assert (y - pred)._ctx.inputs[1].name == "-pred"
