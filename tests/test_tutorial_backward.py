"""The tutorial's hand-written backward pass for a two-layer sigmoid network, checked by autograd.

The tutorial computes, for m samples,

    dz2 = a2 - y                      dW2 = (1/m) a1ᵀ dz2      db2 = (1/m) Σ dz2
    dz1 = (dz2 W2ᵀ) ⊙ a1 (1 - a1)     dW1 = (1/m) Xᵀ dz1       db1 = (1/m) Σ dz1

and labels it "MSE loss".  Autograd shows what it really is: the exact gradient of the *mean
binary cross-entropy*  L = -(1/m) Σ [y log a2 + (1-y) log(1-a2)],  because through the
sigmoid  ∂L/∂z2 = (a2 - y)/m.  For the mean squared error  L = (1/m) Σ (a2 - y)²  the output
gradient is instead  ∂L/∂z2 = 2 (a2 - y) a2 (1 - a2) / m,  which is at most half as large and
vanishes wherever the sigmoid saturates.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor

M = 8  # samples


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


@pytest.fixture
def problem() -> dict[str, np.ndarray]:
    """A 2 -> 4 -> 1 network (the tutorial's XOR shape) on m random samples, in float64."""
    rng = np.random.default_rng(7)
    return {
        "X": rng.standard_normal((M, 2)),
        "y": rng.integers(0, 2, M).astype(np.float64).reshape(-1, 1),
        "W1": rng.standard_normal((2, 4)) * 0.5, "b1": rng.standard_normal((1, 4)) * 0.1,
        "W2": rng.standard_normal((4, 1)) * 0.5, "b2": rng.standard_normal((1, 1)) * 0.1,
    }


def _hand_written(p: dict[str, np.ndarray], dz2_rule: str = "tutorial") -> dict[str, np.ndarray]:
    """The tutorial's forward and backward in plain NumPy (dz2 = a2 - y), or with the output
    gradient replaced by the one that mean squared error really has."""
    X, y, m = p["X"], p["y"], p["X"].shape[0]
    a1 = _sigmoid(X @ p["W1"] + p["b1"])
    a2 = _sigmoid(a1 @ p["W2"] + p["b2"])
    dz2 = a2 - y if dz2_rule == "tutorial" else 2 * (a2 - y) * a2 * (1 - a2)
    dz1 = (dz2 @ p["W2"].T) * (a1 * (1 - a1))
    return {
        "W2": (1 / m) * a1.T @ dz2, "b2": (1 / m) * dz2.sum(axis=0, keepdims=True),
        "W1": (1 / m) * X.T @ dz1, "b1": (1 / m) * dz1.sum(axis=0, keepdims=True),
    }


def _forward(p: dict[str, np.ndarray]) -> tuple[dict[str, Tensor], Tensor, Tensor]:
    params = {k: Tensor(p[k], requires_grad=True, name=k) for k in ("W1", "b1", "W2", "b2")}
    a1 = (Tensor(p["X"]) @ params["W1"] + params["b1"]).sigmoid()
    z2 = a1 @ params["W2"] + params["b2"]
    return params, z2, z2.sigmoid()


def _mean_bce(a2: Tensor, y: np.ndarray) -> Tensor:
    return -(y * a2.log() + (1 - y) * (1 - a2).log()).mean()


def _mse(a2: Tensor, y: np.ndarray) -> Tensor:
    return ((a2 - y) ** 2).mean()


def _autograd(p: dict[str, np.ndarray], loss_fn) -> dict[str, np.ndarray]:
    params, _, a2 = _forward(p)
    loss_fn(a2, p["y"]).backward()
    return {k: t.grad.numpy() for k, t in params.items()}


def test_output_gradient_identifies_the_loss(problem):
    """Ask autograd for ∂L/∂z2 under each candidate loss: only mean BCE gives (a2 - y)/m."""
    y = problem["y"]
    candidates = {
        "mean squared error": _mse,
        "half mean squared error": lambda a2, y: ((a2 - y) ** 2).mean() * 0.5,
        "summed binary cross-entropy": lambda a2, y: _mean_bce(a2, y) * M,
        "mean binary cross-entropy": _mean_bce,
    }
    matches = []
    for name, loss_fn in candidates.items():
        _, z2, a2 = _forward(problem)
        (dz2,) = tg.grad(loss_fn(a2, y), z2)
        tutorial_dz2 = (a2.numpy() - y) / M  # the tutorial's dz2, with its 1/m applied
        if np.allclose(dz2.numpy(), tutorial_dz2, rtol=1e-12, atol=1e-15):
            matches.append(name)
    assert matches == ["mean binary cross-entropy"]


def test_tutorial_gradients_are_exactly_those_of_mean_binary_cross_entropy(problem):
    hand = _hand_written(problem)
    auto = _autograd(problem, _mean_bce)
    for k in ("W1", "b1", "W2", "b2"):
        assert hand[k].shape == auto[k].shape
        np.testing.assert_allclose(auto[k], hand[k], rtol=1e-12, atol=1e-12, err_msg=k)


def test_true_mse_gradient_differs_by_the_sigmoid_slope(problem):
    """For MSE, ∂L/∂z2 = 2 (a2 - y) a2 (1 - a2) / m: the tutorial's dz2 times 2·σ'(z2)."""
    y = problem["y"]
    _, z2, a2 = _forward(problem)
    (dz2,) = tg.grad(_mse(a2, y), z2)
    a = a2.numpy()
    np.testing.assert_allclose(dz2.numpy(), 2 * (a - y) * a * (1 - a) / M, rtol=1e-12, atol=1e-15)
    # so the hand-written backward with that dz2 reproduces autograd's MSE gradients ...
    hand_mse = _hand_written(problem, dz2_rule="mse")
    auto_mse = _autograd(problem, _mse)
    for k in ("W1", "b1", "W2", "b2"):
        np.testing.assert_allclose(auto_mse[k], hand_mse[k], rtol=1e-12, atol=1e-12, err_msg=k)
    # ... and the tutorial's numbers are not the MSE gradient
    tutorial = _hand_written(problem)
    for k in ("W1", "b1", "W2", "b2"):
        assert not np.allclose(tutorial[k], auto_mse[k], rtol=1e-3), k
    # per sample, the MSE output gradient is the BCE one scaled by 2 σ'(z2) <= 1/2
    scale = 2 * a * (1 - a)
    np.testing.assert_allclose(dz2.numpy(), scale * (a - y) / M, rtol=1e-12)
    assert np.all(scale <= 0.5)


def test_mse_gradient_vanishes_when_the_sigmoid_saturates():
    """A confidently wrong output (z2 = -10, y = 1): BCE still pushes hard, MSE hardly at all."""
    z2 = Tensor(np.array([[-10.0]]), requires_grad=True)
    y = np.array([[1.0]])
    (g_bce,) = tg.grad(_mean_bce(z2.sigmoid(), y), z2)
    (g_mse,) = tg.grad(_mse(z2.sigmoid(), y), z2)
    assert g_bce.item() == pytest.approx(_sigmoid(-10.0) - 1.0, rel=1e-12)  # about -1
    assert abs(g_mse.item()) < 1e-4
