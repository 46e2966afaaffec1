"""The chapter "Forward or reverse?": its table is the Jacobian benchmark's output, and the
claims its prose makes about that table hold in the committed measurement."""

import json
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS))
import jacobian_cost  # noqa: E402  (docs/ is not a package)

RESULTS = json.loads((ROOT / "benchmarks" / "results" / "jacobian_cost.json").read_text(encoding="utf-8"))
CELLS = {(c["n"], c["m"]): c for c in RESULTS["cells"]}
CHAPTER = (DOCS / "guide" / "11-forward-or-reverse.md").read_text(encoding="utf-8")


def test_the_chapter_includes_the_table_made_from_the_benchmark_json():
    assert '--8<-- "figures/forward_reverse/jacobian_cost.md"' in CHAPTER
    committed = (DOCS / "figures" / "forward_reverse" / "jacobian_cost.md").read_text(encoding="utf-8")
    assert committed == jacobian_cost.table(RESULTS), (
        "docs/figures/forward_reverse/jacobian_cost.md is not the table of "
        "benchmarks/results/jacobian_cost.json; run python docs/gen_figures.py --full")


def test_the_benchmark_covers_the_grid_with_n_forward_and_m_backward_passes():
    assert set(CELLS) == {(n, m) for n in (1, 10, 100, 1000) for m in (1, 10, 100, 1000)}
    for (n, m), c in CELLS.items():
        assert (c["forward_passes"], c["backward_passes"]) == (n, m)
        assert c["jacfwd_seconds"] > 0 and c["jacrev_seconds"] > 0 and c["rounds"] >= 3


@pytest.mark.parametrize("k", [100, 1000])
def test_the_chapters_reading_of_the_table(k):
    # one output, many inputs: reverse wins by a wide margin; one input, many outputs: forward
    assert CELLS[(k, 1)]["jacrev_seconds"] * 10 < CELLS[(k, 1)]["jacfwd_seconds"]
    assert CELLS[(1, k)]["jacfwd_seconds"] * 10 < CELLS[(1, k)]["jacrev_seconds"]
    assert CELLS[(1000, 1)]["jacrev_seconds"] < 1e-3  # "jacrev stays under a millisecond"


def test_table_cells_are_forward_slash_reverse_with_the_faster_in_bold():
    table = jacobian_cost.table({"function": "f", "measured": "today", "machine": "here", "cells": [
        {"n": 1, "m": 1, "jacfwd_seconds": 0.001, "jacrev_seconds": 0.002, "rounds": 9},
        {"n": 1, "m": 2, "jacfwd_seconds": 2.5, "jacrev_seconds": 0.0004, "rounds": 3}]})
    assert "| n = 1 | **1** / 2 | 2,500 / **0.4** |" in table
    assert "median of 3–9 alternating runs" in table


def test_performance_page_quotes_the_forward_mode_base_comparison():
    """The "no cost to programs that do not use it" table is the committed --base run."""
    page = (DOCS / "performance.md").read_text(encoding="utf-8")
    runs = json.loads((ROOT / "benchmarks" / "results" / "forward_mode_vs_main.json").read_text(
        encoding="utf-8"))
    rows = 0
    for workload in runs:
        for api in ("raw", "nn"):
            v = workload["variants"].get(api)
            if v and "vs_base" in v:
                median, (lo, hi) = v["vs_base"]
                assert f"| {workload['title']} | {api} | {median:.3f} | {lo:.3f}–{hi:.3f} |" in page
                assert lo < 1 < hi  # the page's claim: every interval contains 1
                rows += 1
    assert rows == 7
