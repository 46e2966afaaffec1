"""ONNX export of convolutional networks: conv (stride, padding, dilation, groups), pooling,
padding, BatchNorm in eval mode and the Keras image layers match onnxruntime at batch sizes
1, 7 and 32 (skipped without onnx and onnxruntime)."""

from __future__ import annotations

import numpy as np
import pytest
from example_runner import load_example

import tinygrad_edu as tg
from tinygrad_edu import keras, nn

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

BATCHES = (1, 7, 32)


def _images(n: int, shape: tuple[int, ...]) -> np.ndarray:
    return np.random.default_rng(n).normal(size=(n, *shape)).astype(np.float32)


def _check_all_batches(model, tmp_path, shape: tuple[int, ...], tol: float = 1e-5) -> None:
    """Export at batch 7, then run the file at every batch size against the model itself."""
    path = tmp_path / "cnn.onnx"
    tg.onnx.export(model, _images(7, shape), path)
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    if isinstance(model, nn.Module):
        model.eval()
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for n in BATCHES:
        x = _images(n, shape)
        (got,) = session.run(None, {"input": x})
        with tg.no_grad():
            want = model(tg.Tensor(x)).data
        assert got.shape == want.shape == (n, *want.shape[1:])
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def test_the_cnn_of_the_digits_example_matches(tmp_path):
    example = load_example("cnn_digits")
    tg.manual_seed(0)
    model = example.make_cnn()
    model.train()
    with tg.no_grad():  # a few training-mode batches, so the running statistics are not trivial
        for seed in range(3):
            model(tg.Tensor(_images(16 + seed, (1, 8, 8)) * 2 + 1))
    _check_all_batches(model, tmp_path, (1, 8, 8))


@pytest.mark.parametrize("conv", [
    dict(kernel_size=3),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(2, 3), padding=(1, 0), dilation=2),
    dict(kernel_size=3, padding=1, groups=2, bias=False),
])
def test_convolutions_with_every_option(tmp_path, conv):
    tg.manual_seed(1)
    model = nn.Sequential(nn.Conv2d(4, 6, **conv), nn.Tanh())
    _check_all_batches(model, tmp_path, (4, 9, 10))


def test_pooling_padding_and_layer_norm(tmp_path):
    tg.manual_seed(2)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(2, 3, 3)
            self.pool = nn.MaxPool2d(2, stride=1, padding=1)
            self.avg = nn.AvgPool2d(2)
            self.norm = nn.LayerNorm(3)

        def forward(self, x):
            x = nn.functional.pad(x, (1, 2, 0, 1))
            x = self.avg(self.pool(self.conv(x).relu()))
            return self.norm(x.permute(0, 2, 3, 1))

    _check_all_batches(Net(), tmp_path, (2, 8, 8))


def test_a_keras_cnn_channels_last(tmp_path):
    tg.manual_seed(3)
    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.AveragePooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(3, activation="softmax"),
    ])
    _check_all_batches(model, tmp_path, (8, 8, 1))
