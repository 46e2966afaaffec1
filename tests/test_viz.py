"""Graph pictures: DOT structure, labels, the chain rule on backward edges, escaping, determinism,
rendering, module folding, max_nodes and grad-of-grad."""

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor, viz
from tinygrad_edu.autograd import GraphFreedError, topological_order
from tinygrad_edu.config import module_scope
from tinygrad_edu.explain import graph_tensors
from tinygrad_edu.formatting import format_array
from tinygrad_edu.viz import graph as graph_module
from tinygrad_edu.viz import renderer as render_module
from tinygrad_edu.viz.labels import escape
from tinygrad_edu.viz.model import GraphModel


def abc():
    a = Tensor(2.0, requires_grad=True, name="a")
    b = Tensor(-3.0, requires_grad=True, name="b")
    c = Tensor(10.0, requires_grad=True, name="c")
    d = a * b + c
    return a, b, c, d * d


def node_ids(source):
    return [n for n in re.findall(r"^\s*(\w+) \[", source, flags=re.M) if n not in ("graph", "node", "edge")]


def edges(source):
    return re.findall(r"^\s*(\w+) -> (\w+)", source, flags=re.M)


def label_of(source, node_id):
    line = next(x for x in source.splitlines() if x.strip().startswith(f"{node_id} ["))
    return line


def test_forward_view_draws_every_tensor_op_and_edge():
    a, b, c, L = abc()
    source = viz.draw_graph(L).source
    tensors = graph_tensors(L)
    ids = node_ids(source)
    assert sorted(ids) == sorted([f"t{i}" for i in range(len(tensors))]
                                 + [f"op{i}" for i, t in enumerate(tensors) if t._ctx is not None])
    expected = []
    for i, t in enumerate(tensors):
        if t._ctx is not None:
            expected += [(f"t{tensors.index(p)}", f"op{i}") for p in t._ctx.inputs]
            expected.append((f"op{i}", f"t{i}"))
    assert sorted(edges(source)) == sorted(expected)
    # The op nodes name their op; the tensors show name, shape, dtype and value.
    assert "<B>Mul</B>" in label_of(source, "op2") and "<B>Add</B>" in label_of(source, "op4")
    assert "<B>a</B>" in label_of(source, "t0") and "scalar float32" in label_of(source, "t0")
    assert ">2</FONT>" in label_of(source, "t0")
    assert "grad =" not in source  # no backward has run yet


def test_values_whole_when_small_summary_when_large_and_grads_after_backward():
    small = Tensor(np.arange(16.0).reshape(4, 4), requires_grad=True, name="small")
    big = Tensor(np.arange(17.0), requires_grad=True, name="big")
    out = small.sum() + big.sum()
    out.backward()
    source = viz.draw_graph(out).source
    assert "[12, 13, 14, 15]]" in source  # all 16 numbers
    assert "shape (17,): mean 8, std 4.899, min 0, max 16" in source
    assert "grad = shape (17,): mean 1" in source.replace("<BR ALIGN=\"LEFT\"/>", " ")
    no_values = viz.draw_graph(out, values=False, grads=False).source
    assert "[12, 13, 14, 15]]" not in no_values and "grad =" not in no_values


def test_backward_edges_carry_the_rule_and_upstream_times_local():
    a, b, c, L = abc()
    source = viz.draw_graph(L, show="backward").source
    # a*b with upstream 8: local for a is b = -3, for b is a = 2.
    assert "<I>∂(x·y)/∂x = y</I><BR/>8 × (-3) = -24" in source
    assert "<I>∂(x·y)/∂y = x</I><BR/>8 × 2 = 16" in source
    assert "<I>∂(x+y)/∂y = 1</I><BR/>8 × 1 = 8" in source
    # d is used twice by d*d: its gradient is shown as the sum of the two contributions.
    assert "grad = 4 + 4 = 8" in source
    # Every backward edge points back to the input.
    back = re.findall(r"^\s*\w+ -> \w+ \[.*dir=back", source, flags=re.M)
    assert len(back) == len(edges(source)) == 9
    assert "Backward pass of L = 16</B>" in source


def test_both_view_overlays_forward_and_backward_edges():
    *_, L = abc()
    source = viz.draw_graph(L, show="both").source
    assert len(re.findall(r"dir=back", source)) == 9
    assert len(re.findall(r"color=\"#5d6d7e\"", source)) == 9  # forward edges
    # Backward edges are layout edges too: dot then places their labels clear of each other
    # (tests/test_cli_labels.py checks that no two labels overlap).
    assert source.count("constraint=false") == 0


def test_broadcast_reductions_are_visible():
    x = Tensor(np.ones((3, 2)), requires_grad=True, name="x")
    bias = Tensor([0.5, -1.0], requires_grad=True, name="bias")
    loss = (x + bias).sum()
    source = viz.draw_graph(loss, show="backward").source
    assert "<B>BroadcastTo</B>" in source
    assert "∂broadcast(x)/∂x = sum over the broadcast axes" in source
    assert "upstream (3, 2) ↦ (2,)" in source
    assert "grad = [3, 3]" in source


def test_constants_get_no_gradient_edge():
    x = Tensor(3.0, requires_grad=True, name="x")
    y = x * 2.0
    source = viz.draw_graph(y, show="backward").source
    two = next(i for i, line in enumerate(source.splitlines()) if "<2>" in line)
    assert two and 'style=dotted' in source and "dir=none" in source


def test_escape_covers_markup_quotes_and_newlines():
    assert escape("<a href='x'>&\"\n") == "&lt;a href=&#39;x&#39;&gt;&amp;&quot;\\n"
    assert escape("tab\there\x00") == "tab here\\x00"


HOSTILE = 'w</TD></TR></TABLE>>]; evil [label="pwned"]; <script>alert(1)</script> & \'q\'\nline2'


def test_hostile_names_cannot_break_the_dot_or_the_svg():
    w = Tensor([1.0, 2.0], requires_grad=True, name=HOSTILE)
    with module_scope(HOSTILE):
        y = (w * w).sum()
    y.name = HOSTILE + "2"
    for collapse in (True, False):
        source = viz.draw_graph(y, show="both", collapse=collapse).source
        assert "<script>" not in source and "evil [label" not in source.replace("evil [label=&quot;", "")
        assert "\n" + "line2" not in source  # the newline became a visible \n
        assert "&lt;script&gt;" in source
        assert set(node_ids(source)) <= {"t0", "t1", "op1", "t2", "op2", "g1", "cluster_1"}
        svg = viz.render(source, "svg").decode("utf-8")
        root = ET.fromstring(svg)  # well-formed XML
        texts = " ".join(el.text or "" for el in root.iter() if el.tag.endswith("text"))
        assert "<script>alert(1)</script>" in texts  # shown as text, not markup
        assert not [el for el in root.iter() if el.tag.endswith("script")]


def test_same_code_gives_byte_identical_dot_in_one_process_and_across_processes():
    first = viz.draw_graph(abc()[-1], show="both").source
    second = viz.draw_graph(abc()[-1], show="both").source
    assert first == second
    code = ("import tinygrad_edu as tg\nfrom tinygrad_edu import Tensor, viz\n"
            "a = Tensor(2.0, requires_grad=True, name='a')\nb = Tensor(-3.0, requires_grad=True, name='b')\n"
            "c = Tensor(10.0, requires_grad=True, name='c')\nd = a * b + c\nL = d * d\n"
            "print(viz.draw_graph(L, show='both').source, end='')\n")
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
            for _ in range(2)]
    assert runs[0] == runs[1] == first
    assert "0x" not in first  # no memory addresses anywhere


def test_renders_svg_with_the_renderer_found():
    if viz.find_renderer() is None:
        pytest.skip("no Graphviz renderer installed (dot or graphviz-pure)")
    svg = viz.render(viz.draw_graph(abc()[-1], show="backward").source, "svg")
    assert b"<svg" in svg and b"-24" in svg


def test_graphviz_pure_is_found_without_dot_on_path(monkeypatch):
    """After ``pip install`` alone (no system Graphviz, venv not activated) the renderer is found."""
    found = render_module._graphviz_pure()
    if found is None:
        pytest.skip("graphviz-pure is not installed in this environment")
    monkeypatch.delenv("TINYGRAD_EDU_DOT", raising=False)
    monkeypatch.setattr(render_module.shutil, "which", lambda name: None)
    command = viz.find_renderer()
    assert command is not None and "graphviz-pure" in os.path.basename(command[0])
    svg = viz.render(viz.draw_graph(abc()[-1]).source, "svg", command)
    assert b"<svg" in svg


def test_no_renderer_says_how_to_get_one_and_keeps_the_dot(monkeypatch, tmp_path):
    monkeypatch.setattr(graph_module, "find_renderer", lambda: None)
    monkeypatch.setattr(render_module, "find_renderer", lambda: None)
    *_, L = abc()
    with pytest.raises(viz.RendererNotFound, match="pip install graphviz-pure") as info:
        viz.save_graph(L, tmp_path / "g.svg")
    assert (tmp_path / "g.dot").read_text(encoding="utf-8") == viz.draw_graph(L).source
    assert info.value.source == viz.draw_graph(L).source
    assert not (tmp_path / "g.svg").exists()
    with pytest.raises(viz.RendererNotFound, match="apt install graphviz"):
        viz.render("digraph {}", "svg")
    assert "digraph" in viz.draw_graph(L).source  # drawing itself needs no renderer


def test_save_graph_formats(tmp_path):
    *_, L = abc()
    assert viz.save_graph(L, tmp_path / "g.dot") == str(tmp_path / "g.dot")
    assert (tmp_path / "g.dot").read_text(encoding="utf-8") == viz.draw_graph(L).source
    with pytest.raises(ValueError, match="end the file name with .svg, .png, .pdf or .dot"):
        viz.save_graph(L, tmp_path / "g.jpg")
    if viz.find_renderer() is None:
        pytest.skip("no Graphviz renderer installed")
    viz.save_graph(L, tmp_path / "g.svg", show="backward")
    assert "<svg" in (tmp_path / "g.svg").read_text(encoding="utf-8")
    viz.save_graph(L, tmp_path / "g.png")
    assert (tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_jupyter_display_uses_the_renderer():
    if viz.find_renderer() is None:
        pytest.skip("no Graphviz renderer installed")
    picture = viz.draw_graph(abc()[-1])
    assert picture._repr_mimebundle_()["image/svg+xml"].lstrip().startswith("<?xml")


def test_bad_arguments_are_clear_errors():
    *_, L = abc()
    with pytest.raises(ValueError, match="show must be one of"):
        viz.draw_graph(L, show="sideways")
    with pytest.raises(ValueError, match="rankdir"):
        viz.draw_graph(L, rankdir="XY")
    with pytest.raises(TypeError, match="takes a Tensor"):
        viz.draw_graph(np.ones(3))


def scoped_net():
    """A two-layer network with hand-made module scopes, as nn.Module.__call__ records them."""
    x = Tensor([[1.0, 2.0], [3.0, -1.0]], name="x")
    w1 = Tensor([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]], requires_grad=True, name="fc1.weight")
    b1 = Tensor([0.0, 0.1, -0.1], requires_grad=True, name="fc1.bias")
    w2 = Tensor([[0.3], [-0.2], [0.1]], requires_grad=True, name="fc2.weight")
    with module_scope("Net"):
        with module_scope("fc1: Linear(2→3)"):
            h = x @ w1 + b1
        with module_scope("act: Tanh()"):
            a = h.tanh()
        with module_scope("fc2: Linear(3→1)"):
            out = a @ w2
    loss = (out * out).mean()
    loss.name = "loss"
    return loss, (w1, b1, w2)


def test_collapse_folds_each_module_call_into_one_labelled_box():
    loss, (w1, b1, w2) = scoped_net()
    folded = viz.draw_graph(loss).source
    expanded = viz.draw_graph(loss, collapse=False).source
    assert len(node_ids(folded)) < len(node_ids(expanded))
    groups = [line for line in folded.splitlines() if re.match(r"\s*g\d+ \[", line)]
    assert len(groups) == 3
    assert "<B>fc1: Linear(2→3)</B>" in groups[0] and "MatMul → BroadcastTo → Add" in groups[0]
    assert "<B>fc1.weight</B>" in groups[0] and "<B>fc1.bias</B>" in groups[0]
    assert "<B>fc2.weight</B>" in groups[2]
    assert "cluster_1" in folded and "<B>Net</B>" in folded  # the outer module is a box
    # Expanded: every op is its own node, each module call a (nested) box.
    assert "<B>MatMul</B>" in expanded and "<B>fc1.weight</B>" in expanded
    assert expanded.count("subgraph cluster_") == 4
    # The backward view of the folded graph still carries the gradient through each box.
    back = viz.draw_graph(loss, show="backward", view="ops").source
    assert "through fc2: Linear(3→1)" in back and "through act: Tanh()" in back
    # The layer view (the default for module graphs) gives Tanh its declared rule; the
    # hand-made "Linear" scopes record x @ W, not nn.Linear's ops, so they get none.
    layers = viz.draw_graph(loss, show="backward").source
    assert "δ ⊙ (1 − a1²)" in layers and "through fc2: Linear(3→1)" in layers


def test_two_calls_of_one_module_are_two_boxes():
    w = Tensor([[0.5, -0.5], [0.25, 1.0]], requires_grad=True, name="shared.weight")
    x = Tensor([[1.0, 2.0]], name="x")
    h = x
    for _ in range(2):
        with module_scope("shared: Linear(2→2)"):
            h = h @ w
        h = h.tanh()
    model = GraphModel(h.sum())
    groups = [i for i in model.items if type(i).__name__ == "GroupItem"]
    assert [len(g.nodes) for g in groups] == [1, 1]
    assert any(i.label == "shared.weight" for i in model.items if hasattr(i, "label"))  # not folded


def test_max_nodes_gives_a_clear_message():
    x = Tensor(1.0, requires_grad=True, name="x")
    y = x
    for _ in range(150):
        y = y * 1.01
    # 151 tensors, 150 ops and 150 constants (the 1.01s)
    with pytest.raises(viz.GraphTooLarge, match=r"has 451 nodes to draw, more than max_nodes=200"):
        viz.draw_graph(y)
    assert "op300 -> t300" in viz.draw_graph(y, max_nodes=451).source


def test_grad_of_grad_graph():
    x = Tensor([1.0, 2.0], requires_grad=True, name="x")
    y = (x ** 3).sum()
    y.backward(create_graph=True)
    source = viz.draw_graph(x.grad).source
    ops = re.findall(r"<B>(\w+)</B>(?:<BR/>|>)", source)
    assert "PowConst" in ops and ops.count("Mul") == 2  # 3 * x**2, times the seed
    assert "[3, 12]" in source  # the gradient's value
    back = viz.draw_graph(x.grad, show="backward").source
    assert "seeded with ones" in back and "grad = [6, 12]" in back  # d(sum 3x²)/dx = 6x


def test_drawing_changes_nothing_and_backward_still_works():
    a, b, c, L = abc()
    for show in ("forward", "backward", "both"):
        viz.draw_graph(L, show=show)
    assert a.grad is None and b.grad is None and c.grad is None
    L.backward()
    assert (a.grad.item(), b.grad.item(), c.grad.item()) == (-24.0, 16.0, 8.0)


def test_after_backward_the_picture_shows_the_numbers_that_backward_computed():
    a, b, c, L = abc()
    before = viz.draw_graph(L, show="backward").source
    L.backward()  # a plain backward frees the graph; the nodes keep what it sent through them
    assert viz.draw_graph(L, show="backward").source == before
    assert "8 × (-3) = -24" in before
    a2, b2, c2, L2 = abc()
    L2.backward(retain_graph=True)
    assert viz.draw_graph(L2, show="backward").source == before


def test_a_graph_freed_by_another_outputs_backward_is_drawn_with_rules_only():
    a, b, c, L = abc()
    (L * 2.0).backward()  # the kept numbers are those of 2L, not of L: not shown as L's
    source = viz.draw_graph(L, show="backward").source
    assert "freed this graph" in source
    assert "<I>∂(x·y)/∂x = y</I>>" in source and "-24" not in source.split("<I>∂(x·y)/∂x")[1][:40]


def test_format_array_layout():
    assert format_array(np.array([[1.0, 2.5], [-3.0, 0.0]])) == "[[1, 2.5],\n [-3, 0]]"
    assert format_array(np.float32(-0.0)) == "0"


def test_a_two_hidden_layer_mlp_stays_legible():
    nn = pytest.importorskip("tinygrad_edu.nn")
    if not hasattr(nn, "MLP"):
        pytest.skip("nn.MLP is not available")
    tg.manual_seed(0)
    model = nn.MLP([2, 4, 4, 1], activation="sigmoid", output_activation="sigmoid")
    X = Tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], name="X")
    y = Tensor([[0.0], [1.0], [1.0], [0.0]], name="y")
    loss = ((model(X) - y) ** 2).mean()
    source = viz.draw_graph(loss, show="backward").source
    count = len(node_ids(source))
    # X, y, 3 Linear boxes, 3 sigmoids, their outputs and the 4-op loss: about two dozen boxes.
    assert count <= 25, f"the default view of a small MLP should stay small, got {count} nodes"
    assert len(node_ids(viz.draw_graph(loss, collapse=False).source)) > 2 * count
    for k, layer in enumerate(("fc1", "fc2", "fc3"), start=1):  # the layer view: W1 = fc1.weight
        assert f"<B>{layer}: Linear(" in source and f"W{k} = {layer}.weight" in source
    assert len(topological_order([loss])) > count
    if viz.find_renderer() is not None:
        assert b"<svg" in viz.render(source, "svg")


def test_pdf_needs_system_graphviz(monkeypatch, tmp_path):
    monkeypatch.setattr(graph_module, "find_renderer", lambda: ["/opt/bin/graphviz-pure"])
    with pytest.raises(ValueError, match="graphviz-pure cannot write PDF yet"):
        viz.save_graph(abc()[-1], tmp_path / "g.pdf")
    assert not (tmp_path / "g.pdf").exists()


def test_save_graph_backward_after_a_plain_backward_still_works(tmp_path):
    a, b, c, L = abc()
    L.backward()
    path = viz.save_graph(L, tmp_path / "after.dot", show="backward")
    text = (tmp_path / "after.dot").read_text(encoding="utf-8")
    assert path == str(tmp_path / "after.dot") and text == viz.draw_graph(L, show="backward").source
    assert "freed this graph" not in text and "8 × (-3) = -24" in text and "grad = -24" in text
    if viz.find_renderer() is not None:
        viz.save_graph(L, tmp_path / "after.svg", show="backward")
        assert "<svg" in (tmp_path / "after.svg").read_text(encoding="utf-8")


def test_a_freed_graph_is_recognised_by_its_class_not_its_message(monkeypatch):
    *_, L = abc()

    def freed(*args, **kwargs):
        raise GraphFreedError("any wording at all")

    monkeypatch.setattr(graph_module, "explain", freed)
    assert "freed this graph" in viz.draw_graph(L, show="backward").source

    def broken(*args, **kwargs):
        raise RuntimeError("a bug that happens to mention the word freed")

    monkeypatch.setattr(graph_module, "explain", broken)
    with pytest.raises(RuntimeError, match="a bug that happens"):  # not hidden as a missing picture
        viz.draw_graph(L, show="backward")


def test_a_picture_walks_the_graph_once_and_traces_backward_once(monkeypatch):
    explain_module = sys.modules["tinygrad_edu.explain"]
    counts = {"walks": 0, "traced": 0}
    walk, run = explain_module.graph_tensors, explain_module.autograd.run_backward

    def counted_walk(root):
        counts["walks"] += 1
        return walk(root)

    def counted_run(*args, **kwargs):
        counts["traced"] += 1
        return run(*args, **kwargs)

    monkeypatch.setattr(explain_module, "graph_tensors", counted_walk)
    monkeypatch.setattr(explain_module.autograd, "run_backward", counted_run)
    for show, traced in (("forward", 0), ("backward", 1), ("both", 1)):
        counts.update(walks=0, traced=0)
        viz.draw_graph(abc()[-1], show=show)
        assert counts == {"walks": 1, "traced": traced}, show
    counts.update(walks=0, traced=0)
    viz.backward_dot(abc()[-1])
    assert counts == {"walks": 1, "traced": 1}
    *_, L = abc()
    L.backward()
    counts.update(walks=0, traced=0)
    viz.draw_graph(L, show="backward")  # freed: the one walk finds it, nothing is traced
    assert counts == {"walks": 1, "traced": 0}


def test_backward_dot_is_the_backward_picture_with_ids_for_each_step():
    *_, L = abc()
    drawing = viz.backward_dot(L)
    assert isinstance(drawing, viz.BackwardDot) and len(drawing.trace) == 3
    # The same picture as draw_graph's backward view, plus an id (a link) on each gradient cell.
    plain = re.sub(r' ID="[^"]*" HREF="[^"]*"', "", drawing.source)
    assert plain == viz.draw_graph(L, show="backward").source
    ids = set(node_ids(drawing.source)) | set(re.findall(r'\bid=(\w+)', drawing.source))
    assert sorted(drawing.node_of_step) == [1, 2, 3] and set(drawing.node_of_step.values()) <= ids
    assert {e for edge_ids in drawing.edges_of_step.values() for e in edge_ids} <= ids
    assert all(f'ID="{cell}"' in drawing.source for cell in drawing.grad_cells)
    labels = {drawing.trace.label(t) for t in drawing.grad_cells.values()}
    assert labels == {"L", "add1", "mul1", "a", "b", "c"}
    L.backward()  # replayed from what the freeing backward kept: the same drawing
    assert viz.backward_dot(L).source == drawing.source
    *_, L3 = abc()
    (L3 * 2.0).backward()
    with pytest.raises(GraphFreedError, match="retain_graph=True"):  # numbers of 2L: not L's
        viz.backward_dot(L3)
