"""``GradientMonitor``: watch a model's gradients, updates and activations while it trains.

It only reads: forward hooks (``Module.register_forward_hook``) see each layer's output,
``record()`` reads ``.grad`` and ``.data`` of the parameters as raw NumPy arrays (no graph
is recorded).  monitor_report.py draws what it collected (a heat map of layers by depth
against steps, as a self-contained HTML page or a matplotlib figure).
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

from ..keras.callbacks import Callback  # the other hooks of fit: Callback's no-ops
from ..nn.layers import ReLU
from ..nn.module import Module
from ..tensor import Tensor

ROOT_NAME = "(model)"  # the name shown for parameters owned by the model itself
ACTIVATION_KEYS = ("step", "mean", "std", "dead_fraction")
# The details (output statistics, histograms) default to every 50th recorded step: on the
# MLP benchmark at batch 32 one details step costs about half a training step, while the
# norms and ratios of every step cost under a tenth (benchmarks/bench_monitor.py).
DETAILS_EVERY = 50


class GradientMonitor(Callback):
    """Per-layer gradient health of ``model``, recorded every ``every`` training steps.

    Call ``record()`` once per step, after ``loss.backward()`` *and* ``optimizer.step()``::

        monitor = tg.viz.GradientMonitor(model, every=1)
        for x, y in batches:
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
            monitor.record()          # the gradients are still there; the step is done

    In Keras the monitor is also a callback: ``fit(..., callbacks=[monitor])`` records after
    every batch's step (or ``tg.keras.callbacks.GradientMonitor()``, which makes one per fit).
    A *layer* is a module that owns parameters (``fc1``: ``fc1.weight`` and ``fc1.bias``);
    layers are ordered from input to output by the order their forward ran.  On every
    recorded step, for each layer:

    - gradient norm ``‖g‖ = sqrt(Σ_params Σ g²)`` (exact),
    - update-to-weight ratio ``‖w_after - w_before‖ / ‖w_before‖`` of this step's update.
      The monitor keeps the weights from the call *before* each recorded step (and from when
      it is made, for step 0: make it just before the loop).  A parameter with more than
      ``sample`` entries is measured on every k-th entry (k = ⌈size / sample⌉), the same every
      step (``sample=None``: all of them).  About 1e-3 is the usual healthy value; much
      smaller means the layer hardly learns, much larger that it thrashes.

    Every ``details_every`` steps (a multiple of ``every``; default ``50 * every``), forward
    hooks on every leaf module and every layer also record each output's mean and std, for
    ReLU outputs the fraction of *dead* units (0 for every sample of the batch, so their
    weights get no gradient), and histograms (``bins`` bins) of each output and of each
    layer's gradient (on at most ``sample`` entries of each).  They read every activation,
    so they cost more than the norms; ``details_every=every`` records them on every step.
    """

    def __init__(self, model: Module, every: int = 1, details_every: int | None = None,
                 bins: int = 30, sample: int | None = 2048) -> None:
        if not isinstance(model, Module):
            raise TypeError(f"GradientMonitor watches an nn.Module (or a Keras model), "
                            f"got {type(model).__name__}")
        self.every, self.details_every, self.bins, self.sample = monitor_settings(
            every, details_every, bins, sample)
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
        self._entries = [entry for own in self._params.values() for entry in own]
        self.steps: list[int] = []  # the step numbers recorded (0, every, 2*every, ...)
        self._calls = 0
        self._grad_sq: dict[str, list[float]] = {name: [] for name, _ in self._entries}
        self._update_sq: dict[str, list[float]] = {name: [] for name, _ in self._entries}
        self._weight_sq: dict[str, list[float]] = {name: [] for name, _ in self._entries}
        self._before = self._watched_weights()  # what step 0's update starts from
        self._order: dict[str, int] = {}  # module -> when its forward first ran
        self._pending: dict[str, tuple[float, float, float | None, Any]] = {}  # this step's outputs
        self._activations: dict[str, dict[str, list[float | None]]] = {}
        self.histograms: list[dict[str, Any]] = []
        self._handles = [module.register_forward_hook(self._hook_for(name or ROOT_NAME))
                         for name, module in model.named_modules()
                         if not module._modules or module._parameters]

    # -- recording --------------------------------------------------------------------------
    def _sampled(self, flat: np.ndarray) -> np.ndarray:
        """``flat`` itself, or every k-th entry of it, k = ⌈size / sample⌉ (the same each time)."""
        if self.sample is None or flat.size <= self.sample:
            return flat
        # Copying and comparing all of a large weight matrix on every step cost a fifth of an
        # MLP training step at batch 32 (benchmarks/bench_monitor.py); a sample costs little,
        # and a strided view costs less than gathering the same number of entries by index.
        return flat[::-(-flat.size // self.sample)]

    def _watched_weights(self) -> dict[str, np.ndarray]:
        """The entries the update ratio is measured on, copied (float64)."""
        return {name: self._sampled(p.data.ravel()).astype(np.float64) for name, p in self._entries}

    def _details(self) -> bool:
        return self._calls % self.details_every == 0

    def _hook_for(self, name: str) -> Any:
        relu = None  # decided on the first call: an nn.ReLU or a layer with activation 'relu'

        def hook(module: Module, inputs: tuple, out: Any) -> None:
            nonlocal relu
            if name not in self._order:
                self._order[name] = len(self._order)
            if self._calls % self.details_every or not isinstance(out, Tensor):
                return  # most steps: nothing to do
            if relu is None:
                relu = isinstance(module, ReLU) or getattr(module, "activation_name", None) == "relu"
            y = out.data
            flat = y.ravel()
            mean = float(flat.sum()) / max(flat.size, 1)
            centred = flat - mean
            std = math.sqrt(float(np.dot(centred, centred)) / max(flat.size, 1))
            dead = None
            if relu and y.ndim >= 1:  # a unit is a feature (last axis), dead if 0 on every sample
                alive = np.count_nonzero(y.reshape(-1, y.shape[-1]).any(axis=0))
                dead = float(y.shape[-1] - alive) / y.shape[-1]
            self._pending[name] = (mean, std, dead, histogram(self._sampled(flat), self.bins))
        return hook

    def record(self) -> None:
        """Record this step (if it is one of every ``every``); call after backward() and step()."""
        watched = self._record_step() if self._calls % self.every == 0 else None
        self._calls += 1
        if self._calls % self.every == 0:  # the next call records: keep the weights it starts from
            self._before = watched if watched is not None else self._watched_weights()

    def _record_step(self) -> dict[str, np.ndarray]:
        grads = [p.grad for _, p in self._entries]
        if all(g is None for g in grads):
            raise RuntimeError(
                "GradientMonitor.record(): no parameter of the model has a gradient; call it "
                "after loss.backward() and optimizer.step(), before the next zero_grad()")
        watched = {}
        for (name, p), grad in zip(self._entries, grads):
            # Raw arrays and np.dot: no graph, and no temporary for g**2 (this runs every step).
            g = grad.data.ravel() if grad is not None else np.zeros(1)
            before = self._before[name]
            now = watched[name] = self._sampled(p.data.ravel()).astype(np.float64)
            delta = now - before
            scale = p.data.size / before.size  # a sample's sums, scaled up to the whole tensor's
            self._grad_sq[name].append(float(np.dot(g, g)))
            self._update_sq[name].append(scale * float(np.dot(delta, delta)))
            self._weight_sq[name].append(scale * float(np.dot(before, before)))
        step = self._calls
        self.steps.append(step)
        if self._details():
            for name, (mean, std, dead, _) in self._pending.items():
                stats = self._activations.setdefault(name, {key: [] for key in ACTIVATION_KEYS})
                for key, value in zip(ACTIVATION_KEYS, (step, mean, std, dead)):
                    stats[key].append(value)
            self.histograms.append(self._histograms(step))
        self._pending = {}
        return watched

    def _histograms(self, step: int) -> dict[str, Any]:
        grads = {}
        for layer, own in self._params.items():
            values = [self._sampled(p.grad.data.ravel()) for _, p in own if p.grad is not None]
            if values:
                grads[layer] = histogram(np.concatenate(values), self.bins)
        outputs = {name: h for name, (*_, h) in self._pending.items()}
        return {"step": step, "gradients": grads, "activations": outputs}

    def remove(self) -> None:
        """Unregister the forward hooks (the recorded numbers stay)."""
        for handle in self._handles:
            handle.remove()
        self._handles = []

    # -- as a Keras callback: fit(..., callbacks=[monitor]) records after every batch's step ----
    def set_model(self, model: Any) -> None:
        if model is not self.model:
            raise ValueError(f"GradientMonitor: this monitor watches a {type(self.model).__name__} "
                             f"but fit was called on another model ({type(model).__name__}); "
                             "make the monitor with the model you fit")

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.record()  # fit calls this after opt.step(), as record() wants

    # -- reading ---------------------------------------------------------------------------------
    def layer_names(self) -> list[str]:
        """The layers (modules owning parameters), from input to output."""
        seen = self._order
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
        seen = self._order
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


def histogram(values: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.histogram(values, bins)`` for equal-width bins over the finite values' range.

    Written with ``np.bincount``: a third of ``np.histogram``'s time, which re-checks each
    value against the bin edges (the counts can differ only for values within rounding of
    an edge).  Returns ``(counts, edges)`` like ``np.histogram``.
    """
    values = np.asarray(values, dtype=np.float64).ravel()
    low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)
    if not math.isfinite(low + high):  # NaN or inf somewhere: count only the finite values
        values = values[np.isfinite(values)]
        low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)
    if high == low:  # one value: np.histogram's range of +-0.5 around it
        low, high = low - 0.5, high + 0.5
    index = ((values - low) * (bins / (high - low))).astype(np.intp)
    np.minimum(index, bins - 1, out=index)  # the largest value goes in the last bin
    edges = low + (high - low) / bins * np.arange(bins + 1)  # (np.linspace: 10x the time here)
    return np.bincount(index, minlength=bins), edges


def monitor_settings(every: Any, details_every: Any, bins: Any,
                     sample: Any) -> tuple[int, int, int, int | None]:
    """``(every, details_every, bins, sample)`` checked; ``details_every`` defaults to ``50 * every``."""
    every = _positive_int("every", every)
    if details_every is None:
        details_every = DETAILS_EVERY * every
    details_every = _positive_int("details_every", details_every)
    if details_every % every:
        raise ValueError(f"GradientMonitor: details_every={details_every} must be a multiple "
                         f"of every={every}, so the details fall on recorded steps")
    return (every, details_every, _positive_int("bins", bins),
            None if sample is None else _positive_int("sample", sample))


def _positive_int(what: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"GradientMonitor: {what} must be a positive integer, got {value!r}")
    return int(value)
