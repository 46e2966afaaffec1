"""tg.compile: a compiled step gives the eager step's numbers bit for bit, with readable source.

Every comparison runs the same step twice from identical starting weights -- once eagerly,
once compiled -- on *new* data after the traced call, so a value frozen into the trace would
show.  Equality is of the bytes (``tobytes``), not within a tolerance.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.compiler import CompileWarning, TraceMismatchError
from tinygrad_edu.nn import functional as F


def same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def tutorial_params(seed: int, dtype) -> list[tg.Tensor]:
    rng = np.random.default_rng(seed)
    shapes = {"W1": (2, 4), "b1": (1, 4), "W2": (4, 1), "b2": (1, 1)}
    return [tg.Tensor((rng.normal(size=s) * 0.5).astype(dtype), requires_grad=True, name=n)
            for n, s in shapes.items()]


def tutorial_step(params: list[tg.Tensor], lr: float = 0.5):
    """The tutorial's 2→4→1 sigmoid network, its cross-entropy, backward and update()."""
    W1, b1, W2, b2 = params

    def step(X, y):
        z1 = X @ W1 + b1
        a1 = z1.sigmoid()
        z2 = a1 @ W2 + b2
        a2 = z2.sigmoid()
        for t, name in ((z1, "z1"), (a1, "a1"), (z2, "z2"), (a2, "a2")):
            t.name = name
        L = -(y * a2.log() + (1.0 - y) * (1.0 - a2).log()).mean()
        L.name = "L"
        for p in params:
            p.grad = None
        L.backward()
        with tg.no_grad():
            for p in params:
                p -= lr * p.grad
        return L
    return step


def batches(seed: int, n: int, dtype, count: int):
    rng = np.random.default_rng(seed + 1000)
    return [(tg.Tensor(rng.normal(size=(n, 2)).astype(dtype), name="X"),
             tg.Tensor(rng.integers(0, 2, size=(n, 1)).astype(dtype), name="y")) for _ in range(count)]


@settings(max_examples=12)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 9), dtype=st.sampled_from([np.float32, np.float64]))
def test_the_tutorial_step_compiled_equals_eager_bit_for_bit(seed, n, dtype):
    eager_params, compiled_params = tutorial_params(seed, dtype), tutorial_params(seed, dtype)
    eager, compiled = tutorial_step(eager_params), tg.compile(tutorial_step(compiled_params))
    for X, y in batches(seed, n, dtype, 4):
        assert same(eager(X, y).data, compiled(X, y).data)
        for p, q in zip(eager_params, compiled_params):
            assert same(p.data, q.data) and same(p.grad.data, q.grad.data), p.name
    assert compiled.trace_count == 1  # one signature, one trace, replayed three times


def test_the_tutorial_step_reads_like_the_hand_written_backward():
    params = tutorial_params(0, np.float64)
    step = tg.compile(tutorial_step(params))
    X, y = batches(0, 4, np.float64, 1)[0]
    step(X, y)
    lines = [line.strip() for line in step.source.splitlines()]
    for expected in ("z1 = matmul + b1", "a1 = sigmoid(z1)", "z2 = matmul_2 + b2", "a2 = sigmoid(z2)",
                     "db2 = dz2.sum(axis=(0,), keepdims=True)", "da1 = dz2 @ W2.T",
                     "dW2 = a1.T @ dz2", "dz1 = g_mul_3 * g_add_2", "dW1 = X.T @ dz1",
                     "W1 -= 0.5 * dW1", "b2 -= 0.5 * db2"):
        assert expected in lines, (expected, step.source)
    assert lines[0] == "def step(X, y, W1, b1, W2, b2):"
    order = [lines.index(x) for x in ("# forward", "# backward", "# update")]
    assert order == sorted(order)


def test_the_source_is_the_same_text_every_time():
    sources = []
    for _ in range(2):
        params = tutorial_params(3, np.float32)
        step = tg.compile(tutorial_step(params))
        step(*batches(3, 4, np.float32, 1)[0])
        sources.append(step.source)
    assert sources[0] == sources[1]


OPTIMIZERS = {
    "sgd": lambda p: tg.optim.SGD(p, lr=0.1),
    "sgd-nesterov-decay": lambda p: tg.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3),
    "adam": lambda p: tg.optim.Adam(p, lr=0.01),
    "adamw-amsgrad": lambda p: tg.optim.AdamW(p, lr=0.01, amsgrad=True),
    "rmsprop": lambda p: tg.optim.RMSprop(p, lr=0.01, momentum=0.5),
    "adagrad": lambda p: tg.optim.Adagrad(p, lr=0.1),
}
LOSSES = {
    "mse": (F.mse_loss, "tanh", None),
    "bce": (F.binary_cross_entropy, "relu", "sigmoid"),
    "bce-logits": (F.binary_cross_entropy_with_logits, "relu", None),
    "cross-entropy": (F.cross_entropy, "relu", None),
}


def train(optimizer: str, loss: str, dtype, compiled: bool, steps: int = 4):
    loss_fn, act, out_act = LOSSES[loss]
    classes = 3 if loss == "cross-entropy" else 1
    tg.manual_seed(0)
    model = nn.MLP([3, 5, classes], activation=act, output_activation=out_act, dtype=dtype)
    opt = OPTIMIZERS[optimizer](model.parameters())

    def step(x, y):
        opt.zero_grad()
        value = loss_fn(model(x), y)
        value.backward()
        opt.step()
        return value
    run = tg.compile(step) if compiled else step
    rng = np.random.default_rng(1)
    losses = []
    for _ in range(steps):
        x = tg.Tensor(rng.normal(size=(6, 3)).astype(dtype))
        y = tg.Tensor(rng.integers(0, 3, size=6) if classes == 3 else rng.uniform(size=(6, 1)).astype(dtype))
        losses.append(run(x, y).data)
    return losses, model, opt


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nn_and_optim_steps_compile_to_the_eager_numbers(optimizer, loss, dtype):
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)  # every one of these must compile
        (l1, m1, o1), (l2, m2, o2) = train(optimizer, loss, dtype, False), train(optimizer, loss, dtype, True)
    assert all(same(a, b) for a, b in zip(l1, l2))
    for (name, p), q in zip(m1.named_parameters(), m2.parameters()):
        assert same(p.data, q.data) and same(p.grad.data, q.grad.data), name
    for s1, s2 in zip(o1.state, o2.state):  # momentum buffers, moments, step counts
        assert s1.keys() == s2.keys()
        for k in s1:
            assert same(s1[k], s2[k]) if isinstance(s1[k], np.ndarray) else s1[k] == s2[k], k


def test_gradients_that_accumulate_across_calls_match_eager():
    """No zero_grad: the first call stores .grad, the later ones add into it -- two traces."""
    results = []
    for compiled in (False, True):
        w = tg.Tensor(np.array([1.0, -2.0, 0.5]), requires_grad=True, name="w")

        def step(x):
            loss = (w * x).relu().sum()  # noqa: B023  (called in this iteration)
            loss.backward()
            return loss
        run = tg.compile(step) if compiled else step
        for k in range(4):
            run(tg.Tensor(np.array([1.0, 2.0, -3.0]) * (k - 1.5)))
        results.append(w.grad.data.copy())
    assert same(*results)
    assert run.trace_count == 2


def test_a_new_shape_dtype_requires_grad_or_grad_mode_traces_again():
    w = tg.Tensor(np.ones((3, 2)), requires_grad=True)
    step = tg.compile(lambda x: x @ w)
    calls = [tg.Tensor(np.ones((4, 3))), tg.Tensor(np.ones((4, 3))), tg.Tensor(np.ones((5, 3))),
             tg.Tensor(np.ones((5, 3), dtype=np.float32)), tg.Tensor(np.ones((4, 3)), requires_grad=True)]
    with tg.no_grad():
        for x in calls:
            out = step(x)
            assert same(out.data, (x @ w).data)
    assert step.trace_count == 4  # (4,3) twice is one trace; the rest are new signatures
    with tg.no_grad():
        step(calls[0])
    with warnings.catch_warnings(record=True) as caught:  # recording: the output needs backward
        warnings.simplefilter("always")
        out = step(calls[0])
    assert out.requires_grad and "calls no backward" in str(caught[0].message)


def test_a_captured_parameter_that_is_frozen_traces_again():
    w = tg.Tensor(np.array([2.0, 3.0]), requires_grad=True, name="w")
    b = tg.Tensor(np.array([1.0, 1.0]), requires_grad=True, name="b")

    def step(x):
        for p in (w, b):
            p.grad = None
        loss = (w * x + b).sum()
        loss.backward()
        return loss
    run = tg.compile(step)
    x = tg.Tensor(np.array([1.0, 4.0]))
    run(x)
    run(x)
    w.requires_grad = False
    run(x)
    assert w.grad is None and same(b.grad.data, np.ones(2))
    assert run.trace_count == 2


@pytest.mark.parametrize("case", ["hook", "create_graph", "item_assignment", "float_return",
                                  "array_from_data", "numpy_update", "std_mask"])
def test_what_cannot_be_compiled_runs_eagerly_with_a_warning(case):
    w = tg.Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True, name="w")
    if case == "hook":
        w.register_hook(lambda g: g * 2)

    def step(x):
        w.grad = None
        if case == "item_assignment":
            with tg.no_grad():
                h = x * 1.0
                h[0] = 0.0  # an in-place edit: not replayed
            loss = (w * h).sum()
        elif case == "array_from_data":
            loss = (w * tg.Tensor(x.data * 2.0)).sum()
        elif case == "std_mask":
            loss = (w * x).std()
        else:
            loss = (w * x).sum()
        if case == "create_graph":
            (g,) = tg.grad(loss, [w], create_graph=True)
            loss = loss + (g * g).sum()
        loss.backward()
        if case == "numpy_update":
            w.data -= 0.1 * w.grad.data  # raw NumPy: outside what the engine sees
        return loss.item() if case == "float_return" else loss

    run = tg.compile(step)
    reasons = {"hook": "hook", "create_graph": "create_graph=True", "item_assignment": "item assignment",
               "float_return": "returns a float", "array_from_data": "made inside the step",
               "numpy_update": "w (.data) differs", "std_mask": "computed outside the engine's ops"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for k in range(3):
            x = tg.Tensor(np.array([1.0, -1.0, 2.0]) * (k + 1))
            before = w.data.copy()
            got = run(x)
            expected_w = w.data.copy()
            w.data[...] = before
            want = step(x)
            assert same(w.data, expected_w)
            assert same(getattr(got, "data", got), getattr(want, "data", want))
    messages = [str(c.message) for c in caught if issubclass(c.category, CompileWarning)]
    assert len(messages) == 1 and reasons[case] in messages[0], messages
    assert messages[0].startswith("tg.compile: ") and "runs eagerly" in messages[0]


def test_check_true_names_the_value_whose_trace_no_longer_holds():
    w = tg.Tensor(np.array([1.0, 2.0]), requires_grad=True)

    def step(x):
        w.grad = None
        loss = (w * x).sum()
        if loss.item() > 0:  # data-dependent Python: traced as taken
            loss = loss * 2.0
        loss.backward()
        return loss
    run = tg.compile(step, check=True)
    run(tg.Tensor(np.array([1.0, 1.0])))
    run(tg.Tensor(np.array([2.0, 1.0])))  # same branch: the check passes
    with pytest.raises(TraceMismatchError, match=r"return value 0 .* differs.*traced as taken"):
        run(tg.Tensor(np.array([-5.0, 1.0])))
    unchecked = tg.compile(step)
    unchecked(tg.Tensor(np.array([1.0, 1.0])))
    assert unchecked(tg.Tensor(np.array([-5.0, 1.0]))).item() == -6.0  # the trace as taken


def test_names_are_sanitised_and_the_namespace_holds_only_numpy_and_captures():
    w = tg.Tensor(np.array([1.0, 2.0]), requires_grad=True, name="w; import os")

    def step(x):
        w.grad = None
        loss = (w * x).exp().sum()
        loss.name = "__import__('os')"
        loss.backward()
        return loss
    run = tg.compile(step)
    run(tg.Tensor(np.array([0.5, 0.25])))
    assert "import os" not in run.source and "__import__(" not in run.source
    assert "w_import_os" in run.source
    namespace = run.program.step.__globals__
    assert set(namespace) - {"__builtins__", "step"} <= {"np"} | {
        k for k, v in namespace.items() if isinstance(v, np.ndarray)}


def test_a_forward_alone_compiles_under_no_grad():
    tg.manual_seed(0)
    model = nn.MLP([3, 4, 2], activation="relu")
    forward = tg.compile(model)
    x = tg.Tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
    with tg.no_grad():
        forward(x)
        out = forward(x * 2.0)
        assert same(out.data, model(x * 2.0).data)
    assert "def step(x, fc1_weight, fc1_bias, fc2_weight, fc2_bias):" in forward.source


def test_decorator_forms_and_bad_arguments():
    @tg.compile
    def double(x):
        return x * 2.0

    @tg.compile(check=1)
    def triple(x):
        return x * 3.0
    with tg.no_grad():
        assert double(tg.Tensor([1.0])).item() == 2.0 and triple(tg.Tensor([1.0])).item() == 3.0
    with pytest.raises(TypeError, match="fn must be a function"):
        tg.compile(3)
    with pytest.raises(RuntimeError, match="no compiled trace yet: call it once first"):
        _ = tg.compile(lambda x: x).source


def test_star_import_keeps_the_builtin_compile():
    namespace: dict = {}
    exec("from tinygrad_edu import *", namespace)
    assert "compile" not in namespace and tg.compile is tg.compiler.compile


def test_explain_still_traces_an_eager_step_next_to_a_compiled_one():
    params = tutorial_params(1, np.float64)
    step = tg.compile(tutorial_step(params))
    X, y = batches(1, 4, np.float64, 1)[0]
    step(X, y)
    step(X, y)
    W1, b1, W2, b2 = params
    loss = ((X @ W1 + b1).sigmoid() @ W2 + b2).sigmoid().sum()
    trace = tg.explain(loss)
    assert len(trace) > 0 and same(trace.grad(W2).data, tg.grad(loss, [W2], retain_graph=True)[0].data)


def test_a_pytorch_style_function_compiles_from_the_tensor_ops_inside_it():
    """tg.autograd.Function runs Tensor code in forward and backward: the trace sees those ops."""
    class Cube(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3.0 * x * x * g

    results = []
    for compiled in (False, True):
        w = tg.Tensor(np.array([1.0, -2.0]), requires_grad=True)

        def step(x):
            w.grad = None  # noqa: B023  (called in this iteration)
            loss = Cube.apply(w * x).sum()  # noqa: B023  (called in this iteration)
            loss.backward()
            with tg.no_grad():
                p = w  # noqa: B023  (called in this iteration)
                p -= 0.01 * p.grad  # in place: p is w
            return loss
        run = tg.compile(step) if compiled else step
        losses = [run(tg.Tensor(np.array([0.5, 1.5]) * k)).data for k in range(1, 4)]
        results.append((losses, w.data.copy(), w.grad.data.copy()))
    assert all(same(a, b) for a, b in zip(results[0][0], results[1][0]))
    assert same(results[0][1], results[1][1]) and same(results[0][2], results[1][2])


def test_zero_grad_in_place_compiles():
    results = []
    for compiled in (False, True):
        w = tg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
        (w * 1.0).sum().backward()  # .grad exists before the first call

        def step(x):
            w.grad.zero_()  # noqa: B023  (called in this iteration)
            loss = (w * x).sum()  # noqa: B023  (called in this iteration)
            loss.backward()
            return loss
        run = tg.compile(step) if compiled else step
        for k in range(3):
            run(tg.Tensor(np.array([3.0, -1.0]) * k))
        results.append(w.grad.data.copy())
    assert same(*results)
    assert "grad_w[...] = 0" in run.source or "[...] = 0" in run.source


def test_the_guide_shows_the_source_compile_writes_today(capsys):
    """docs/guide/09-compile.md prints the tutorial step's program; the page shows that output."""
    import pathlib
    import re

    page = (pathlib.Path(__file__).resolve().parent.parent / "docs/guide/09-compile.md").read_text()
    code = re.search(r"```python\n(.*?)```", page, re.S).group(1)
    shown = re.search(r"It prints the loss and the program the engine wrote:\n\n```text\n(.*?)```",
                      page, re.S).group(1)
    exec(compile(code, "09-compile.md", "exec"), {})
    assert capsys.readouterr().out.rstrip() == shown.rstrip()
    for line in ("da1 = dz2 @ W2.T", "dW2 = a1.T @ dz2", "dW1 = X.T @ dz1", "W1 -= 0.5 * dW1",
                 "db2 = dz2.sum(axis=(0,), keepdims=True)"):
        assert "    " + line in shown  # the table's right column quotes these lines


def test_a_model_and_optimizer_passed_as_arguments_are_captured_by_reference():
    results = []
    for compiled in (False, True):
        tg.manual_seed(0)
        model = nn.MLP([2, 3, 1], activation="tanh", dtype=np.float64)
        opt = tg.optim.SGD(model.parameters(), lr=0.1, momentum=0.5)

        def step(model, opt, x):
            opt.zero_grad()
            loss = (model(x) ** 2).mean()
            loss.backward()
            opt.step()
            return loss
        run = tg.compile(step) if compiled else step
        for k in range(3):
            run(model, opt, tg.Tensor(np.array([[1.0, -1.0], [0.5, 2.0]]) * (k + 1)))
        results.append([p.data.copy() for p in model.parameters()])
    assert all(same(a, b) for a, b in zip(*results))
    assert run.trace_count == 1 and "def step(x, fc1_weight," in run.source


def test_viz_draws_a_compiled_step_as_its_program(tmp_path):
    from tinygrad_edu import viz

    sources = []
    for i in range(2):
        step = tg.compile(tutorial_step(tutorial_params(0, np.float64)))
        step(*batches(0, 4, np.float64, 1)[0])
        sources.append(open(viz.save_graph(step, tmp_path / f"step{i}.dot"), encoding="utf-8").read())
    dot = sources[0]
    assert sources[0] == sources[1]  # byte-identical DOT for the same step
    assert step.graph.source == dot
    for label in ("cluster_forward", "cluster_backward", "cluster_update", '"dz2 @ W2.T"',
                  '"W1 -= 0.5 * dW1"', '"sigmoid(z1)"'):
        assert label in dot, label
    ops = sum(1 for line in step.source.splitlines()[6:] if " = " in line or " -= " in line)
    assert dot.count("shape=ellipse") == ops  # one oval per line of the program


def test_parameters_passed_as_arguments_get_their_grad_each_call():
    w_eager, w_compiled = (tg.Tensor(np.array([0.5, -1.0]), requires_grad=True) for _ in range(2))

    def step(w, x):
        loss = (w * x).tanh().sum()
        loss.backward()
        return loss
    run = tg.compile(step)
    for k in range(3):
        x = tg.Tensor(np.array([1.0, 2.0]) * (k + 1))
        w_eager.grad = w_compiled.grad = None
        assert same(step(w_eager, x).data, run(w_compiled, x).data)
        assert same(w_eager.grad.data, w_compiled.grad.data)
    other = tg.Tensor(np.array([3.0, 1.0]), requires_grad=True)  # another tensor, same shapes
    run(other, x)
    assert other.grad is not None and w_compiled.grad is not None and run.trace_count == 1


def test_a_custom_numpy_op_is_called_by_name_and_a_numpy_backward_is_refused():
    class Cube(tg.Function):
        """y = x**3;  dy/dx = 3 x**2"""

        def forward(ctx, x):
            return x ** 3

        def backward(ctx, grad_out):
            (x,) = ctx.inputs
            return grad_out * 3.0 * x * x

    class CubeByHand(Cube):
        def backward(ctx, grad_out):  # raw NumPy: the engine cannot see how it was made
            (x,) = ctx.inputs
            return grad_out.data * 3.0 * x.data ** 2

    for op, compiles in ((Cube, True), (CubeByHand, False)):
        w = tg.Tensor(np.array([1.0, -2.0]), requires_grad=True)

        def step(x):
            w.grad = None  # noqa: B023  (called in this iteration)
            loss = op.apply(w * x).sum()  # noqa: B023  (called in this iteration)
            loss.backward()
            return loss
        run = tg.compile(step)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for k in range(3):
                x = tg.Tensor(np.array([0.5, 1.5]) * (k + 1))
                got, got_grad = run(x).data, w.grad.data.copy()
                assert same(got, step(x).data) and same(got_grad, w.grad.data)
        assert (run.trace_count == 1) == compiles
        if compiles:
            assert "cube(mul)" in run.source or "cube(" in run.source
        else:
            assert "made with NumPy inside a backward rule" in str(caught[0].message)


def test_a_tensor_made_during_the_call_and_kept_is_not_reused():
    """A step that stores a fresh random tensor on an object: replaying it would freeze it."""
    class Noisy:
        noise = None

    holder = Noisy()
    w = tg.Tensor(np.array([1.0, 2.0]), requires_grad=True)

    def step(x):
        w.grad = None
        holder.noise = tg.Tensor(np.random.default_rng(int(x.data[0])).normal(size=2))
        loss = (w * x * holder.noise).sum()
        loss.backward()
        return loss
    run = tg.compile(step)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for k in range(3):
            x = tg.Tensor(np.array([float(k), 1.0]))
            got = run(x).data
            assert same(got, (w * x * holder.noise).sum().data)
    assert run.trace_count == 0 and caught and "created during this call" in str(caught[0].message)


def test_dropout_runs_eagerly():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5), nn.Linear(4, 1))

    def step(x):
        model.zero_grad()
        loss = model(x).sum()
        loss.backward()
        return loss
    run = tg.compile(step)
    with pytest.warns(CompileWarning, match="made inside the step"):
        run(tg.Tensor(np.ones((2, 3), dtype=np.float32)))
