"""The ``tinygrad-edu`` command line (also ``python -m tinygrad_edu``).

``demo`` trains the tutorial's XOR network and writes the loss graph, the backprop page and
the chain-rule trace; ``graph`` draws any small expression over named variables.  The
expression is checked and evaluated by ``cli_expressions`` (an allow-list over ``ast``, never
``eval``, with bounded sizes); its picture's rules name the user's own variables
(``viz.rule_names``), so a variable called ``x`` or ``y`` cannot make a rule ambiguous.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from .cli_expressions import (  # noqa: F401  (public names that used to live here)
    _ALLOWED,
    FUNCTIONS,
    KEYWORDS,
    MAX_CHARS,
    MAX_DEPTH,
    MAX_ELEMENTS,
    MAX_TOTAL_ELEMENTS,
    METHODS,
    PROPERTIES,
    ExpressionError,
    UsageError,
    evaluate,
    parse_variable,
)
from .explain import explain
from .formatting import describe, format_number
from .tensor import Tensor
from .viz import GraphTooLarge, RendererNotFound, save_backprop_html, save_graph
from .viz.renderer import find_renderer
from .viz.rule_names import named_rules

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
PICTURE_FORMATS = (".svg", ".png", ".pdf", ".dot", ".gv")


# -- commands -------------------------------------------------------------------------------------
def command_graph(args: argparse.Namespace, out: TextIO) -> int:
    _check_outputs(args)
    variables: dict[str, Tensor] = {}
    for text in args.var or []:
        name, tensor = parse_variable(text)
        if name in variables:
            raise ExpressionError(f"--var {name} is given twice")
        variables[name] = tensor
    result = evaluate(args.expression, variables)
    if not isinstance(result, Tensor) or not result.requires_grad:
        raise ExpressionError(f"{args.expression!r} does not depend on any --var variable, so it has "
                              "no graph to draw")
    if result.size != 1:
        print(f"the result has shape {result.shape}; showing the gradients of its sum", file=out)
        result = result.sum()
    result.name = "f"
    trace = explain(result)
    print(f"f = {args.expression} = {describe(result.data)}", file=out)
    for name, tensor in variables.items():
        g = trace.grad(tensor)
        print(f"  ∂f/∂{name} = {'0 (f does not depend on it)' if g is None else describe(g)}", file=out)
    if args.explain:
        print("\n" + str(trace), file=out)
    # The rules on the picture's edges name the user's tensors: ∂(y·x)/∂y = x, never a bare
    # template letter that a variable called x or y would make ambiguous.
    rules = named_rules(trace.graph.labels)
    written = [save_graph(result, args.out, show=args.show, rules=rules)]
    if args.html:
        written.append(save_backprop_html(result, args.html, rules=rules))
    for path in written:
        print(f"wrote {path}", file=out)
    return EXIT_OK


def _check_outputs(args: argparse.Namespace) -> None:
    """Refuse an output we cannot write before any work is done (the expression is not run)."""
    extension = os.path.splitext(args.out)[1].lower()
    if extension not in PICTURE_FORMATS:
        raise UsageError(f"--out {args.out!r}: end the file name with .svg, .png, .pdf or .dot")
    if extension != ".pdf":
        return  # without a renderer, save_graph writes the DOT source and says how to draw it
    command = find_renderer()
    if command is None or "graphviz-pure" in os.path.basename(command[0]):
        found = "no Graphviz renderer is installed" if command is None else \
            "only graphviz-pure is installed, which writes SVG and PNG but not PDF"
        raise UsageError(f"--out {args.out}: PDF needs the system Graphviz (dot), and {found}. Write "
                         f"--out {os.path.splitext(args.out)[0]}.svg instead, or install Graphviz "
                         "(`apt install graphviz`, `brew install graphviz`, `conda install graphviz`, "
                         "or https://graphviz.org/download/)")


def command_demo(args: argparse.Namespace, out: TextIO) -> int:
    from . import nn, optim
    from .explain import replay
    from .random import manual_seed

    if args.epochs < 1 or args.lr <= 0:
        raise UsageError("--epochs must be at least 1 and --lr positive")
    manual_seed(args.seed)
    X = Tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], name="X")
    y = Tensor([[0.0], [1.0], [1.0], [0.0]], name="y")
    model = nn.MLP([2, 4, 1], activation="sigmoid", output_activation="sigmoid")
    loss_fn = nn.MSELoss()
    opt = optim.SGD(model.parameters(), lr=args.lr)
    print(f"Training the XOR network {model.short_repr()} (sigmoid, mean squared error, full-batch "
          f"gradient descent, lr={format_number(args.lr)}) for {args.epochs} epochs", file=out)
    os.makedirs(args.out, exist_ok=True)
    graph = os.path.join(args.out, "xor_loss_graph.svg")
    page = os.path.join(args.out, "xor_backprop.html")
    trace_path = os.path.join(args.out, "xor_chain_rule.txt")
    progress = Progress(args.epochs, out)
    for epoch in range(1, args.epochs + 1):
        opt.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        if epoch == 1:
            # Drawn at the first step, before any update: the gradients are large there (after
            # training they are ~1e-5 and every box shows zeros).  The plain backward() above
            # left its numbers on the graph, so the pictures show exactly what it computed.
            loss.name = "loss"
            save_graph(loss, graph, show="backward")
            save_backprop_html(loss, page)
            with open(trace_path, "w", encoding="utf-8") as f:
                f.write(str(replay(loss)) + "\n")
        opt.step()
        progress.update(epoch, loss.item())
    progress.close()

    predictions = ", ".join(format_number(v) for v in model(X).data.ravel())
    print(f"final loss {format_number(loss_fn(model(X), y).item())}; predictions for 00, 01, 10, "
          f"11: {predictions}", file=out)
    print("wrote (the first training step, before any weight update, where the gradients are "
          "largest):", file=out)
    for path, what in ((graph, "the layer view: each layer one box, its backward rules and numbers"),
                       (page, "step through that backward pass op by op in a browser"),
                       (trace_path, "the chain-rule trace of that step as text")):
        print(f"  {path}   ({what})", file=out)
    return EXIT_OK


class Progress:
    """A progress bar on a terminal; a few plain lines when the output is a file or a pipe."""

    def __init__(self, total: int, out: TextIO, width: int = 30) -> None:
        self.total, self.out, self.width = total, out, width
        self.tty = hasattr(out, "isatty") and out.isatty()
        self.marks = {max(1, round(total * k / 4)) for k in range(1, 5)}
        self.shown = -1

    def update(self, done: int, loss: float) -> None:
        if self.tty:
            percent = done * 100 // self.total
            if percent != self.shown or done == self.total:
                self.shown = percent
                filled = done * self.width // self.total
                bar = "█" * filled + "·" * (self.width - filled)
                self.out.write(f"\r  [{bar}] {done}/{self.total}  loss {loss:.6f}")
                self.out.flush()
        elif done == 1 or done in self.marks:
            print(f"  epoch {done}/{self.total}  loss {loss:.6f}", file=self.out)

    def close(self) -> None:
        if self.tty:
            self.out.write("\n")


# -- argument parsing -------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinygrad-edu", description="Learn backprop by looking at it: tinygrad_edu's command line.",
        epilog="Run `tinygrad-edu COMMAND --help` for each command's options.")
    parser.add_argument("--version", action="version", version=f"tinygrad-edu {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    demo = sub.add_parser(
        "demo", help="train the XOR network; write its loss graph, backprop page and chain-rule trace",
        description="Train the tutorial's XOR network (2→4→1, sigmoid, full-batch gradient descent), "
                    "then write the loss graph (SVG), the step-through backprop page (HTML) and the "
                    "chain-rule trace (text) into --out.")
    demo.add_argument("--out", default="demo-output", metavar="DIR",
                      help="folder for the three files (default: demo-output)")
    demo.add_argument("--epochs", type=int, default=2000, help="training epochs (default: 2000)")
    demo.add_argument("--lr", type=float, default=5.0,
                      help="learning rate (default: 5, see docs/xor-seeds.md)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    graph = sub.add_parser(
        "graph", help="draw the graph of an expression, e.g. \"(a*b + c).tanh()\"",
        description="Draw an expression over named variables with gradients and the chain rule. "
                    f"Allowed: {_ALLOWED}. Limits: {MAX_CHARS} characters, {MAX_DEPTH} levels of "
                    f"nesting, {MAX_ELEMENTS:,} numbers in any intermediate result and "
                    f"{MAX_TOTAL_ELEMENTS:,} in all of them.",
        epilog='example: tinygrad-edu graph "(a*b + c).tanh()" --var a=2 --var b=-3 --var c=10 '
               "--out graph.svg --html page.html")
    graph.add_argument("expression", help="the expression, in quotes")
    graph.add_argument("--var", action="append", metavar="NAME=VALUE",
                       help="a variable: a number or a (nested) list, e.g. a=2 or x=[1,2]; repeat it")
    graph.add_argument("--out", default="graph.svg", metavar="FILE",
                       help="picture to write: .svg, .png, .pdf or .dot (default: graph.svg)")
    graph.add_argument("--html", metavar="FILE",
                       help="also write the backprop explorer page (step through, hover, search)")
    graph.add_argument("--show", choices=("forward", "backward", "both"), default="backward",
                       help="which pass to draw (default: backward)")
    graph.add_argument("--explain", action="store_true", help="also print the chain-rule trace")
    return parser


def _version() -> str:
    from . import __version__
    return __version__


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 failed, 2 bad input)."""
    out = out or sys.stdout
    args = build_parser().parse_args(argv)
    commands = {"demo": command_demo, "graph": command_graph}
    try:
        return commands[args.command](args, out)
    except UsageError as err:
        print(f"tinygrad-edu {args.command}: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (GraphTooLarge, RendererNotFound, ValueError, OSError) as err:
        print(f"tinygrad-edu {args.command}: error: {err}", file=sys.stderr)
        return EXIT_FAILED
