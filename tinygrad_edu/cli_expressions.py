"""Expressions typed on the command line, evaluated safely: parsed with ``ast``, never ``eval``.

``tinygrad-edu graph`` (cli.py) hands the text and its ``--var`` tensors to ``evaluate``.  The
tree is checked node by node against an allow-list -- arithmetic, the variables, numbers and
a fixed set of tensor functions -- and every name it does not know is reported in one error,
with the nearest known names.  Its size is bounded before anything runs: the text's length,
the tree's depth, and the size of every intermediate result, worked out from its operands'
shapes before it is computed.
"""

from __future__ import annotations

import ast
import difflib
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from . import functional
from .tensor import Tensor

MAX_CHARS = 2000  # length of the expression
MAX_DEPTH = 100  # levels of nesting; checking and evaluating recurse once or twice per level
MAX_ELEMENTS = 10 ** 6  # numbers in any one intermediate result (4 MB of float32)
MAX_TOTAL_ELEMENTS = 10 ** 7  # numbers in all of them together: the graph keeps every one

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
    checker = _Checker(variables)
    try:
        checker.visit(tree.body)
    except ExpressionError:
        checker.report()  # names met before the disallowed syntax come first, as in the text
        raise
    checker.report()
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
    """Walks the whole tree and rejects every node type that is not on the allow-list.

    Unknown names -- variables, functions, methods, attributes -- are collected rather than
    raised one at a time, so a learner who mistyped two of them hears about both at once.
    """

    def __init__(self, variables: dict[str, Tensor]) -> None:
        self.variables = variables
        self.unknown: dict[str, str] = {}  # name -> what it is used as, in order of appearance

    def report(self) -> None:
        """Raise one ``ExpressionError`` naming every unknown name, with the nearest known ones."""
        if not self.unknown:
            return
        parts = [_unknown_name(name, kind, self.variables) for name, kind in self.unknown.items()]
        if len(parts) == 1:
            raise ExpressionError(parts[0])
        allowed = f"allowed functions: {', '.join(sorted(FUNCTIONS))}"
        raise ExpressionError(f"{len(parts)} unknown names: " + " | ".join(parts) + f" ({allowed})")

    def generic_visit(self, node: ast.AST) -> None:
        raise ExpressionError(f"{_what(node)} is not allowed in an expression; allowed: {_ALLOWED}")

    def visit_Constant(self, node: ast.Constant) -> None:
        if type(node.value) not in (int, float, bool):
            raise ExpressionError(f"the constant {node.value!r} is not allowed; only numbers are")

    def visit_Name(self, node: ast.Name) -> None:
        if node.id not in self.variables:
            self.unknown.setdefault(node.id, "variable")

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
            self.unknown.setdefault("." + node.attr, "attribute")
        self.visit(node.value)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name):
            if func.id not in FUNCTIONS:
                self.unknown.setdefault(func.id, "function")
        elif isinstance(func, ast.Attribute):
            if func.attr not in METHODS:
                self.unknown.setdefault("." + func.attr + "()", "method")
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


def _unknown_name(name: str, kind: str, variables: dict[str, Tensor]) -> str:
    """``the function 'sigmod' is not allowed (did you mean sigmoid?)``: one unknown name."""
    bare = name.strip(".()")
    if kind == "variable" and bare in FUNCTIONS:
        return f"unknown name {bare!r} (it is a function: call it, e.g. {bare}(a))"
    known = {"variable": [*variables, *FUNCTIONS], "function": [*FUNCTIONS, *variables],
             "method": sorted(METHODS), "attribute": sorted(PROPERTIES | METHODS)}[kind]
    close = difflib.get_close_matches(bare, known, n=3, cutoff=0.6)
    text = {"variable": f"unknown name {bare!r}", "function": f"the function {bare!r} is not allowed",
            "method": f"the method {name} is not allowed",
            "attribute": f"the attribute {name} is not allowed (only .T, or a method call)"}[kind]
    if close:
        shown = [c + "()" if kind == "method" or c in FUNCTIONS else c for c in close]
        text += f" (did you mean {' or '.join(shown)}?)"
    if kind == "variable":
        text += f"; define it with --var {bare}=VALUE"
    return text


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
