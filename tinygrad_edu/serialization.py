"""Checkpoints: ``tg.save(state, path)`` and ``tg.load(path)``, an ``.npz`` file without pickle.

A checkpoint is a NumPy ``.npz`` archive: every array is one ``.npy`` member, and one more
member holds a JSON *manifest* (stored as uint8 bytes) describing the nested structure --
dicts, lists, numbers, strings -- and which member each array is, with its shape and dtype.
Nothing is ever pickled, so loading a file cannot run code, and a load is bounded: the
manifest is read first and no array is allocated before its header has been checked against
it and against ``max_bytes``.  Writes go to a temporary file that replaces the target only
once it is complete, so a crash mid-save never destroys the previous checkpoint.
"""

from __future__ import annotations

import json
import math
import os
import sys
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from . import safetensors_io
from .atomic_write import atomic_write
from .checkpoint_errors import DEFAULT_MAX_BYTES as DEFAULT_MAX_BYTES
from .checkpoint_errors import CheckpointError as CheckpointError
from .device import check_device
from .tensor import Tensor

MANIFEST_KEY = "__tinygrad_edu_manifest__"
FORMAT_NAME = "tinygrad_edu.checkpoint"
FORMAT_VERSION = 1
_ZIP_MAGIC = b"PK\x03\x04"
_ARRAY_KINDS = "biufcU"  # bool, int, uint, float, complex, unicode: all loadable without pickle
_ARRAY_TAGS = ("array", "scalar", "tensor")  # manifest nodes that name a member
_MANIFEST_OVERHEAD = 32  # bytes of Python objects charged per byte of manifest JSON (see below)


def save(state: Any, path: str | os.PathLike[str], compress: bool = False) -> None:
    """Write ``state`` to ``path`` as a checkpoint, atomically.

    ``state`` may nest dicts (string or integer keys), lists and tuples of NumPy arrays,
    Tensors, NumPy scalars, Python numbers, strings, booleans and ``None`` -- for example a
    model's ``state_dict()``, an optimizer's ``state_dict()``, or
    ``{"model": ..., "optimizer": ..., "epoch": 3}``.  Arrays keep their dtype.  The file is
    written exactly at ``path`` (no suffix is added; ``.npz`` is the natural choice).  A path
    ending in ``.safetensors`` writes that format instead (safetensors_io.py): a flat
    ``state_dict`` that PyTorch and every safetensors reader can open.
    ``compress=True`` zips the arrays (smaller, slower).  Temporary files that an earlier
    save to the same ``path`` left behind when it was killed are removed.
    """
    target = _as_path(path, "save")
    if target.suffix == safetensors_io.SUFFIX:  # weights for PyTorch and any safetensors reader
        if compress:
            raise ValueError("tg.save: safetensors files are never compressed; drop compress=True "
                             "or save as .npz")
        return safetensors_io.save(state, target)
    arrays: dict[str, np.ndarray] = {}
    root = _encode(state, arrays, "state", active=set())
    manifest = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "root": root}
    text = json.dumps(manifest, allow_nan=False, ensure_ascii=False)
    arrays[MANIFEST_KEY] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    # _encode admits only _ARRAY_KINDS, so no array needs pickle; and NumPy < 2.1's savez has
    # no allow_pickle argument (it would store one more array under that name).  Any: the
    # stubs of newer NumPy list allow_pickle among the keywords.
    savez: Any = np.savez_compressed if compress else np.savez
    atomic_write(target, lambda f: savez(f, **arrays))


def load(path: str | os.PathLike[str], max_bytes: int | None = DEFAULT_MAX_BYTES, *,
         weights_only: bool = True, map_location: Any = None) -> Any:
    """Read a checkpoint written by ``save`` and rebuild the saved structure.

    Arrays come back as NumPy arrays (dtype kept), Tensors as Tensors, tuples as tuples.
    A safetensors file (a ``.safetensors`` path, or its header seen in the first bytes) comes
    back as ``{name: array}``, under the same bounds and errors.
    Raises ``FileNotFoundError`` for a missing file and ``CheckpointError`` (a ``ValueError``)
    for anything that is not an intact checkpoint -- including an archive that contains an
    object array, which would need pickle (and so could run code) to load.

    PyTorch's ``weights_only=`` and ``map_location=`` are accepted: a checkpoint here never
    holds code, so every load is what PyTorch calls weights-only, and the CPU is the only
    location.

    ``max_bytes`` (default ``DEFAULT_MAX_BYTES``, 1 GiB) caps what the load may allocate: the
    arrays' sizes, read from their headers before any data, plus the parsed manifest.  A
    larger checkpoint is refused with a ``CheckpointError`` saying so; pass a larger
    ``max_bytes`` (or ``None``, no limit) for a file you trust.
    """
    if not (callable(map_location) or isinstance(map_location, dict)):  # PyTorch's other forms
        check_device(map_location, "load(map_location=...)")
    source = _as_path(path, "load")
    if max_bytes is not None and (isinstance(max_bytes, bool) or not isinstance(max_bytes, int)
                                  or max_bytes < 0):
        raise ValueError(f"tg.load: max_bytes must be an integer >= 0 or None, got {max_bytes!r}")
    if not source.exists():
        raise FileNotFoundError(f"tg.load: no checkpoint at {str(source)!r} (the file does not exist)")
    if source.is_dir():
        raise IsADirectoryError(f"tg.load: {str(source)!r} is a directory, not a checkpoint file")
    with open(source, "rb") as f:
        head = f.read(9)
    if source.suffix == safetensors_io.SUFFIX or safetensors_io.looks_like_safetensors(head):
        return safetensors_io.load(source, max_bytes)
    if head[:4] != _ZIP_MAGIC:
        raise CheckpointError(
            f"tg.load: {str(source)!r} is not a tinygrad_edu checkpoint (it is not an .npz archive; "
            "tg.load reads files written by tg.save)"
        )
    try:
        with zipfile.ZipFile(source) as archive:
            return _read_checkpoint(archive, source, max_bytes)
    except RecursionError:  # a crafted manifest nested absurdly deep
        raise CheckpointError(f"tg.load: {str(source)!r} has a manifest nested too deeply") from None
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, KeyError) as err:
        raise CheckpointError(f"tg.load: {str(source)!r} is damaged or truncated and cannot be read "
                              f"({type(err).__name__}: {err})") from None


# -- writing ------------------------------------------------------------------------------------
def _encode(value: Any, arrays: dict[str, np.ndarray], where: str, active: set[int]) -> Any:
    """Turn ``value`` into a JSON manifest node, moving every array into ``arrays``."""
    if isinstance(value, Tensor):
        return {"tensor": _store(value.data, arrays, where), **_layout(value.data),
                "requires_grad": value.requires_grad, "name": value.name}
    if isinstance(value, np.ndarray):
        return {"array": _store(value, arrays, where), **_layout(value)}
    if isinstance(value, np.generic):
        scalar = np.asarray(value)
        return {"scalar": _store(scalar, arrays, where), **_layout(scalar)}
    if value is None:
        return {"none": None}
    if isinstance(value, bool):
        return {"bool": value}
    if isinstance(value, int):
        _check_json_int(value, where)
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


def _layout(arr: np.ndarray) -> dict[str, Any]:
    """What tg.load checks each member's .npy header against before reading its data."""
    return {"shape": list(arr.shape), "dtype": arr.dtype.str}


def _check_json_int(value: int, where: str) -> None:
    """json.dumps fails on integers longer than Python's str() limit; say so, naming where."""
    if value.bit_length() <= 3 * _max_int_digits():  # under 0.91 * limit digits: no str() needed
        return
    try:
        str(value)
    except ValueError:
        raise ValueError(f"tg.save: {where} is an integer of more than {_max_int_digits()} digits, more "
                         "than Python converts to text (sys.get_int_max_str_digits()); store it as a "
                         "string, str(n), or raise the limit with sys.set_int_max_str_digits()") from None


def _max_int_digits() -> int:
    limit = getattr(sys, "get_int_max_str_digits", lambda: 0)()  # Python >= 3.11 (and 3.10.7+)
    return limit or sys.maxsize  # 0 means no limit


def _store(arr: np.ndarray, arrays: dict[str, np.ndarray], where: str) -> str:
    if arr.dtype.kind not in _ARRAY_KINDS or arr.dtype.fields is not None:
        raise TypeError(f"tg.save cannot store {where}: arrays of dtype {arr.dtype} would need pickle; "
                        "convert it to a numeric array first")
    key = f"a{len(arrays)}"
    arrays[key] = arr
    return key


# -- reading ------------------------------------------------------------------------------------
# A load is bounded: nothing is decompressed before the manifest says it is wanted, and no
# array is allocated before its .npy header has been checked against the manifest and against
# max_bytes.  A few hundred bytes of zip can otherwise inflate to gigabytes.
class _LongInteger:
    """Stands in for a JSON integer too long for ``int()`` (Python's digit limit); see _decode."""

    def __init__(self, digits: int) -> None:
        self.digits = digits

    def __repr__(self) -> str:
        return f"<an integer of {self.digits} digits>"


def _parse_int(text: str) -> int | _LongInteger:
    try:
        return int(text)
    except ValueError:  # more digits than sys.get_int_max_str_digits() allows
        return _LongInteger(len(text))


def _member_index(archive: zipfile.ZipFile, source: Path) -> dict[str, zipfile.ZipInfo]:
    """The archive's members by array name, from the zip directory alone (nothing is read)."""
    members: dict[str, zipfile.ZipInfo] = {}
    for info in archive.infolist():
        if not info.filename.endswith(".npy"):
            raise CheckpointError(f"tg.load: {str(source)!r} has a member {info.filename!r} that is not "
                                  "a NumPy array; it is not a tinygrad_edu checkpoint")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            # zipfile bounds how far deflate may inflate per read, but not bzip2 or lzma.
            raise CheckpointError(f"tg.load: {str(source)!r} has a member {info.filename!r} compressed "
                                  f"with zip method {info.compress_type}; tg.save writes only stored or "
                                  "deflated members")
        name = info.filename[:-len(".npy")]
        if name in members:
            raise CheckpointError(f"tg.load: {str(source)!r} holds two members named {info.filename!r}; "
                                  "the file was not written by tg.save or was altered")
        members[name] = info
    return members


def _references(root: Any) -> dict[str, tuple[dict[str, Any], str]]:
    """Every array the manifest refers to: member name -> (its node, where it sits in the state).

    An explicit walk, so a deeply nested manifest cannot exhaust the stack.  Nodes it does not
    understand are skipped here; ``_decode`` reports them.
    """
    found: dict[str, tuple[dict[str, Any], str]] = {}
    stack: list[tuple[Any, str]] = [(root, "state")]
    while stack:
        node, where = stack.pop()
        if not isinstance(node, dict) or not node:
            continue
        tag, body = next(iter(node.items()))
        if tag in _ARRAY_TAGS and isinstance(body, str):
            found.setdefault(body, (node, where))
        elif tag in ("list", "tuple") and isinstance(body, list):
            stack.extend((v, f"{where}[{i}]") for i, v in enumerate(body))
        elif tag == "dict" and isinstance(body, list):
            for pair in body:
                if isinstance(pair, list) and len(pair) == 2:
                    key = next(iter(pair[0].values()), None) if isinstance(pair[0], dict) else None
                    stack.extend([(pair[0], where), (pair[1], f"{where}[{key!r}]")])
    return found


class _Reader:
    """Reads the members of one archive, each only after its header has passed the checks."""

    def __init__(self, archive: zipfile.ZipFile, source: Path, max_bytes: int | None) -> None:
        self.archive, self.source, self.max_bytes = archive, source, max_bytes
        self.allocated = 0  # bytes promised so far, counted before anything is read

    def header(self, info: zipfile.ZipInfo, name: str, where: str) -> tuple[tuple[int, ...], np.dtype, int]:
        """Shape, dtype and data size from the member's .npy header, reading only the header."""
        src = repr(str(self.source))
        try:
            with self.archive.open(info) as f:
                version = np.lib.format.read_magic(f)
                if version == (1, 0):
                    shape, _, dtype = np.lib.format.read_array_header_1_0(f)
                elif version == (2, 0):
                    shape, _, dtype = np.lib.format.read_array_header_2_0(f)
                else:
                    raise ValueError(f".npy format version {version[0]}.{version[1]}; tg.save writes 1.0 "
                                     "or 2.0")
                data_start = f.tell()
        except ValueError as err:
            raise CheckpointError(f"tg.load: {src} member {name!r} ({where}) has a damaged .npy header "
                                  f"({err})") from None
        if dtype.hasobject:
            raise CheckpointError(f"tg.load: {src} contains {name!r}, an object array that only pickle "
                                  "could load; refusing, because unpickling can run arbitrary code")
        if dtype.kind not in _ARRAY_KINDS or dtype.fields is not None or min(shape, default=0) < 0:
            raise CheckpointError(f"tg.load: {src} member {name!r} ({where}) declares dtype {dtype} and "
                                  f"shape {shape}, which tg.save never writes; the file was altered")
        nbytes = math.prod(shape) * dtype.itemsize
        if info.file_size != data_start + nbytes:
            raise CheckpointError(f"tg.load: {src} member {name!r} ({where}) declares shape {shape} of "
                                  f"{dtype} ({_size(nbytes)}) but holds {_size(info.file_size - data_start)} "
                                  "of data; the file is damaged or was altered: save it again or "
                                  "load an earlier copy")
        return shape, dtype, nbytes

    def reserve(self, nbytes: int, what: str) -> None:
        """Count ``nbytes`` against ``max_bytes``, refusing before anything is allocated."""
        self.allocated += nbytes
        if self.max_bytes is not None and self.allocated > self.max_bytes:
            raise CheckpointError(
                f"tg.load: {str(self.source)!r}: {what} would take the load to {_size(self.allocated)}, "
                f"more than max_bytes={self.max_bytes} ({_size(self.max_bytes)}); if you trust this "
                "file, pass a larger limit, e.g. tg.load(path, max_bytes=...), or max_bytes=None"
            )

    def data(self, info: zipfile.ZipInfo) -> np.ndarray:
        with self.archive.open(info) as f:
            return np.lib.format.read_array(f, allow_pickle=False)


def _read_checkpoint(archive: zipfile.ZipFile, source: Path, max_bytes: int | None) -> Any:
    """Manifest first, then headers, then (within budget) the data; returns the rebuilt state."""
    src = repr(str(source))
    members = _member_index(archive, source)
    if MANIFEST_KEY not in members:
        raise CheckpointError(f"tg.load: {src} is an .npz archive but not a tinygrad_edu checkpoint (it "
                              f"has no manifest; its arrays are {sorted(members)}); read plain .npz "
                              "files with np.load(path)")
    reader = _Reader(archive, source, max_bytes)
    info = members.pop(MANIFEST_KEY)
    _, _, nbytes = reader.header(info, MANIFEST_KEY, "the manifest")
    # Parsed JSON takes up to ~25x its text in Python objects ("{}," is 3 bytes, a dict 64).
    reader.reserve(_MANIFEST_OVERHEAD * nbytes, f"the manifest ({nbytes} bytes of JSON)")
    manifest = _parse_manifest(reader.data(info), source)

    wanted = _references(manifest["root"])
    extra = sorted(set(members) - set(wanted))
    if extra:  # refused unread: an unmentioned member may be a zip bomb or a pickle payload
        raise CheckpointError(f"tg.load: {src} contains arrays the manifest does not mention: {extra}; "
                              "the file was not written by tg.save or was altered")
    for name, (node, where) in wanted.items():
        if name not in members:
            raise CheckpointError(f"tg.load: the manifest refers to a missing array {name!r} at {where}")
        shape, dtype, nbytes = reader.header(members[name], name, where)
        _check_layout(node, shape, dtype, name, where, src)
        reader.reserve(nbytes, f"member {name!r} ({where}, shape {shape} of {dtype})")
    arrays = {name: reader.data(members[name]) for name in wanted}
    return _decode(manifest["root"], arrays, "state")


def _check_layout(node: dict[str, Any], shape: tuple[int, ...], dtype: np.dtype, name: str, where: str,
                  src: str) -> None:
    """The header must match the shape and dtype the manifest recorded (files from before
    tinygrad_edu recorded them have neither; max_bytes still bounds those)."""
    if "shape" not in node and "dtype" not in node:
        return
    saved_shape, saved_dtype = node.get("shape"), node.get("dtype")
    if not isinstance(saved_shape, list) or not all(type(d) is int and d >= 0 for d in saved_shape) \
            or not isinstance(saved_dtype, str):
        raise CheckpointError(f"tg.load: damaged manifest at {where}: shape {saved_shape!r} and dtype "
                              f"{saved_dtype!r} (expected a list of sizes and a dtype string)")
    if tuple(saved_shape) != shape or saved_dtype != dtype.str:
        raise CheckpointError(f"tg.load: {src} member {name!r} ({where}) holds shape {shape} of {dtype}, "
                              f"but the manifest says shape {tuple(saved_shape)} of {saved_dtype}"
                              "; the file was altered or damaged")


def _size(nbytes: int) -> str:
    """A byte count for people: 1536 -> '1.5 KiB'."""
    size, unit = float(nbytes), "bytes"
    for bigger in ("KiB", "MiB", "GiB", "TiB"):
        if size < 1024:
            break
        size, unit = size / 1024, bigger
    return f"{nbytes} bytes" if unit == "bytes" else f"{size:.1f} {unit}"


def _parse_manifest(raw: np.ndarray, source: Path) -> dict[str, Any]:
    bad = f"tg.load: {str(source)!r} has a damaged manifest"
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise CheckpointError(f"{bad} (expected a 1-d uint8 array, got {raw.dtype} of shape {raw.shape})")
    try:
        manifest = json.loads(raw.tobytes().decode("utf-8"), parse_int=_parse_int)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CheckpointError(f"{bad} ({err})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME or "root" not in manifest:
        raise CheckpointError(f"{bad} (it does not describe a {FORMAT_NAME})")
    if manifest.get("version") != FORMAT_VERSION:
        raise CheckpointError(f"tg.load: {str(source)!r} uses checkpoint format version "
                              f"{manifest.get('version')!r}; this tinygrad_edu reads version "
                              f"{FORMAT_VERSION}")
    return manifest


def _decode(node: Any, arrays: dict[str, np.ndarray], where: str) -> Any:
    """Rebuild the value a manifest node describes (the inverse of ``_encode``)."""
    if not isinstance(node, dict) or not node:
        raise CheckpointError(f"tg.load: damaged manifest at {where}: {node!r}")
    tag = next(iter(node))
    body = node[tag]
    if tag in ("array", "scalar", "tensor"):
        if not isinstance(body, str) or body not in arrays:
            raise CheckpointError(f"tg.load: the manifest refers to a missing array {body!r} at {where}")
        arr = arrays[body]
        if tag == "array":
            return arr
        if tag == "scalar":
            return arr[()]
        try:
            return Tensor(arr, requires_grad=bool(node.get("requires_grad", False)), name=node.get("name"))
        except (TypeError, ValueError) as err:
            raise CheckpointError(f"tg.load: cannot rebuild the Tensor at {where}: {err}") from None
    if isinstance(body, _LongInteger):
        raise CheckpointError(
            f"tg.load: the manifest holds an integer of {body.digits} digits at {where}, more than "
            f"Python converts ({_max_int_digits()}, sys.get_int_max_str_digits()); tg.save never writes "
            "one, so the file was altered -- if you trust it, raise the limit with "
            "sys.set_int_max_str_digits() before tg.load"
        )
    simple = {"none": type(None), "bool": bool, "int": int, "str": str}
    if tag in simple and isinstance(body, simple[tag]) and not (tag == "int" and isinstance(body, bool)):
        return body
    if tag == "float" and isinstance(body, str):
        try:
            return float(body)
        except ValueError:
            pass
    if tag in ("list", "tuple") and isinstance(body, list):
        items = [_decode(v, arrays, f"{where}[{i}]") for i, v in enumerate(body)]
        return items if tag == "list" else tuple(items)
    if tag == "dict" and isinstance(body, list):
        out = {}
        for pair in body:
            if not isinstance(pair, list) or len(pair) != 2:
                raise CheckpointError(f"tg.load: damaged manifest at {where}: bad dict entry {pair!r}")
            key = _decode(pair[0], arrays, where)
            if not isinstance(key, (str, int)):
                raise CheckpointError(f"tg.load: damaged manifest at {where}: bad dict key {key!r}")
            out[key] = _decode(pair[1], arrays, f"{where}[{key!r}]")
        return out
    raise CheckpointError(f"tg.load: damaged manifest at {where}: {node!r}")


def _as_path(path: Any, op: str) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"tg.{op}: path must be a str or pathlib.Path, got {type(path).__name__}")
    return Path(path)
