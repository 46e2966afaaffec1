"""Pictures of the graph and of backprop: ``draw_graph``, ``save_graph``, ``save_backprop_html``.

labels.py formats values and escapes text, model.py decides what is drawn (folding module
calls), graph.py writes the DOT source, renderer.py finds a Graphviz program, html.py builds
the step-through page.  All of it only reads the graph; the numbers come from ``tg.explain``.
"""

from .graph import GraphPicture, GraphTooLarge, draw_graph, save_graph
from .html import save_backprop_html
from .renderer import RendererNotFound, find_renderer, render

__all__ = ["draw_graph", "save_graph", "save_backprop_html", "GraphPicture", "GraphTooLarge",
           "RendererNotFound", "find_renderer", "render"]
