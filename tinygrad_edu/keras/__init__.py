"""A Keras-style front end over the same engine: ``Sequential``, the Functional ``Model``,
``layers``, ``compile``, ``fit``, ``evaluate``, ``predict``, ``summary``, ``losses``,
``metrics``, ``optimizers``, ``callbacks``.

``from tinygrad_edu import keras`` lets Keras programs run with only that line changed, and
``import tinygrad_edu as tf`` makes ``tf.keras.Sequential([...])`` work as in TensorFlow.
"""

from types import SimpleNamespace

from . import callbacks, losses, metrics, optimizers, utils
from . import layers as layers
from .functional import Input, KerasTensor
from .layer import Layer
from .model import Model
from .sequential import Sequential

models = SimpleNamespace(Sequential=Sequential, Model=Model)

__all__ = ["Sequential", "Model", "Input", "KerasTensor", "Layer", "layers", "optimizers", "callbacks",
           "losses", "metrics", "models", "utils"]
