"""What every example shares: the ``--quick`` / ``--out`` command line, a headless matplotlib,
and a place to save pictures.

Each example is a script with ``main(argv) -> dict``: run as ``python examples/NAME.py
[--quick] [--out DIR]`` it prints its headline numbers and saves its pictures; the test suite
imports it, calls ``main(["--quick", "--out", tmp])`` and asserts on the returned numbers.
"""

from __future__ import annotations

import argparse
import pathlib
from typing import Any


def parse_args(description: str, argv: list[str] | None, default_out: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true",
                        help="smaller data and fewer epochs: finishes in seconds (used by the tests)")
    parser.add_argument("--out", default=default_out,
                        help=f"folder for pictures and text output (default: {default_out})")
    args = parser.parse_args(argv)
    args.out = pathlib.Path(args.out)
    args.out.mkdir(parents=True, exist_ok=True)
    return args


def pyplot() -> Any | None:
    """matplotlib's pyplot on the file-only Agg backend, or None when matplotlib is absent
    (``pip install "tinygrad-edu[plot]"`` adds it); examples then skip their plots."""
    try:
        import matplotlib
    except ImportError:
        print("matplotlib is not installed: skipping plots (pip install 'tinygrad-edu[plot]')")
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig: Any, out: pathlib.Path, name: str) -> pathlib.Path:
    """Save ``fig`` as ``out/name`` (PNG) with fixed metadata so reruns give the same bytes."""
    path = out / name
    fig.savefig(path, dpi=100, metadata={"Software": None})
    import matplotlib.pyplot as plt

    plt.close(fig)
    print(f"saved {path}")
    return path
