"""The ``tinygrad-edu`` command line.  ``demo`` shows an expression, its gradients and the
chain rule step by step, in the order the engine ran it."""

from __future__ import annotations

import argparse

import numpy as np

from . import autograd
from .tensor import Tensor


class _PrintSteps:
    """A tracer that prints each backward step as the engine runs it."""

    def on_step(self, node, output, grad_out, grads):
        names = ", ".join(t.name or "?" for t in node.inputs)
        print(f"  {node.name}({names}) -> {output.name or '?'}: upstream {grad_out.data}")
        for inp, rule, g in zip(node.inputs, node.rules or ("",) * len(grads), grads):
            if g is not None:
                print(f"      {rule:<22} contribution to {inp.name or '?'}: {g.data}")

    def on_accumulate(self, tensor, previous, contribution, total):
        print(f"      {tensor.name or '?'} is used twice: "
              f"{previous.data} + {contribution.data} = {total.data}")


def demo() -> int:
    a = Tensor(2.0, requires_grad=True, name="a")
    b = Tensor(-3.0, requires_grad=True, name="b")
    c = Tensor(10.0, requires_grad=True, name="c")
    e = a * b
    e.name = "e"
    d = e + c
    d.name = "d"
    L = d * d
    L.name = "L"
    print("L = (a*b + c)**2 with a=2, b=-3, c=10  ->  L =", L.item())
    print("backward, one step per op:")
    seed = Tensor(np.ones((), dtype=L.dtype))
    autograd.run_backward([L], [seed], retain_graph=True, create_graph=False, capture=[a, b, c],
                          tracer=_PrintSteps())
    L.backward()
    grads = [t.grad.item() for t in (a, b, c) if t.grad is not None]
    print("dL/da = {:g}, dL/db = {:g}, dL/dc = {:g}".format(*grads))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tinygrad-edu", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="show an expression, its gradients and the chain rule")
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo()
    return 2
