"""Keras callbacks: ``History`` (what ``fit`` returns), ``EarlyStopping``, ``GradientMonitor``
(``viz.GradientMonitor`` driven by ``fit``), and the progress display (a bar that redraws in
a terminal, one line per epoch when output is a file or pipe)."""

from __future__ import annotations

import sys
from typing import Any, TextIO

import numpy as np

from ..optim.optimizer import check_range
from ..richdisplay import history_html
from .checks import check_bool, check_int


class Callback:
    """Hooks ``fit`` calls; override the ones you need."""

    model: Any = None

    def set_model(self, model: Any) -> None:
        self.model = model

    def on_train_begin(self, logs: dict | None = None) -> None: ...

    def on_train_end(self, logs: dict | None = None) -> None: ...

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None: ...

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None: ...

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None: ...


class History(Callback):
    """``history.history['loss']`` etc.: one value per epoch, for every logged quantity."""

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)

    def _repr_html_(self) -> str:
        return history_html(self)  # Jupyter: one table row per epoch


class EarlyStopping(Callback):
    """Stop training when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs.

    With ``restore_best_weights=True`` the weights of the best epoch are put back at the end
    of training (whether or not it stopped early).
    With ``verbose=1`` it prints, after the last epoch's progress line, ``Epoch N: early
    stopping`` and ``Restoring model weights from the end of the best epoch: M.``
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0,
                 mode: str = "auto", restore_best_weights: bool = False, verbose: int = 0) -> None:
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"EarlyStopping mode must be 'auto', 'min' or 'max', got {mode!r}")
        patience = check_int("EarlyStopping", "patience", patience, 0)
        check_range("EarlyStopping", "min_delta", min_delta)
        restore_best_weights = check_bool("EarlyStopping", "restore_best_weights", restore_best_weights)
        self.monitor, self.min_delta, self.patience = monitor, abs(min_delta), patience
        self.restore_best_weights, self.verbose = restore_best_weights, verbose
        self.maximize = mode == "max" or (mode == "auto" and "acc" in monitor)
        self.best: float | None = None
        self.best_weights: dict | None = None
        self.best_epoch: int | None = None
        self.wait = 0
        self.stopped_epoch: int | None = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.best, self.best_weights, self.wait, self.stopped_epoch = None, None, 0, None
        self.best_epoch = None

    def _improved(self, value: float) -> bool:
        if self.best is None:
            return True
        if self.maximize:
            return value > self.best + self.min_delta
        return value < self.best - self.min_delta

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        if self.monitor not in logs:
            raise KeyError(
                f"EarlyStopping monitors {self.monitor!r}, which fit did not log; available: "
                f"{sorted(logs)} (val_* values need validation_data or validation_split)"
            )
        value = float(logs[self.monitor])
        if self._improved(value):
            self.best, self.wait, self.best_epoch = value, 0, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.state_dict()
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: dict | None = None) -> None:
        # Printed here, not in on_epoch_end: after the progress line of the last epoch.  As in
        # Keras 3 the best weights come back even when training ran all its epochs.
        if self.stopped_epoch is not None and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose:
                best = (self.best_epoch or 0) + 1
                print(f"Restoring model weights from the end of the best epoch: {best}.")
            self.model.load_state_dict(self.best_weights)


class GradientMonitor(Callback):
    """Records gradient health during ``fit``: ``tg.viz.GradientMonitor`` with ``record()``
    called after every batch's ``optimizer.step()`` (``on_batch_end``).

    ``every``, ``details_every``, ``bins`` and ``sample`` are the viz monitor's; after ``fit``,
    ``callback.monitor`` is that monitor, and ``grad_norms()``, ``update_ratios()``,
    ``activation_stats()``, ``report()``, ``save_html()`` and ``plot()`` are its own.
    Steps count batches from the start of ``fit``; another ``fit`` starts a new record.
    """

    def __init__(self, every: int = 1, details_every: int | None = None, bins: int = 30,
                 sample: int | None = 2048) -> None:
        from ..viz.monitor import monitor_settings  # lazily: keras loads without viz

        # Checked here, so a bad value fails when the callback is made, not when fit starts.
        self.settings = monitor_settings(every, details_every, bins, sample)
        self.monitor: Any = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        from ..viz.monitor import GradientMonitor as Monitor

        # Made here, so the weights fit starts from are the base of step 0's update ratio.
        self.monitor = Monitor(self.model, *self.settings)

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.monitor.record()

    def on_train_end(self, logs: dict | None = None) -> None:
        self.monitor.remove()  # no hooks left on the model after fit

    def __getattr__(self, name: str) -> Any:
        if name in ("grad_norms", "update_ratios", "activation_stats", "report", "save_html", "plot",
                    "steps", "histograms", "layer_names"):
            monitor = self.__dict__.get("monitor")
            if monitor is None:
                raise RuntimeError(f"GradientMonitor.{name}: nothing recorded yet; pass the callback "
                                   "to fit(..., callbacks=[monitor]) first")
            return getattr(monitor, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


class ProgressDisplay(Callback):
    """verbose=1: a redrawn bar on a terminal, else one line per epoch; verbose=2: one line per epoch."""

    def __init__(self, epochs: int, batches: int, verbose: int, stream: TextIO | None = None) -> None:
        self.epochs, self.batches, self.verbose = epochs, batches, verbose
        self.stream = stream or sys.stdout
        self.live = verbose == 1 and hasattr(self.stream, "isatty") and self.stream.isatty()
        self._losses: list[float] = []

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._losses = []
        if self.verbose:
            self.stream.write(f"Epoch {epoch + 1}/{self.epochs}\n")

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._losses.append(float((logs or {}).get("loss", np.nan)))
        if self.live:
            done = batch + 1
            width = 30
            filled = int(width * done / self.batches)
            bar = "=" * max(filled - 1, 0) + (">" if filled < width else "=") + "." * (width - filled)
            self.stream.write(f"\r{done}/{self.batches} [{bar}] - loss: {np.mean(self._losses):.4f}")
            self.stream.flush()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if not self.verbose:
            return
        summary = " - ".join(f"{k}: {v:.4f}" for k, v in (logs or {}).items())
        prefix = "\r" if self.live else ""
        self.stream.write(f"{prefix}{self.batches}/{self.batches} - {summary}\n")
        self.stream.flush()
