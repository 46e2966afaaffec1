"""The way out: a model trained here continues in PyTorch and runs in ONNX Runtime.

An MLP 4→16→3 (ReLU, softmax output) learns the iris species here.  Its ``state_dict`` is
saved as safetensors, loaded into the same network written in PyTorch with
``load_state_dict(strict=True)``, checked to give the same probabilities, trained on there
for a few epochs and brought back.  The model is also exported as an ONNX graph (one node per
recorded primitive, the weights under their dotted names) and run with onnxruntime at three
batch sizes.  The PyTorch and ONNX parts are skipped, with a message, when those packages
are not installed; the safetensors file needs nothing beyond NumPy.

    python examples/export.py [--quick] [--out DIR]

Files written to ``--out`` (default ``examples-output/export``):

- ``iris_mlp.safetensors``: the weights trained here (and ``iris_mlp_torch.safetensors``,
  after training on in PyTorch).
- ``iris_mlp.onnx`` and ``iris_mlp_onnx.txt``: the ONNX graph and a listing of its nodes.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np
from _common import parse_args

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F


def iris() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Iris, standardised with the training split's statistics: X_train, X_test, y_train, y_test."""
    X, y = tg.data.load_iris()
    X_train, X_test, y_train, y_test = tg.data.train_test_split(X, y, test_size=0.3, seed=0, stratify=y)
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    return (((X_train - mean) / std).astype(np.float32), ((X_test - mean) / std).astype(np.float32),
            y_train, y_test)


def build_model() -> nn.MLP:
    """fc1 (4→16), ReLU, fc2 (16→3), softmax: the same layer names as the PyTorch twin below."""
    tg.manual_seed(0)
    return nn.MLP([4, 16, 3], activation="relu", output_activation="softmax")


def train_here(model: nn.MLP, X: np.ndarray, y: np.ndarray, epochs: int) -> float:
    """Adam on mini-batches of 16, cross-entropy on the logits (the softmax layer is skipped,
    as PyTorch's CrossEntropyLoss expects); returns the last epoch's mean loss."""
    opt = tg.optim.Adam(model.parameters(), lr=0.01)
    loader = tg.data.DataLoader((X, y), batch_size=16, shuffle=True, seed=0)
    logits = nn.Sequential(model.fc1, model.act1, model.fc2)
    for _ in range(epochs):
        losses = []
        for xb, yb in loader:
            opt.zero_grad()
            loss = F.cross_entropy(logits(xb), yb)
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return float(np.mean(losses))


def probabilities(model: nn.Module, X: np.ndarray) -> np.ndarray:
    with tg.no_grad():
        return model(tg.Tensor(X)).data


def continue_in_torch(weights: str, X: np.ndarray, y: np.ndarray, epochs: int, out: Any) -> dict[str, Any]:
    """Load the safetensors weights into the PyTorch twin, check it, train on, save again."""
    import torch

    twin = torch.nn.Sequential()  # children named as nn.MLP names them: fc1, act1, fc2
    twin.add_module("fc1", torch.nn.Linear(4, 16))
    twin.add_module("act1", torch.nn.ReLU())
    twin.add_module("fc2", torch.nn.Linear(16, 3))
    state = {name: torch.from_numpy(array) for name, array in tg.load(weights).items()}
    twin.load_state_dict(state, strict=True)
    with torch.no_grad():
        start = torch.softmax(twin(torch.from_numpy(X)), dim=-1).numpy()
    torch.manual_seed(0)
    opt = torch.optim.Adam(twin.parameters(), lr=0.01)
    inputs, labels = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))
    for _ in range(epochs):
        for batch in torch.randperm(len(X)).split(16):
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(twin(inputs[batch]), labels[batch])
            loss.backward()
            opt.step()
    path = out / "iris_mlp_torch.safetensors"
    tg.save({name: t.detach().numpy() for name, t in twin.state_dict().items()}, path)
    with torch.no_grad():
        after = torch.softmax(twin(torch.from_numpy(X)), dim=-1).numpy()
    return {"start": start, "after": after, "path": path}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(__doc__.splitlines()[0], argv, "examples-output/export")
    epochs = 15 if args.quick else 60
    X_train, X_test, y_train, y_test = iris()
    model = build_model()
    loss = train_here(model, X_train, y_train, epochs)
    accuracy = float((probabilities(model, X_test).argmax(axis=1) == y_test).mean())
    weights = args.out / "iris_mlp.safetensors"
    tg.save(model.state_dict(), weights)
    print(f"trained here: loss {loss:.3f}, test accuracy {accuracy:.3f}; weights in {weights}")
    result: dict[str, Any] = {"accuracy": accuracy, "weights": weights, "torch": None, "onnx": None}

    if importlib.util.find_spec("torch") is None:
        print("PyTorch is not installed: skipping the PyTorch part (pip install torch)")
    else:
        there = continue_in_torch(str(weights), X_train, y_train, epochs, args.out)
        gap = float(np.abs(there["start"] - probabilities(model, X_train)).max())
        back = build_model()
        back.load_state_dict(tg.load(there["path"]))  # and back here, weights trained there
        gap_back = float(np.abs(there["after"] - probabilities(back, X_train)).max())
        accuracy_back = float((probabilities(back, X_test).argmax(axis=1) == y_test).mean())
        print(f"in PyTorch: same probabilities (max difference {gap:.1e}); trained on there and "
              f"back here: max difference {gap_back:.1e}, test accuracy {accuracy_back:.3f}")
        result["torch"] = {"gap": gap, "gap_back": gap_back, "accuracy": accuracy_back}

    if importlib.util.find_spec("onnx") is None or importlib.util.find_spec("onnxruntime") is None:
        print('onnx or onnxruntime is not installed: skipping the ONNX part (pip install '
              '"tinygrad-edu[onnx]")')
    else:
        import onnxruntime

        path = args.out / "iris_mlp.onnx"
        proto = tg.onnx.export(model, X_test[:1], path, input_names=["features"],
                               output_names=["probabilities"])
        (args.out / "iris_mlp_onnx.txt").write_text(tg.onnx.listing(proto) + "\n", encoding="utf-8")
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        gaps = {}
        for n in (1, 7, len(X_test)):
            (got,) = session.run(None, {"features": X_test[:n]})
            gaps[n] = float(np.abs(got - probabilities(model, X_test[:n])).max())
        print(f"ONNX: {len(proto.graph.node)} nodes in {path}; onnxruntime agrees at batch sizes "
              f"{sorted(gaps)} (max difference {max(gaps.values()):.1e})")
        result["onnx"] = {"gaps": gaps, "nodes": [n.op_type for n in proto.graph.node]}
    return result


if __name__ == "__main__":
    main()
