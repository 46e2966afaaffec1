"""The CNN pieces beyond the op table: forward-mode rules of the patch ops, the layers against
torch.nn (values, gradients, BatchNorm's running statistics, state_dict layout), dropout's
modes and seeding, and the errors a wrong image shape gets.

The op table (test_ops_table.py) checks conv2d / pooling / pad against direct loops with first
and second order gradchecks; here the same functions also meet PyTorch where it is installed.
"""

from __future__ import annotations

import numpy as np
import pytest
import strategies as S
from conv_reference import loop_conv2d
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F
from tinygrad_edu.ops.conv import Col2im, Im2col, Pad


# -- forward mode: jvp of each new primitive against central differences (float64) --------------
def _central(f, x: np.ndarray, v: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    return (f(x + eps * v) - f(x - eps * v)) / (2 * eps)


IM2COL = dict(kernel_size=(2, 3), stride=(2, 1), padding=(1, 0), dilation=(1, 2))


@pytest.mark.parametrize("op, shape, options", [
    (Im2col, (2, 3, 5, 6), IM2COL),
    (Col2im, (2, 3, 3, 3, 2, 3), dict(input_shape=(2, 3, 4, 6), **IM2COL)),
    (Pad, (2, 3), dict(widths=((1, 0), (2, 1)), value=-1.5)),
])
def test_jvp_of_each_patch_primitive_matches_central_differences(op, shape, options):
    rng = np.random.default_rng(0)
    x, v = rng.normal(size=shape), rng.normal(size=shape)
    if op is Col2im:  # its input is a batch of patches: take one im2col of a real image
        x = Im2col.apply(tg.Tensor(rng.normal(size=(2, 3, 4, 6))), **IM2COL).data
        v = rng.normal(size=x.shape)
    out = op.apply(tg.Tensor(x, requires_grad=True), **options)
    tangent = out._ctx.jvp(tg.Tensor(v))
    expected = _central(lambda a: op.apply(tg.Tensor(a), **options).data, x, v)
    assert tangent.shape == out.shape
    np.testing.assert_allclose(tangent.data, expected, rtol=1e-7, atol=1e-9)


def test_col2im_is_the_adjoint_of_im2col():
    """⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩: why each is the other's backward."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 2, 5, 5))
    cols = Im2col.apply(tg.Tensor(x), **IM2COL).data
    c = rng.normal(size=cols.shape)
    back = Col2im.apply(tg.Tensor(c), input_shape=x.shape, **IM2COL).data
    assert np.isclose((cols * c).sum(), (x * back).sum(), rtol=1e-12)


def test_overlapping_windows_add_their_gradients():
    """A 3×3 kernel at stride 1 sees the centre pixel of a 3×3 image... nine times over 5×5."""
    x = tg.Tensor(np.zeros((1, 1, 5, 5)), requires_grad=True)
    F.conv2d(x, tg.Tensor(np.ones((1, 1, 3, 3)))).sum().backward()
    counts = np.array([1, 2, 3, 2, 1])
    np.testing.assert_array_equal(x.grad.data[0, 0], np.outer(counts, counts))


# -- against torch (float64) -------------------------------------------------------------------------
def _torch():
    return pytest.importorskip("torch")


@settings(max_examples=S.examples(15), deadline=None)
@given(data=st.data())
def test_conv2d_values_and_gradients_match_torch(data):
    torch = _torch()
    x, w = data.draw(S.conv_inputs())
    params = data.draw(S.conv_params((x.shape, w.shape)))
    b = np.linspace(-1, 1, w.shape[0])
    ours = [tg.Tensor(a, requires_grad=True) for a in (x, w, b)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    out = F.conv2d(*ours, **params)
    ref = torch.nn.functional.conv2d(*theirs, **params)
    upstream = np.cos(np.arange(out.size)).reshape(out.shape)
    (out * tg.Tensor(upstream)).sum().backward()
    (ref * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    for a, t in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.data, t.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kernel, dilation", [(3, 1), (4, 1), ((2, 5), (2, 1)), (1, 1)])
@pytest.mark.parametrize("padding", ["same", "valid"])
def test_named_paddings_match_torch(kernel, dilation, padding):
    torch = _torch()
    rng = np.random.default_rng(4)
    x, b = rng.normal(size=(2, 3, 7, 8)), rng.normal(size=4)
    w = rng.normal(size=(4, 3, *((kernel, kernel) if isinstance(kernel, int) else kernel)))
    ours = [tg.Tensor(a, requires_grad=True) for a in (x, w, b)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    out = F.conv2d(*ours, padding=padding, dilation=dilation)
    ref = torch.nn.functional.conv2d(*theirs, padding=padding, dilation=dilation)
    assert out.shape == tuple(ref.shape) and (padding == "valid" or out.shape[2:] == (7, 8))
    out.sum().backward()
    ref.sum().backward()
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    for a, t in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.data, t.grad.numpy(), rtol=1e-10, atol=1e-12)
    layer = nn.Conv2d(3, 4, kernel, padding=padding, dilation=dilation)
    assert layer.padding == padding and layer(tg.zeros(1, 3, 7, 8)).shape[1:] == out.shape[1:]


@settings(max_examples=S.examples(15), deadline=None)
@given(data=st.data())
def test_pooling_and_pad_match_torch(data):
    torch = _torch()
    (x,) = data.draw(S.image(S.GRID, unique=True))
    params = data.draw(S.pool_params(x.shape))
    pads = data.draw(S.pad_params(x.shape))
    for ours, theirs, kwargs in ((F.max_pool2d, torch.nn.functional.max_pool2d, params),
                                 (F.avg_pool2d, torch.nn.functional.avg_pool2d, params),
                                 (F.pad, torch.nn.functional.pad, pads)):
        a, t = tg.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out, ref = ours(a, **kwargs), theirs(t, **kwargs)
        np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-12, atol=1e-12)
        (out * out).sum().backward()
        (ref * ref).sum().backward()
        np.testing.assert_allclose(a.grad.data, t.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_avg_pool_without_the_padding_in_the_count_matches_torch():
    torch = _torch()
    x = np.random.default_rng(2).normal(size=(2, 2, 5, 4))
    out = F.avg_pool2d(tg.Tensor(x), 3, stride=2, padding=1, count_include_pad=False)
    ref = torch.nn.functional.avg_pool2d(torch.tensor(x), 3, stride=2, padding=1,
                                         count_include_pad=False)
    np.testing.assert_allclose(out.data, ref.numpy(), rtol=1e-12)


def _copy_weights(ours: nn.Module, theirs) -> None:
    """The torch module's state into ours (same names, same layouts)."""
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})


@pytest.mark.parametrize("make, shape", [
    (lambda m: m.BatchNorm2d(3), (4, 3, 5, 5)),
    (lambda m: m.BatchNorm1d(3), (6, 3)),
    (lambda m: m.BatchNorm1d(3, momentum=0.3, affine=False), (4, 3, 7)),
])
def test_batchnorm_train_and_eval_match_torch_over_several_steps(make, shape, float64_default):
    torch = _torch()
    ours, theirs = make(nn), make(torch.nn).double()
    rng = np.random.default_rng(3)
    if ours.affine:
        theirs.weight.data = torch.tensor(rng.uniform(0.5, 2, 3))
        theirs.bias.data = torch.tensor(rng.normal(size=3))
    _copy_weights(ours, theirs)
    for step in range(4):  # training steps: batch statistics, running ones updated
        x = rng.normal(loc=step, scale=1 + step, size=shape)
        a, t = tg.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out, ref = ours(a), theirs(t)
        upstream = rng.normal(size=shape)
        (out * tg.Tensor(upstream)).sum().backward()
        (ref * torch.tensor(upstream)).sum().backward()
        np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(a.grad.data, t.grad.numpy(), rtol=1e-9, atol=1e-11)
        for key, value in theirs.state_dict().items():
            np.testing.assert_allclose(ours.state_dict()[key], value.numpy(), rtol=1e-12, err_msg=key)
    ours.eval()
    theirs.eval()
    x = rng.normal(size=shape)
    np.testing.assert_allclose(ours(tg.Tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-10, atol=1e-12)
    assert int(ours.num_batches_tracked.data) == 4  # eval does not count


def test_layernorm_matches_torch(float64_default):
    torch = _torch()
    rng = np.random.default_rng(4)
    ours, theirs = nn.LayerNorm((3, 4)), torch.nn.LayerNorm((3, 4)).double()
    theirs.weight.data = torch.tensor(rng.normal(size=(3, 4)))
    _copy_weights(ours, theirs)
    x = rng.normal(size=(2, 3, 4))
    a, t = tg.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, ref = ours(a), theirs(t)
    (out ** 3).sum().backward()
    (ref ** 3).sum().backward()
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(a.grad.data, t.grad.numpy(), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(ours.weight.grad.data, theirs.weight.grad.numpy(), rtol=1e-9)
    assert [n for n, _ in nn.LayerNorm(4, bias=False).named_parameters()] == ["weight"]
    assert list(nn.LayerNorm(4, elementwise_affine=False).parameters()) == []


def _cnn(m):
    return m.Sequential(m.Conv2d(1, 4, 3, padding=1), m.BatchNorm2d(4), m.ReLU(), m.MaxPool2d(2),
                        m.Conv2d(4, 6, (3, 2), stride=1, groups=2, bias=False), m.AvgPool2d(2),
                        m.Flatten(), m.Dropout(0.2), m.Linear(6, 10), m.LayerNorm(10))


def test_a_cnn_state_dict_has_torch_keys_shapes_and_order_and_loads_both_ways(float64_default):
    torch = _torch()
    ours, theirs = _cnn(nn), _cnn(torch.nn).double()
    expected = [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    assert [(k, v.shape) for k, v in ours.state_dict().items()] == expected
    _copy_weights(ours, theirs)
    ours.eval()
    theirs.eval()
    x = np.random.default_rng(5).normal(size=(3, 1, 8, 8))
    np.testing.assert_allclose(ours(tg.Tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-9, atol=1e-11)
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})


def test_conv2d_initialisation_has_torchs_bounds():
    """W, b ~ U(±1/√fan_in), fan_in = in_channels/groups · kh · kw (kaiming_uniform_(a=√5))."""
    tg.manual_seed(6)
    conv = nn.Conv2d(8, 16, 3, groups=2)
    bound = 1 / np.sqrt(4 * 3 * 3)
    for p in (conv.weight, conv.bias):
        assert np.abs(p.data).max() <= bound
        assert np.abs(p.data).max() > 0.9 * bound  # the whole range is used, not a narrower one
    assert conv.weight.shape == (16, 4, 3, 3)


def test_module_buffers_follow_dtype_changes_and_are_not_parameters():
    bn = nn.BatchNorm2d(2)
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]
    assert [n for n, _ in bn.named_buffers()] == ["running_mean", "running_var", "num_batches_tracked"]
    bn.double()
    assert bn.running_mean.dtype == np.float64 and bn.num_batches_tracked.dtype == np.int64
    with pytest.raises(TypeError, match="a trained tensor is a parameter"):
        bn.register_buffer("oops", tg.Tensor([1.0], requires_grad=True))


# -- dropout: modes and seeding ---------------------------------------------------------------------
def test_dropout_respects_train_and_eval_and_the_global_seed():
    layer = nn.Dropout(0.5)
    x = tg.ones(4, 50)
    tg.manual_seed(7)
    first = layer(x).data
    tg.manual_seed(7)
    again = layer(x).data
    np.testing.assert_array_equal(first, again)
    assert set(np.unique(first)) == {0.0, 2.0}  # dropped, or kept and scaled by 1/(1 - p)
    layer.eval()
    np.testing.assert_array_equal(layer(x).data, x.data)


def test_keras_dropout_drops_only_in_training():
    layer = tg.keras.layers.Dropout(0.5)
    x = tg.ones(4, 50)
    np.testing.assert_array_equal(layer(x).data, x.data)
    assert (layer(x, training=True).data == 0).any()


# -- errors that name the shapes ---------------------------------------------------------------------
@pytest.mark.parametrize("call, message", [
    (lambda: F.conv2d(tg.zeros(1, 8, 8), tg.zeros(2, 1, 3, 3)),
     r"4-D input .*got shape \(1, 8, 8\); add the batch dimension"),
    (lambda: F.conv2d(tg.zeros(1, 3, 8, 8), tg.zeros(2, 1, 3, 3)),
     r"the input has 3 channels \(shape \(1, 3, 8, 8\)\) but the weight of shape \(2, 1, 3, 3\)"),
    (lambda: F.conv2d(tg.zeros(1, 1, 4, 4), tg.zeros(2, 1, 5, 5), padding=0),
     r"kernel covers 5×5 .* padded input is only 4×4 \(input shape \(1, 1, 4, 4\)"),
    (lambda: F.conv2d(tg.zeros(1, 1, 4, 4), tg.zeros(2, 1, 3, 3), tg.zeros(3)),
     r"bias must have shape \(2,\)"),
    (lambda: F.max_pool2d(tg.zeros(2, 8, 8), 2), r"max_pool2d: expected a 4-D input"),
    (lambda: F.max_pool2d(tg.zeros(1, 1, 4, 4), 2, padding=2), r"at most half the kernel"),
    (lambda: F.avg_pool2d(tg.zeros(1, 1, 2, 2), 3), r"kernel covers 3×3"),
    (lambda: F.pad(tg.zeros(2, 2), (1, 2, 3)), r"even-length sequence"),
    (lambda: F.conv2d(tg.zeros(1, 1, 4, 4), tg.zeros(1, 1, 2, 2), stride=0), r"stride must be"),
    (lambda: nn.BatchNorm2d(3)(tg.zeros(2, 4, 5, 5)),
     r"BatchNorm2d\(3\) expects input of shape \(N, 3, H, W\), got \(2, 4, 5, 5\)"),
    (lambda: nn.Conv2d(3, 4, 3, groups=2), r"divisible by groups"),
    (lambda: tg.keras.layers.Conv2D(4, 3)(tg.zeros(2, 8, 8)), r"channels-last"),
    (lambda: tg.keras.layers.Conv2D(4, 3, padding="full"), r"'valid' or 'same'"),
    (lambda: nn.Conv2d(3, 4, 3, stride=2, padding="same"),
     r"padding='same' is not supported for strided convolutions \(stride=2\)"),
    (lambda: F.conv2d(tg.zeros(1, 1, 4, 4), tg.zeros(1, 1, 3, 3), padding="full"),
     r"padding must be an integer, a pair, 'valid' or 'same', got 'full'"),
])
def test_bad_image_inputs_get_errors_naming_the_shapes(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_a_conv_layer_trained_a_step_changes_in_the_direction_of_its_gradient(float64_default):
    """One SGD step on conv weights lowers the loss: the whole chain is wired together."""
    tg.manual_seed(8)
    model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 4 * 4, 2))
    x, y = tg.randn(8, 1, 6, 6), np.arange(8) % 2
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    with tg.no_grad():
        for p in model.parameters():
            p.data -= 0.05 * p.grad.data
    assert F.cross_entropy(model(x), y).item() < loss.item()


def test_conv2d_matches_the_loop_on_a_digit_sized_batch():
    rng = np.random.default_rng(9)
    x, w, b = rng.normal(size=(3, 2, 8, 8)), rng.normal(size=(4, 2, 3, 3)), rng.normal(size=4)
    out = F.conv2d(tg.Tensor(x), tg.Tensor(w), tg.Tensor(b), padding=1)
    np.testing.assert_allclose(out.data, loop_conv2d(x, w, b, padding=1), rtol=1e-12, atol=1e-12)


# -- the Keras layers: channels-last views of the same functions ----------------------------------------
def _nchw(x):
    return tg.Tensor(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))


@pytest.mark.parametrize("kwargs", [dict(), dict(strides=2), dict(dilation_rate=2), dict(groups=3)])
def test_keras_conv2d_valid_is_nn_conv2d_transposed_to_nhwc(kwargs, float64_default):
    keras = tg.keras
    x = np.random.default_rng(10).normal(size=(2, 9, 8, 3))
    layer = keras.layers.Conv2D(6, (3, 2), bias_initializer="glorot_uniform", **kwargs)
    out = layer(tg.Tensor(x))
    torch_layout = layer.kernel.data.transpose(3, 2, 0, 1)
    ref = F.conv2d(_nchw(x), tg.Tensor(torch_layout), layer.bias, stride=kwargs.get("strides", 1),
                   dilation=kwargs.get("dilation_rate", 1), groups=kwargs.get("groups", 1))
    np.testing.assert_allclose(out.data, ref.data.transpose(0, 2, 3, 1), rtol=1e-12)
    assert layer.kernel.shape == (3, 2, 3 // kwargs.get("groups", 1), 6)


@pytest.mark.parametrize("stride, size, expected", [(1, 7, 7), (2, 7, 4), (2, 8, 4), (3, 8, 3)])
def test_keras_same_padding_gives_ceil_of_size_over_stride(stride, size, expected):
    keras = tg.keras
    x = tg.randn(1, size, size, 2)
    assert keras.layers.Conv2D(3, 3, strides=stride, padding="same")(x).shape == (1, expected, expected, 3)
    assert keras.layers.MaxPooling2D(3, strides=stride, padding="same")(x).shape == (1, expected, expected, 2)


def test_keras_same_convolution_with_an_odd_kernel_is_symmetric_padding(float64_default):
    x = np.random.default_rng(11).normal(size=(2, 6, 5, 2))
    layer = tg.keras.layers.Conv2D(3, 3, padding="same", activation="relu", input_shape=(6, 5, 2))
    ref = F.conv2d(_nchw(x), tg.Tensor(layer.kernel.data.transpose(3, 2, 0, 1)), layer.bias, padding=1)
    np.testing.assert_allclose(layer(tg.Tensor(x)).data, np.maximum(ref.data, 0).transpose(0, 2, 3, 1),
                               rtol=1e-12)


def test_keras_pooling_is_nn_pooling_transposed_and_same_average_counts_real_inputs():
    keras = tg.keras
    x = np.random.default_rng(12).normal(size=(2, 6, 6, 3))
    np.testing.assert_array_equal(keras.layers.MaxPooling2D()(tg.Tensor(x)).data,
                                  F.max_pool2d(_nchw(x), 2).data.transpose(0, 2, 3, 1))
    np.testing.assert_allclose(keras.layers.AveragePooling2D(3)(tg.Tensor(x)).data,
                               F.avg_pool2d(_nchw(x), 3).data.transpose(0, 2, 3, 1), rtol=1e-6)
    # "same": a border window of ones averages to 1, because only real inputs are counted
    ones = keras.layers.AveragePooling2D(2, padding="same")(tg.ones(1, 5, 5, 1))
    np.testing.assert_allclose(ones.data, np.ones((1, 3, 3, 1)), rtol=1e-6)


def test_keras_conv2d_kernel_is_glorot_uniform_with_the_receptive_field_in_the_fans():
    tg.manual_seed(13)
    layer = tg.keras.layers.Conv2D(16, 3, input_shape=(8, 8, 4))
    limit = np.sqrt(6 / (3 * 3 * 4 + 3 * 3 * 16))
    assert np.abs(layer.kernel.data).max() <= limit
    assert np.abs(layer.kernel.data).max() > 0.9 * limit
    np.testing.assert_array_equal(layer.bias.data, np.zeros(16))


def test_keras_batch_normalization_moving_statistics_follow_keras(float64_default):
    rng = np.random.default_rng(14)
    layer = tg.keras.layers.BatchNormalization(momentum=0.9)
    x = rng.normal(loc=2.0, scale=3.0, size=(8, 4, 4, 3))
    out = layer(tg.Tensor(x), training=True)
    np.testing.assert_allclose(out.data.mean(axis=(0, 1, 2)), 0, atol=1e-12)
    np.testing.assert_allclose(out.data.var(axis=(0, 1, 2)),
                               x.var(axis=(0, 1, 2)) / (x.var(axis=(0, 1, 2)) + 1e-3), rtol=1e-10)
    moving_mean, moving_var = layer._buffers["moving_mean"].data, layer._buffers["moving_variance"].data
    np.testing.assert_allclose(moving_mean, 0.1 * x.mean(axis=(0, 1, 2)), rtol=1e-12)
    np.testing.assert_allclose(moving_var, 0.9 + 0.1 * x.var(axis=(0, 1, 2)), rtol=1e-12)  # biased
    assert [w.shape for w in layer.get_weights()] == [(3,)] * 4  # gamma, beta, moving mean, variance
    assert len(layer.non_trainable_weights) == 2
    inference = layer(tg.Tensor(x))  # outside fit: the moving statistics
    np.testing.assert_allclose(inference.data, (x - moving_mean) / np.sqrt(moving_var + 1e-3),
                               rtol=1e-10)


def test_a_keras_cnn_summarises_and_trains_on_images():
    keras = tg.keras
    tg.manual_seed(15)
    model = keras.Sequential([
        keras.Input(shape=(8, 8, 1)), keras.layers.Conv2D(4, 3, activation="relu", padding="same"),
        keras.layers.MaxPooling2D(), keras.layers.BatchNormalization(), keras.layers.Dropout(0.1),
        keras.layers.Flatten(), keras.layers.Dense(3, activation="softmax")])
    assert [layer.name for layer in model.layers][:2] == ["conv2d", "max_pooling2d"]
    assert model.outputs[0].shape == (None, 3)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(16).normal(size=(24, 8, 8, 1)).astype(np.float32)
    y = (x[:, :4].sum(axis=(1, 2, 3)) > 0).astype(np.int64) + (x[:, 4:].sum(axis=(1, 2, 3)) > 0)
    history = model.fit(x, y, epochs=8, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


# -- tg.compile: a CNN training step compiles bit for bit; BatchNorm's statistics fall back -------
def _cnn_training(compiled: bool, batch_norm: bool):
    tg.manual_seed(0)
    norm = [nn.BatchNorm2d(3)] if batch_norm else []
    model = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), *norm, nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(3, 4, 2), nn.AvgPool2d(3), nn.Flatten(), nn.Linear(4, 3))
    opt = tg.optim.Adam(model.parameters(), lr=0.01)

    def step(X, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(X), y)
        loss.backward()
        opt.step()
        return loss
    run = tg.compile(step) if compiled else step
    rng = np.random.default_rng(1)
    losses = [run(tg.Tensor(rng.normal(size=(5, 1, 8, 8)).astype(np.float32)),
                  rng.integers(0, 3, 5)).data.copy() for _ in range(4)]
    return losses, model.state_dict()


def test_a_cnn_training_step_compiles_to_the_eager_numbers_bit_for_bit():
    import warnings

    from tinygrad_edu.compiler import CompileWarning

    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)  # it must compile, not fall back
        eager, eager_state = _cnn_training(False, False)
        compiled, compiled_state = _cnn_training(True, False)
    assert all(a.tobytes() == b.tobytes() for a, b in zip(eager, compiled))
    assert all(eager_state[k].tobytes() == compiled_state[k].tobytes() for k in eager_state)


def test_a_batchnorm_step_runs_eagerly_with_the_reason_and_the_same_numbers():
    from tinygrad_edu.compiler import CompileWarning

    eager, eager_state = _cnn_training(False, True)
    with pytest.warns(CompileWarning, match="changed during the step without a Tensor op"):
        compiled, compiled_state = _cnn_training(True, True)
    assert all(a.tobytes() == b.tobytes() for a, b in zip(eager, compiled))
    assert all(eager_state[k].tobytes() == compiled_state[k].tobytes() for k in eager_state)


def test_max_pool_padding_is_not_an_anomaly():
    """The padding never wins a max, and detect_anomaly does not take it for an overflow."""
    x = tg.Tensor(-np.arange(16.0).reshape(1, 1, 4, 4) - 1e6, requires_grad=True)
    with tg.detect_anomaly():
        out = F.max_pool2d(x, 3, stride=2, padding=1)
        out.sum().backward()
    np.testing.assert_array_equal(out.data[0, 0], [[-1e6, -1e6 - 1], [-1e6 - 4, -1e6 - 5]])
    assert x.grad.data.sum() == 4.0  # one winner per window, all of them real pixels
