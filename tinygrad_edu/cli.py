"""The ``tinygrad-edu`` command line (also ``python -m tinygrad_edu``).

``demo`` trains the tutorial's XOR network and writes the loss graph, the backprop page and
the chain-rule trace; ``graph`` draws any small expression over named variables.  The
expression is parsed with ``ast`` and evaluated node by node against an allow-list --
arithmetic, the variables, numbers and a fixed set of tensor functions -- never ``eval``.
"""

from __future__ import annotations

import argparse
import ast
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, TextIO

import numpy as np

from . import creation
from .explain import explain
from .formatting import describe, format_number
from .tensor import Tensor
from .viz import GraphTooLarge, RendererNotFound, save_backprop_html, save_graph

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


# -- safe expressions -------------------------------------------------------------------------------
class UsageError(ValueError):
    """Bad input on the command line: reported in one line, exit code 2."""


class ExpressionError(UsageError):
    """The expression uses something outside the allow-list, or cannot be evaluated."""


FUNCTIONS: dict[str, Callable[..., Tensor]] = {
    "exp": creation.exp, "log": creation.log, "sqrt": creation.sqrt, "relu": creation.relu,
    "sigmoid": creation.sigmoid, "tanh": creation.tanh, "leaky_relu": creation.leaky_relu,
    "softmax": creation.softmax, "log_softmax": creation.log_softmax, "maximum": creation.maximum,
    "minimum": creation.minimum, "matmul": creation.matmul,
}
METHODS = frozenset({
    "exp", "log", "sqrt", "abs", "relu", "sigmoid", "tanh", "leaky_relu", "softmax", "log_softmax",
    "sum", "mean", "max", "min", "var", "std", "reshape", "transpose", "flatten", "squeeze",
    "unsqueeze", "clip", "maximum", "minimum", "matmul", "dot",
})
PROPERTIES = frozenset({"T"})
KEYWORDS = frozenset({"axis", "keepdims", "alpha", "min", "max", "ddof", "start_dim", "end_dim"})
_OPERATORS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b, ast.Pow: lambda a, b: a ** b, ast.MatMult: lambda a, b: a @ b,
}
_ALLOWED = ("+ - * / ** @, unary -, numbers, your --var names, x.T, the methods "
            f"{', '.join(sorted(METHODS))} and the functions {', '.join(sorted(FUNCTIONS))}")


def evaluate(expression: str, variables: dict[str, Tensor]) -> Any:
    """Evaluate ``expression`` over ``variables`` using only allow-listed syntax.

    Anything else -- names that are not variables, attribute access such as ``__class__``,
    lambdas, comprehensions, subscripts, strings, imports -- raises ``ExpressionError``
    before anything runs: the whole tree is checked first, then evaluated.
    """
    if len(expression) > 2000:
        raise ExpressionError("the expression is longer than 2000 characters")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as err:
        raise ExpressionError(f"not a valid expression: {err.msg} (column {err.offset})") from None
    _Checker(variables).visit(tree.body)
    try:
        return _evaluate(tree.body, variables)
    except ExpressionError:
        raise
    except (ValueError, TypeError, ArithmeticError, RuntimeError) as err:
        raise ExpressionError(f"evaluating {expression!r} failed: {err}") from None


class _Checker(ast.NodeVisitor):
    """Walks the whole tree and rejects every node type that is not on the allow-list."""

    def __init__(self, variables: dict[str, Tensor]) -> None:
        self.variables = variables

    def generic_visit(self, node: ast.AST) -> None:
        raise ExpressionError(f"{_what(node)} is not allowed in an expression; allowed: {_ALLOWED}")

    def visit_Constant(self, node: ast.Constant) -> None:
        if type(node.value) not in (int, float, bool):
            raise ExpressionError(f"the constant {node.value!r} is not allowed; only numbers are")

    def visit_Name(self, node: ast.Name) -> None:
        if node.id not in self.variables:
            hint = " (it is a function: call it, e.g. exp(a))" if node.id in FUNCTIONS else \
                f"; define it with --var {node.id}=VALUE"
            raise ExpressionError(f"unknown name {node.id!r}{hint}")

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if type(node.op) not in _OPERATORS:
            raise ExpressionError(f"the operator {type(node.op).__name__} is not allowed; use + - * / ** @")
        self.visit(node.left)
        self.visit(node.right)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            raise ExpressionError(f"the operator {type(node.op).__name__} is not allowed; only unary - and +")
        self.visit(node.operand)

    def visit_Tuple(self, node: ast.Tuple) -> None:  # axis=(0, 1), reshape((2, 2))
        for element in node.elts:
            self.visit(element)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr not in PROPERTIES:
            raise ExpressionError(f"the attribute .{node.attr} is not allowed; only .T, or a call of "
                                  f"one of the methods {', '.join(sorted(METHODS))}")
        self.visit(node.value)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name):
            if func.id not in FUNCTIONS:
                raise ExpressionError(f"the function {func.id!r} is not allowed; use one of "
                                      f"{', '.join(sorted(FUNCTIONS))}")
        elif isinstance(func, ast.Attribute):
            if func.attr not in METHODS:
                raise ExpressionError(f"the method .{func.attr}() is not allowed; use one of "
                                      f"{', '.join(sorted(METHODS))}")
            self.visit(func.value)
        else:
            raise ExpressionError(f"only named functions and methods can be called, not {_what(func)}")
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise ExpressionError("*arguments are not allowed")
            self.visit(arg)
        for keyword in node.keywords:
            if keyword.arg not in KEYWORDS:
                raise ExpressionError(f"the keyword argument {keyword.arg!r} is not allowed; use "
                                      f"{', '.join(sorted(KEYWORDS))}")
            self.visit(keyword.value)


def _evaluate(node: ast.AST, variables: dict[str, Tensor]) -> Any:
    """Evaluate a tree that ``_Checker`` accepted."""
    if isinstance(node, ast.Constant):
        # Numbers become floats: integer powers like 9**9**9 would otherwise run for ages.
        value = node.value
        assert isinstance(value, (int, float)), "checked by _Checker"
        return value if isinstance(value, bool) else float(value)
    if isinstance(node, ast.Name):
        return variables[node.id]
    if isinstance(node, ast.BinOp):
        return _OPERATORS[type(node.op)](_evaluate(node.left, variables), _evaluate(node.right, variables))
    if isinstance(node, ast.UnaryOp):
        value = _evaluate(node.operand, variables)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.Tuple):
        return tuple(_axis(_evaluate(e, variables)) for e in node.elts)
    if isinstance(node, ast.Attribute):
        return getattr(_tensor(_evaluate(node.value, variables), node.attr), node.attr)
    if isinstance(node, ast.Call):
        args = [_axis(_evaluate(a, variables)) for a in node.args]
        kwargs = {k.arg: _axis(_evaluate(k.value, variables)) for k in node.keywords if k.arg}
        if isinstance(node.func, ast.Name):
            return FUNCTIONS[node.func.id](*args, **kwargs)
        assert isinstance(node.func, ast.Attribute)
        owner = _tensor(_evaluate(node.func.value, variables), node.func.attr)
        return getattr(owner, node.func.attr)(*args, **kwargs)
    raise ExpressionError(f"{_what(node)} is not allowed")  # unreachable after _Checker


def _tensor(value: Any, attr: str) -> Tensor:
    if not isinstance(value, Tensor):
        raise ExpressionError(f".{attr} needs a tensor on its left, got the number {value!r}")
    return value


def _axis(value: Any) -> Any:
    """Whole floats back to ints where an axis or a shape is expected (``sum(axis=0)``)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _what(node: ast.AST) -> str:
    names = {"Lambda": "a lambda", "ListComp": "a list comprehension", "GeneratorExp": "a generator",
             "DictComp": "a dict comprehension", "SetComp": "a set comprehension",
             "Subscript": "indexing", "Compare": "a comparison", "IfExp": "an if-expression",
             "BoolOp": "and/or", "JoinedStr": "an f-string", "List": "a list", "Dict": "a dict",
             "NamedExpr": "the := operator", "Await": "await", "Set": "a set"}
    kind = type(node).__name__
    return names.get(kind, f"the syntax {kind}") + f" (column {getattr(node, 'col_offset', 0) + 1})"


def parse_variable(text: str) -> tuple[str, Tensor]:
    """``a=2`` or ``x=[1, 2, 3]`` -> (name, leaf tensor that requires grad)."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name.isidentifier() or name.startswith("_") or name in FUNCTIONS \
            or name in ("True", "False", "None"):
        raise ExpressionError(f"--var {text!r}: write NAME=VALUE with a plain name (letters, digits, "
                              "not starting with _ and not a function name), e.g. --var a=2")
    try:
        literal = ast.literal_eval(value.strip())
        array = np.asarray(literal, dtype=np.float32)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise ExpressionError(f"--var {name}: {value.strip()!r} is not a number or a list of numbers "
                              "(e.g. 2, -0.5, [1, 2] or [[1, 2], [3, 4]])") from None
    if array.size > 10_000:
        raise ExpressionError(f"--var {name}: at most 10000 numbers, got {array.size}")
    return name, Tensor(array, requires_grad=True, name=name)


# -- commands -------------------------------------------------------------------------------------
def command_graph(args: argparse.Namespace, out: TextIO) -> int:
    if os.path.splitext(args.out)[1].lower() not in (".svg", ".png", ".pdf", ".dot", ".gv"):
        raise UsageError(f"--out {args.out!r}: end the file name with .svg, .png, .pdf or .dot")
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
    written = [save_graph(result, args.out, show=args.show)]
    if args.html:
        written.append(save_backprop_html(result, args.html))
    for path in written:
        print(f"wrote {path}", file=out)
    return EXIT_OK


def command_demo(args: argparse.Namespace, out: TextIO) -> int:
    from . import nn, optim
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
    progress = Progress(args.epochs, out)
    for epoch in range(1, args.epochs + 1):
        opt.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        opt.step()
        progress.update(epoch, loss.item())
    progress.close()

    loss = loss_fn(model(X), y)  # a fresh graph to draw: backward has not freed this one
    loss.name = "loss"
    predictions = ", ".join(format_number(v) for v in model(X).data.ravel())
    print(f"final loss {format_number(loss.item())}; predictions for 00, 01, 10, 11: {predictions}",
          file=out)
    os.makedirs(args.out, exist_ok=True)
    graph = save_graph(loss, os.path.join(args.out, "xor_loss_graph.svg"), show="backward")
    page = save_backprop_html(loss, os.path.join(args.out, "xor_backprop.html"))
    trace_path = os.path.join(args.out, "xor_chain_rule.txt")
    with open(trace_path, "w", encoding="utf-8") as f:
        f.write(str(explain(loss)) + "\n")
    print("wrote:", file=out)
    for path, what in ((graph, "the loss graph, gradients flowing back with the chain rule on every edge"),
                       (page, "step through backprop in a browser (Previous/Next, slider, arrow keys)"),
                       (trace_path, "the chain-rule trace as text")):
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
                    f"Allowed: {_ALLOWED}.",
        epilog='example: tinygrad-edu graph "(a*b + c).tanh()" --var a=2 --var b=-3 --var c=10 '
               "--out graph.svg --html page.html")
    graph.add_argument("expression", help="the expression, in quotes")
    graph.add_argument("--var", action="append", metavar="NAME=VALUE",
                       help="a variable: a number or a (nested) list, e.g. a=2 or x=[1,2]; repeat it")
    graph.add_argument("--out", default="graph.svg", metavar="FILE",
                       help="picture to write: .svg, .png, .pdf or .dot (default: graph.svg)")
    graph.add_argument("--html", metavar="FILE", help="also write the step-through backprop page")
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
