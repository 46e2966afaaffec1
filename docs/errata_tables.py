"""Markdown tables for the "Tutorial errata" page, made from ``tutorial_checks.run_all()``.

Each table is written by ``gen_figures.py`` to ``docs/figures/errata/NAME.md`` and pulled
into the page with a snippet include, so every number on that page is a measured one.
"""

from __future__ import annotations

from typing import Any


def _g(x: float) -> str:
    return f"{x:.3g}"


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def tables(r: dict[str, Any]) -> dict[str, str]:
    out = {}
    p = r["perceptron"]
    out["perceptron"] = _table(
        ["gate", "mistakes per epoch", "epochs with a mistake", "first mistake-free epoch",
         "weight updates", "samples shown until the last mistake"],
        [[g, str(p[g]["mistakes_per_epoch"]), p[g]["epochs_with_mistakes"], p[g]["first_clean_epoch"],
          p[g]["weight_updates"], p[g]["samples_until_last_mistake"]] for g in ("AND", "OR")])
    out["leaky_relu"] = _table(["leaky ReLU", "slope for x < 0 (autograd at x = -2)"],
                               [[k, _g(v)] for k, v in r["leaky_relu"].items()])
    s = r["softmax"]
    out["softmax"] = _table(
        ["input", "tutorial's snippet", "tg.softmax(x, axis=-1)"],
        [["two rows [1, 2, 3] (row sums)", [round(v, 6) for v in s["row_sums_tutorial"]],
          [round(v, 6) for v in s["row_sums_tinygrad"]]],
         ["rows [0, 1] and [1000, 1001], global max but per-row sum (first row)",
          s["far_rows_global_max_row_sum"], s["far_rows_tinygrad"][0]]])
    steps = {v["steps"] for v in r["zero_init"].values()}.pop()
    out["zero_init"] = _table(
        ["hidden activation, gate", "loss at start", f"loss after {steps} steps", "hidden units identical",
         "largest hidden weight", "output bias", "inputs right (of 4)"],
        [[k, _g(v["loss_first"]), _g(v["loss_last"]), "yes" if v["hidden_units_identical"] else "no",
          _g(v["fc1_weight_abs_max"]), _g(v["output_bias"]), v["correct"]]
         for k, v in r["zero_init"].items()])
    b = r["backward"]
    out["backward"] = _table(
        ["tutorial's hand-written gradients compared with autograd's gradient of", "largest difference"],
        [["mean binary cross-entropy, `F.binary_cross_entropy`", f"{b['vs_bce']:.1e}"],
         ["mean squared error, `F.mse_loss` (what the comment says)", f"{b['vs_mse']:.2g}"]])
    lp = r["loss_print"]
    out["loss_print"] = _table(
        ["for a perfect XOR output", "value"],
        [["shape of `output - y` with `y` of shape (4,)", tuple(lp["broadcast_shape"])],
         ["printed \"loss\" `np.mean((output - y)**2)`", _g(lp["printed_for_perfect_output"])],
         ["true MSE", _g(lp["true_mse_for_perfect_output"])]])
    a = r["activation_slopes"]
    out["activation_slopes"] = _table(["activation", "largest slope (autograd at x = 0)"],
                                      [[k, _g(v)] for k, v in a.items()])
    return out
