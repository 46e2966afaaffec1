"""Rules that name the tensors they are about: ``∂(a·b)/∂a = b`` instead of ``∂(x·y)/∂x = y``.

Each op declares its local rules with template letters (``x`` for its first input, ``y`` for
its second, ``X``/``Y`` for a matmul's, ``c`` for a constant exponent).  When a learner's own
variables are called ``x`` or ``y``, a template letter would be ambiguous on a picture of
``y * x``; substituting the real input names removes the question.  Pictures pass
``named_rules(labels)`` where they would call ``explain.rule_text``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..explain import rule_text
from ..formatting import format_number

# Which template letter stands for which input, by op; ``x, y`` for every other op.
_LETTERS = {"MatMul": ("X", "Y")}
_STANDALONE = r"(?<![A-Za-z0-9_]){}(?![A-Za-z0-9_])"  # a letter that is not part of a word


def named_rules(labels: dict[int, str]) -> Callable[[Any, int], str]:
    """A ``rule_text(node, index)`` that writes the inputs' names (``labels``: id -> name)."""

    def rule(node: Any, index: int) -> str:
        names = [labels.get(id(t), f"input {k}") for k, t in enumerate(node.inputs)]
        return name_rule(rule_text(node, index), type(node).__name__, names, node.options)

    return rule


def name_rule(template: str, op: str, names: list[str], options: dict[str, Any] | None = None) -> str:
    """Substitute the inputs' ``names`` for the template letters of ``op``'s rule.

    ``eˣ`` becomes ``exp(a)`` (a variable called ``e`` must not read as Euler's number), a
    superscript input becomes ``^name``, a constant exponent ``c`` becomes its value, a
    matmul's upstream ``G`` becomes the word ``upstream``.  A template this does not
    understand is returned as it is, never half rewritten.
    """
    letters = _LETTERS.get(op, ("x", "y"))
    if len(names) > len(letters):
        return template
    exponent = (options or {}).get("exponent")
    if "ᶜ" in template and exponent is None:
        return template
    c = float(exponent) if exponent is not None else 0.0
    by_letter = dict(zip(letters, names))
    second = names[1] if len(names) > 1 else "y"
    # One pass over the template, so a name that is itself a template letter (a variable
    # called y) is never substituted a second time.
    replacements = {"(eˣ)": f"exp({names[0]})", "eˣ": f"exp({names[0]})",
                    "ʸ⁻¹": f"^({second}-1)", "ʸ": f"^{second}",
                    "ᶜ⁻¹": "" if c - 1 == 1 else f"^{format_number(c - 1)}", "ᶜ": f"^{format_number(c)}"}
    if exponent is not None:
        replacements["c"] = format_number(c)
    if op == "MatMul":
        replacements["G"] = "upstream"
    replacements.update(by_letter)
    words = sorted((w for w in replacements if len(w) == 1 and w.isascii()), key=len)
    symbols = sorted((w for w in replacements if w not in words), key=len, reverse=True)
    pattern = "|".join([*map(re.escape, symbols), *(_STANDALONE.format(w) for w in words)])
    return re.sub(pattern, lambda m: replacements[m.group(0)], template)
