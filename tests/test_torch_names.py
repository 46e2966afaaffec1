"""PyTorch's names on tinygrad_edu: dtypes, devices, creation, maths, tensor methods and nn.

Each test checks values (not just that a name exists), and where torch is installed the same
call under torch gives the same numbers.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor, nn
from tinygrad_edu.nn import functional as F

try:
    import torch
except ImportError:  # the comparisons below are skipped
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")


# -- dtypes -----------------------------------------------------------------------------------------
def test_dtype_names_are_numpy_dtypes():
    assert tg.float is np.float32 and tg.float32 is np.float32
    assert tg.double is np.float64 and tg.float64 is np.float64
    assert tg.long is np.int64 and tg.int64 is np.int64 and tg.int32 is np.int32
    assert tg.bool is np.bool_
    assert tg.zeros(2, dtype=tg.double).dtype == np.float64
    assert tg.tensor([1, 2], dtype=tg.float).dtype == tg.float32
    assert Tensor([1.0], dtype=tg.long).dtype == np.int64


def test_star_import_keeps_python_builtins():
    names: dict = {}
    exec("from tinygrad_edu import *", names)
    assert "float" not in names and "bool" not in names and "int" not in names
    assert names["float32"] is np.float32


def test_dtype_methods():
    x = Tensor([1.5, -2.5, 0.0])
    assert x.double().dtype == np.float64 and x.double().float().dtype == np.float32
    assert x.long().tolist() == [1, -2, 0] and x.long().dtype == np.int64
    assert x.int().dtype == np.int32 and x.bool().tolist() == [True, True, False]
    assert x.type(tg.float64).dtype == np.float64 and x.type() == "float32"
    assert x.to(tg.double).dtype == np.float64 and x.to(x) is x and x.to("cpu") is x
    assert x.to("cpu", tg.double).dtype == np.float64 and x.to(dtype=tg.long).dtype == np.int64


# -- devices ---------------------------------------------------------------------------------------
def test_the_only_device_is_the_cpu():
    assert not tg.cuda.is_available() and not tg.accelerator.is_available()
    assert not tg.backends.mps.is_available()
    device = "cuda" if tg.cuda.is_available() else "cpu"
    x = tg.randn(2, 3, device=device)
    assert x.device == tg.device("cpu") and x.device == "cpu" and str(x.device) == "cpu"
    assert x.to(device) is x and x.cpu() is x and x.to(tg.device("cpu")) is x
    assert nn.Parameter(np.ones(2)).device.type == "cpu"
    tg.set_default_device("cpu")


@pytest.mark.parametrize("make", [
    lambda: tg.device("cuda"),
    lambda: tg.zeros(2, device="cuda"),
    lambda: tg.tensor([1.0], device="mps"),
    lambda: tg.randn(2, device="cuda:0"),
    lambda: Tensor([1.0]).to("cuda"),
    lambda: Tensor([1.0]).cuda(),
    lambda: nn.Linear(2, 1).to("cuda"),
    lambda: tg.set_default_device("cuda"),
])
def test_other_devices_are_a_clear_error(make):
    with pytest.raises(RuntimeError, match="computes with NumPy on the CPU"):
        make()


def test_module_to_device_and_dtype():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert model.to("cpu") is model
    assert all(p.dtype == np.float64 for p in model.double().parameters())
    assert all(p.dtype == np.float32 for p in model.to(tg.float32).parameters())
    assert all(p.dtype == np.float64 for p in model.to("cpu", dtype=tg.double).parameters())
    assert model.cpu() is model
    assert sum(p.numel() for p in model.parameters()) == 2 * 3 + 3 + 3 + 1


# -- creation --------------------------------------------------------------------------------------
def test_creation_functions():
    assert tg.randn(2, 3).shape == (2, 3) and tg.zeros((2, 3)).shape == (2, 3)
    assert tg.empty(4).shape == (4,) and tg.empty((2, 2), dtype=tg.double).dtype == np.float64
    np.testing.assert_allclose(tg.linspace(-1, 1, 5).numpy(), [-1, -0.5, 0, 0.5, 1])
    assert tg.linspace(0, 1, 3, dtype=tg.float64).dtype == np.float64
    r = tg.randint(0, 10, (50,))
    assert r.dtype == np.int64 and r.shape == (50,) and 0 <= r.numpy().min() and r.numpy().max() < 10
    assert tg.randint(3, (2, 2)).numpy().max() < 3
    like = Tensor(np.ones((2, 3)))
    assert tg.rand_like(like).shape == (2, 3) and tg.rand_like(like).dtype == np.float64
    assert tg.randn_like(like).dtype == np.float64
    assert tg.full_like(like, 7.0).tolist() == [[7.0] * 3] * 2
    assert tg.tensor([1.0, 2.0], requires_grad=True).requires_grad
    a, b = tg.ones(2, 3), tg.zeros(2, 1)
    assert tg.cat([a, b], dim=1).shape == (2, 4) and tg.cat([a, a]).shape == (4, 3)
    assert tg.stack([a, a], dim=2).shape == (2, 3, 2) and tg.stack([a, a], axis=1).shape == (2, 2, 3)
    with pytest.raises(ValueError, match="high .* must be larger than low"):
        tg.randint(5, 5, (2,))
    with pytest.raises(TypeError, match="randint"):
        tg.randint(5)


# -- maths -----------------------------------------------------------------------------------------
def test_sin_and_cos_values_and_gradients():
    x = Tensor(np.linspace(-3, 3, 7), requires_grad=True)
    assert tg.gradcheck(lambda t: t.sin() * t.cos(), [x])
    assert tg.gradgradcheck(lambda t: tg.sin(t), [x])
    tg.cos(input=x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), -np.sin(x.numpy()))
    assert Tensor([0, 1]).sin().dtype == np.float32  # integers become the default float


def test_arithmetic_by_name():
    a, b = Tensor([1.0, 4.0]), Tensor([2.0, 0.5])
    assert a.add(b).tolist() == [3.0, 4.5] and a.add(b, alpha=2).tolist() == [5.0, 5.0]
    assert a.sub(b).tolist() == [-1.0, 3.5] and a.mul(b).tolist() == [2.0, 2.0]
    assert a.div(b).tolist() == [0.5, 8.0] and a.pow(2).tolist() == [1.0, 16.0]
    assert a.pow(b).tolist() == [1.0, 2.0] and tg.pow(a, 0.5).tolist() == [1.0, 2.0]
    assert abs(-a).tolist() == [1.0, 4.0] and tg.abs(-a).tolist() == [1.0, 4.0]
    assert a.square().tolist() == [1.0, 16.0] and tg.square(a).tolist() == [1.0, 16.0]
    assert a.clamp(min=2).tolist() == [2.0, 4.0] and tg.clamp(a, max=3).tolist() == [1.0, 3.0]
    assert tg.add(input=a, other=b).tolist() == [3.0, 4.5] and tg.sub(a, b, alpha=2).tolist() == [-3.0, 3.0]
    assert tg.mul(a, b).tolist() == [2.0, 2.0] and tg.div(a, b).tolist() == [0.5, 8.0]
    assert tg.exp(input=Tensor([0.0])).item() == 1.0 and tg.log(input=Tensor([1.0])).item() == 0.0
    assert tg.sqrt(input=a).tolist() == [1.0, 2.0] and tg.tanh(input=Tensor([0.0])).item() == 0.0
    assert tg.sigmoid(input=Tensor([0.0])).item() == 0.5
    np.testing.assert_allclose(tg.softmax(Tensor([[0.0, 0.0]]), dim=1).numpy(), [[0.5, 0.5]])


# -- tensor methods --------------------------------------------------------------------------------
def test_sizes():
    x = tg.zeros(2, 3, 4)
    assert x.size() == (2, 3, 4) and x.size(1) == 3 and x.size(-1) == 4
    assert x.size == 24 and x.numel() == 24 and x.dim() == 3  # .size is also NumPy's count
    with pytest.raises(IndexError, match="out of range"):
        x.size(3)


def test_matrix_methods():
    m = Tensor(np.arange(6.0).reshape(2, 3))
    assert m.t().shape == (3, 2) and Tensor([1.0, 2.0]).t().shape == (2,)
    assert m.mm(m.t()).tolist() == (m.numpy() @ m.numpy().T).tolist()
    assert m.matmul(m.t()).shape == (2, 2) and tg.mm(m, m.t()).shape == (2, 2)
    with pytest.raises(ValueError, match="mm: needs two matrices"):
        m.mm(Tensor([1.0, 2.0, 3.0]))


def test_transpose_swaps_two_dims_as_pytorch():
    x = Tensor(np.arange(24.0).reshape(2, 3, 4))
    assert x.transpose(0, 2).shape == (4, 3, 2) and x.transpose(-1, 0).shape == (4, 3, 2)
    np.testing.assert_array_equal(x.transpose(0, 1).numpy(), np.swapaxes(x.numpy(), 0, 1))
    m = Tensor(np.arange(6.0).reshape(2, 3))
    assert m.transpose(0, 1).shape == (3, 2)  # NumPy's transpose(0, 1) would be the identity
    assert m.transpose().shape == (3, 2) and x.transpose().shape == (4, 3, 2)  # no dims: reverse
    assert x.permute(2, 0, 1).shape == (4, 2, 3) and x.permute((2, 0, 1)).shape == (4, 2, 3)
    assert x.swapaxes(0, 1).shape == (3, 2, 4)
    with pytest.raises(ValueError, match=r"use permute\(2, 0, 1\)"):
        x.transpose(2, 0, 1)
    t = Tensor(np.ones((2, 3, 4)), requires_grad=True)
    assert tg.gradcheck(lambda a: a.transpose(0, 2) * Tensor(np.arange(24.0).reshape(4, 3, 2)), [t.double()])


def test_view_expand_chunk_split_unbind():
    x = Tensor(np.arange(12.0).reshape(3, 4))
    assert x.view(4, 3).shape == (4, 3) and x.view(-1).shape == (12,)
    assert Tensor([[1.0], [2.0]]).expand(2, 3).tolist() == [[1.0] * 3, [2.0] * 3]
    assert Tensor([[1.0], [2.0]]).expand(-1, 2).shape == (2, 2)
    assert [c.shape for c in x.chunk(2, dim=1)] == [(3, 2), (3, 2)]
    assert [c.shape for c in x.chunk(2)] == [(2, 4), (1, 4)]
    assert [c.shape for c in x.split(3, dim=1)] == [(3, 3), (3, 1)]
    assert [c.shape for c in x.split([1, 2])] == [(1, 4), (2, 4)]
    rows = x.unbind()
    assert len(rows) == 3 and rows[1].tolist() == [4.0, 5.0, 6.0, 7.0]
    with pytest.raises(ValueError, match="add up to 4"):
        x.split([2, 2])


def test_clone_and_in_place_edits():
    w = Tensor([1.0, 2.0], requires_grad=True)
    c = w.clone()
    (c * 3).sum().backward()
    assert w.grad.tolist() == [3.0, 3.0] and c.data is not w.data
    w.grad.zero_()
    assert w.grad.tolist() == [0.0, 0.0]
    with pytest.raises(RuntimeError, match="no_grad"):
        w.fill_(1.0)
    with tg.no_grad():
        w.fill_(5.0)
    assert w.tolist() == [5.0, 5.0]
    assert Tensor([1.0]).requires_grad_().requires_grad


def test_equal_allclose_and_index():
    a = Tensor([1.0, 2.0])
    assert a.equal(Tensor([1.0, 2.0])) and not a.equal(Tensor([1.0, 2.0, 3.0]))
    assert a.allclose(Tensor([1.0, 2.0 + 1e-9])) and not a.allclose(Tensor([1.0, 2.1]))
    i = Tensor(2)
    assert list(range(i)) == [0, 1] and ["a", "b", "c"][i] == "c"
    with pytest.raises(TypeError, match="one-element integer tensors"):
        ["a", "b"][Tensor(1.0)]


def test_reductions_take_dim_and_keepdim():
    x = Tensor(np.array([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]]))
    assert x.sum(dim=1).tolist() == [9.0, 12.0] and x.sum(dim=0, keepdim=True).shape == (1, 3)
    assert x.mean(dim=1).tolist() == [3.0, 4.0] and x.var(dim=1, keepdim=True).shape == (2, 1)
    assert x.std(dim=0).shape == (3,) and x.argmax(dim=1).tolist() == [1, 2]
    assert x.argmin(dim=1, keepdim=True).tolist() == [[0], [1]]
    values, indices = x.max(dim=1)
    assert values.tolist() == [5.0, 6.0] and indices.tolist() == [1, 2]
    assert x.min(dim=1).values.tolist() == [1.0, 2.0] and x.min(dim=1).indices.tolist() == [0, 1]
    assert x.max(axis=1).tolist() == [5.0, 6.0]  # NumPy's keyword: the values
    values, indices = x.max(1)  # PyTorch's positional dim: values and indices, as torch.max(x, 1)
    assert values.tolist() == [5.0, 6.0] and indices.tolist() == [1, 2]
    assert x.max(1, keepdim=True).values.shape == (2, 1) and x.min(0)[1].tolist() == [0, 1, 0]
    assert tg.max(x).item() == 6.0 and tg.max(x, 1).indices.tolist() == [1, 2]
    assert tg.max(x, tg.Tensor(5.5)).tolist() == [[5.5, 5.5, 5.5], [5.5, 5.5, 6.0]]
    assert x.softmax(dim=0).shape == (2, 3) and x.log_softmax(dim=1).shape == (2, 3)
    with pytest.raises(TypeError, match="not both"):
        x.sum(axis=0, dim=1)


# -- nn ----------------------------------------------------------------------------------------------
ACTS = ["softplus", "relu6", "hardswish", "silu", "gelu", "mish"]
MODULES = {"softplus": nn.Softplus, "relu6": nn.ReLU6, "hardswish": nn.Hardswish, "silu": nn.SiLU,
           "gelu": nn.GELU, "mish": nn.Mish}


@pytest.mark.parametrize("name", ACTS)
def test_activation_gradients_match_finite_differences(name):
    x = Tensor(np.array([-4.1, -2.0, -0.7, 0.3, 1.9, 2.5, 5.2, 7.0]), requires_grad=True)
    assert tg.gradcheck(getattr(F, name), [x])
    assert MODULES[name]()(x).shape == x.shape


@needs_torch
@pytest.mark.parametrize("name", ACTS)
def test_activations_match_torch(name):
    values = np.linspace(-25, 25, 203)
    x = Tensor(values, requires_grad=True)
    getattr(F, name)(x).sum().backward()
    t = torch.tensor(values, requires_grad=True)
    getattr(torch.nn.functional, name)(t).sum().backward()
    tol = 1e-6 if name == "gelu" else 1e-12  # gelu's erf is composed (error < 1.5e-7)
    np.testing.assert_allclose(getattr(F, name)(x).numpy(), getattr(torch.nn.functional, name)(t).detach(),
                               atol=tol)
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), atol=tol)


@needs_torch
def test_gelu_tanh_form_matches_torch():
    values = np.linspace(-6, 6, 49)
    np.testing.assert_allclose(F.gelu(Tensor(values), approximate="tanh").numpy(),
                               torch.nn.functional.gelu(torch.tensor(values), approximate="tanh"),
                               atol=1e-12)


@needs_torch
def test_tensor_methods_match_torch():
    data = np.arange(24.0).reshape(2, 3, 4) - 11.5
    x, t = Tensor(data), torch.tensor(data)
    pairs = [
        (x.transpose(0, 2), t.transpose(0, 2)), (x.permute(1, 2, 0), t.permute(1, 2, 0)),
        (x.sin(), t.sin()), (x.cos(), t.cos()), (x.clamp(min=-3, max=4), t.clamp(min=-3, max=4)),
        (x.sum(dim=(0, 2), keepdim=True), t.sum(dim=(0, 2), keepdim=True)),
        (x.max(dim=1).values, t.max(dim=1).values), (x.max(dim=1).indices, t.max(dim=1).indices),
        (x.mean(dim=-1), t.mean(dim=-1)), (x.softmax(dim=1), t.softmax(dim=1)),
        (x.view(6, 4).t(), t.view(6, 4).t()), (x.pow(2), t.pow(2)), (abs(x), abs(t)),
        (x.chunk(3, dim=2)[1], t.chunk(3, dim=2)[1]), (x.split([1, 3], dim=2)[1], t.split([1, 3], dim=2)[1]),
        (x.unbind(1)[2], t.unbind(1)[2]), (x.expand(2, 2, 3, 4), t.expand(2, 2, 3, 4)),
    ]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), atol=1e-12)
    assert x.size() == tuple(t.size()) and x.size(1) == t.size(1) and x.dim() == t.dim()
    assert x.numel() == t.numel()
