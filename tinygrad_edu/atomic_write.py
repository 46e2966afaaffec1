"""Writing a file so that a crash never leaves it half-written (used by ``tg.save``).

The data goes to a temporary file beside the target, is fsync'ed, and then replaces the
target in one atomic rename.  Temporary files that a killed save left behind are swept on
the next save to the same place.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

_STALE_TEMP_SECONDS = 60  # a temporary file untouched this long belongs to a killed save


def atomic_write(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Call ``write(file)`` on a temporary file next to ``path``, then rename it onto ``path``.

    The rename (``os.replace``) is atomic on POSIX and Windows, so ``path`` is always either
    the old complete file or the new complete file.  Data is fsync'ed before the rename so a
    power cut cannot leave the new name pointing at unwritten blocks.
    """
    directory = path.parent
    if not directory.is_dir():
        raise FileNotFoundError(f"tg.save: cannot write {str(path)!r}: the directory "
                                f"{str(directory)!r} does not exist")
    _remove_stale_temp_files(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        _copy_permissions(path, tmp_name)
        os.replace(tmp_name, path)
    except BaseException:  # also KeyboardInterrupt: never leave the temporary file behind
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    _fsync_directory(directory)


def _remove_stale_temp_files(path: Path) -> None:
    """Delete the temporary files a killed save to ``path`` left behind (they can be large).

    Only names ``atomic_write`` itself makes for this ``path`` (``.NAME.`` + mkstemp's eight
    random characters + ``.tmp``), only regular files, and only those untouched for
    ``_STALE_TEMP_SECONDS``: a save still running elsewhere keeps writing to its file.  A file
    that cannot be removed is left; it never makes the save fail.
    """
    pattern = re.compile(rf"\.{re.escape(path.name)}\.[a-z0-9_]{{8}}\.tmp")
    cutoff = time.time() - _STALE_TEMP_SECONDS
    with contextlib.suppress(OSError), os.scandir(path.parent) as entries:
        for entry in entries:
            if not pattern.fullmatch(entry.name):
                continue
            with contextlib.suppress(OSError):
                stale = entry.stat(follow_symlinks=False).st_mtime < cutoff
                if stale and entry.is_file(follow_symlinks=False):
                    os.unlink(entry.path)


def _copy_permissions(path: Path, tmp_name: str) -> None:
    """mkstemp makes owner-only files; give the checkpoint the permissions a normal file gets."""
    if path.exists():
        shutil.copymode(path, tmp_name)
        return
    umask = os.umask(0)  # reading the umask means setting it; put it straight back
    os.umask(umask)
    os.chmod(tmp_name, 0o666 & ~umask)


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
