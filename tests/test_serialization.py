"""tg.save / tg.load: round trips, atomic writes, refusing non-checkpoints and pickle payloads."""

import io
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.serialization import MANIFEST_KEY, CheckpointError


def assert_same(a, b):
    """Deep equality that also checks container types and array dtypes."""
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, tg.Tensor):
        assert (a.dtype, a.requires_grad, a.name) == (b.dtype, b.requires_grad, b.name)
        np.testing.assert_array_equal(a.data, b.data)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b)
    else:
        assert a == b


def test_round_trip_of_nested_state(tmp_path):
    state = {
        "model": {"fc1.weight": np.arange(6, dtype=np.float32).reshape(2, 3), "fc1.bias": np.zeros(2)},
        "tensor": tg.Tensor(np.ones(3, np.float32), requires_grad=True, name="w"),
        "epoch": 3, "lr": 0.001, "best": float("inf"), "nan": float("nan"), "big": 2 ** 70,
        "name": "run-1 ✓", "done": False, "nothing": None,
        "history": [0.5, 0.25, {"deep": (1, "two", np.int8(3))}],
        7: "integer keys survive", "empty": {}, "scalar": np.float32(2.5),
        "ints": np.array([[1, 2]], dtype=np.int16), "mask": np.array([True, False]),
        "text": np.array(["a", "bc"]), "zero_d": np.array(4.0),
    }
    path = tmp_path / "ckpt.npz"
    tg.save(state, path)
    assert_same(tg.load(path), state)
    tg.save(state, str(path))  # str paths too, overwriting
    assert_same(tg.load(str(path)), state)


def test_round_trip_of_optimizer_state_and_training_resumes_identically(tmp_path):
    def make():
        w = tg.Tensor(np.array([[0.5], [-0.5]], np.float32), requires_grad=True, name="w")
        return w, tg.optim.Adam([w], lr=0.05, betas=(0.8, 0.99))

    X = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]], np.float32)
    y = np.array([[1.0], [0.0], [2.0]], np.float32)

    def train(w, opt, steps):
        for _ in range(steps):
            opt.zero_grad()
            ((tg.Tensor(X) @ w - y) ** 2).mean().backward()
            opt.step()

    w_ref, opt_ref = make()
    train(w_ref, opt_ref, 20)

    w, opt = make()
    train(w, opt, 10)
    path = tmp_path / "train.npz"
    tg.save({"model": {"w": w.data}, "optimizer": opt.state_dict(), "epoch": 10}, path)
    loaded = tg.load(path)
    assert loaded["epoch"] == 10
    assert loaded["model"]["w"].dtype == np.float32
    assert loaded["optimizer"]["state"][0]["exp_avg"].dtype == np.float32
    assert loaded["optimizer"]["hyperparameters"]["betas"] == (0.8, 0.99)

    w2, opt2 = make()
    w2.data[...] = loaded["model"]["w"]
    opt2.load_state_dict(loaded["optimizer"])
    train(w2, opt2, 10)
    np.testing.assert_array_equal(w2.data, w_ref.data)


def test_manifest_is_a_uint8_array_not_an_object_array(tmp_path):
    path = tmp_path / "c.npz"
    tg.save({"a": np.ones(2)}, path)
    with np.load(path, allow_pickle=False) as f:
        assert f[MANIFEST_KEY].dtype == np.uint8
        assert all(f[k].dtype != object for k in f.files)


def test_unsupported_values_are_named(tmp_path):
    with pytest.raises(TypeError, match=r"state\['opt'\]\[0\], a set"):
        tg.save({"opt": [{1, 2}]}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="would need pickle"):
        tg.save({"obj": np.array([object()], dtype=object)}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="keys must be strings or integers"):
        tg.save({(1, 2): 3}, tmp_path / "x.npz")
    loop: list = []
    loop.append(loop)
    with pytest.raises(ValueError, match="contains itself"):
        tg.save(loop, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="str or pathlib.Path"):
        tg.save({}, 3)
    assert list(tmp_path.iterdir()) == []  # nothing written by a failed save


# -- atomic writes ---------------------------------------------------------------------------------
def failing_savez(file, *args, **kwargs):
    file.write(b"PK\x03\x04 half a checkpoint")  # some bytes reach the disk, then the write fails
    raise OSError("disk full (simulated)")


@pytest.mark.parametrize("error", [OSError, KeyboardInterrupt])
def test_interrupted_save_keeps_the_old_checkpoint(tmp_path, monkeypatch, error):
    path = tmp_path / "model.npz"
    tg.save({"version": 1, "w": np.arange(3.0)}, path)
    good_bytes = path.read_bytes()

    def interrupted(file, *args, **kwargs):
        file.write(b"PK\x03\x04 half a checkpoint")
        raise error("simulated failure mid-write")

    monkeypatch.setattr(np, "savez", interrupted)
    with pytest.raises(error):
        tg.save({"version": 2, "w": np.zeros(1000)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == good_bytes
    assert tg.load(path)["version"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]  # no temporary file left


def test_interrupted_first_save_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(np, "savez", failing_savez)
    with pytest.raises(OSError, match="disk full"):
        tg.save({"w": np.ones(2)}, tmp_path / "new.npz")
    assert list(tmp_path.iterdir()) == []


def test_failed_rename_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "m.npz"
    tg.save({"v": 1}, path)

    def broken_replace(src, dst):
        raise OSError("rename failed (simulated)")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="rename failed"):
        tg.save({"v": 2}, path)
    monkeypatch.undo()
    assert tg.load(path) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]


def test_save_is_synced_before_rename(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b: (events.append("replace"), real_replace(a, b))[1])
    tg.save({"w": np.ones(2)}, tmp_path / "s.npz")
    assert events.index("fsync") < events.index("replace")


def test_saved_file_has_normal_permissions(tmp_path):
    path = tmp_path / "perm.npz"
    tg.save({"a": 1}, path)
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        tg.save({"a": 1}, tmp_path / "no" / "such" / "dir.npz")


# -- refusing files that are not checkpoints -----------------------------------------------------------
def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        tg.load(tmp_path / "missing.npz")
    with pytest.raises(IsADirectoryError):
        tg.load(tmp_path)


def test_random_bytes_and_truncated_files(tmp_path):
    junk = tmp_path / "junk.npz"
    junk.write_bytes(np.random.default_rng(0).bytes(1000))
    with pytest.raises(CheckpointError, match="not a tinygrad_edu checkpoint"):
        tg.load(junk)
    good = tmp_path / "good.npz"
    tg.save({"w": np.arange(1000.0)}, good)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[:3000])
    with pytest.raises(CheckpointError, match="damaged or truncated"):
        tg.load(truncated)
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    with pytest.raises(CheckpointError, match="not a tinygrad_edu checkpoint"):
        tg.load(empty)


def test_plain_npz_without_manifest(tmp_path):
    path = tmp_path / "plain.npz"
    np.savez(path, weights=np.ones(3))
    with pytest.raises(CheckpointError, match=r"no manifest.*\['weights'\].*np.load"):
        tg.load(path)


def test_damaged_manifest_and_unmentioned_arrays(tmp_path):
    path = tmp_path / "bad.npz"
    np.savez(path, **{MANIFEST_KEY: np.frombuffer(b"{not json", dtype=np.uint8)})
    with pytest.raises(CheckpointError, match="damaged manifest"):
        tg.load(path)
    manifest = b'{"format": "tinygrad_edu.checkpoint", "version": 1, "root": {"array": "a9"}}'
    np.savez(path, **{MANIFEST_KEY: np.frombuffer(manifest, dtype=np.uint8)})
    with pytest.raises(CheckpointError, match="missing array 'a9'"):
        tg.load(path)
    manifest = b'{"format": "tinygrad_edu.checkpoint", "version": 1, "root": {"int": 1}}'
    np.savez(path, extra=np.ones(2), **{MANIFEST_KEY: np.frombuffer(manifest, dtype=np.uint8)})
    with pytest.raises(CheckpointError, match=r"does not mention: \['extra'\]"):
        tg.load(path)
    manifest = b'{"format": "tinygrad_edu.checkpoint", "version": 99, "root": {"int": 1}}'
    np.savez(path, **{MANIFEST_KEY: np.frombuffer(manifest, dtype=np.uint8)})
    with pytest.raises(CheckpointError, match="version 99"):
        tg.load(path)


class Payload:
    """Unpickling this object would create a marker file: proof that code ran."""

    marker = ""

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_object_array_is_refused_and_never_unpickled(tmp_path):
    marker = tmp_path / "PWNED"
    Payload.marker = str(marker)
    path = tmp_path / "evil.npz"
    manifest = b'{"format": "tinygrad_edu.checkpoint", "version": 1, "root": {"array": "a0"}}'
    np.savez(path, a0=np.array([Payload()], dtype=object),
             **{MANIFEST_KEY: np.frombuffer(manifest, np.uint8)})
    assert not marker.exists()
    with pytest.raises(CheckpointError, match="object array.*pickle"):
        tg.load(path)
    assert not marker.exists()
    # the same payload hidden in an array the manifest never mentions
    np.savez(path, hidden=np.array([Payload()], dtype=object),
             **{MANIFEST_KEY: np.frombuffer(b'{"format": "tinygrad_edu.checkpoint", "version": 1, '
                                            b'"root": {"none": null}}', np.uint8)})
    with pytest.raises(CheckpointError, match="'hidden'"):
        tg.load(path)
    assert not marker.exists()
    # control: the payload is live -- unpickling it (what tg.load refuses to do) creates the marker
    with np.load(path, allow_pickle=True) as f:
        f["hidden"]
    assert marker.exists()


def test_raw_pickle_file_is_refused(tmp_path):
    import pickle

    marker = tmp_path / "PWNED"
    Payload.marker = str(marker)
    path = tmp_path / "model.pt"
    path.write_bytes(pickle.dumps({"w": Payload()}))
    with pytest.raises(CheckpointError, match="not a tinygrad_edu checkpoint"):
        tg.load(path)
    assert not marker.exists()


def test_zip_member_that_is_not_an_array(tmp_path):
    path = tmp_path / "odd.npz"
    buf = io.BytesIO()
    np.save(buf, np.frombuffer(b'{"format": "tinygrad_edu.checkpoint", "version": 1, "root": {"int": 1}}',
                               np.uint8))
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(MANIFEST_KEY + ".npy", buf.getvalue())
        z.writestr("script.py", b"print('hello')")
    with pytest.raises(CheckpointError, match="not a NumPy array"):
        tg.load(path)


def test_path_objects(tmp_path):
    path = Path(tmp_path) / "p.npz"
    tg.save([1, 2], path)
    assert tg.load(path) == [1, 2]
    tg.save({"w": np.ones(2)}, tmp_path / "c.npz", compress=True)
    np.testing.assert_array_equal(tg.load(tmp_path / "c.npz")["w"], np.ones(2))
