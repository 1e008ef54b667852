"""No file, argument or number makes minigan crash, hang, eat memory, half-load or
train on silently. One test (at least) per class of the issue, each reproducing the report."""

import errno
import gzip
import io
import json
import os
import re
import signal
import struct
import subprocess
import sys
import threading
import time
import tracemalloc
import zipfile

import numpy as np
import pytest

import minigan as mg
from minigan import checkpoint, data
from minigan.checkpoint import CheckpointError
from minigan.data import DataError
from minigan.files import atomic
from minigan.gan import GAN
from minigan.gan.history import NonFiniteStateError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def tiny_gan(seed=0, dropout=True):
    r = np.random.default_rng(seed)
    G = mg.Sequential(mg.Dense(3, 8, rng=r), mg.BatchNorm(8), mg.ReLU(), mg.Dense(8, 4, rng=r))
    layers = (
        [mg.Dense(4, 8, rng=r), mg.LeakyReLU()]
        + ([mg.Dropout(0.3, seed=1)] if dropout else [])
        + [mg.Dense(8, 1, rng=r)]
    )
    return GAN(G, mg.Sequential(*layers), 3, seed=seed)


def trained_gan(steps=6, seed=0):
    gan = tiny_gan(seed)
    X = np.random.default_rng(seed).standard_normal((64, 4)).astype(np.float32)
    gan.fit(X, steps, 8, log_every=3)
    return gan


def snapshot(gan):
    """Every array and counter a load could change, copied."""
    st = {
        f"m.{k}": np.array(v)
        for k, v in list(gan.G.state_dict().items()) + [("D." + k, v) for k, v in gan.D.state_dict().items()]
    }
    for tag, o in (("g", gan.g_opt), ("d", gan.d_opt)):
        st[f"{tag}.t"] = o.t
        st[f"{tag}.hyper"] = o.hyperparameters()
        for k, a in o.state_dict()["arrays"].items():
            st[f"{tag}.{k}"] = np.array(a)
    st["step"] = gan.step
    st["hist"] = {k: list(v) for k, v in gan.history.items()}
    st["noise"] = json.dumps(checkpoint.jsonable(gan.noise_rng_state()))
    st["stream"] = json.dumps(gan.stream.state_dict() if gan.stream else None)
    st["dropout"] = json.dumps(
        [checkpoint.jsonable(m.rng_state()) for _, m in gan.D.named_modules() if isinstance(m, mg.Dropout)]
    )
    return st


def assert_same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        if isinstance(a[k], np.ndarray):
            np.testing.assert_array_equal(a[k], b[k], err_msg=k)
        else:
            assert a[k] == b[k], k


def rewrite(src, dst, meta=None, members=None, drop=()):
    """Copy checkpoint ``src`` to ``dst`` with new metadata bytes and/or replaced members."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.infolist():
            key = item.filename[:-4]
            if key in drop:
                continue
            if key == "__meta__" and meta is not None:
                buf = io.BytesIO()
                np.save(buf, np.frombuffer(meta, np.uint8))
                zout.writestr(item, buf.getvalue())
            elif members and key in members:
                zout.writestr(item.filename, members[key])
            else:
                zout.writestr(item, zin.read(item.filename))
    return dst


def read_meta(path):
    with np.load(path, allow_pickle=False) as f:
        return json.loads(f["__meta__"].tobytes())


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    gan = trained_gan()
    p = tmp_path_factory.mktemp("ck") / "ck.npz"
    gan.save(p, extra={"note": "x"})
    return str(p)


# ---------------------------------------------------------------------------- 1. memory and time
def _peak(fn):
    """Run ``fn()``; return its peak traced memory (bytes) and the CPU time it took (seconds of
    this process, ``time.process_time``: a busy machine does not stretch it, as it does
    wall-clock time)."""
    tracemalloc.start()
    t0 = time.process_time()
    try:
        fn()
    finally:
        cpu = time.process_time() - t0
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak, cpu


def test_huge_stream_n_in_metadata_is_cheap(saved, tmp_path):
    for n in (300_000_000, 2**31 - 1):
        meta = read_meta(saved)
        meta["rng_state"]["stream"]["n"] = n
        p = rewrite(saved, tmp_path / f"n{n}.npz", meta=json.dumps(meta).encode())
        gan = tiny_gan()
        # the permutation is drawn only when batches are: drawing n indices would take n·8 bytes
        # (2.4 GB for the first n), so the memory bound alone proves it was not drawn
        peak, _ = _peak(lambda gan=gan, p=p: gan.load(p))
        assert peak < 50e6, f"loading a stream of n={n} peaked at {peak / 1e6:.0f} MB"
    meta["rng_state"]["stream"]["n"] = 10**12
    p = rewrite(saved, tmp_path / "nbig.npz", meta=json.dumps(meta).encode())
    with pytest.raises(CheckpointError, match="rng_state.stream.n"):
        tiny_gan().load(p)


def _hostile_files(saved, tmp_path):
    """Hostile ~10 MB files: a deflate bomb in the history, a member whose header declares a
    huge shape, a zip whose directory claims 10 GB."""
    out = []
    meta = read_meta(saved)
    bomb = io.BytesIO()
    np.save(bomb, np.zeros(2_000_000_000 // 8 // 20, np.float64))  # 100 MB of zeros
    b = tmp_path / "bomb.npz"
    with zipfile.ZipFile(saved) as zin, zipfile.ZipFile(b, "w") as zout:
        for item in zin.infolist():
            data_ = zin.read(item.filename)
            if item.filename == "array/history/g.npy":
                zout.writestr(item.filename, bomb.getvalue(), compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
            else:
                zout.writestr(item, data_)
    out.append(b)
    hdr = io.BytesIO()
    np.lib.format.write_array_header_1_0(hdr, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)})
    out.append(rewrite(saved, tmp_path / "shape.npz", members={"array/history/d": hdr.getvalue() + b"\0" * 10_000_000}))
    meta["step"] = 10**15
    out.append(
        rewrite(
            saved,
            tmp_path / "step.npz",
            meta=json.dumps(meta).encode(),
            members={"array/history/d": hdr.getvalue() + b"\0" * 10_000_000},
        )
    )
    return out


def test_hostile_files_are_refused_within_memory_and_time(saved, tmp_path):
    for p in _hostile_files(saved, tmp_path):
        gan = tiny_gan()
        before = snapshot(gan)

        def load(gan=gan, p=p):
            with pytest.raises(CheckpointError):
                gan.load(p)

        # the load reads headers only: ~0.01 s of CPU and < 1 MB here. Memory alone would not
        # show the bomb inflated chunk by chunk and thrown away; CPU time does (its 100 MB of
        # zeros take ~0.35 s to inflate), so the CPU bound sits between the two
        peak, cpu = _peak(load)
        assert peak < 100e6 and cpu < 0.25, f"{p}: peak {peak / 1e6:.0f} MB, {cpu:.2f} s of CPU"
        assert_same(before, snapshot(gan))
        with pytest.raises(CheckpointError):
            checkpoint.load(p)


def test_gzip_idx_bomb_is_bounded(tmp_path):
    folder = tmp_path / "idx"
    folder.mkdir()
    header = struct.pack(">BBBBIII", 0, 0, 8, 3, 2_000_000, 28, 28)
    with gzip.open(folder / "train-images-idx3-ubyte.gz", "wb") as f:
        f.write(header)
        f.write(b"\0" * 50_000_000)
    with pytest.raises(DataError, match="train-images.*more than"):
        data.read_idx(str(folder / "train-images-idx3-ubyte.gz"))
    header = struct.pack(">BBBBIIII", 0, 0, 8, 4, 65535, 65535, 65535, 65535)
    (folder / "big").write_bytes(header)
    with pytest.raises(DataError, match="more than"):
        data.read_idx(str(folder / "big"))


# ---------------------------------------------------------------------------- 2. all or nothing
def test_failed_load_changes_nothing(saved, tmp_path, monkeypatch):
    gan = tiny_gan(seed=5)
    gan.fit(np.random.default_rng(5).standard_normal((64, 4)).astype(np.float32), 4, 8)
    before = snapshot(gan)
    # G matches, D does not (its last layer is wider)
    other = tiny_gan(seed=1)
    other.D.layers[-1] = mg.Dense(8, 1, rng=np.random.default_rng(3))
    r = np.random.default_rng(9)
    wide = GAN(
        other.G,
        mg.Sequential(mg.Dense(4, 16, rng=r), mg.LeakyReLU(), mg.Dropout(0.3, seed=1), mg.Dense(16, 1, rng=r)),
        3,
    )
    wide.save(tmp_path / "wide.npz")
    with pytest.raises(CheckpointError, match="D/0.W.*shape"):
        gan.load(tmp_path / "wide.npz")
    assert_same(before, snapshot(gan))
    # a failure in the middle of restoring (after G and D were replaced) rolls everything back
    from minigan.gan import state as training_state

    def boom(*a, **k):
        raise ValueError("injected failure")

    monkeypatch.setattr(training_state, "_load_dropout_states", boom)
    with pytest.raises(CheckpointError, match="injected failure"):
        gan.load(saved)
    assert_same(before, snapshot(gan))
    monkeypatch.undo()
    gan.load(saved)  # and the same file then loads
    assert gan.step == 6


# ---------------------------------------------------------------------------- 3. malformed metadata
META_CASES = [
    ("version", "2"),
    ("version", None),
    ("version", 2),
    ("version", True),
    ("step", "abc"),
    ("step", float("nan")),
    ("step", float("inf")),
    ("step", -1),
    ("step", 1.5),
    ("modules", []),
    ("optimizers", "x"),
    ("arrays", {}),
    ("rng_state", "x"),
    ("rng_state", {"noise": "x"}),
    ("rng_state", {"noise": {"bit_generator": "MT19937"}}),
    ("extra", []),
    ("format", 3),
    ("extra", {"gan": 5}),
    ("extra", {"gan": {"latent_dim": "3"}}),
]


@pytest.mark.parametrize("field,value", META_CASES)
def test_malformed_metadata_is_a_checkpoint_error(saved, tmp_path, field, value):
    meta = read_meta(saved)
    meta[field] = value
    p = rewrite(saved, tmp_path / "m.npz", meta=json.dumps(meta).encode())
    gan = tiny_gan()
    before = snapshot(gan)
    with pytest.raises(CheckpointError):
        gan.load(p)
    assert_same(before, snapshot(gan))


def test_metadata_text_attacks(saved, tmp_path):
    meta_text = json.dumps(read_meta(saved))
    cases = {
        "missing": json.dumps({k: v for k, v in read_meta(saved).items() if k != "step"}),
        "digits": meta_text.replace('"step": 6', '"step": ' + "9" * 5000),
        "deep": "[" * 100000 + "]" * 100000,
        "deep_in_extra": meta_text.replace('"note": "x"', '"note": ' + "[" * 5000 + "]" * 5000),
        "not_json": "{nope",
        "not_utf8": None,
        "huge": json.dumps(read_meta(saved) | {"extra": {"pad": "x" * 2_000_000}}),
        "stream_str": meta_text.replace('"pos": ', '"pos": "').replace(', "rng"', '", "rng"', 1),
    }
    for name, text in cases.items():
        raw = b"\xff\xfe\x00" if text is None else text.encode()
        p = rewrite(saved, tmp_path / f"{name}.npz", meta=raw)
        with pytest.raises(CheckpointError) as info:
            tiny_gan().load(p)
        assert str(p) in str(info.value), name


# ---------------------------------------------------------------------------- 4. honest labels, no hangs
def test_error_labels_say_what_is_wrong(saved, tmp_path):
    raw = open(saved, "rb").read()
    with zipfile.ZipFile(saved) as z:
        info = z.getinfo("module/G/0.W.npy")
    start = info.header_offset + 30 + len(info.filename)
    hdr = io.BytesIO()
    np.lib.format.write_array_header_1_0(hdr, {"descr": "<f4", "fortran_order": False, "shape": (8, 3)})
    cases = {
        "descr": rewrite(
            saved, tmp_path / "descr.npz", members={"module/G/0.W": hdr.getvalue().replace(b"<f4", b"<q9")}
        ),
        "header": rewrite(
            saved,
            tmp_path / "header.npz",
            members={"module/G/0.W": b"\x93NUMPY\x01\x00" + struct.pack("<H", 60000) + b" " * 60000},
        ),
        "shape": rewrite(
            saved,
            tmp_path / "shape.npz",
            members={"module/G/0.W": hdr.getvalue().replace(b"(8, 3)", b"(99999999999, 3)")},
        ),
    }
    (tmp_path / "trunc.npz").write_bytes(raw[: start + 40])
    cases["trunc"] = tmp_path / "trunc.npz"
    for name, p in cases.items():
        with pytest.raises(CheckpointError) as info:
            checkpoint.load(p)
        msg = str(info.value)
        assert "pickle" not in msg, (name, msg)
        assert str(p) in msg
    obj = io.BytesIO()
    np.save(obj, np.array([1, "a"], dtype=object), allow_pickle=True)
    p = rewrite(saved, tmp_path / "obj.npz", members={"module/G/0.W": obj.getvalue()})
    with pytest.raises(CheckpointError, match="refused.*pickled object array"):
        checkpoint.load(p)


def _in_thread(fn, timeout=10):
    box = {}

    def run():
        try:
            fn()
        except BaseException as exc:
            box["exc"] = exc

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(timeout)
    assert not t.is_alive(), "hangs"
    return box.get("exc")


@pytest.mark.attack
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_and_devices_are_refused_without_hanging(tmp_path):
    import attacks  # tests/attacks.py

    fifo = tmp_path / "fifo.npz"
    os.mkfifo(fifo)
    attacks.expect_error("fifo", lambda: checkpoint.load(fifo), CheckpointError, [str(fifo), "not a regular file"], 10)
    attacks.expect_error("fifo", lambda: data.load_mnist(fifo), DataError, [str(fifo), "not a regular file"], 10)
    folder = tmp_path / "idx"
    folder.mkdir()
    for name in (
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ):
        os.mkfifo(folder / name)
    attacks.expect_error("fifo", lambda: data.load_mnist(folder), DataError, ["idx3-ubyte", "not a regular file"], 10)
    attacks.expect_error(
        "fifo", lambda: data.read_idx(str(folder / "train-labels-idx1-ubyte"), limit=3), DataError, ["a FIFO"], 10
    )
    attacks.expect_error("fifo", lambda: checkpoint.load(tmp_path), CheckpointError, ["a folder"], 10)
    if os.path.exists("/dev/zero"):
        for dev in ("/dev/zero", "/dev/null"):
            attacks.expect_error("fifo", lambda dev=dev: checkpoint.load(dev), CheckpointError, [dev, "device"], 10)


# ---------------------------------------------------------------------------- 5. non-finite state
def test_huge_lr_stops_at_flush_and_never_overwrites_a_good_checkpoint(tmp_path):
    gan = tiny_gan()
    X = np.random.default_rng(0).standard_normal((64, 4)).astype(np.float32)
    gan.fit(X, 2, 8)
    p = tmp_path / "ck.npz"
    gan.save(p)
    good = p.read_bytes()
    gan.g_opt.lr = 1e39
    # the step overflows float32 on purpose: NumPy warns ("overflow encountered ..."), the
    # guard below must then stop the run
    with pytest.warns(RuntimeWarning, match="encountered"):
        gan.train_step(X[:8])
    with pytest.raises(NonFiniteStateError, match=r"G\.\d\.\w+.*step 3|step 3"):
        gan.save(p)
    assert p.read_bytes() == good
    with pytest.raises(NonFiniteStateError) as info:
        gan.flush()
    assert info.value.step == 3 and info.value.name.startswith(("G.", "g_opt."))
    # checkpoint.save itself refuses (a backstop for any caller)
    with pytest.raises(NonFiniteStateError):
        checkpoint.save(p, modules={"G": gan.G}, step=3)
    assert p.read_bytes() == good


def test_state_guard_names_optimizer_state():
    gan = tiny_gan()
    X = np.random.default_rng(0).standard_normal((64, 4)).astype(np.float32)
    gan.fit(X, 2, 8)
    gan.g_opt.state["S"][1][...] = np.inf
    gan.train_step(X[:8])
    with pytest.raises(NonFiniteStateError, match=r"g_opt\.S\[1\] \(G\.0\.b\)"):
        gan.flush()


@pytest.mark.slow
def test_example_exits_3_on_a_diverged_run(tmp_path):
    r = subprocess.run(
        [
            sys.executable,
            os.path.join(ROOT, "examples", "mnist_gan.py"),
            "--fast",
            "--no-eval",
            "--lr",
            "1e6",
            "--out",
            str(tmp_path / "run"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ, PYTHONPATH=ROOT),
    )
    assert r.returncode == 3, r.stderr[-2000:]
    assert "step" in r.stderr and "holds NaN or infinite" in r.stderr


# ---------------------------------------------------------------------------- 6. data
def _keras_npz(path, x, y=None, compress=False):
    y = np.zeros(len(x), np.uint8) if y is None else y
    (np.savez_compressed if compress else np.savez)(path, x_train=x, y_train=y, x_test=x[:2], y_test=y[:2])
    return path


def test_data_refuses_ambiguous_pixels_and_labels(tmp_path):
    ok = np.random.default_rng(0).integers(0, 256, (4, 28, 28)).astype(np.uint8)
    X, y = data.load_mnist(_keras_npz(tmp_path / "ok.npz", ok))
    assert X.min() >= -1 and X.max() <= 1
    X2, _ = data.load_mnist(_keras_npz(tmp_path / "f.npz", ok.astype(np.float64), compress=True))
    np.testing.assert_array_equal(X, X2)  # whole-number floats 0..255 are unambiguous
    bad = {
        "scaled": ok / 127.5 - 1,
        "unit": ok / 255.0,
        "big": ok * 4.0,
        "nan": np.full((4, 28, 28), np.nan),
        "neg": ok.astype(np.int64) - 300,
        "u16": ok.astype(np.uint16) * 300,
        "bool": ok > 3,
    }
    for name, x in bad.items():
        with pytest.raises(DataError, match=f"{name}.npz.*x_train"):
            data.load_mnist(_keras_npz(tmp_path / f"{name}.npz", x))
    for name, lab in {
        "l37": np.full(4, 3.7),
        "lnan": np.full(4, np.nan),
        "lstr": np.array(["a"] * 4),
        "l10": np.full(4, 10),
    }.items():
        with pytest.raises(DataError, match=f"{name}.npz.*y_train"):
            data.load_mnist(_keras_npz(tmp_path / f"{name}.npz", ok, lab))


# ---------------------------------------------------------------------------- 7. leftovers and OS errors
def test_stale_temp_files_are_removed_on_the_next_save(tmp_path):
    m = mg.Dense(3, 2)
    p = tmp_path / "checkpoint.npz"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = [
        tmp_path / f".checkpoint.npz.{dead.pid}.abcd1234.tmp",
        tmp_path / ".checkpoint.npz.x1y2z3w4.tmp",
        tmp_path / f".checkpoint.npz.{os.getpid()}.zzzzzzzz.tmp",
    ]
    keep = [
        tmp_path / ".other.npz.abcd1234.tmp",
        tmp_path / "checkpoint.npz.tmp",
        tmp_path / "notes.tmp",
        tmp_path / f".checkpoint.npz.{os.getppid()}.live1234.tmp",
    ]  # a live pid: maybe saving now
    for f in stale + keep:
        f.write_bytes(b"x")
    checkpoint.save(p, modules={"m": m})
    assert not any(f.exists() for f in stale)
    assert all(f.exists() for f in keep)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_kill_during_save_leaves_no_temp_after_next_save(tmp_path):
    script = (
        "import sys, numpy as np, minigan as mg\n"
        "from minigan import checkpoint\n"
        "m = mg.Dense(300, 300)\n"
        "print('ready', flush=True)\n"
        "i = 0\n"
        "while True:\n"
        "    i += 1\n"
        "    checkpoint.save(sys.argv[1], modules={'m': m}, step=i, arrays={'pad': np.zeros(300000)})\n"
    )
    p = tmp_path / "checkpoint.npz"
    rng = np.random.default_rng(0)
    kills = mid_save = 0
    # at least 4 kills, and on until one lands in the middle of a save (the saver spends most
    # of its time writing, so that takes one or two kills; 20 is a bound, never reached)
    while kills < 4 or (mid_save == 0 and kills < 20):
        proc = subprocess.Popen(
            [sys.executable, "-c", script, str(p)], stdout=subprocess.PIPE, env=dict(os.environ, PYTHONPATH=ROOT)
        )
        proc.stdout.readline()
        time.sleep(0.2 + rng.random() * 0.5)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        kills += 1
        mid_save += bool(list(tmp_path.glob(f".checkpoint.npz.{proc.pid}.*.tmp")))  # this process's temp file
        if p.exists():
            checkpoint.load(p)  # whatever the kill hit, the file is a whole checkpoint
    assert mid_save >= 1, f"none of {kills} kills landed during a save: the test proved nothing"
    checkpoint.save(p, modules={"m": mg.Dense(300, 300)}, step=0)
    assert list(tmp_path.glob("*.tmp")) == [] and list(tmp_path.glob(".*.tmp")) == []
    assert checkpoint.load(p).step == 0


def test_os_errors_name_the_path(tmp_path, monkeypatch):
    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np, "savez", full)
    p = tmp_path / "ck.npz"
    with pytest.raises(OSError, match=r"cannot write checkpoint .*ck\.npz: No space left on device") as info:
        checkpoint.save(p, modules={"m": mg.Dense(2, 2)})
    assert info.value.errno == errno.ENOSPC
    assert list(tmp_path.iterdir()) == []  # no temporary file left


def test_example_maps_os_errors_to_exit_2(tmp_path, monkeypatch, capsys):
    sys.path.insert(0, os.path.join(ROOT, "examples"))
    try:
        import mnist_gan
    finally:
        sys.path.pop(0)

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    from minigan.checkpoint import archive

    monkeypatch.setattr(
        archive,
        "atomic_savez",
        lambda path, arrays: (_ for _ in ()).throw(
            atomic.os_error(OSError(errno.ENOSPC, "No space left on device"), "write checkpoint", path)
        ),
    )
    rc = mnist_gan.main(["--fast", "--no-eval", "--steps", "4", "--sample-every", "2", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    # the first file a save writes names the error: checkpoint_ema.npz under the default recipe
    # (its EMA is saved just before checkpoint.npz), checkpoint.npz without an EMA
    assert rc == 2 and "No space left on device" in err
    assert re.search(r"o/checkpoint(_ema)?\.npz", err), err
    assert "Traceback" not in err


# ---------------------------------------------------------------------------- 8. API
def test_api_reports(rng):
    with pytest.raises(ValueError, match=r"Dense\(3, 4\): init returned shape \(2,\)"):
        mg.Dense(3, 4, init=lambda shape, rng, dtype: np.zeros(2))
    with pytest.raises(TypeError, match="Dense: dtype must be float32 or float64"):
        mg.Dense(3, 4, dtype=np.int32)
    with pytest.raises(TypeError, match="Conv2D: dtype"):
        mg.Conv2D(1, 2, 3, dtype=np.complex64)
    for loss in (mg.BCELoss(), mg.BCEWithLogitsLoss(), mg.MSELoss()):
        with pytest.raises(ValueError, match=f"{type(loss).__name__}: pred is empty"):
            loss(np.zeros((0, 1), np.float32), np.zeros((0, 1), np.float32))
    with pytest.raises(ValueError, match="CrossEntropyLoss: pred is empty"):
        mg.CrossEntropyLoss()(np.zeros((0, 3), np.float32), np.zeros(0, np.int64))
    rnn = mg.RNN(2, 3, nonlinearity="relu", dtype=np.float64)
    x = np.full((1, 2, 2), -np.inf)
    rnn.params["W_ih"].data[...] = 1.0
    out = rnn(x)
    assert np.all(out == 0)  # ReLU(-inf) = 0, not NaN
    with pytest.raises(ValueError, match="BatchNorm: eps must be a float > 0 and finite"):
        mg.BatchNorm(3, eps=np.inf)
    with pytest.raises(ValueError, match="Dropout: seed must be an int >= 0"):
        mg.Dropout(0.5, seed=-1)
    with pytest.raises(ValueError, match="Dense: rng must be"):
        mg.Dense(2, 2, rng=-1)
    d = mg.Dense(3, 2)
    d(np.zeros((4, 3), np.float32))
    for bad, err in (
        (None, TypeError),
        ([[0.0] * 2] * 4, TypeError),
        (np.zeros((4, 2), np.complex64), TypeError),
        (np.zeros((4, 2), object), TypeError),
        (np.zeros((4, 2), np.int64), TypeError),
        (np.zeros((4, 3), np.float32), ValueError),
        (np.float32(1.0), TypeError),
    ):
        with pytest.raises(err, match=r"Dense\(3, 2\)\.backward: dout"):
            d.backward(bad)


# ---------------------------------------------------------------------------- one writer per run folder
from minigan.files.lock import LOCK_NAME, FolderBusy, RunLock  # noqa: E402

_HOLD = (
    "import sys, time\n"
    "from minigan.files.lock import RunLock\n"
    "RunLock(sys.argv[1]).acquire()\n"
    "print('held', flush=True)\n"
    "time.sleep(600)\n"
)


def hold_lock(folder):
    """A process that holds ``folder``'s lock until killed; returns it once the lock is held."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")])}
    p = subprocess.Popen([sys.executable, "-c", _HOLD, str(folder)], stdout=subprocess.PIPE, text=True, env=env)
    assert p.stdout.readline().strip() == "held"
    return p


@pytest.mark.attack
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_run_lock_refuses_a_second_writer_and_takes_over_a_dead_ones(tmp_path):
    folder = tmp_path / "run"
    lock = RunLock(folder).acquire()
    assert lock.created and (folder / LOCK_NAME).read_text().strip() == str(os.getpid())
    with pytest.raises(FolderBusy, match=rf"{re.escape(str(folder))} is in use by another run \(process {os.getpid()}"):
        RunLock(folder).acquire()  # a second open file of this process conflicts too
    lock.release()
    assert not (folder / LOCK_NAME).exists()
    lock.remove_if_empty()
    assert not folder.exists()  # created by the lock, left empty: gone
    holder = hold_lock(folder)
    try:
        import attacks  # tests/attacks.py

        exc = attacks.expect_error(
            "run_lock", lambda: RunLock(folder).acquire(), FolderBusy, [str(folder), f"process {holder.pid}"]
        )
        assert exc.pid == holder.pid
    finally:
        holder.kill()  # like kill -9: the lock file stays, with a dead pid in it
        holder.wait()
    assert (folder / LOCK_NAME).read_text().strip() == str(holder.pid)
    with RunLock(folder) as again:
        assert again.took_over == holder.pid
    assert not (folder / LOCK_NAME).exists()
