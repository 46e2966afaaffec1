"""ONNX export: every model family of the examples passes onnx.checker and gives
tinygrad_edu's outputs in onnxruntime at batch sizes 1, 7 and 32 (skipped without onnx and
onnxruntime); what has no ONNX form is a clear error naming the op and the layer."""

from __future__ import annotations

import numpy as np
import pytest
from example_runner import load_example

import tinygrad_edu as tg
from tinygrad_edu import keras, nn
from tinygrad_edu.onnx import CannotExport

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

BATCHES = (1, 7, 32)


def _run(path, feeds: dict) -> list[np.ndarray]:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def _ours(model, *xs: np.ndarray) -> np.ndarray:
    with tg.no_grad():
        return model(*[tg.Tensor(x) for x in xs]).data


def _inputs(n: int, features: int, dtype=np.float32) -> np.ndarray:
    return (np.random.default_rng(n).normal(size=(n, features)) * 2).astype(dtype)


def _check_all_batches(model, tmp_path, features: int, dtype=np.float32, tol: float = 1e-5) -> None:
    """Export at batch 7, then run the file at every batch size against the model itself."""
    path = tmp_path / "model.onnx"
    tg.onnx.export(model, _inputs(7, features, dtype), path)
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    if isinstance(model, nn.Module):
        model.eval()  # the export ran in eval mode; compare with that
    for n in BATCHES:
        x = _inputs(n, features, dtype)
        (got,) = _run(path, {"input": x})
        want = _ours(model, x)
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


@pytest.mark.parametrize("activation", sorted(nn.layers.ACTIVATIONS))
@pytest.mark.parametrize("output_activation", [None, "sigmoid", "softmax"])
def test_mlps_with_every_activation_match_in_onnxruntime(tmp_path, activation, output_activation):
    tg.manual_seed(0)
    model = nn.MLP([4, 8, 6, 3], activation=activation, output_activation=output_activation)
    _check_all_batches(model, tmp_path, 4)


@pytest.mark.parametrize("layer", [nn.SiLU, nn.GELU, nn.Mish, nn.Softplus, nn.ReLU6, nn.Hardswish,
                                   nn.Dropout])
def test_the_other_activation_layers_export(tmp_path, layer):
    tg.manual_seed(0)
    _check_all_batches(nn.Sequential(nn.Linear(4, 6), layer(), nn.Linear(6, 2)), tmp_path, 4)


def test_float64_models_export_in_float64(tmp_path):
    tg.manual_seed(0)
    model = nn.MLP([3, 5, 1], activation="tanh", dtype=np.float64)  # as universal_approximation.py
    _check_all_batches(model, tmp_path, 3, dtype=np.float64, tol=1e-12)


def test_the_examples_softmax_classifier_and_xor_network(tmp_path):
    tg.manual_seed(0)
    _check_all_batches(nn.MLP([64, 32, 10], activation="relu"), tmp_path, 64)  # classification.py
    _check_all_batches(nn.MLP([2, 4, 1], activation="sigmoid", output_activation="sigmoid"),
                       tmp_path, 2)  # xor_mlp.py


def test_the_examples_autoencoder_and_its_encoder(tmp_path):
    autoencoder = load_example("autoencoder")
    tg.manual_seed(0)
    model = autoencoder.Autoencoder()
    _check_all_batches(model, tmp_path, 64)
    _check_all_batches(model.encoder, tmp_path, 64)


def test_the_perceptron_exports_its_step(tmp_path):
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    model = nn.Perceptron(2, lr=0.01, epochs=20, dtype=np.float64).fit(X, np.array([0, 0, 0, 1]))
    path = tmp_path / "p.onnx"
    tg.onnx.export(lambda x: model(x).step(), X, path)  # forward is z = w·x + b; predict steps it
    (got,) = _run(path, {"input": X})
    np.testing.assert_array_equal(got, model.predict(X))
    assert "GreaterOrEqual" in [n.op_type for n in onnx.load(str(path)).graph.node]


def test_keras_sequential_models_match(tmp_path):
    tg.manual_seed(0)
    model = keras.Sequential([  # keras_and_pytorch_style.py's model, plus a Dropout
        keras.layers.Dense(64, activation="relu", input_shape=(4,)),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid")])
    model.build((4,))
    _check_all_batches(model, tmp_path, 4)
    classifier = keras.Sequential([keras.layers.Dense(8, activation="tanh", input_shape=(5,)),
                                   keras.layers.Dense(3), keras.layers.Softmax()])
    classifier.build((5,))
    _check_all_batches(classifier, tmp_path, 5)


def test_a_keras_functional_model_with_two_inputs(tmp_path):
    tg.manual_seed(0)
    a, b = keras.Input(shape=(3,)), keras.Input(shape=(2,))
    joined = keras.layers.Concatenate()([keras.layers.Dense(4)(a), keras.layers.Dense(4)(b)])
    out = keras.layers.Add()([keras.layers.Dense(2)(joined), keras.layers.Dense(2)(joined)])
    model = keras.Model(inputs=[a, b], outputs=out)
    path = tmp_path / "two.onnx"
    tg.onnx.export(model, (_inputs(7, 3), _inputs(7, 2)), path, input_names=["a", "b"],
                   output_names=["y"])
    for n in BATCHES:
        xa, xb = _inputs(n, 3), _inputs(n + 100, 2)[:n]
        (got,) = _run(path, {"a": xa, "b": xb})
        with tg.no_grad():
            want = model([tg.Tensor(xa), tg.Tensor(xb)]).data
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_an_embedding_lookup_is_a_gather(tmp_path):
    tg.manual_seed(0)
    model = nn.Sequential(nn.Embedding(10, 3), nn.Flatten(), nn.Linear(6, 2))
    path = tmp_path / "emb.onnx"
    tg.onnx.export(model, np.array([[1, 2], [3, 4]]), path)
    for n in BATCHES:
        ids = np.random.default_rng(n).integers(0, 10, size=(n, 2))
        (got,) = _run(path, {"input": ids})
        np.testing.assert_allclose(got, _ours(model, ids), rtol=1e-6, atol=1e-6)


def test_parameters_keep_their_dotted_names_and_the_batch_is_symbolic(tmp_path):
    tg.manual_seed(0)
    model = nn.MLP([4, 8, 3], activation="relu")
    proto = tg.onnx.export(model, _inputs(2, 4), tmp_path / "m.onnx", input_names=["pixels"],
                           output_names=["logits"])
    assert model.training  # exported in eval mode, then put back
    g = proto.graph
    weights = {t.name: tuple(t.dims) for t in g.initializer}
    assert {k: weights[k] for k in ("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias")} == {
        "fc1.weight": (8, 4), "fc1.bias": (8,), "fc2.weight": (3, 8), "fc2.bias": (3,)}
    np.testing.assert_array_equal(onnx.numpy_helper.to_array(
        next(t for t in g.initializer if t.name == "fc1.weight")), model.fc1.weight.data)
    assert [v.name for v in g.input] == ["pixels"] and [v.name for v in g.output] == ["logits"]
    dims = [(d.dim_param, d.dim_value) for d in g.output[0].type.tensor_type.shape.dim]
    assert dims == [("batch", 0), ("", 3)]
    listing = tg.onnx.listing(proto)
    assert "MatMul(pixels, transpose_0) -> matmul_0" in listing
    assert "weight  fc1.weight (8, 4)" in listing and "output  logits (batch, 3)" in listing


def test_a_fixed_batch_export_has_fixed_shapes(tmp_path):
    tg.manual_seed(0)
    proto = tg.onnx.export(nn.Linear(4, 2), _inputs(5, 4), tmp_path / "m.onnx", dynamic_batch=False)
    dims = [d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim]
    assert dims == [5, 4]
    assert "Shape" not in [n.op_type for n in proto.graph.node]  # every shape is a constant


def test_the_same_model_gives_a_byte_identical_file(tmp_path):
    def build():
        tg.manual_seed(3)
        return nn.MLP([4, 8, 3], activation="leaky_relu", output_activation="softmax")
    tg.onnx.export(build(), _inputs(3, 4), tmp_path / "a.onnx")
    tg.onnx.export(build(), _inputs(3, 4), tmp_path / "b.onnx")
    assert (tmp_path / "a.onnx").read_bytes() == (tmp_path / "b.onnx").read_bytes()


def test_a_function_of_tensors_exports_with_its_captured_weights(tmp_path):
    w = tg.Tensor(np.arange(6, dtype=np.float32).reshape(3, 2) / 10, requires_grad=True, name="w")
    fn = lambda x: (x @ w).tanh().sum(axis=1, keepdims=True) + x[:, 1:2] ** 2  # noqa: E731
    path = tmp_path / "f.onnx"
    proto = tg.onnx.export(fn, _inputs(4, 3), path)
    assert "w" in [t.name for t in proto.graph.initializer]
    for n in BATCHES:
        x = _inputs(n, 3)
        (got,) = _run(path, {"input": x})
        np.testing.assert_allclose(got, _ours(fn, x), rtol=1e-5, atol=1e-6)


# -- what cannot be exported, said clearly --------------------------------------------------------
class Cube(tg.Function):
    """y = x**3;  dy/dx = 3 x**2 (a user's op: it has no ONNX form)"""

    def forward(ctx, x):
        return x ** 3

    def backward(ctx, grad_out):
        (x,) = ctx.inputs
        return grad_out * 3 * x ** 2


class CubeLayer(nn.Module):
    def forward(self, x):
        return Cube.apply(x)


def test_an_op_without_an_onnx_form_is_named_with_its_layer(tmp_path):
    model = nn.Sequential(nn.Linear(3, 2), CubeLayer())
    with pytest.raises(CannotExport, match=r"Cube in Sequential / 1: CubeLayer: Cube has no ONNX form"):
        tg.onnx.export(model, _inputs(2, 3), tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_a_constant_that_changes_with_the_batch_is_refused(tmp_path):
    lin = nn.Linear(3, 2)
    with pytest.raises(CannotExport, match=r"Mul: its input 1 is a constant of shape \(\) that changes"):
        tg.onnx.export(lambda x: lin(x).mean(), _inputs(4, 3), tmp_path / "m.onnx")
    with pytest.raises(CannotExport, match=r"Mul: its input 1 is a constant of shape \(4, 2\)"):
        tg.onnx.export(lambda x: lin(x) * lin(x).detach(), _inputs(4, 3), tmp_path / "m.onnx")


def test_a_dimension_that_is_not_the_batch_must_not_vary(tmp_path):
    with pytest.raises(CannotExport, match=r"size 5 at batch 4 and 6 at batch 5"):
        tg.onnx.export(lambda x: tg.cat([x, x[:1]]) * 2, _inputs(4, 3), tmp_path / "m.onnx")


def test_an_axis_of_k_rows_per_sample_follows_the_batch(tmp_path):
    path = tmp_path / "m.onnx"
    tg.onnx.export(lambda x: (x * 2).reshape(-1), _inputs(4, 3), path)
    for n in BATCHES:
        (got,) = _run(path, {"input": _inputs(n, 3)})
        np.testing.assert_array_equal(got, (_inputs(n, 3) * 2).reshape(-1))


@pytest.mark.parametrize("kwargs, match", [
    ({"opset": 12}, "opset must be an integer from 13"),
    ({"opset": "17"}, "opset must be an integer"),
    ({"input_names": ["a", "b"]}, "input_names must be 1 distinct"),
    ({"output_names": [""]}, "output_names must be 1 distinct"),
])
def test_bad_arguments_are_named(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        tg.onnx.export(nn.Linear(3, 2), _inputs(2, 3), tmp_path / "m.onnx", **kwargs)


@pytest.mark.parametrize("example", [np.float32(1.0), np.zeros((0, 3), np.float32), ["text"]])
def test_example_inputs_need_a_batch_dimension(tmp_path, example):
    with pytest.raises(ValueError, match="example_inputs|example inputs"):
        tg.onnx.export(nn.Linear(3, 2), example, tmp_path / "m.onnx")


def test_the_listing_on_the_docs_page_is_what_the_export_writes(tmp_path):
    """docs/outgrowing.md shows the ONNX nodes of its iris MLP; the graph depends only on the
    architecture, so an untrained model of the same shape gives the same listing."""
    import pathlib
    import re

    page = (pathlib.Path(__file__).resolve().parent.parent / "docs" / "outgrowing.md").read_text()
    shown = re.search(r"```text\n(input   features.*?)```", page, re.S).group(1).strip()
    tg.manual_seed(0)
    model = nn.MLP([4, 16, 3], activation="relu", output_activation="softmax")
    proto = tg.onnx.export(model, _inputs(1, 4), tmp_path / "iris.onnx", input_names=["features"],
                           output_names=["probabilities"])
    assert tg.onnx.listing(proto) == shown


def test_frozen_parameters_keep_their_names(tmp_path):
    """transfer_learning.py freezes the pretrained layers (requires_grad=False)."""
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 2))
    for p in model[0].parameters():
        p.requires_grad = False
    proto = tg.onnx.export(model, _inputs(3, 4), tmp_path / "m.onnx")
    assert {"0.weight", "0.bias", "2.weight", "2.bias"} <= {t.name for t in proto.graph.initializer}
    _check_all_batches(model, tmp_path, 4)


@pytest.mark.parametrize("opset", [13, 18])
def test_other_opsets(tmp_path, opset):
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3), nn.LogSoftmax(-1))
    path = tmp_path / "m.onnx"
    proto = tg.onnx.export(lambda x: model(x).max(axis=1, keepdims=True), _inputs(3, 4), path, opset=opset)
    assert proto.opset_import[0].version == opset
    for n in BATCHES:
        x = _inputs(n, 4)
        (got,) = _run(path, {"input": x})
        np.testing.assert_allclose(got, _ours(lambda t: model(t).max(axis=1, keepdims=True), x),
                                   rtol=1e-5, atol=1e-6)
