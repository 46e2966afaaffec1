"""tinygrad_edu: a small autograd engine on NumPy for learning how neural networks train.

``import tinygrad_edu as tg`` gives the Tensor, the ways to make tensors, the functional forms
(``tg.relu``...), the gradient tools (``tg.grad``, ``tg.gradcheck``...) and the global modes
(``tg.no_grad``...).  The pieces live in small modules: tensor.py (the Tensor), ops/ (one class
per primitive), autograd.py (the chain rule), function.py (graph recording).
"""

import numpy as np

from . import data, keras, nn, optim, viz  # subpackages, like torch.nn / torch.optim
from . import random as random
from .autograd import grad
from .config import detect_anomaly, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .creation import (
                       arange,
                       cat,
                       concatenate,
                       exp,
                       eye,
                       full,
                       leaky_relu,
                       log,
                       log_softmax,
                       matmul,
                       maximum,
                       minimum,
                       ones,
                       ones_like,
                       rand,
                       randn,
                       relu,
                       sigmoid,
                       softmax,
                       sqrt,
                       stack,
                       step,
                       tanh,
                       tensor,
                       zeros,
                       zeros_like,
)
from .explain import explain
from .function import Function
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .random import manual_seed
from .serialization import load, save
from .tensor import Tensor, get_default_dtype, set_default_dtype, where

float32 = np.float32
float64 = np.float64

__version__ = "0.1.0"

__all__ = [
    "Tensor", "Function", "grad", "gradcheck", "gradgradcheck", "GradcheckError",
    "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "detect_anomaly",
    "manual_seed", "set_default_dtype", "get_default_dtype", "random",
    "tensor", "zeros", "ones", "full", "zeros_like", "ones_like", "arange", "eye", "randn", "rand",
    "concatenate", "cat", "stack", "where", "maximum", "minimum", "exp", "log", "sqrt", "relu",
    "sigmoid", "tanh", "leaky_relu", "softmax", "log_softmax", "step", "matmul",
    "float32", "float64", "save", "load", "explain", "nn", "optim", "data", "viz", "keras",
]
