"""Weights cross to PyTorch and back through safetensors files, and the models agree to float32
precision (skipped without torch; the safetensors.torch tests also need the safetensors package)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn

torch = pytest.importorskip("torch")


class Net(nn.Module):
    """fc1 -> tanh -> fc2: the same names and layouts as TorchNet."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.fc2 = nn.Linear(8, 3)

    def forward(self, x):
        return self.fc2(self.fc1(x).tanh())


class TorchNet(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = torch.nn.Linear(4, 8)
        self.fc2 = torch.nn.Linear(8, 3)

    def forward(self, x):
        return self.fc2(torch.tanh(self.fc1(x)))


X = np.linspace(-2, 2, 20, dtype=np.float32).reshape(5, 4)


def _ours(x: np.ndarray, model: nn.Module) -> np.ndarray:
    with tg.no_grad():
        return model(tg.Tensor(x)).data


def _theirs(x: np.ndarray, model) -> np.ndarray:
    with torch.no_grad():
        return model(torch.from_numpy(x)).numpy()


def _trained_here() -> Net:
    tg.manual_seed(0)
    model = Net()
    opt = tg.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        (model(tg.Tensor(X)) ** 2).mean().backward()
        opt.step()
    return model


def test_weights_saved_here_load_strictly_into_torch_through_numpy(tmp_path):
    ours, path = _trained_here(), tmp_path / "net.safetensors"
    tg.save(ours.state_dict(), path)
    theirs = TorchNet()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in tg.load(path).items()}, strict=True)
    np.testing.assert_allclose(_theirs(X, theirs), _ours(X, ours), rtol=1e-5, atol=1e-6)


def test_weights_saved_here_load_strictly_with_safetensors_torch(tmp_path):
    st_torch = pytest.importorskip("safetensors.torch")
    ours, path = _trained_here(), tmp_path / "net.safetensors"
    tg.save(ours.state_dict(), path)
    theirs = TorchNet()
    theirs.load_state_dict(st_torch.load_file(str(path)), strict=True)
    np.testing.assert_allclose(_theirs(X, theirs), _ours(X, ours), rtol=1e-5, atol=1e-6)


def test_torch_weights_saved_by_safetensors_torch_load_here(tmp_path):
    st_torch = pytest.importorskip("safetensors.torch")
    torch.manual_seed(0)
    theirs, path = TorchNet(), tmp_path / "torch.safetensors"
    st_torch.save_file(theirs.state_dict(), str(path))
    ours = Net()
    ours.load_state_dict(tg.load(path), strict=True)
    np.testing.assert_allclose(_ours(X, ours), _theirs(X, theirs), rtol=1e-5, atol=1e-6)


def test_round_trip_here_to_torch_training_and_back(tmp_path):
    """Trained here, trained on in PyTorch, back here: every step agrees to float32 precision."""
    ours = _trained_here()
    tg.save(ours.state_dict(), tmp_path / "here.safetensors")
    theirs = TorchNet()
    loaded = tg.load(tmp_path / "here.safetensors")
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in loaded.items()})
    opt = torch.optim.SGD(theirs.parameters(), lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        (theirs(torch.from_numpy(X)) ** 2).mean().backward()
        opt.step()
    # torch tensors -> numpy arrays -> a safetensors file written here (no safetensors package)
    tg.save({k: v.detach().numpy() for k, v in theirs.state_dict().items()}, tmp_path / "there.safetensors")
    back = Net()
    back.load_state_dict(tg.load(tmp_path / "there.safetensors"), strict=True)
    np.testing.assert_allclose(_ours(X, back), _theirs(X, theirs), rtol=1e-5, atol=1e-6)
    # ... and the same three steps taken here from the same start give the same weights
    opt_here = tg.optim.SGD(ours.parameters(), lr=0.1)
    for _ in range(3):
        opt_here.zero_grad()
        (ours(tg.Tensor(X)) ** 2).mean().backward()
        opt_here.step()
    for name, value in back.state_dict().items():
        np.testing.assert_allclose(value, ours.state_dict()[name], rtol=1e-5, atol=1e-6)
