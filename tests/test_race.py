"""viz.optimizer_race: the paths are the library optimizers' own steps (checked by hand and
against PyTorch's optimizers), the page is self-contained, deterministic and escaped, bad
arguments are refused clearly, and in a real browser it plays, pauses and restarts."""

import os
import time

import numpy as np
import pytest
import test_explorer

from tinygrad_edu import optim, viz
from tinygrad_edu.viz import race

browser = test_explorer.browser  # the explorer tests' headless Chromium (skips without one)
photograph = test_explorer.photograph
HOSTILE = "<script>alert('x')</script> & {{data}}"


def banana_grad(x, y):
    return np.array([-2 * (1 - x) - 40 * x * (y - x * x), 20 * (y - x * x)])


def test_gd_path_is_gradient_descent_by_hand():
    page = viz.optimizer_race(optimizers={"GD": lambda p: optim.SGD(p, lr=0.01)}, steps=5)
    path = page.paths["GD"]
    assert path.shape == (6, 3)
    w = np.array([-1.5, 2.0])
    for k in range(6):
        assert np.allclose(path[k, :2], w, rtol=0, atol=1e-12)
        assert path[k, 2] == pytest.approx((1 - w[0]) ** 2 + 10 * (w[1] - w[0] ** 2) ** 2, rel=1e-12)
        w = w - 0.01 * banana_grad(*w)


def test_paths_match_pytorch_optimizers():
    torch = pytest.importorskip("torch")
    makers = {"momentum": (lambda p: optim.SGD(p, lr=0.01, momentum=0.9),
                           lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9)),
              "RMSprop": (lambda p: optim.RMSprop(p, lr=0.01), lambda p: torch.optim.RMSprop(p, lr=0.01)),
              "Adam": (lambda p: optim.Adam(p, lr=0.05), lambda p: torch.optim.Adam(p, lr=0.05))}
    page = viz.optimizer_race(optimizers={k: ours for k, (ours, _) in makers.items()}, steps=50)
    for name, (_, theirs) in makers.items():
        p = torch.tensor([-1.5, 2.0], dtype=torch.float64, requires_grad=True)
        opt = theirs([p])
        for k in range(50):
            opt.zero_grad()
            loss = (1 - p[0]) ** 2 + 10 * (p[1] - p[0] ** 2) ** 2
            assert page.paths[name][k, 2] == pytest.approx(loss.item(), rel=1e-9), (name, k)
            loss.backward()
            opt.step()
        assert np.allclose(page.paths[name][-1, :2], p.detach().numpy(), rtol=1e-9, atol=1e-12), name


def test_the_default_race_and_the_page():
    page = viz.optimizer_race()
    assert list(page.paths) == list(race.RACERS)
    final = {name: path[-1, 2] for name, path in page.paths.items()}
    assert final["momentum 0.9 (lr 0.01)"] < final["Adam (lr 0.05)"] < final["GD (lr 0.01)"]
    text = page.html
    assert "default-src 'none'" in text and "src=" not in text and "<link" not in text
    assert text.count("<script") == 2  # the data block and the player
    assert viz.optimizer_race().html == text  # deterministic
    assert len(text) < 400_000


def test_hostile_names_and_title_stay_text():
    page = viz.optimizer_race(optimizers={HOSTILE: lambda p: optim.SGD(p, lr=0.01)}, steps=3,
                              title=HOSTILE)
    assert "<script>alert" not in page.html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; {{data}}" in page.html
    assert page.html.count("<script") == 2


def test_bad_arguments_say_what_to_do():
    with pytest.raises(ValueError, match="steps must be an integer from 1 to 5000"):
        viz.optimizer_race(steps=0)
    with pytest.raises(ValueError, match="box must be"):
        viz.optimizer_race(box=(1, -1, 0, 1))
    with pytest.raises(ValueError, match="start must be two numbers"):
        viz.optimizer_race(start=(1.0, 2.0, 3.0))
    with pytest.raises(ValueError, match="give 1 to 6 optimizers"):
        viz.optimizer_race(optimizers={})
    with pytest.raises(ValueError, match="must be a scalar Tensor"):
        viz.optimizer_race(loss=lambda p: p * 2, steps=2)
    with pytest.raises(ValueError, match=r"write it on p\[\.\.\., 0\]"):
        viz.optimizer_race(loss=lambda p: (p * p).sum(), steps=2)


def test_the_race_plays_in_a_browser(browser, tmp_path):
    from selenium.webdriver.common.by import By

    path = viz.optimizer_race(steps=1500).save(tmp_path / "race.html")  # 30 s of play: never ends here
    browser.get("file://" + os.path.abspath(path))
    state = lambda: browser.execute_script("return window.race.state()")  # noqa: E731
    points = lambda: len(browser.find_element(By.ID, "path3").get_attribute("points").split())  # noqa: E731
    first = state()
    assert first["playing"]  # it plays on opening
    photograph(browser, tmp_path / "0-early.png")
    time.sleep(1.0)
    later = state()
    assert later["frame"] > first["frame"]
    photograph(browser, tmp_path / "1-later.png")
    assert (tmp_path / "0-early.png").read_bytes() != (tmp_path / "1-later.png").read_bytes()
    browser.find_element(By.ID, "play").click()  # pause
    paused = state()["frame"]
    time.sleep(0.4)
    assert state() == {"frame": paused, "playing": False}
    assert points() == paused + 1  # the path drawn so far: one point per step taken
    browser.find_element(By.ID, "restart").click()
    assert state()["playing"] and state()["frame"] < 20
    loss = browser.find_element(By.ID, "loss1").text
    assert loss.startswith("loss ")
    test_explorer.no_errors(browser)
