"""Layer-level chain rules: text a picture prints, and the same rule in NumPy that a test checks.

A layer (``nn.Linear``, ``nn.Sigmoid``, ``keras.layers.Dense``) or a loss (``F.mse_loss``)
declares next to its code, as ``layer_rule``, what its backward computes in matrix form --
``∂L/∂W = δᵀ·x`` -- the way ops declare ``rules``.  The layer view (``viz.layers``) prints
the texts with each layer's own symbols (``W1``, ``z1``); ``tests/test_layer_view_rules.py``
runs every ``numpy`` beside its text on random inputs and compares it with the engine's
gradient, so a text cannot lie.  Nothing here is used for training: the engine does that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# The symbols a rule text may use, filled in per layer by the picture: ``{x}`` the input,
# ``{out}`` the output, ``{W}`` / ``{b}`` the parameters, ``{z}`` a pre-activation, ``{y}`` a target.
ROLES = ("x", "out", "W", "b", "z", "y")


@dataclass(frozen=True)
class GradRule:
    """One line of a layer's backward: ``∂L/∂{W} = δᵀ·{x}``, and the same rule in NumPy.

    ``wrt`` is the role that receives the gradient.  ``numpy(d, **values)`` computes it from
    ``d`` = δ = ∂L/∂out (the upstream gradient) and the forward values by role name.
    """

    wrt: str
    text: str
    numpy: Callable[..., np.ndarray]


@dataclass(frozen=True)
class LayerRule:
    """A layer's forward in matrix form and the gradient it sends to each input and parameter.

    ``params`` maps a role to the parameter's attribute name (``{"W": "weight"}``).  ``ops``
    lists the primitive-op sequences the layer records; a picture prints the rule only for a
    layer call whose recorded ops are one of them, so a hand-made scope with other ops never
    gets a rule it does not follow.  ``upstream`` names δ, the gradient arriving at the output.
    ``x_ndim`` is the input's rank the texts assume (2 for the matrix rules: one row per
    sample), and ``last_axis`` says the rule reduces along the last axis only (softmax).
    ``applies(nodes, roles)``, when given, checks a call's recorded nodes for the settings the
    texts assume (a convolution's rule is written for stride 1 and one group).
    ``data_input`` is the rule for the call whose input needs no gradient, when that records
    other ops (a first convolution on data: its patch matrix is a constant, not an op).
    """

    forward: tuple[str, ...]
    grads: tuple[GradRule, ...]
    params: tuple[tuple[str, str], ...] = ()
    ops: tuple[tuple[str, ...], ...] = ()
    upstream: str = "δ = ∂L/∂{out}"
    x_ndim: int | None = None
    last_axis: bool = False
    applies: Callable[..., bool] | None = None
    data_input: LayerRule | None = None

    def fill(self, text: str, symbols: dict[str, str]) -> str:
        """``text`` with each ``{role}`` replaced by that layer's symbol (``{W}`` -> ``W1``)."""
        for role in ROLES:
            text = text.replace("{" + role + "}", symbols.get(role, role))
        return text


def elementwise(forward: str, derivative: str, local: Callable[..., np.ndarray],
                ops: tuple[str, ...]) -> LayerRule:
    """The rule of an activation ``out = f(x)``: ``∂L/∂x = δ ⊙ f'(x)``, ``local`` giving f'.

    ``local(x=..., out=...)`` is the elementwise derivative in NumPy (the sigmoid's
    ``out·(1 - out)``, written with the saved output as the tutorial writes it).
    """
    return LayerRule(
        forward=(forward,),
        grads=(GradRule("x", f"∂L/∂{{x}} = δ ⊙ {derivative}",
                        lambda d, **v: d * local(**v)),),
        ops=(ops,),
    )


def softmax_rows(z: np.ndarray) -> np.ndarray:
    """Softmax along the last axis, written the stable way (for the rules' NumPy side)."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def one_hot(labels: np.ndarray, classes: int, dtype: np.dtype) -> np.ndarray:
    """Integer labels as rows of zeros with a one at the label (targets of cross-entropy)."""
    out = np.zeros((labels.size, classes), dtype=dtype)
    out[np.arange(labels.size), labels.reshape(-1)] = 1
    return out.reshape(*labels.shape, classes)
