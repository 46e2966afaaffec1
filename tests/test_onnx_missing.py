"""Without the onnx package, tg.onnx still imports and export says what to install."""

from __future__ import annotations

import subprocess
import sys

import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn


def test_export_without_onnx_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # makes `import onnx` fail, as when absent
    with pytest.raises(ImportError, match=r'pip install "tinygrad-edu\[onnx\]"'):
        tg.onnx.export(nn.Linear(2, 1), [[1.0, 2.0]], tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_tg_onnx_loads_without_importing_onnx():
    code = "import sys, tinygrad_edu as tg; tg.onnx.export; print('onnx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
