"""The backprop explorer: one self-contained page, deterministic, and driven in a real browser.

The browser tests run Debian's chromium + chromedriver through selenium, headless, with a fresh
profile; they skip with the reason when one of them is missing (``.ci/run`` installs them).
Every state a test reaches is photographed, and the photograph must not be blank.
"""

import os
import re
import shutil
import struct
import tempfile
import zlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_edu as tg
from tinygrad_edu import Tensor, viz
from tinygrad_edu.config import module_scope
from tinygrad_edu.explain import rule_text
from tinygrad_edu.viz import html as html_module
from tinygrad_edu.viz.explorer_text import numbers, step_panel
from tinygrad_edu.viz.explorer_views import draw_view, find_layers

needs_renderer = pytest.mark.skipif(viz.find_renderer() is None,
                                    reason="no Graphviz renderer (dot or graphviz-pure) installed")
FC1, FC2 = "fc1: Linear(2→3)", "fc2: Linear(3→1)"


def network(name="loss", fc1=FC1, weight="fc1.weight"):
    """A 2→3→1 network with module scopes, a reused tensor and a broadcast bias."""
    x = Tensor([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], name="X")
    w1 = Tensor([[0.5, -0.4, 0.3], [0.2, 0.6, -0.7]], requires_grad=True, name=weight)
    b1 = Tensor([0.1, 0.0, -0.1], requires_grad=True, name="fc1.bias")
    w2 = Tensor([[0.8], [-0.5], [0.3]], requires_grad=True, name="fc2.weight")
    with module_scope(fc1):
        h = x @ w1 + b1
    a = h.sigmoid()
    with module_scope(FC2):
        out = a @ w2
    diff = out - Tensor([[1.0], [1.0], [0.0]], name="y")
    loss = (diff * diff).mean()
    loss.name = name
    return loss


def expected_view(loss, open_layers):
    """What the page should show, computed in Python from the same trace."""
    trace = tg.explain(loss)
    layers = find_layers(trace)
    return trace, layers, draw_view(trace, layers, frozenset(open_layers), rule_text, "BT")


# -- the file ---------------------------------------------------------------------------------------
@needs_renderer
def test_page_is_self_contained_and_deterministic(tmp_path):
    path = viz.save_backprop_html(network(), tmp_path / "page.html")
    text = open(path, encoding="utf-8").read()
    assert "Content-Security-Policy" in text and "default-src 'none'" in text
    assert text.count("<svg") == 4 and text.count("<template") == 4  # 2 layers: 4 choices of open ones
    assert "<?xml" not in text and not re.search(r"<link|<img|src=|@import|url\(", text)
    for url in re.findall(r"https?://[^\s\"')]+", text):
        assert url.startswith("http://www.w3.org/"), url  # only XML namespace names
    for element_id in ("prev", "next", "slider", "counter", "step-title", "step-text", "grads-so-far",
                       "search", "open-all", "close-all", "zoom-in", "zoom-out", "zoom-fit", "card", "play",
                       "speed"):
        assert f'id="{element_id}"' in text
    again = viz.save_backprop_html(network(), tmp_path / "again.html")
    assert open(again, encoding="utf-8").read() == text


PAGE_PROGRAM = """
import sys
sys.path.insert(0, sys.argv[2])
from test_explorer import network
from tinygrad_edu import viz
viz.save_backprop_html(network(), sys.argv[1])
"""


@needs_renderer
def test_the_page_is_byte_identical_across_processes(tmp_path):
    import subprocess
    import sys

    pages = []
    for seed in ("1", "2"):
        path = tmp_path / f"page{seed}.html"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-c", PAGE_PROGRAM, str(path), os.path.dirname(__file__)],
                       check=True, env=env, timeout=120)
        pages.append(path.read_bytes())
    assert pages[0] == pages[1]


def test_the_page_after_a_plain_backward_shows_that_backward(tmp_path):
    loss = network()
    before = open(viz.save_backprop_html(loss, tmp_path / "before.html"), encoding="utf-8").read()
    loss.backward()  # no retain_graph: the page replays the gradients this backward kept
    after = open(viz.save_backprop_html(loss, tmp_path / "after.html"), encoding="utf-8").read()
    assert after == before
    other = network()
    (other * 2.0).backward()  # the kept numbers are another output's: refused, clearly
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        viz.save_backprop_html(other, os.path.join(tempfile.gettempdir(), "never-written.html"))


def test_layers_are_module_calls_found_from_the_scopes():
    trace = tg.explain(network())
    layers = find_layers(trace)
    assert [layer.scope for layer in layers] == [(FC1,), (FC2,)]
    ops = [[n.name for n in layer.nodes] for layer in layers]
    assert ops == [["MatMul", "BroadcastTo", "Add"], ["MatMul"]]
    closed = draw_view(trace, layers, frozenset(), rule_text, "BT")
    names = {trace.label(t): closed.element_of_tensor[id(t)] for t in trace.tensors}
    assert names["fc1.weight"] == names["fc1.bias"] == "L1" and names["fc2.weight"] == "L2"
    assert names["X"].startswith("t")  # data is drawn outside the layer that reads it
    inside = [s for s in trace if s.scope == (FC1,)]
    assert {closed.step_element[s.number - 1] for s in inside} == {"L1"}
    opened = draw_view(trace, layers, frozenset([1]), rule_text, "BT")
    assert {opened.step_element[s.number - 1] for s in inside} == \
        {f"op{k}" for k, t in enumerate(trace.tensors) if any(t is s.output for s in inside)}
    assert 'subgraph cluster_1 { id="C1"' in opened.source


def test_two_calls_of_one_module_are_two_layers():
    x = Tensor([[1.0, 2.0]], requires_grad=True, name="x")
    w = Tensor([[0.5], [0.25]], requires_grad=True, name="w")
    with module_scope("f: Linear"):
        a = x @ w
    with module_scope("f: Linear"):
        b = (x * 2.0) @ w
    layers = find_layers(tg.explain((a + b).sum()))
    assert [layer.name for layer in layers] == ["f: Linear", "f: Linear"]


@needs_renderer
def test_hostile_names_stay_text_in_the_file(tmp_path):
    evil = "</script><script>alert(1)</script>{{data}}&amp;\"'"
    loss = network(name=evil, fc1="<b>fc1</b> & 'x' </script>", weight="<w>&\"")
    text = open(viz.save_backprop_html(loss, tmp_path / "p.html"), encoding="utf-8").read()
    assert "<script>alert" not in text and "</script><script>" not in text and "<b>fc1" not in text
    assert text.count("<script") == 2  # the data block and the page's own script


def test_panel_numbers_come_from_the_shared_formats():
    trace = tg.explain(network())
    panel = step_panel(trace[-1], rule_text)
    assert "array(" not in panel and "dtype" not in panel
    assert not panel.startswith("Step")  # the title is shown once, above the text
    assert "∂(X@Y)/∂Y: G ↦ Xᵀ@G" in panel


def test_no_numpy_repr_reaches_the_panel():
    """Cross-entropy indexes with a tuple of arrays: its options are shown by shape, not repr."""
    tg.manual_seed(0)
    logits = tg.nn.Linear(2, 3)(Tensor(np.arange(8.0, dtype=np.float32).reshape(4, 2), name="X"))
    loss = tg.nn.CrossEntropyLoss()(logits, Tensor(np.array([0, 2, 1, 0])))
    trace = tg.explain(loss)
    panels = "\n".join(step_panel(s, rule_text) for s in trace)
    assert "index=([0, 1, 2, 3], [0, 2,...)" in panels  # describe() of each array, cut at 24
    assert "array([" not in panels and "np." not in panels and "dtype" not in panels


small_floats = st.floats(-1e3, 1e3, allow_nan=False, width=32)


@given(hnp.arrays(st.sampled_from([np.float32, np.float64]), st.integers(17, 300), elements=small_floats))
def test_a_mean_that_is_rounding_noise_prints_as_zero(values):
    centred = values - values.mean(dtype=np.float64).astype(values.dtype)
    text = numbers(centred)
    assert text.startswith(f"shape ({values.size},): mean ")
    mean = float(text.split("mean ")[1].split(",")[0])
    assert mean == 0 or abs(mean) > 8 * np.finfo(values.dtype).eps * np.abs(centred).max()
    assert "e-1" not in text.split("std")[0] or mean != 0


def test_a_real_mean_is_printed():
    assert numbers(np.full(20, 0.5)).startswith("shape (20,): mean 0.5, std 0, min 0.5, max 0.5")
    assert numbers(np.arange(4.0)) == "[0, 1, 2, 3]"


# -- in a real browser --------------------------------------------------------------------------
def _find(*names):
    for name in names:
        found = shutil.which(name) or (name if os.path.isabs(name) and os.path.exists(name) else None)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed "
                                    "(pip install -e '.[dev]')")
    chromium = _find("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")
    driver_path = _find("/usr/bin/chromedriver", "chromedriver")
    if chromium is None or driver_path is None:
        pytest.skip("chromium and chromedriver are needed for the browser test "
                    "(apt install chromium chromium-driver)")
    if viz.find_renderer() is None:
        pytest.skip("no Graphviz renderer installed")
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="tg-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--window-size=1400,900",
                f"--user-data-dir={profile}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def state(driver):
    return driver.execute_script("""
        function ids(sel) { return Array.from(document.querySelectorAll(sel)).map(function (g) {
            return g.id; }); }
        var current = Array.from(document.querySelectorAll('#graph g.node.current'));
        return {counter: document.getElementById('counter').textContent,
                current: current.map(function (g) { return g.id; }),
                currentText: current.map(function (g) { return g.textContent; }).join(' '),
                text: document.getElementById('step-text').textContent,
                title: document.getElementById('step-title').textContent,
                grads: document.getElementById('grads-so-far').textContent,
                hidden: ids('#graph .grad-hidden'), pending: ids('#graph g.edge.pending'),
                found: ids('#graph .found'), search: document.getElementById('search-result').textContent,
                view: window.explorer.state().view, zoom: window.explorer.state().zoom,
                slider: document.getElementById('slider').value,
                requests: performance.getEntriesByType('resource').length,
                pageScrolls: document.documentElement.scrollHeight > window.innerHeight ||
                             document.documentElement.scrollWidth > window.innerWidth,
                panelScrolls: getComputedStyle(document.getElementById('panel')).overflowY,
                graphScrolls: getComputedStyle(document.getElementById('graph')).overflow};""")


def photograph(driver, path):
    """Save a screenshot and check it is not blank: many colours, pixels that vary."""
    shot = driver.get_screenshot_as_png()
    path.write_bytes(shot)
    pixels = read_png(shot)
    assert pixels.shape[0] > 100 and pixels.shape[1] > 100
    assert pixels.std() > 20, f"the screenshot {path.name} is (almost) blank"
    assert len(np.unique(pixels.reshape(-1, pixels.shape[2]), axis=0)) > 50, path.name


def no_errors(driver):
    """No console errors, and the page asked for nothing (the CSP would have refused it)."""
    severe = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
    assert severe == [], severe
    assert driver.execute_script("return performance.getEntriesByType('resource').length") == 0


def test_stepping_through_every_op_in_a_browser(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    loss = network()
    trace, layers, view = expected_view(loss, [1, 2])
    path = viz.save_backprop_html(loss, tmp_path / "page.html", collapse=False)
    browser.get("file://" + os.path.abspath(path))
    start = state(browser)
    assert start["counter"] == f"Step 0 of {len(trace)}" and start["current"] == [] and start["view"] == "1-2"
    assert "Press Next" in start["text"] and start["grads"].startswith("∂loss/∂loss = 1")
    assert start["requests"] == 0 and not start["pageScrolls"]
    assert start["graphScrolls"] == "hidden" and start["panelScrolls"] == "auto"  # one scrollbar at most
    assert len(start["pending"]) == len(view.edge_step)
    # Edges still to come are thin grey lines, not filled wedges.
    fill = browser.execute_script("return getComputedStyle(document.querySelector("
                                  "'#graph g.edge.pending path')).fill")
    assert fill == "none"
    photograph(browser, tmp_path / "0-start.png")

    n = 4
    for _ in range(n):
        browser.find_element(By.ID, "next").click()
    now = state(browser)
    step = trace[n - 1]
    assert now["counter"] == f"Step {n} of {len(trace)}" and now["slider"] == str(n)
    assert now["current"] == [view.step_element[n - 1]] and step.op in now["currentText"]
    assert now["title"] == f"Step {n} of {len(trace)} · {step.op}"
    assert now["text"] == step_panel(step, rule_text) and now["title"] not in now["text"]
    assert f"∂loss/∂{step.output_label} = " in now["grads"] and "∂loss/∂fc1.weight" not in now["grads"]
    assert "a_t1_grad" in now["hidden"] or any(c.startswith("a_t") for c in now["hidden"])
    assert sorted(now["pending"]) == sorted(e for e, k in view.edge_step.items() if k > n)
    photograph(browser, tmp_path / "1-step4.png")

    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.ARROW_RIGHT)
    assert state(browser)["text"] == step_panel(trace[n], rule_text)
    body.send_keys(Keys.ARROW_LEFT)
    browser.find_element(By.ID, "prev").click()
    back = state(browser)
    assert back["counter"] == f"Step {n - 1} of {len(trace)}"
    assert back["current"] == [view.step_element[n - 2]]

    body.send_keys(Keys.END)
    end = state(browser)
    assert end["counter"] == f"Step {len(trace)} of {len(trace)}"
    assert end["pending"] == [] and end["hidden"] == []
    weight = next(t for t in trace.tensors if t.name == "fc1.weight")
    assert "∂loss/∂fc1.weight = \n" + numbers(trace.grad(weight)) in end["grads"]
    photograph(browser, tmp_path / "2-end.png")
    body.send_keys(Keys.HOME)
    assert state(browser)["counter"] == f"Step 0 of {len(trace)}"
    no_errors(browser)


def test_auto_play_advances_pauses_and_stops_at_the_end(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    loss = network()
    n = len(tg.explain(loss))
    browser.get("file://" + os.path.abspath(viz.save_backprop_html(loss, tmp_path / "page.html")))
    step = lambda: browser.execute_script("return window.explorer.state().step")  # noqa: E731
    playing = lambda: browser.execute_script("return window.explorer.state().playing")  # noqa: E731
    play = browser.find_element(By.ID, "play")
    assert step() == 0 and not playing() and play.text == "▶ Play"
    play.click()  # at the default pace, one step a second: time to pause before the end
    assert playing() and play.text == "❚❚ Pause" and play.get_attribute("aria-pressed") == "true"
    WebDriverWait(browser, 10).until(lambda d: step() >= 1)
    play.click()  # pause: the step stays where it is
    paused_at = step()
    assert 1 <= paused_at < n
    browser.execute_script("return new Promise(function (r) { setTimeout(r, 1500); })")
    assert step() == paused_at and not playing() and play.text == "▶ Play"
    assert browser.find_element(By.ID, "counter").text == f"Step {paused_at} of {n}"
    photograph(browser, tmp_path / "0-paused.png")
    Select(browser.find_element(By.ID, "speed")).select_by_visible_text("fast")
    play.click()  # on again, faster, to the end, where it stops by itself
    WebDriverWait(browser, 15).until(lambda d: step() == n and not d.execute_script(
        "return window.explorer.state().playing"))
    assert play.text == "▶ Play"
    photograph(browser, tmp_path / "1-played.png")
    play.click()  # from the end, Play starts again from the top
    assert step() == 0 and playing()
    browser.find_element(By.ID, "next").click()  # a manual step pauses
    assert step() == 1 and not playing()
    no_errors(browser)


def test_layers_open_and_close_on_a_click_and_stepping_follows(browser, tmp_path):
    from selenium.webdriver.common.by import By

    loss = network()
    trace, layers, closed = expected_view(loss, [])
    _, _, opened = expected_view(loss, [1])
    browser.get("file://" + os.path.abspath(viz.save_backprop_html(loss, tmp_path / "layers.html")))
    assert state(browser)["view"] == ""
    inside = next(s for s in trace if s.scope == (FC1,))
    browser.execute_script(f"window.explorer.show({inside.number})")
    now = state(browser)
    assert now["current"] == ["L1"] and FC1 in now["currentText"]
    assert now["text"] == step_panel(inside, rule_text)
    photograph(browser, tmp_path / "0-layer-view.png")

    browser.find_element(By.ID, "L1").click()  # open fc1
    now = state(browser)
    assert now["view"] == "1" and now["counter"] == f"Step {inside.number} of {len(trace)}"
    assert now["current"] == [opened.step_element[inside.number - 1]] and now["current"][0].startswith("op")
    assert browser.find_elements(By.ID, "C1") and not browser.find_elements(By.ID, "L1")
    photograph(browser, tmp_path / "1-fc1-open.png")

    browser.find_element(By.CSS_SELECTOR, "#C1 > text").click()  # its frame's title closes it
    assert state(browser)["view"] == "" and state(browser)["current"] == ["L1"]
    browser.find_element(By.ID, "open-all").click()
    assert state(browser)["view"] == "1-2"
    browser.find_element(By.ID, "close-all").click()
    assert state(browser)["view"] == ""
    no_errors(browser)


def test_search_finds_a_tensor_even_inside_a_closed_layer(browser, tmp_path):
    from selenium.webdriver.common.by import By

    loss = network()
    trace, layers, opened = expected_view(loss, [1])
    browser.get("file://" + os.path.abspath(viz.save_backprop_html(loss, tmp_path / "search.html")))
    box = browser.find_element(By.ID, "search")
    box.send_keys("fc1.bias")
    now = state(browser)
    bias = next(t for t in trace.tensors if t.name == "fc1.bias")
    assert now["view"] == "1" and now["found"] == [opened.element_of_tensor[id(bias)]]
    assert now["search"] == "fc1.bias"
    photograph(browser, tmp_path / "0-found.png")
    box.clear()
    box.send_keys("weight")
    assert state(browser)["search"] == "fc1.weight  (1 of 2 matches)"
    box.clear()
    box.send_keys("nothing-like-it")
    assert state(browser)["search"] == "no tensor named like that" and state(browser)["found"] == []
    no_errors(browser)


def test_hover_shows_the_rule_shape_and_numbers(browser, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    loss = network()
    trace, layers, view = expected_view(loss, [1, 2])
    browser.get("file://" + os.path.abspath(viz.save_backprop_html(loss, tmp_path / "hover.html",
                                                                   collapse=False)))
    sigmoid = next(s for s in trace if s.op == "Sigmoid")
    into = next(e for e, (t, uses) in view.edges.items() if uses and uses[0][0] is sigmoid.node)

    def card_over(element_id):
        target = browser.find_element(By.CSS_SELECTOR, f"#{element_id} text")
        ActionChains(browser).move_to_element(target).perform()
        return browser.execute_script("var c = document.getElementById('card');"
                                      "return [c.style.display, c.dataset.element, c.textContent];")

    shown, element, text = card_over(into)
    assert shown == "block" and element == into
    assert "∂σ(x)/∂x = σ(x)·(1-σ(x))" in text and "shape (3, 3)" in text
    assert f"computed at step {sigmoid.number}" in text  # not yet: no numbers before their step
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.END)
    shown, element, text = card_over(into)
    contribution = numbers(sigmoid.contributions[0].value)
    assert "\n".join("  " + line for line in contribution.split("\n")) in text
    photograph(browser, tmp_path / "0-hover.png")
    no_errors(browser)


def test_pan_and_zoom(browser, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    browser.get("file://" + os.path.abspath(viz.save_backprop_html(network(), tmp_path / "zoom.html")))
    before = state(browser)["zoom"]
    browser.find_element(By.ID, "zoom-in").click()
    assert state(browser)["zoom"] == pytest.approx(before * 1.25)
    transform = browser.execute_script("return document.getElementById('canvas').style.transform")
    graph = browser.find_element(By.ID, "graph")
    ActionChains(browser).move_to_element_with_offset(graph, 5, 5).click_and_hold().move_by_offset(
        60, 40).release().perform()
    moved = browser.execute_script("return document.getElementById('canvas').style.transform")
    assert moved != transform and "scale(" in moved
    photograph(browser, tmp_path / "0-zoomed.png")


def deep_network(layers=6):
    x = Tensor([[0.5, -1.0]], name="x")
    h = x
    for k in range(1, layers + 1):
        w = Tensor(np.eye(2) * 0.5 + 0.1 * k, requires_grad=True, name=f"w{k}")
        with module_scope(f"l{k}: Linear(2→2)"):
            h = (h @ w).tanh()
    loss = h.sum()
    loss.name = "loss"
    return loss


def test_with_many_layers_one_opens_at_a_time(browser, tmp_path):
    from selenium.webdriver.common.by import By

    path = viz.save_backprop_html(deep_network(), tmp_path / "deep.html")
    assert open(path, encoding="utf-8").read().count("<template") == 1 + 6 + 1  # closed, each, all
    browser.get("file://" + os.path.abspath(path))
    click = "document.getElementById(arguments[0]).dispatchEvent(new MouseEvent('click', {bubbles: true}))"
    browser.execute_script(click, "L1")  # off screen at first: a real user would pan to it
    assert state(browser)["view"] == "1"
    browser.execute_script(click, "L2")
    assert state(browser)["view"] == "2"
    note = browser.find_element(By.ID, "view-note").text
    assert note == "with 6 layers, one layer is open at a time (or all of them)"
    photograph(browser, tmp_path / "0-one-open.png")
    browser.find_element(By.ID, "open-all").click()
    assert state(browser)["view"] == "1-2-3-4-5-6"
    browser.find_element(By.ID, "close-all").click()
    box = browser.find_element(By.ID, "search")
    box.send_keys("w4")
    assert state(browser)["view"] == "4" and state(browser)["search"] == "w4"
    no_errors(browser)


def test_hostile_names_render_as_text_in_a_browser(browser, tmp_path):
    evil = "</script><script>document.title='owned'</script>&amp;\"'"
    module = "<b>fc1</b> & 'x' </script>"
    loss = network(name=evil, fc1=module, weight="<w>&\"")
    browser.get("file://" + os.path.abspath(viz.save_backprop_html(loss, tmp_path / "evil.html")))
    assert browser.title.startswith("Backprop, step by step: " + evil)
    assert browser.execute_script("return document.querySelectorAll('#graph b, script').length") == 2
    assert module in browser.execute_script("return document.getElementById('L1').textContent")
    box = browser.find_element("id", "search")
    box.send_keys('<w>&"')
    assert state(browser)["search"] == '<w>&"'
    photograph(browser, tmp_path / "0-evil.png")
    no_errors(browser)


def read_png(data: bytes) -> np.ndarray:
    """The screenshot's pixels: with Pillow when it is installed, else our small decoder."""
    try:
        from PIL import Image
    except ImportError:
        return decode_png(data)
    import io

    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(np.int32)


def decode_png(data: bytes) -> np.ndarray:
    """A tiny PNG decoder (8-bit RGB/RGBA, no interlace): enough to check a screenshot."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and color in (2, 6) and interlace == 0
            channels = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
    raw = zlib.decompress(idat)
    stride = width * channels
    rows = np.zeros((height, stride), dtype=np.int32)
    previous = np.zeros(stride, dtype=np.int32)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        line = np.frombuffer(raw[start + 1:start + 1 + stride], dtype=np.uint8).astype(np.int32)
        if kind == 0:
            row = line
        elif kind == 1:  # Sub: a running sum along the row, per channel
            row = np.cumsum(line.reshape(width, channels), axis=0).reshape(-1) % 256
        elif kind == 2:
            row = (line + previous) % 256
        else:  # Sub, Average, Paeth need the left neighbour: go byte by byte
            row = np.zeros(stride, dtype=np.int32)
            for i in range(stride):
                left = row[i - channels] if i >= channels else 0
                up, up_left = previous[i], previous[i - channels] if i >= channels else 0
                if kind == 1:
                    pred = left
                elif kind == 3:
                    pred = (left + up) // 2
                else:
                    p = left + up - up_left
                    pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                    pred = left if pa <= pb and pa <= pc else up if pb <= pc else up_left
                row[i] = (line[i] + pred) % 256
        rows[y] = row
        previous = row
    return rows.reshape(height, width, channels)


def test_the_small_png_decoder_agrees_with_pillow(tmp_path):
    """The fallback decoder must read real renderer output the way Pillow does."""
    Image = pytest.importorskip("PIL.Image")
    if viz.find_renderer() is None:
        pytest.skip("no Graphviz renderer installed")
    png = viz.render(viz.draw_graph(network()).source, "png")
    import io

    expected = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA" if png[25] == 6 else "RGB"))
    np.testing.assert_array_equal(decode_png(png), expected)


def xor_loss():
    """The tutorial's 2→4→1 sigmoid network on the four XOR points, with its MSE."""
    tg.manual_seed(0)
    net = tg.nn.MLP([2, 4, 1], activation="sigmoid", output_activation="sigmoid")
    X = Tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], name="X")
    y = Tensor([[0.0], [1.0], [1.0], [0.0]], name="y")
    return ((net(X) - y) ** 2).mean()


def count_backward_calls(monkeypatch):
    """Wrap ``backward`` of every op class so each call is counted per graph node."""
    calls = {}

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    for cls in set(subclasses(tg.Function)):
        if "backward" not in cls.__dict__:
            continue

        def counted(ctx, grad_out, _backward=cls.__dict__["backward"]):
            calls[id(ctx)] = calls.get(id(ctx), 0) + 1
            return _backward(ctx, grad_out)

        monkeypatch.setattr(cls, "backward", counted)
    return calls


@pytest.mark.parametrize("what", ["picture", "page"])
def test_each_op_backward_runs_once_plus_at_most_one_vjp(monkeypatch, tmp_path, what):
    """One trace per picture: the traced backward calls each op once, and an op whose local
    derivative is shown as numbers gets one more call (a vector-Jacobian product with ones)."""
    loss = xor_loss()
    calls = count_backward_calls(monkeypatch)
    if what == "picture":
        viz.draw_graph(loss, show="backward", collapse=False)
    else:  # the page needs no real renderer to be traced: any SVG will do
        monkeypatch.setattr(html_module, "render", lambda source, fmt: b"<svg></svg>")
        viz.save_backprop_html(loss, tmp_path / "xor.html")
    counted = dict(calls)
    trace = tg.explain(loss)  # after counting: which steps show a local number
    assert len(trace) == 14 and set(counted) == {id(s.node) for s in trace}
    edges = 0
    for step in trace:
        shows_local = any(c.local is not None for c in step.contributions)
        assert counted[id(step.node)] == 1 + shows_local, step.formula
        edges += sum(c.value is not None for c in step.contributions)
    vjps = sum(counted.values()) - len(trace)
    assert 0 < vjps <= edges


def test_closed_layers_show_the_layer_views_declared_rules():
    tg.manual_seed(0)
    model = tg.nn.Sequential(tg.nn.Linear(4, 16), tg.nn.ReLU(), tg.nn.Linear(16, 3))
    loss = tg.nn.CrossEntropyLoss()(model(tg.randn(32, 4)), tg.randint(0, 3, (32,)))
    trace = tg.explain(loss)
    layers = html_module.with_layer_rules(find_layers(trace), viz.layers.layer_view(loss, trace))
    first = next(layer for layer in layers if layer.name == "0: Linear(4→16)")
    assert first.rule_lines == ("z1 = x·W1ᵀ + b1", "δ = ∂L/∂z1  (32×16)", "∂L/∂W1 = δᵀ·x  (16×4)",
                                "∂L/∂b1 = Σₙ δ  (16)")
    assert first.input_rule == "∂L/∂x = δ·W1"
    closed = draw_view(trace, layers, frozenset(), rule_text, "BT").source
    assert "∂L/∂W1 = δᵀ·x" in closed and "∂L/∂a1 = δ·W2" in closed  # box text and edge rule
