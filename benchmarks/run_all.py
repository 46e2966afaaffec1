"""Run every benchmark and regenerate the measured part of ``docs/performance.md``.

    python benchmarks/run_all.py            # all workloads, 21 rounds; rewrites the doc (make bench)
    python benchmarks/run_all.py --quick    # 5 rounds, prints only (a smoke check)

It runs the interleaved harness (bench.py) on every workload, the peak-RSS processes
(rss.py), the leak check over 10,000 steps (bench_memory.py) and the profiles that explain
the misses (profile_step.py).  Only the text between the GENERATED markers is replaced; the
analysis around it is written by hand and stays.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import harness  # noqa: F401  (pins BLAS threads before numpy loads)

BEGIN, END = "<!-- GENERATED: begin -->", "<!-- GENERATED: end -->"
DOC = pathlib.Path(__file__).resolve().parent.parent / "docs" / "performance.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="5 rounds; do not touch the doc")
    parser.add_argument("--rounds", type=int, default=21, help="interleaved rounds (at least 15)")
    args = parser.parse_args(argv)
    if not args.quick and args.rounds < 15:
        parser.error("the doc needs at least 15 rounds")

    import bench
    import bench_memory
    import profile_step

    results = bench.run(bench.KEYS, 5 if args.quick else args.rounds)
    memory = bench_memory.Table("Leak check")
    bench_memory.run(memory, steps=500 if args.quick else 10_000)
    body = "\n".join([bench.report(results), memory.markdown(),
                      "### Where the time goes (profiles)", "", profile_step.run(),
                      *compiled_xor_source()])
    print(body)
    if args.quick:
        return 0
    text = DOC.read_text()
    if BEGIN not in text or END not in text:
        print(f"{DOC} lacks the GENERATED markers; not rewriting it", file=sys.stderr)
        return 1
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(f"{head}{BEGIN}\n{body}\n{END}{tail}")
    print(f"wrote {DOC}")
    return 0


def compiled_xor_source() -> list[str]:
    """The XOR epoch (2→4→1 sigmoid net, BCE, SGD) as ``tg.compile`` writes it, for the doc."""
    import numpy as np

    import tinygrad_edu as tg
    if not hasattr(tg, "compile"):
        return []

    class Net(tg.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc1, self.fc2 = tg.nn.Linear(2, 4), tg.nn.Linear(4, 1)

        def forward(self, x: tg.Tensor) -> tg.Tensor:
            return self.fc2(self.fc1(x).sigmoid()).sigmoid()

    tg.manual_seed(0)
    X = tg.tensor(np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32))
    Y = tg.tensor(np.array([[0], [1], [1], [0]], np.float32))
    model = Net()
    opt = tg.optim.SGD(model.parameters(), lr=5.0)

    def epoch() -> tg.Tensor:
        opt.zero_grad()
        loss = tg.nn.functional.binary_cross_entropy(model(X), Y)
        loss.backward()
        opt.step()
        return loss

    step = tg.compile(epoch)
    step()
    step()
    return ["### The compiled XOR epoch (`print(step.source)`)", "",
            "One line per NumPy call the engine made: forward, backward, update.", "",
            "```python", step.source.rstrip(), "```", ""]


if __name__ == "__main__":
    raise SystemExit(main())
