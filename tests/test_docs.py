"""The documentation site: it builds with ``mkdocs build --strict``, every figure and snippet a
page uses exists and came from ``docs/gen_figures.py``, every ``python`` block of the pages
runs, and every tutorial erratum the pages state is still what the code measures.

The figures are committed (regenerated with ``python docs/gen_figures.py --full``), so the
site builds here without running the examples; ``docs/figures/manifest.json`` holds the hash
of every generated file and of the example each set came from.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import pathlib
import re
import subprocess
import sys
import textwrap
import warnings

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
FIGURES = DOCS / "figures"
EXAMPLES = ROOT / "examples"

# The hand-written pages (generated text under figures/ is included, not a page of its own).
PAGES = sorted(p for p in DOCS.rglob("*.md") if FIGURES not in p.parents)
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s#]+\.(?:html|svg|png))(?:#[^)]*)?\)")
SNIPPET = re.compile(r'^\s*--8<--\s+"([^"]+)"', re.M)
PYTHON_BLOCK = re.compile(r"^([ \t]*)```python[^\n]*\n(.*?)^\1```", re.M | re.S)

sys.path.insert(0, str(DOCS))


def _sha256(path: pathlib.Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- the build ----------------------------------------------------------------------------------------
def test_mkdocs_build_strict(tmp_path: pathlib.Path) -> None:
    pytest.importorskip("mkdocs")
    pytest.importorskip("material")
    pytest.importorskip("mkdocstrings_handlers.python")
    if not (DOCS / "performance.md").exists():
        pytest.fail("docs/performance.md is missing: mkdocs.yml's nav and engine/left-out.md link to it "
                    "(it is written with benchmarks/run_all.py)")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"),
         "-d", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=300, check=False,
    )
    log = done.stdout + done.stderr
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{log}"
    assert "WARNING" not in log, log
    site = tmp_path / "site"
    # Spot checks on the output: a guide page with its picture, and generated API reference.
    chapter = (site / "guide" / "03-backprop.html").read_text(encoding="utf-8")
    assert "neuron_backward.svg" in chapter and "Step 3 of 7" in chapter  # the included trace
    api = (site / "api" / "tensor.html").read_text(encoding="utf-8")
    assert 'id="tinygrad_edu.Tensor.backward"' in api
    # Offline: no page loads anything (fonts, scripts, styles, pictures) from the network.
    remote_asset = re.compile(r'<(?:script|img|link)[^>]+(?:src|href)="https?://[^"]+"')
    for page in site.rglob("*.html"):
        remote = remote_asset.findall(page.read_text(encoding="utf-8"))
        assert not remote, f"{page.relative_to(site)} loads {remote[0]}"


# -- figures and snippets --------------------------------------------------------------------------------
def _references() -> list[tuple[pathlib.Path, pathlib.Path]]:
    """(page, file) for every picture, linked figure file and snippet include of every page."""
    refs = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for target in IMAGE.findall(text) + LINK.findall(text):
            if "://" not in target:
                refs.append((page, (page.parent / target).resolve()))
        for target in SNIPPET.findall(text):
            refs.append((page, (DOCS / target).resolve()))
    return refs


def test_every_referenced_figure_and_snippet_exists() -> None:
    refs = _references()
    assert len(refs) > 40  # the pages really do show figures
    missing = [f"{page.relative_to(DOCS)} -> {path.relative_to(ROOT)}" for page, path in refs
               if not path.is_file() or path.stat().st_size == 0]
    assert not missing, "missing or empty files (run python docs/gen_figures.py):\n" + "\n".join(missing)


def test_figures_come_from_the_figure_script() -> None:
    """Every file under docs/figures is in the manifest with the hash gen_figures.py recorded."""
    manifest = json.loads((FIGURES / "manifest.json").read_text(encoding="utf-8"))
    on_disk = {p.relative_to(FIGURES).as_posix() for p in FIGURES.rglob("*")
               if p.is_file() and p.name != "manifest.json"}
    assert on_disk == set(manifest["files"]), (
        "files under docs/figures differ from what gen_figures.py wrote; rerun it instead of "
        f"editing by hand. Not written by it: {sorted(on_disk - set(manifest['files']))}; "
        f"missing: {sorted(set(manifest['files']) - on_disk)}")
    changed = [name for name, digest in manifest["files"].items() if _sha256(FIGURES / name) != digest]
    assert not changed, f"edited after gen_figures.py wrote them: {changed}"
    referenced = {path for _, path in _references()}
    for name in manifest["examples"]:
        assert any(FIGURES / name in p.parents for p in referenced), f"no page shows {name}'s figures"
    stale = [name for name, record in manifest["examples"].items()
             if _sha256(EXAMPLES / f"{name}.py") != record["source_sha256"]]
    if stale:  # a warning, not a failure: regenerating the full-size figures takes minutes
        warnings.warn(f"examples changed since their figures were made: {stale}; "
                      "run python docs/gen_figures.py --full --only " + " ".join(stale), stacklevel=1)


# -- the code on the pages -------------------------------------------------------------------------------
def _python_blocks() -> dict[str, list[str]]:
    return {str(page.relative_to(DOCS)): [textwrap.dedent(code) for _, code in PYTHON_BLOCK.findall(
        page.read_text(encoding="utf-8"))] for page in PAGES}


RUNNER = """
import contextlib, io, json, sys, traceback
pages = json.load(open(sys.argv[1], encoding="utf-8"))
failures = []
for page, blocks in pages.items():
    namespace = {"__name__": "__docs__"}
    for number, code in enumerate(blocks, start=1):
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(code, f"{page}, python block {number}", "exec"), namespace)
        except Exception:
            failures.append(traceback.format_exc())
            break  # later blocks of the page build on this one
print("\\n".join(failures))
sys.exit(1 if failures else 0)
"""


def test_every_python_block_of_the_pages_runs(tmp_path: pathlib.Path) -> None:
    """Each page's ``python`` blocks run in order in one namespace (``py`` blocks are fragments)."""
    pytest.importorskip("matplotlib")
    blocks = {page: codes for page, codes in _python_blocks().items() if codes}
    assert sum(len(c) for c in blocks.values()) >= 20
    (tmp_path / "blocks.json").write_text(json.dumps(blocks), encoding="utf-8")
    (tmp_path / "runner.py").write_text(RUNNER, encoding="utf-8")
    # PYTHONPATH: the blocks import this checkout's package, not whichever one is installed.
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, "runner.py", "blocks.json"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300, check=False,
                          env={**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": path})
    assert done.returncode == 0, done.stdout + done.stderr


# -- the errata: measured, and the tables on the pages are the measurements ------------------------------
@pytest.fixture(scope="module")
def checks() -> dict:
    import tutorial_checks

    return tutorial_checks.run_all()


# A number on a page claims the digits it shows and no more: "0.00364" says the measurement is
# within half a unit of the last digit, 0.000005, of it.  Two such roundings of one measurement
# made with different NumPy or BLAS builds (which may sum in another order) can differ by one unit
# there, never by more, so each committed number is compared with the fresh one at that precision.
# A number without a decimal point or an exponent ("11" weight updates, "(4, 4)") is a count or an
# exact value and must match exactly.  Below ROUNDING_NOISE a float64 measurement is zero up to
# rounding: the gap between the tutorial's gradients and autograd's reads 2.8e-17 on one machine
# and 1.4e-17 (or 0) on another, and both say the same thing (test_tutorial_backward_is_the_bce_
# gradient asserts the claim itself, < 1e-12).
ROUNDING_NOISE = 1e-15
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:nan|inf|(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)(?![\w.])", re.I)


def _last_digit_unit(token: str) -> float:
    """The place value of a printed number's last digit: "0.00364" -> 1e-05, "2.8e-17" -> 1e-18."""
    mantissa, _, exponent = token.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 10.0 ** (int(exponent or 0) - decimals)


def _same_at_shown_precision(committed: str, fresh: str) -> bool:
    a, b = float(committed), float(fresh)
    if math.isnan(a) or math.isnan(b) or math.isinf(a) or math.isinf(b):
        return committed.lower() == fresh.lower()
    if abs(a) < ROUNDING_NOISE and abs(b) < ROUNDING_NOISE:
        return True
    if not any(c in token.lower() for token in (committed, fresh) for c in ".e"):
        return a == b  # a count or an exact value
    unit = max(_last_digit_unit(committed), _last_digit_unit(fresh))
    return abs(a - b) <= unit * (1 + 1e-9)


def _table_mismatches(committed: str, fresh: str) -> list[str]:
    """Where two renderings of a table differ beyond the precision their numbers show."""
    words_committed, words_fresh = NUMBER.split(committed), NUMBER.split(fresh)
    if words_committed != words_fresh:  # the words and the layout must be the same
        return [f"the text differs:\n{committed}\nfresh:\n{fresh}"]
    return [f"{c} on the page, {f} measured now" for c, f in zip(NUMBER.findall(committed),
                                                                  NUMBER.findall(fresh))
            if not _same_at_shown_precision(c, f)]


def test_table_comparison_is_at_the_shown_precision() -> None:
    assert not _table_mismatches("| a | 0.00364 | 2.8e-17 | 11 | [nan, nan] |",
                                 "| a | 0.00365 | 1.4e-17 | 11 | [nan, nan] |")
    assert _table_mismatches("| 0.00364 |", "| 0.00366 |")  # two units in the last digit
    assert _table_mismatches("| 2.8e-12 |", "| 1.4e-12 |")  # above the noise: a real change
    assert _table_mismatches("| 11 |", "| 12 |") and _table_mismatches("| 0.09 |", "| nan |")
    assert _table_mismatches("| 3 epochs |", "| 3 steps |")


def test_errata_tables_on_the_pages_match_a_fresh_measurement(checks: dict) -> None:
    import errata_tables

    for name, text in errata_tables.tables(checks).items():
        committed = (FIGURES / "errata" / f"{name}.md").read_text(encoding="utf-8")
        wrong = _table_mismatches(committed, text)
        assert not wrong, (f"docs/figures/errata/{name}.md is stale ({'; '.join(wrong)}); "
                           "run python docs/gen_figures.py")


def test_perceptron_claim_holds_in_epochs_only(checks: dict) -> None:
    AND = checks["perceptron"]["AND"]
    assert AND["epochs_with_mistakes"] < 10 and AND["first_clean_epoch"] < 10
    assert AND["weight_updates"] >= 10 and AND["samples_until_last_mistake"] >= 10
    assert AND["library_errors"] == AND["mistakes_per_epoch"]  # nn.Perceptron = the tutorial's loop
    assert checks["perceptron_lr_invariant"]


def test_tutorial_softmax_breaks_on_batches(checks: dict) -> None:
    s = checks["softmax"]
    assert all(abs(v - 0.5) < 1e-12 for v in s["row_sums_tutorial"])
    assert all(abs(v - 1.0) < 1e-12 for v in s["row_sums_tinygrad"])
    assert all(math.isnan(v) for v in s["far_rows_global_max_row_sum"])
    assert s["far_rows_tinygrad"][0] == pytest.approx([0.2689, 0.7311])


def test_zero_init_is_symmetry_not_always_no_learning(checks: dict) -> None:
    z = checks["zero_init"]
    assert all(run["hidden_units_identical"] for run in z.values())
    learns = z["sigmoid on OR"]
    assert learns["loss_last"] < 0.05 < learns["loss_first"] and learns["correct"] == 4
    assert learns["fc1_weight_abs_max"] > 1  # the hidden weights moved, all alike
    for stuck in ("sigmoid on XOR", "relu on XOR"):  # balanced labels: a stationary point
        assert z[stuck]["loss_last"] == z[stuck]["loss_first"] and z[stuck]["fc2_weight_abs_max"] == 0
    relu = z["relu on OR"]  # relu'(0) = 0: only the output bias moves, to log(3) (predicts 0.75)
    assert relu["fc1_weight_abs_max"] == 0 == relu["fc2_weight_abs_max"]
    assert relu["output_bias"] == pytest.approx(math.log(3), abs=1e-3)


def test_tutorial_backward_is_the_bce_gradient(checks: dict) -> None:
    assert checks["backward"]["vs_bce"] < 1e-12
    assert checks["backward"]["vs_mse"] > 1e-2


def test_tutorial_loss_print_broadcasts(checks: dict) -> None:
    lp = checks["loss_print"]
    assert lp["broadcast_shape"] == [4, 4]
    assert lp["printed_for_perfect_output"] == 0.5 and lp["true_mse_for_perfect_output"] == 0.0


def test_slopes(checks: dict) -> None:
    assert checks["activation_slopes"] == {"sigmoid": 0.25, "tanh": 1.0}
    assert list(checks["leaky_relu"].values()) == pytest.approx([0.1, 0.01, 0.3])
