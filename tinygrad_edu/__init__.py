"""tinygrad_edu: a small autograd engine on NumPy for learning how neural networks train.

``import tinygrad_edu as tg`` gives the Tensor, the ways to make tensors, the functional forms
(``tg.relu``...), the gradient tools (``tg.grad``, ``tg.gradcheck``...) and the global modes
(``tg.no_grad``...).  The pieces live in small modules: tensor.py (the Tensor), ops/ (one class
per primitive), autograd.py (the chain rule), function.py (graph recording).
"""

# The Tensor first: function.py, the ops and operands.py all build on the finished class
# (tensor.py imports them at its end), so the package must enter through tensor.py.
from .tensor import Tensor  # isort: skip

# isort: split
import builtins
import importlib
from typing import TYPE_CHECKING, Any

import numpy as np

from . import creation as _creation  # for __all__
from . import data, func, nn, optim, utils  # subpackages, like torch.nn / torch.func / torch.optim
from . import functional as _functional  # for __all__
from . import random as random
from . import tensor_functions as _tensor_functions  # for __all__
from .autograd import grad
from .compiler import compile as compile  # tg.compile; kept out of __all__, like float and int
from .config import (
    detect_anomaly,
    enable_grad,
    get_default_dtype,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_default_dtype,
    set_grad_enabled,
)
from .creation import *  # noqa: F403  tensor, zeros, ones, ... (creation.__all__)
from .device import accelerator, backends, cuda, device, get_default_device, set_default_device
from .explain import explain
from .explain_forward import explain_forward
from .function import Function
from .functional import *  # noqa: F403  exp, log, relu, softmax, ... (functional.__all__)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .random import manual_seed
from .serialization import load, save
from .tensor_functions import *  # noqa: F403  is_tensor, equal, chunk, from_numpy, ...

if TYPE_CHECKING:  # loaded on first use (below): the engine needs neither, nor graphviz
    from . import keras, viz

# PyTorch's dtype names, as the NumPy dtypes tensors hold (tg.float is np.float32, tg.long is
# np.int64).  float, double, int, long and bool stay out of __all__: ``from tinygrad_edu import *``
# must not replace Python's own float, int and bool.
float32 = float = np.float32
float64 = double = np.float64
int64 = long = np.int64
int32 = int = np.int32
int16, int8, uint8 = np.int16, np.int8, np.uint8
bool = np.bool_

_LAZY = ("viz", "keras")


def __getattr__(name: str) -> Any:
    """``tg.viz`` and ``tg.keras`` are imported the first time they are used."""
    if name in _LAZY:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'tinygrad_edu' has no attribute {name!r}")


__version__ = "0.1.0"

__all__ = [
    "Tensor", "Function", "grad", "gradcheck", "gradgradcheck", "GradcheckError",
    "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "detect_anomaly",
    "inference_mode",  # autograd compatibility (tg.autograd.Function/backward live in autograd.py)
    "manual_seed", "set_default_dtype", "get_default_dtype", "random",
    # tg.sum, tg.max, tg.abs... exist, but ``from tinygrad_edu import *`` must not replace
    # Python's own sum, max, abs, round and pow, so those stay out of the star-import.
    *_creation.__all__, *_tensor_functions.__all__,
    *(n for n in _functional.__all__ if not hasattr(builtins, n)),
    "float32", "float64", "int64", "int32", "int16", "int8", "uint8",
    "device", "cuda", "accelerator", "backends",
    "set_default_device", "get_default_device", "save", "load", "explain", "explain_forward",
    "nn", "optim", "data",
    "utils", "viz", "keras", "func",
]
