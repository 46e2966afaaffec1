"""Shared pytest setup: hypothesis profiles and a clean engine state around every test.

The default hypothesis profile is derandomized, so a CI run is reproducible; set
``TG_HYPOTHESIS_PROFILE=explore`` to search many more random examples while hunting bugs.
No test may depend on the ones before it: ``TG_TEST_ORDER=reverse`` runs the suite backwards
and ``TG_TEST_ORDER=shuffle:SEED`` in a random order drawn from SEED, to prove it.
"""

import os
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import tinygrad_edu as tg
from tinygrad_edu.config import Config

# No example database in CI: a run must not depend on what an earlier run found (and .ci/run
# runs two suites at once from one checkout).
settings.register_profile(
    "ci", deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "explore", deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("TG_HYPOTHESIS_PROFILE", "ci"))


def pytest_collection_modifyitems(config, items):
    order = os.environ.get("TG_TEST_ORDER", "")
    if order == "reverse":
        items.reverse()
    elif order.startswith("shuffle:"):
        random.Random(order.partition(":")[2]).shuffle(items)
    elif order:
        raise pytest.UsageError(f"TG_TEST_ORDER={order!r}: use 'reverse' or 'shuffle:SEED'")


@pytest.fixture(autouse=True)
def _engine_defaults():
    """Every test starts (and leaves) the engine in its default modes and dtype."""
    saved = (Config.grad_enabled, Config.anomaly, Config.scope, tg.get_default_dtype())
    yield
    Config.grad_enabled, Config.anomaly, Config.scope = saved[:3]
    tg.set_default_dtype(saved[3])


@pytest.fixture
def float64_default():
    """Python floats become float64 inside the test (for exact comparisons)."""
    tg.set_default_dtype(np.float64)
    yield
