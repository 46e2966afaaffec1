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


def test_every_primitive_that_a_forward_pass_can_record_has_an_onnx_form():
    import importlib
    import inspect
    import pkgutil

    from tinygrad_edu import ops
    from tinygrad_edu.function import Function

    backward_only = {"ScatterAdd", "Col2im"}  # adjoints of GetItem, Im2col: only in a backward pass
    modules = [importlib.import_module(f"{ops.__name__}.{m.name}")
               for m in pkgutil.iter_modules(ops.__path__)]
    classes = [c for module in modules for _, c in inspect.getmembers(module, inspect.isclass)
               if issubclass(c, Function) and c.__module__ == module.__name__]
    assert len(classes) >= 25
    missing = sorted(c.__name__ for c in classes
                     if not hasattr(c, "onnx") and c.__name__ not in backward_only)
    assert not missing, f"ops without an onnx(ctx, b) method before their forward: {missing}"
    for c in classes:  # the ONNX form stands right before forward, in every class that has one
        if hasattr(c, "onnx"):
            names = [n for n in vars(c) if n in ("onnx", "forward")]
            assert names == ["onnx", "forward"], c.__name__
