"""Optimizers (``tg.optim``, like ``torch.optim``): turn gradients into parameter updates.

Ordered from simplest to most complex: ``SGD`` (with momentum / Nesterov), ``Adagrad``,
``RMSprop``, ``Adam``, ``AdamW``.  Each lives in its own file with its update rule as math
in the docstring; all share ``Optimizer`` (optimizer.py), which updates the raw ``.data``
arrays in place and never records a graph.  Schedulers that change ``lr`` over time are in
lr_scheduler.py.

The usual loop::

    opt = tg.optim.SGD(model.parameters(), lr=0.1)
    for x, y in tg.data.DataLoader((X, Y), batch_size=32, shuffle=True):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

Batch, stochastic and mini-batch gradient descent are this same loop with ``batch_size=None``
(the whole data set), ``1`` and ``k``.
"""

from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .lr_scheduler import ExponentialLR, LRScheduler, StepLR
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW",
           "LRScheduler", "StepLR", "ExponentialLR", "lr_scheduler"]
