"""PyTorch's top-level helper functions (tensor_functions.py, randperm, load's keywords)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn


def test_questions_about_tensors():
    a = tg.tensor([1.0, 2.0])
    assert tg.is_tensor(a) and not tg.is_tensor(np.ones(2)) and tg.is_floating_point(a)
    assert not tg.is_floating_point(tg.tensor([1, 2]))
    assert tg.numel(tg.zeros(2, 3)) == 6
    assert tg.equal(a, a.clone()) and not tg.equal(a, tg.tensor([1.0, 2.5]))
    assert not tg.equal(a, tg.tensor([[1.0, 2.0]]))  # same values, other shape
    assert tg.allclose(a, a + 1e-9) and tg.isclose(a, tg.tensor([1.0, 3.0])).tolist() == [True, False]


def test_from_numpy_shares_memory_and_as_tensor_avoids_copies():
    arr = np.arange(3.0)
    t = tg.from_numpy(arr)
    arr[0] = 9.0
    assert t.tolist() == [9.0, 1.0, 2.0] and t.dtype == np.float64
    assert tg.as_tensor(t) is t and tg.as_tensor([1, 2], dtype=tg.float32).dtype == np.float32
    with pytest.raises(TypeError, match="from_numpy expects a NumPy array"):
        tg.from_numpy([1, 2])


def test_cutting_and_copying():
    x = tg.arange(6.0).reshape(2, 3)
    assert [c.shape for c in tg.chunk(x, 2, dim=1)] == [(2, 2), (2, 1)]
    assert [s.tolist() for s in tg.split(x, [1, 1])] == [[[0.0, 1.0, 2.0]], [[3.0, 4.0, 5.0]]]
    assert [u.tolist() for u in tg.unbind(x, 1)] == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
    w = tg.tensor([1.0], requires_grad=True)
    assert not tg.detach(w).requires_grad and tg.clone(w).requires_grad


def test_randperm_is_a_seeded_permutation():
    tg.manual_seed(4)
    p = tg.randperm(10)
    tg.manual_seed(4)
    assert sorted(p.tolist()) == list(range(10)) and tg.randperm(10).tolist() == p.tolist()
    assert p.dtype == np.int64
    with pytest.raises(ValueError, match="n must be >= 0"):
        tg.randperm(-1)


def test_load_accepts_pytorchs_keywords(tmp_path):
    model = nn.Linear(3, 2)
    path = tmp_path / "model.pth"
    tg.save(model.state_dict(), path)
    other = nn.Linear(3, 2)
    other.load_state_dict(tg.load(path, weights_only=True, map_location="cpu"))
    np.testing.assert_array_equal(other.weight.data, model.weight.data)
    tg.load(path, map_location=lambda storage, loc: storage)
    with pytest.raises(RuntimeError, match="only device is 'cpu'"):
        tg.load(path, map_location="cuda:0")
