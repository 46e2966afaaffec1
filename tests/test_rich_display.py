"""Rich display in Jupyter: the ``_repr_html_`` of Tensor, the explain trace, Module, Keras
History and summary, the graph's SVG and the backprop page's sandboxed iframe.

Each HTML is parsed with ``html.parser`` and its cells are compared with the numbers the
objects hold; hostile names must come back as text; the same input gives the same bytes;
and the plain-text reprs stay as they were.
"""

import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
import test_explorer
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_edu as tg
from tinygrad_edu import Tensor, keras, nn, viz
from tinygrad_edu.formatting import format_array, format_number

browser = test_explorer.browser  # the explorer tests' headless Chromium (skips without one)
photograph = test_explorer.photograph  # a screenshot that must not be blank
HOSTILE = "<script>alert('x')</script> & \"q\""
needs_renderer = pytest.mark.skipif(viz.find_renderer() is None,
                                    reason="no Graphviz renderer (dot or graphviz-pure) installed")


class Page(HTMLParser):
    """What a browser would build: every tag with its attributes, and each table's caption,
    header and rows as the text a reader sees."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.tags, self.tables, self._cell, self._row = [], [], None, None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "table":
            self.tables.append({"class": dict(attrs).get("class"), "caption": "", "header": [],
                                "rows": [], "in_head": False})
        elif tag == "thead":
            self.tables[-1]["in_head"] = True
        elif tag == "tr":
            table = self.tables[-1]
            self._row = table["header"] if table["in_head"] else []
            if not table["in_head"]:
                table["rows"].append(self._row)
        elif tag in ("td", "th"):
            self._cell = tag
            self._row.append("")
        elif tag == "caption":
            self._cell = tag

    def handle_endtag(self, tag):
        if tag in ("td", "th", "caption"):
            self._cell = None
        elif tag == "thead":
            self.tables[-1]["in_head"] = False

    def handle_data(self, data):
        if self._cell == "caption":
            self.tables[-1]["caption"] += data
        elif self._cell in ("td", "th"):
            self._row[-1] += data


def parse(text):
    return Page(text)


def cells(table):
    """``{first cell: second cell}`` of a two-column table."""
    return {row[0]: row[1] for row in table["rows"]}


def assert_plain_html(text):
    """Tables and inline styles only: no script, no <style>, no event handler, no link."""
    page = parse(text)
    assert {tag for tag, _ in page.tags} <= {"table", "caption", "thead", "tbody", "tr", "th", "td"}
    for _, attrs in page.tags:
        assert set(attrs) <= {"class", "style"}, attrs


# -- Tensor ----------------------------------------------------------------------------------------
def test_a_tensor_shows_value_shape_dtype_op_and_grad():
    x = Tensor([[1.0, -0.0], [2.5, 3.0]], requires_grad=True, name="w")
    y = (x * x).sum()
    y.backward()
    leaf = parse(x._repr_html_()).tables[0]
    assert leaf["caption"] == "Tensor w" and leaf["header"] == []
    assert cells(leaf) == {"value": "[[1, 0],\n [2.5, 3]]", "shape": "(2, 2)", "dtype": "float32",
                           "op": "leaf (made by no op)", "requires_grad": "True",
                           "grad": "[[2, 0],\n [5, 6]]"}
    made = cells(parse(y._repr_html_()).tables[0])
    assert made["value"] == "16.25" and made["shape"] == "scalar"
    assert made["op"] == "Sum" and made["grad"] == "None"
    assert_plain_html(x._repr_html_())


def test_a_large_tensor_is_summarised():
    t = Tensor(np.arange(100.0).reshape(10, 10))
    value = cells(parse(t._repr_html_()).tables[0])["value"]
    assert value == "shape (10, 10): mean 49.5, std 28.87, min 0, max 99"


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, max_side=5),
                  elements=st.floats(-1e6, 1e6)))
def test_tensor_values_use_the_shared_format_never_a_numpy_repr(values):
    text = Tensor(values)._repr_html_()
    value = cells(parse(text).tables[0])["value"]
    assert value == format_array(values)
    assert "array(" not in text and "np." not in text and "..." not in value
    assert text == Tensor(values.copy())._repr_html_()  # same numbers -> same bytes


def test_the_plain_tensor_repr_is_unchanged():
    assert repr(Tensor([1.0, 2.0])) == "Tensor([1., 2.], dtype=float32)"
    t = Tensor([3.0], requires_grad=True, name="a") * 2
    assert repr(t) == "Tensor([6.], dtype=float32, op=Mul, requires_grad=True)"


# -- the explain trace -----------------------------------------------------------------------------
def test_the_trace_is_a_table_with_one_row_per_step():
    x = Tensor([1.0, 2.0], requires_grad=True, name="x")
    loss = (x * x).sum()
    loss.name = "L"
    trace = tg.explain(loss)
    steps, leaves = parse(trace._repr_html_()).tables
    assert steps["caption"].startswith("Chain rule for L = 5 (scalar, float32): 2 backward steps")
    assert steps["header"] == ["step", "op", "forward", "upstream ∂L/∂out", "to each input"]
    assert [row[:4] for row in steps["rows"]] == [
        ["1", "Sum", "L = Sum(mul1; axis=(0,), keepdims=False)", "1"],
        ["2", "Mul", "mul1 = Mul(x, x)", "[1, 1]"]]
    assert steps["rows"][1][4].split("\n") == [
        "→ x (as x): ∂(x·y)/∂x = y", "   [1, 1] × [1, 2] = [1, 2]",
        "→ x (as y): ∂(x·y)/∂y = x", "   [1, 1] × [1, 2] = [1, 2]",
        "x already had a gradient: [1, 2] + [1, 2] = [2, 4]"]
    assert cells(leaves) == {"∂L/∂x": "[2, 4]"}
    assert_plain_html(trace._repr_html_())


def test_a_trace_row_says_when_an_input_takes_no_gradient():
    x = Tensor([2.0], requires_grad=True, name="x")
    c = Tensor([3.0], name="c")
    (row,) = parse(tg.explain((x * c).sum())._repr_html_()).tables[0]["rows"][1:]
    assert "→ c (as y): ∂(x·y)/∂y = x\n   no gradient: this input does not require grad" in row[4]


def test_the_plain_trace_repr_and_text_are_unchanged():
    x = Tensor([1.0, 2.0], requires_grad=True, name="x")
    loss = (x * x).sum()
    loss.name = "L"
    trace = tg.explain(loss)
    assert repr(trace) == "<Trace of L: 2 steps>"
    assert str(trace).startswith("Chain rule for L = 5 (scalar, float32): 2 backward steps")


# -- nn.Module -------------------------------------------------------------------------------------
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 4)
        self.act = nn.ReLU()
        self.head = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 1, bias=False))
        self.head[1].weight.requires_grad = False


def test_a_module_shows_its_tree_with_shapes_and_counts():
    table = parse(Net()._repr_html_()).tables[0]
    assert table["caption"] == "Net: 30 parameters (27 trainable)"
    assert table["header"] == ["module", "type", "parameters", "count"]
    assert table["rows"] == [
        ["(root)", "Net()", "", "30"],
        ["  fc1", "Linear(in_features=2, out_features=4, bias=True)", "weight (4, 2), bias (4,)", "12"],
        ["  act", "ReLU()", "", "0"],
        ["  head", "Sequential()", "", "18"],
        ["    0", "Linear(in_features=4, out_features=3, bias=True)", "weight (3, 4), bias (3,)", "15"],
        ["    1", "Linear(in_features=3, out_features=1, bias=False)", "weight (1, 3) (frozen)", "3"]]
    assert_plain_html(Net()._repr_html_())


def test_the_plain_module_repr_is_unchanged():
    assert repr(nn.Sequential(nn.Linear(2, 3), nn.ReLU())) == (
        "Sequential(\n  (0): Linear(in_features=2, out_features=3, bias=True)\n  (1): ReLU()\n)")


# -- Keras -----------------------------------------------------------------------------------------
def small_model(name=None):
    model = keras.Sequential([keras.layers.Dense(3, activation="relu", input_shape=(2,)),
                              keras.layers.Dense(1)], name=name)
    model.compile("sgd", "mse", metrics=["mae"])
    return model


def test_history_is_one_row_per_epoch():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(16, 2)), rng.normal(size=16)
    history = small_model().fit(X, y, epochs=3, batch_size=8, verbose=0, validation_split=0.25)
    table = parse(history._repr_html_()).tables[0]
    keys = list(history.history)
    assert table["caption"] == "History: 3 epochs" and table["header"] == ["epoch", *keys]
    assert table["rows"] == [[str(e + 1)] + [format_number(history.history[k][e]) for k in keys]
                             for e in range(3)]
    assert_plain_html(history._repr_html_())
    assert repr(history).startswith("<tinygrad_edu.keras.callbacks.History object at ")


def test_the_summary_shows_the_rows_and_totals_it_prints():
    model = small_model()
    table, totals = parse(model._repr_html_()).tables
    assert table["caption"] == 'Model: "sequential"'
    assert table["header"] == ["Layer (type)", "Output Shape", "Param #"]
    assert table["rows"] == [["dense (Dense)", "(None, 3)", "9"], ["dense_1 (Dense)", "(None, 1)", "4"]]
    assert cells(totals) == {"Total params": "13 (52.00 B)", "Trainable params": "13 (52.00 B)",
                             "Non-trainable params": "0 (0.00 B)"}


def test_the_printed_summary_is_unchanged():
    printed = []
    text = small_model().summary(print_fn=printed.append)
    assert printed == [text]
    assert text == "\n".join([
        'Model: "sequential"',
        "-" * 40,
        "Layer (type)     Output Shape  Param #  ",
        "=" * 40,
        "dense (Dense)    (None, 3)     9        ",
        "dense_1 (Dense)  (None, 1)     4        ",
        "=" * 40,
        "Total params: 13 (52.00 B)",
        "Trainable params: 13 (52.00 B)",
        "Non-trainable params: 0 (0.00 B)",
        "-" * 40])


# -- hostile names ---------------------------------------------------------------------------------
class Hostile(nn.Module):
    def extra_repr(self):
        return HOSTILE


def hostile_outputs():
    x = Tensor([1.0, 2.0], requires_grad=True, name=HOSTILE)
    loss = (x * x).sum()
    history = keras.callbacks.History()
    history.on_epoch_end(0, {HOSTILE: 0.5})
    return {"tensor": x._repr_html_(), "trace": tg.explain(loss)._repr_html_(),
            "module": Hostile()._repr_html_(), "history": history._repr_html_(),
            "summary": small_model(name=HOSTILE)._repr_html_()}


@pytest.mark.parametrize("what", ["tensor", "trace", "module", "history", "summary"])
def test_hostile_names_render_as_text(what):
    text = hostile_outputs()[what]
    assert "<script" not in text and "alert('x')" not in text  # quotes escaped too
    assert_plain_html(text)
    page = parse(text)
    seen = [page.tables[0]["caption"], *page.tables[0]["header"],
            *(cell for table in page.tables for row in table["rows"] for cell in row)]
    assert any(HOSTILE in cell for cell in seen), seen


def test_a_newline_in_a_name_is_shown_not_obeyed():
    table = parse(Tensor([1.0], name="a\nb")._repr_html_()).tables[0]
    assert table["caption"] == "Tensor a\\nb"


def test_the_html_is_byte_identical_across_processes():
    code = (f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
            "import test_rich_display as t; print(repr(t.hostile_outputs()))")
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout for _ in range(2)]
    assert runs[0] == runs[1] and runs[0] == repr(hostile_outputs()) + "\n"


# -- the graph and the step-through page -----------------------------------------------------------
def network(name="loss"):
    x = Tensor([[0.0, 1.0], [1.0, 0.0]], name="X")
    w = Tensor([[0.5], [-0.4]], requires_grad=True, name=name + ".w")
    loss = ((x @ w).sigmoid() - Tensor([[1.0], [0.0]], name="y")).square().mean()
    loss.name = name
    return loss


@needs_renderer
def test_the_graph_displays_as_inline_svg_with_names_as_text():
    picture = viz.draw_graph(network(HOSTILE))
    svg = picture._repr_image_svg_xml()
    assert svg.lstrip().startswith("<?xml") or svg.lstrip().startswith("<svg")
    assert "<svg" in svg and "<script" not in svg
    assert "&lt;script&gt;" in svg
    assert svg == viz.draw_graph(network(HOSTILE))._repr_image_svg_xml()


@needs_renderer
def test_the_backprop_page_displays_in_a_sandboxed_iframe(tmp_path):
    page = viz.backprop_page(network(HOSTILE))
    shown = page._repr_html_()
    tags = parse(shown).tags
    assert [tag for tag, _ in tags] == ["iframe"]  # nothing but the frame reaches the notebook
    attrs = tags[0][1]
    assert attrs["sandbox"] == "allow-scripts"  # no allow-same-origin: an opaque origin
    assert attrs["srcdoc"] == page.html  # the whole page, escaped and read back unchanged
    assert '<meta http-equiv="Content-Security-Policy" content="default-src \'none\';' in page.html
    assert "<script>alert" not in shown and "<script" not in shown.replace("&lt;script", "")
    path = viz.save_backprop_html(network(HOSTILE), tmp_path / "page.html")
    assert open(path, encoding="utf-8").read() == page.html
    assert viz.backprop_page(network(HOSTILE))._repr_html_() == shown
    assert repr(page).startswith("<BackpropPage 'Backprop, step by step: ")


# -- in a real browser: a page that holds every output, as a notebook would ------------------------
@needs_renderer
def test_every_output_in_one_page_in_a_browser(browser, tmp_path):
    from selenium.webdriver.common.by import By

    outputs = hostile_outputs()
    loss = network(HOSTILE)
    parts = [*outputs.values(), viz.draw_graph(loss)._repr_image_svg_xml(),
             viz.backprop_page(loss)._repr_html_()]
    cells_html = "".join(f'<div class="out" id="out{i}">{part}</div>' for i, part in enumerate(parts))
    page = tmp_path / "notebook.html"
    page.write_text(f'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>{cells_html}'
                    "</body></html>", encoding="utf-8")
    browser.set_window_size(1400, 3000)
    browser.get(page.as_uri())
    photograph(browser, tmp_path / "notebook.png")
    assert browser.execute_script("return document.querySelectorAll('script').length") == 0
    caption = browser.find_element(By.CSS_SELECTOR, "#out0 caption").text
    assert caption == f"Tensor {HOSTILE}"  # the name as text, not as markup
    browser.switch_to.frame(browser.find_element(By.CSS_SELECTOR, "iframe"))
    try:
        count = len(tg.explain(network(HOSTILE)))
        assert browser.find_element(By.ID, "counter").text == f"Step 0 of {count}"
        browser.find_element(By.ID, "next").click()  # the page's script runs in the sandbox
        assert browser.find_element(By.ID, "counter").text == f"Step 1 of {count}"
        reach = "try { return window.parent.document.title; } catch (e) { return 'blocked'; }"
        assert browser.execute_script(reach) == "blocked"  # an opaque origin: no notebook access
        assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    finally:
        browser.switch_to.default_content()
