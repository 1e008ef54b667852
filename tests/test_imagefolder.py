"""minigan.data.ImageFolder on folders the tests draw (minigan.data.drawings): PNG and JPEG, 64x64 and
96x96, class sub-folders, a corrupt file and a non-image file among them."""

import os
import tracemalloc

import numpy as np
import pytest

PIL = pytest.importorskip("PIL")
from PIL import Image  # noqa: E402

import minigan as mg  # noqa: E402
from minigan.data import DataError, ImageFolder  # noqa: E402
from minigan.data.drawings import draw_shape, write_shape_folder  # noqa: E402


@pytest.fixture(scope="module")
def shapes64(tmp_path_factory):
    root = tmp_path_factory.mktemp("shapes64")
    info = write_shape_folder(root, 60, 64, corrupt=1, seed=0)
    return root, info


def _quiet(msgs):
    return msgs.append


def test_batches_shape_range_labels(shapes64):
    root, info = shapes64
    msgs = []
    f = ImageFolder(root, 64, 8, log=_quiet(msgs))
    assert f.classes == ["discs", "squares"] and f.n == 61  # 60 images + the corrupt PNG (caught when read)
    assert any("notes.txt" in m and "not an image" in m for m in msgs)
    x, y = f.next_batch_with_labels()
    assert x.shape == (8, 1, 64, 64) and x.dtype == np.float32
    assert -1.0 <= x.min() < -0.7 and 0.3 < x.max() <= 1.0  # dark background, bright shape
    assert y.dtype == np.int64 and set(y) <= {0, 1}
    for p, lab in zip(f.paths, f.labels):
        assert os.path.basename(os.path.dirname(p)) == f.classes[lab]
    assert f.sample_shape() == (1, 64, 64)


def test_corrupt_file_reported_by_name_and_skipped(shapes64):
    root, info = shapes64
    msgs = []
    f = ImageFolder(root, 64, 16, log=_quiet(msgs), shuffle=False)
    for _ in range(5):  # more than an epoch: every file is met
        x = f.next_batch()
        assert np.isfinite(x).all()
    bad = [p for p, _ in f.skipped]
    assert str(info["corrupt"][0]) in bad and str(info["other"][0]) in bad
    assert any("broken_0.png" in m and "cannot read it as an image" in m for m in msgs)
    assert sum("broken_0.png" in m for m in msgs) == 1  # reported once, never read again


def test_on_error_raise_refuses_with_the_name(shapes64, tmp_path):
    root, info = shapes64
    with pytest.raises(DataError, match="notes.txt: not an image file"):
        ImageFolder(root, 64, 8, on_error="raise")
    aside = str(tmp_path / "notes.txt")
    os.rename(info["other"][0], aside)
    try:
        f = ImageFolder(root, 64, 16, on_error="raise", shuffle=False)
        with pytest.raises(DataError, match=r"broken_0\.png: cannot read it as an image"):
            for _ in range(5):
                f.next_batch()
    finally:
        os.rename(aside, info["other"][0])


def test_reproducible_shuffle_and_resume(shapes64):
    root, _ = shapes64
    a = ImageFolder(root, 32, 8, seed=3, log=lambda m: None)
    b = ImageFolder(root, 32, 8, seed=3, log=lambda m: None)
    c = ImageFolder(root, 32, 8, seed=4, log=lambda m: None)
    xa = [a.next_batch() for _ in range(3)]
    np.testing.assert_array_equal(np.stack(xa), np.stack([b.next_batch() for _ in range(3)]))
    assert not np.array_equal(xa[0], c.next_batch())
    state = a.state_dict()
    want = [a.next_batch() for _ in range(9)]  # crosses an epoch boundary
    d = ImageFolder(root, 32, 8, seed=99, log=lambda m: None).load_state_dict(state)
    np.testing.assert_array_equal(np.stack(want), np.stack([d.next_batch() for _ in range(9)]))


def test_class_filter_rgb_96_jpeg_and_crop(tmp_path):
    rng = np.random.default_rng(0)
    for cls in ("a", "b"):
        os.makedirs(tmp_path / cls)
    for i in range(6):
        Image.fromarray(draw_shape("disc", 96, rng)).convert("RGB").save(tmp_path / "a" / f"{i}.jpg")
        Image.fromarray(draw_shape("square", 96, rng)).save(tmp_path / "b" / f"{i}.bmp")
    wide = np.zeros((50, 100), np.uint8)
    wide[:, 25:75] = 255  # a white center square between black side bands
    Image.fromarray(wide).save(tmp_path / "a" / "wide.png")
    f = ImageFolder(tmp_path, 96, 7, mode="RGB", classes=["a"], shuffle=False)
    assert f.classes == ["a"] and f.n == 7 and set(f.labels) == {0}
    x = f.next_batch()
    assert x.shape == (7, 3, 96, 96)
    crop = ImageFolder(tmp_path, 20, 1, classes=["a"], shuffle=False)
    crop.paths = [str(tmp_path / "a" / "wide.png")]
    crop.n = 1
    img = crop.load(crop.paths[0])
    assert img.shape == (1, 20, 20) and img[:, :, 2:-2].min() > 0.99  # center crop: the white square (edges resampled)
    st = ImageFolder(tmp_path, 20, 1, classes=["a"], resize="stretch").load(str(tmp_path / "a" / "wide.png"))
    assert st[0, :, 0].max() < -0.9  # stretched: the black bands stay
    with pytest.raises(DataError, match=r"no class folder\(s\) \['c'\]"):
        ImageFolder(tmp_path, 96, 2, classes=["c"])
    flat = ImageFolder(tmp_path, 96, 2, labels="none")
    assert flat.labels is None and flat.next_batch_with_labels()[1] is None


def test_bad_arguments(tmp_path):
    with pytest.raises(DataError, match="not a folder"):
        ImageFolder(tmp_path / "nope", 64)
    with pytest.raises(DataError, match="no images"):
        ImageFolder(tmp_path, 64, log=lambda m: None)
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "x.png")
    with pytest.raises(ValueError, match="batch_size 4 is larger than the 1 images"):
        ImageFolder(tmp_path, 64, 4)
    with pytest.raises(ValueError, match="mode"):
        ImageFolder(tmp_path, 64, 1, mode="CMYK")
    with pytest.raises((TypeError, ValueError), match="size"):
        ImageFolder(tmp_path, 0, 1)


def test_every_file_unreadable_is_a_clear_error(tmp_path):
    (tmp_path / "a.png").write_bytes(b"not a png")
    (tmp_path / "b.jpg").write_bytes(b"")
    f = ImageFolder(tmp_path, 16, 1, log=lambda m: None)
    with pytest.raises(DataError, match="cannot read it as an image"):
        f.next_batch()


def test_stream_memory_is_bounded(tmp_path):
    write_shape_folder(tmp_path, 300, 64, corrupt=0, seed=1)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    f = ImageFolder(tmp_path, 64, 16)
    for _ in range(f.batches_per_epoch):
        f.next_batch()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    whole = 300 * 64 * 64 * 4
    assert peak < whole / 4, (peak, whole)  # about one batch (256 KiB) plus the path list


def test_reexported():
    assert mg.data.ImageFolder is ImageFolder and mg.ImageFolder is ImageFolder


def test_shape_score_counts_the_drawings_and_nothing_else(shapes64):
    """minigan.metrics.drawings.shape_score: every drawing passes (discs and squares told apart), and a
    flat grey image, uniform noise, two blobs, a frame or a thin bar do not."""
    from minigan.metrics.drawings import shape_score

    rng = np.random.default_rng(3)
    kinds = ["disc", "square"] * 40
    drawn = np.stack([draw_shape(k, 64, rng) for k in kinds]).astype(np.float64) / 127.5 - 1
    q = shape_score(drawn[:, None])
    assert q["n"] == 80 and q["shape_like"] == 1.0
    assert abs(q["discs"] - 0.5) <= 0.05 and abs(q["squares"] - 0.5) <= 0.05
    folder = ImageFolder(shapes64[0], 48, 48, mode="L", seed=0, on_error="skip", log=lambda m: None).next_batch()
    assert shape_score(folder)["shape_like"] == 1.0  # PNG and JPEG, resized, through ImageFolder
    bad = np.full((5, 64, 64), -0.8)
    bad[1] = rng.uniform(-1, 1, (64, 64))
    bad[2, 5:20, 5:20] = bad[2, 40:55, 40:55] = 0.6  # two blobs
    bad[3, 10:54, 10:54] = 0.6
    bad[3, 14:50, 14:50] = -0.8  # a hollow frame
    bad[4, 30:34, 4:60] = 0.6  # a thin bar
    assert shape_score(bad)["shape_like"] == 0.0
    with pytest.raises(ValueError, match="shape_score: images must be"):
        shape_score(np.zeros((0, 64, 64)))


# ---------------------------------------------------------------------------- non-regular files
import attacks  # noqa: E402  (tests/attacks.py)


@pytest.mark.attack
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("on_error", ["skip", "raise"])
def test_a_fifo_named_like_an_image_is_refused_without_hanging(tmp_path, on_error):
    """A FIFO named x.png used to block ImageFolder forever (opening a FIFO waits for a
    writer), with both on_error settings."""
    for i in range(3):
        Image.fromarray(np.full((8, 8), 60 * i, np.uint8)).save(tmp_path / f"{i}.png")
    os.mkfifo(tmp_path / "x.png")
    msgs = []
    if on_error == "raise":
        attacks.expect_error(
            "fifo",
            lambda: ImageFolder(tmp_path, 8, 2, on_error="raise", log=_quiet(msgs)),
            DataError,
            [str(tmp_path / "x.png"), "a FIFO", "not a regular file"],
            timeout=10,
        )
        return

    def stream():
        f = ImageFolder(tmp_path, 8, 2, log=_quiet(msgs))
        return f, [f.next_batch() for _ in range(4)]

    f, _ = attacks.expect_ok("fifo", stream, lambda r: r[0].n == 3, timeout=10)
    assert [p for p, _ in f.skipped] == [str(tmp_path / "x.png")] and "a FIFO" in msgs[0]
    # and ImageFolder.load itself, handed the FIFO's path: refused before any read
    attacks.expect_error("fifo", lambda: f.load(str(tmp_path / "x.png")), DataError, ["x.png", "a FIFO"], timeout=10)


@pytest.mark.attack
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_image_gan_refuses_a_fifo_in_its_folder_without_hanging(tmp_path):
    """examples/image_gan.py --fast --data DIR with a FIFO x.png in DIR: exit 2 with --strict,
    a skip line otherwise; never a hang."""
    data = tmp_path / "data"
    data.mkdir()
    for i in range(8):
        Image.fromarray(np.full((28, 28), 30 * i, np.uint8)).save(data / f"{i}.png")
    os.mkfifo(data / "x.png")
    script = os.path.join(attacks.REPO, "examples", "image_gan.py")
    common = [script, "--data", str(data), "--model", "dcgan28", "--fast", "--batch-size", "4", "--steps", "1"]
    attacks.cli("fifo", common + ["--out", str(tmp_path / "a"), "--strict"], 2, ["x.png", "a FIFO"], timeout=180)
    r = attacks.cli("fifo", common + ["--out", str(tmp_path / "b")], 0, timeout=180)
    assert "x.png: a FIFO, not a regular file; not read" in r.stderr


# ---------------------------------------------------------------------------- image modes
def _ramp16(h=64, w=64):
    return np.linspace(0, 65535, h * w).reshape(h, w).astype(np.uint16)


@pytest.mark.attack
@pytest.mark.parametrize("mode", ["I;16", "I;16B", "I", "F", "F01", "L", "RGB", "RGBA", "LA", "P", "1"])
def test_every_mode_is_decoded_by_its_own_range(tmp_path, mode):
    """A 16-bit grayscale ramp 0..65535 used to decode with 98 % of its pixels at 255 (Pillow's
    conversion to 8-bit "L" clips). Each mode now maps its own range to [-1, 1]."""
    ramp = _ramp16()
    unit = ramp.astype(np.float64) / 65535  # what every mode should give, up to its precision
    if mode == "I;16":
        img, tol = Image.fromarray(ramp), 1e-4
        img.save(tmp_path / "a.png")  # a real 16-bit PNG
    elif mode == "I;16B":
        img, tol = Image.frombytes("I;16B", (64, 64), ramp.astype(">u2").tobytes()), 1e-4
        img.save(tmp_path / "a.tiff")
    elif mode == "I":
        img, tol = Image.fromarray(ramp.astype(np.int32)), 1e-4
        img.save(tmp_path / "a.tiff")
    elif mode in ("F", "F01"):  # floats: their own min..max (F), or as they are in [0, 1] (F01)
        vals = (unit * 4000 - 1000) if mode == "F" else unit
        img, tol = Image.fromarray(vals.astype(np.float32)), 1e-4
        img.save(tmp_path / "a.tiff")
    else:
        img8 = Image.fromarray((unit * 255).round().astype(np.uint8))
        img = img8.convert(mode) if mode != "1" else img8.point(lambda v: 255 if v >= 128 else 0).convert("1")
        img.save(tmp_path / "a.png")
        tol = 1.0 / 127.5 + 1e-6 if mode != "1" else 1.0
    assert os.listdir(tmp_path)
    f = ImageFolder(tmp_path, 64, 1, resize="stretch", log=_quiet([]))
    if mode == "1":
        want = np.where((unit * 255).round() >= 128, 1.0, -1.0)
    else:
        want = unit * 2 - 1

    def check(x):
        x = x[0, 0]
        saturated = (x > 0.99).mean()
        return np.abs(x - want).max() <= tol + 1e-3 and (mode == "1" or saturated < 0.02) and x.min() >= -1

    attacks.expect_ok("wide_images", f.next_batch, check, why=f"mode {mode}")


@pytest.mark.attack
def test_a_16_bit_png_trains_on_its_real_range(tmp_path):
    """The chest X-ray case: 16-bit PNGs of different brightness stay different (not all white)
    and span [-1, 1] as their values do, for "L" and "RGB" and cropped to 28x28."""
    for i, top in enumerate((4095, 30000, 65535)):  # 12-bit, mid and full-range images
        Image.fromarray((_ramp16().astype(np.float64) * top / 65535).astype(np.uint16)).save(tmp_path / f"{i}.png")
    for mode in ("L", "RGB"):
        f = ImageFolder(tmp_path, 28, 3, mode=mode, shuffle=False, log=_quiet([]))

        def check(x, mode=mode):
            c = 1 if mode == "L" else 3
            maxes = x.reshape(3, -1).max(axis=1)
            return x.shape == (3, c, 28, 28) and maxes[0] < -0.8 and -0.2 < maxes[1] < 0 and maxes[2] > 0.9

        attacks.expect_ok("wide_images", f.next_batch, check, why=mode)


@pytest.mark.attack
def test_a_float_image_with_nan_is_reported_by_name(tmp_path):
    a = np.ones((8, 8), np.float32)
    a[2, 3] = np.nan
    Image.fromarray(a).save(tmp_path / "nan.tiff")
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "ok.png")
    f = ImageFolder(tmp_path, 8, 1, on_error="raise", shuffle=False, log=_quiet([]))
    attacks.expect_error("wide_images", lambda: f.load(str(tmp_path / "nan.tiff")), DataError, ["nan.tiff", "NaN"])


# ---------------------------------------------------------------------------- class folders
def _classes(root, names, n=3):
    for c in names:
        (root / c).mkdir(parents=True)
        for i in range(n):
            Image.fromarray(np.full((8, 8), 40 * i, np.uint8)).save(root / c / f"{i}.png")


@pytest.mark.attack
@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks here")
def test_a_symlinked_class_folder_is_followed_and_said(tmp_path):
    """A class sub-folder that is a symlink used to be dropped without a word (os.walk does not
    follow links): it is followed, with one line; a link back up (a loop) is reported."""
    _classes(tmp_path / "elsewhere", ["PNEUMONIA"])
    root = tmp_path / "root"
    _classes(root, ["NORMAL"])
    os.symlink(tmp_path / "elsewhere" / "PNEUMONIA", root / "PNEUMONIA")
    os.symlink(root, tmp_path / "elsewhere" / "PNEUMONIA" / "loop")
    msgs = []
    f = attacks.expect_ok(
        "class_folders",
        lambda: ImageFolder(root, 8, 2, log=_quiet(msgs)),
        lambda f: f.classes == ["NORMAL", "PNEUMONIA"] and f.n == 6 and list(np.bincount(f.labels)) == [3, 3],
    )
    assert f.followed == [(str(root / "PNEUMONIA"), os.path.realpath(tmp_path / "elsewhere" / "PNEUMONIA"))]
    assert any("following the symlinked folder" in m and "PNEUMONIA" in m for m in msgs)
    assert any("loop" in m and "not followed" in m for m in msgs)
    attacks.expect_error(
        "class_folders",
        lambda: ImageFolder(root, 8, 2, on_error="raise", log=_quiet([])),
        DataError,
        ["loop", "a folder above it"],
    )


@pytest.mark.attack
@pytest.mark.parametrize("on_error", ["skip", "raise"])
def test_an_unreadable_class_folder_is_reported_by_name(tmp_path, monkeypatch, on_error):
    """A class folder that cannot be listed (permissions; simulated, since root reads any folder)
    used to vanish in silence."""
    _classes(tmp_path, ["A", "B", "C"])
    real = os.scandir

    def scandir(path):
        if os.path.basename(os.fspath(path)) == "B":
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    msgs = []
    if on_error == "raise":
        attacks.expect_error(
            "class_folders",
            lambda: ImageFolder(tmp_path, 8, 2, on_error="raise", log=_quiet(msgs)),
            DataError,
            [str(tmp_path / "B"), "cannot read this folder", "Permission denied"],
        )
        return
    f = attacks.expect_ok("class_folders", lambda: ImageFolder(tmp_path, 8, 2, log=_quiet(msgs)), lambda f: f.n == 6)
    assert any(str(tmp_path / "B") in m and "cannot read this folder" in m for m in msgs)
    assert (str(tmp_path / "B"), "cannot read this folder (Permission denied); its images are not used") in f.skipped
