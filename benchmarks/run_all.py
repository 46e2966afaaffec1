"""Run every benchmark and regenerate the measured part of ``docs/performance.md``.

    python benchmarks/run_all.py            # all benchmarks, rewrites the tables in the doc
    python benchmarks/run_all.py --quick    # shorter runs, prints only (for a smoke check)

Only the text between the GENERATED markers is replaced; the analysis around it is written
by hand and stays.
"""

from __future__ import annotations

import argparse
import datetime
import pathlib
import sys

import harness  # noqa: F401  (pins BLAS threads before numpy loads)
from harness import Table, machine_info

BEGIN, END = "<!-- GENERATED: begin -->", "<!-- GENERATED: end -->"
DOC = pathlib.Path(__file__).resolve().parent.parent / "docs" / "performance.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short runs; do not touch the doc")
    args = parser.parse_args(argv)

    import bench_chain
    import bench_memory
    import bench_mlp
    import bench_overhead
    import bench_xor

    tables = []
    t = Table("MLP 784→128→10 training step (ReLU, softmax cross-entropy, SGD), float32")
    bench_mlp.run(t, batches=(32, 128) if args.quick else (32, 128, 1024))
    tables.append(t)
    t = Table("XOR 2→4→1 sigmoid, full batch, 2000 epochs")
    bench_xor.run(t)
    tables.append(t)
    t = Table("Per-op overhead")
    bench_overhead.run(t)
    tables.append(t)
    t = Table("Long chains x = x * 1.0001 (default recursion limit)")
    bench_chain.run(t, lengths=(1_000, 10_000) if args.quick else (1_000, 10_000, 100_000))
    tables.append(t)
    t = Table("Memory")
    bench_memory.run(t, steps=500 if args.quick else 10_000)
    tables.append(t)

    import profile_step

    stamp = datetime.date.today().isoformat()
    body = "\n".join([f"Measured {stamp} on: {machine_info()}.", "",
                      "Medians over repeated runs; ratios are to hand-written NumPy measured in the "
                      "same process.", ""] + [tb.markdown() for tb in tables]
                     + ["### Where the time goes (profiles)", "", profile_step.run()])
    print(body)
    if args.quick:
        return 0
    text = DOC.read_text() if DOC.exists() else f"# Performance\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text or END not in text:
        print(f"{DOC} lacks the GENERATED markers; not rewriting it", file=sys.stderr)
        return 1
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(f"{head}{BEGIN}\n{body}\n{END}{tail}")
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
