"""The graph command stays bounded: deep nesting and huge intermediates are refused in one line.

The big-intermediate cases run the CLI in a subprocess under an address-space limit, so a
regression fails there (MemoryError, exit 1) instead of eating the machine.
"""

import ast
import io
import itertools
import os
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu
from tinygrad_edu import Tensor, cli_expressions
from tinygrad_edu.cli import MAX_DEPTH, MAX_ELEMENTS, MAX_TOTAL_ELEMENTS, ExpressionError, evaluate, main


def run(argv, capsys):
    out = io.StringIO()
    code = main(argv, out=out)
    return code, out.getvalue(), capsys.readouterr().err


def graph(expression, tmp_path, *variables):
    argv = ["graph", "--out", str(tmp_path / "g.dot")]
    for v in variables or ("a=2",):
        argv += ["--var", v]
    return argv + ["--", expression]  # "--": an expression may start with "-"


def assert_one_line_error(code, err, *words):
    assert code == 2, err
    assert err.startswith("tinygrad-edu graph: error: ") and err.count("\n") == 1, err
    for word in words:
        assert word in err, err


# -- nesting ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("expression, depth", [
    ("a" + "+a" * 999, 1000),  # a+a+...: left-nested additions
    ("-" * 1000 + "a", 1001),  # ----a
    ("exp(" * 150 + "a" + ")" * 150, 151),  # nested calls, under the parser's 200-parenthesis limit
], ids=["a+a+a", "----a", "exp(exp("])
def test_deep_nesting_is_refused_in_one_line(expression, depth, tmp_path, capsys):
    assert len(expression) <= 2000
    code, out, err = run(graph(expression, tmp_path), capsys)
    assert_one_line_error(code, err, f"the expression nests {depth} levels deep",
                          f"at most {MAX_DEPTH} are allowed (MAX_DEPTH)", "fewer nested operations")
    assert not (tmp_path / "g.dot").exists()


def test_nesting_up_to_the_limit_works(tmp_path, capsys):
    code, out, err = run(graph("a" + "+a" * (MAX_DEPTH - 1), tmp_path), capsys)
    assert code == 0, err
    assert f"= {2 * MAX_DEPTH}" in out and f"∂f/∂a = {MAX_DEPTH}" in out
    code, _, err = run(graph("a" + "+a" * MAX_DEPTH, tmp_path), capsys)
    assert_one_line_error(code, err, f"nests {MAX_DEPTH + 1} levels deep")


@pytest.mark.parametrize("error", [RecursionError, MemoryError])
def test_parser_running_out_of_stack_is_a_one_line_error(error, tmp_path, capsys, monkeypatch):
    def exhausted(*args, **kwargs):
        raise error("maximum recursion depth exceeded during compilation")

    # only the CLI's view of ast changes: pytest itself parses with ast when it reports
    monkeypatch.setattr(cli_expressions, "ast", types.SimpleNamespace(**{**vars(ast), "parse": exhausted}))
    code, _, err = run(graph("a*2", tmp_path), capsys)
    assert_one_line_error(code, err, "nested too deeply to parse", f"at most {MAX_DEPTH} levels")


# -- intermediate sizes ---------------------------------------------------------------------------------
def numbers(n):
    return "[" + ",".join(str(i % 7) for i in range(n)) + "]"


AS_LIMIT = 1 << 30  # 1 GiB of address space: the CLI needs ~0.3 GiB; (10000, 10000) float32 grows past it


def run_limited(tmp_path, expression, *variables):
    resource = pytest.importorskip("resource")
    if sys.platform == "darwin":
        pytest.skip("macOS does not enforce RLIMIT_AS")

    def limit_memory():
        resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT, AS_LIMIT))

    argv = [sys.executable, "-m", "tinygrad_edu", "graph", "--out", str(tmp_path / "g.dot")]
    for v in variables:
        argv += ["--var", v]
    env = {**os.environ, "PYTHONPATH": str(Path(tinygrad_edu.__file__).resolve().parents[1]),
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    return subprocess.run(argv + ["--", expression], capture_output=True, text=True, env=env,
                          preexec_fn=limit_memory, timeout=300)


@pytest.mark.parametrize("expression, intermediate", [
    ("(x.reshape(10000,1)*x).sum()", "x.reshape(10000,1)*x"),
    ("x.reshape(10000,1) @ x.reshape(1,10000)", "x.reshape(10000,1) @ x.reshape(1,10000)"),
])
def test_huge_intermediate_is_refused_before_it_is_computed(expression, intermediate, tmp_path):
    done = run_limited(tmp_path, expression, "x=" + numbers(10_000))
    assert_one_line_error(done.returncode, done.stderr,
                          f"the intermediate {intermediate!r} would have shape "
                          "(10000, 10000), 100,000,000 numbers",
                          f"the limit is {MAX_ELEMENTS:,} per intermediate result (MAX_ELEMENTS)",
                          "use smaller --var values")


def test_intermediate_at_the_limit_works_under_the_same_memory_limit(tmp_path):
    done = run_limited(tmp_path, "(x.reshape(10000,1)*y).sum()", "x=" + numbers(10_000), "y=" + numbers(100))
    assert done.returncode == 0, done.stderr
    assert "∂f/∂x = shape (10000,)" in done.stdout


@pytest.mark.parametrize("expression, shape", [
    ("maximum(x.reshape(2000, 1), x)", (2000, 2000)),
    ("x.reshape(2000, 1).minimum(x)", (2000, 2000)),
    ("x.reshape(2000, 1).clip(min=x)", (2000, 2000)),
    ("x.reshape(2000, 1).dot(x.reshape(1, 2000))", (2000, 2000)),
    ("matmul(x.reshape(2, 1000, 1), x.reshape(2, 1, 1000))", (2, 1000, 1000)),
    ("x.reshape(2000, 1) ** x", (2000, 2000)),
    ("x.reshape(2000, 1) - x + 1", (2000, 2000)),
])
def test_every_way_to_grow_is_checked(expression, shape):
    x = Tensor(np.ones(2000, np.float32), requires_grad=True)  # a regression costs only 16 MB here
    with pytest.raises(ExpressionError, match="per intermediate result") as info:
        evaluate(expression, {"x": x})
    assert f"would have shape {shape}" in str(info.value)


def test_all_intermediates_together_are_bounded():
    x = Tensor(np.ones(10_000, np.float32), requires_grad=True)
    y = Tensor(np.ones(100, np.float32), requires_grad=True)
    term = "(x.reshape(10000,1)*y).sum()"  # a million numbers each
    assert evaluate("+".join([term] * 9), {"x": x, "y": y}).item() == 9 * 10 ** 6
    with pytest.raises(ExpressionError, match=rf"the limit is {MAX_TOTAL_ELEMENTS:,} in all "
                                              r"\(MAX_TOTAL_ELEMENTS\)"):
        evaluate("+".join([term] * 10), {"x": x, "y": y})


def test_limits_are_stated_in_help(capsys):
    with pytest.raises(SystemExit):
        main(["graph", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert f"{MAX_DEPTH} levels of nesting" in text
    assert f"{MAX_ELEMENTS:,} numbers in any intermediate" in text


def test_matmul_shape_agrees_with_numpy():
    dims = [(), (3,), (4,), (2, 3), (3, 4), (4, 2), (5, 3, 4), (1, 4, 2), (5, 1, 3)]
    for a, b in itertools.product(dims, repeat=2):
        try:
            expected = np.matmul(np.zeros(a), np.zeros(b)).shape
        except ValueError:
            expected = None
        assert cli_expressions._matmul_shape(a, b) == expected, (a, b)


def test_normal_expressions_still_work(tmp_path, capsys):
    code, out, err = run(graph("(a*b + c).tanh() + x.sum() - (-a)", tmp_path, "a=2", "b=-3", "c=10",
                               "x=[1, 2, 3]"), capsys)
    assert code == 0, err
    assert "∂f/∂x = [1, 1, 1]" in out
