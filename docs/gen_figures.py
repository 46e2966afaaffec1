"""Regenerate every picture, trace and number the documentation shows, from the code itself.

    python docs/gen_figures.py            # quick mode: every example with --quick (seconds each)
    python docs/gen_figures.py --full     # the full-size runs the committed figures come from
    python docs/gen_figures.py --only xor_mlp activations     # just these (plus guide/errata)

For each example ``examples/NAME.py`` it runs ``main(["--out", "docs/figures/NAME"] (+
["--quick"]))`` in a fresh Python process, keeps the pictures (PNG, SVG) and small files it
writes that a page shows (PNGs re-encoded with a 256-colour palette, a third of the size),
and saves what it printed as ``output.txt`` and what it returned as ``numbers.json``.
``guide_figures.py`` draws the guide's own small graphs and traces into ``figures/guide/``;
``tutorial_checks.py`` measures the tutorial's claims into ``figures/errata/``;
``jacobian_cost.py`` turns ``benchmarks/results/jacobian_cost.json`` into ``figures/forward_reverse/``.
``figures/manifest.json`` records the mode, each example's source hash and every file's
hash, so ``tests/test_docs.py`` can tell a figure that did not come from this script (or an
example changed since its figures were made).

The results are committed: the site then builds in CI in a few seconds, without running
fourteen examples.  Everything is seeded, so a rerun on the same machine gives the same bytes.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.util
import io
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time
from typing import Any

DOCS = pathlib.Path(__file__).resolve().parent
ROOT = DOCS.parent
EXAMPLES = ROOT / "examples"
FIGURES = DOCS / "figures"
MANIFEST = FIGURES / "manifest.json"

# In the order of the guide.  A missing script is skipped with a note (and the pages that
# show its figures fail the strict build until it exists).
EXAMPLE_NAMES = (
    "perceptron_gates", "activations", "backprop_by_hand_vs_autograd", "xor_mlp",
    "keras_and_pytorch_style", "init_schemes", "optimizers", "universal_approximation",
    "regression", "classification", "autoencoder", "transfer_learning", "custom_op",
    "higher_order", "cnn_digits", "forward_vs_reverse",
)
# What an example may leave in its folder for the site; anything else (.dot, .npz...) is dropped,
# and so is any picture no page shows (the output and the numbers are always kept).
KEEP = {".png", ".svg", ".txt", ".json", ".md", ".csv", ".html"}
ALWAYS_KEPT = {"output.txt", "numbers.json"}
MAX_FILE_BYTES = 400_000  # a bigger picture is a sign of a too-high DPI or an unreadable graph
# The explorer page holds one pre-drawn SVG per choice of open layers, so it may be larger.
MAX_PAGE_BYTES = 1_000_000
# How the pages refer to files: pictures, links to a figure file, snippet includes.
REFERENCES = (
    re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)"),
    re.compile(r"\]\(([^)\s#]+\.(?:html|svg|png))(?:#[^)]*)?\)"),
)
SNIPPET = re.compile(r'^\s*--8<--\s+"([^"]+)"', re.M)


def sha256(path: pathlib.Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_example(name: str, full: bool) -> dict[str, Any]:
    """Run one example in a child process (clean imports, its own matplotlib); return its record."""
    out = FIGURES / name
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    argv = ["--out", str(out.relative_to(ROOT))] + ([] if full else ["--quick"])
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0", "SOURCE_DATE_EPOCH": "0"}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, str(DOCS / "gen_figures.py"), "--child", name, *argv],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"examples/{name}.py {' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}")
    shown = shown_on_pages()
    dropped = []
    for path in sorted(out.rglob("*")):
        if not path.is_file():
            continue
        limit = MAX_PAGE_BYTES if path.suffix == ".html" else MAX_FILE_BYTES
        if path.suffix not in KEEP or path.stat().st_size > limit or (
                path.name not in ALWAYS_KEPT and path.resolve() not in shown):
            dropped.append(path.name)
            path.unlink()
        elif path.suffix == ".png":
            shrink_png(path)
    note = f"; not shown on any page, dropped: {', '.join(dropped)}" if dropped else ""
    print(f"  {name}: {seconds:.1f} s{note}")
    return {"mode": "full" if full else "quick", "source_sha256": sha256(EXAMPLES / f"{name}.py")}


def shown_on_pages() -> set[pathlib.Path]:
    """Every file a hand-written page shows, links to or includes."""
    shown = set()
    for page in DOCS.rglob("*.md"):
        if FIGURES in page.parents:
            continue
        text = page.read_text(encoding="utf-8")
        for pattern in REFERENCES:
            shown |= {(page.parent / t).resolve() for t in pattern.findall(text) if "://" not in t}
        shown |= {(DOCS / t).resolve() for t in SNIPPET.findall(text)}
    return shown


def shrink_png(path: pathlib.Path) -> None:
    """Re-encode a plot with a 256-colour palette: about a third of the bytes, same look.

    Plots are flat colours and antialiased lines, which a palette holds well; median cut
    without dithering is deterministic, so reruns still give the same bytes.
    """
    try:
        from PIL import Image  # comes with matplotlib
    except ImportError:
        return
    with Image.open(path) as image:
        palette = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                                                dither=Image.Dither.NONE)
    palette.save(path, optimize=True)


def child(name: str, argv: list[str]) -> None:
    """Inside the child process: import the example, call main(argv), save output and numbers."""
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "tinygrad_edu"  # stable ids inside matplotlib SVGs
    sys.path.insert(0, str(EXAMPLES))  # the examples import their _common helpers
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        numbers = module.main(argv)
    out = pathlib.Path(argv[argv.index("--out") + 1])
    # "saved PATH" lines only say where files went; the pages show the files themselves.
    lines = [line.rstrip() for line in printed.getvalue().splitlines()
             if not line.startswith("saved ")]
    (out / "output.txt").write_text("\n".join(lines).strip("\n") + "\n", encoding="utf-8")
    (out / "numbers.json").write_text(json.dumps(numbers, indent=1, default=_plain) + "\n",
                                      encoding="utf-8")


def _plain(value: Any) -> Any:
    """JSON for NumPy scalars and arrays (the examples return whatever they measured)."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, pathlib.Path):
        return value.as_posix()
    return str(value)


def write_errata() -> None:
    """The tutorial's claims, measured; one JSON file and one Markdown table per claim."""
    sys.path.insert(0, str(DOCS))
    import errata_tables
    import tutorial_checks

    out = FIGURES / "errata"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    results = tutorial_checks.run_all()
    (out / "checks.json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    for name, text in errata_tables.tables(results).items():
        (out / f"{name}.md").write_text(text, encoding="utf-8")


def write_guide() -> None:
    sys.path.insert(0, str(DOCS))
    import guide_figures

    out = FIGURES / "guide"
    shutil.rmtree(out, ignore_errors=True)
    guide_figures.write(out)


def write_forward_reverse() -> None:
    """The chapter "Forward or reverse?": its table and plot, from the Jacobian benchmark's JSON."""
    sys.path.insert(0, str(DOCS))
    import jacobian_cost

    out = FIGURES / "forward_reverse"
    shutil.rmtree(out, ignore_errors=True)
    jacobian_cost.write(out)


def write_manifest(examples: dict[str, dict[str, Any]]) -> None:
    """Hash every generated file, so a test can tell hand edits and stale figures apart."""
    old = json.loads(MANIFEST.read_text()) if MANIFEST.exists() else {"examples": {}}
    merged = {**old.get("examples", {}), **examples}
    files = {p.relative_to(FIGURES).as_posix(): sha256(p)
             for p in sorted(FIGURES.rglob("*")) if p.is_file() and p != MANIFEST}
    manifest = {"examples": dict(sorted(merged.items())), "files": files}
    MANIFEST.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="run the examples at full size")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="only these examples")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args(argv)
    if args.child:
        child(args.child, rest)
        return
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    unknown = set(args.only or ()) - set(EXAMPLE_NAMES)
    if unknown:
        parser.error(f"unknown example(s) {sorted(unknown)}; choose from {', '.join(EXAMPLE_NAMES)}")
    FIGURES.mkdir(exist_ok=True)
    print("guide pictures and traces -> docs/figures/guide")
    write_guide()
    print("tutorial claims, measured -> docs/figures/errata")
    write_errata()
    print("the Jacobian benchmark's table and plot -> docs/figures/forward_reverse")
    write_forward_reverse()
    print(f"examples ({'full size' if args.full else 'quick mode'}) -> docs/figures/NAME")
    examples = {}
    for name in args.only or EXAMPLE_NAMES:
        if not (EXAMPLES / f"{name}.py").exists():
            print(f"  {name}: examples/{name}.py does not exist yet, skipped")
            continue
        examples[name] = run_example(name, args.full)
    write_manifest(examples)
    total = sum(p.stat().st_size for p in FIGURES.rglob("*") if p.is_file())
    print(f"docs/figures: {total / 1e6:.2f} MB in total")


if __name__ == "__main__":
    main()
