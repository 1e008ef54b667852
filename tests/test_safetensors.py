"""minigan.interop.safetensors_io: ``.safetensors`` files read and written by minigan itself,
validated before they change the model. Needs neither PyTorch nor the safetensors package (the
tests that check the files against that package skip without it)."""

import json
import os
import struct
import time
import tracemalloc

import attacks  # tests/attacks.py (conftest.py puts tests/ on the path)
import numpy as np
import pytest

import minigan as mg
from minigan import interop
from minigan.errors import CheckpointError


def _model(seed=0, dtype=np.float32):
    return mg.Sequential(
        mg.Dense(4, 3, rng=seed, dtype=dtype), mg.BatchNorm(3, dtype=dtype), mg.Dense(3, 2, rng=seed, dtype=dtype)
    )


def _state(m):
    return {k: np.array(v, copy=True) for k, v in m.state_dict().items()}


def _same(m, state) -> bool:
    return all(np.array_equal(v, state[k]) for k, v in m.state_dict().items())


def _raw(path, tensors: dict, header_extra=None, header_bytes=None, pad_data=b""):
    """Write a .safetensors file by hand: ``tensors`` name -> (dtype code, shape, raw bytes)."""
    header, blobs, off = {}, [], 0
    for name, (code, shape, raw) in tensors.items():
        header[name] = {"dtype": code, "shape": list(shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    header.update(header_extra or {})
    text = header_bytes if header_bytes is not None else json.dumps(header).encode()
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", len(text)) + text + b"".join(blobs) + pad_data)
    return path


def _torch_named(m):
    """``{name: (code, shape, bytes)}`` of the model's own arrays, with PyTorch's names, as F32."""
    out = {}
    for k, v in m.state_dict(naming="torch").items():
        a = np.asarray(v)
        if a.dtype.kind == "i":
            out[k] = ("I64", a.shape, a.astype("<i8").tobytes())
        else:
            out[k] = ("F32", a.shape, a.astype("<f4").tobytes())
    return out


# ---------------------------------------------------------------------------- what works
def test_round_trip_and_the_file_layout(tmp_path):
    m, m2 = _model(0), _model(1)
    path = tmp_path / "m.safetensors"
    interop.save_safetensors(m, path, metadata={"step": "3"})
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    assert n % 8 == 0 and header["__metadata__"] == {"step": "3"}
    assert header["0.weight"]["dtype"] == "F32" and header["1.num_batches_tracked"]["shape"] == []
    interop.load_safetensors(m2, path)
    assert _same(m2, _state(m))
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]  # written atomically


def test_the_safetensors_package_reads_minigans_files_and_minigan_reads_its(tmp_path):
    stn = pytest.importorskip("safetensors.numpy")
    m = _model(0)
    interop.save_safetensors(m, tmp_path / "a.safetensors")
    got = stn.load_file(str(tmp_path / "a.safetensors"))
    for k, v in m.state_dict(naming="torch").items():
        assert np.array_equal(np.asarray(got[k]).reshape(np.shape(v)), np.asarray(v)), k
    stn.save_file({k: np.ascontiguousarray(v) for k, v in got.items()}, str(tmp_path / "b.safetensors"))
    m2 = _model(1)
    interop.load_safetensors(m2, tmp_path / "b.safetensors")
    assert _same(m2, _state(m))


@pytest.mark.attack
def test_bf16_and_f16_are_read_exactly(tmp_path):
    """BF16 (PyTorch's half format for large models) is supported: a bfloat16 is the upper half
    of a float32, so widening it is exact."""
    m = _model(0)
    t = _torch_named(m)
    w = np.asarray(m.state_dict(naming="torch")["0.weight"], np.float32)
    bf = (w.view(np.uint32) >> 16).astype("<u2")  # truncated to bfloat16
    t["0.weight"] = ("BF16", w.shape, bf.tobytes())
    t["2.weight"] = ("F16", (2, 3), np.full((2, 3), 0.5, "<f2").tobytes())
    _raw(tmp_path / "bf.safetensors", t)
    m2 = _model(1)
    want = (bf.astype(np.uint32) << 16).view(np.float32)
    attacks.expect_ok(
        "safetensors",
        lambda: interop.load_safetensors(m2, tmp_path / "bf.safetensors"),
        lambda _: np.array_equal(m2[0].W.data, want) and np.all(m2[2].W.data == 0.5),
    )


def test_strict_false_skips_unknown_and_missing(tmp_path):
    m = _model(0)
    t = _torch_named(m)
    del t["0.bias"]
    t["extra.thing"] = ("F32", (1,), np.ones(1, "<f4").tobytes())
    _raw(tmp_path / "p.safetensors", t)
    m2 = _model(1)
    before = _state(m2)
    interop.load_safetensors(m2, tmp_path / "p.safetensors", strict=False)
    assert np.array_equal(m2[0].b.data, before["0.b"]) and np.array_equal(m2[0].W.data, m[0].W.data)


# ---------------------------------------------------------------------------- attacks
def _attack(tmp_path, name, build, names, model=None, types=CheckpointError, timeout=30.0):
    """Load the file ``build(path)`` writes into a fresh model: refused, naming ``names``, and the
    model unchanged."""
    path = build(tmp_path / f"{name}.safetensors")
    m = model or _model(1)
    before = _state(m)
    return attacks.expect_error(
        "safetensors",
        lambda: interop.load_safetensors(m, path),
        types,
        [str(path)] + list(names),
        timeout=timeout,
        intact=lambda: _same(m, before),
    )


@pytest.mark.attack
def test_a_shape_mismatch_on_the_third_tensor_changes_nothing(tmp_path):
    def build(p):
        t = _torch_named(_model(0))
        t["1.weight"] = ("F32", (4,), np.zeros(4, "<f4").tobytes())  # the third array, sorted
        return _raw(p, t)

    _attack(tmp_path, "shape", build, ["'1.weight'", "(4,)", "(3,)"])


@pytest.mark.attack
def test_a_huge_declared_tensor_is_refused_before_any_read(tmp_path):
    """An 8 GiB tensor (a sparse file: no disk used) for a model that needs (3, 4): refused from
    the header, in bounded memory and time."""
    path = tmp_path / "huge.safetensors"
    t = _torch_named(_model(0))
    n = 2 * 2**30
    header = dict(t)
    header["0.weight"] = ("F32", (2**15, 2**16), b"")
    meta, off, blobs = {}, 0, []
    for k, (code, shape, raw) in header.items():
        size = n * 4 if k == "0.weight" else len(raw)
        meta[k] = {"dtype": code, "shape": list(shape), "data_offsets": [off, off + size]}
        blobs.append((off, raw))
        off += size
    text = json.dumps(meta).encode()
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", len(text)) + text)
        start = fh.tell()
        for o, raw in blobs:
            fh.seek(start + o)
            fh.write(raw)
        fh.truncate(start + off)
    m = _model(1)
    before = _state(m)
    tracemalloc.start()
    t0 = time.process_time()
    try:
        attacks.expect_error(
            "safetensors",
            lambda: interop.load_safetensors(m, path),
            CheckpointError,
            [str(path), "'0.weight'", "(32768, 65536)", "(3, 4)"],
            intact=lambda: _same(m, before),
        )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20 and time.process_time() - t0 < 5


@pytest.mark.attack
@pytest.mark.parametrize(
    "case",
    [
        "header_1e9",
        "header_past_end",
        "not_json",
        "not_utf8",
        "json_list",
        "deep_json",
        "bad_metadata",
        "unknown_dtype",
        "negative_shape",
        "offsets_outside",
        "offsets_wrong_length",
        "entry_not_object",
        "short_file",
        "empty_file",
        "int_tensor",
        "bool_tensor",
        "nan",
        "beyond_float32",
        "missing_tensor",
        "unexpected_tensor",
        "two_names_one_array",
    ],
)
def test_hostile_and_mistaken_files_are_one_clear_error(tmp_path, case):
    t = _torch_named(_model(0))
    base = dict(t)
    names: list = []
    if case == "header_1e9":

        def build(p):
            p.write_bytes(struct.pack("<Q", 10**9) + b"{}")
            return p

        names = ["1,000,000,000 bytes"]
    elif case == "header_past_end":

        def build(p):
            p.write_bytes(struct.pack("<Q", 5000) + b'{"a": 1}')
            return p

        names = ["5,000 bytes", "truncated"]
    elif case in ("not_json", "not_utf8", "json_list", "deep_json", "bad_metadata"):
        body = {
            "not_json": b"{this is not json",
            "not_utf8": b'{"\xff\xfe": 1}',
            "json_list": b"[1, 2, 3]",
            "deep_json": b"[" * 100000 + b"]" * 100000,
            "bad_metadata": json.dumps({"__metadata__": {"a": 1}}).encode(),
        }[case]

        def build(p, body=body):
            return _raw(p, {}, header_bytes=body)

        names = [{"json_list": "JSON object", "bad_metadata": "__metadata__"}.get(case, "JSON")]
        if case == "deep_json":
            names = []
    elif case in ("unknown_dtype", "negative_shape", "offsets_outside", "offsets_wrong_length", "entry_not_object"):

        def build(p, case=case):
            h = {}
            off = 0
            for k, (code, shape, raw) in base.items():
                h[k] = {"dtype": code, "shape": list(shape), "data_offsets": [off, off + len(raw)]}
                off += len(raw)
            k = "0.weight"
            if case == "unknown_dtype":
                h[k]["dtype"] = "C64"
            elif case == "negative_shape":
                h[k]["shape"] = [-3, -4]
            elif case == "offsets_outside":
                h[k]["data_offsets"] = [0, 10**12]
            elif case == "offsets_wrong_length":
                h[k]["data_offsets"][1] -= 4
            else:
                h[k] = [1, 2]
            text = json.dumps(h).encode()
            p.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(r for _, _, r in base.values()))
            return p

        names = ["'0.weight'"]
    elif case in ("short_file", "empty_file"):

        def build(p, case=case):
            p.write_bytes(b"" if case == "empty_file" else b"\x10\x00")
            return p

        names = ["truncated"]
    elif case in ("int_tensor", "bool_tensor"):
        code, dt = ("I64", "<i8") if case == "int_tensor" else ("BOOL", "?")
        t["0.weight"] = (code, (3, 4), np.ones((3, 4), dt).tobytes())

        def build(p):
            return _raw(p, t)

        names = ["'0.weight'", code, "refused"]
    elif case in ("nan", "beyond_float32"):
        w = np.ones((3, 4), "<f8")
        w[1, 2] = np.nan if case == "nan" else 1e300
        t["0.weight"] = ("F64", (3, 4), w.tobytes())

        def build(p):
            return _raw(p, t)

        names = ["'0.weight'", "not finite as float32"]
    elif case == "missing_tensor":
        del t["2.bias"]

        def build(p):
            return _raw(p, t)

        names = ["missing", "2.b"]
    elif case == "unexpected_tensor":
        t["9.weight"] = ("F32", (1,), np.ones(1, "<f4").tobytes())

        def build(p):
            return _raw(p, t)

        names = ["unexpected", "9.weight"]
    else:  # two_names_one_array
        t["0.W"] = t["0.weight"]

        def build(p):
            return _raw(p, t)

        names = ["'0.W'", "'0.weight'"]
    _attack(tmp_path, case, build, names)


@pytest.mark.attack
def test_a_float64_model_takes_what_float32_cannot_hold(tmp_path):
    """The finiteness check is made in the model's own dtype: 1e300 is refused for float32 (above)
    and loads into a float64 model."""
    m = _model(0, np.float64)
    t = _torch_named(m)
    w = np.asarray(m.state_dict()["0.W"], "<f8").copy()
    w[0, 0] = 1e300
    t["0.weight"] = ("F64", (3, 4), w.tobytes())
    _raw(tmp_path / "f64.safetensors", t)
    m2 = _model(1, np.float64)
    attacks.expect_ok(
        "finite_after_cast",
        lambda: interop.load_safetensors(m2, tmp_path / "f64.safetensors"),
        lambda _: m2[0].W.data[0, 0] == 1e300,
    )
    m3 = _model(1)  # float32
    before = _state(m3)
    attacks.expect_error(
        "finite_after_cast",
        lambda: interop.load_safetensors(m3, tmp_path / "f64.safetensors"),
        CheckpointError,
        [str(tmp_path / "f64.safetensors"), "'0.weight'", "float32"],
        intact=lambda: _same(m3, before),
    )


@pytest.mark.attack
def test_an_npz_a_folder_a_fifo_and_a_device_are_refused(tmp_path):
    gan = mg.GAN(*mg.mnist_dense_gan(rng=0), 64)
    ck = gan.save(tmp_path / "checkpoint.npz")
    _attack(tmp_path, "npz", lambda p: ck, ["zip archive", "minigan.checkpoint.load"])
    folder = tmp_path / "folder.safetensors"
    folder.mkdir()
    _attack(tmp_path, "dir", lambda p: folder, ["not a regular file", "a folder"])
    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "fifo.safetensors"
        os.mkfifo(fifo)
        attacks.expect_error(
            "fifo",
            lambda: interop.load_safetensors(_model(1), fifo),
            CheckpointError,
            [str(fifo), "a FIFO"],
            timeout=10,
        )
    if os.path.exists("/dev/zero"):
        attacks.expect_error(
            "fifo",
            lambda: interop.load_safetensors(_model(1), "/dev/zero"),
            CheckpointError,
            ["/dev/zero", "character device"],
            timeout=10,
        )
    with pytest.raises(FileNotFoundError, match="does not exist"):
        interop.load_safetensors(_model(1), tmp_path / "missing.safetensors")


@pytest.mark.attack
def test_truncations_anywhere_are_clear(tmp_path):
    m = _model(0)
    full = tmp_path / "full.safetensors"
    interop.save_safetensors(m, full)
    raw = full.read_bytes()
    for cut in sorted({0, 1, 7, 8, 9, 20, len(raw) // 2, len(raw) - 1}):
        p = tmp_path / f"cut{cut}.safetensors"
        p.write_bytes(raw[:cut])
        m2 = _model(1)
        before = _state(m2)
        attacks.expect_error(
            "safetensors",
            lambda m2=m2, p=p: interop.load_safetensors(m2, p),
            CheckpointError,
            [str(p)],
            intact=lambda m2=m2, before=before: _same(m2, before),
        )
