"""Devices and dtype names, spelled as PyTorch spells them, answered honestly.

tinygrad_edu computes with NumPy on the CPU, so there is exactly one device, ``"cpu"``.
PyTorch code that asks (``"cuda" if torch.cuda.is_available() else "cpu"``) gets ``"cpu"``
and runs; code that insists on another device gets an error saying why, never a silent copy.
The dtype names (``tg.float``, ``tg.long``...) are plain NumPy dtypes.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

# PyTorch's dtype names for the NumPy dtypes a tensor may hold.
float32 = np.float32
float64 = np.float64
int32 = np.int32
int64 = np.int64
DTYPES: dict[str, type] = {
    "float": np.float32, "float32": np.float32, "double": np.float64, "float64": np.float64,
    "long": np.int64, "int64": np.int64, "int": np.int32, "int32": np.int32, "bool": np.bool_,
}


class device:  # noqa: N801  (PyTorch's lower-case name: torch.device("cpu"))
    """``tg.device("cpu")``: the one device there is.  Any other name is a ``RuntimeError``.

    ``device.type`` is ``"cpu"`` and ``device.index`` is ``None``; a device compares equal to
    another device and to the string ``"cpu"``.
    """

    __slots__ = ()
    type = "cpu"
    index = None

    def __new__(cls, name: Any = "cpu") -> device:
        check_device(name, "device")
        return CPU

    def __eq__(self, other: object) -> bool:
        return isinstance(other, device) or other == "cpu"

    def __hash__(self) -> int:
        return hash("cpu")

    def __repr__(self) -> str:
        return "device(type='cpu')"

    def __str__(self) -> str:
        return "cpu"


CPU: device = object.__new__(device)


def check_device(name: Any, op: str) -> device:
    """``name`` (``None``, ``"cpu"``, ``"cpu:0"`` or a ``device``) as the CPU device, or a clear error."""
    if name is None or isinstance(name, device):
        return CPU
    if isinstance(name, str) and name.strip().lower() in ("cpu", "cpu:0"):
        return CPU
    raise RuntimeError(
        f"{op}: device={name!r} is not available: tinygrad_edu computes with NumPy on the CPU, so "
        "the only device is 'cpu'. Write device = 'cuda' if tg.cuda.is_available() else 'cpu' "
        "(it gives 'cpu' here)"
    )


def names_device(value: Any) -> bool:
    """Whether an argument of ``.to(...)`` names a device (a device, or a string no dtype has)."""
    if isinstance(value, device):
        return True
    if not isinstance(value, str):
        return False
    try:
        np.dtype(value)
    except TypeError:
        return True
    return False


def set_default_device(name: Any) -> None:
    """Accept ``"cpu"`` (it is already the default); any other device is a ``RuntimeError``."""
    check_device(name, "set_default_device")


def get_default_device() -> device:
    """The default device: always the CPU."""
    return CPU


def _not_available() -> bool:
    """False: tinygrad_edu has no GPU back end (it computes with NumPy on the CPU)."""
    return False


def _count() -> int:
    """0: no accelerator devices."""
    return 0


# ``tg.cuda.is_available()``, ``tg.backends.mps.is_available()``, ``tg.accelerator...``: all False.
cuda = SimpleNamespace(is_available=_not_available, device_count=_count)
accelerator = SimpleNamespace(is_available=_not_available, device_count=_count)
backends = SimpleNamespace(mps=SimpleNamespace(is_available=_not_available, is_built=_not_available),
                           cuda=SimpleNamespace(is_built=_not_available))
