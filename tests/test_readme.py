"""The README's Python blocks run as written, and print what their comments promise."""

import contextlib
import io
import pathlib
import re

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_has_a_quick_start_and_a_two_style_training_example():
    blocks = _python_blocks()
    assert len(blocks) == 2
    assert len(blocks[0].strip().splitlines()) <= 15  # the quick start stays short


def test_quick_start_prints_the_promised_numbers():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(_python_blocks()[0], "README quick start", "exec"), {})
    text = out.getvalue()
    assert "16.0 -24.0 16.0 8.0" in text
    assert "[[4. 6.]\n [4. 6.]]" in text
    assert "Step 1" in text and "∂(x·y)/∂x = y" in text  # the explain trace


def test_both_training_styles_reach_90_percent_on_iris():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(_python_blocks()[1], "README training example", "exec"), {})
    accuracies = [float(a) for a in re.findall(r"test accuracy (\d\.\d+)", out.getvalue())]
    assert len(accuracies) == 2 and min(accuracies) >= 0.9, out.getvalue()


def test_readme_commands_match_the_makefile():
    text = README.read_text()
    makefile = (README.parent / "Makefile").read_text()
    assert "`make demo`" in text and "`make test`" in text
    assert "\ndemo:" in makefile and "\ntest:" in makefile
    assert (README.parent / "docs/figures/guide/chain_rule_backward.svg").exists()
