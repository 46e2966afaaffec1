"""nn.Module: registration, names, modes, freezing, repr, call scopes and state dicts."""

from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 3)
        self.fc2 = nn.Linear(3, 1)

    def forward(self, x):
        return self.fc2(self.fc1(x).relu())


class Outer(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(np.ones(1, dtype=np.float32))
        self.block = Block()
        self.heads = nn.ModuleList([nn.Linear(1, 2), nn.Linear(1, 2)])
        self.constant = tg.Tensor([1.0, 2.0])  # not a parameter: does not require grad

    def forward(self, x):
        h = self.block(x) * self.scale
        return [head(h) for head in self.heads]


# -- registration and names -----------------------------------------------------------------------
def test_nested_registration_and_dotted_names():
    model = Outer()
    names = [n for n, _ in model.named_parameters()]
    assert names == ["scale", "block.fc1.weight", "block.fc1.bias", "block.fc2.weight",
                     "block.fc2.bias", "heads.0.weight", "heads.0.bias", "heads.1.weight",
                     "heads.1.bias"]
    assert len(list(model.parameters())) == 9
    assert model.num_parameters() == 1 + (6 + 3) + (3 + 1) + 2 * (2 + 2)
    # each tensor carries its dotted name, for errors and graph pictures
    assert all(p.name == n for n, p in model.named_parameters())
    assert [n for n, _ in model.named_modules()] == [
        "", "block", "block.fc1", "block.fc2", "heads", "heads.0", "heads.1"]
    assert [n for n, _ in model.named_children()] == ["block", "heads"]


def test_plain_tensors_and_computed_tensors_are_not_parameters():
    model = Outer()
    assert all(p is not model.constant for p in model.parameters())
    model.cache = model.scale * 2  # a computed tensor stored on the module: just an attribute
    assert all(p is not model.cache for p in model.parameters())
    with pytest.raises(TypeError, match="scale.data"):
        model.scale = model.scale * 2  # replacing a parameter by a non-leaf is refused


def test_reassign_and_delete_update_the_registry():
    model = Block()
    model.fc2 = nn.Linear(3, 5)
    assert dict(model.named_parameters())["fc2.weight"].shape == (5, 3)
    del model.fc2
    assert [n for n, _ in model.named_parameters()] == ["fc1.weight", "fc1.bias"]
    model.fc1.bias = None  # remove a bias the PyTorch way
    assert [n for n, _ in model.named_parameters()] == ["fc1.weight"]


def test_names_follow_the_top_level_module_that_is_called():
    inner = Block()
    assert inner.fc1.weight.name == "fc1.weight"
    outer = nn.Sequential(OrderedDict(net=inner))
    assert inner.fc1.weight.name == "net.fc1.weight"  # re-prefixed on adoption
    inner(tg.randn(4, 2))  # used on its own: names relative to it again
    assert inner.fc1.weight.name == "fc1.weight"
    outer(tg.randn(4, 2))
    assert inner.fc1.weight.name == "net.fc1.weight"
    seq = nn.Sequential(nn.Linear(2, 2))
    seq.append(nn.Linear(2, 1))
    assert [p.name for p in seq.parameters()] == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_shared_parameter_listed_once():
    a, b = nn.Linear(2, 2), nn.Linear(2, 2)
    b.weight = a.weight
    seq = nn.Sequential(a, b)
    assert len(list(seq.parameters())) == 3
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_forgetting_super_init_gives_a_clear_error():
    class Broken(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\)"):
        Broken()


def test_module_without_forward_explains():
    with pytest.raises(NotImplementedError, match="define forward"):
        nn.Module()(tg.ones(1))


def test_register_parameter_keeps_frozen_tensor():
    m = nn.Module()
    frozen = tg.Tensor(np.ones(3, dtype=np.float32))
    m.register_parameter("w", frozen)
    assert list(m.parameters()) == [frozen] and not frozen.requires_grad
    assert nn.Parameter([1.0, 2.0]).requires_grad
    assert isinstance(nn.Parameter([1.0]), tg.Tensor)
    m.add_module("child-1", nn.Linear(1, 1))
    assert "child-1.weight" in m.state_dict()


# -- call scope (graph clusters) ---------------------------------------------------------------------
def test_call_records_module_scope_labels():
    model = Block()
    out = model(tg.randn(4, 2))
    assert out._ctx.scope == ("Block", "fc2: Linear(3→1)")
    relu_node = out._ctx.inputs[0]._ctx.inputs[0]._ctx  # fc2's matmul input is relu(fc1(x))
    assert relu_node.name == "ReLU" and relu_node.scope == ("Block",)
    seq = nn.Sequential(nn.Linear(2, 4), nn.Sigmoid())
    assert seq(tg.randn(3, 2))._ctx.scope == ("Sequential", "1: Sigmoid")
    assert tg.config.Config.scope == ()  # restored after the call


def test_scope_restored_after_an_error():
    model = Block()
    with pytest.raises(ValueError, match="expects 2 features"):
        model(tg.randn(4, 3))
    assert tg.config.Config.scope == ()


# -- modes, gradients, freezing -------------------------------------------------------------------
def test_train_eval_propagate():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5), Block())
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_zero_grad_clears():
    model = Block()
    model(tg.randn(4, 2)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_freezing_the_pytorch_way():
    model = Block()
    model.fc1.requires_grad_(False)
    model.fc2.bias.requires_grad = False
    x = tg.randn(5, 2)
    model(x).sum().backward()
    assert model.fc1.weight.grad is None and model.fc1.bias.grad is None
    assert model.fc2.bias.grad is None
    # the trainable weight still gets its exact gradient: d sum(h @ W.T + b)/dW = column sums of h
    h = np.maximum(x.data @ model.fc1.weight.data.T + model.fc1.bias.data, 0)
    np.testing.assert_allclose(model.fc2.weight.grad.data, h.sum(0, keepdims=True), rtol=1e-5)
    assert model.num_parameters(trainable_only=True) == 3
    model.requires_grad_(True)
    assert model.num_parameters(trainable_only=True) == model.num_parameters() == 13


def test_apply_and_astype():
    model = Block()
    model.apply(lambda m: nn.init.zeros_(m.weight) if isinstance(m, nn.Linear) else None)
    assert all((m.weight.data == 0).all() for m in model.modules() if isinstance(m, nn.Linear))
    model.double()
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert model(tg.Tensor(np.ones((1, 2)))).dtype == np.float64


# -- containers ---------------------------------------------------------------------------------------
def test_sequential_forms_indexing_and_iteration():
    layers = [nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1)]
    a, b = nn.Sequential(*layers), nn.Sequential(layers)
    assert len(a) == len(b) == 3 and list(a) == layers
    assert a[0] is layers[0] and a[-1] is layers[2]
    head = a[:2]
    assert isinstance(head, nn.Sequential) and list(head) == layers[:2]
    a.append(nn.Sigmoid())
    assert len(a) == 4
    x = tg.randn(6, 2)
    y = a(x)
    assert y.shape == (6, 1) and ((y.data > 0) & (y.data < 1)).all()
    with pytest.raises(IndexError, match="out of range"):
        a[7]
    with pytest.raises(TypeError, match="holds Modules"):
        nn.Sequential(nn.Linear(1, 1), lambda t: t)


def test_sequential_with_names():
    seq = nn.Sequential(OrderedDict(fc1=nn.Linear(2, 3), act=nn.Tanh(), fc2=nn.Linear(3, 1)))
    assert [n for n, _ in seq.named_parameters()] == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert seq.fc1 is seq[0]
    assert [n for n, _ in seq[1:].named_children()] == ["act", "fc2"]


def test_repr_tree():
    text = repr(Outer())
    assert text.splitlines() == [
        "Outer(",
        "  (block): Block(",
        "    (fc1): Linear(in_features=2, out_features=3, bias=True)",
        "    (fc2): Linear(in_features=3, out_features=1, bias=True)",
        "  )",
        "  (heads): ModuleList(",
        "    (0): Linear(in_features=1, out_features=2, bias=True)",
        "    (1): Linear(in_features=1, out_features=2, bias=True)",
        "  )",
        ")",
    ]
    assert repr(nn.ReLU()) == "ReLU()"
    assert repr(nn.Dropout(0.25)) == "Dropout(p=0.25)"


# -- state dicts ---------------------------------------------------------------------------------------
def test_state_dict_round_trip_copies():
    tg.manual_seed(1)
    a = Outer()
    tg.manual_seed(2)
    b = Outer()
    sd = a.state_dict()
    assert list(sd) == [n for n, _ in a.named_parameters()]
    sd["block.fc1.weight"][...] = 7.0  # a copy: changing it leaves the model alone
    assert not (a.block.fc1.weight.data == 7.0).any()
    sd = a.state_dict()
    weight_object = b.block.fc1.weight
    result = b.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert b.block.fc1.weight is weight_object  # loaded in place
    x = tg.randn(3, 2)
    for ya, yb in zip(a(x), b(x)):
        np.testing.assert_array_equal(ya.data, yb.data)


def test_load_state_dict_errors_name_the_keys_and_load_nothing():
    model = Block()
    before = model.state_dict()
    sd = model.state_dict()
    sd["fc1.weight"] = np.zeros((3, 2)) + 5.0  # valid, but must not be written
    del sd["fc2.bias"]
    sd["fc3.weight"] = np.zeros(1)
    sd["fc2.weight"] = np.zeros((2, 2))
    with pytest.raises(ValueError) as err:
        model.load_state_dict(sd)
    msg = str(err.value)
    assert "missing keys" in msg and "fc2.bias" in msg
    assert "unexpected keys" in msg and "fc3.weight" in msg
    assert "shape mismatch for 'fc2.weight'" in msg and "(2, 2)" in msg and "(1, 3)" in msg
    assert "nothing was loaded" in msg
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_load_state_dict_non_strict_reports_and_still_checks_shapes():
    model = Block()
    sd = {"fc1.weight": np.ones((3, 2)), "extra": np.ones(2)}
    result = model.load_state_dict(sd, strict=False)
    assert result.unexpected_keys == ["extra"]
    assert result.missing_keys == ["fc1.bias", "fc2.bias", "fc2.weight"]
    assert (model.fc1.weight.data == 1).all() and model.fc1.weight.dtype == np.float32
    with pytest.raises(ValueError, match="shape mismatch"):
        model.load_state_dict({"fc1.weight": np.ones((2, 3))}, strict=False)
    with pytest.raises(ValueError, match="non-numeric"):
        model.load_state_dict({"fc1.weight": np.array([["a"] * 2] * 3)}, strict=False)
    with pytest.raises(TypeError, match="dict"):
        model.load_state_dict([1, 2])


# -- the tutorial's PyTorch snippet, unchanged except for the imports ---------------------------------
def test_tutorial_pytorch_snippet_runs_unchanged():
    import tinygrad_edu as torch
    from tinygrad_edu import nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(4, 8)
            self.fc2 = nn.Linear(8, 4)
            self.out = nn.Linear(4, 1)
        def forward(self, x):  # noqa: E301  (kept exactly as the tutorial writes it)
            x = torch.relu(self.fc1(x))
            x = torch.relu(self.fc2(x))
            return torch.sigmoid(self.out(x))

    torch.manual_seed(0)
    net = Net()
    x = torch.randn(5, 4)
    y = torch.Tensor(np.array([[0.0], [1.0], [1.0], [0.0], [1.0]], dtype=np.float32))
    out = net(x)
    assert out.shape == (5, 1)
    assert ((out.data > 0) & (out.data < 1)).all()
    assert [n for n, _ in net.named_parameters()] == [
        "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "out.weight", "out.bias"]
    losses = []
    for _ in range(100):
        loss = ((net(x) - y) ** 2).mean()
        net.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p in net.parameters():
                p.data -= 0.5 * p.grad.data
        losses.append(loss.item())
    assert losses[-1] < 0.1 * losses[0]  # 0.26 -> 0.0045 for this seed
