"""Write the guide's companion notebooks: docs/notebooks/NAME.ipynb, executed, and NAME.md.

    python docs/gen_notebooks.py            # every chapter of docs/guide/ (about half a minute)
    python docs/gen_notebooks.py --only 03-backprop

The chapters are the single source (see docs/chapter_notebook.py): the notebooks are made
from them, run top to bottom in a fresh kernel of this very interpreter, and saved with their
outputs, and each one's docs page (docs/notebook_page.py) is written from the saved notebook.
tests/test_notebooks.py fails when a notebook no longer matches its chapter, and runs them all.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import re
import shutil
import sys
import tempfile
from typing import Any

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

DOCS = pathlib.Path(__file__).resolve().parent
ROOT = DOCS.parent
NOTEBOOKS = DOCS / "notebooks"
sys.path.insert(0, str(DOCS))

from chapter_notebook import chapters, notebook_cells  # noqa: E402  (a sibling script, not a package)
from notebook_page import page_markdown  # noqa: E402

KERNEL = "tinygrad-edu-docs"
# Fixed metadata, so a notebook's bytes depend on its cells and outputs alone (not on the
# Python version or the machine that ran it).
METADATA = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"}}
DEFAULT_REPR = re.compile(r"^<[\w.]+(?: object)? at 0x[0-9a-fA-F]+>$")
CELL_TIMEOUT = 120  # seconds; a cell of the guide runs in well under one


def build(chapter: pathlib.Path) -> Any:
    """The chapter's notebook, not yet executed, with cell ids that do not change run to run."""
    notebook = nbformat.v4.new_notebook(metadata=METADATA)
    for number, (kind, source) in enumerate(notebook_cells(chapter)):
        make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        notebook.cells.append(make(source, id=f"{chapter.stem}-{number}"))
    return notebook


def execute(notebook: Any, workdir: pathlib.Path) -> Any:
    """Run every cell in a new kernel of ``sys.executable``; a cell that raises raises here.

    The kernel is described by a kernel spec written into ``workdir``: on a fresh machine no
    kernel is installed, and an installed ``python3`` kernel may belong to another Python.
    It imports this checkout's tinygrad_edu and draws with matplotlib's inline backend.
    """
    spec_dir = workdir / "kernels" / KERNEL
    spec_dir.mkdir(parents=True, exist_ok=True)
    pythonpath = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "tinygrad_edu docs", "language": "python",
        "env": {"PYTHONPATH": pythonpath, "MPLBACKEND": "module://matplotlib_inline.backend_inline",
                "PYDEVD_DISABLE_FILE_VALIDATION": "1"},
    }), encoding="utf-8")
    specs = KernelSpecManager(kernel_dirs=[str(workdir / "kernels")])
    run_dir = workdir / "cwd"
    run_dir.mkdir(exist_ok=True)  # files a cell writes land here, not in docs/
    # On POSIX the kernel talks over Unix sockets rather than TCP on localhost, so nothing
    # listens on a port.  They live in a folder of their own with a short path: a socket's path
    # may not exceed about 100 characters, and pytest's tmp_path (or macOS's TMPDIR) can.
    sockets = tempfile.mkdtemp(prefix="tgk")
    try:
        ipc = {"transport": "ipc", "ip": os.path.join(sockets, "k")} if os.name == "posix" else {}
        manager = KernelManager(kernel_name=KERNEL, kernel_spec_manager=specs, **ipc)
        client = NotebookClient(notebook, km=manager, kernel_name=KERNEL, timeout=CELL_TIMEOUT,
                                record_timing=False, allow_errors=False,
                                resources={"metadata": {"path": str(run_dir)}})
        client.execute()
    finally:
        shutil.rmtree(sockets, ignore_errors=True)
    notebook.metadata = nbformat.from_dict(METADATA)  # the kernel's own language_info varies
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = merged_streams(cell.outputs)
            for output in cell.outputs:
                _drop_default_repr(output)
    return notebook


def _drop_default_repr(output: Any) -> None:
    """Remove a text form like ``<GraphPicture at 0x7f3a...>`` beside a picture or a table:
    it says nothing, and its memory address would change the notebook on every run."""
    data = output.get("data", {})
    if len(data) > 1 and DEFAULT_REPR.match(data.get("text/plain", "")):
        del data["text/plain"]


def merged_streams(outputs: list[Any]) -> list[Any]:
    """Consecutive pieces of one stream as one output.

    How a cell's printing is cut into messages depends on timing (the kernel flushes what is
    buffered every so often); the text and its order relative to pictures do not.
    """
    merged: list[Any] = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (output.output_type == "stream" and previous is not None
                and previous.output_type == "stream" and previous.name == output.name):
            previous.text += output.text
        else:
            merged.append(output)
    return merged


def write(chapter: pathlib.Path, notebook: Any) -> list[pathlib.Path]:
    """Save the executed notebook and its docs page; returns both paths."""
    NOTEBOOKS.mkdir(exist_ok=True)
    ipynb, page = NOTEBOOKS / f"{chapter.stem}.ipynb", NOTEBOOKS / f"{chapter.stem}.md"
    nbformat.validate(notebook)
    ipynb.write_text(nbformat.writes(notebook) + "\n", encoding="utf-8")
    page.write_text(page_markdown(notebook, chapter.stem, chapter.name), encoding="utf-8")
    return [ipynb, page]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="CHAPTER", help="chapter names, e.g. 03-backprop")
    args = parser.parse_args(argv)
    selected = [c for c in chapters() if not args.only or c.stem in args.only]
    unknown = set(args.only or ()) - {c.stem for c in selected}
    if unknown:
        parser.error(f"no chapter {sorted(unknown)} in docs/guide/; there are {[c.stem for c in chapters()]}")
    for chapter in selected:
        with tempfile.TemporaryDirectory() as workdir:
            written = write(chapter, execute(build(chapter), pathlib.Path(workdir)))
        print("wrote", ", ".join(str(p.relative_to(ROOT)) for p in written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
