"""The step-through backprop page: self-contained, deterministic, and driven in a real browser.

The browser test runs Debian's chromium + chromedriver through selenium, headless, with a fresh
profile; it skips with the reason when one of them is missing (``.ci/run`` installs them).
"""

import os
import re
import shutil
import struct
import tempfile
import zlib

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor, viz
from tinygrad_edu.config import module_scope
from tinygrad_edu.viz import html as html_module
from tinygrad_edu.viz.model import GraphModel

needs_renderer = pytest.mark.skipif(viz.find_renderer() is None,
                                    reason="no Graphviz renderer (dot or graphviz-pure) installed")


def network(name="loss"):
    """A 2→3→1 network with module scopes, a reused tensor and a broadcast bias."""
    x = Tensor([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], name="X")
    w1 = Tensor([[0.5, -0.4, 0.3], [0.2, 0.6, -0.7]], requires_grad=True, name="fc1.weight")
    b1 = Tensor([0.1, 0.0, -0.1], requires_grad=True, name="fc1.bias")
    w2 = Tensor([[0.8], [-0.5], [0.3]], requires_grad=True, name="fc2.weight")
    with module_scope("fc1: Linear(2→3)"):
        h = x @ w1 + b1
    a = h.sigmoid()
    with module_scope("fc2: Linear(3→1)"):
        out = a @ w2
    diff = out - Tensor([[1.0], [1.0], [0.0]], name="y")
    loss = (diff * diff).mean()
    loss.name = name
    return loss


@needs_renderer
def test_page_is_self_contained_and_deterministic(tmp_path):
    path = viz.save_backprop_html(network(), tmp_path / "page.html")
    text = open(path, encoding="utf-8").read()
    assert text.count("<svg") == 1 and "<?xml" not in text
    assert not re.search(r"<link|<img|src=|@import|url\(", text)
    for url in re.findall(r"https?://[^\s\"')]+", text):
        assert url.startswith("http://www.w3.org/"), url  # only XML namespace names
    for element_id in ("prev", "next", "slider", "counter", "step-title", "step-text", "grads-so-far"):
        assert f'id="{element_id}"' in text
    again = viz.save_backprop_html(network(), tmp_path / "again.html")
    assert open(again, encoding="utf-8").read() == text


@needs_renderer
def test_hostile_names_stay_text(tmp_path):
    evil = "</script><script>alert(1)</script>{{data}}"
    loss = network(name=evil)
    text = open(viz.save_backprop_html(loss, tmp_path / "p.html"), encoding="utf-8").read()
    assert "<script>alert" not in text and "</script><script>" not in text
    assert text.count("<script") == 2  # the data block and the page's own script


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
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
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
        var current = Array.from(document.querySelectorAll('#graph g.node.current'));
        var hidden = Array.from(document.querySelectorAll('#graph .grad-hidden')).map(function (g) {
            return g.id; });
        var pending = Array.from(document.querySelectorAll('#graph g.edge.pending')).map(function (g) {
            return g.id; });
        return {counter: document.getElementById('counter').textContent,
                current: current.map(function (g) { return g.id; }),
                currentText: current.map(function (g) { return g.textContent; }).join(' '),
                text: document.getElementById('step-text').textContent,
                title: document.getElementById('step-title').textContent,
                grads: document.getElementById('grads-so-far').textContent,
                hidden: hidden, pending: pending,
                slider: document.getElementById('slider').value};""")


def test_stepping_through_backprop_in_a_browser(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    loss = network()
    trace = tg.explain(loss)
    model = GraphModel(loss, collapse=False)
    path = viz.save_backprop_html(loss, tmp_path / "page.html")
    browser.get("file://" + os.path.abspath(path))

    start = state(browser)
    assert start["counter"] == f"Step 0 of {len(trace)}" and start["current"] == []
    assert "Press Next" in start["text"] and start["grads"].startswith("∂loss/∂loss = 1")

    n = 4
    for _ in range(n):
        browser.find_element(By.ID, "next").click()
    now = state(browser)
    step = trace[n - 1]
    assert now["counter"] == f"Step {n} of {len(trace)}" and now["slider"] == str(n)
    assert now["current"] == [model.item_id(step.node)]
    assert step.op in now["currentText"]
    assert now["text"] == str(step)
    assert now["title"] == f"Step {n} of {len(trace)} · {step.op}"
    # Gradients computed so far are listed; those of later steps are not yet shown.
    assert f"∂loss/∂{step.output_label} = " in now["grads"]
    assert "∂loss/∂fc1.weight" not in now["grads"]
    assert any(cell.startswith("a_") for cell in now["hidden"])
    assert now["pending"]

    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.ARROW_RIGHT)
    assert state(browser)["text"] == str(trace[n])
    body.send_keys(Keys.ARROW_LEFT)
    browser.find_element(By.ID, "prev").click()  # go back
    back = state(browser)
    assert back["counter"] == f"Step {n - 1} of {len(trace)}" and back["text"] == str(trace[n - 2])
    assert back["current"] == [model.item_id(trace[n - 2].node)]

    browser.execute_script("var s = document.getElementById('slider'); s.value = s.max;"
                           "s.dispatchEvent(new Event('input'));")
    end = state(browser)
    assert end["text"] == str(trace[-1]) and end["pending"] == [] and end["hidden"] == []
    assert "∂loss/∂fc1.weight = " in end["grads"]

    browser.find_element(By.ID, "prev").click()
    shot = browser.get_screenshot_as_png()
    (tmp_path / "page.png").write_bytes(shot)
    pixels = read_png(shot)
    assert pixels.shape[0] > 100 and pixels.shape[1] > 100
    assert pixels.std() > 20, "the screenshot is (almost) blank"
    assert len(np.unique(pixels.reshape(-1, pixels.shape[2]), axis=0)) > 50
    severe = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
    assert severe == [], severe


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


def test_collapsed_page_lights_up_the_module_box(browser, tmp_path):
    from selenium.webdriver.common.by import By

    loss = network()
    trace = tg.explain(loss)
    model = GraphModel(loss, collapse=True)
    path = viz.save_backprop_html(loss, tmp_path / "folded.html", collapse=True)
    browser.get("file://" + os.path.abspath(path))
    inside = next(s for s in trace if s.scope == ("fc1: Linear(2→3)",))
    for _ in range(inside.number):
        browser.find_element(By.ID, "next").click()
    now = state(browser)
    assert now["current"] == [model.item_id(inside.node)] and now["current"][0].startswith("g")
    assert "fc1: Linear(2→3)" in now["currentText"] and now["text"] == str(inside)
    # fc1.weight's gradient (listed inside the box) is only revealed by the last step.
    weight_cell = next(f"a_{i.id}_grad" for g in model.items if hasattr(g, "folded")
                       for i in g.folded if i.label == "fc1.weight")
    assert weight_cell in now["hidden"]
    browser.find_element(By.TAG_NAME, "body").send_keys("\ue010")  # End
    assert weight_cell not in state(browser)["hidden"]


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
