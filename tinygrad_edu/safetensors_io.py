"""The safetensors format: weights any PyTorch, JAX or Hugging Face reader opens (``tg.save``
and ``tg.load`` pick it for a ``.safetensors`` path; ``.npz`` checkpoints stay the default).

A small reader and writer of the documented format rather than the ``safetensors`` package:
the format is simple enough to read in one screen, so no dependency is needed, and the
reader's bounds are ours to state.  A file is

    8 bytes  N, the header's length (unsigned, little-endian)
    N bytes  JSON: {"name": {"dtype": "F32", "shape": [3, 2], "data_offsets": [0, 24]}, ...,
                    "__metadata__": {"key": "text"}}   (padded with spaces)
    rest     the tensors' raw little-endian bytes, back to back, offsets counted from here

Loading allocates nothing before the whole header has been checked: every tensor's size must
equal its byte range, the ranges must tile the data section exactly (no gap, no overlap,
nothing past the end), and the total must fit ``max_bytes``.
"""

from __future__ import annotations

import json
import math
import os
import struct
from collections import OrderedDict
from pathlib import Path
from typing import IO, Any

import numpy as np

from .atomic_write import atomic_write
from .checkpoint_errors import DEFAULT_MAX_BYTES, CheckpointError
from .tensor import Tensor

SUFFIX = ".safetensors"
METADATA_KEY = "__metadata__"
MAX_HEADER_BYTES = 100 * 2 ** 20  # the safetensors package refuses larger headers too
_HEADER_OVERHEAD = 32  # bytes of Python objects charged per byte of header JSON (as serialization.py)
# The format's dtype names and the NumPy dtypes they are (BF16 and F8 have no NumPy dtype).
DTYPES: dict[str, np.dtype] = {name: np.dtype(code) for name, code in (
    ("BOOL", "?"), ("U8", "u1"), ("I8", "i1"), ("U16", "u2"), ("I16", "i2"), ("F16", "f2"),
    ("U32", "u4"), ("I32", "i4"), ("F32", "f4"), ("U64", "u8"), ("I64", "i8"), ("F64", "f8"))}
_NAMES = {dtype: name for name, dtype in DTYPES.items()}


def looks_like_safetensors(head: bytes) -> bool:
    """True for the first 9 bytes of a safetensors file: a length, then the JSON's ``{``."""
    return len(head) == 9 and head[8:9] == b"{"


def save(tensors: Any, path: str | os.PathLike[str], metadata: dict[str, str] | None = None) -> None:
    """Write a flat ``{name: array or Tensor}`` dict (a ``state_dict``) as safetensors, atomically.

    Names keep their order; ``metadata`` (text to text) goes into ``__metadata__``.
    """
    target = Path(path)
    arrays = _flat_arrays(tensors)
    header: dict[str, Any] = {}
    if metadata:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise TypeError("tg.save: safetensors metadata must map strings to strings")
        header[METADATA_KEY] = dict(metadata)
    offset = 0
    for name, arr in arrays.items():
        header[name] = {"dtype": _NAMES[arr.dtype], "shape": list(arr.shape),
                        "data_offsets": [offset, offset + arr.nbytes]}
        offset += arr.nbytes
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the data then starts 8-byte aligned, as the package writes

    def write(f: IO[bytes]) -> None:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for arr in arrays.values():
            f.write(arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes(order="C"))

    atomic_write(target, write)


def _flat_arrays(tensors: Any) -> OrderedDict[str, np.ndarray]:
    """The arrays to write, checked: string names, numeric dtypes the format has."""
    if not isinstance(tensors, dict):
        raise TypeError(f"tg.save: a .safetensors file holds a flat dict of named arrays (a "
                        f"state_dict), got a {type(tensors).__name__}; save other state as .npz")
    arrays: OrderedDict[str, np.ndarray] = OrderedDict()
    for name, value in tensors.items():
        if not isinstance(name, str) or name == METADATA_KEY:
            raise TypeError(f"tg.save: safetensors names must be strings other than {METADATA_KEY!r}, "
                            f"got {name!r}")
        arr = value.data if isinstance(value, Tensor) else value
        if not isinstance(arr, (np.ndarray, np.generic)):
            raise TypeError(f"tg.save: {name!r} is a {type(value).__name__}; a .safetensors file holds "
                            "only arrays and Tensors (save nested state, numbers or strings as .npz)")
        arr = np.asarray(arr)
        if arr.dtype.newbyteorder("=") not in _NAMES:
            raise TypeError(f"tg.save: {name!r} has dtype {arr.dtype}, which safetensors cannot hold; "
                            f"use one of {', '.join(str(d) for d in _NAMES)}")
        arrays[name] = arr.astype(arr.dtype.newbyteorder("="), copy=False)
    return arrays


def load(path: str | os.PathLike[str],
         max_bytes: int | None = DEFAULT_MAX_BYTES) -> OrderedDict[str, np.ndarray]:
    """Read a safetensors file into ``{name: array}`` (in file order), bounded by ``max_bytes``.

    Raises ``CheckpointError`` naming what is wrong for a damaged or hostile file.
    """
    return _read(Path(path), max_bytes)[0]


def metadata(path: str | os.PathLike[str]) -> dict[str, str]:
    """The ``__metadata__`` text of a safetensors file (empty if it has none); reads only the header."""
    return _read(Path(path), DEFAULT_MAX_BYTES, header_only=True)[1]


def _read(source: Path, max_bytes: int | None,
          header_only: bool = False) -> tuple[OrderedDict[str, np.ndarray], dict[str, str]]:
    src = repr(str(source))
    size = source.stat().st_size
    with open(source, "rb") as f:
        if size < 8:
            raise CheckpointError(f"tg.load: {src} is {size} bytes, too short for a safetensors file "
                                  "(it starts with an 8-byte header length)")
        (n,) = struct.unpack("<Q", f.read(8))
        if n == 0 or n > size - 8:
            raise CheckpointError(f"tg.load: {src} declares a header of {n} bytes but the file has "
                                  f"{size - 8} bytes after the length; it is truncated or not safetensors")
        if n > MAX_HEADER_BYTES:
            raise CheckpointError(f"tg.load: {src} declares a header of {n} bytes, more than the "
                                  f"{MAX_HEADER_BYTES} any safetensors writer produces")
        _reserve(_HEADER_OVERHEAD * n, 0, max_bytes, f"its header ({n} bytes of JSON)", src)
        header = _parse_header(f.read(n), src)
        meta = _check_metadata(header.pop(METADATA_KEY, {}), src)
        entries = _check_entries(header, size - 8 - n, src)
        _reserve(sum(nbytes for _, _, _, _, nbytes in entries), _HEADER_OVERHEAD * n, max_bytes,
                 f"its {len(entries)} tensors", src)
        arrays: OrderedDict[str, np.ndarray] = OrderedDict()
        for name, dtype, shape, begin, nbytes in ([] if header_only else entries):
            f.seek(8 + n + begin)
            raw = f.read(nbytes)
            arrays[name] = np.frombuffer(raw, dtype=dtype.newbyteorder("<")).astype(dtype).reshape(shape)
    return arrays, meta


def _reserve(nbytes: int, already: int, max_bytes: int | None, what: str, src: str) -> None:
    if max_bytes is not None and already + nbytes > max_bytes:
        raise CheckpointError(f"tg.load: {src}: {what} would take {already + nbytes} bytes, more than "
                              f"max_bytes={max_bytes}; if you trust this file, pass a larger limit, "
                              "e.g. tg.load(path, max_bytes=...), or max_bytes=None")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise CheckpointError(f"the header names {key!r} twice")
        seen[key] = value
    return seen


def _parse_header(raw: bytes, src: str) -> dict[str, Any]:
    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except CheckpointError as err:
        raise CheckpointError(f"tg.load: {src}: {err}; the file was altered") from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise CheckpointError(f"tg.load: {src} has a safetensors header that is not JSON ({err}); "
                              "the file is damaged or not safetensors") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"tg.load: {src} has a safetensors header that is not a JSON object")
    return header


def _check_metadata(meta: Any, src: str) -> dict[str, str]:
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise CheckpointError(f"tg.load: {src} has {METADATA_KEY} that is not a map of text to text")
    return meta


def _check_entries(header: dict[str, Any], data_size: int,
                   src: str) -> list[tuple[str, np.dtype, tuple[int, ...], int, int]]:
    """Each tensor's dtype, shape and byte range, checked; the ranges must tile the data."""
    entries = []
    for name, info in header.items():
        where = f"tg.load: {src} tensor {name!r}"
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            raise CheckpointError(f"{where}: expected dtype, shape and data_offsets, got {info!r}")
        dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if dtype not in DTYPES:
            raise CheckpointError(f"{where} has dtype {dtype!r}, which tinygrad_edu cannot hold (it "
                                  f"reads {', '.join(DTYPES)}); convert it before saving")
        if not isinstance(shape, list) or not all(type(d) is int and d >= 0 for d in shape):
            raise CheckpointError(f"{where} has shape {shape!r}; a shape is a list of sizes >= 0")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(type(o) is int for o in offsets)
                and 0 <= offsets[0] <= offsets[1]):
            raise CheckpointError(f"{where} has data_offsets {offsets!r}; expected [begin, end], "
                                  "0 <= begin <= end")
        nbytes = math.prod(shape) * DTYPES[dtype].itemsize  # Python ints: a huge shape cannot wrap
        if nbytes != offsets[1] - offsets[0]:
            raise CheckpointError(f"{where} declares shape {tuple(shape)} of {dtype} ({nbytes} bytes) "
                                  f"but data_offsets {offsets} span {offsets[1] - offsets[0]} bytes")
        entries.append((name, DTYPES[dtype], tuple(shape), offsets[0], nbytes))
    end = 0
    for name, _, _, begin, nbytes in sorted(entries, key=lambda e: (e[3], e[3] + e[4])):
        if begin != end:
            kind = "overlaps the tensor before it" if begin < end else f"leaves a gap of {begin - end} bytes"
            raise CheckpointError(f"tg.load: {src} tensor {name!r} starts at byte {begin} and {kind}; "
                                  "the tensors' data must lie back to back")
        end = begin + nbytes
    if end != data_size:
        raise CheckpointError(f"tg.load: {src}: the tensors' data ends at byte {end} but the data "
                              f"section has {data_size} bytes; the file is truncated or altered")
    return entries
