"""``tg.utils.data``: PyTorch's data-loading names (``from tinygrad_edu.utils.data import DataLoader``)."""

from . import data

__all__ = ["data"]
