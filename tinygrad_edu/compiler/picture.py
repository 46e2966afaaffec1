"""A compiled step as a picture: one oval per line of its source, one box per array.

It reads only the generated source (the program as printed), so the picture and
``step.source`` always agree: arrays flow into the line that uses them and out of the line
that makes them; an in-place update (``W1 -= 0.5 * dW1``) makes a new version of its array.
The forward, backward and update sections are drawn as three clusters, in viz's colours.
"""

from __future__ import annotations

import ast
from typing import Any

from .codegen import Program


def program_graph(program: Program, title: str, rankdir: str = "TB") -> Any:
    """A ``viz.GraphPicture`` (a ``graphviz.Digraph``) of ``program``; deterministic DOT."""
    from ..viz.drawer import FILL, GRAD_FILL, OP_FILL, GraphPicture

    lines = program.source.splitlines()
    header = lines[0]
    inside = header[header.index("(") + 1:header.rindex(")")]
    params = [p.strip() for p in inside.split(",") if p.strip()]
    graph_attr = {"rankdir": rankdir, "label": f"tg.compile: {title}", "labelloc": "t",
                  "fontname": "Helvetica"}
    dot = GraphPicture(name="compiled", graph_attr=graph_attr,
                       node_attr={"fontname": "Helvetica", "fontsize": "11"})
    current: dict[str, str] = {}  # array name -> node id of its latest version
    counter = [0]
    param_kinds = {v.name: v.kind for v in program.inputs}

    def node(label: str, **attrs: str) -> str:
        counter[0] += 1
        ident = f"n{counter[0]}"
        (cluster or dot).node(ident, label, **attrs)
        return ident

    cluster = None
    for p in params:
        kind = param_kinds.get(p, "state")
        fill = {"data": FILL["param"], "grad": GRAD_FILL, "state": FILL["const"]}.get(kind, "#ffffff")
        current[p] = node(p, shape="box", style="filled", fillcolor=fill)
    sections: list[tuple[str, Any]] = []
    returned: list[str] = []
    for raw in lines[1:]:
        text = raw.strip()
        if text.startswith("# ") and text[2:] in ("forward", "backward", "update"):
            cluster = GraphPicture(name=f"cluster_{text[2:]}", graph_attr={
                "label": text[2:], "style": "rounded", "color": "#b0b0b0"})
            sections.append((text[2:], cluster))
            continue
        if not text or text.startswith(("#", '"""', "def ")):
            continue
        tree = ast.parse(text).body[0]
        if isinstance(tree, ast.Return):
            returned = [n.id for n in ast.walk(tree) if isinstance(n, ast.Name)]
            continue
        written, expr = _split(tree, text)
        reads = [n.id for n in ast.walk(tree)
                 if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in current]
        op = node(expr, shape="ellipse", style="filled", fillcolor=OP_FILL)
        for name in dict.fromkeys(reads):
            (cluster or dot).edge(current[name], op)
        if written is not None:
            grad = written.startswith("d") and cluster is not None and sections[-1][0] == "backward"
            fill = GRAD_FILL if grad else "#ffffff"
            current[written] = node(written, shape="box", style="filled", fillcolor=fill)
            (cluster or dot).edge(op, current[written])
    for _, sub in sections:
        dot.subgraph(sub)
    for name in returned:
        if name in current:
            dot.node(current[name], style="filled,bold", fillcolor=FILL["root"])
    return dot


def _split(tree: ast.stmt, text: str) -> tuple[str | None, str]:
    """The array a line writes (None for a plain call) and the text shown in its oval."""
    if isinstance(tree, ast.Assign) and isinstance(tree.targets[0], ast.Name):
        return tree.targets[0].id, text.split(" = ", 1)[1]
    if isinstance(tree, ast.Assign) and isinstance(tree.targets[0], ast.Subscript):  # x[...] = v
        target = tree.targets[0].value
        return (target.id if isinstance(target, ast.Name) else None), text
    if isinstance(tree, ast.AugAssign) and isinstance(tree.target, ast.Name):
        return tree.target.id, text
    if isinstance(tree, ast.Expr) and isinstance(tree.value, ast.Call):  # np.add(g, d, out=g)
        out = next((k.value for k in tree.value.keywords if k.arg == "out"), None)
        if isinstance(out, ast.Name):
            return out.id, text
        args = tree.value.args
        if args and isinstance(args[0], ast.Name):  # opt._update(W, dW, state): W changes
            return args[0].id, text
    return None, text
