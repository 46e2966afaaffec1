"""safetensors weights: round trips, the `safetensors` package as a second reader and writer,
and damaged or hostile files refused with a clear error before anything large is allocated."""

from __future__ import annotations

import json
import struct
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_edu as tg
from tinygrad_edu import keras, nn, safetensors_io
from tinygrad_edu.serialization import CheckpointError

DTYPES = ["bool", "uint8", "int8", "int16", "uint16", "float16", "int32", "uint32", "float32",
          "uint64", "int64", "float64"]


def _mlp() -> nn.Sequential:
    tg.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))


def _raw_file(path: Path, header: object, data: bytes = b"", length: int | None = None) -> Path:
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text) if length is None else length) + text + data)
    return path


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(DTYPES).flatmap(lambda d: hnp.arrays(d, hnp.array_shapes(min_dims=0, max_dims=3,
                                                                                 min_side=0, max_side=4))))
def test_every_dtype_and_shape_round_trips_exactly(tmp_path_factory, arr):
    path = tmp_path_factory.mktemp("st") / "a.safetensors"
    tg.save({"x": arr, "y": tg.Tensor(np.ones((2,), np.float32))}, path)
    back = tg.load(path)
    assert list(back) == ["x", "y"]
    assert back["x"].dtype == arr.dtype and back["x"].shape == arr.shape
    np.testing.assert_array_equal(back["x"], arr)
    assert back["x"].flags.writeable  # a fresh array, not a view of the file's bytes


def test_the_same_weights_give_byte_identical_files(tmp_path):
    a, b = tmp_path / "a.safetensors", tmp_path / "b.safetensors"
    tg.save(_mlp().state_dict(), a)
    tg.save(_mlp().state_dict(), b)
    assert a.read_bytes() == b.read_bytes()
    (n,) = struct.unpack("<Q", a.read_bytes()[:8])
    assert n % 8 == 0  # the data section starts 8-byte aligned
    header = json.loads(a.read_bytes()[8:8 + n])
    assert list(header) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert header["0.weight"] == {"dtype": "F32", "shape": [5, 3], "data_offsets": [0, 60]}


def test_a_model_reloads_from_safetensors_and_computes_the_same(tmp_path):
    model, path = _mlp(), tmp_path / "m.safetensors"
    x = tg.Tensor(np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3))
    tg.save(model.state_dict(), path)
    tg.manual_seed(1)
    other = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
    other.load_state_dict(tg.load(path))
    np.testing.assert_array_equal(other(x).data, model(x).data)


def test_metadata_is_written_and_read(tmp_path):
    path = tmp_path / "m.safetensors"
    safetensors_io.save({"w": np.zeros(2)}, path, metadata={"format": "pt", "epoch": "3"})
    assert safetensors_io.metadata(path) == {"format": "pt", "epoch": "3"}
    assert list(tg.load(path)) == ["w"]


def test_content_magic_is_recognised_whatever_the_suffix(tmp_path):
    path = tmp_path / "weights.bin"
    safetensors_io.save({"w": np.arange(3.0)}, path)
    np.testing.assert_array_equal(tg.load(path)["w"], np.arange(3.0))


@pytest.mark.parametrize("state, match", [
    ({"a": {"nested": np.zeros(1)}}, "only arrays and Tensors"),
    ([np.zeros(1)], "flat dict of named arrays"),
    ({"a": np.zeros(2, dtype=np.complex64)}, "complex64, which safetensors cannot hold"),
    ({"a": 3}, "only arrays and Tensors"),
    ({1: np.zeros(1)}, "names must be strings"),
])
def test_what_safetensors_cannot_hold_is_refused_naming_it(tmp_path, state, match):
    with pytest.raises(TypeError, match=match):
        tg.save(state, tmp_path / "x.safetensors")
    assert not (tmp_path / "x.safetensors").exists()


def test_compress_is_refused_for_safetensors(tmp_path):
    with pytest.raises(ValueError, match="never compressed"):
        tg.save({"a": np.zeros(1)}, tmp_path / "x.safetensors", compress=True)


GOOD = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
        "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}}


@pytest.mark.parametrize("header, data, length, match", [
    (GOOD, bytes(12), 10 ** 6, "declares a header of 1000000 bytes but the file has"),
    (GOOD, bytes(12), 0, "declares a header of 0 bytes"),
    (b"{not json", b"", None, "not JSON"),
    (b"\xff\xfe{}", b"", None, "not JSON"),
    (b"[1, 2]", b"", None, "not a JSON object"),
    (b'{"a": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}, '
     b'"a": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}}', b"", None, "names 'a' twice"),
    ({"a": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}}, bytes(4), None, "dtype 'BF16'"),
    ({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, bytes(4), None, "list of sizes"),
    ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}}, bytes(8), None, "begin <= end"),
    ({"a": {"dtype": "F32", "shape": [2]}}, bytes(8), None, "expected dtype, shape and data_offsets"),
    ({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, bytes(8), None,
     r"shape \(3,\) of F32 \(12 bytes\) but data_offsets \[0, 8\] span 8"),
    ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
      "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, bytes(12), None, "overlaps"),
    ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
      "b": {"dtype": "F32", "shape": [1], "data_offsets": [12, 16]}}, bytes(16), None, "gap of 4 bytes"),
    ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, bytes(12), None, "gap of 4 bytes"),
    (GOOD, bytes(8), None, "data section has 8 bytes"),
    (GOOD, bytes(20), None, "ends at byte 12 but the data section has 20"),
    ({"__metadata__": {"a": 1}}, b"", None, "not a map of text to text"),
])
def test_damaged_files_are_refused_with_a_clear_error(tmp_path, header, data, length, match):
    path = _raw_file(tmp_path / "bad.safetensors", header, data, length)
    with pytest.raises(CheckpointError, match=match):
        tg.load(path)


def test_a_file_shorter_than_the_length_field(tmp_path):
    path = tmp_path / "short.safetensors"
    path.write_bytes(b"\x01\x02")
    with pytest.raises(CheckpointError, match="2 bytes, too short"):
        tg.load(path)


def test_huge_declared_shapes_are_refused_without_allocating(tmp_path):
    # 2^62 elements whose byte range matches: only max_bytes stands between it and a MemoryError.
    huge = 2 ** 40
    header = {"a": {"dtype": "U8", "shape": [huge, 2 ** 22], "data_offsets": [0, huge * 2 ** 22]}}
    path = _raw_file(tmp_path / "huge.safetensors", header)
    big = {"a": {"dtype": "F64", "shape": [2 ** 17], "data_offsets": [0, 2 ** 20]}}
    fits = _raw_file(tmp_path / "big.safetensors", big, bytes(2 ** 20))  # a range that fits the file
    tracemalloc.start()
    try:
        with pytest.raises(CheckpointError, match="data section has 0 bytes"):
            tg.load(path)
        with pytest.raises(CheckpointError, match="max_bytes=524288"):
            tg.load(fits, max_bytes=2 ** 19)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 ** 19  # neither load read the data, let alone allocated the declared size


def test_a_huge_header_length_is_refused_before_reading_it(tmp_path):
    path = _raw_file(tmp_path / "h.safetensors", b"{}", length=2 ** 63)
    with pytest.raises(CheckpointError, match="declares a header of 9223372036854775808 bytes"):
        tg.load(path)


def test_keras_save_and_load_weights_as_safetensors(tmp_path):
    def build(seed: int) -> keras.Sequential:
        tg.manual_seed(seed)
        model = keras.Sequential([keras.layers.Dense(4, activation="relu"), keras.layers.Dense(2)])
        model.build((3,))
        return model
    path = tmp_path / "k.safetensors"
    source, target = build(0), build(1)
    source.save_weights(path)
    assert list(tg.load(path)) == list(source.state_dict())
    target.load_weights(path)
    x = np.linspace(-2, 2, 15, dtype=np.float32).reshape(5, 3)
    np.testing.assert_array_equal(target.predict(x), source.predict(x))


# -- the safetensors package as a second implementation of the format -------------------------
def test_files_written_here_are_read_by_the_safetensors_package(tmp_path):
    st_numpy = pytest.importorskip("safetensors.numpy")
    path = tmp_path / "m.safetensors"
    state = {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "i": np.array([1, -2], np.int64),
             "flag": np.array([True, False]), "empty": np.zeros((0, 3), np.float16),
             "scalar": np.array(2.5)}
    safetensors_io.save(state, path, metadata={"who": "tinygrad_edu"})
    back = st_numpy.load_file(str(path))
    assert set(back) == set(state)
    for name, arr in state.items():
        assert back[name].dtype == arr.dtype
        np.testing.assert_array_equal(back[name], arr)
    from safetensors import safe_open
    with safe_open(str(path), framework="numpy") as f:
        assert f.metadata() == {"who": "tinygrad_edu"}


def test_files_written_by_the_safetensors_package_are_read_here(tmp_path):
    st_numpy = pytest.importorskip("safetensors.numpy")
    path = tmp_path / "m.safetensors"
    state = {"b": np.arange(5, dtype=np.uint16), "a": np.linspace(0, 1, 6).reshape(3, 2),
             "z": np.array(7, np.int32)}
    st_numpy.save_file(state, str(path), metadata={"k": "v"})
    back = tg.load(path)
    assert set(back) == set(state)
    for name, arr in state.items():
        assert back[name].dtype == arr.dtype
        np.testing.assert_array_equal(back[name], arr)
    assert safetensors_io.metadata(path) == {"k": "v"}
