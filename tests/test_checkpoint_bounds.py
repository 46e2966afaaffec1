"""tg.load stays bounded on hostile files; poisoned optimizer state is refused; a killed save's
temporary file is swept by the next save.

Zip bombs, huge declared shapes and huge integers must fail as ``CheckpointError`` with a message
that names the member or key -- and must fail *before* memory is allocated, which tracemalloc
checks (it sees NumPy's allocations too: see the controls).
"""

import inspect
import io
import json
import math
import os
import subprocess
import sys
import time
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.optim import SGD, Adagrad, Adam, RMSprop
from tinygrad_edu.serialization import DEFAULT_MAX_BYTES, MANIFEST_KEY, CheckpointError

BOMB_BYTES = 128 * 2 ** 20  # inflated size of the bomb member; the file itself is ~570 KiB
SMALL_PEAK = 4 * 2 ** 20  # what refusing a file may allocate at most


# -- building hostile files -------------------------------------------------------------------------
def npy_header(shape, descr="<f8"):
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False, "shape": shape})
    return buf.getvalue()  # magic, version and header: everything before the data


def manifest_bytes(root, version=1):
    text = json.dumps({"format": "tinygrad_edu.checkpoint", "version": version, "root": root})
    return manifest_text_bytes(text)


def manifest_text_bytes(text):
    buf = io.BytesIO()
    np.save(buf, np.frombuffer(text.encode(), np.uint8))
    return buf.getvalue()


def write_zeros_member(archive, name, shape, descr="<f8"):
    """A member of zeros, streamed: the test never holds the inflated bytes."""
    with archive.open(name + ".npy", "w", force_zip64=True) as f:
        f.write(npy_header(shape, descr))
        left, chunk = math.prod(shape) * np.dtype(descr).itemsize, bytes(2 ** 20)
        while left:
            f.write(chunk[:min(left, len(chunk))])
            left -= min(left, len(chunk))


def rewrite(path, **members):
    """Replace (or add) members of an existing checkpoint, keeping the others."""
    with zipfile.ZipFile(path) as z:
        kept = {info.filename: z.read(info) for info in z.infolist()}
    kept.update({f"{name}.npy": data for name, data in members.items()})
    with zipfile.ZipFile(path, "w") as z:
        for name, data in kept.items():
            z.writestr(name, data)


def npy_bytes(arr):
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


def load_peak(path, **kwargs):
    """(result or the CheckpointError raised, peak bytes traced while loading)."""
    tracemalloc.start()
    try:
        try:
            result = tg.load(path, **kwargs)
        except CheckpointError as err:
            result = err
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture(scope="module")
def bombs(tmp_path_factory):
    """Two small files whose member 'bomb' inflates to BOMB_BYTES: unmentioned, and referenced."""
    folder = tmp_path_factory.mktemp("bombs")
    count = BOMB_BYTES // 8
    files = {}
    for kind, root in [("unreferenced", {"int": 1}),
                       ("referenced", {"array": "bomb", "shape": [count], "dtype": "<f8"})]:
        path = files[kind] = folder / f"{kind}.npz"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
            z.writestr(MANIFEST_KEY + ".npy", manifest_bytes(root))
            write_zeros_member(z, "bomb", (count,))
    return files


# -- zip bombs --------------------------------------------------------------------------------------
def test_unreferenced_zip_bomb_is_refused_without_inflating(bombs):
    path = bombs["unreferenced"]
    assert path.stat().st_size < 2 ** 20  # under a megabyte on disk
    err, peak = load_peak(path, max_bytes=None)  # even with no limit: unmentioned members are never read
    assert isinstance(err, CheckpointError)
    assert "contains arrays the manifest does not mention: ['bomb']" in str(err)
    assert peak < SMALL_PEAK, f"refusing the file allocated {peak} bytes"


def test_referenced_zip_bomb_over_max_bytes_is_refused_before_reading(bombs):
    path = bombs["referenced"]
    err, peak = load_peak(path, max_bytes=64 * 2 ** 20)
    assert isinstance(err, CheckpointError)
    message = str(err)
    assert "member 'bomb' (state, shape (16777216,) of float64) would take the load to 128.0 MiB" in message
    assert "more than max_bytes=67108864 (64.0 MiB)" in message
    assert "pass a larger limit" in message and "max_bytes=None" in message
    assert peak < SMALL_PEAK, f"refusing the file allocated {peak} bytes"
    # control: the file is a valid checkpoint, and tracemalloc sees the array when it is allowed
    arr, peak = load_peak(path, max_bytes=None)
    assert isinstance(arr, np.ndarray) and arr.shape == (BOMB_BYTES // 8,) and not arr.any()
    assert peak >= BOMB_BYTES
    del arr


def test_max_bytes_counts_arrays_and_manifest(tmp_path):
    path = tmp_path / "c.npz"
    tg.save({"w": np.zeros(1000), "b": np.zeros(10, np.float32)}, path)
    assert inspect.signature(tg.load).parameters["max_bytes"].default == DEFAULT_MAX_BYTES == 2 ** 30
    np.testing.assert_array_equal(tg.load(path)["w"], np.zeros(1000))
    with pytest.raises(CheckpointError, match=r"member 'a0' \(state\['w'\], shape \(1000,\) of float64\)"):
        tg.load(path, max_bytes=7999)
    with pytest.raises(CheckpointError, match=r"the manifest \(\d+ bytes of JSON\).*max_bytes=100 "):
        tg.load(path, max_bytes=100)
    assert tg.load(path, max_bytes=None)["b"].dtype == np.float32
    for bad in (-1, 1.5, True, "1GB"):
        with pytest.raises(ValueError, match="max_bytes must be an integer >= 0 or None"):
            tg.load(path, max_bytes=bad)


# -- headers that lie -----------------------------------------------------------------------------
@pytest.mark.parametrize("root", [
    {"array": "a0"},  # a manifest without shapes, as tinygrad_edu wrote before it recorded them
    {"array": "a0", "shape": [10 ** 12], "dtype": "<f8"},
], ids=["no-shape-in-manifest", "shape-in-manifest"])
def test_huge_declared_shape_is_a_checkpoint_error_not_memory_error(tmp_path, root):
    path = tmp_path / "huge.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(MANIFEST_KEY + ".npy", manifest_bytes(root))
        z.writestr("a0.npy", npy_header((10 ** 12,)))  # the header alone: it claims 7.3 TiB
    err, peak = load_peak(path)
    assert isinstance(err, CheckpointError)
    assert "member 'a0' (state) declares shape (1000000000000,) of float64 (7.3 TiB)" in str(err)
    assert "damaged or was altered" in str(err) and "load an earlier copy" in str(err)
    assert peak < SMALL_PEAK


def test_header_that_disagrees_with_the_manifest_is_refused_before_its_data(tmp_path):
    path = tmp_path / "c.npz"
    tg.save({"w": np.ones(3)}, path)
    rewrite(path, a0=npy_bytes(np.ones(5)))
    with pytest.raises(CheckpointError, match=r"member 'a0' \(state\['w'\]\) holds shape \(5,\) of float64, "
                                              r"but the manifest says shape \(3,\) of <f8"):
        tg.load(path)
    rewrite(path, a0=npy_bytes(np.ones(3, np.float32)))
    with pytest.raises(CheckpointError, match=r"holds shape \(3,\) of float32, but the manifest says "
                                              r"shape \(3,\) of <f8"):
        tg.load(path)


def test_member_with_a_damaged_header_or_odd_compression_is_named(tmp_path):
    path = tmp_path / "c.npz"
    tg.save({"w": np.ones(3)}, path)
    rewrite(path, a0=b"\x93NUMPY\x09\x00 not a header")
    with pytest.raises(CheckpointError, match=r"member 'a0' \(state\['w'\]\) has a damaged .npy header"):
        tg.load(path)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_BZIP2) as z:  # bzip2 inflates without a bound per read
        z.writestr(MANIFEST_KEY + ".npy", manifest_bytes({"int": 1}))
    with pytest.raises(CheckpointError, match="compressed with zip method 12; tg.save writes only stored"):
        tg.load(path)


# -- integers too long for Python ------------------------------------------------------------------
def test_huge_integer_in_the_manifest_is_named(tmp_path):
    path = tmp_path / "c.npz"
    digits = "9" * 5000
    text = ('{"format": "tinygrad_edu.checkpoint", "version": 1, "root": {"dict": [[{"str": "epoch"}, '
            '{"int": ' + digits + "}]]}}")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(MANIFEST_KEY + ".npy", manifest_text_bytes(text))
    with pytest.raises(CheckpointError, match=r"an integer of 5000 digits at state\['epoch'\]") as info:
        tg.load(path)
    assert "sys.set_int_max_str_digits()" in str(info.value) and "altered" in str(info.value)
    text = '{"format": "tinygrad_edu.checkpoint", "version": ' + digits + ', "root": {"int": 1}}'
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(MANIFEST_KEY + ".npy", manifest_text_bytes(text))
    with pytest.raises(CheckpointError, match="format version <an integer of 5000 digits>"):
        tg.load(path)


def test_saving_an_integer_too_long_for_json_names_it(tmp_path):
    limit = getattr(sys, "get_int_max_str_digits", lambda: 0)()
    if not limit:
        pytest.skip("this Python has no integer string-conversion limit")
    with pytest.raises(ValueError, match=rf"state\['n'\] is an integer of more than {limit} digits"):
        tg.save({"n": 10 ** (limit + 10)}, tmp_path / "c.npz")
    assert list(tmp_path.iterdir()) == []
    tg.save({"n": 10 ** (limit - 10)}, tmp_path / "c.npz")  # just under the limit round-trips
    assert tg.load(tmp_path / "c.npz")["n"] == 10 ** (limit - 10)


def test_manifest_nested_absurdly_deep_is_refused(tmp_path):
    path = tmp_path / "c.npz"
    root = '{"list": [' * 100_000 + "]}" * 100_000
    text = '{"format": "tinygrad_edu.checkpoint", "version": 1, "root": ' + root + "}"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(MANIFEST_KEY + ".npy", manifest_text_bytes(text))
    with pytest.raises(CheckpointError, match="nested too deeply"):
        tg.load(path)


# -- optimizer state whose values would poison the next step -------------------------------------------
def stepped(opt_cls, **kw):
    p = tg.Tensor(np.array([1.0, -2.0]), requires_grad=True, name="w")
    opt = opt_cls([p], **kw)
    p.grad = tg.Tensor(np.array([0.5, 0.25]))
    opt.step()
    return opt


POISONS = [
    (Adam, {}, "step", -1, "parameter 0 has step=-1; the step count must be an integer >= 0"),
    (Adam, {}, "step", 1.5, "parameter 0 has step=1.5; the step count must be an integer >= 0"),
    (Adam, {}, "step", True, "parameter 0 has step=True"),
    (Adam, {}, "exp_avg_sq", np.array([1.0, -1.0]), "state 'exp_avg_sq' of parameter 0 ('w') has negative "
                                                    "entries (the smallest is -1.0)"),
    (Adam, {"amsgrad": True}, "max_exp_avg_sq", np.array([-3.0, 0.0]), "'max_exp_avg_sq' of parameter 0 "
                                                                       "('w') has negative entries"),
    (Adam, {}, "exp_avg", np.array([np.nan, 0.0]), "state 'exp_avg' of parameter 0 ('w') has 1 nan or inf"),
    (Adam, {}, "exp_avg_sq", np.array([np.inf, np.nan]), "has 2 nan or inf entries"),
    (RMSprop, {}, "square_avg", np.array([0.0, -1e-3]), "'square_avg' of parameter 0 ('w') has negative"),
    (Adagrad, {}, "sum", np.array([-1.0, 1.0]), "state 'sum' of parameter 0 ('w') has negative entries"),
    (SGD, {"lr": 0.1, "momentum": 0.9}, "momentum_buffer", np.array([np.inf, 0.0]), "has 1 nan or inf"),
]


@pytest.mark.parametrize("opt_cls, kw, key, value, message", POISONS,
                         ids=[f"{c.__name__}-{k}-{v!r}" for c, _, k, v, _ in POISONS])
def test_poisoned_optimizer_state_is_refused_at_load(tmp_path, opt_cls, kw, key, value, message):
    sd = stepped(opt_cls, **kw).state_dict()
    sd["state"][0][key] = value
    path = tmp_path / "opt.npz"
    tg.save({"optimizer": sd}, path)
    fresh = stepped(opt_cls, **kw)
    before = fresh.state_dict()
    with pytest.raises(CheckpointError, match="load_state_dict: ") as info:
        fresh.load_state_dict(tg.load(path)["optimizer"])
    assert message in str(info.value)
    assert "damaged" in str(info.value)  # and what to do about it
    after = fresh.state_dict()  # a refused load changes nothing
    assert after["hyperparameters"] == before["hyperparameters"]
    for k, v in before["state"][0].items():
        np.testing.assert_array_equal(after["state"][0][k], v)


def test_poisoned_hyperparameter_is_a_checkpoint_error_too(tmp_path):
    sd = stepped(Adam).state_dict()
    sd["hyperparameters"]["eps"] = float("nan")
    path = tmp_path / "opt.npz"
    tg.save(sd, path)
    fresh = stepped(Adam)
    with pytest.raises(CheckpointError, match="Adam.load_state_dict: the saved hyperparameters are invalid: "
                                              "Adam: invalid eps=nan"):
        fresh.load_state_dict(tg.load(path))
    assert fresh.eps == 1e-8


def test_clean_optimizer_state_still_loads_and_steps(tmp_path):
    for opt_cls, kw in [(Adam, {"amsgrad": True}), (RMSprop, {"centered": True, "momentum": 0.5}),
                        (Adagrad, {}), (SGD, {"lr": 0.1, "momentum": 0.9})]:
        opt = stepped(opt_cls, **kw)
        tg.save(opt.state_dict(), tmp_path / "opt.npz")
        fresh = stepped(opt_cls, **kw)
        fresh.load_state_dict(tg.load(tmp_path / "opt.npz"))
        fresh.params[0].grad = tg.Tensor(np.array([0.5, 0.25]))
        fresh.step()
        assert np.isfinite(fresh.params[0].data).all()


# -- temporary files of killed saves -----------------------------------------------------------------
KILLED_SAVE = """
import os, sys
import numpy as np
import tinygrad_edu as tg

def killed(file, *args, **kwargs):
    file.write(b"PK" + bytes(1 << 20))  # a megabyte reaches the disk...
    file.flush()
    os._exit(9)  # ...then the process dies: no except/finally runs, as with SIGKILL or a power cut

np.savez = killed
tg.save({"w": np.ones(3)}, sys.argv[1])
"""


def test_temp_file_of_a_killed_save_is_swept_by_the_next_save(tmp_path):
    path = tmp_path / "ckpt.npz"
    tg.save({"w": np.zeros(3)}, path)
    package_root = str(Path(tg.__file__).resolve().parents[1])
    done = subprocess.run([sys.executable, "-c", KILLED_SAVE, str(path)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": package_root}, timeout=120)
    assert done.returncode == 9, done.stderr
    left = [p for p in tmp_path.iterdir() if p.name != "ckpt.npz"]
    assert len(left) == 1 and left[0].name.startswith(".ckpt.npz.") and left[0].name.endswith(".tmp")
    assert left[0].stat().st_size > 2 ** 20
    stale = left[0]

    hour_ago = time.time() - 3600
    keep = {
        "fresh": tmp_path / ".ckpt.npz.abcd1234.tmp",  # a save to the same path still running elsewhere
        "other target": tmp_path / ".other.npz.abcd1234.tmp",
        "not our pattern": tmp_path / ".ckpt.npz.notes.tmp",
        "a directory": tmp_path / ".ckpt.npz.dir12345.tmp",
    }
    for name, p in keep.items():
        p.mkdir() if name == "a directory" else p.write_bytes(b"x")
        if name != "fresh":
            os.utime(p, (hour_ago, hour_ago))
    os.utime(stale, (hour_ago, hour_ago))  # the kill happened an hour ago

    tg.save({"w": np.ones(3)}, path)
    assert not stale.exists()
    assert all(p.exists() for p in keep.values())
    np.testing.assert_array_equal(tg.load(path)["w"], np.ones(3))
