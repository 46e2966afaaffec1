"""Weight initialisation: fill a parameter's array in place with a chosen distribution.

Why it matters: all-zero weights make every hidden unit compute the same thing forever
(symmetry is never broken), tiny weights make deep signals fade, large ones saturate
sigmoids.  Xavier/Glorot keeps the variance of activations roughly constant for tanh and
sigmoid layers; Kaiming/He does the same for ReLU layers, which zero half their inputs.

Each function writes into ``tensor.data`` (no graph is recorded), returns the tensor, and
draws from ``rng`` or, by default, the global generator that ``tg.manual_seed`` resets.
Fans follow PyTorch: a weight of shape (out_features, in_features) has fan_in = in_features
and fan_out = out_features.  ``fans=(fan_in, fan_out)`` gives them explicitly for other layouts:
a Keras kernel is (in, out), and a Keras bias takes the fans of its layer.

``INITIALIZERS`` is the one table of initialiser names ('glorot_uniform', 'he_normal', ...),
shared by ``nn.Linear(init=...)`` and the Keras layers.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..random import generator
from ..tensor import Tensor

__all__ = [
    "calculate_gain", "zeros_", "ones_", "constant_", "normal_", "uniform_", "small_random_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "INITIALIZERS",
]

Fans = tuple[int, int]  # (fan_in, fan_out)


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor that makes a layer followed by ``nonlinearity`` keep its output variance.

    linear / identity / sigmoid: 1;  tanh: 5/3;  relu: sqrt(2);
    leaky_relu with negative slope a (default 0.01): sqrt(2 / (1 + a²))  -- PyTorch's table.
    """
    if nonlinearity in ("linear", "identity", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1.0 + slope ** 2))
    raise ValueError(
        f"calculate_gain: unknown nonlinearity {nonlinearity!r}; choose one of 'linear', "
        "'identity', 'sigmoid', 'tanh', 'relu', 'leaky_relu'"
    )


def _fans(tensor: Tensor, who: str, fans: Fans | None = None) -> Fans:
    """(fan_in, fan_out) of a weight of shape (out, in, *kernel), unless ``fans`` gives them."""
    if fans is not None:
        return fans
    if tensor.ndim < 2:
        raise ValueError(
            f"{who}: fan_in and fan_out need a weight with at least 2 dimensions "
            f"(out_features, in_features), got shape {tensor.shape}; for a bias use uniform_ "
            "or zeros_"
        )
    receptive = int(np.prod(tensor.shape[2:])) if tensor.ndim > 2 else 1
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor: Tensor, mode: str, who: str, fans: Fans | None = None) -> int:
    fan_in, fan_out = _fans(tensor, who, fans)
    if mode == "fan_in":
        return fan_in
    if mode == "fan_out":
        return fan_out
    raise ValueError(f"{who}: mode must be 'fan_in' or 'fan_out', got {mode!r}")


def _fill(tensor: Tensor, values: np.ndarray | float) -> Tensor:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"init functions fill a Tensor in place, got {type(tensor).__name__}")
    tensor.data[...] = values  # in place: the parameter object (and its name) stays the same
    return tensor


def zeros_(tensor: Tensor) -> Tensor:
    """w = 0 everywhere.  Fine for biases; for weights it leaves hidden units identical."""
    return _fill(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    """w = 1 everywhere."""
    return _fill(tensor, 1.0)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """w = val everywhere."""
    return _fill(tensor, float(val))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0,
            rng: np.random.Generator | None = None) -> Tensor:
    """w ~ N(mean, std²)."""
    if std < 0:
        raise ValueError(f"normal_: std must be non-negative, got {std}")
    return _fill(tensor, generator(rng).normal(mean, std, size=tensor.shape))


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0,
             rng: np.random.Generator | None = None) -> Tensor:
    """w ~ U(a, b)."""
    if b < a:
        raise ValueError(f"uniform_: need a <= b, got a={a}, b={b}")
    return _fill(tensor, generator(rng).uniform(a, b, size=tensor.shape))


def small_random_(tensor: Tensor, std: float = 0.01, rng: np.random.Generator | None = None) -> Tensor:
    """w ~ N(0, std²) with std = 0.01: the classic "small random numbers" (randn * 0.01).

    Breaks symmetry and is fine for shallow nets; in deep nets the signal shrinks by a
    factor of roughly std·sqrt(fan_in) per layer, which is what Xavier and He fix.
    """
    return normal_(tensor, 0.0, std, rng=rng)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, rng: np.random.Generator | None = None,
                    fans: Fans | None = None) -> Tensor:
    """Glorot & Bengio (2010):  w ~ U(-a, a),  a = gain·sqrt(6 / (fan_in + fan_out)).

    The variance a²/3 = gain²·2/(fan_in + fan_out) balances the forward and backward signals
    of sigmoid/tanh layers.
    """
    fan_in, fan_out = _fans(tensor, "xavier_uniform_", fans)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, rng=rng)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, rng: np.random.Generator | None = None,
                   fans: Fans | None = None) -> Tensor:
    """Glorot & Bengio (2010):  w ~ N(0, std²),  std = gain·sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(tensor, "xavier_normal_", fans)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), rng=rng)


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu",
                     rng: np.random.Generator | None = None, fans: Fans | None = None) -> Tensor:
    """He et al. (2015):  w ~ U(-bound, bound),  bound = gain·sqrt(3 / fan),  gain for ``nonlinearity``.

    The variance bound²/3 = gain²/fan; with gain sqrt(2) (ReLU) that is 2/fan_in, which makes
    up for ReLU zeroing half its inputs.  ``a`` is the leaky-ReLU slope used by the gain
    (PyTorch's defaults: a=0, nonlinearity='leaky_relu', i.e. gain sqrt(2)).
    """
    fan = _fan(tensor, mode, "kaiming_uniform_", fans)
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return uniform_(tensor, -bound, bound, rng=rng)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu",
                    rng: np.random.Generator | None = None, fans: Fans | None = None) -> Tensor:
    """He et al. (2015):  w ~ N(0, std²),  std = gain / sqrt(fan)  (sqrt(2 / fan_in) for ReLU)."""
    fan = _fan(tensor, mode, "kaiming_normal_", fans)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return normal_(tensor, 0.0, std, rng=rng)


# -- the one table of initialiser names ------------------------------------------------------------
Initializer = Callable[[Tensor, "np.random.Generator | None", "Fans | None"], Tensor]

# nn.Linear(init=name) and Keras' Dense(kernel_initializer=name, bias_initializer=name) both look
# names up here.  Each entry is fill(tensor, rng, fans): rng None means the global generator,
# fans None means "read them from the shape" (see the module docstring).
INITIALIZERS: dict[str, Initializer] = {
    "zeros": lambda t, rng, fans: zeros_(t),
    "ones": lambda t, rng, fans: ones_(t),
    "small": lambda t, rng, fans: small_random_(t, rng=rng),
    "random_normal": lambda t, rng, fans: normal_(t, 0.0, 0.05, rng=rng),  # Keras' RandomNormal()
    "random_uniform": lambda t, rng, fans: uniform_(t, -0.05, 0.05, rng=rng),  # Keras' RandomUniform()
    "glorot_uniform": lambda t, rng, fans: xavier_uniform_(t, rng=rng, fans=fans),
    "glorot_normal": lambda t, rng, fans: xavier_normal_(t, rng=rng, fans=fans),
    "he_normal": lambda t, rng, fans: kaiming_normal_(t, nonlinearity="relu", rng=rng, fans=fans),
    "he_uniform": lambda t, rng, fans: kaiming_uniform_(t, nonlinearity="relu", rng=rng, fans=fans),
    # LeCun normal is He's formula with gain 1:  std = 1 / sqrt(fan_in).
    "lecun_normal": lambda t, rng, fans: kaiming_normal_(t, nonlinearity="linear", rng=rng, fans=fans),
}
# PyTorch-style spellings of the same schemes.
INITIALIZERS["xavier"] = INITIALIZERS["xavier_uniform"] = INITIALIZERS["glorot_uniform"]
INITIALIZERS["xavier_normal"] = INITIALIZERS["glorot_normal"]
INITIALIZERS["he"] = INITIALIZERS["he_normal"]
