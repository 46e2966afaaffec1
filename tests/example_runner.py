"""Shared by the example tests: import ``examples/NAME.py``, run it in quick mode, check files."""

from __future__ import annotations

import importlib.util
import pathlib
import sys
from types import ModuleType

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def load_example(name: str) -> ModuleType:
    """Import ``examples/NAME.py`` as a module (the examples import ``_common`` from their folder).

    The module is registered in ``sys.modules`` so ``inspect.getsource`` works on it.
    """
    if str(EXAMPLES) not in sys.path:
        sys.path.append(str(EXAMPLES))
    module_name = f"example_{name}"
    spec = importlib.util.spec_from_file_location(module_name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def run_quick(name: str, out: pathlib.Path) -> dict:
    return load_example(name).main(["--quick", "--out", str(out)])


def assert_pictures(out: pathlib.Path, *names: str) -> None:
    for name in names:
        path = out / name
        assert path.is_file(), f"{name} was not written"
        assert path.stat().st_size > 1000, f"{name} is suspiciously small ({path.stat().st_size} bytes)"


def assert_plots(out: pathlib.Path, *names: str) -> None:
    """Pictures drawn with matplotlib: only checked where matplotlib is installed."""
    pytest.importorskip("matplotlib")
    assert_pictures(out, *names)
