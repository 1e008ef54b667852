"""minigan.checkpoint: round trip, atomic writes, refusal of pickles, truncated files, exact resume."""

import os
import pickle
import zipfile

import numpy as np
import pytest

import minigan as mg
from minigan import checkpoint
from minigan.checkpoint import CheckpointError
from minigan.gan import GAN


def _model(seed):
    r = np.random.default_rng(seed)
    return mg.Sequential(mg.Dense(3, 4, rng=r), mg.BatchNorm(4), mg.ReLU(), mg.Dense(4, 2, rng=r))


def _trained(seed=0):
    m = _model(seed)
    opt = mg.Adam(m.parameters(), lr=1e-2)
    x = np.random.default_rng(seed).standard_normal((5, 3)).astype(np.float32)
    for _ in range(3):
        m.zero_grad()
        m(x)
        m.backward(np.ones((5, 2), np.float32))
        opt.step()
    return m, opt


def test_round_trip(tmp_path):
    m, opt = _trained()
    p = tmp_path / "ck.npz"
    rng = np.random.default_rng(7)
    rng.random(3)
    checkpoint.save(
        p,
        modules={"net": m},
        optimizers={"net": opt},
        step=42,
        rng_state={"np": rng.bit_generator.state},
        extra={"note": "hi", "lr": 0.01},
        arrays={"history/g": np.arange(4.0)},
    )
    ck = checkpoint.load(p)
    assert ck.step == 42 and ck.extra == {"note": "hi", "lr": 0.01}
    np.testing.assert_array_equal(ck.arrays["history/g"], np.arange(4.0))
    r2 = np.random.default_rng()
    r2.bit_generator.state = ck.rng_state["np"]
    assert r2.random() == rng.random()  # the generator continues where it was
    m2, opt2 = _model(99), None
    opt2 = mg.Adam(m2.parameters(), lr=1e-2)
    ck.restore(modules={"net": m2}, optimizers={"net": opt2})
    for (k, a), (_, b) in zip(m.state_dict().items(), m2.state_dict().items()):
        np.testing.assert_array_equal(a, b, err_msg=k)  # weights and BatchNorm running stats
    s1, s2 = opt.state_dict(), opt2.state_dict()
    assert s1["step"] == s2["step"] == 3
    for k in s1["arrays"]:
        np.testing.assert_array_equal(s1["arrays"][k], s2["arrays"][k], err_msg=k)  # Adam moments
    with np.load(p, allow_pickle=False) as f:  # readable without pickle, metadata is bytes
        assert f["__meta__"].dtype == np.uint8


def test_atomic_write_keeps_the_old_checkpoint(tmp_path, monkeypatch):
    m, opt = _trained()
    p = tmp_path / "ck.npz"
    checkpoint.save(p, modules={"net": m}, step=1)
    good = p.read_bytes()

    def crash(fh, **arrays):
        fh.write(b"PK\x03\x04 half a file")
        raise KeyboardInterrupt  # e.g. Ctrl-C in the middle of writing

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(KeyboardInterrupt):
        checkpoint.save(p, modules={"net": m}, step=2)
    monkeypatch.undo()
    assert p.read_bytes() == good and checkpoint.load(p).step == 1
    assert os.listdir(tmp_path) == ["ck.npz"]  # no temporary file left behind


def test_pickle_is_refused_never_executed(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    p = tmp_path / "evil.npz"
    p.write_bytes(pickle.dumps(Evil()))
    with pytest.raises(CheckpointError, match="refused.*pickle"):
        checkpoint.load(p)
    p2 = tmp_path / "evil_member.npz"
    np.savez(
        p2,
        __meta__=np.frombuffer(b'{"format": "minigan-checkpoint"}', np.uint8),
        payload=np.array([Evil()], dtype=object),
    )
    with pytest.raises(CheckpointError, match="refused.*pickle"):
        checkpoint.load(p2)
    assert not marker.exists()


def test_truncated_and_corrupt_files(tmp_path):
    m, opt = _trained()
    p = tmp_path / "ck.npz"
    checkpoint.save(p, modules={"net": m}, optimizers={"net": opt}, step=3)
    raw = p.read_bytes()
    (tmp_path / "half.npz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(CheckpointError, match="half.npz.*truncated or corrupt"):
        checkpoint.load(tmp_path / "half.npz")
    (tmp_path / "empty.npz").write_bytes(b"")
    with pytest.raises(CheckpointError, match="empty.npz"):
        checkpoint.load(tmp_path / "empty.npz")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        checkpoint.load(tmp_path / "nope.npz")
    (tmp_path / "text.npz").write_bytes(b"not a checkpoint at all\n")
    with pytest.raises(CheckpointError, match="text.npz: not a minigan checkpoint.*starts with"):
        checkpoint.load(tmp_path / "text.npz")  # garbage is called garbage, not a pickle
    with zipfile.ZipFile(tmp_path / "raw_member.npz", "w") as z:  # a zip whose member is no .npy
        z.writestr("__meta__", b'{"format": "minigan-checkpoint"}')
    with pytest.raises(CheckpointError, match="raw_member.npz: not a minigan checkpoint.*__meta__"):
        checkpoint.load(tmp_path / "raw_member.npz")
    np.savez(tmp_path / "foreign.npz", a=np.zeros(3))
    with pytest.raises(CheckpointError, match="not a minigan checkpoint"):
        checkpoint.load(tmp_path / "foreign.npz")
    # a member listed in the metadata is missing
    with zipfile.ZipFile(p) as zin, zipfile.ZipFile(tmp_path / "gap.npz", "w") as zout:
        for item in zin.infolist():
            if not item.filename.startswith("module/net/0.W"):
                zout.writestr(item, zin.read(item.filename))
    with pytest.raises(CheckpointError, match="0.W.*missing"):
        checkpoint.load(tmp_path / "gap.npz")


def test_restore_mismatch_names_the_problem(tmp_path):
    m, opt = _trained()
    p = tmp_path / "ck.npz"
    checkpoint.save(p, modules={"net": m}, step=0)
    ck = checkpoint.load(p)
    other = mg.Sequential(mg.Dense(3, 5), mg.BatchNorm(5), mg.ReLU(), mg.Dense(5, 2))
    with pytest.raises(CheckpointError, match=r"module 'net' does not match.*0\.W"):
        ck.restore(modules={"net": other})
    with pytest.raises(CheckpointError, match="no module 'G'"):
        ck.restore(modules={"G": m})
    with pytest.raises(CheckpointError, match="JSON"):
        checkpoint.save(p, modules={"net": m}, extra={"f": object()})


def _gan(seed_weights):
    r = np.random.default_rng(seed_weights)
    G = mg.Sequential(mg.Dense(3, 8, rng=r), mg.BatchNorm(8), mg.LeakyReLU(0.2), mg.Dense(8, 4, rng=r), mg.Tanh())
    D = mg.Sequential(mg.Dense(4, 8, rng=r), mg.LeakyReLU(0.2), mg.Dropout(0.2, seed=1), mg.Dense(8, 1, rng=r))
    return GAN(G, D, 3, seed=11, lr=1e-3)


def test_resume_gives_exactly_the_uninterrupted_run(tmp_path):
    X = np.random.default_rng(0).standard_normal((40, 4)).astype(np.float32)
    full = _gan(0)
    full.fit(X, 14, batch_size=8)  # 5 batches per epoch: the resume point is mid-epoch
    part = _gan(0)
    part.fit(X, 7, batch_size=8)
    part.save(tmp_path / "ck.npz")
    resumed = _gan(123)  # different initial weights: everything must come from the file
    resumed.load(tmp_path / "ck.npz")
    assert resumed.step == 7
    resumed.fit(X, 14, batch_size=8)
    assert resumed.history == full.history  # identical floats, every step
    for a, b in ((full.G, resumed.G), (full.D, resumed.D)):
        for (k, v), (_, w) in zip(a.state_dict().items(), b.state_dict().items()):
            np.testing.assert_array_equal(v, w, err_msg=k)


def test_checkpoint_gets_the_usual_file_permissions(tmp_path):
    """The temporary file of the atomic write is private (mkstemp's 0600); the checkpoint that
    replaces it gets 0666 less the umask, like any file the user saves."""
    mask = os.umask(0o022)
    try:
        m, opt = _trained()
        p = checkpoint.save(tmp_path / "ck.npz", modules={"net": m}, optimizers={"net": opt})
    finally:
        os.umask(mask)
    assert os.stat(p).st_mode & 0o777 == 0o644
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]


# ---------------------------------------------------------------------------- format stability
OLD_GAN_CHECKPOINT = os.path.join(os.path.dirname(__file__), "data", "gan_checkpoint_a2297e5.npz")


def _dropout_gan(seed):
    G = mg.Sequential(mg.Dense(4, 8), mg.ReLU(), mg.Dropout(0.3, seed=seed), mg.Dense(8, 2))
    D = mg.Sequential(mg.Dense(2, 8), mg.LeakyReLU(), mg.Dropout(0.2, seed=seed), mg.Dense(8, 1))
    return GAN(G, D, latent_dim=4, seed=3)


def test_a_checkpoint_from_before_the_training_state_move_loads_and_saves_back_the_same(tmp_path):
    """tests/data/gan_checkpoint_a2297e5.npz was written by GAN.save at commit a2297e5 (before
    the save/load code moved out of gan.py): 7 steps of a GAN with Dropout on both
    sides, fit(ring_of_gaussians(256, rng=0), 7, batch_size=32), extra={"a": 1}. It loads, and
    saving the loaded state writes exactly the same arrays and metadata."""
    gan = _dropout_gan(seed=9)
    extra = gan.load(OLD_GAN_CHECKPOINT)
    assert extra["a"] == 1 and extra["gan"]["latent_dim"] == 4
    assert gan.step == 7 and all(len(v) == 7 for v in gan.history.values())
    assert gan.stream is not None and gan.noise_rng_state() is not None
    out = gan.save(tmp_path / "again.npz", extra={"a": 1})
    with np.load(OLD_GAN_CHECKPOINT) as a, np.load(out) as b:
        assert a.files == b.files
        for k in a.files:
            assert a[k].dtype == b[k].dtype and np.array_equal(a[k], b[k]), k


def test_gan_save_and_load_only_delegate_to_the_gan_state_module():
    """gan/gan.py holds the algorithm; what a checkpoint holds is minigan.gan.state's job."""
    import ast
    import inspect
    import textwrap

    import minigan.gan.gan

    for name in ("save", "load"):
        fn = ast.parse(textwrap.dedent(inspect.getsource(getattr(GAN, name)))).body[0]
        body = fn.body[1:] if isinstance(fn.body[0].value, ast.Constant) else fn.body  # skip the docstring
        assert len(body) == 1 and isinstance(body[0], ast.Return), name
        assert "gan_state." in ast.unparse(body[0]), name
    tree = ast.parse(inspect.getsource(minigan.gan.gan))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
    imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert not any("checkpoint" in (m or "") for m in imported) and "state" in imported


def _fixture_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_checkpoints", os.path.join(os.path.dirname(__file__), "data", "make_checkpoints.py")
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize(
    "name, build", [("gan_conv_checkpoint_b39b295.npz", "conv_gan"), ("cgan_checkpoint_b39b295.npz", "cgan")]
)
def test_checkpoints_from_before_the_nn_move_load_and_save_back_the_same(tmp_path, name, build):
    """The two files were written at commit b39b295, before the engine moved into minigan/nn/, by
    tests/data/make_checkpoints.py (conv and transposed conv, BatchNorm buffers, Dropout's mask
    generator, Adam and RMSProp states; a conditional GAN's embeddings). Loaded into freshly
    built models, they restore every array, and saving the loaded state writes exactly the same
    arrays and metadata."""
    fx = _fixture_module()
    path = os.path.join(os.path.dirname(__file__), "data", name)
    gan = getattr(fx, build)()
    extra = gan.load(path)
    assert extra["made_by"] == fx.EXTRA["made_by"]
    with np.load(path) as a:
        for key in a.files:
            if key.startswith("module/"):
                _, who, pname = key.split("/", 2)
                assert np.array_equal(getattr(gan, who).state_dict()[pname], a[key]), key
    out = gan.save(tmp_path / "again.npz", extra=fx.EXTRA)
    with np.load(path) as a, np.load(out) as b:
        assert a.files == b.files
        for k in a.files:
            assert a[k].dtype == b[k].dtype and np.array_equal(a[k], b[k]), k


# ---------------------------------------------------------------------------- finite after the cast
import attacks  # noqa: E402  (tests/attacks.py)


def _with_big(src, dst, member, value=1e300):
    """Copy the checkpoint ``src`` to ``dst`` with ``member`` stored as float64 holding ``value``
    (finite in float64, infinite in float32)."""
    with np.load(src) as f:
        arrays = {k: f[k] for k in f.files}
    a = arrays[member].astype(np.float64)
    a.flat[0] = value
    arrays[member] = a
    np.savez(dst, **arrays)
    return dst


def _snapshot(gan):
    return [a.copy() for a in list(gan.G.state_dict().values()) + list(gan.D.state_dict().values())]


@pytest.mark.attack
@pytest.mark.parametrize("member", ["module/G/0.W", "module/D/3.b", "optim/G/S.0", "optim/D/V.1"])
def test_finite_float64_beyond_float32_is_refused_for_a_float32_model(tmp_path, member):
    """1e300 is finite in float64 and infinite in float32: the check is made after the cast to the
    model's dtype, and the GAN is left as it was (it used to load inf weights and sample NaN)."""
    X = np.random.default_rng(0).standard_normal((40, 4)).astype(np.float32)
    gan = _gan(0)
    gan.fit(X, 3, batch_size=8)
    src = gan.save(tmp_path / "good.npz")
    bad = _with_big(src, tmp_path / "bad.npz", member)
    fresh = _gan(1)
    before = _snapshot(fresh)
    attacks.expect_error(
        "finite_after_cast",
        lambda: fresh.load(bad),
        CheckpointError,
        [str(bad), repr(member), "float32"],
        intact=lambda: all(np.array_equal(a, b) for a, b in zip(before, _snapshot(fresh))),
    )
    # the lower-level restore refuses it the same way
    if member.startswith("module/"):
        name = member.split("/")[1]
        target = fresh.G if name == "G" else fresh.D
        attacks.expect_error(
            "finite_after_cast",
            lambda: checkpoint.load(bad).restore(modules={name: target}),
            CheckpointError,
            [str(bad), repr(member), "float32"],
            intact=lambda: all(np.array_equal(a, b) for a, b in zip(before, _snapshot(fresh))),
        )
    # sampling the model that refused the file still gives finite images
    assert np.isfinite(fresh.sample(4)).all()


@pytest.mark.attack
def test_a_float64_model_loads_what_float32_cannot_hold(tmp_path):
    m = _model(0).astype(np.float64)
    p = tmp_path / "ck.npz"
    checkpoint.save(p, modules={"net": m})
    bad = _with_big(p, tmp_path / "big.npz", "module/net/0.W")
    m2 = _model(1).astype(np.float64)
    attacks.expect_ok(
        "finite_after_cast",
        lambda: checkpoint.load(bad).restore(modules={"net": m2}),
        lambda _: m2[0].W.data.flat[0] == 1e300,
    )
    m3 = _model(1)
    attacks.expect_error(
        "finite_after_cast",
        lambda: checkpoint.load(bad).restore(modules={"net": m3}),
        CheckpointError,
        [str(bad), "'module/net/0.W'", "beyond float32's range"],
    )
