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
