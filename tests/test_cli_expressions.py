"""`tinygrad-edu graph` draws what people type: common expressions, all unknown names at once,
rules that name the user's variables, labels that never overlap, PDF refused up front."""

import io
import json
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_edu import cli, viz
from tinygrad_edu.viz.rule_names import name_rule

needs_renderer = pytest.mark.skipif(viz.find_renderer() is None,
                                    reason="no Graphviz renderer (dot or graphviz-pure) installed")


def run(argv, capsys):
    out = io.StringIO()
    code = cli.main(argv, out=out)
    return code, out.getvalue(), capsys.readouterr().err


def printed_gradient(out, name):
    line = next(line for line in out.splitlines() if line.strip().startswith(f"∂f/∂{name} = "))
    return np.array([float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", line.split("= ", 1)[1])])


X = np.array([0.5, 1.5, 2.0])
W, B = 0.7, -0.2
SIG = 1 / (1 + np.exp(-(W * X + B)))
SOFT = np.exp(X) / np.exp(X).sum()
# f is summed when it is not a scalar, so each expected gradient is d(sum f)/dx.
EXPECTED = {
    "sigmoid(w*x+b)": {"x": SIG * (1 - SIG) * W, "w": [np.sum(SIG * (1 - SIG) * X)],
                       "b": [np.sum(SIG * (1 - SIG))]},
    "tanh(x)": {"x": 1 - np.tanh(X) ** 2},
    "relu(x - 1)": {"x": (X > 1).astype(float)},
    "exp(x)": {"x": np.exp(X)},
    "log(x)": {"x": 1 / X},
    "(softmax(x) * x).sum()": {"x": SOFT * (X - np.sum(SOFT * X)) + SOFT},
    "(x**2).sum()": {"x": 2 * X},
}


@pytest.mark.parametrize("expression", sorted(EXPECTED))
def test_common_expressions_work_as_written(expression, tmp_path, capsys):
    variables = {"x": "[0.5, 1.5, 2.0]", "w": "0.7", "b": "-0.2"}
    wanted = [f"{k}={v}" for k, v in variables.items() if re.search(rf"\b{k}\b", expression)]
    argv = ["graph", expression, "--out", str(tmp_path / "g.dot")]
    for v in wanted:
        argv += ["--var", v]
    code, out, err = run(argv, capsys)
    assert code == 0, err
    for name, grad in EXPECTED[expression].items():  # four significant digits are printed
        np.testing.assert_allclose(printed_gradient(out, name), grad, rtol=1e-3, atol=1e-4)
    assert "digraph" in (tmp_path / "g.dot").read_text(encoding="utf-8")


def test_softmax_alone_has_zero_gradient_of_its_sum(tmp_path, capsys):
    code, out, err = run(["graph", "softmax(x)", "--var", "x=[1, 2, 3]", "--out", str(tmp_path / "g.dot")],
                         capsys)
    assert code == 0, err
    assert "showing the gradients of its sum" in out
    np.testing.assert_allclose(printed_gradient(out, "x"), [0, 0, 0], atol=1e-6)


def test_every_unknown_name_is_reported_at_once_with_the_nearest_known_names(tmp_path, capsys):
    code, out, err = run(["graph", "sigmod(w*xx + b) + x.sumx() + tanhh(x)", "--var", "x=1", "--var", "w=2",
                          "--out", str(tmp_path / "g.dot")], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "5 unknown names" in err
    # The nearest known name comes first (others may follow as the function list grows).
    assert "the function 'sigmod' is not allowed (did you mean sigmoid()" in err
    assert "unknown name 'xx' (did you mean x?); define it with --var xx=VALUE" in err
    assert "unknown name 'b'; define it with --var b=VALUE" in err
    assert "the method .sumx() is not allowed (did you mean sum()" in err
    assert "the function 'tanhh' is not allowed (did you mean tanh()" in err
    assert err.index("sigmod") < err.index("'xx'") < err.index("'b'") < err.index("sumx")  # text order
    assert not (tmp_path / "g.dot").exists()


def test_rules_name_the_users_variables_even_when_they_are_called_x_and_y(tmp_path, capsys):
    dot = tmp_path / "g.dot"
    code, _, err = run(["graph", "y*x + x**3", "--var", "x=2", "--var", "y=5", "--out", str(dot)], capsys)
    assert code == 0, err
    source = dot.read_text(encoding="utf-8")
    assert "∂(y·x)/∂y = x" in source and "∂(y·x)/∂x = y" in source
    assert "∂(x^3)/∂x = 3·x^2" in source
    assert "∂(x·y)" not in source and "ᶜ" not in source  # no template letter is left


names = st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,3}", fullmatch=True)


@given(names, names)
def test_named_rules_substitute_both_inputs_in_one_pass(first, second):
    assert name_rule("∂(x·y)/∂x = y", "Mul", [first, second]) == f"∂({first}·{second})/∂{first} = {second}"
    assert name_rule("∂(xʸ)/∂y = xʸ·ln x", "Pow", [first, second]) == \
        f"∂({first}^{second})/∂{second} = {first}^{second}·ln {first}"
    assert name_rule("∂(X@Y)/∂X: G ↦ G@Yᵀ", "MatMul", [first, second]) == \
        f"∂({first}@{second})/∂{first}: upstream ↦ upstream@{second}ᵀ"


def test_named_rules_leave_a_template_they_do_not_understand_whole():
    assert name_rule("∂(xᶜ)/∂x = c·xᶜ⁻¹", "PowConst", ["a"], {}) == "∂(xᶜ)/∂x = c·xᶜ⁻¹"
    assert name_rule("∂concat(x…)/∂xₖ = the k-th slice", "Concatenate", ["a", "b", "c"]) == \
        "∂concat(x…)/∂xₖ = the k-th slice"
    assert name_rule("∂(eˣ)/∂x = eˣ", "Exp", ["e"]) == "∂exp(e)/∂e = exp(e)"


def label_boxes(picture_json):
    """Every edge label's text lines as boxes (x0, y0, x1, y1), keyed by edge, from xdot JSON."""
    boxes = {}
    for number, edge in enumerate(json.loads(picture_json).get("edges", [])):
        size = 10.0
        for op in edge.get("_ldraw_", []):
            if op["op"] == "F":
                size = op["size"]
            elif op["op"] == "T":
                x, y = op["pt"]
                w = op["width"]
                x0 = {"l": x, "c": x - w / 2, "r": x - w}[op["align"]]
                boxes.setdefault(number, []).append((x0, y - 0.25 * size, x0 + w, y + 0.9 * size))
    return boxes


def overlaps(a, b):
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@needs_renderer
# The first one overlapped two labels while backward edges did not take part in the layout.
@pytest.mark.parametrize("expression", ["(w*x+b).sigmoid() * (w*x - b).tanh()",
                                        "sigmoid(w*x+b)*x + (x**2).sum()", "(a*b + c).tanh() * a"])
def test_show_both_never_overlaps_two_labels(expression, tmp_path, capsys):
    dot = tmp_path / "g.dot"
    code, _, err = run(["graph", expression, "--var", "w=2", "--var", "x=[0.5, 1.5]", "--var", "b=1.5",
                        "--var", "a=2", "--var", "c=-1", "--show", "both", "--out", str(dot)], capsys)
    assert code == 0, err
    boxes = label_boxes(viz.render(dot.read_text(encoding="utf-8"), "json").decode("utf-8"))
    assert len(boxes) >= 5
    flat = [(edge, box) for edge, lines in boxes.items() for box in lines]
    clashes = [(e1, e2) for i, (e1, b1) in enumerate(flat) for e2, b2 in flat[i + 1:]
               if e1 != e2 and overlaps(b1, b2)]
    assert clashes == []


def test_pdf_without_system_graphviz_is_refused_before_anything_runs(monkeypatch, tmp_path, capsys):
    for found, why in ((None, "no Graphviz renderer is installed"),
                       (["/venv/bin/graphviz-pure"], "only graphviz-pure is installed")):
        monkeypatch.setattr(cli, "find_renderer", lambda found=found: found)
        code, out, err = run(["graph", "unknown_name * 2", "--out", str(tmp_path / "g.pdf")], capsys)
        assert code == 2 and out == ""
        assert why in err and "apt install graphviz" in err and f"--out {tmp_path / 'g.svg'}" in err
        assert "unknown_name" not in err.replace(str(tmp_path), "")  # refused before parsing
        assert not (tmp_path / "g.pdf").exists()


def test_pdf_is_written_with_the_system_graphviz(monkeypatch, tmp_path, capsys):
    if not (viz.find_renderer() or [""])[0].endswith("dot"):
        pytest.skip("the system Graphviz (dot) is needed for PDF")
    code, _, err = run(["graph", "a*b", "--var", "a=2", "--var", "b=3", "--out", str(tmp_path / "g.pdf")],
                       capsys)
    assert code == 0, err
    assert (tmp_path / "g.pdf").read_bytes().startswith(b"%PDF")
