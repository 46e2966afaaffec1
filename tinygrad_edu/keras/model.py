"""Keras-style ``Sequential`` model: ``compile``, ``fit``, ``evaluate``, ``predict``, ``summary``.

It is an ``nn.Module`` whose layers are registered as ``dense``, ``dense_1``...; ``fit`` is
the ordinary training loop written once (zero_grad, forward, loss, backward, step), so a
Keras-style model trains on exactly the same engine as a PyTorch-style one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from .. import nn
from ..config import no_grad
from ..optim.optimizer import check_range
from ..random import generator
from ..serialization import load, save
from ..tensor import Tensor
from . import losses, optimizers
from .callbacks import Callback, History, ProgressDisplay
from .checks import check_bool, check_int


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() and i else c.lower() for i, c in enumerate(name))


def _array(data: Any, what: str) -> np.ndarray:
    arr = data.numpy() if isinstance(data, Tensor) else np.asarray(data)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{what} must be numeric, got dtype {arr.dtype}")
    return arr


def _samples(data: Any, what: str, who: str) -> np.ndarray:
    """``data`` as an array of at least one sample: an empty set would train on nothing."""
    arr = _array(data, what)
    if arr.ndim == 0 or len(arr) == 0:
        raise ValueError(
            f"{who}: {what} has no samples (shape {arr.shape}); pass an array with one row per "
            "sample -- check how it was loaded, sliced or filtered"
        )
    return arr


def _batch_size(value: Any, who: str) -> int | None:
    return None if value is None else check_int(who, "batch_size", value, 1)


class Sequential(nn.Module):
    """A stack of layers applied in order: ``Sequential([Dense(8, activation='relu'), Dense(1)])``."""

    def __init__(self, layers: Iterable[nn.Module] | None = None, name: str = "sequential") -> None:
        super().__init__()
        if isinstance(layers, nn.Module):
            raise TypeError(f"Sequential expects a list of layers, got a single "
                            f"{type(layers).__name__}; wrap it in a list: Sequential([layer])")
        self.model_name = name
        self.layer_names: list[str] = []
        self.stop_training = False
        self.loss_name: str | None = None
        self.loss_fn: Callable[[Tensor, Tensor], Tensor] | None = None
        self.metric_fns: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {}
        self.optimizer: Any = None  # the keras.optimizers settings, or an optim optimizer
        self._optim: Any = None  # the optim optimizer, made once parameters exist
        for layer in layers or []:
            self.add(layer)

    # -- building -----------------------------------------------------------------------------
    def add(self, layer: nn.Module) -> None:
        """Append a layer; it is registered under its ``name`` or an automatic one (dense_1...)."""
        if not isinstance(layer, nn.Module):
            raise TypeError(f"Sequential.add needs a layer (an nn.Module), got {type(layer).__name__}")
        base = getattr(layer, "layer_name", None) or _snake(type(layer).__name__)
        name, k = base, 0
        while name in self.layer_names:
            k += 1
            name = f"{base}_{k}"
        self.layer_names.append(name)
        setattr(self, name, layer)
        self._optim = None  # new parameters: the optimizer must be rebuilt
        if self._input_shape() is not None:
            self.build()  # like Keras: a known input size builds every layer at once

    @property
    def layers(self) -> list[nn.Module]:
        return [getattr(self, n) for n in self.layer_names]

    def forward(self, x: Any) -> Tensor:
        out = x if isinstance(x, Tensor) else Tensor(_array(x, "model input"))
        for layer in self.layers:
            out = layer(out)
        return out

    @property
    def built(self) -> bool:
        return all(getattr(layer, "built", True) for layer in self.layers)

    def _input_shape(self) -> tuple[int, ...] | None:
        first = self.layers[0] if self.layer_names else None
        return getattr(first, "input_shape", None)

    def build(self, input_shape: Sequence[int] | None = None) -> None:
        """Create every layer's weights for inputs of ``input_shape`` (without the batch size)."""
        shape = tuple(input_shape) if input_shape is not None else self._input_shape()
        if shape is None:
            raise ValueError(
                "the model does not know its input size yet: give the first layer input_shape=(n,), "
                "start with keras.Input(shape=(n,)), or call the model on data first"
            )
        with no_grad():
            self.forward(Tensor(np.zeros((1, *shape), dtype=np.float32)))

    # -- compile / fit / evaluate / predict ------------------------------------------------------
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None,
                metrics: Sequence[str] | None = None) -> None:
        """Choose the optimizer, the loss and the metrics that ``fit`` and ``evaluate`` report."""
        if loss is None:
            raise ValueError(
                "compile needs a loss, e.g. loss='mse' or loss='sparse_categorical_crossentropy'"
            )
        if isinstance(metrics, str) or not isinstance(metrics, (list, tuple, type(None))):
            raise TypeError(f"compile: metrics must be a list of names, e.g. metrics=['accuracy'], "
                            f"got {metrics!r}")
        self.optimizer = optimizers.get(optimizer)
        self.loss_name, self.loss_fn = losses.get_loss(loss)
        self.metric_fns = {m: losses.get_metric(m, self.loss_name) for m in (metrics or [])}
        self._optim = None

    def _require_compiled(self, what: str) -> None:
        if self.loss_fn is None:
            raise RuntimeError(f"call compile(optimizer=..., loss=...) before {what}()")

    def _optimizer_for_params(self) -> Any:
        if self._optim is None:
            if not self.built:
                self.build()
            params = [p for p in self.parameters() if p.requires_grad]
            spec = self.optimizer
            self._optim = spec.build(params) if isinstance(spec, optimizers.Optimizer) else spec
        return self._optim

    def fit(self, x: Any = None, y: Any = None, epochs: int = 1, batch_size: int | None = 32,
            validation_data: tuple[Any, Any] | None = None, validation_split: float = 0.0,
            shuffle: bool = True, verbose: int = 1, callbacks: Sequence[Callback] | None = None,
            initial_epoch: int = 0) -> History:
        """Train for ``epochs`` passes over (x, y) in mini-batches; returns the ``History``.

        ``validation_split`` holds out the *last* fraction of the samples (before shuffling),
        as Keras does.  ``verbose``: 0 silent, 1 progress bar (one line per epoch when output
        is not a terminal), 2 one line per epoch.
        """
        self._require_compiled("fit")
        X, Y = _samples(x, "x", "fit"), _samples(y, "y", "fit")
        if len(X) != len(Y):
            raise ValueError(f"x and y have different numbers of samples: {len(X)} and {len(Y)}")
        epochs = check_int("fit", "epochs", epochs, 0)
        initial_epoch = check_int("fit", "initial_epoch", initial_epoch, 0)
        batch_size = _batch_size(batch_size, "fit")
        shuffle = check_bool("fit", "shuffle", shuffle)
        check_range("fit", "validation_split", validation_split, 0.0, 1.0, high_open=True)
        if callbacks is not None and not isinstance(callbacks, (list, tuple)):
            raise TypeError(f"fit: callbacks must be a list, e.g. callbacks=[EarlyStopping()], "
                            f"got {type(callbacks).__name__}")
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise TypeError("fit: validation_data must be a pair (x_val, y_val), got "
                                f"{type(validation_data).__name__}")
            _samples(validation_data[0], "validation_data's x", "fit")
        if validation_split and validation_data is None:
            n_val = int(len(X) * validation_split)
            if n_val == 0:
                raise ValueError(f"validation_split={validation_split} leaves no validation samples")
            validation_data = (X[-n_val:], Y[-n_val:])
            X, Y = X[:-n_val], Y[:-n_val]
        if not self.built:
            self.build(X.shape[1:])
        opt = self._optimizer_for_params()
        batch = len(X) if batch_size is None else batch_size
        n_batches = -(-len(X) // batch)
        history = History()
        hooks: list[Callback] = [history, *(callbacks or [])]
        if verbose:
            hooks.append(ProgressDisplay(epochs, n_batches, verbose))
        for cb in hooks:
            cb.set_model(self)
            cb.on_train_begin()
        self.stop_training = False
        for epoch in range(initial_epoch, epochs):
            for cb in hooks:
                cb.on_epoch_begin(epoch)
            self.train()
            order = generator().permutation(len(X)) if shuffle else np.arange(len(X))
            total, preds, targets = 0.0, [], []
            for b in range(n_batches):
                idx = order[b * batch:(b + 1) * batch]
                opt.zero_grad()
                out = self.forward(Tensor(X[idx]))
                loss = self.loss_fn(Tensor(Y[idx]), out)  # type: ignore[misc]
                loss.backward()
                opt.step()
                total += loss.item() * len(idx)
                preds.append(out.data)
                targets.append(Y[idx])
                for cb in hooks:
                    cb.on_batch_end(b, {"loss": loss.item()})
            logs = {"loss": total / len(X)}
            pred_all, y_all = np.concatenate(preds), np.concatenate(targets)
            logs.update({m: fn(y_all, pred_all) for m, fn in self.metric_fns.items()})
            if validation_data is not None:
                scores = self._scores(*validation_data, batch_size=batch)
                logs.update({f"val_{k}": v for k, v in scores.items()})
            for cb in hooks:
                cb.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        for cb in hooks:
            cb.on_train_end()
        return history

    def _scores(self, x: Any, y: Any, batch_size: int | None) -> dict[str, float]:
        assert self.loss_fn is not None
        pred = self.predict(x, batch_size=batch_size)
        Y = _array(y, "y")
        with no_grad():
            loss = self.loss_fn(Tensor(Y), Tensor(pred)).item()
        return {"loss": loss, **{m: fn(Y, pred) for m, fn in self.metric_fns.items()}}

    def evaluate(self, x: Any, y: Any, batch_size: int | None = 32, verbose: int = 0,
                 return_dict: bool = False) -> Any:
        """The loss (and metrics) on (x, y) in evaluation mode: a float, a list, or a dict."""
        self._require_compiled("evaluate")
        _samples(x, "x", "evaluate")
        scores = self._scores(x, y, _batch_size(batch_size, "evaluate"))
        if verbose:
            print(" - ".join(f"{k}: {v:.4f}" for k, v in scores.items()))
        if return_dict:
            return scores
        return scores["loss"] if len(scores) == 1 else list(scores.values())

    def predict(self, x: Any, batch_size: int | None = 32, verbose: int = 0) -> np.ndarray:
        """Outputs for x as a NumPy array, in evaluation mode and without recording a graph."""
        X = _array(x, "x")
        batch_size = _batch_size(batch_size, "predict")
        step = max(len(X), 1) if batch_size is None else batch_size
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                outs = [self.forward(Tensor(X[i:i + step])).data for i in range(0, len(X), step)]
        finally:
            self.train(was_training)
        return np.concatenate(outs) if outs else np.zeros((0,))

    # -- inspection and weights ---------------------------------------------------------------------
    def summary(self, print_fn: Callable[[str], Any] = print) -> str:
        """A table of layers, output shapes and parameter counts, with totals."""
        shape: tuple[int | None, ...] | None = None
        first = self._input_shape()
        if first is not None:
            shape = (None, *first)
        rows = []
        for name, layer in zip(self.layer_names, self.layers):
            if shape is not None and hasattr(layer, "output_shape"):
                shape = layer.output_shape(shape)
            count = sum(p.size for p in layer.parameters())
            shown = str(shape).replace("None", "None") if shape is not None else "?"
            rows.append((f"{name} ({type(layer).__name__})", shown, f"{count:,}"))
        widths = [max(len(r[i]) for r in rows + [("Layer (type)", "Output Shape", "Param #")]) + 2
                  for i in range(3)]
        line = "-" * sum(widths)
        out = [f'Model: "{self.model_name}"', line,
               "".join(h.ljust(w) for h, w in zip(("Layer (type)", "Output Shape", "Param #"), widths)),
               "=" * sum(widths)]
        out += ["".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
        total = self.num_parameters()
        trainable = self.num_parameters(trainable_only=True)
        out += ["=" * sum(widths), f"Total params: {total:,}", f"Trainable params: {trainable:,}",
                f"Non-trainable params: {total - trainable:,}", line]
        text = "\n".join(out)
        print_fn(text)
        return text

    def save_weights(self, path: str | os.PathLike) -> None:
        """Write the weights to ``path`` (an .npz file, written atomically, no pickle)."""
        if not self.built:
            raise RuntimeError("the model has no weights yet: build it (call it on data) before save_weights")
        save(self.state_dict(), path)

    def load_weights(self, path: str | os.PathLike) -> None:
        """Read weights written by ``save_weights``; names and shapes must match this model."""
        if not self.built:
            self.build()
        self.load_state_dict(load(path))
