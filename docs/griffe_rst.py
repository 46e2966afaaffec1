"""A Griffe extension for the API reference: read the docstrings' few reStructuredText habits.

The library's docstrings are written to be read as plain text and in ``help()``, and a few
use reST conventions that Markdown would show literally: a paragraph ending in ``::`` to
announce an indented code block, and ``:math:`x``` roles.  mkdocstrings loads this file
(``extensions`` in mkdocs.yml) and rewrites them to their Markdown meaning when the API
pages are built; the source files are not touched.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

MATH_ROLE = re.compile(r":math:`([^`]*)`")
LITERAL_MARKER = re.compile(r"(\S)::[ \t]*$", re.M)  # "text::" -> "text:" (the block follows)
LONE_MARKER = re.compile(r"^[ \t]*::[ \t]*$", re.M)  # a line holding only "::"


class RstLiterals(griffe.Extension):
    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is None:
            return
        text = MATH_ROLE.sub(r"`\1`", obj.docstring.value)
        text = LITERAL_MARKER.sub(r"\1:", text)
        obj.docstring.value = LONE_MARKER.sub("", text)
