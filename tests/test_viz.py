"""Tests of minigan.viz: grids (pixel values and layout), loss plots, GIFs, the progress bar."""

import io

import numpy as np
import pytest
from PIL import Image

import minigan as mg
from minigan import viz


def _read(path):
    with Image.open(path) as im:
        return np.asarray(im.convert("L") if im.mode == "L" else im)


# ----------------------------------------------------------------------------- grids
def test_grid_values_black_white_grey(tmp_path, device):
    imgs = np.stack([np.full((1, 4, 5), -1.0), np.full((1, 4, 5), 1.0), np.zeros((1, 4, 5))])
    p = viz.save_grid(
        mg.backend.asarray(imgs.astype(np.float32), device),
        tmp_path / "g.png",
        nrow=3,
        scale=1,
        padding=1,
        pad_value=1.0,
    )
    a = _read(p)
    assert a.shape == (1 + 4 + 1, 1 + 3 * (5 + 1))
    # cell k occupies rows 1..4 and columns 1 + 6k .. 5 + 6k
    assert (a[1:5, 1:6] == 0).all()  # -1 -> black
    assert (a[1:5, 7:12] == 255).all()  # +1 -> white
    assert (a[1:5, 13:18] == 128).all()  # 0 -> mid-grey: round(127.5)
    assert (a[0, :] == 255).all() and (a[:, 6] == 255).all()  # padding in pad_value (+1 = white)


def test_grid_layout_order_and_size(tmp_path):
    n, nrow, h, w, pad, scale = 23, 10, 28, 28, 2, 2
    vals = np.linspace(-1, 1, n)
    imgs = np.ones((n, 1, h, w)) * vals[:, None, None, None]
    p = viz.save_grid(imgs, tmp_path / "sub" / "g.png", nrow=nrow)  # creates the folder
    a = _read(p)
    rows, cols = 3, 10
    assert a.shape == (scale * (rows * (h + pad) + pad), scale * (cols * (w + pad) + pad))
    for k in range(n):  # row-major: image k at row k // nrow, column k % nrow
        i, j = divmod(k, nrow)
        cy = scale * (pad + i * (h + pad) + h // 2)
        cx = scale * (pad + j * (w + pad) + w // 2)
        assert a[cy, cx] == round((vals[k] + 1) / 2 * 255)


def test_grid_nhw_and_clipping_and_rgb(tmp_path):
    a = viz.grid_array(np.full((2, 3, 3), 1.5), nrow=2, padding=0)  # (N, H, W); clipped to +1
    assert a.shape == (3, 6) and (a == 255).all()
    rgb = np.zeros((1, 3, 2, 2))
    rgb[0, 0] = 1.0
    rgb[0, 1:] = -1.0
    g = viz.grid_array(rgb, padding=0)
    assert g.shape == (2, 2, 3) and (g[..., 0] == 255).all() and (g[..., 1:] == 0).all()
    p = viz.save_grid(rgb, tmp_path / "rgb.png", scale=3, padding=0)
    with Image.open(p) as im:
        assert im.mode == "RGB" and im.size == (6, 6)


def test_grid_title_adds_band_only_on_top(tmp_path):
    imgs = np.zeros((4, 1, 8, 8))
    plain = _read(viz.save_grid(imgs, tmp_path / "a.png", nrow=2))
    titled = _read(viz.save_grid(imgs, tmp_path / "b.png", nrow=2, title="epoch 1"))
    assert titled.shape[1] == plain.shape[1] and titled.shape[0] > plain.shape[0]
    assert (titled[titled.shape[0] - plain.shape[0] :] == plain).all()


@pytest.mark.parametrize(
    "shape, match", [((5, 784), "reshape"), ((2, 2, 4, 4), "channels"), ((4,), "3-D"), ((0, 1, 4, 4), "empty")]
)
def test_grid_bad_shapes(tmp_path, shape, match):
    with pytest.raises(ValueError, match=match):
        viz.save_grid(np.zeros(shape), tmp_path / "x.png")


def test_grid_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="nrow"):
        viz.save_grid(np.zeros((2, 1, 4, 4)), tmp_path / "x.png", nrow=0)
    with pytest.raises(TypeError, match="numeric"):
        viz.save_grid(np.array([["a"]]), tmp_path / "x.png")
    with pytest.warns(RuntimeWarning, match="clipped"):
        viz.grid_array(np.full((1, 1, 2, 2), 255.0))
    with pytest.warns(RuntimeWarning, match="NaN"):
        g = viz.grid_array(np.full((1, 1, 2, 2), np.nan), padding=0)
    assert (g == 128).all()


# ----------------------------------------------------------------------------- plots and GIFs
def test_plot_losses_panels(tmp_path):
    rng = np.random.default_rng(0)
    h = {"g": list(rng.random(300)), "d_real": list(rng.random(300)), "d_fake": list(rng.random(300))}
    p1 = viz.plot_losses(h, tmp_path / "one.png", title="losses")
    h2 = dict(h, d_x=list(rng.random(300)), d_g_z=list(rng.random(300)), step=list(range(0, 3000, 10)))
    p2 = viz.plot_losses(h2, tmp_path / "two.png", smooth=1)
    with Image.open(p1) as a, Image.open(p2) as b:
        assert a.format == "PNG" and b.format == "PNG"
        assert b.size[1] > 1.5 * a.size[1]  # a second panel for D(x), D(G(z))


def test_plot_losses_accepts_object_and_rejects_bad(tmp_path):
    class Trainer:
        history = {"g": [1.0, 0.5], "d": [0.7, 0.6], "name": "run"}

    assert viz.plot_losses(Trainer(), tmp_path / "t.png") == str(tmp_path / "t.png")
    with pytest.raises(ValueError, match="no non-empty curves"):
        viz.plot_losses({"g": []}, tmp_path / "e.png")
    with pytest.raises(TypeError, match="dict"):
        viz.plot_losses([1, 2, 3], tmp_path / "e.png")
    with pytest.raises(TypeError, match="numbers"):
        viz.plot_losses({"g": ["a", "b"]}, tmp_path / "e.png")


def test_make_gif(tmp_path):
    frames = [
        viz.save_grid(np.full((4, 1, 6, 6), v), tmp_path / f"f{i}.png", nrow=2) for i, v in enumerate((-1.0, 0.0, 1.0))
    ]
    p = viz.make_gif(frames, tmp_path / "a.gif", duration_ms=250)
    with Image.open(p) as im:
        assert im.format == "GIF" and im.n_frames == 3
        assert im.info["duration"] == 250
        im.seek(2)
        assert np.asarray(im.convert("L"))[5, 5] == 255  # last frame: the white one
    with pytest.raises(ValueError, match="empty"):
        viz.make_gif([], tmp_path / "b.gif")
    with pytest.raises(FileNotFoundError, match="nope.png"):
        viz.make_gif([tmp_path / "nope.png"], tmp_path / "b.gif")


# ----------------------------------------------------------------------------- progress bar
def test_progress_bar_non_tty_prints_every_tenth():
    out = io.StringIO()
    with viz.ProgressBar(100, desc="train", file=out) as bar:
        for i in range(100):
            bar.update(1, d=0.6931, g=1.5 + i, step=i)
    lines = out.getvalue().splitlines()
    assert len(lines) == 10  # 10 %, 20 %, ..., 90 % and the final line
    assert "\r" not in out.getvalue()
    assert lines[0].startswith("train") and " 10/100" in lines[0]
    last = lines[-1]
    assert "100/100" in last and "100%" in last and "it/s" in last
    assert "d=0.693" in last and "g=100.500" in last and "step=99" in last


def test_progress_bar_formats_scalars_only_when_drawn():
    calls = []

    class DeviceScalar:  # stands in for a 0-d device array: float() is a host copy
        def __float__(self):
            calls.append(1)
            return 0.25

    out = io.StringIO()
    bar = viz.ProgressBar(1000, file=out)
    for _ in range(1000):
        bar.update(loss=DeviceScalar())
    assert len(out.getvalue().splitlines()) == 10
    assert len(calls) == 10 and "loss=0.250" in out.getvalue()


def test_progress_bar_tty_and_close_on_exception():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    out = Tty()
    with pytest.raises(KeyError):
        with viz.ProgressBar(5, file=out) as bar:
            bar.update(2, d=1.0)
            raise KeyError("boom")
    text = out.getvalue()
    assert text.startswith("\r") and text.endswith("\n")
    assert "2/5" in text.splitlines()[-1] and "d=1.000" in text
    with pytest.raises(RuntimeError, match="closed"):
        bar.update()


def test_progress_bar_bad_arguments():
    with pytest.raises(ValueError, match="total"):
        viz.ProgressBar(0)
    with pytest.raises(ValueError, match="n must be"):
        viz.ProgressBar(3, file=io.StringIO()).update(-1)


def test_progress_bar_after_resume_counts_only_this_process(monkeypatch):
    """A run resumed at step 200 of 300: the rate and ETA come from the steps done since."""
    import re
    import types

    from minigan import progress

    now = [1000.0]  # the bar's clock, set by the test: no wall-clock time in the assertions
    monkeypatch.setattr(progress, "time", types.SimpleNamespace(perf_counter=lambda: now[0]))
    buf = io.StringIO()
    bar = viz.ProgressBar(300, file=buf, initial=200)
    assert bar.n == 200 and buf.getvalue() == ""  # no line for the past steps
    now[0] += 2.0  # 2 s later
    bar.update(10)
    line = bar.format_line()
    assert line.lstrip().startswith("210/300")
    rate = float(re.search(r"([0-9.]+)it/s", line).group(1))
    assert rate == 5.0, line  # 10 steps in 2 s, not 210 / 2 s
    eta = re.search(r"<(\d+):(\d+)", line)
    assert 60 * int(eta.group(1)) + int(eta.group(2)) == 18, line  # 90 steps at 5 it/s
    fresh = viz.ProgressBar(300, file=io.StringIO(), initial=200)
    assert "?it/s" in fresh.format_line()  # nothing done yet: no rate, no ETA


def test_plot_losses_draws_d_real_and_d_fake_not_their_mean(tmp_path):
    h = {
        "d": [0.6] * 50,
        "d_real": [0.5] * 50,
        "d_fake": [0.7] * 50,
        "g": [1.0] * 50,
        "d_x": [0.6] * 50,
        "d_g_z": [0.4] * 50,
    }
    assert viz.loss_panels(h) == [["d_real", "d_fake", "g"], ["d_x", "d_g_z"]]
    assert viz.loss_panels({"d": [1], "g": [2]}) == [["d", "g"]]  # alone, d is drawn
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    saved = {}
    real_savefig = plt.Figure.savefig

    def spy(fig, *a, **k):
        saved["fig"] = fig
        return real_savefig(fig, *a, **k)

    plt.Figure.savefig = spy
    try:
        viz.plot_losses(h, tmp_path / "l.png")
    finally:
        plt.Figure.savefig = real_savefig
    ax = saved["fig"].axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert len(labels) == 3 and any("½(d_real + d_fake)" in t for t in labels)
    colors = {line.get_color() for line in ax.get_lines()}
    assert len(colors) == 3  # three distinguishable curves
