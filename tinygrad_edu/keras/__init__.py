"""A Keras-style front end over the same engine: ``Sequential``, ``layers.Dense``, ``compile``,
``fit``, ``evaluate``, ``predict``, ``summary``, ``optimizers``, ``callbacks``.

``import tinygrad_edu as tf`` makes ``tf.keras.Sequential([...])`` and
``tf.keras.optimizers.Adam(learning_rate=0.001)`` work as in TensorFlow.
"""

from types import SimpleNamespace

from . import callbacks, losses, optimizers
from . import layers as layers
from .layers import Input
from .model import Sequential

models = SimpleNamespace(Sequential=Sequential)

__all__ = ["Sequential", "Input", "layers", "optimizers", "callbacks", "losses", "models"]
