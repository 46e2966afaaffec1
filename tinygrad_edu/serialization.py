"""Checkpoints: ``tg.save(state, path)`` and ``tg.load(path)``, an ``.npz`` file without pickle.

A checkpoint is a NumPy ``.npz`` archive: every array is one ``.npy`` member, and one more
member holds a JSON *manifest* (stored as uint8 bytes) describing the nested structure --
dicts, lists, numbers, strings -- and which member each array is.  Nothing is ever pickled,
so loading a file cannot run code.  Writes go to a temporary file that replaces the target
only once it is complete, so a crash mid-save never destroys the previous checkpoint.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import numpy as np

from .tensor import Tensor

MANIFEST_KEY = "__tinygrad_edu_manifest__"
FORMAT_NAME = "tinygrad_edu.checkpoint"
FORMAT_VERSION = 1
_ZIP_MAGIC = b"PK\x03\x04"
_ARRAY_KINDS = "biufcU"  # bool, int, uint, float, complex, unicode: all loadable without pickle


class CheckpointError(ValueError):
    """A file that ``tg.load`` refuses: not a checkpoint, damaged, or unsafe."""


def save(state: Any, path: str | os.PathLike[str], compress: bool = False) -> None:
    """Write ``state`` to ``path`` as a checkpoint, atomically.

    ``state`` may nest dicts (string or integer keys), lists and tuples of NumPy arrays,
    Tensors, NumPy scalars, Python numbers, strings, booleans and ``None`` -- for example a
    model's ``state_dict()``, an optimizer's ``state_dict()``, or
    ``{"model": ..., "optimizer": ..., "epoch": 3}``.  Arrays keep their dtype.  The file is
    written exactly at ``path`` (no suffix is added; ``.npz`` is the natural choice).
    ``compress=True`` zips the arrays (smaller, slower).
    """
    target = _as_path(path, "save")
    arrays: dict[str, np.ndarray] = {}
    root = _encode(state, arrays, "state", active=set())
    manifest = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "root": root}
    text = json.dumps(manifest, allow_nan=False, ensure_ascii=False)
    arrays[MANIFEST_KEY] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    savez = np.savez_compressed if compress else np.savez
    _atomic_write(target, lambda f: savez(f, allow_pickle=False, **arrays))


def load(path: str | os.PathLike[str]) -> Any:
    """Read a checkpoint written by ``save`` and rebuild the saved structure.

    Arrays come back as NumPy arrays (dtype kept), Tensors as Tensors, tuples as tuples.
    Raises ``FileNotFoundError`` for a missing file and ``CheckpointError`` (a ``ValueError``)
    for anything that is not an intact checkpoint -- including an archive that contains an
    object array, which would need pickle (and so could run code) to load.
    """
    source = _as_path(path, "load")
    if not source.exists():
        raise FileNotFoundError(f"tg.load: no checkpoint at {str(source)!r} (the file does not exist)")
    if source.is_dir():
        raise IsADirectoryError(f"tg.load: {str(source)!r} is a directory, not a checkpoint file")
    with open(source, "rb") as f:
        magic = f.read(4)
    if magic != _ZIP_MAGIC:
        raise CheckpointError(
            f"tg.load: {str(source)!r} is not a tinygrad_edu checkpoint (it is not an .npz archive; "
            "tg.load reads files written by tg.save)"
        )
    arrays = _read_members(source)
    if MANIFEST_KEY not in arrays:
        raise CheckpointError(
            f"tg.load: {str(source)!r} is an .npz archive but not a tinygrad_edu checkpoint (it has no "
            f"manifest; its arrays are {sorted(arrays)}); read plain .npz files with np.load(path)"
        )
    used: set[str] = set()
    try:
        manifest = _parse_manifest(arrays.pop(MANIFEST_KEY), source)
        state = _decode(manifest["root"], arrays, used, "state")
    except RecursionError:  # a crafted manifest nested absurdly deep
        raise CheckpointError(f"tg.load: {str(source)!r} has a manifest nested too deeply") from None
    extra = sorted(set(arrays) - used)
    if extra:
        raise CheckpointError(f"tg.load: {str(source)!r} contains arrays the manifest does not "
                              f"mention: {extra}; the file was not written by tg.save or was altered")
    return state


# -- writing ------------------------------------------------------------------------------------
def _encode(value: Any, arrays: dict[str, np.ndarray], where: str, active: set[int]) -> Any:
    """Turn ``value`` into a JSON manifest node, moving every array into ``arrays``."""
    if isinstance(value, Tensor):
        return {"tensor": _store(value.data, arrays, where), "requires_grad": value.requires_grad,
                "name": value.name}
    if isinstance(value, np.ndarray):
        return {"array": _store(value, arrays, where)}
    if isinstance(value, np.generic):
        return {"scalar": _store(np.asarray(value), arrays, where)}
    if value is None:
        return {"none": None}
    if isinstance(value, bool):
        return {"bool": value}
    if isinstance(value, int):
        return {"int": value}
    if isinstance(value, float):
        return {"float": repr(value)}  # repr round-trips exactly, including nan and inf
    if isinstance(value, str):
        return {"str": value}
    if isinstance(value, (list, tuple, dict)):
        if id(value) in active:
            raise ValueError(f"tg.save: {where} contains itself; a checkpoint must be a tree")
        active.add(id(value))
        try:
            if isinstance(value, dict):
                items = []
                for k, v in value.items():
                    if isinstance(k, bool) or not isinstance(k, (str, int)):
                        raise TypeError(f"tg.save: {where} has the key {k!r} of type {type(k).__name__}; "
                                        "dict keys must be strings or integers")
                    items.append([_encode(k, arrays, where, active),
                                  _encode(v, arrays, f"{where}[{k!r}]", active)])
                return {"dict": items}
            kind = "list" if isinstance(value, list) else "tuple"
            return {kind: [_encode(v, arrays, f"{where}[{i}]", active) for i, v in enumerate(value)]}
        finally:
            active.discard(id(value))
    raise TypeError(
        f"tg.save cannot store {where}, a {type(value).__name__}; checkpoints hold arrays, Tensors, "
        "numbers, strings, booleans, None, and dicts/lists/tuples of them"
    )


def _store(arr: np.ndarray, arrays: dict[str, np.ndarray], where: str) -> str:
    if arr.dtype.kind not in _ARRAY_KINDS or arr.dtype.fields is not None:
        raise TypeError(f"tg.save cannot store {where}: arrays of dtype {arr.dtype} would need pickle; "
                        "convert it to a numeric array first")
    key = f"a{len(arrays)}"
    arrays[key] = arr
    return key


def _atomic_write(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Call ``write(file)`` on a temporary file next to ``path``, then rename it onto ``path``.

    The rename (``os.replace``) is atomic on POSIX and Windows, so ``path`` is always either
    the old complete file or the new complete file.  Data is fsync'ed before the rename so a
    power cut cannot leave the new name pointing at unwritten blocks.
    """
    directory = path.parent
    if not directory.is_dir():
        raise FileNotFoundError(f"tg.save: cannot write {str(path)!r}: the directory "
                                f"{str(directory)!r} does not exist")
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


# -- reading ------------------------------------------------------------------------------------
def _read_members(source: Path) -> dict[str, np.ndarray]:
    """Every member of the archive as an array, refusing anything that would need pickle."""
    out: dict[str, np.ndarray] = {}
    try:
        with np.load(source, allow_pickle=False) as npz:
            for name in npz.files:
                try:
                    value = npz[name]
                except ValueError as err:
                    if "pickle" in str(err):
                        raise CheckpointError(
                            f"tg.load: {str(source)!r} contains {name!r}, an object array that only "
                            "pickle could load; refusing, because unpickling can run arbitrary code"
                        ) from None
                    raise
                if not isinstance(value, np.ndarray):
                    raise CheckpointError(f"tg.load: {str(source)!r} has a member {name!r} that is not "
                                          "a NumPy array; it is not a tinygrad_edu checkpoint")
                out[name] = value
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, KeyError) as err:
        raise CheckpointError(f"tg.load: {str(source)!r} is damaged or truncated and cannot be read "
                              f"({type(err).__name__}: {err})") from None
    return out


def _parse_manifest(raw: np.ndarray, source: Path) -> dict[str, Any]:
    bad = f"tg.load: {str(source)!r} has a damaged manifest"
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise CheckpointError(f"{bad} (expected a 1-d uint8 array, got {raw.dtype} of shape {raw.shape})")
    try:
        manifest = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CheckpointError(f"{bad} ({err})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME or "root" not in manifest:
        raise CheckpointError(f"{bad} (it does not describe a {FORMAT_NAME})")
    if manifest.get("version") != FORMAT_VERSION:
        raise CheckpointError(f"tg.load: {str(source)!r} uses checkpoint format version "
                              f"{manifest.get('version')!r}; this tinygrad_edu reads version "
                              f"{FORMAT_VERSION}")
    return manifest


def _decode(node: Any, arrays: dict[str, np.ndarray], used: set[str], where: str) -> Any:
    """Rebuild the value a manifest node describes (the inverse of ``_encode``)."""
    if not isinstance(node, dict) or not node:
        raise CheckpointError(f"tg.load: damaged manifest at {where}: {node!r}")
    tag = next(iter(node))
    body = node[tag]
    if tag in ("array", "scalar", "tensor"):
        if not isinstance(body, str) or body not in arrays:
            raise CheckpointError(f"tg.load: the manifest refers to a missing array {body!r} at {where}")
        used.add(body)
        arr = arrays[body]
        if tag == "array":
            return arr
        if tag == "scalar":
            return arr[()]
        try:
            return Tensor(arr, requires_grad=bool(node.get("requires_grad", False)), name=node.get("name"))
        except (TypeError, ValueError) as err:
            raise CheckpointError(f"tg.load: cannot rebuild the Tensor at {where}: {err}") from None
    simple = {"none": type(None), "bool": bool, "int": int, "str": str}
    if tag in simple and isinstance(body, simple[tag]) and not (tag == "int" and isinstance(body, bool)):
        return body
    if tag == "float" and isinstance(body, str):
        try:
            return float(body)
        except ValueError:
            pass
    if tag in ("list", "tuple") and isinstance(body, list):
        items = [_decode(v, arrays, used, f"{where}[{i}]") for i, v in enumerate(body)]
        return items if tag == "list" else tuple(items)
    if tag == "dict" and isinstance(body, list):
        out = {}
        for pair in body:
            if not isinstance(pair, list) or len(pair) != 2:
                raise CheckpointError(f"tg.load: damaged manifest at {where}: bad dict entry {pair!r}")
            key = _decode(pair[0], arrays, used, where)
            if not isinstance(key, (str, int)):
                raise CheckpointError(f"tg.load: damaged manifest at {where}: bad dict key {key!r}")
            out[key] = _decode(pair[1], arrays, used, f"{where}[{key!r}]")
        return out
    raise CheckpointError(f"tg.load: damaged manifest at {where}: {node!r}")


def _as_path(path: Any, op: str) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"tg.{op}: path must be a str or pathlib.Path, got {type(path).__name__}")
    return Path(path)
