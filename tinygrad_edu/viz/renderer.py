"""Turning DOT source into SVG or PNG: find a Graphviz renderer and run it.

A system Graphviz (``dot`` on PATH) is used when present; otherwise the ``graphviz-pure``
program that ``pip install tinygrad-edu`` brings along (a self-contained port of ``dot``,
installed next to the Python interpreter's scripts).  Without either, ``RendererNotFound``
says exactly how to get one; the DOT source itself never needs a renderer.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig

HOW_TO_GET_ONE = (
    "install one of: `pip install graphviz-pure` (a self-contained dot, no system packages "
    "needed), or Graphviz itself (`apt install graphviz`, `brew install graphviz`, "
    "`conda install graphviz`, or https://graphviz.org/download/)"
)


class RendererNotFound(RuntimeError):
    """No Graphviz program could be found; ``source`` holds the DOT text that was to be drawn."""

    def __init__(self, message: str, source: str = "") -> None:
        super().__init__(message)
        self.source = source


def find_renderer() -> list[str] | None:
    """The command that renders DOT: ``dot`` on PATH, else ``graphviz-pure``, else ``None``.

    Set ``TINYGRAD_EDU_DOT`` to a program path to choose one yourself.
    """
    chosen = os.environ.get("TINYGRAD_EDU_DOT")
    if chosen:
        return [chosen]
    dot = shutil.which("dot")
    if dot:
        return [dot]
    return _graphviz_pure()


def _graphviz_pure() -> list[str] | None:
    """``graphviz-pure`` on PATH or in this interpreter's scripts folder (a venv not activated)."""
    name = "graphviz-pure.exe" if sys.platform == "win32" else "graphviz-pure"
    found = shutil.which(name)
    if found:
        return [found]
    folders = {sysconfig.get_path("scripts"), os.path.dirname(sys.executable)}
    for scheme in ("posix_user", "nt_user"):
        try:
            folders.add(sysconfig.get_path("scripts", scheme))
        except KeyError:  # that install scheme does not exist on this platform
            pass
    for folder in sorted(f for f in folders if f):
        path = os.path.join(folder, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return [path]
    return None


def render(source: str, fmt: str = "svg", command: list[str] | None = None) -> bytes:
    """Run Graphviz on ``source`` and return the picture in format ``fmt`` (``svg``, ``png``...)."""
    command = command or find_renderer()
    if command is None:
        raise RendererNotFound(f"cannot draw the graph: no Graphviz renderer found; {HOW_TO_GET_ONE}. "
                               "The DOT source is in this error's .source attribute.", source)
    try:
        done = subprocess.run([*command, f"-T{fmt}"], input=source.encode("utf-8"),
                              capture_output=True, timeout=120, check=False)
    except OSError as err:
        raise RendererNotFound(f"cannot run the renderer {command[0]!r} ({err}); {HOW_TO_GET_ONE}",
                               source) from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"{os.path.basename(command[0])} -T{fmt} failed: {message}")
    return done.stdout
