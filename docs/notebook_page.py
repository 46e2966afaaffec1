"""An executed notebook as a page of the docs site: its cells, with every output embedded.

MkDocs reads Markdown only, so each notebook in docs/notebooks/ gets a .md page beside it:
markdown cells as they are, code cells as highlighted blocks, and each output as Jupyter shows
it (pictures as inline images, HTML tables as HTML, text as text).  Everything is embedded
(data: URIs), so the page needs no other file and loads nothing from the network; the same
notebook always gives the same bytes.
"""

from __future__ import annotations

import base64
import html
import re
from typing import Any

# What Jupyter shows when an output carries several forms: the richest one it can.
PREFERRED = ("image/svg+xml", "image/png", "text/html", "text/markdown", "text/plain")
SIBLING_NOTEBOOK = re.compile(r"\]\((?P<name>[\w.-]+)\.ipynb(?P<anchor>#[^)\s]*)?\)")
XML_PROLOGUE = re.compile(r"^\s*(?:<\?xml[^>]*\?>\s*)?(?:<!DOCTYPE[^>]*>\s*)?", re.S)


def page_markdown(notebook: Any, stem: str, chapter: str) -> str:
    """The page for ``docs/notebooks/{stem}.ipynb`` (made from ``docs/guide/{chapter}``)."""
    parts = []
    for number, cell in enumerate(notebook.cells):
        source = cell.source
        if cell.cell_type == "markdown":
            # Links between notebooks become links between their pages.
            source = SIBLING_NOTEBOOK.sub(_page_link, source)
            if number == 0:  # the title line first: MkDocs takes the page's title from it
                title, _, source = source.partition("\n")
                parts += [title, _about(stem, chapter)]
            parts.append(source)
        elif cell.cell_type == "code":
            # ``py``, not ``python``: tests/test_docs.py runs the ``python`` blocks of every page,
            # and these already ran when the notebook was executed.
            parts.append(f"```py\n{source}\n```")
            parts.extend(_output(output) for output in cell.outputs)
    parts.append(f"<!-- Written by docs/gen_notebooks.py from docs/notebooks/{stem}.ipynb: do not edit. -->")
    return "\n\n".join(part.strip("\n") for part in parts if part.strip()) + "\n"


def _page_link(match: re.Match[str]) -> str:
    return f"]({match.group('name')}.md{match.group('anchor') or ''})"


def _about(stem: str, chapter: str) -> str:
    return (f'!!! info "This page is a notebook"\n'
            f"    [`{stem}.ipynb`]({stem}.ipynb) as the docs build ran it, outputs included. "
            f"The chapter it is made from is [guide/{chapter}](../guide/{chapter}). To run it "
            f'yourself: `pip install "tinygrad-edu[notebook]"`, then `jupyter lab docs/notebooks`.')


def _output(output: Any) -> str:
    kind = output.output_type
    if kind == "stream":
        return _text_block(output.text)
    if kind == "error":
        raise ValueError(f"the notebook was saved with an error ({output.ename}: {output.evalue}); "
                         "fix the cell and run python docs/gen_notebooks.py again")
    data = output.get("data", {})
    for mime in PREFERRED:
        if mime in data:
            return _rich(mime, data[mime])
    raise ValueError(f"no output form the page can show among {sorted(data)}")


def _rich(mime: str, content: Any) -> str:
    if isinstance(content, list):  # nbformat may store text as a list of lines
        content = "".join(content)
    if mime == "image/svg+xml":
        svg = XML_PROLOGUE.sub("", content)
        encoded = base64.b64encode(svg.encode("utf-8")).decode("ascii")
        return _framed(f"data:image/svg+xml;base64,{encoded}")
    if mime == "image/png":
        return _framed(f"data:image/png;base64,{content.strip()}")
    if mime == "text/html":
        # A raw HTML block ends at a blank line in Markdown: keep the output in one block.
        lines = [line for line in content.strip().split("\n") if line.strip()]
        return '<div class="nb-output">\n' + "\n".join(lines) + "\n</div>"
    if mime == "text/markdown":
        return content
    return _text_block(content)


def _framed(source: str) -> str:
    """A picture at its natural size in the scrolling frame of docs/css/figures.css, so its
    text stays legible however wide the graph is."""
    return f'<div class="figure-frame nb-output"><img alt="cell output" src="{source}"></div>'


def _text_block(text: str) -> str:
    # An HTML <pre>, not a fence: output may itself contain ``` or Markdown-looking lines.
    return f'<pre class="nb-output"><code>{html.escape(text.rstrip())}</code></pre>'
