"""``tg.compile``: a training step recorded once and replayed as straight-line NumPy.

trace.py listens to the engine's seams during one eager call; codegen.py writes the NumPy
program (one line per op, named after the tensors); guards.py decides when a recorded
program may stand in for a call; replay.py runs one and checks it against eager; step.py
holds the cache of them (``tg.compile``); picture.py draws a program.  The engine does not
import this package: it only reports to ``Config.recorder`` while a trace is being recorded.
"""

from .step import Compiled, CompileWarning, TraceMismatchError, compile
from .trace import CannotCompile

__all__ = ["compile", "Compiled", "CompileWarning", "TraceMismatchError", "CannotCompile"]
