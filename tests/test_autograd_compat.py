"""Autograd in PyTorch's form: grad_fn, backward(gradient=), autograd.backward/grad/Function,
the grad modes as PyTorch spells them, and the semantics PyTorch users rely on.

Several tests are ports, written afresh, of cases in PyTorch's own ``test_autograd.py``
(hooks below ``grad``'s inputs, retain_graph errors, grad accumulation identity, custom
Function double backward).  Where torch is installed the same steps run in both.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor

try:
    import torch
except ImportError:  # the comparisons are skipped; everything else runs
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")
needs_clamp_clone = pytest.mark.skipif(
    not (hasattr(Tensor, "clamp") and hasattr(Tensor, "clone")),
    reason="Tensor.clamp/clone (the PyTorch aliases) are not in this tree yet")


def f64(values, requires_grad=True) -> Tensor:
    return Tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


# -- grad_fn -----------------------------------------------------------------------------------
def test_grad_fn_is_none_on_leaves_and_names_the_op():
    a, b = f64([1.0, 2.0]), f64([3.0, 4.0], requires_grad=False)
    y = (a * b + a).sum()
    assert a.grad_fn is None and b.grad_fn is None
    assert y.grad_fn.name() == "SumBackward0"
    ((add, index),) = y.grad_fn.next_functions
    assert add.name() == "AddBackward0" and index == 0
    mul, acc = add.next_functions
    assert mul[0].name() == "MulBackward0"
    assert acc[0].variable is a  # a leaf that requires grad: its gradient is accumulated
    assert mul[0].next_functions[1] == (None, 0)  # b does not require grad
    z = a * b
    assert z.grad_fn == z.grad_fn and (z + 1).grad_fn.next_functions[0][0] == z.grad_fn


def test_grad_fn_is_none_under_no_grad():
    a = f64([1.0])
    with tg.no_grad():
        assert (a * 2).grad_fn is None


@needs_torch
def test_grad_fn_names_match_pytorch_for_common_ops():
    a = f64([1.0, 2.0])
    ta = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    for ours, theirs in [(a * a, ta * ta), (a + a, ta + ta), (a.sum(), ta.sum()),
                         (-a, -ta), (a.exp(), ta.exp()), (a.log(), ta.log())]:
        assert ours.grad_fn.name() == theirs.grad_fn.name()


# -- backward(gradient=), autograd.backward, autograd.grad ---------------------------------------
def test_backward_takes_pytorchs_gradient_keyword_and_the_old_grad_keyword():
    for kwargs in ({"gradient": np.array([1.0, 2.0])}, {"grad": np.array([1.0, 2.0])}):
        x = f64([1.0, 1.0])
        (x * 3.0).backward(**kwargs)
        np.testing.assert_array_equal(x.grad.data, [3.0, 6.0])
    with pytest.raises(TypeError, match="not both"):
        (x * 3.0).backward(gradient=np.ones(2), grad=np.ones(2))


def test_a_wrong_shaped_gradient_is_a_runtime_error_as_in_pytorch():
    x = f64([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\) but the output has shape"):
        (x * 2).backward(gradient=np.ones(3))
    with pytest.raises(RuntimeError, match=r"gradient has shape \(1,\)"):
        tg.grad(x * 2, x, grad_outputs=np.ones(1))


def test_autograd_backward_with_several_roots_sums_their_contributions():
    x = f64([1.0, 2.0])
    y1, y2 = (x * x).sum(), x * 3.0
    tg.autograd.backward([y1, y2], [None, np.array([1.0, 10.0])])
    np.testing.assert_array_equal(x.grad.data, [2.0 + 3.0, 4.0 + 30.0])
    tg.autograd.backward(x.sum())  # one tensor, no seed
    np.testing.assert_array_equal(x.grad.data, [6.0, 35.0])


@needs_torch
def test_autograd_backward_with_several_roots_matches_pytorch():
    values = np.array([0.5, -1.5, 2.0])
    x, tx = f64(values), torch.tensor(values, requires_grad=True)
    shared, tshared = x.exp(), tx.exp()
    tg.autograd.backward([(shared * x).sum(), shared], [None, np.ones(3) * 0.5])
    torch.autograd.backward([(tshared * tx).sum(), tshared], [None, torch.ones(3) * 0.5])
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy())


def test_autograd_module_holds_the_functions():
    import tinygrad_edu.autograd as module

    assert tg.autograd is module
    assert tg.autograd.grad is tg.grad
    assert tg.autograd.Function is not tg.Function  # PyTorch's form beside the NumPy form
    assert tg.autograd.no_grad is tg.no_grad


# -- grad(): the walk stops at the inputs (ported from TestAutograd) ------------------------------
def test_grad_does_not_run_anything_below_its_inputs():
    fired = []
    x = f64([1.0, 2.0])
    x.register_hook(lambda g: fired.append("x"))
    h = x * 2.0  # an intermediate: grad() is taken with respect to it
    h.register_hook(lambda g: fired.append("h"))
    y = (h * h).sum()
    (gh,) = tg.grad(y, h)
    np.testing.assert_array_equal(gh.data, 2 * h.data)
    assert fired == ["h"]  # the hook on x (below the input) never fired
    assert x.grad is None
    (h * 3.0).sum().backward()  # the part below h was not freed: x*2 can still be walked
    np.testing.assert_array_equal(x.grad.data, [6.0, 6.0])


def test_grad_still_sums_paths_that_pass_through_another_input():
    x = f64([3.0])
    y = x * x  # y depends on x: x's gradient includes the path through y
    z = (y * x).sum()  # z = x³
    gx, gy = tg.grad(z, [x, y])
    np.testing.assert_allclose(gx.data, [x.data[0] ** 2 + 2 * x.data[0] * x.data[0]])
    np.testing.assert_allclose(gy.data, x.data)


@needs_torch
def test_grad_hooks_below_inputs_match_pytorch():
    def run(lib, make):
        fired = []
        x = make([1.0, 2.0])
        x.register_hook(lambda g: fired.append("x"))
        h = x * 2.0
        h.register_hook(lambda g: fired.append("h"))
        lib.autograd.grad((h * h).sum(), h)
        return fired
    assert run(tg, f64) == run(torch, lambda v: torch.tensor(v, requires_grad=True))


# -- second backward: an error only where saved values are needed (ported) ------------------------
def test_second_backward_of_a_sum_of_sums_works_as_in_pytorch():
    x, y = f64([1.0, 2.0]), f64([3.0, 4.0])
    loss = (x + y).sum()
    loss.backward()
    loss.backward()  # Add and Sum need no saved values
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])


def test_second_backward_through_a_product_needs_retain_graph():
    x, y = f64([1.0, 2.0]), f64([3.0, 4.0])
    loss = (x * y).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match=r"Mul a second time.*retain_graph=True"):
        loss.backward()
    loss = (x * y).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_array_equal(x.grad.data, 3 * y.data)  # 1 + 2 backward calls


@needs_torch
@pytest.mark.parametrize("build", [lambda x, y: (x + y).sum(), lambda x, y: (x * y).sum(),
                                   lambda x, y: (x - y).reshape(2, 1).sum(),
                                   lambda x, y: x.exp().sum()])
def test_which_second_backward_fails_matches_pytorch(build):
    def second_fails(make):
        loss = build(make([1.0, 2.0]), make([3.0, 4.0]))
        loss.backward()
        try:
            loss.backward()
        except RuntimeError:
            return True
        return False
    assert second_fails(f64) == second_fails(lambda v: torch.tensor(v, requires_grad=True))


# -- .grad accumulation and assignment (ported) -------------------------------------------------
def test_leaf_grad_accumulates_into_the_same_tensor_object():
    x = f64([1.0, 2.0])
    (x * 3.0).sum().backward()
    kept = x.grad
    (x * x).sum().backward()
    assert x.grad is kept
    np.testing.assert_array_equal(kept.data, [5.0, 7.0])


def test_accumulation_under_create_graph_builds_a_new_recorded_total():
    x = f64([2.0])
    (x * x).sum().backward()
    first = x.grad
    (x * x).sum().backward(create_graph=True)
    assert x.grad is not first and x.grad.requires_grad
    np.testing.assert_array_equal(first.data, [4.0])  # the old tensor is left as it was
    np.testing.assert_array_equal(x.grad.data, [8.0])


@needs_torch
def test_grad_accumulation_identity_matches_pytorch():
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    (tx * 3.0).sum().backward()
    kept = tx.grad
    (tx * tx).sum().backward()
    x = f64([1.0, 2.0])
    (x * 3.0).sum().backward()
    ours = x.grad
    (x * x).sum().backward()
    assert (tx.grad is kept) == (x.grad is ours)
    np.testing.assert_array_equal(ours.data, kept.numpy())


def test_assigning_a_number_to_grad_is_a_type_error():
    x = f64([1.0, 2.0])
    with pytest.raises(TypeError, match="assigned grad expected to be a Tensor or None"):
        x.grad = 1.0
    x.grad = Tensor(np.zeros(2))
    x.grad = None
    if torch is not None:
        with pytest.raises(TypeError):
            torch.zeros(2, requires_grad=True).grad = 1.0


# -- sum_to ------------------------------------------------------------------------------------
def test_sum_to_refuses_a_shape_the_tensor_does_not_broadcast_from():
    x = Tensor(np.ones((2, 3)))
    assert x.sum_to((1, 3)).shape == (1, 3) and x.sum_to((3,)).shape == (3,)
    for bad in [(2,), (3, 2), (4, 3), (1, 2, 3)]:
        with pytest.raises(ValueError, match=rf"cannot be summed to shape {bad!r}".replace("(", r"\(")
                           .replace(")", r"\)")):
            x.sum_to(bad)


# -- grad modes -------------------------------------------------------------------------------
def test_no_grad_as_bare_and_called_decorator_on_functions_and_generators():
    x = f64([1.0])

    @tg.no_grad
    def bare():
        return x * 2

    @tg.no_grad()
    def called():
        return x * 2

    @tg.no_grad
    def generator():
        yield x * 2
        yield tg.is_grad_enabled()

    assert not bare().requires_grad and not called().requires_grad
    steps = generator()
    assert not next(steps).requires_grad
    assert tg.is_grad_enabled()  # the mode holds only while the generator runs
    assert next(steps) is False
    assert (x * 2).requires_grad


def test_a_decorated_generator_receives_sent_values_and_returns():
    @tg.no_grad()
    def echo():
        got = yield tg.is_grad_enabled()
        yield got, tg.is_grad_enabled()
        return "done"

    g = echo()
    assert next(g) is False
    assert g.send("hi") == ("hi", False)
    with pytest.raises(StopIteration) as stop:
        next(g)
    assert stop.value.value == "done" and tg.is_grad_enabled()


def test_set_grad_enabled_as_a_function_takes_effect_at_once():
    tg.set_grad_enabled(False)
    assert not tg.is_grad_enabled() and not (f64([1.0]) * 2).requires_grad
    tg.set_grad_enabled(True)
    assert tg.is_grad_enabled()


def test_set_grad_enabled_as_a_context_manager_and_a_decorator():
    with tg.set_grad_enabled(False):
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled()

    @tg.set_grad_enabled(False)
    def evaluate():
        return tg.is_grad_enabled()

    assert tg.is_grad_enabled()  # decorating does not switch the mode
    assert evaluate() is False and tg.is_grad_enabled()
    with tg.no_grad():
        with tg.set_grad_enabled(True):
            assert tg.is_grad_enabled()
        assert not tg.is_grad_enabled()
    with pytest.raises(TypeError, match="True or False"):
        tg.set_grad_enabled("no")


def test_inference_mode_is_no_grad():
    with tg.inference_mode():
        assert not tg.is_grad_enabled()

    @tg.inference_mode
    def f():
        return tg.is_grad_enabled()

    assert f() is False and tg.is_grad_enabled()
    with tg.no_grad(), tg.inference_mode(False):  # False: leave the mode as it is
        assert not tg.is_grad_enabled()
    with tg.inference_mode(False):
        assert tg.is_grad_enabled()


def test_set_grad_enabled_is_per_thread():
    seen = {}

    def other():
        seen["other"] = tg.is_grad_enabled()

    tg.set_grad_enabled(False)
    try:
        t = threading.Thread(target=other)
        t.start()
        t.join()
    finally:
        tg.set_grad_enabled(True)
    assert seen["other"] is True


# -- autograd.Function in PyTorch's form -------------------------------------------------------
class LegendrePolynomial3(tg.autograd.Function):
    """As in PyTorch's "Learning PyTorch with Examples" (the same text runs under torch)."""

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


class MyReLU(tg.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0
        return grad_input


class Scale(tg.autograd.Function):
    """A non-tensor argument, passed positionally; its gradient is None."""

    @staticmethod
    def forward(ctx, x, factor):
        ctx.factor = factor
        return x * factor

    @staticmethod
    def backward(ctx, grad_output):
        assert ctx.needs_input_grad == (True, False)
        return grad_output * ctx.factor, None


X = np.array([-1.2, -0.3, 0.4, 0.9])


def test_legendre_first_and_second_order():
    x = f64(X)
    y = LegendrePolynomial3.apply(x)
    np.testing.assert_allclose(y.data, 0.5 * (5 * X ** 3 - 3 * X))
    assert y.grad_fn.name() == "LegendrePolynomial3Backward"
    (g,) = tg.grad(y.sum(), x, create_graph=True)
    np.testing.assert_allclose(g.data, 1.5 * (5 * X ** 2 - 1))
    g.sum().backward()
    np.testing.assert_allclose(x.grad.data, 15 * X)
    assert tg.gradgradcheck(LegendrePolynomial3.apply, [f64(X)])


def test_a_custom_function_with_a_non_tensor_argument():
    x = f64(X)
    y = Scale.apply(x, 3.0)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.full(4, 3.0))
    y.sum().backward()  # it saved nothing, so (as in PyTorch) it may run again
    with tg.no_grad():
        assert Scale.apply(x, 2.0).grad_fn is None


def test_a_custom_function_that_saved_tensors_needs_retain_graph_twice():
    x = f64(X)
    loss = LegendrePolynomial3.apply(x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        loss.backward()


def test_a_custom_backward_returning_the_wrong_number_of_gradients_is_named():
    class Bad(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x, factor):
            return x * factor

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output

    with pytest.raises(RuntimeError, match=r"Bad.backward returned 1 gradients, but forward took 2"):
        Bad.apply(f64(X), 2.0).sum().backward()


@needs_clamp_clone
def test_my_relu_first_order_and_its_second_order_zero():
    x = f64(X)
    y = MyReLU.apply(x)
    np.testing.assert_array_equal(y.data, np.maximum(X, 0))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, (X >= 0).astype(float))
    x2 = f64(X)
    (g,) = tg.grad(MyReLU.apply(x2).sum(), x2, create_graph=True)
    np.testing.assert_array_equal(g.data, (X >= 0).astype(float))
    assert not g.requires_grad  # as in PyTorch: the seed was a constant, so is the mask


@needs_clamp_clone
def test_my_relu_masks_a_gradient_that_requires_grad_and_stays_differentiable():
    # f = relu(x) * x: grad_output = x requires grad, so the masked clone is recorded
    # (as where(mask, 0, clone)); df/dx = mask*x + relu(x), d/dx of its sum = 2*mask.
    x = f64(X)
    (g,) = tg.grad((MyReLU.apply(x) * x).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.data, (X >= 0) * X + np.maximum(X, 0))
    g.sum().backward()
    np.testing.assert_allclose(x.grad.data, 2.0 * (X >= 0))


@needs_torch
@needs_clamp_clone
def test_custom_functions_match_pytorch_first_and_second_order():
    def torch_form(base):  # the same Function text, under torch
        ns = {"torch": torch}
        return type(base.__name__, (torch.autograd.Function,),
                    {"forward": base.__dict__["forward"], "backward": base.__dict__["backward"],
                     **ns})
    for ours_fn in (LegendrePolynomial3, MyReLU):
        theirs_fn = torch_form(ours_fn)
        x, tx = f64(X), torch.tensor(X, requires_grad=True)
        (g,) = tg.grad((ours_fn.apply(x) * x).sum(), x, create_graph=True)
        (tg_,) = torch.autograd.grad((theirs_fn.apply(tx) * tx).sum(), tx, create_graph=True)
        np.testing.assert_allclose(g.data, tg_.detach().numpy())
        g.sum().backward()
        tg_.sum().backward()
        np.testing.assert_allclose(x.grad.data, tx.grad.numpy())


# -- item assignment: only outside every gradient computation ----------------------------------
def test_item_assignment_outside_recording_on_a_tensor_without_grad():
    t = Tensor(np.array([1.0, -2.0, 3.0]))
    with tg.no_grad():
        t[t < 0] = 0
        t[0] = Tensor(5.0)
    np.testing.assert_array_equal(t.data, [5.0, 0.0, 3.0])
    b = Tensor(np.broadcast_to(np.ones(1), (3,)))  # read-only memory: the tensor gets its own
    with tg.no_grad():
        b[1] = 2.0
    np.testing.assert_array_equal(b.data, [1.0, 2.0, 1.0])


def test_item_assignment_is_refused_where_a_graph_may_use_the_values():
    w = f64([1.0, 2.0])
    with pytest.raises(TypeError, match="requires grad.*records no in-place ops"):
        (w * 2)[0] = 5.0
    with pytest.raises(TypeError, match="value requires grad"):
        Tensor(np.zeros(2))[0] = w[1]
    with tg.no_grad():
        w[0] = 5.0  # editing a weight, as PyTorch allows
    assert w.tolist() == [5.0, 2.0] and w.requires_grad


def test_a_tensor_changed_after_a_graph_used_it_stops_backward_as_pytorchs_version_counter():
    c = Tensor(np.array([1.0, 2.0]))
    c[0] = 3.0  # not used by any graph yet: fine, even while recording
    w = f64([1.0, 2.0])
    y = (w * c).sum()  # Mul saves c for dy/dw = c
    c[1] = 7.0
    with pytest.raises(RuntimeError, match=r"Mul needs for its gradient was changed in place.*"
                                           r"input 1.*version 2, expected version 1.*clone"):
        y.backward()
    assert w.grad is None  # nothing was written before the error
    fresh = (w * c).sum()
    fresh.backward()
    assert w.grad.tolist() == [3.0, 7.0]


def test_an_optimizer_step_makes_an_older_graph_refuse_backward():
    w = f64([1.0, 2.0])
    opt = tg.optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    stale = (w * w).sum()
    opt.step()
    with pytest.raises(RuntimeError, match="changed in place"):
        stale.backward()


def test_additions_need_no_saved_values_so_they_ignore_later_changes():
    c = Tensor(np.array([1.0, 2.0]))
    w = f64([1.0, 2.0])
    y = (w + c).sum()
    c += 1.0  # Add's backward needs no values: PyTorch allows this too
    y.backward()
    assert w.grad.tolist() == [1.0, 1.0]
