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
                      "### Where the time goes (profiles)", "", profile_step.run()])
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


if __name__ == "__main__":
    raise SystemExit(main())
