"""Pictures of the graph and of backprop: ``draw_graph``, ``save_graph``, ``save_backprop_html``.

model.py decides what is drawn (folding module calls), layers.py reads the layer view
(each layer call with its declared rule and numbers) as data, graph.py is the entry point
and drawer.py writes the DOT source (layer_labels.py the layer boxes, labels.py escapes,
rule_names.py writes the inputs' names into rule texts), modes.py draws forward mode's
tangents beside reverse mode's gradients (tangents.py keeps the tangent pass as data),
renderer.py finds a Graphviz program, html.py builds the backprop explorer page
(explorer_views.py draws its layers open or closed, explorer_text.py writes its panel and
hover cards, explorer.js/.css are inlined into it).  All of it only reads the graph: the
walk, the names and the numbers come from ``tinygrad_edu.explain`` (values are printed by
``tinygrad_edu.formatting``).
monitor.py watches a model while it trains (``GradientMonitor``, read-only too) and
monitor_report.py draws what it saw; race.py animates optimizers on a 2-D loss surface.
"""

from .graph import BackwardDot, GraphPicture, GraphTooLarge, backward_dot, draw_graph, save_graph
from .html import BackpropPage, backprop_page, save_backprop_html
from .modes import draw_modes
from .monitor import GradientMonitor
from .race import optimizer_race
from .renderer import RendererNotFound, find_renderer, render

__all__ = ["draw_graph", "draw_modes", "save_graph", "save_backprop_html", "backprop_page", "BackpropPage",
           "backward_dot", "BackwardDot", "GradientMonitor", "optimizer_race",
           "GraphPicture", "GraphTooLarge", "RendererNotFound", "find_renderer", "render"]
