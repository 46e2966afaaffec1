"""examples/export.py in quick mode: safetensors always; PyTorch and ONNX where installed,
a clean skip where not."""

from __future__ import annotations

import importlib.util

from example_runner import load_example, run_quick

import tinygrad_edu as tg


def test_export_example_round_trips_through_torch_and_onnxruntime(tmp_path):
    result = run_quick("export", tmp_path)
    assert result["accuracy"] >= 0.9
    assert list(tg.load(result["weights"])) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    if importlib.util.find_spec("torch") is not None:
        assert result["torch"]["gap"] < 1e-5 and result["torch"]["gap_back"] < 1e-5
        assert result["torch"]["accuracy"] >= 0.85
    if importlib.util.find_spec("onnx") and importlib.util.find_spec("onnxruntime"):
        assert sorted(result["onnx"]["gaps"]) == [1, 7, 45] and max(result["onnx"]["gaps"].values()) < 1e-5
        nodes = result["onnx"]["nodes"]
        assert nodes.count("MatMul") == 2 and "Relu" in nodes and nodes[-2:] == ["LogSoftmax", "Exp"]
        listing = (tmp_path / "iris_mlp_onnx.txt").read_text(encoding="utf-8")
        assert "weight  fc1.weight (16, 4)" in listing


def test_export_example_skips_torch_and_onnx_cleanly_without_them(tmp_path, monkeypatch, capsys):
    example = load_example("export")
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name in ("torch", "onnx", "onnxruntime") else real(name, *a))
    result = example.main(["--quick", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert result["torch"] is None and result["onnx"] is None and result["accuracy"] >= 0.9
    assert "PyTorch is not installed: skipping" in out and 'pip install "tinygrad-edu[onnx]"' in out
    assert (tmp_path / "iris_mlp.safetensors").is_file() and not (tmp_path / "iris_mlp.onnx").exists()


