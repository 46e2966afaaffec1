"""Run a PyTorch-style program under tinygrad_edu (only the import line switched) and torch.

The programs in ``test_torch_autograd_*.py`` are written as a tutorial reader would write
them, starting with ``import torch``; each runs in a fresh interpreter so nothing leaks.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(program: str, under: str) -> str:
    """The program's stdout, with ``import torch`` kept (``under="torch"``) or switched."""
    if under == "tinygrad_edu":
        program = program.replace("import torch\n", "import tinygrad_edu as torch\n", 1)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def torch_installed() -> bool:
    return importlib.util.find_spec("torch") is not None
