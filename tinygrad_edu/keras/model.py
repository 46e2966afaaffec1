"""Keras-style ``Model``: ``compile``, ``fit``, ``evaluate``, ``predict``, ``summary``, weights.

A model is a ``keras.Layer`` (so an ``nn.Module``) whose layers are registered as ``dense``,
``dense_1``...; it is Functional (``Model(inputs=..., outputs=...)``), subclassed (``call``)
or a ``Sequential`` stack (``sequential.py``).  ``fit`` is
the ordinary training loop written once (zero_grad, forward, loss, backward, step), so a
Keras-style model trains on exactly the same engine as a PyTorch-style one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import nn
from ..config import no_grad
from ..optim.optimizer import check_range
from ..random import generator
from ..richdisplay import summary_html
from ..serialization import load, save
from ..tensor import Tensor
from . import losses, optimizers
from . import metrics as metrics_module
from .batches import as_array as _array
from .batches import count, model_inputs, probe, samples, take, tensors
from .callbacks import Callback, History, ProgressDisplay
from .checks import check_bool, check_int
from .functional import KerasTensor, graph_order
from .layer import Layer, learning_phase, snake_case, takes_training


def _layer_weights(layer: Any) -> list[Tensor]:
    """A layer's weights as Keras counts them: parameters, and buffers a layer lists as weights."""
    weights = getattr(layer, "weights", None)
    return list(layer.parameters()) if weights is None else list(weights)


def _readable_size(nbytes: float) -> str:
    """Bytes as Keras' summary shows them: ``1.50 KB``."""
    for unit in ("B", "KB", "MB", "GB"):
        if nbytes < 1024:
            return f"{nbytes:.2f} {unit}"
        nbytes /= 1024
    return f"{nbytes:.2f} TB"


def _batch_size(value: Any, who: str) -> int | None:
    return None if value is None else check_int(who, "batch_size", value, 1)


class Model(Layer):
    """A model: layers plus ``compile``, ``fit``, ``evaluate``, ``predict`` and ``summary``.

    Three ways to make one, as in Keras:

    - Functional: ``x = keras.Input(shape=(4,)); y = layers.Dense(3)(x);
      model = keras.Model(inputs=x, outputs=y)``;
    - subclassing: define ``__init__`` (call ``super().__init__()``, assign layers) and
      ``call(self, inputs)``;
    - ``keras.Sequential([...])``, a stack of layers (see ``sequential.py``).
    """

    def __init__(self, inputs: Any = None, outputs: Any = None, name: str | None = None) -> None:
        super().__init__(name=name)
        self.layer_names: list[str] = []
        self.stop_training = False
        self.loss_name: str | None = None
        self.loss_fn: Callable[[Any, Any], Tensor] | None = None
        self.compiled_metrics: dict[str, metrics_module.Metric] = {}
        self.optimizer: Any = None  # the keras.optimizers settings, or an optim optimizer
        self._optim: Any = None  # the optim optimizer, made once parameters exist
        self._optim_key: tuple[int, ...] = ()  # which parameters it updates
        self._graph: tuple[list[KerasTensor], list[KerasTensor], list[KerasTensor]] | None = None
        self._outputs_listed = isinstance(outputs, (list, tuple))
        if inputs is not None or outputs is not None:
            self._init_graph(inputs, outputs)
        self.model_name = name or ("functional" if self._graph else snake_case(type(self).__name__))

    def _init_graph(self, inputs: Any, outputs: Any) -> None:
        ins = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        outs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
        for what, group in (("inputs", ins), ("outputs", outs)):
            if not group or not all(isinstance(t, KerasTensor) for t in group):
                raise TypeError(f"keras.Model: {what}= must be KerasTensors (from keras.Input and layers "
                                f"called on it), got {group!r}")
        order = graph_order(ins, outs)
        for node in order:
            if node.layer is not None and all(node.layer is not layer for layer in self.layers):
                self.register_layer(node.layer)
        self._graph = (ins, outs, order)

    # -- building -----------------------------------------------------------------------------
    def register_layer(self, layer: nn.Module) -> str:
        """Register ``layer`` under its ``name`` or an automatic one (dense, dense_1, ...)."""
        base = getattr(layer, "layer_name", None) or snake_case(type(layer).__name__)
        name, k = base, 0
        while name in self.layer_names:
            k += 1
            name = f"{base}_{k}"
        self.layer_names.append(name)
        setattr(self, name, layer)
        self._optim = None  # new parameters: the optimizer must be rebuilt
        return name

    @property
    def layers(self) -> list[nn.Module]:
        """The model's layers in order (as in Keras, without an InputLayer)."""
        if self.layer_names or self._graph is not None:
            return [getattr(self, n) for n in self.layer_names]
        return list(self.children())  # a subclassed model: the layers it assigned

    def get_layer(self, name: str | None = None, index: int | None = None) -> nn.Module:
        """The layer called ``name`` (or at position ``index`` of ``layers``)."""
        if index is not None:
            return self.layers[index]
        for registered, layer in zip(self.layer_names or [n for n, _ in self.named_children()], self.layers):
            if name in (registered, getattr(layer, "name", None)):
                return layer
        raise ValueError(f"no layer named {name!r}; the layers are {self.layer_names}")

    @property
    def inputs(self) -> list[KerasTensor] | None:
        """A Functional model's ``keras.Input`` tensors (None for other models)."""
        return self._graph[0] if self._graph else None

    @property
    def outputs(self) -> list[KerasTensor] | None:
        """A Functional model's output KerasTensors (None for other models)."""
        return self._graph[1] if self._graph else None

    def call(self, inputs: Any) -> Any:
        """The forward computation of a subclassed model: override it."""
        raise NotImplementedError(
            f"{type(self).__name__} has no call(): a subclassed keras.Model defines "
            "call(self, inputs); or build a model with keras.Model(inputs=..., outputs=...)"
        )

    def forward(self, x: Any) -> Any:
        """A subclassed model runs ``call``; a Functional one replays its graph, parents first."""
        if self._graph is None:
            extra = {"training": learning_phase()} if takes_training(self.call) else {}
            if isinstance(x, (list, tuple)):  # a subclassed model with several inputs
                return self.call([t if isinstance(t, Tensor) else Tensor(_array(t, "model input"))
                                  for t in x], **extra)
            return self.call(x if isinstance(x, Tensor) else Tensor(_array(x, "model input")), **extra)
        ins, outs, order = self._graph
        given = list(x) if isinstance(x, (list, tuple)) else [x]
        if len(given) != len(ins):
            raise ValueError(f"{self.model_name} has {len(ins)} inputs, got {len(given)} arrays")
        values: dict[int, Any] = {}
        for node, data in zip(ins, given):
            t = data if isinstance(data, Tensor) else Tensor(_array(data, "model input"))
            if tuple(t.shape[1:]) != node.shape[1:]:
                raise ValueError(f"{self.model_name} expects inputs of shape {node.shape}, got {t.shape}")
            values[id(node)] = t
        for node in order:  # parents first, so every argument is ready
            if id(node) not in values:
                args = [values[id(p)] for p in node.parents]
                values[id(node)] = node.layer(args if node.as_list else args[0])
        results = [values[id(t)] for t in outs]
        return results if self._outputs_listed else results[0]

    @property
    def built(self) -> bool:
        """True once every layer has its weights."""
        return all(getattr(layer, "built", True) for layer in self.layers)

    def _input_shape(self) -> tuple[int, ...] | None:
        if self._graph is not None and len(self._graph[0]) == 1:
            return tuple(n for n in self._graph[0][0].shape[1:] if n is not None)
        return None

    def _input_names(self) -> list[str | None] | None:
        """The names of a Functional model's inputs, in order (for ``x`` given as a dict)."""
        return [t.name for t in self._graph[0]] if self._graph else None

    def _build_like(self, X: Any) -> None:
        """Build from the shapes of the training data (one array, or one per input)."""
        if not isinstance(X, list):
            self.build(X.shape[1:])
            return
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                self.forward(probe(X))
        finally:
            self.train(was_training)

    def build(self, input_shape: Sequence[int] | None = None) -> None:
        """Create every layer's weights for inputs of ``input_shape`` (without the batch size)."""
        shape = tuple(input_shape) if input_shape is not None else self._input_shape()
        if shape is None:
            raise ValueError(
                "the model does not know its input size yet: give the first layer input_shape=(n,), "
                "start with keras.Input(shape=(n,)), or call the model on data first"
            )
        was_training = self.training
        self.eval()  # a Dropout layer draws no random numbers while building
        try:
            with no_grad():
                self.forward(Tensor(np.zeros((1, *shape), dtype=np.float32)))
        finally:
            self.train(was_training)

    # -- compile / fit / evaluate / predict ------------------------------------------------------
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None,
                metrics: Sequence[Any] | None = None) -> None:
        """Choose the optimizer, the loss and the metrics that ``fit`` and ``evaluate`` report.

        ``loss`` is a name (``'mse'``), a ``keras.losses`` object or a function(y_true, y_pred);
        each metric a name (logged under that name), a ``keras.metrics`` object (logged under
        its ``name``) or a function.
        """
        if loss is None:
            raise ValueError(
                "compile needs a loss, e.g. loss='mse' or loss='sparse_categorical_crossentropy'"
            )
        if isinstance(metrics, str) or not isinstance(metrics, (list, tuple, type(None))):
            raise TypeError(f"compile: metrics must be a list of names, e.g. metrics=['accuracy'], "
                            f"got {metrics!r}")
        self.optimizer = optimizers.get(optimizer)
        self.loss_name, self.loss_fn = losses.get_loss(loss)
        found = [metrics_module.get(m, self.loss_name) for m in (metrics or [])]
        self.compiled_metrics = {m.name: m for m in found}
        self._optim = None

    @property
    def metrics_names(self) -> list[str]:
        """``['loss', ...]``: the names ``evaluate`` returns values for, in that order."""
        return ["loss", *self.compiled_metrics]

    def _require_compiled(self, what: str) -> None:
        if self.loss_fn is None:
            raise RuntimeError(f"call compile(optimizer=..., loss=...) before {what}()")

    def _optimizer_for_params(self) -> Any:
        if not self.built:
            self.build()
        params = [p for p in self.parameters() if p.requires_grad]
        key = tuple(id(p) for p in params)
        # Rebuilt when layers are added or (un)frozen: a frozen weight must not even be in an
        # optimizer with momentum, whose stored velocity would keep moving it.
        if self._optim is None or key != self._optim_key:
            spec = self.optimizer
            self._optim = spec.build(params) if isinstance(spec, optimizers.Optimizer) else spec
            self._optim_key = key
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
        if self._graph is not None and len(self._graph[1]) > 1:
            raise NotImplementedError(
                f"fit: {self.model_name} has {len(self._graph[1])} outputs; training a model with "
                "several outputs (a loss per output) is not supported yet. Train one model per "
                "output, or join the outputs with layers.Concatenate into one")
        X, Y = model_inputs(x, "fit", self._input_names()), samples(y, "y", "fit")
        if count(X) != len(Y):
            raise ValueError(f"x and y have different numbers of samples: {count(X)} and {len(Y)}")
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
            model_inputs(validation_data[0], "fit", self._input_names(), "validation_data's x")
        if validation_split and validation_data is None:
            n_val = int(count(X) * validation_split)
            if n_val == 0:
                raise ValueError(f"validation_split={validation_split} leaves no validation samples")
            validation_data = (take(X, slice(-n_val, None)), Y[-n_val:])
            X, Y = take(X, slice(None, -n_val)), Y[:-n_val]
        if not self.built:
            self._build_like(X)
        opt = self._optimizer_for_params()
        n = count(X)
        batch = n if batch_size is None else batch_size
        n_batches = -(-n // batch)
        history = History()
        # The progress display first, so an epoch's line is printed before any callback's
        # message about that epoch (as Keras orders them).
        hooks: list[Callback] = [ProgressDisplay(epochs, n_batches, verbose)] if verbose else []
        hooks += [*(callbacks or []), history]
        for cb in hooks:
            cb.set_model(self)
            cb.on_train_begin()
        self.stop_training = False
        for epoch in range(initial_epoch, epochs):
            for cb in hooks:
                cb.on_epoch_begin(epoch)
            self.train()
            order = generator().permutation(n) if shuffle else np.arange(n)
            total = 0.0
            for metric in self.compiled_metrics.values():
                metric.reset_state()
            for b in range(n_batches):
                idx = order[b * batch:(b + 1) * batch]
                opt.zero_grad()
                out = self(tensors(take(X, idx)), training=True)
                loss = self.loss_fn(Tensor(Y[idx]), out)  # type: ignore[misc]
                loss.backward()
                opt.step()
                total += loss.item() * len(idx)
                for metric in self.compiled_metrics.values():
                    metric.update_state(Y[idx], out.data)
                for cb in hooks:
                    cb.on_batch_end(b, {"loss": loss.item()})
            logs = {"loss": total / n}
            logs.update({name: float(m.result()) for name, m in self.compiled_metrics.items()})
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
        scores = {"loss": loss}
        for name, metric in self.compiled_metrics.items():
            metric.reset_state()
            metric.update_state(Y, pred)
            scores[name] = float(metric.result())
        return scores

    def evaluate(self, x: Any, y: Any, batch_size: int | None = 32, verbose: int = 0,
                 return_dict: bool = False) -> Any:
        """The loss (and metrics) on (x, y) in evaluation mode: a float, a list, or a dict."""
        self._require_compiled("evaluate")
        model_inputs(x, "evaluate", self._input_names())
        scores = self._scores(x, y, _batch_size(batch_size, "evaluate"))
        if verbose:
            print(" - ".join(f"{k}: {v:.4f}" for k, v in scores.items()))
        if return_dict:
            return scores
        return scores["loss"] if len(scores) == 1 else list(scores.values())

    def predict(self, x: Any, batch_size: int | None = 32, verbose: int = 0) -> Any:
        """Outputs for x as a NumPy array (a list of them for several outputs), in evaluation
        mode and without recording a graph."""
        X = model_inputs(x, "predict", self._input_names())
        batch_size = _batch_size(batch_size, "predict")
        n = count(X)
        step = max(n, 1) if batch_size is None else batch_size
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                outs = [self.forward(tensors(take(X, slice(i, i + step))))
                        for i in range(0, n, step)]
        finally:
            self.train(was_training)
        if outs and isinstance(outs[0], list):  # several outputs: one array per output
            return [np.concatenate([batch[k].data for batch in outs]) for k in range(len(outs[0]))]
        return np.concatenate([o.data for o in outs]) if outs else np.zeros((0,))

    # -- inspection and weights ---------------------------------------------------------------------
    def summary_rows(self) -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
        """The rows of ``summary()`` (layer (type), output shape, param #) and its totals.

        An output shape comes from the layer's last call on data (so a model built by calling
        it shows them), else from the declared input shape; ``?`` if neither is known.
        """
        shape: tuple[int | None, ...] | None = None
        first = self._input_shape()
        if first is not None:
            shape = (None, *first)
        rows = []
        if self._graph is not None:  # Keras lists a Functional model's inputs as InputLayer rows
            rows += [(f"{t.name or 'input_layer'} (InputLayer)", str(t.shape), "0") for t in self._graph[0]]
        for name, layer in zip(self.layer_names or [n for n, _ in self.named_children()], self.layers):
            seen = getattr(layer, "last_output_shape", None)
            if seen is not None:
                shape = seen
            elif shape is not None and hasattr(layer, "output_shape"):
                shape = layer.output_shape(shape)
            else:
                shape = None
            count = sum(p.size for p in _layer_weights(layer))
            rows.append((f"{name} ({type(layer).__name__})", str(shape) if shape else "?", f"{count:,}"))
        # Keras counts a layer's moving statistics (BatchNormalization's) as non-trainable params
        params = list(self.parameters())
        known = {id(p) for p in params}
        params += [w for layer in self.layers for w in _layer_weights(layer) if id(w) not in known]
        counts = [(sum(p.size for p in group), sum(p.data.nbytes for p in group)) for group in (
            params, [p for p in params if p.requires_grad], [p for p in params if not p.requires_grad])]
        totals = [(label, f"{n:,} ({_readable_size(nbytes)})") for label, (n, nbytes) in
                  zip(("Total params", "Trainable params", "Non-trainable params"), counts)]
        return rows, totals

    def summary(self, print_fn: Callable[[str], Any] = print) -> str:
        """A table of layers, output shapes and parameter counts, with totals (``summary_rows``)."""
        rows, totals = self.summary_rows()
        header = ("Layer (type)", "Output Shape", "Param #")
        widths = [max(len(r[i]) for r in [*rows, header]) + 2 for i in range(3)]
        line = "-" * sum(widths)
        out = [f'Model: "{self.model_name}"', line,
               "".join(h.ljust(w) for h, w in zip(header, widths)), "=" * sum(widths)]
        out += ["".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
        out += ["=" * sum(widths)]
        out += [f"{label}: {text}" for label, text in totals]
        out += [line]
        text = "\n".join(out)
        print_fn(text)
        return text

    def _repr_html_(self) -> str:
        return summary_html(self)  # Jupyter shows the summary table

    def save_weights(self, path: str | os.PathLike) -> None:
        """Write the weights to ``path``, atomically, no pickle: an .npz checkpoint, or
        safetensors for a ``.safetensors`` path (``tg.save`` picks the format by suffix)."""
        if not self.built:
            raise RuntimeError("the model has no weights yet: build it (call it on data) before save_weights")
        save(self.state_dict(), path)

    def load_weights(self, path: str | os.PathLike) -> None:
        """Read weights written by ``save_weights`` (.npz or .safetensors, as ``tg.load`` reads
        them); names and shapes must match this model."""
        if not self.built:
            self.build()
        self.load_state_dict(load(path))
