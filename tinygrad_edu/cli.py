"""The ``tinygrad-edu`` command line (also ``python -m tinygrad_edu``).

``demo`` trains the tutorial's XOR network and writes the loss graph, the backprop page and
the chain-rule trace; ``graph`` draws any small expression over named variables.  The
expression is parsed with ``ast`` and evaluated node by node against an allow-list --
arithmetic, the variables, numbers and a fixed set of tensor functions -- never ``eval``.
Its size is bounded before anything runs: the text's length, the tree's depth, and the size
of every intermediate result, worked out from its operands' shapes before it is computed.
"""

from __future__ import annotations

import argparse
import ast
import math
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, TextIO

import numpy as np

from . import functional
from .explain import explain
from .formatting import describe, format_number
from .tensor import Tensor
from .viz import GraphTooLarge, RendererNotFound, save_backprop_html, save_graph

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
MAX_CHARS = 2000  # length of the expression
MAX_DEPTH = 100  # levels of nesting; checking and evaluating recurse once or twice per level
MAX_ELEMENTS = 10 ** 6  # numbers in any one intermediate result (4 MB of float32)
MAX_TOTAL_ELEMENTS = 10 ** 7  # numbers in all of them together: the graph keeps every one


# -- safe expressions -------------------------------------------------------------------------------
class UsageError(ValueError):
    """Bad input on the command line: reported in one line, exit code 2."""


class ExpressionError(UsageError):
    """The expression uses something outside the allow-list, or cannot be evaluated."""


# The functions are tinygrad_edu.functional's, all of them (the one list, also tg's namespace).
FUNCTIONS: dict[str, Callable[..., Tensor]] = {name: getattr(functional, name)
                                               for name in functional.__all__ if name != "where"}
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
    before anything runs: the whole tree is checked first, then evaluated.  So does an
    expression longer than ``MAX_CHARS`` or nested deeper than ``MAX_DEPTH``, and one whose
    intermediate results would hold more than ``MAX_ELEMENTS`` numbers each (refused before
    that result is computed) or ``MAX_TOTAL_ELEMENTS`` together.
    """
    if len(expression) > MAX_CHARS:
        raise ExpressionError(f"the expression is longer than {MAX_CHARS} characters")
    text = expression.strip()
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as err:
        raise ExpressionError(f"not a valid expression: {err.msg} (column {err.offset})") from None
    except (RecursionError, MemoryError):  # the parser itself can run out of stack on deep nesting
        raise ExpressionError(f"the expression is nested too deeply to parse; at most {MAX_DEPTH} levels "
                              "are allowed (MAX_DEPTH): write it with fewer nested operations") from None
    _check_depth(tree.body)
    _Checker(variables).visit(tree.body)
    try:
        return _evaluate(tree.body, variables, _Sizes(text))
    except ExpressionError:
        raise
    except (ValueError, TypeError, ArithmeticError, RuntimeError) as err:
        raise ExpressionError(f"evaluating {expression!r} failed: {err}") from None


def _check_depth(tree: ast.AST) -> None:
    """Refuse a tree deeper than MAX_DEPTH (an explicit walk: it cannot overflow the stack)."""
    deepest, where = 0, tree
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > deepest:
            deepest, where = depth, node
        # Only expressions add a level: operators (Add, USub) and keywords hang off them.
        stack.extend((child, depth + isinstance(child, ast.expr)) for child in ast.iter_child_nodes(node))
    if deepest > MAX_DEPTH:
        raise ExpressionError(
            f"the expression nests {deepest} levels deep (column {getattr(where, 'col_offset', 0) + 1}); "
            f"at most {MAX_DEPTH} are allowed (MAX_DEPTH): write it with fewer nested operations, "
            "e.g. 4*a instead of a+a+a+a, or a instead of --a"
        )


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


def _evaluate(node: ast.AST, variables: dict[str, Tensor], sizes: _Sizes) -> Any:
    """Evaluate a tree that ``_Checker`` accepted; ``sizes`` vets each result before it is computed."""
    if isinstance(node, ast.Constant):
        # Numbers become floats: integer powers like 9**9**9 would otherwise run for ages.
        value = node.value
        assert isinstance(value, (int, float)), "checked by _Checker"
        return value if isinstance(value, bool) else float(value)
    if isinstance(node, ast.Name):
        return variables[node.id]
    if isinstance(node, ast.BinOp):
        left, right = _evaluate(node.left, variables, sizes), _evaluate(node.right, variables, sizes)
        sizes.check(node, [left, right], matmul=isinstance(node.op, ast.MatMult))
        return sizes.counted(node, _OPERATORS[type(node.op)](left, right))
    if isinstance(node, ast.UnaryOp):
        value = _evaluate(node.operand, variables, sizes)
        if isinstance(node.op, ast.UAdd):
            return value
        sizes.check(node, [value])
        return sizes.counted(node, -value)
    if isinstance(node, ast.Tuple):
        return tuple(_axis(_evaluate(e, variables, sizes)) for e in node.elts)
    if isinstance(node, ast.Attribute):
        owner = _tensor(_evaluate(node.value, variables, sizes), node.attr)
        sizes.check(node, [owner])
        return sizes.counted(node, getattr(owner, node.attr))
    if isinstance(node, ast.Call):
        args = [_axis(_evaluate(a, variables, sizes)) for a in node.args]
        kwargs = {k.arg: _axis(_evaluate(k.value, variables, sizes)) for k in node.keywords if k.arg}
        if isinstance(node.func, ast.Name):
            name, function, operands = node.func.id, FUNCTIONS[node.func.id], args
        else:
            assert isinstance(node.func, ast.Attribute)
            owner = _tensor(_evaluate(node.func.value, variables, sizes), node.func.attr)
            name, function, operands = node.func.attr, getattr(owner, node.func.attr), [owner, *args]
        sizes.check(node, operands + list(kwargs.values()), matmul=name in ("matmul", "dot"))
        return sizes.counted(node, function(*args, **kwargs))
    raise ExpressionError(f"{_what(node)} is not allowed")  # unreachable after _Checker


class _Sizes:
    """Refuses an intermediate result that would be too big, before it is computed.

    Every allowed operation is a matrix product or gives at most the broadcast shape of its
    operands (elementwise ops, maximum, clip; reductions and reshapes give less), so the
    operands' shapes bound the result's size without computing it.  The graph keeps every
    result alive, so their total is bounded too.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.total = 0  # numbers in all results so far

    def check(self, node: ast.AST, operands: list[Any], matmul: bool = False) -> None:
        shapes = [v.shape if isinstance(v, Tensor) else () for v in operands
                  if isinstance(v, (Tensor, int, float))]  # not tuples: reshape((2, 2)), axis=(0, 1)
        shape = _matmul_shape(shapes[0], shapes[1]) if matmul and len(shapes) == 2 \
            else _broadcast_shape(shapes)
        if shape is None:  # the shapes do not fit: the op itself raises a clear error
            return
        size = math.prod(shape)
        if size > MAX_ELEMENTS:
            raise ExpressionError(
                f"the intermediate {self._show(node)} would have shape {shape}, {size:,} numbers; the "
                f"limit is {MAX_ELEMENTS:,} per intermediate result (MAX_ELEMENTS): use smaller --var values")

    def counted(self, node: ast.AST, result: Any) -> Any:
        """Add ``result`` to the running total (it is at most MAX_ELEMENTS, so the total can
        overshoot by no more than that before it is refused)."""
        if isinstance(result, Tensor):
            self.total += result.size
            if self.total > MAX_TOTAL_ELEMENTS:
                raise ExpressionError(
                    f"with {self._show(node)} the intermediate results add up to "
                    f"{self.total:,} numbers; the limit is {MAX_TOTAL_ELEMENTS:,} in all "
                    "(MAX_TOTAL_ELEMENTS): use a shorter expression or smaller --var values")
        return result

    def _show(self, node: ast.AST) -> str:
        segment = ast.get_source_segment(self.text, node) or _what(node)
        return repr(segment if len(segment) <= 60 else segment[:57] + "...")


def _broadcast_shape(shapes: list[tuple[int, ...]]) -> tuple[int, ...] | None:
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        return None


def _matmul_shape(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...] | None:
    """The shape of ``a @ b`` (NumPy's rules: 1-d operands, broadcast batch dimensions)."""
    if not a or not b or a[-1] != (b[-2] if len(b) > 1 else b[0]):
        return None
    batch = _broadcast_shape([a[:-2], b[:-2]])
    if batch is None:
        return None
    rows = a[-2:-1]  # () for a 1-d left operand
    columns = b[-1:] if len(b) > 1 else ()
    return batch + rows + columns


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
