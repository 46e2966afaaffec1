"""The backprop explorer's forward direction (backprop_page(forward=True)): its data is the
tangent pass, the page stays self-contained and deterministic, and in a real browser the
switch, the stepping and the keys work without disturbing the backward explorer."""

import os
import re

import pytest
from test_explorer import browser, network, no_errors, photograph  # noqa: F401  (browser: a fixture)

from tinygrad_edu import viz
from tinygrad_edu.autograd import GraphFreedError
from tinygrad_edu.explain import read_graph
from tinygrad_edu.viz import html as html_module
from tinygrad_edu.viz.explorer_forward import forward_part, step_text
from tinygrad_edu.viz.explorer_text import numbers
from tinygrad_edu.viz.tangents import tangent_pass

needs_renderer = pytest.mark.skipif(viz.find_renderer() is None,
                                    reason="no Graphviz renderer (dot or graphviz-pure) installed")


def page_data(text):
    block = re.search(r'<script id="explorer-data" type="application/json">(.*?)</script>', text, re.S)
    import json
    return json.loads(block.group(1))


def test_forward_data_is_the_tangent_pass_in_graph_order():
    loss = network()
    graph = read_graph(loss)
    part = forward_part(loss, None, "BT", graph)
    fp = tangent_pass(loss, graph=graph)
    index = {id(t): k for k, t in enumerate(graph.tensors, start=1)}
    assert [s["op"] for s in part.data["steps"]] == [f"fop{index[id(s.output)]}" for s in fp.steps]
    assert [s["text"] for s in part.data["steps"]] == [step_text(s, fp) for s in fp.steps]
    assert part.data["steps"][0]["title"] == f"Tangent step 1 of {len(fp.steps)} · MatMul"
    # the seed (fc1.weight, the first leaf) is known at step 0; each output at its own step
    seed = next(t for t in graph.tensors if t.name == "fc1.weight")
    assert part.data["cells"][f"a_ft{index[id(seed)]}_value"] == 0
    assert part.data["cells"][f"a_ft{index[id(loss)]}_value"] == len(fp.steps)
    # the pass ends with J·v: for v = ones on fc1.weight, the sum of fc1.weight's gradient
    loss.backward(retain_graph=True)
    assert float(fp.tangent(loss)) == pytest.approx(float(seed.grad.numpy().sum()), rel=1e-5)
    every_edge = {e for s in part.data["steps"] for e in s["edges"]}
    assert set(part.data["edges"]) == every_edge
    assert all(f'id="{e}"' in part.source or f"id={e}" in part.source for e in every_edge)


def test_step_text_names_the_inputs_the_rule_and_the_terms():
    from tinygrad_edu import Tensor

    a = Tensor(2.0, requires_grad=True, name="a")
    b = Tensor(-3.0, requires_grad=True, name="b")
    y = a * b
    y.name = "y"
    fp = tangent_pass(y, [a, b], [1.0, 2.0])
    text = step_text(fp.steps[0], fp)
    assert text.startswith("y = Mul(a, b)\n\njvp rule:  ż = ẋ·y + x·ẏ\n  x = a, tangent:\n    1\n")
    assert "from a: -3\n  from b: 4" in text  # ẋ·y = 1·(-3), x·ẏ = 2·2
    assert text.endswith("tangent of y:\n  1\n  (ż = ẋ·y + x·ẏ = 1·(-3) + 2·2 = 1)")


@needs_renderer
def test_without_forward_the_page_has_no_trace_of_it(tmp_path):
    text = viz.backprop_page(network()).html
    assert "dir-forward" not in text and "forward-main" not in text and "forward" not in page_data(text)
    assert text.count("<template") == 4
    assert "explorerForward" not in text


@needs_renderer
def test_the_forward_page_is_self_contained_and_deterministic(tmp_path):
    text = viz.backprop_page(network(), forward=True).html
    assert text == viz.backprop_page(network(), forward=True).html
    assert text.count("<template") == 5 and 'id="view-tangents"' in text
    assert text.count("<script") == 2  # still one data block and one script
    assert not re.search(r"<link|<img|src=|@import|url\(", text)
    for element_id in ("dir-backward", "dir-forward", "fprev", "fnext", "fslider", "fcounter",
                       "fstep-title", "fstep-text", "tangents-so-far", "fcanvas"):
        assert f'id="{element_id}"' in text
    data = page_data(text)["forward"]
    assert data["title"] == "Forward mode, step by step: the tangent of loss"
    assert "fc1.weight: [[1, 1, 1], [1, 1, 1]]" in data["intro"]


def test_a_forward_page_after_a_plain_backward_says_what_to_do(tmp_path):
    loss = network()
    loss.backward()
    with pytest.raises(GraphFreedError, match=r"build the page before backward\(\)"):
        html_module.backprop_page(loss, forward=True)


def fstate(driver):
    return driver.execute_script("""
        var q = function (s) { return Array.from(document.querySelectorAll(s)).map(function (g) {
            return g.id; }); };
        return {counter: document.getElementById('fcounter').textContent,
                current: q('#fgraph g.node.current'), done: q('#fgraph g.node.done'),
                pending: q('#fgraph g.edge.pending'), hidden: q('#fgraph .tangent-hidden'),
                title: document.getElementById('fstep-title').textContent,
                text: document.getElementById('fstep-text').textContent,
                tangents: document.getElementById('tangents-so-far').textContent,
                heading: document.getElementById('title').textContent,
                forwardShown: !document.getElementById('forward-main').hidden,
                backwardShown: !document.querySelector('main:not(#forward-main)').hidden,
                backwardCounter: document.getElementById('counter').textContent,
                pageScrolls: document.documentElement.scrollHeight > window.innerHeight};""")


def test_stepping_forward_mode_in_a_browser(browser, tmp_path):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    loss = network()
    graph = read_graph(loss)
    part = forward_part(loss, None, "BT", graph)
    steps, n = part.data["steps"], len(part.data["steps"])
    path = viz.save_backprop_html(loss, tmp_path / "forward.html", forward=True)
    browser.get("file://" + os.path.abspath(path))
    start = fstate(browser)
    assert not start["forwardShown"] and start["backwardShown"]
    browser.find_element(By.ID, "dir-forward").click()
    now = fstate(browser)
    assert now["forwardShown"] and not now["backwardShown"] and not now["pageScrolls"]
    assert now["counter"] == f"Step 0 of {n}" and now["current"] == []
    assert now["heading"] == part.data["title"] and "Press Next" in now["text"]
    assert now["tangents"].startswith("fc1.weight = ") and "(seed)" in now["tangents"]
    assert len(now["pending"]) == len(part.data["edges"])
    assert len(now["hidden"]) == sum(1 for k in part.data["cells"].values() if k > 0)
    photograph(browser, tmp_path / "f0-start.png")

    for _ in range(3):
        browser.find_element(By.ID, "fnext").click()
    now = fstate(browser)
    assert now["counter"] == f"Step 3 of {n}" and now["current"] == [steps[2]["op"]]
    assert sorted(now["done"]) == sorted(s["op"] for s in steps[:2])
    assert now["title"] == steps[2]["title"] and now["text"] == steps[2]["text"]
    assert sorted(now["pending"]) == sorted(e for e, k in part.data["edges"].items() if k > 3)
    photograph(browser, tmp_path / "f1-step3.png")

    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.ARROW_RIGHT)
    assert fstate(browser)["counter"] == f"Step 4 of {n}"
    body.send_keys(Keys.END)
    end = fstate(browser)
    assert end["counter"] == f"Step {n} of {n}" and end["pending"] == [] and end["hidden"] == []
    loss_tangent = tangent_pass(loss).tangent(loss)
    assert end["tangents"].endswith(f"loss = {numbers(loss_tangent)}")
    assert end["backwardCounter"].startswith("Step 0 of")  # the keys stepped forward mode only
    photograph(browser, tmp_path / "f2-end.png")

    browser.find_element(By.ID, "dir-backward").click()
    back = fstate(browser)
    assert back["backwardShown"] and not back["forwardShown"] and back["heading"].startswith("Backprop")
    body.send_keys(Keys.ARROW_RIGHT)
    after = fstate(browser)
    assert after["backwardCounter"].startswith("Step 1 of") and after["counter"] == f"Step {n} of {n}"
    no_errors(browser)
