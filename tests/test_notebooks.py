"""The guide's notebooks (docs/notebooks/): made from their chapters, run without error, shown.

Each chapter of docs/guide/ is the source of one notebook (docs/chapter_notebook.py).  These
tests fail when a committed notebook or its page no longer matches its chapter (rerun
``python docs/gen_notebooks.py``), and run every notebook top to bottom in a fresh kernel of
this interpreter: its own cells assert the chapter's headline numbers.
"""

from __future__ import annotations

import json
import pathlib
import re
import sys

import pytest

pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
nbformat = pytest.importorskip("nbformat")

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS))

import chapter_notebook  # noqa: E402  (scripts beside the docs, not a package)
import gen_notebooks  # noqa: E402
import notebook_page  # noqa: E402

CHAPTERS = chapter_notebook.chapters()
NOTEBOOKS = DOCS / "notebooks"
REGENERATE = "run python docs/gen_notebooks.py --only {stem}"


def _committed(stem: str):
    path = NOTEBOOKS / f"{stem}.ipynb"
    if not path.is_file():
        pytest.fail(f"docs/notebooks/{stem}.ipynb is missing: {REGENERATE.format(stem=stem)}")
    return nbformat.read(path, as_version=4)


def _shape(notebook) -> list[tuple[str, str, str]]:
    return [(cell.cell_type, cell.id, cell.source) for cell in notebook.cells]


# -- one source -------------------------------------------------------------------------------------
def test_every_chapter_has_a_notebook_and_every_notebook_a_chapter() -> None:
    assert len(CHAPTERS) >= 10  # nine chapters and the guide's index
    made = {p.stem for p in NOTEBOOKS.glob("*.ipynb")} | {p.stem for p in NOTEBOOKS.glob("*.md")}
    sources = {c.stem for c in CHAPTERS}
    assert made == sources, (f"without a notebook: {sorted(sources - made)}; without a chapter in "
                             f"docs/guide/: {sorted(made - sources)} (run python docs/gen_notebooks.py)")


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.stem)
def test_the_notebook_is_up_to_date_with_its_chapter(chapter: pathlib.Path) -> None:
    fresh, saved = _shape(gen_notebooks.build(chapter)), _shape(_committed(chapter.stem))
    assert fresh == saved, (f"docs/notebooks/{chapter.stem}.ipynb no longer matches "
                            f"docs/guide/{chapter.name}: {REGENERATE.format(stem=chapter.stem)}")


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.stem)
def test_the_saved_notebook_is_the_executed_one(chapter: pathlib.Path) -> None:
    """Saved with its outputs, run in order, no error, metadata independent of the machine."""
    notebook = _committed(chapter.stem)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1))
    assert not [o for cell in code for o in cell.outputs if o.output_type == "error"]
    assert notebook.metadata == gen_notebooks.METADATA
    nbformat.validate(notebook)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.stem)
def test_the_page_is_written_from_the_saved_notebook(chapter: pathlib.Path) -> None:
    page = NOTEBOOKS / f"{chapter.stem}.md"
    expected = notebook_page.page_markdown(_committed(chapter.stem), chapter.stem, chapter.name)
    assert page.read_text(encoding="utf-8") == expected, REGENERATE.format(stem=chapter.stem)


def test_the_site_lists_every_notebook_page() -> None:
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    missing = [c.stem for c in CHAPTERS if f"notebooks/{c.stem}.md" not in nav]
    assert not missing, ("add to the 'Guide as notebooks' section of mkdocs.yml's nav: "
                         + ", ".join(f"- notebooks/{stem}.md" for stem in missing))


def test_the_notebooks_check_numbers_and_draw_pictures() -> None:
    """Each chapter with code has notebook-only cells, and pictures appear among the outputs."""
    checked = [c.stem for c in CHAPTERS if "<!-- notebook" in c.read_text(encoding="utf-8")]
    with_code = [c.stem for c in CHAPTERS if "```python" in c.read_text(encoding="utf-8")]
    unchecked = set(with_code) - set(checked)
    assert not unchecked, f"chapters without notebook-only checks: {unchecked}"
    pictures = {c.stem for c in CHAPTERS for cell in _committed(c.stem).cells if cell.cell_type == "code"
                for o in cell.outputs if {"image/svg+xml", "image/png"} & set(o.get("data", {}))}
    assert len(pictures) >= 5, pictures


# -- from chapter Markdown to notebook Markdown ----------------------------------------------------------
CHAPTER = chapter_notebook.GUIDE / "03-backprop.md"


def test_an_admonition_becomes_a_block_quote() -> None:
    text = '!!! bug "Tutorial erratum: x"\n    first line\n\n    second\n\nafter\n'
    assert chapter_notebook.plain_markdown(text, CHAPTER) == (
        "> **Tutorial erratum: x**\n>\n> first line\n>\n> second\n\nafter\n")


def test_a_snippet_is_pasted_in_with_its_indentation(tmp_path: pathlib.Path) -> None:
    included = (DOCS / "figures/guide/neuron_trace.txt").read_text(encoding="utf-8").rstrip("\n")
    text = '```text title="print(tg.explain(L))"\n--8<-- "figures/guide/neuron_trace.txt"\n```\n'
    assert chapter_notebook.plain_markdown(text, CHAPTER) == (
        f"*print(tg.explain(L)):*\n\n```text\n{included}\n```\n")
    in_a_list = '- item\n\n    --8<-- "figures/guide/neuron_trace.txt"\n'
    nested = chapter_notebook.plain_markdown(in_a_list, CHAPTER)
    assert all(line.startswith("    ") for line in nested.split("\n")[2:] if line)
    with pytest.raises(FileNotFoundError, match="snippet 'figures/nope.txt' not found under docs/"):
        chapter_notebook.plain_markdown('--8<-- "figures/nope.txt"\n', CHAPTER)


def test_links_point_from_the_notebooks_folder() -> None:
    text = ("[ch 4](04-mlp.md#what-the-engine-sees) [api](../api/nn.md) [web](https://numpy.org) "
            "[here](#top) [other](notes.md) ![pic](../figures/a.png)")
    assert chapter_notebook.plain_markdown(text, CHAPTER) == (
        "[ch 4](04-mlp.ipynb#what-the-engine-sees) [api](../api/nn.md) [web](https://numpy.org) "
        "[here](#top) [other](../guide/notes.md) ![pic](../figures/a.png)")


def test_a_figure_frame_keeps_its_image_readable_in_jupyter() -> None:
    text = '<div class="figure-frame" markdown>\n![a](../figures/a.png)\n</div>\n'
    # Jupyter reads Markdown inside an HTML block only after a blank line.
    assert chapter_notebook.plain_markdown(text, CHAPTER) == (
        '\n<div class="figure-frame" markdown>\n\n![a](../figures/a.png)\n\n</div>\n\n')


def test_cells_in_reading_order(tmp_path: pathlib.Path) -> None:
    chapter = tmp_path / "42-demo.md"
    source = ("# 42. Demo\n\nProse.\n\n```python\nx = 1\n```\n\n"
              "<!-- notebook\nassert x == 1\n-->\n\n```py\nfragment\n```\n\nEnd.\n")
    chapter.write_text(source, encoding="utf-8")
    cells = chapter_notebook.notebook_cells(chapter)
    assert [kind for kind, _ in cells] == ["markdown", "code", "code", "markdown"]
    assert cells[0][1].startswith("# 42. Demo\n\n*The companion notebook of the guide chapter "
                                  "`docs/guide/42-demo.md`")
    assert cells[1:3] == [("code", "x = 1"), ("code", "assert x == 1")]
    assert cells[3] == ("markdown", "```py\nfragment\n```\n\nEnd.")  # a py block is a fragment
    assert [c.id for c in gen_notebooks.build(chapter).cells] == [f"42-demo-{i}" for i in range(4)]


def test_an_unclosed_notebook_block_is_refused(tmp_path: pathlib.Path) -> None:
    chapter = tmp_path / "43-open.md"
    chapter.write_text("# 43. Open\n\n<!-- notebook\nassert True\n\nthe rest of the chapter\n")
    with pytest.raises(ValueError, match="43-open.md: a '<!-- notebook' block must end with a line '-->'"):
        chapter_notebook.notebook_cells(chapter)


def test_a_chapter_without_a_title_is_refused(tmp_path: pathlib.Path) -> None:
    chapter = tmp_path / "untitled.md"
    chapter.write_text("Some prose.\n", encoding="utf-8")
    with pytest.raises(ValueError, match="untitled.md must open with a '# Title' line"):
        chapter_notebook.notebook_cells(chapter)


# -- from an executed notebook to a page --------------------------------------------------------------------
def _notebook(*outputs: dict) -> object:
    cell = nbformat.v4.new_code_cell("x", id="c1", execution_count=1)
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# T\n\nText [n](01-a.ipynb).",
                                                                         id="c0"), cell])


def test_the_page_embeds_every_output() -> None:
    svg = '<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x">\n<svg></svg>'
    page = notebook_page.page_markdown(_notebook(
        {"output_type": "stream", "name": "stdout", "text": "<script>1 < 2</script>\n"},
        {"output_type": "display_data", "metadata": {}, "data": {"image/svg+xml": svg, "text/plain": "p"}},
        {"output_type": "execute_result", "execution_count": 1, "metadata": {},
         "data": {"text/html": "<table>\n\n<tr><td>1</td></tr></table>", "text/plain": "t"}},
    ), "02-b", "02-b.md")
    assert page.startswith("# T\n\n!!! info")
    assert "[n](01-a.md)" in page and "[`02-b.ipynb`](02-b.ipynb)" in page
    assert "```py\nx\n```" in page
    assert '<pre class="nb-output"><code>&lt;script&gt;1 &lt; 2&lt;/script&gt;</code></pre>' in page
    assert 'src="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4="' in page  # "<svg></svg>", no prologue
    assert '<div class="nb-output">\n<table>\n<tr><td>1</td></tr></table>\n</div>' in page  # one block
    assert notebook_page.page_markdown(_notebook(), "02-b", "02-b.md").endswith("do not edit. -->\n")


def test_a_notebook_saved_with_an_error_has_no_page() -> None:
    error = {"output_type": "error", "ename": "AssertionError", "evalue": "loss", "traceback": []}
    with pytest.raises(ValueError, match=r"saved with an error \(AssertionError: loss\).*gen_notebooks"):
        notebook_page.page_markdown(_notebook(error), "02-b", "02-b.md")


def test_printing_cut_into_pieces_is_saved_as_one_output() -> None:
    pieces = [nbformat.from_dict(o) for o in (
        {"output_type": "stream", "name": "stdout", "text": "a\n"},
        {"output_type": "stream", "name": "stdout", "text": "b\n"},
        {"output_type": "display_data", "metadata": {}, "data": {"text/plain": "p"}},
        {"output_type": "stream", "name": "stdout", "text": "c\n"})]
    merged = gen_notebooks.merged_streams(pieces)
    assert [o.get("text") for o in merged] == ["a\nb\n", None, "c\n"]


# -- running them --------------------------------------------------------------------------------------------
def test_the_kernel_is_this_interpreter_whatever_kernels_are_installed(
        tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A python3 kernel installed for another Python (or none at all) changes nothing."""
    decoy = tmp_path / "jupyter" / "kernels" / "python3"
    decoy.mkdir(parents=True)
    (decoy / "kernel.json").write_text(json.dumps({"argv": ["/nonexistent/python", "-f", "{connection_file}"],
                                                   "display_name": "decoy", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter"))
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import sys, tinygrad_edu\nprint(sys.executable)\nprint(tinygrad_edu.__file__)", id="c0")])
    run = gen_notebooks.execute(notebook, tmp_path / "work")
    executable, package = run.cells[0].outputs[0].text.split()
    assert pathlib.Path(executable) == pathlib.Path(sys.executable)
    assert pathlib.Path(package).is_relative_to(ROOT)  # this checkout's package, not an installed one


def test_a_failing_cell_fails_the_run(tmp_path: pathlib.Path) -> None:
    from nbclient.exceptions import CellExecutionError

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("assert 1 + 1 == 3, 'arithmetic'",
                                                                         id="c0")])
    with pytest.raises(CellExecutionError, match="arithmetic"):
        gen_notebooks.execute(notebook, tmp_path)


def _forms(notebook) -> list[list[str]]:
    """Per code cell, the kinds of output it shows (stream names, mime types): not the numbers."""
    return [sorted(o.get("name") or "/".join(sorted(o.get("data", {}))) for o in cell.outputs)
            for cell in notebook.cells if cell.cell_type == "code"]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.stem)
def test_the_notebook_runs_top_to_bottom(chapter: pathlib.Path, tmp_path: pathlib.Path) -> None:
    """The chapter's notebook, built afresh, runs in a new kernel; its cells assert its numbers.

    The numbers themselves may differ in a last digit on another NumPy (the cells' tolerances
    allow for that), so only the kinds of output are compared with the saved notebook.
    """
    run = gen_notebooks.execute(gen_notebooks.build(chapter), tmp_path)
    assert _forms(run) == _forms(_committed(chapter.stem)), REGENERATE.format(stem=chapter.stem)
    assert not re.search(r"Traceback|Error", "".join(
        o.get("text", "") for cell in run.cells if cell.cell_type == "code" for o in cell.outputs
        if o.output_type == "stream" and o.name == "stderr"))
