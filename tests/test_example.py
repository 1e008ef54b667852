"""examples/mnist_gan.py end to end, in its --fast mode (a few seconds per run)."""
import importlib.util
import json
import os
import signal

import numpy as np
import pytest

import minigan as mg
from minigan import checkpoint

_PATH = os.path.join(os.path.dirname(__file__), "..", "examples", "mnist_gan.py")


@pytest.fixture(scope="module")
def ex():
    spec = importlib.util.spec_from_file_location("mnist_gan_example", _PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_help(ex, capsys):
    with pytest.raises(SystemExit) as e:
        ex.parse_args(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for opt in ("--model", "--steps", "--epochs", "--batch-size", "--lr", "--seed", "--data", "--out",
                "--device", "--sample-every", "--resume", "--fast", "--no-eval", "--label-smoothing", "--k"):
        assert opt in out


def test_bad_arguments_data_and_device(ex, tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        ex.parse_args(["--batch-size", "0"])
    assert e.value.code == 2
    assert ex.main(["--fast", "--data", str(tmp_path / "missing.npz"), "--out", str(tmp_path / "o")]) == 2
    assert "does not exist" in capsys.readouterr().err
    if not mg.backend.gpu_available():
        assert ex.main(["--fast", "--device", "gpu", "--out", str(tmp_path / "o")]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("error:") and "gpu" in err[0]


@pytest.mark.slow
def test_fast_run_writes_everything(ex, tmp_path, capsys):
    out = tmp_path / "run"
    assert ex.main(["--fast", "--out", str(out)]) == 0
    files = sorted(os.listdir(out))
    assert {"losses.png", "progress.gif", "checkpoint.npz", "metrics.json"} <= set(files)
    grids = [f for f in files if f.startswith("samples_step_")]
    assert grids[0] == "samples_step_000000.png" and len(grids) == 4  # steps 0, 8, 16, 24
    m = json.loads((out / "metrics.json").read_text())
    assert m["step"] == 24 and 0 <= m["confident_share"] <= 1 and sum(m["histogram"]) == m["samples"]
    assert np.isfinite(m["fid"]) and m["fid"] > m["fid_real_vs_real"] >= 0
    assert len(m["grids"]) == 4  # one quality line per grid
    ck = checkpoint.load(out / "checkpoint.npz")
    assert ck.step == 24 and all(np.isfinite(ck.arrays[f"history/{k}"]).all() for k in ("g", "d_real", "d_fake"))
    assert len(ck.arrays["history/g"]) == 24
    text = capsys.readouterr()
    assert "FID" in text.out and "confident" in text.err


@pytest.mark.slow
def test_resume_equals_uninterrupted_run(ex, tmp_path):
    common = ["--fast", "--no-eval", "--seed", "3"]
    assert ex.main(common + ["--steps", "16", "--out", str(tmp_path / "full")]) == 0
    assert ex.main(common + ["--steps", "8", "--out", str(tmp_path / "part")]) == 0
    assert ex.main(common + ["--steps", "16", "--out", str(tmp_path / "part"), "--resume"]) == 0
    a, b = checkpoint.load(tmp_path / "full" / "checkpoint.npz"), checkpoint.load(tmp_path / "part" / "checkpoint.npz")
    assert a.step == b.step == 16
    for k in a.arrays:  # the loss history, step by step
        np.testing.assert_array_equal(a.arrays[k], b.arrays[k], err_msg=k)
    for name in ("G", "D"):
        for k in a.modules[name]:
            np.testing.assert_array_equal(a.modules[name][k], b.modules[name][k], err_msg=f"{name}.{k}")


@pytest.mark.slow
def test_ctrl_c_saves_and_resume_finishes(ex, tmp_path, monkeypatch, capsys):
    out = tmp_path / "run"
    real_callback = ex.Run.callback

    def callback(self, gan):
        real_callback(self, gan)
        if gan.step == 5:
            os.kill(os.getpid(), signal.SIGINT)  # the user presses Ctrl-C

    monkeypatch.setattr(ex.Run, "callback", callback)
    assert ex.main(["--fast", "--no-eval", "--out", str(out)]) == 130
    assert "interrupted at step 5" in capsys.readouterr().err
    assert checkpoint.load(out / "checkpoint.npz").step == 5
    monkeypatch.setattr(ex.Run, "callback", real_callback)
    assert ex.main(["--fast", "--no-eval", "--out", str(out), "--resume", "--lr", "1e-3"]) == 2
    assert "--lr 0.0002" in capsys.readouterr().err  # the checkpoint's Adam lr would silently win
    assert ex.main(["--fast", "--no-eval", "--out", str(out), "--resume"]) == 0
    assert checkpoint.load(out / "checkpoint.npz").step == 24


def test_nan_loss_exits_with_the_step(ex, tmp_path, monkeypatch, capsys):
    build, latent = ex.MODELS["dense"]

    def poisoned(latent_dim, rng=None):
        G, D = build(latent_dim, rng=rng)
        D[-1].params["W"].data[...] = np.nan
        return G, D

    monkeypatch.setitem(ex.MODELS, "dense", (poisoned, latent))
    assert ex.main(["--fast", "--no-eval", "--out", str(tmp_path / "nan")]) == 3
    err = capsys.readouterr().err
    assert "at step 1" in err and "nan" in err
