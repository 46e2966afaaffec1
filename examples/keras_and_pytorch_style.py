"""The tutorial's Keras snippet and its PyTorch snippet, both running on tinygrad_edu, on iris.

The two snippets are kept as the tutorial writes them; only the imports change:
``import tinygrad_edu as tf`` gives ``tf.keras.Sequential`` / ``Dense`` / ``compile``, and
``import tinygrad_edu as torch`` with ``from tinygrad_edu import nn`` gives ``nn.Module``,
``nn.Linear``, ``torch.relu``, ``torch.sigmoid``.  Both sit on the same Tensor and engine.

The task, which the tutorial leaves open: iris has 4 features and 3 species; the models
have one sigmoid output, so we ask a binary question -- "is this flower a virginica?"
(50 of 150) -- on a stratified 70/30 train/test split (45 test flowers), with features
standardized using the training part only.  The Keras model trains with the snippet's own
``compile(optimizer='adam', loss='mse')``; the PyTorch-style ``Net`` gets the usual
PyTorch loop with ``nn.BCELoss`` and ``torch.optim.Adam``, since its snippet has no loss.
Virginica vs versicolor overlap a little, so neither reaches 100%.

    python examples/keras_and_pytorch_style.py [--quick] [--out DIR]

Pictures written to ``--out`` (default ``examples-output/keras_and_pytorch_style``):

- ``keras_vs_pytorch_loss.png``: the training loss per epoch of both models, side by side,
  with their test accuracies in the titles.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from _common import parse_args, pyplot, save_figure

import tinygrad_edu as tf  # the Keras-style snippet's spelling
import tinygrad_edu as torch  # the PyTorch-style snippet's spelling
from tinygrad_edu import nn

SEED = 0


def iris_virginica_vs_rest() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Standardized float32 features and 0/1 labels (1 = virginica), stratified 70/30 split."""
    X, species, names = tf.data.load_iris(return_names=True)
    y = (species == names.target_names.index("virginica")).astype(np.float32)
    X_train, X_test, y_train, y_test = tf.data.train_test_split(X, y, test_size=0.3, seed=SEED,
                                                                stratify=y)
    X_train, X_test, _ = tf.data.standardize(X_train, X_test)
    return X_train.astype(np.float32), X_test.astype(np.float32), y_train, y_test


# -- Keras style: the tutorial's snippet ------------------------------------------------------------
def keras_model() -> Any:
    model = tf.keras.Sequential([
        tf.keras.layers.Dense(64, activation='relu', input_shape=(4,)),
        tf.keras.layers.Dense(32, activation='relu'),
        tf.keras.layers.Dense(1, activation='sigmoid')
    ])
    model.compile(optimizer='adam', loss='mse')
    return model


# -- PyTorch style: the tutorial's snippet ----------------------------------------------------------
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.fc2 = nn.Linear(8, 4)
        self.out = nn.Linear(4, 1)

    def forward(self, x):
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        return torch.sigmoid(self.out(x))


def train_pytorch_style(net: Net, X: np.ndarray, y: np.ndarray, epochs: int) -> list[float]:
    """The usual PyTorch loop: mini-batches of 16, BCE loss, Adam (lr 0.01)."""
    loader = torch.data.DataLoader((X, y.reshape(-1, 1)), batch_size=16, shuffle=True, seed=SEED)
    optimizer = torch.optim.Adam(net.parameters(), lr=0.01)
    loss_fn = nn.BCELoss()
    history = []
    for _ in range(epochs):
        total = 0.0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(net(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(xb)
        history.append(total / len(X))
    return history


def accuracy(probabilities: np.ndarray, y: np.ndarray) -> float:
    return float(((probabilities.reshape(-1) > 0.5) == (y > 0.5)).mean())


def plot_histories(plt: Any, keras_loss: list[float], torch_loss: list[float],
                   accs: dict[str, float], out: Any) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    panels = ((axes[0], keras_loss, "Keras style: Dense 64→32→1, adam, loss='mse'", "MSE", "keras"),
              (axes[1], torch_loss, "PyTorch style: Net 8→4→1, Adam, BCELoss", "binary cross-entropy",
               "pytorch"))
    for ax, history, title, ylabel, key in panels:
        ax.plot(np.arange(1, len(history) + 1), history, color="#1f5fa8")
        ax.set_title(f"{title}\ntest accuracy {accs[key]:.3f}", fontsize=10)
        ax.set_xlabel("epoch")
        ax.set_ylabel(f"training {ylabel}")
        ax.grid(alpha=0.3)
    fig.suptitle("Iris, virginica vs the rest (standardized, stratified 70/30 split)")
    fig.tight_layout()
    save_figure(fig, out, "keras_vs_pytorch_loss.png")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(__doc__.splitlines()[0], argv, "examples-output/keras_and_pytorch_style")
    epochs = 30 if args.quick else 100
    X_train, X_test, y_train, y_test = iris_virginica_vs_rest()
    print(f"iris, virginica vs the rest: {len(X_train)} training flowers "
          f"({int(y_train.sum())} virginica), {len(X_test)} test ({int(y_test.sum())} virginica)")

    tf.manual_seed(SEED)  # weights and Keras' shuffling come from the global generator
    model = keras_model()
    model.summary()
    history = model.fit(X_train, y_train, epochs=epochs, batch_size=16, verbose=0)
    keras_acc = accuracy(model.predict(X_test), y_test)

    torch.manual_seed(SEED)
    net = Net()
    print(net)
    torch_loss = train_pytorch_style(net, X_train, y_train, epochs)
    with torch.no_grad():
        torch_acc = accuracy(net(torch.Tensor(X_test)).data, y_test)

    print(f"\nAfter {epochs} epochs:")
    print(f"  Keras style   (Dense 64/32/1, adam, mse): training MSE {history.history['loss'][-1]:.4f}, "
          f"test accuracy {keras_acc:.3f}")
    print(f"  PyTorch style (Net 8/4/1, Adam, BCE):     training BCE {torch_loss[-1]:.4f}, "
          f"test accuracy {torch_acc:.3f}")
    accs = {"keras": keras_acc, "pytorch": torch_acc}
    plt = pyplot()
    if plt is not None:
        plot_histories(plt, history.history["loss"], torch_loss, accs, args.out)
    return {
        "test_accuracy": accs,
        "final_training_loss": {"keras": history.history["loss"][-1], "pytorch": torch_loss[-1]},
        "n_train": len(X_train), "n_test": len(X_test),
        "test_positives": int(y_test.sum()),
    }


if __name__ == "__main__":
    main()
