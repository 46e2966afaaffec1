"""``GradientMonitor``: watch a model's gradients, updates and activations while it trains.

It only reads: forward hooks (``Module.register_forward_hook``) see each layer's output,
``record()`` reads ``.grad`` and ``.data`` of the parameters as raw NumPy arrays (no graph
is recorded).  monitor_report.py draws what it collected (a heat map of layers by depth
against steps, as a self-contained HTML page or a matplotlib figure).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..nn.layers import ReLU
from ..nn.module import Module
from ..tensor import Tensor

ROOT_NAME = "(model)"  # the name shown for parameters owned by the model itself
ACTIVATION_KEYS = ("step", "mean", "std", "dead_fraction")


class GradientMonitor:
    """Per-layer gradient health of ``model``, recorded every ``every`` training steps.

    Call ``record()`` once per step, after ``loss.backward()`` *and* ``optimizer.step()``::

        monitor = tg.viz.GradientMonitor(model, every=1)
        for x, y in batches:
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
            monitor.record()          # the gradients are still there; the step is done

    (In Keras, ``fit(..., callbacks=[tg.keras.callbacks.GradientMonitor()])`` does the same.)
    A *layer* is a module that owns parameters (``fc1``: ``fc1.weight`` and ``fc1.bias``);
    layers are ordered from input to output by the order their forward ran.  On every
    recorded step, for each layer:

    - gradient norm ``‖g‖ = sqrt(Σ_params Σ g²)``,
    - update-to-weight ratio ``‖w_after - w_before‖ / ‖w_before‖`` for this step's update
      (the monitor copies the weights on the call *before* each recorded step -- and when it
      is made, for step 0 -- so create it just before the loop; ~1e-3 is the usual healthy
      value, much smaller means the layer hardly learns, much larger that it thrashes),

    and for each module's output (a forward hook on every leaf module and every layer):
    its mean and std, and for ReLU outputs the fraction of *dead* units -- units that are 0
    for every sample of the batch, so their weights get no gradient.  Every
    ``histogram_every`` steps (a multiple of ``every``) it also keeps histograms
    (``bins`` bins) of each layer's gradient values and each module's outputs.
    """

    def __init__(self, model: Module, every: int = 1, histogram_every: int | None = None,
                 bins: int = 30) -> None:
        if not isinstance(model, Module):
            raise TypeError(f"GradientMonitor watches an nn.Module (or a Keras model), "
                            f"got {type(model).__name__}")
        self.every, self.histogram_every, self.bins = monitor_settings(every, histogram_every, bins)
        self.model = model
        self._params: dict[str, list[tuple[str, Tensor]]] = {}  # layer -> [(parameter name, tensor)]
        for layer, module in model.named_modules():
            own = [(f"{layer}.{k}" if layer else k, p) for k, p in module._parameters.items()
                   if p.requires_grad]
            if own:
                self._params[layer or ROOT_NAME] = own
        if not self._params:
            raise ValueError(f"GradientMonitor: {type(model).__name__} has no parameters that require "
                             "grad, so there are no gradients to watch; pass the model you train")
        self.steps: list[int] = []  # the step numbers recorded (0, every, 2*every, ...)
        self._calls = 0
        self._grad_sq: dict[str, list[float]] = {name: [] for name, _ in self._parameters()}
        self._update_sq: dict[str, list[float]] = {name: [] for name, _ in self._parameters()}
        self._weight_sq: dict[str, list[float]] = {name: [] for name, _ in self._parameters()}
        self._before: dict[str, np.ndarray] = {}  # flat copies of the weights before the update
        self._buffer = np.empty(0)
        self._take_snapshot()
        self._order: list[str] = []  # modules in the order their forward first ran
        self._pending: dict[str, tuple[float, float, float | None, Any]] = {}  # this step's outputs
        self._activations: dict[str, dict[str, list[float | None]]] = {}
        self.histograms: list[dict[str, Any]] = []
        self._handles = [module.register_forward_hook(self._hook_for(name or ROOT_NAME))
                         for name, module in model.named_modules()
                         if not module._modules or module._parameters]

    # -- recording --------------------------------------------------------------------------
    def _parameters(self) -> Iterator[tuple[str, Tensor]]:
        for own in self._params.values():
            yield from own

    def _take_snapshot(self) -> None:
        # Into buffers made once: a fresh copy per step would allocate the whole model again.
        for name, p in self._parameters():
            buffer = self._before.get(name)
            if buffer is None or buffer.shape != (p.data.size,):
                self._before[name] = np.array(p.data, dtype=p.data.dtype).ravel()
            else:
                np.copyto(buffer, p.data.ravel())

    def _recording(self) -> bool:
        return self._calls % self.every == 0

    def _hook_for(self, name: str) -> Any:
        relu = None  # decided on the first call: an nn.ReLU or a layer with activation 'relu'

        def hook(module: Module, inputs: tuple, out: Any) -> None:
            nonlocal relu
            if name not in self._order:
                self._order.append(name)
            if not self._recording() or not isinstance(out, Tensor):
                return
            if relu is None:
                relu = isinstance(module, ReLU) or getattr(module, "activation_name", None) == "relu"
            y = out.data
            flat = y.ravel()
            # Σ and a dot product of the centred values: a third of y.mean() + y.std()'s time.
            mean = float(flat.sum()) / max(flat.size, 1)
            centred = flat - mean
            std = math.sqrt(float(np.dot(centred, centred)) / max(flat.size, 1))
            dead = None
            if relu and y.ndim >= 1:  # a unit is a feature (last axis), dead if 0 on every sample
                alive = np.count_nonzero(y.reshape(-1, y.shape[-1]).any(axis=0))
                dead = float(y.shape[-1] - alive) / y.shape[-1]
            histogram = np.histogram(y, bins=self.bins) if self._histogram_step() else None
            self._pending[name] = (mean, std, dead, histogram)
        return hook

    def _histogram_step(self) -> bool:
        return self._calls % self.histogram_every == 0

    def record(self) -> None:
        """Record this step (if it is one of every ``every``); call after backward() and step()."""
        if self._recording():
            self._record_step()
        self._calls += 1
        if self._recording():  # the next call records: keep the weights its update starts from
            self._take_snapshot()

    def _record_step(self) -> None:
        params = list(self._parameters())
        if all(p.grad is None for _, p in params):
            raise RuntimeError(
                "GradientMonitor.record(): no parameter of the model has a gradient; call it "
                "after loss.backward() and optimizer.step(), before the next zero_grad()")
        for name, p in params:
            # Raw arrays and np.dot: no graph, and no temporary for g**2 (this runs every step).
            g = np.ravel(p.grad.data) if p.grad is not None else np.zeros(1)
            before = self._before[name]
            delta = self._scratch(before)
            np.subtract(p.data.ravel(), before, out=delta)
            self._grad_sq[name].append(float(np.dot(g, g)))
            self._update_sq[name].append(float(np.dot(delta, delta)))
            self._weight_sq[name].append(float(np.dot(before, before)))
        step = self._calls
        self.steps.append(step)
        for name, (mean, std, dead, _) in self._pending.items():
            stats = self._activations.setdefault(name, {key: [] for key in ACTIVATION_KEYS})
            for key, value in zip(ACTIVATION_KEYS, (step, mean, std, dead)):
                stats[key].append(value)
        if self._histogram_step():
            self.histograms.append(self._histograms(step))
        self._pending = {}

    def _scratch(self, like: np.ndarray) -> np.ndarray:
        """A reusable buffer of ``like``'s size and dtype (for the update w_after - w_before)."""
        if self._buffer.dtype != like.dtype or self._buffer.size < like.size:
            self._buffer = np.empty(like.size, dtype=like.dtype)
        return self._buffer[:like.size]

    def _histograms(self, step: int) -> dict[str, Any]:
        grads = {}
        for layer, own in self._params.items():
            values = [np.ravel(p.grad.data) for _, p in own if p.grad is not None]
            if values:
                grads[layer] = np.histogram(np.concatenate(values), bins=self.bins)
        outputs = {name: h for name, (*_, h) in self._pending.items() if h is not None}
        return {"step": step, "gradients": grads, "activations": outputs}

    def remove(self) -> None:
        """Unregister the forward hooks (the recorded numbers stay)."""
        for handle in self._handles:
            handle.remove()
        self._handles = []

    # -- reading ---------------------------------------------------------------------------------
    def layer_names(self) -> list[str]:
        """The layers (modules owning parameters), from input to output."""
        seen = {name: k for k, name in enumerate(self._order)}
        registered = list(self._params)
        # Layers the forward never reached keep their registration place, after those it did.
        return sorted(registered, key=lambda n: (seen.get(n, len(seen)), registered.index(n)))

    def _keys(self, by: str) -> list[tuple[str, list[str]]]:
        if by == "layer":
            return [(layer, [name for name, _ in self._params[layer]]) for layer in self.layer_names()]
        if by == "parameter":
            return [(name, [name]) for layer in self.layer_names() for name, _ in self._params[layer]]
        raise ValueError(f"GradientMonitor: by must be 'layer' or 'parameter', got {by!r}")

    def grad_norms(self, by: str = "layer") -> dict[str, list[float]]:
        """``{layer name: [‖gradient‖ at each recorded step]}``, input to output.

        ``by="parameter"`` gives one entry per parameter (``fc1.weight``, ``fc1.bias``, ...).
        """
        return {key: _norms(self._grad_sq, names) for key, names in self._keys(by)}

    def update_ratios(self, by: str = "layer") -> dict[str, list[float]]:
        """``{layer name: [‖update‖ / ‖weights before it‖ at each recorded step]}`` (0 for 0/0)."""
        out = {}
        for key, names in self._keys(by):
            updates, weights = _norms(self._update_sq, names), _norms(self._weight_sq, names)
            out[key] = [u / w if w else (math.inf if u else 0.0) for u, w in zip(updates, weights)]
        return out

    def activation_stats(self) -> dict[str, dict[str, list]]:
        """``{module name: {"step", "mean", "std", "dead_fraction": [...]}}``, input to output.

        ``dead_fraction`` is ``None`` for outputs that are not ReLU outputs.
        """
        seen = {name: k for k, name in enumerate(self._order)}
        names = sorted(self._activations, key=lambda n: seen.get(n, len(seen)))
        return {name: {k: list(v) for k, v in self._activations[name].items()} for name in names}

    # -- pictures (monitor_report.py) ------------------------------------------------------------
    def report(self, title: str = "Gradient health") -> Any:
        """The self-contained HTML report (``.html``, ``.save(path)``, inline in Jupyter)."""
        from .monitor_report import monitor_report
        return monitor_report(self, title)

    def save_html(self, path: str | os.PathLike[str], title: str = "Gradient health") -> str:
        """Write the HTML report to ``path`` and return the path."""
        return self.report(title).save(path)

    def plot(self, title: str = "Gradient health") -> Any:
        """One matplotlib figure (needs the ``plot`` extra): the heat maps and the last statistics."""
        from .monitor_report import monitor_figure
        return monitor_figure(self, title)

    def __repr__(self) -> str:
        return (f"<GradientMonitor of {type(self.model).__name__}: {len(self._params)} layers, "
                f"{len(self.steps)} recorded steps (every {self.every})>")


def _norms(squares: dict[str, list[float]], names: list[str]) -> list[float]:
    """sqrt of the summed squared norms: the norm of the parameters taken together."""
    columns = zip(*(squares[name] for name in names))
    return [math.sqrt(sum(column)) for column in columns]


def monitor_settings(every: Any, histogram_every: Any, bins: Any) -> tuple[int, int, int]:
    """``(every, histogram_every, bins)`` checked; ``histogram_every`` defaults to ``10 * every``."""
    every = _positive_int("every", every)
    histogram_every = _positive_int("histogram_every", 10 * every if histogram_every is None
                                    else histogram_every)
    if histogram_every % every:
        raise ValueError(f"GradientMonitor: histogram_every={histogram_every} must be a multiple "
                         f"of every={every}, so histograms fall on recorded steps")
    return every, histogram_every, _positive_int("bins", bins)


def _positive_int(what: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"GradientMonitor: {what} must be a positive integer (record every "
                         f"{what} steps), got {value!r}")
    return int(value)
