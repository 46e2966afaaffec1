"""viz.GradientMonitor and its Keras callback: the numbers against NumPy by hand on a tiny
model (norms, update ratios, activation statistics, dead units), the input-to-output order,
both API styles, the report's escaping and determinism, and the errors for misuse."""

from collections import OrderedDict
from html.parser import HTMLParser

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import keras, nn, viz
from tinygrad_edu.nn import functional as F

HOSTILE = "<script>alert('x')</script> & \"q\""
X = np.array([[1.0, 2.0], [-1.0, 0.5], [0.5, -2.0], [2.0, 1.0]])
Y = np.array([[1.0], [0.0], [-1.0], [0.5]])
W1 = np.array([[0.5, -0.3], [0.2, 0.4], [0.0, 0.0]])  # unit 3: weight 0 and bias -1, always dead
B1 = np.array([0.1, -0.2, -1.0])
W2 = np.array([[0.7, -0.5, 0.9]])
B2 = np.array([0.05])


def tiny_model():
    model = nn.Sequential(OrderedDict(fc1=nn.Linear(2, 3, dtype=np.float64), act=nn.ReLU(),
                                      fc2=nn.Linear(3, 1, dtype=np.float64)))
    for p, value in zip(model.parameters(), (W1, B1, W2, B2)):
        p.data = value.copy()
    return model


def by_hand(W1, B1, W2, B2):
    """Forward and backward of mse(relu(X W1ᵀ + b1) W2ᵀ + b2, Y), written out in NumPy."""
    z = X @ W1.T + B1
    h = np.maximum(z, 0)
    out = h @ W2.T + B2
    d_out = 2 * (out - Y) / out.size
    d_z = (d_out @ W2) * (z > 0)
    grads = (d_z.T @ X, d_z.sum(0), d_out.T @ h, d_out.sum(0))
    return z, h, out, grads


def train(model, monitor, steps, lr=0.1):
    opt = tg.optim.SGD(model.parameters(), lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        F.mse_loss(model(tg.Tensor(X)), tg.Tensor(Y)).backward()
        opt.step()
        monitor.record()


def test_one_step_matches_numpy_by_hand():
    model = tiny_model()
    monitor = viz.GradientMonitor(model)
    train(model, monitor, 1, lr=0.1)
    z, h, out, (gW1, gb1, gW2, gb2) = by_hand(W1, B1, W2, B2)
    norms = monitor.grad_norms()
    assert list(norms) == ["fc1", "fc2"]
    assert norms["fc1"] == [pytest.approx(np.sqrt((gW1 ** 2).sum() + (gb1 ** 2).sum()), rel=1e-12)]
    assert norms["fc2"] == [pytest.approx(np.sqrt((gW2 ** 2).sum() + (gb2 ** 2).sum()), rel=1e-12)]
    per_parameter = monitor.grad_norms(by="parameter")
    assert list(per_parameter) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert per_parameter["fc1.weight"] == [pytest.approx(np.linalg.norm(gW1), rel=1e-12)]
    # SGD moves w by -lr g, so the ratio is lr ‖g‖ / ‖w before the step‖.
    ratios = monitor.update_ratios(by="parameter")
    assert ratios["fc2.weight"] == [pytest.approx(0.1 * np.linalg.norm(gW2) / np.linalg.norm(W2), rel=1e-9)]
    layer_w = np.sqrt((W1 ** 2).sum() + (B1 ** 2).sum())
    layer_g = np.sqrt((gW1 ** 2).sum() + (gb1 ** 2).sum())
    assert monitor.update_ratios()["fc1"] == [pytest.approx(0.1 * layer_g / layer_w, rel=1e-9)]
    stats = monitor.activation_stats()
    assert list(stats) == ["fc1", "act", "fc2"]
    assert stats["fc1"]["mean"] == [pytest.approx(z.mean())]
    assert stats["fc1"]["std"] == [pytest.approx(z.std())]
    assert stats["act"]["std"] == [pytest.approx(h.std())]
    assert stats["fc2"]["mean"] == [pytest.approx(out.mean())]
    assert stats["act"]["dead_fraction"] == [1 / 3]  # unit 3 is 0 on every sample
    assert stats["fc1"]["dead_fraction"] == [None]  # not a ReLU output
    assert monitor.steps == [0] and stats["act"]["step"] == [0]


def test_every_k_records_every_kth_step_and_its_own_update():
    model, reference = tiny_model(), tiny_model()
    monitor = viz.GradientMonitor(model, every=2, details_every=2)
    train(model, monitor, 5, lr=0.1)
    assert monitor.steps == [0, 2, 4]
    # Replay the same training by hand; the ratio at step 2 is step 2's update alone.
    weights = [p.data.copy() for p in reference.parameters()]
    expected_norm, expected_ratio = [], []
    for step in range(5):
        grads = by_hand(*weights)[3]
        new = [w - 0.1 * g for w, g in zip(weights, grads)]
        if step % 2 == 0:
            expected_norm.append(np.sqrt(sum((g ** 2).sum() for g in grads[2:])))
            expected_ratio.append(np.linalg.norm(new[2] - weights[2]) / np.linalg.norm(weights[2]))
        weights = new
    assert monitor.grad_norms()["fc2"] == pytest.approx(expected_norm, rel=1e-10)
    assert monitor.update_ratios(by="parameter")["fc2.weight"] == pytest.approx(expected_ratio, rel=1e-8)
    assert monitor.activation_stats()["act"]["step"] == [0, 2, 4]


@settings(max_examples=25, deadline=None)
@given(lr=st.floats(1e-4, 1.0), width=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_sgd_update_ratio_is_lr_times_grad_over_weight(lr, width, seed):
    rng = np.random.default_rng(seed)
    model = nn.Sequential(nn.Linear(2, width, rng=rng, dtype=np.float64), nn.Tanh(),
                          nn.Linear(width, 1, rng=rng, dtype=np.float64))
    before = {name: p.data.copy() for name, p in model.named_parameters()}
    monitor = viz.GradientMonitor(model)
    train(model, monitor, 1, lr=lr)
    for name, p in model.named_parameters():
        expected = lr * np.linalg.norm(p.grad.data) / np.linalg.norm(before[name])
        assert monitor.update_ratios(by="parameter")[name][0] == pytest.approx(expected, rel=1e-9)


class Backwards(nn.Module):
    """Layers registered output first: the monitor orders them by the forward instead."""

    def __init__(self):
        super().__init__()
        self.head = nn.Linear(4, 1, dtype=np.float64)
        self.unused = nn.Linear(2, 2, dtype=np.float64)
        self.middle = nn.Linear(3, 4, dtype=np.float64)
        self.stem = nn.Linear(2, 3, dtype=np.float64)

    def forward(self, x):
        return self.head(self.middle(self.stem(x).relu()).relu())


def test_grad_norms_run_from_input_to_output():
    model = Backwards()
    monitor = viz.GradientMonitor(model)
    train(model, monitor, 2)
    assert monitor.layer_names() == ["stem", "middle", "head", "unused"]  # never called: last
    norms = monitor.grad_norms()
    assert list(norms) == ["stem", "middle", "head", "unused"]
    assert norms["unused"] == [0.0, 0.0]  # no gradient reached it
    assert list(monitor.activation_stats()) == ["stem", "middle", "head"]


def test_keras_callback_records_each_batch_after_the_step():
    rng = np.random.default_rng(0)
    Xk, Yk = rng.normal(size=(8, 3)), rng.normal(size=(8, 1))
    model = keras.Sequential([keras.layers.Dense(4, activation="relu", input_shape=(3,)),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    # The first step's gradient, computed beside fit on the same weights and the whole batch.
    model.loss_fn(tg.Tensor(Yk), model(tg.Tensor(Xk))).backward()
    expected = [float(np.sqrt(sum((p.grad.data.astype(np.float64) ** 2).sum() for p in layer.parameters())))
                for layer in model.layers]
    model.zero_grad()
    callback = keras.callbacks.GradientMonitor(every=1)
    model.fit(Xk, Yk, epochs=3, batch_size=None, shuffle=False, verbose=0, callbacks=[callback])
    assert callback.steps == [0, 1, 2]
    norms = callback.grad_norms()
    assert list(norms) == [layer.name for layer in model.layers] == ["dense", "dense_1"]
    assert [norms[n][0] for n in norms] == pytest.approx(expected, rel=1e-5)
    assert callback.activation_stats()["dense"]["dead_fraction"][0] is not None  # Dense(relu)
    assert callback.activation_stats()["dense_1"]["dead_fraction"][0] is None
    assert all(not layer._forward_hooks for layer in model.layers)  # removed after fit


def test_the_viz_monitor_itself_is_a_keras_callback():
    rng = np.random.default_rng(0)
    Xk, Yk = rng.normal(size=(8, 3)), rng.normal(size=(8, 1))
    model = keras.Sequential([keras.layers.Dense(4, activation="relu", input_shape=(3,)),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    monitor = tg.viz.GradientMonitor(model)
    callback = keras.callbacks.GradientMonitor()
    model.fit(Xk, Yk, epochs=2, batch_size=4, shuffle=False, verbose=0, callbacks=[monitor, callback])
    assert monitor.steps == callback.steps == [0, 1, 2, 3]  # one record per batch, as the callback
    assert monitor.grad_norms() == callback.grad_norms()
    other = keras.Sequential([keras.layers.Dense(1, input_shape=(3,))])
    other.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"fit was called on another model"):
        other.fit(Xk, Yk, epochs=1, verbose=0, callbacks=[monitor])


def test_keras_callback_update_ratio_is_the_first_steps_update():
    rng = np.random.default_rng(1)
    Xk, Yk = rng.normal(size=(6, 2)), rng.normal(size=(6, 1))
    model = keras.Sequential([keras.layers.Dense(1, input_shape=(2,))])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse")
    start = [p.data.astype(np.float64) for p in model.parameters()]
    callback = keras.callbacks.GradientMonitor()
    model.fit(Xk, Yk, epochs=1, batch_size=None, shuffle=False, verbose=0, callbacks=[callback])
    after = [p.data.astype(np.float64) for p in model.parameters()]
    moved = np.sqrt(sum(((a - s) ** 2).sum() for a, s in zip(after, start)))
    weight = np.sqrt(sum((s ** 2).sum() for s in start))
    assert callback.update_ratios()["dense"] == [pytest.approx(moved / weight, rel=1e-5)]


def test_histograms_every_k_steps_count_every_gradient_entry():
    model = tiny_model()
    monitor = viz.GradientMonitor(model, every=1, details_every=2, bins=5)  # (all entries: < sample)
    train(model, monitor, 3)
    assert [h["step"] for h in monitor.histograms] == [0, 2]
    counts, edges = monitor.histograms[0]["gradients"]["fc1"]
    assert counts.sum() == 9 and len(edges) == 6  # 6 weights + 3 biases, 5 bins
    grads = by_hand(W1, B1, W2, B2)[3]
    assert np.array_equal(counts, np.histogram(np.concatenate([grads[0].ravel(), grads[1]]), bins=5)[0])
    assert monitor.histograms[0]["activations"]["act"][0].sum() == 12  # 4 samples x 3 units


class _Page(HTMLParser):
    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.text, self.tags = [], []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def _hostile_model():
    model = nn.Sequential()
    model.add_module(HOSTILE, nn.Linear(2, 3, dtype=np.float64))
    model.add_module("act", nn.ReLU())
    model.add_module("out", nn.Linear(3, 1, dtype=np.float64))
    for p, value in zip(model.parameters(), (W1, B1, W2, B2)):
        p.data = value.copy()
    return model


def test_report_escapes_names_and_is_self_contained():
    model = _hostile_model()
    monitor = viz.GradientMonitor(model, details_every=1)
    train(model, monitor, 2)
    page = monitor.report(title=HOSTILE).html
    assert "<script" not in page  # the name is text, and the report needs no script
    parsed = _Page(page)
    text = "".join(parsed.text)
    assert HOSTILE in text
    assert "default-src 'none'" in page
    assert "http:" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")  # no link out
    assert "https:" not in page and "src=" not in page
    assert list(monitor.grad_norms()) == [HOSTILE, "out"]
    assert "dead units" in text and "33%" in text  # the dead unit, in the table


def test_same_training_gives_the_same_report_bytes(tmp_path):
    for k in range(2):
        model = tiny_model()
        monitor = viz.GradientMonitor(model, details_every=2)
        train(model, monitor, 4)
        monitor.save_html(tmp_path / f"r{k}.html")
    assert (tmp_path / "r0.html").read_bytes() == (tmp_path / "r1.html").read_bytes()


def test_many_steps_are_averaged_into_at_most_max_columns():
    from tinygrad_edu.viz import monitor_report
    model = tiny_model()
    monitor = viz.GradientMonitor(model)
    train(model, monitor, monitor_report.MAX_COLUMNS + 10, lr=0.01)
    page = monitor.report().html
    rects = page.count("</title></rect>")  # heat-map cells (histogram bars have no title)
    assert rects == 2 * 2 * monitor_report.MAX_COLUMNS  # 2 heat maps x 2 layers
    assert "steps 0-1 (mean of log10)" in page


def test_plot_draws_one_figure_with_the_heat_maps():
    pytest.importorskip("matplotlib")
    model = tiny_model()
    monitor = viz.GradientMonitor(model)
    train(model, monitor, 3)
    fig = monitor.plot()
    heat = fig.axes[0].images[0].get_array()
    assert heat.shape == (2, 3)
    assert np.allclose(heat, np.log10(np.array(list(monitor.grad_norms().values()))))


def test_plot_without_matplotlib_says_what_to_install(monkeypatch):
    import sys
    model = tiny_model()
    monitor = viz.GradientMonitor(model)
    train(model, monitor, 1)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"tinygrad-edu\[plot\]"):
        monitor.plot()


def test_clear_errors():
    model = tiny_model()
    monitor = viz.GradientMonitor(model)
    with pytest.raises(RuntimeError, match="after loss.backward"):
        monitor.record()
    with pytest.raises(RuntimeError, match="nothing recorded yet"):
        monitor.report()
    with pytest.raises(ValueError, match="no parameters that require grad"):
        viz.GradientMonitor(nn.Sequential(nn.ReLU()))
    with pytest.raises(TypeError, match="nn.Module"):
        viz.GradientMonitor([p for p in model.parameters()])
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="every must be a positive integer"):
            viz.GradientMonitor(model, every=bad)
    with pytest.raises(ValueError, match="must be a multiple of every=3"):
        viz.GradientMonitor(model, every=3, details_every=4)
    with pytest.raises(ValueError, match="every must be a positive integer"):
        keras.callbacks.GradientMonitor(every=0)  # checked when made, not when fit starts
    with pytest.raises(RuntimeError, match="pass the callback to fit"):
        keras.callbacks.GradientMonitor().grad_norms()
    train(model, monitor, 1)
    with pytest.raises(ValueError, match="by must be 'layer' or 'parameter'"):
        monitor.grad_norms(by="module")


def test_forward_hooks_see_inputs_and_output_and_can_be_removed():
    layer = nn.Linear(2, 1, dtype=np.float64)
    seen = []
    handle = layer.register_forward_hook(lambda m, inputs, out: seen.append((m, inputs, out.data.copy())))
    x = tg.Tensor(X)
    out = layer(x)
    assert seen[0][0] is layer and seen[0][1] == (x,) and np.array_equal(seen[0][2], out.data)
    handle.remove()
    layer(x)
    assert len(seen) == 1
    layer.register_forward_hook(lambda m, inputs, out: out * 2)  # a returned value replaces the output
    assert np.allclose(layer(x).data, 2 * out.data)
    with pytest.raises(TypeError, match="hook must be a function"):
        layer.register_forward_hook("not a function")


def test_remove_unhooks_the_model_and_keeps_the_numbers():
    model = tiny_model()
    monitor = viz.GradientMonitor(model)
    train(model, monitor, 1)
    monitor.remove()
    assert all(not m._forward_hooks for m in model.modules())
    assert len(monitor.grad_norms()["fc1"]) == 1


def test_large_parameters_have_their_update_measured_on_an_even_sample():
    rng = np.random.default_rng(3)
    model = nn.Sequential(nn.Linear(2, 30, rng=rng, dtype=np.float64), nn.Tanh(),
                          nn.Linear(30, 1, rng=rng, dtype=np.float64))
    weight = model[0].weight
    before = weight.data.ravel().copy()
    monitor = viz.GradientMonitor(model, sample=10)  # fc weight: 60 entries, so 10 of them
    train(model, monitor, 1, lr=0.1)
    index = np.arange(0, 60, 6)  # every 6th entry: 10 of the 60
    moved = weight.data.ravel()[index] - before[index]
    expected = np.linalg.norm(moved) / np.linalg.norm(before[index])
    assert monitor.update_ratios(by="parameter")["0.weight"] == [pytest.approx(expected, rel=1e-12)]
    # The gradient norm is always exact, and a parameter at most `sample` long is exact too.
    assert monitor.grad_norms(by="parameter")["0.weight"] == [pytest.approx(np.linalg.norm(weight.grad.data))]


def test_details_are_recorded_every_details_every_steps():
    model = tiny_model()
    monitor = viz.GradientMonitor(model, every=1, details_every=3)
    train(model, monitor, 7)
    assert monitor.steps == list(range(7))
    assert monitor.activation_stats()["act"]["step"] == [0, 3, 6]
    assert [h["step"] for h in monitor.histograms] == [0, 3, 6]
    with pytest.raises(ValueError, match="sample must be a positive integer"):
        viz.GradientMonitor(model, sample=0)


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=200),
       bins=st.integers(1, 40))
def test_histogram_has_numpys_edges_and_counts_every_value(values, bins):
    from tinygrad_edu.viz.monitor import histogram
    counts, edges = histogram(np.array(values), bins)
    assert counts.sum() == len(values) and len(counts) == bins
    assert np.allclose(edges, np.histogram(values, bins=bins)[1], rtol=1e-12, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.integers(0, 30), min_size=1, max_size=200), top=st.integers(1, 30))
def test_histogram_counts_are_numpys_where_bins_are_exact(values, top):
    # Integers from 0 to top in top unit bins: every edge and index is exact, so the two
    # must agree (elsewhere a value within rounding of an edge may land on either side).
    from tinygrad_edu.viz.monitor import histogram
    data = np.array([0, top] + [v % (top + 1) for v in values], dtype=np.float64)
    assert np.array_equal(histogram(data, top)[0], np.histogram(data, bins=top)[0])


def test_histogram_skips_non_finite_values():
    from tinygrad_edu.viz.monitor import histogram
    counts, edges = histogram(np.array([1.0, np.nan, 2.0, np.inf, 3.0]), 2)
    assert counts.tolist() == [1, 2] and edges.tolist() == [1.0, 2.0, 3.0]
