"""Neural-network building blocks on the engine, spelled like ``torch.nn``.

``Module`` registers parameters and sub-modules assigned as attributes; layers, losses and
models are modules whose ``forward`` composes Tensor operations (the engine supplies every
gradient).  ``nn.functional`` (import it as ``F``) has the same pieces as functions and
``nn.init`` the weight initialisers.

    from tinygrad_edu import nn
    model = nn.Sequential(nn.Linear(2, 4), nn.Sigmoid(), nn.Linear(4, 1), nn.Sigmoid())
    loss = nn.MSELoss()(model(x), y)
"""

from . import functional, init
from .adaptive import AdaptiveAvgPool2d, AdaptiveMaxPool2d, Dropout2d, Unflatten
from .conv import AvgPool2d, Conv2d, MaxPool2d
from .layers import (
    GELU,
    Dropout,
    Embedding,
    Flatten,
    Hardswish,
    Identity,
    LeakyReLU,
    Linear,
    LogSoftmax,
    Mish,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from .models import MLP, Perceptron
from .module import IncompatibleKeys, Module, ModuleList, Parameter, Sequential
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm

__all__ = [
    "functional", "init",
    "Module", "Parameter", "ModuleList", "Sequential", "IncompatibleKeys",
    "Linear", "Embedding", "Dropout", "Flatten", "Identity",
    "Conv2d", "MaxPool2d", "AvgPool2d", "BatchNorm1d", "BatchNorm2d", "LayerNorm",
    "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "Dropout2d", "Unflatten",
    "ReLU", "Sigmoid", "Tanh", "LeakyReLU", "Softmax", "LogSoftmax",
    "Softplus", "ReLU6", "Hardswish", "SiLU", "GELU", "Mish",
    "MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss",
    "Perceptron", "MLP",
]
