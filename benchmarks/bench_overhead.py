"""Per-op overhead: ``(a*b + c).sum().backward()`` on 4x4 tensors, in µs per iteration.

At this size NumPy's arithmetic costs well under a microsecond, so the numbers measure the
framework's bookkeeping: creating nodes, ordering the graph, running backward rules.  The
baseline is the same forward and backward written by hand in NumPy.
"""

from __future__ import annotations

import harness  # noqa: F401  (pins BLAS threads before numpy loads)
import numpy as np
from harness import Table, median_time, try_import_torch

import tinygrad_edu as tg


def run(table: Table) -> dict[str, float]:
    rng = np.random.default_rng(0)
    a_np, b_np, c_np = (rng.standard_normal((4, 4)).astype(np.float32) for _ in range(3))

    def numpy_by_hand() -> None:
        out = (a_np * b_np + c_np).sum()
        g = np.ones_like(a_np)  # d(sum)/d(a*b+c)
        grad_a, grad_b, grad_c = g * b_np, g * a_np, g
        del out, grad_a, grad_b, grad_c

    a = tg.Tensor(a_np, requires_grad=True)
    b = tg.Tensor(b_np, requires_grad=True)
    c = tg.Tensor(c_np, requires_grad=True)

    def tinygrad_edu_step() -> None:
        a.grad = b.grad = c.grad = None
        (a * b + c).sum().backward()

    results = {"numpy": median_time(numpy_by_hand, repeats=21, number=2000),
               "tinygrad_edu": median_time(tinygrad_edu_step, repeats=21, number=2000)}
    torch = try_import_torch()
    if torch is not None:
        ta, tb, tc = (torch.tensor(x, requires_grad=True) for x in (a_np, b_np, c_np))

        def torch_step() -> None:
            ta.grad = tb.grad = tc.grad = None
            (ta * tb + tc).sum().backward()

        results["torch"] = median_time(torch_step, repeats=21, number=2000)
    base = results["numpy"]
    for name, seconds in results.items():
        table.add("4x4 (a*b+c).sum().backward()", name, seconds, base, unit="us",
                  note="target <= 35 us" if name == "tinygrad_edu" else "")
    return results


if __name__ == "__main__":
    t = Table("Per-op overhead")
    run(t)
    t.print()
