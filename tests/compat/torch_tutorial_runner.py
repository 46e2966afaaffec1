"""Run one small PyTorch-style program under tinygrad_edu (and under torch, if installed).

A program is plain text written against ``torch``; the runner prepends the one import line
(``import tinygrad_edu as torch`` or ``import torch``) and runs it in a fresh interpreter, so
nothing but that line differs between the two runs.  ``numbers`` reads back what it printed.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
HAS_TORCH = importlib.util.find_spec("torch") is not None
IMPORTS = {"tinygrad_edu": "import tinygrad_edu as torch\n", "torch": "import torch\n"}
_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def run(program: str, framework: str = "tinygrad_edu") -> str:
    """The program's printed output, run with ``framework`` imported as ``torch``."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, "-c", IMPORTS[framework] + program], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{framework} run failed:\n{done.stderr[-3000:]}"
    return done.stdout


# Parts of a tensor's repr that differ between the frameworks and are not results.
_REPR_DETAILS = re.compile(r"dtype=[\w.]+|grad_fn=<\w+>|op=\w+|device='?\w+'?|requires_grad=\w+")


def numbers(output: str) -> np.ndarray:
    """Every number printed, in order (ignoring dtype names and other repr details)."""
    return np.array([float(n) for n in _NUMBER.findall(_REPR_DETAILS.sub("", output))])


def check_same_as_torch(program: str, ours: str, rtol: float, atol: float = 0.0) -> None:
    """With torch installed: the same program under torch prints the same numbers."""
    if not HAS_TORCH:
        return
    theirs = run(program, "torch")
    np.testing.assert_allclose(numbers(ours), numbers(theirs), rtol=rtol, atol=atol,
                               err_msg=f"tinygrad_edu:\n{ours}\ntorch:\n{theirs}")
