"""Pictures of the graph and of backprop: ``draw_graph``, ``save_graph``, ``save_backprop_html``.

model.py decides what is drawn (folding module calls), graph.py writes the DOT source,
labels.py escapes text for it, renderer.py finds a Graphviz program, html.py builds the
backprop explorer page (explorer_views.py draws its layers open or closed, explorer_text.py
writes its panel and hover cards, explorer.js/.css are inlined into it), rule_names.py
writes the inputs' names into rule texts.  All of it only reads the graph: the walk, the names and the numbers
come from ``tinygrad_edu.explain`` (values are printed by ``tinygrad_edu.formatting``).
"""

from .graph import BackwardDot, GraphPicture, GraphTooLarge, backward_dot, draw_graph, save_graph
from .html import save_backprop_html
from .renderer import RendererNotFound, find_renderer, render

__all__ = ["draw_graph", "save_graph", "save_backprop_html", "backward_dot", "BackwardDot",
           "GraphPicture", "GraphTooLarge", "RendererNotFound", "find_renderer", "render"]
