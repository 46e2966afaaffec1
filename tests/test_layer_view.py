"""The layer view: layer boxes from module scopes, the tutorial's backward line for line,
drill-down, the engine's numbers after a plain backward(), size at one screen, determinism."""

import io
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from figure_sizes import smallest_text, svg_size

import tinygrad_edu as tg
from tinygrad_edu import cli, keras, nn, viz
from tinygrad_edu.explain import explain, replay
from tinygrad_edu.nn import functional as F
from tinygrad_edu.viz.layers import layer_view
from tinygrad_edu.viz.model import GraphModel

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def tutorial_network():
    """The tutorial's 2→4→1 sigmoid network in Keras' (in, out) layout, on XOR, float64."""
    tg.set_default_dtype(np.float64)
    rng = np.random.default_rng(0)
    w = {"W1": rng.normal(size=(2, 4)) * 0.5, "b1": rng.normal(size=4) * 0.1,
         "W2": rng.normal(size=(4, 1)) * 0.5, "b2": rng.normal(size=1) * 0.1}
    model = keras.Sequential([keras.layers.Dense(4, activation="sigmoid", input_dim=2),
                              keras.layers.Dense(1, activation="sigmoid")])
    for layer, k in zip(model.layers, "12"):
        layer.kernel.data[...] = w[f"W{k}"]
        layer.bias.data[...] = w[f"b{k}"]
    X, labels = tg.data.make_xor()
    X = X.astype(np.float64)
    y = labels.reshape(-1, 1).astype(np.float64)
    loss = F.binary_cross_entropy(model(tg.Tensor(X, name="X")), tg.Tensor(y, name="y"))
    return loss, w, X, y


def tutorial_backward(w, X, y):
    """The tutorial's backward(), line for line (its dz2 = a2 - y is the BCE's, see errata)."""
    m = X.shape[0]
    a1 = sigmoid(X @ w["W1"] + w["b1"])
    a2 = sigmoid(a1 @ w["W2"] + w["b2"])
    dz2 = a2 - y
    dW2 = (1 / m) * a1.T @ dz2
    db2 = (1 / m) * np.sum(dz2, axis=0)
    da1 = dz2 @ w["W2"].T
    dz1 = da1 * (a1 * (1 - a1))
    dW1 = (1 / m) * X.T @ dz1
    db1 = (1 / m) * np.sum(dz1, axis=0)
    # The engine's δ carries the mean's 1/m from the start; the tutorial applies it late.
    return {"z2": dz2 / m, "W2": dW2, "b2": db2, "a1": da1 / m, "z1": dz1 / m, "W1": dW1, "b1": db1}


def test_the_tutorial_network_lines_up_with_its_hand_written_backward():
    loss, w, X, y = tutorial_network()
    view = layer_view(loss, explain(loss))
    hidden, output, bce = (view.layer(n) for n in ("dense", "dense_1", "binary_cross_entropy"))
    assert output.forward == ("z2 = a1·W2 + b2", "a2 = σ(z2)")
    assert hidden.forward == ("z1 = X·W1 + b1", "a1 = σ(z1)")
    # The tutorial's lines, in its order, and the view's line that computes each.
    pairs = [("z2", output, "z", "∂L/∂z2 = δ ⊙ a2(1 − a2)"),
             ("W2", output, "W", "∂L/∂W2 = a1ᵀ·∂L/∂z2"),
             ("b2", output, "b", "∂L/∂b2 = Σₙ ∂L/∂z2"),
             ("a1", output, "x", "∂L/∂a1 = ∂L/∂z2·W2ᵀ"),
             ("z1", hidden, "z", "∂L/∂z1 = δ ⊙ a1(1 − a1)"),
             ("W1", hidden, "W", "∂L/∂W1 = Xᵀ·∂L/∂z1"),
             ("b1", hidden, "b", "∂L/∂b1 = Σₙ ∂L/∂z1")]
    hand = tutorial_backward(w, X, y)
    for name, layer, role, text in pairs:
        line = layer.grad(role)
        assert line.text == text
        np.testing.assert_allclose(line.value, hand[name], rtol=1e-10, atol=1e-15, err_msg=text)
    assert hidden.grad("x").value is None and "X does not require grad" in hidden.grad("x").note
    assert bce.forward[0].startswith("L = −mean(y·log a2")


def test_nn_mlp_layers_symbols_and_op_ids():
    tg.manual_seed(0)
    model = nn.MLP([4, 16, 16, 3], activation="relu")
    x = tg.Tensor(np.random.default_rng(0).normal(size=(32, 4)).astype(np.float32), name="x")
    loss = F.cross_entropy(model(x), np.arange(32) % 3)
    view = layer_view(loss, explain(loss))
    assert [layer.name for layer in view.layers] == ["fc1", "act1", "fc2", "act2", "fc3", "cross_entropy"]
    assert [layer.kind for layer in view.layers] == ["Linear", "ReLU", "Linear", "ReLU", "Linear",
                                                     "cross_entropy"]
    fc2 = view.layer("fc2")
    assert fc2.forward == ("z2 = a1·W2ᵀ + b2",) and fc2.tensors["W"] == "fc2.weight"
    assert [(q.text, q.shape) for q in fc2.grads] == [
        ("∂L/∂W2 = δᵀ·a1", (16, 16)), ("∂L/∂b2 = Σₙ δ", (16,)), ("∂L/∂a1 = δ·W2", (32, 16))]
    assert fc2.upstream.text == "δ = ∂L/∂z2" and fc2.upstream.shape == (32, 16)
    np.testing.assert_array_equal(fc2.grad("W").value, explain(loss).grad(model.fc2.weight))
    assert view.layer("cross_entropy").grads[0].text == "∂L/∂z3 = δ · (softmax(z3) − onehot(y)) / N"
    # The op ids are those of the per-op picture, so a page can open a layer into its ops.
    ops_picture = viz.draw_graph(loss, view="ops", collapse=False).source
    for layer in view.layers:
        assert all(f"\t{op} [" in ops_picture for op in layer.op_ids), layer.name
    assert view.layer("fc1").ops == ("Transpose", "MatMul", "BroadcastTo", "Add")


def test_the_layer_view_picture_shows_rules_and_numbers_in_boxes_and_on_edges():
    tg.manual_seed(0)
    model = nn.MLP([2, 3, 1], activation="tanh")
    x = tg.Tensor([[1.0, -1.0], [0.5, 2.0]], name="x")
    loss = F.mse_loss(model(x), tg.Tensor([[0.5], [-0.5]]))
    source = viz.draw_graph(loss, show="backward").source
    assert "rankdir=BT" in source  # the loss on top, where reading starts
    assert "z1 = x·W1ᵀ + b1" in source and "W1 = fc1.weight" in source
    assert "∂L/∂W1 = δᵀ·x" in source and "∂L/∂a1 = δ·W2" in source
    assert "∂L/∂z1 = δ ⊙ (1 − a1²)" in source and "L = mean((z2 − y)²)" in source
    # ∂L/∂W2 (1×3) is printed in full, with the engine's numbers.
    g = explain(loss).grad(model.fc2.weight)
    assert "  =  [[" + ", ".join(f"{v:.4g}" for v in g.ravel()) + "]]" in source
    assert "not computed: x does not require grad" in source


def test_large_gradients_get_a_summary_and_a_heat_map():
    tg.manual_seed(0)
    model = nn.MLP([4, 16, 3], activation="relu")
    x = tg.Tensor(np.random.default_rng(1).normal(size=(32, 4)).astype(np.float32), name="x")
    loss = F.cross_entropy(model(x), np.arange(32) % 3)
    source = viz.draw_graph(loss, show="backward").source
    g = explain(loss).grad(model.fc1.weight)
    assert f"range [{g.min():.4g}, {g.max():.4g}]" in source
    assert source.count('FIXEDSIZE="TRUE" BGCOLOR=') >= g.size  # one coloured cell per entry


def test_expand_opens_a_layer_into_its_ops_with_their_rules():
    tg.manual_seed(0)
    model = nn.MLP([2, 3, 1], activation="sigmoid")
    loss = F.mse_loss(model(tg.Tensor([[1.0, 2.0]], name="x")), tg.Tensor([[1.0]]))
    folded = viz.draw_graph(loss, show="backward").source
    opened = viz.draw_graph(loss, show="backward", expand=["fc1"]).source
    assert "<B>MatMul</B>" not in folded and "<B>MatMul</B>" in opened
    assert "∂(X@Y)/∂Y: G ↦ Xᵀ@G" in opened and "∂(X@Y)" not in folded  # per-op rules
    assert "z1 = x·W1ᵀ + b1" not in opened and "z2 = a1·W2ᵀ + b2" in opened  # fc2 stays a box
    assert opened == viz.draw_graph(loss, show="backward", expand=["fc1: Linear(2→3)"]).source
    with pytest.raises(ValueError, match=r"expand=\['fc9'\] names no module call.*fc1: Linear"):
        viz.draw_graph(loss, expand=["fc9"])
    with pytest.raises(TypeError, match=r"expand=\['fc1'\]"):
        viz.draw_graph(loss, expand="fc1")
    with pytest.raises(ValueError, match="view must be 'layers'"):
        viz.draw_graph(loss, view="boxes")


def test_a_module_without_a_rule_or_with_other_ops_is_a_plain_box():
    class Doubler(nn.Module):
        def forward(self, x):
            return x * 2.0 + x

    x = tg.Tensor([[1.0, 2.0]], requires_grad=True, name="x")
    out = Doubler()(nn.Sigmoid()(x)).sum()
    view = layer_view(out, explain(out))
    assert [(layer.kind, layer.rule is None) for layer in view.layers] == [("Sigmoid", False),
                                                                          ("Doubler", True)]
    source = viz.draw_graph(out, show="backward").source
    assert "Mul → Add" in source and "through Doubler" in source


def test_after_a_plain_backward_the_layer_view_has_that_backwards_numbers():
    tg.manual_seed(0)
    model = nn.MLP([4, 8, 3], activation="relu")
    x = tg.Tensor(np.random.default_rng(2).normal(size=(6, 4)).astype(np.float32), name="x")
    loss = F.cross_entropy(model(x), np.arange(6) % 3)
    before = viz.draw_graph(loss, show="backward").source
    trace_before = str(explain(loss))
    loss.backward()
    assert str(replay(loss)) == trace_before
    assert viz.draw_graph(loss, show="backward").source == before
    np.testing.assert_array_equal(replay(loss).grad(model.fc1.weight), model.fc1.weight.grad.data)


def test_the_folded_backward_picture_of_a_4_16_16_3_mlp_fits_one_screen():
    if viz.find_renderer() is None:
        pytest.skip("no Graphviz renderer")
    tg.manual_seed(0)
    model = nn.MLP([4, 16, 16, 3], activation="relu")
    x = tg.Tensor(np.random.default_rng(0).normal(size=(32, 4)).astype(np.float32), name="x")
    loss = F.cross_entropy(model(x), np.random.default_rng(1).integers(0, 3, 32))
    loss.backward()  # as a user would: the picture still has the numbers
    svg = viz.render(viz.draw_graph(loss, show="backward").source, "svg").decode("utf-8")
    width, height = svg_size(svg)
    assert width <= 1800 and height <= 1800, (width, height)
    assert smallest_text(svg) >= 10
    assert "∂L/∂W1 = δᵀ·x" in svg


def _dot_of_a_seeded_model() -> str:
    tg.manual_seed(3)
    model = nn.MLP([3, 5, 2], activation="tanh")
    x = tg.Tensor(np.random.default_rng(3).normal(size=(7, 3)).astype(np.float32), name="x")
    loss = F.cross_entropy(model(x), np.arange(7) % 2)
    return viz.draw_graph(loss, show="backward").source


def test_same_model_and_seed_give_byte_identical_dot_in_and_across_processes():
    first = _dot_of_a_seeded_model()
    assert first == _dot_of_a_seeded_model()
    code = ("import sys; sys.path.insert(0, 'tests'); import numpy as np, tinygrad_edu as tg\n"
            "from test_layer_view import _dot_of_a_seeded_model\n"
            "sys.stdout.write(_dot_of_a_seeded_model())")
    env = {**os.environ, "PYTHONHASHSEED": "random"}
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                              text=True, encoding="utf-8", check=True)
        assert done.stdout == first
    assert not re.search(r"0x[0-9a-f]{6,}", first)  # no memory addresses


def test_graph_model_between_false_draws_one_edge_per_layer_boundary():
    tg.manual_seed(0)
    model = nn.MLP([2, 3, 1], activation="sigmoid")
    loss = F.mse_loss(model(tg.Tensor([[1.0, 2.0]], name="x")), tg.Tensor([[1.0]]))
    layers = GraphModel(loss, collapse=True, between=False)
    boxes = GraphModel(loss, collapse=True)
    assert len(layers.items) < len(boxes.items)
    groups = [item.id for item in layers.items if type(item).__name__ == "GroupItem"]
    between = [(e.src, e.dst) for e in layers.edges if e.src in groups and e.dst in groups]
    assert between == list(zip(groups, groups[1:]))  # fc1 → act1 → fc2 → act2 → loss


def test_the_readmes_drawing_line_draws_the_readmes_picture(tmp_path):
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    sys.path.insert(0, os.path.join(ROOT, "docs"))
    try:
        import guide_figures
    finally:
        sys.path.pop(0)
    assert f"](docs/figures/guide/{guide_figures.README_PICTURE})" in readme.split("## Run it")[0]
    quick_start = re.findall(r"```python\n(.*?)```", readme, flags=re.S)[0]
    line = re.search(r"`(tg\.viz\.save_graph\(L, \"graph\.svg\"[^`]*)`", readme).group(1)
    namespace: dict = {}
    with open(os.devnull, "w") as quiet:
        sys.stdout, saved = quiet, sys.stdout
        try:
            exec(compile(quick_start, "README quick start", "exec"), namespace)
        finally:
            sys.stdout = saved
    namespace["tg"].viz.save_graph(namespace["L"], tmp_path / "graph.dot",
                                   **eval("dict(" + line.split('"graph.svg",', 1)[1].rstrip(")") + ")"))
    figure = guide_figures.chain_rule()
    figure.backward()
    drawn = (tmp_path / "graph.dot").read_text(encoding="utf-8")
    assert drawn == viz.draw_graph(figure, show="backward").source
    assert "8 × (-3) = -24" in drawn  # the numbers, although backward() ran first


def test_the_demo_draws_the_first_training_step_and_says_so(tmp_path):
    if viz.find_renderer() is None:
        pytest.skip("no Graphviz renderer")
    out = io.StringIO()
    assert cli.main(["demo", "--epochs", "3", "--out", str(tmp_path)], out=out) == 0
    printed = out.getvalue()
    assert "the first training step, before any weight update" in printed
    first = float(re.search(r"epoch 1/3 +loss ([0-9.]+)", printed).group(1))
    trace = (tmp_path / "xor_chain_rule.txt").read_text(encoding="utf-8")
    drawn = float(re.match(r"Chain rule for loss = ([0-9.]+)", trace).group(1))
    assert abs(drawn - first) < 1e-4  # the picture is of step 1, not of the trained network
    svg = (tmp_path / "xor_loss_graph.svg").read_text(encoding="utf-8")
    assert "∂loss/∂W1 = δᵀ·X" in svg and "z1 = X·W1ᵀ + b1" in svg


def test_rules_are_not_printed_for_calls_they_were_not_written_for():
    """Same ops, other shapes or axes: a 3-D input to Linear, a softmax over axis 0."""
    tg.manual_seed(0)
    x3 = tg.Tensor(np.ones((2, 3, 4)), name="x")
    out = nn.Linear(4, 2)(x3).sum()
    assert layer_view(out).layers[0].rule is None
    x = tg.Tensor(np.ones((2, 3)), requires_grad=True, name="x")
    assert layer_view(nn.Softmax(axis=0)(x).sum()).layers[0].rule is None
    assert layer_view(nn.Softmax(axis=1)(x).sum()).layers[0].rule is nn.Softmax.layer_rule
    assert layer_view(nn.Linear(3, 2)(x).sum()).layers[0].rule is nn.Linear.layer_rule


def test_after_an_optimizer_step_the_replayed_picture_shows_no_stale_local_derivatives():
    """The step moves the weights in place: the kept gradients stay, recomputed locals would lie."""
    a = tg.Tensor(2.0, requires_grad=True, name="a")
    b = tg.Tensor(-3.0, requires_grad=True, name="b")
    L = a * b
    L.backward()
    assert "1 × (-3) = -3" in viz.draw_graph(L, show="backward").source
    tg.optim.SGD([a, b], lr=0.1).step()  # b is now -3 - 0.1·2 = -3.2
    after = viz.draw_graph(L, show="backward").source
    assert "1 ↦ -3" in after and "-3.2 = " not in after and "× (-3.2)" not in after
