"""A guide chapter (docs/guide/*.md) as the cells of its companion notebook (docs/notebooks/).

The chapter is the one source: its prose becomes markdown cells, each ```python block a code
cell, and each ``<!-- notebook ... -->`` comment a code cell that only the notebook shows (the
assertions on the chapter's headline numbers, and pictures drawn inline).  What only MkDocs
understands is rewritten into plain Markdown that Jupyter renders: snippet includes are pasted
in, admonitions become block quotes, links to sibling chapters point at their notebooks.
"""

from __future__ import annotations

import pathlib
import re

DOCS = pathlib.Path(__file__).resolve().parent
GUIDE = DOCS / "guide"

# A code cell: a ```python fence at the start of a line, or a notebook-only comment block.
CODE = re.compile(r"^```python[^\n]*\n(?P<python>.*?)^```[ \t]*$"
                  r"|^<!-- notebook[ \t]*\n(?P<notebook>.*?)^-->[ \t]*$", re.M | re.S)
UNCLOSED = re.compile(r"^<!-- notebook", re.M)
SNIPPET = re.compile(r'^(?P<indent>[ \t]*)--8<--\s+"(?P<path>[^"]+)"[ \t]*$', re.M)
ADMONITION = re.compile(r'^(?:!!!|\?\?\?\+?)\s+(?P<kind>\w+)(?:\s+"(?P<title>[^"]*)")?\s*$')
FENCE_TITLE = re.compile(r'^(?P<indent>[ \t]*)```(?P<lang>\w+)[ \t]+title="(?P<title>[^"]*)"[ \t]*$', re.M)
MD_IN_HTML = re.compile(r'^\s*(?:<div\b[^>]*\bmarkdown\b[^>]*>|</div>)\s*$')
LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")


def chapters() -> list[pathlib.Path]:
    """Every guide page, so a chapter added to docs/guide/ gets a notebook without a list to edit."""
    return sorted(GUIDE.glob("*.md"))


def notebook_cells(chapter: pathlib.Path) -> list[tuple[str, str]]:
    """``(cell_type, source)`` for each cell of the chapter's notebook, in reading order."""
    text = chapter.read_text(encoding="utf-8")
    cells: list[tuple[str, str]] = []
    position = 0
    for match in CODE.finditer(text):
        _add_markdown(cells, text[position:match.start()], chapter)
        code = match.group("python") if match.group("python") is not None else match.group("notebook")
        cells.append(("code", code.strip("\n")))
        position = match.end()
    _add_markdown(cells, text[position:], chapter)
    if not cells or cells[0][0] != "markdown" or not cells[0][1].startswith("# "):
        raise ValueError(f"{chapter.name} must open with a '# Title' line (the notebook's title)")
    title, _, rest = cells[0][1].partition("\n")
    note = (f"*The companion notebook of the guide chapter `docs/guide/{chapter.name}`, made from it "
            "by `docs/gen_notebooks.py`: edit the chapter, then regenerate. Run it top to bottom; "
            "the cells that only the notebook has check the chapter's numbers.*")
    cells[0] = ("markdown", f"{title}\n\n{note}\n{rest}".rstrip("\n"))
    return cells


def _add_markdown(cells: list[tuple[str, str]], text: str, chapter: pathlib.Path) -> None:
    unclosed = UNCLOSED.search(text)  # the site would hide the rest of the chapter
    if unclosed:
        raise ValueError(f"{chapter.name}: a '<!-- notebook' block must end with a line '-->'; "
                         f"this one does not: {text[unclosed.start():].splitlines()[:2]}")
    markdown = plain_markdown(text, chapter).strip("\n")
    if markdown.strip():
        cells.append(("markdown", markdown))


def plain_markdown(text: str, chapter: pathlib.Path) -> str:
    """The chapter's MkDocs Markdown as Markdown that Jupyter renders the same way."""
    text = SNIPPET.sub(lambda m: _included(m.group("path"), m.group("indent")), text)
    lines: list[str] = []
    quote: str | None = None  # inside an admonition: its body is indented by four spaces
    for line in text.split("\n"):
        if quote is not None:
            if line.strip() == "" or line.startswith("    "):
                lines.append(_quoted(line[4:]))
                continue
            quote = None
            # The quote's trailing blank lines must be blank, not ">": Python-Markdown would
            # carry the next paragraph on into the quote.
            while lines and lines[-1] == ">":
                lines[-1] = ""
        admonition = ADMONITION.match(line)
        if admonition:
            quote = admonition.group("kind")
            title = admonition.group("title") or quote.capitalize()
            lines.append(f"> **{title}**")
            lines.append(">")
            continue
        if MD_IN_HTML.match(line):
            # The frame that shows a wide figure at 100% on the site.  Jupyter reads Markdown
            # inside an HTML block only after a blank line, so the tag gets one on each side.
            lines += ["", line.strip(), ""]
            continue
        lines.append(line)
    text = "\n".join(lines)
    text = FENCE_TITLE.sub(lambda m: f"{m.group('indent')}*{m.group('title')}:*\n\n"
                                     f"{m.group('indent')}```{m.group('lang')}", text)
    return LINK.sub(lambda m: f"]({_link(m.group('target'))})", text)


def _quoted(line: str) -> str:
    return ">" if not line.strip() else f"> {line}"


def _included(path: str, indent: str) -> str:
    """A snippet include (``--8<-- "figures/..."``, relative to docs/) pasted in place."""
    source = DOCS / path
    if not source.is_file():
        raise FileNotFoundError(f"snippet {path!r} not found under docs/ (run python docs/gen_figures.py)")
    body = source.read_text(encoding="utf-8").rstrip("\n")
    return "\n".join(indent + line if line.strip() else "" for line in body.split("\n"))


def _link(target: str) -> str:
    """Where a chapter's relative link points from docs/notebooks/ (one folder over)."""
    if "://" in target or target.startswith(("#", "../", "/", "mailto:")):
        return target  # absolute, in-page, or already relative to docs/ (figures, api, ...)
    path, hash_mark, anchor = target.partition("#")
    if path.endswith(".md") and (GUIDE / path).is_file():
        path = path[:-3] + ".ipynb"  # a sibling chapter: its notebook
        return path + hash_mark + anchor
    return "../guide/" + target
