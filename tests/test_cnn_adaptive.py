"""Adaptive pooling, channel dropout and Unflatten: against torch.nn where installed, and by
their definitions (cells, whole maps dropped) everywhere."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.gradcheck import gradcheck
from tinygrad_edu.nn import functional as F


def _x(shape=(2, 3, 7, 5)) -> np.ndarray:
    return np.random.default_rng(0).normal(size=shape)


@pytest.mark.parametrize("size", [1, (1, 1), 2, (3, 2), (7, 5), (4, None)])
@pytest.mark.parametrize("kind", ["avg", "max"])
def test_adaptive_pooling_matches_torch(size, kind):
    torch = pytest.importorskip("torch")
    x = _x()
    ours = tg.Tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    out = getattr(F, f"adaptive_{kind}_pool2d")(ours, size)
    ref = getattr(torch.nn.functional, f"adaptive_{kind}_pool2d")(theirs, size)
    upstream = np.cos(np.arange(out.size)).reshape(out.shape)
    (out * tg.Tensor(upstream)).sum().backward()
    (ref * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_adaptive_average_cells_overlap_as_defined():
    x = np.arange(5.0).reshape(1, 1, 1, 5)  # 5 columns into 3 cells: 0-1, 1-3, 3-4
    out = F.adaptive_avg_pool2d(tg.Tensor(x), (1, 3))
    np.testing.assert_allclose(out.data.ravel(), [0.5, 2.0, 3.5])
    image = tg.Tensor(_x((1, 2, 5, 4)), requires_grad=True)
    assert gradcheck(lambda t: F.adaptive_avg_pool2d(t, (2, 3)), [image])


def test_global_average_pooling_layer():
    x = _x()
    out = nn.AdaptiveAvgPool2d((1, 1))(tg.Tensor(x))
    np.testing.assert_allclose(out.data, x.mean(axis=(2, 3), keepdims=True))
    with pytest.raises(ValueError, match=r"output_size must be a positive integer"):
        nn.AdaptiveAvgPool2d(0)


def test_dropout2d_drops_whole_maps_scales_the_rest_and_is_seeded():
    x = np.ones((8, 6, 4, 4))
    tg.manual_seed(3)
    layer = nn.Dropout2d(0.5)
    out = layer(tg.Tensor(x)).data
    per_map = out.reshape(8, 6, -1)
    assert np.all((per_map == 0).all(axis=2) | (per_map == 2.0).all(axis=2))  # all or nothing
    assert 0 < (per_map == 0).all(axis=2).sum() < 48
    tg.manual_seed(3)
    np.testing.assert_array_equal(layer(tg.Tensor(x)).data, out)
    layer.eval()
    np.testing.assert_array_equal(layer(tg.Tensor(x)).data, x)
    with pytest.raises(ValueError, match=r"expected \(N, C, H, W\) or \(C, H, W\)"):
        F.dropout2d(tg.ones(4, 4))


def test_unflatten_splits_one_dimension():
    out = nn.Unflatten(1, (1, 8, 8))(tg.zeros(3, 64))
    assert out.shape == (3, 1, 8, 8)
    with pytest.raises(ValueError, match=r"size 64 of dimension 1 .* cannot become \(3, 3\)"):
        nn.Unflatten(1, (3, 3))(tg.zeros(3, 64))


def test_a_global_average_pooling_cnn_exports_to_onnx(tmp_path):
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    tg.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding="same"), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                          nn.Flatten(), nn.Linear(4, 2))
    x = np.random.default_rng(1).normal(size=(5, 1, 6, 6)).astype(np.float32)
    path = tmp_path / "gap.onnx"
    tg.onnx.export(model, x, path)
    onnx.checker.check_model(onnx.load(str(path)))
    (got,) = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"input": x[:3]})
    with tg.no_grad():
        np.testing.assert_allclose(got, model(tg.Tensor(x[:3])).data, rtol=1e-5, atol=1e-6)
