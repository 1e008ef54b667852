"""examples/mnist_gan.py end to end, in its --fast mode (a few seconds per run)."""

import importlib.util
import json
import os
import re
import signal
import subprocess
import sys

import numpy as np
import pytest

import minigan as mg
from minigan import checkpoint

_REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
_PATH = os.path.join(_REPO, "examples", "mnist_gan.py")


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
    for opt in (
        "--model",
        "--steps",
        "--epochs",
        "--batch-size",
        "--lr",
        "--seed",
        "--data",
        "--out",
        "--device",
        "--sample-every",
        "--resume",
        "--fast",
        "--no-eval",
        "--label-smoothing",
        "--k",
    ):
        assert opt in out


def test_usage_line_names_the_program_that_was_run(ex, capsys):
    """minigan-train, python -m minigan.train and examples/mnist_gan.py run one job; each one's
    usage line (and argparse's error lines) names the program the user ran."""
    from minigan import train

    for parse, prog in ((ex.parse_args, "mnist_gan.py"), (train.parse_args, "minigan-train")):
        with pytest.raises(SystemExit):
            parse(["--help"])
        assert capsys.readouterr().out.startswith(f"usage: {prog} [-h]")
        with pytest.raises(SystemExit):
            parse(["--no-such-option"])
        assert f"{prog}: error: unrecognized arguments: --no-such-option" in capsys.readouterr().err
    cfg = open(os.path.join(_REPO, "setup.cfg"), encoding="utf-8").read()
    assert "minigan-train = minigan.train:main" in cfg  # the console script: main's default prog
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([_REPO, os.environ.get("PYTHONPATH", "")])}
    for cmd, prog in (([_PATH], "mnist_gan.py"), (["-m", "minigan.train"], "python -m minigan.train")):
        r = subprocess.run([sys.executable, *cmd, "--help"], capture_output=True, text=True, env=env, timeout=120)
        assert r.returncode == 0 and r.stdout.startswith(f"usage: {prog} [-h]"), (cmd, r.stdout[:200], r.stderr)


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
    # each grid's line and the final one say what the count of digits counts
    assert "/10  classified as 0:" in text.err and "digits with a confident sample" in text.err
    assert "/10 digits with a confident sample" in text.out and "modes" not in text.err + text.out


@pytest.mark.slow
def test_resume_equals_uninterrupted_run(ex, tmp_path):
    common = ["--fast", "--no-eval", "--seed", "3", "--threads", "1"]  # auto may choose 1 or 2: they round apart
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
    ea, eb = (checkpoint.load(tmp_path / d / "checkpoint_ema.npz") for d in ("full", "part"))
    assert int(ea.arrays["num_updates"]) == int(eb.arrays["num_updates"]) == 16
    for k in ea.arrays:  # the average of G's weights continues exactly too
        np.testing.assert_array_equal(ea.arrays[k], eb.arrays[k], err_msg=f"ema {k}")


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
    err = capsys.readouterr().err
    assert "interrupted at step 5" in err and f"Continue with: python examples/mnist_gan.py --resume {out}" in err
    assert checkpoint.load(out / "checkpoint.npz").step == 5
    monkeypatch.setattr(ex.Run, "callback", real_callback)
    assert ex.main(["--fast", "--no-eval", "--out", str(out), "--resume", "--lr", "1e-3"]) == 2
    assert "was trained with --lr " in capsys.readouterr().err  # the checkpoint's Adam lr would silently win
    assert ex.main(["--fast", "--no-eval", "--out", str(out), "--resume"]) == 0
    assert checkpoint.load(out / "checkpoint.npz").step == 24


def test_nan_loss_exits_with_the_step(ex, tmp_path, monkeypatch, capsys):
    build, latent = ex.MODELS["dense"]

    def poisoned(latent_dim, rng=None, **kwargs):
        G, D = build(latent_dim, rng=rng, **kwargs)
        D[-1].params["W"].data[...] = np.nan
        return G, D

    monkeypatch.setitem(ex.MODELS, "dense", (poisoned, latent))
    assert ex.main(["--fast", "--no-eval", "--out", str(tmp_path / "nan")]) == 3
    err = capsys.readouterr().err
    assert "at step 1" in err and "nan" in err


def _ckpt_mtime(path):
    return os.stat(path).st_mtime_ns


@pytest.mark.slow
def test_each_run_gets_its_own_folder_and_a_full_out_is_refused(ex, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    common = ["--fast", "--no-eval", "--steps", "2", "--sample-every", "1"]
    assert ex.main(common) == 0
    capsys.readouterr()
    assert ex.main(common + ["--model", "dcgan"]) == 0
    err = capsys.readouterr().err  # the recipe's lr and D Dropout were measured for its dense GAN
    assert "training dcgan GAN (recipe minigan)" in err and "lr 0.0002," in err
    runs = sorted(os.listdir(tmp_path / "runs" / "mnist_gan"))
    assert len(runs) == 2 and runs[0].startswith("dcgan-") and runs[1].startswith("dense-")
    for r in runs:  # each GIF holds its own run's grids only: steps 0, 1, 2
        assert len(list((tmp_path / "runs" / "mnist_gan" / r).glob("samples_step_*.png"))) == 3
    out = tmp_path / "runs" / "mnist_gan" / runs[1]
    capsys.readouterr()
    assert ex.main(common + ["--out", str(out)]) == 2  # not empty: refused, nothing touched
    assert "not empty" in capsys.readouterr().err
    (out / "samples_step_000099.png").write_bytes(b"stale")
    assert ex.main(common + ["--out", str(out), "--overwrite"]) == 0
    assert not (out / "samples_step_000099.png").exists()


@pytest.mark.slow
def test_resume_takes_model_and_settings_from_the_checkpoint(ex, tmp_path, capsys):
    out = tmp_path / "run"
    assert (
        ex.main(
            [
                "--fast",
                "--no-eval",
                "--model",
                "dcgan",
                "--lr",
                "1e-3",
                "--steps",
                "2",
                "--sample-every",
                "1",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    capsys.readouterr()
    # no --model, no --lr: the checkpoint's (formerly: "latent_dim=100 vs 64")
    assert ex.main(["--fast", "--no-eval", "--resume", str(out), "--steps", "3"]) == 0
    err = capsys.readouterr().err
    assert "training dcgan GAN" in err and "steps 2 -> 3" in err and "lr 0.001" in err
    ck = checkpoint.load(out / "checkpoint.npz")
    assert ck.step == 3 and ck.extra["args"]["model"] == "dcgan" and ck.extra["args"]["steps"] == 3
    # already at its total: refused before anything is written
    before = _ckpt_mtime(out / "checkpoint.npz")
    assert ex.main(["--fast", "--no-eval", "--resume", str(out / "checkpoint.npz")]) == 2
    err = capsys.readouterr().err
    assert "already at step 3 of 3" in err and "--steps" in err
    assert _ckpt_mtime(out / "checkpoint.npz") == before
    assert ex.main(["--fast", "--no-eval", "--resume", str(out), "--model", "dense"]) == 2
    assert "--model dcgan" in capsys.readouterr().err


def test_resume_errors_come_at_once_and_create_nothing(ex, tmp_path, capsys, monkeypatch):
    from minigan import train

    missing = tmp_path / "no" / "such" / "run"
    work = []  # no data loading, no model before the checkpoint is read
    monkeypatch.setattr(train.data, "load_mnist", lambda *a, **k: work.append("load_mnist"))
    for name, (_, latent) in list(train.MODELS.items()):
        monkeypatch.setitem(train.MODELS, name, (lambda *a, name=name, **k: work.append(name), latent))
    assert ex.main(["--no-eval", "--resume", str(missing)]) == 2
    assert work == [], f"a resume of a missing run did {work} before refusing"
    assert "cannot resume" in capsys.readouterr().err
    assert not (tmp_path / "no").exists()
    assert ex.main(["--no-eval", "--resume", str(missing), "--out", str(tmp_path / "o")]) == 2
    assert not (tmp_path / "o").exists()


def test_header_names_the_blas_threads(ex, tmp_path, capsys):
    from minigan import blas

    before = blas.blas_threads()
    assert ex.main(["--fast", "--no-eval", "--steps", "1", "--out", str(tmp_path / "a")]) == 0
    err = capsys.readouterr().err
    assert "(--threads auto: load average " in err  # the default: chosen from the load, and said
    if before[0] is not None:
        assert re.search(r"threads: [12] \(BLAS: ", err)
        assert blas.blas_threads() == before  # and the caller's count is back afterwards
        assert ex.main(["--fast", "--no-eval", "--steps", "1", "--threads", "2", "--out", str(tmp_path / "b")]) == 0
        err = capsys.readouterr().err
        assert "threads: 2 (BLAS: " in err and "--threads auto" not in err
    else:
        assert "threads: BLAS default" in err


def test_threads_auto_is_chosen_again_at_every_checkpoint(ex, tmp_path, capsys, monkeypatch):
    """--threads auto: the count is chosen at the start and again after each checkpoint (with
    this run's own threads discounted from the load); a change is said in one line."""
    from minigan import blas

    if blas.blas_threads()[0] is None:
        pytest.skip("threadpoolctl is not installed")
    calls = []

    def choose(load=None, cores=None, own=0):
        calls.append(own)
        return 1 if len(calls) == 1 else 2  # the start: 1 thread; the first checkpoint: 2

    monkeypatch.setattr(blas, "choose_threads", choose)
    before = blas.blas_threads()
    args = ["--fast", "--no-eval", "--steps", "6", "--checkpoint-every", "2", "--out", str(tmp_path / "a")]
    assert ex.main(args) == 0
    err = capsys.readouterr().err
    assert "threads: 1 (BLAS: " in err and "threads: 1 -> 2 (--threads auto: the load average is now" in err
    assert calls == [0, 1, 2]  # own threads: none at the start, then the count in use
    assert blas.blas_threads() == before
    with pytest.raises(SystemExit):
        ex.main(["--threads", "many"])
    assert "expected auto or a number of threads, got 'many'" in capsys.readouterr().err


def test_memorization_check_sees_copies():
    from minigan import data
    from minigan.metrics import memorization, nn_distance

    Xtr, _ = data.load_mnist(split="train", limit=600)
    Xte, _ = data.load_mnist(split="test", limit=200)
    copies = memorization(Xtr[:200], Xtr, Xte)
    assert copies["median_nn_sample"] < 0.05 and copies["ratio"] < 0.01  # float32 round-off only
    fresh = memorization(Xte[:100], Xtr, Xte[100:])
    assert 0.8 < fresh["ratio"] < 1.25 and copies["median_nn_heldout"] > 0
    # nn_distance: RMS per pixel; copies are at ~0, noise far above real digits
    assert nn_distance(Xtr[:50], Xtr) < 1e-3
    noise = np.random.default_rng(0).uniform(-1, 1, (50, 1, 28, 28)).astype(np.float32)
    assert nn_distance(noise, Xtr) > 2 * nn_distance(Xte[:50], Xtr) > 0


def ex_mod():
    from minigan import train

    return train


def test_recipes_fill_what_the_command_line_leaves_out():
    train = ex_mod()
    a = train.parse_args(["--recipe", "doc003"])
    train._fill_from(a, train.RECIPES[a.recipe])
    assert (a.model, a.batch_size, a.lr, a.lr_d, a.beta1, a.ema, a.d_dropout) == (
        "dense",
        128,
        2e-4,
        2e-4,
        0.5,
        0.0,
        0.0,
    )
    assert train.RECIPES["doc003"]["steps"] == 15000  # document 003's count
    a = train.parse_args(["--lr", "1e-3", "--ema", "0"])
    train._fill_from(a, train.RECIPES[train.DEFAULT_RECIPE])
    assert a.lr == a.lr_d == 1e-3 and a.ema == 0.0 and a.d_dropout == train.RECIPES[train.DEFAULT_RECIPE]["d_dropout"]
    for bad in (["--ema", "1.5"], ["--d-dropout", "1"], ["--threads", "0"], ["--resume", "x", "--overwrite"]):
        with pytest.raises(SystemExit):
            train.parse_args(bad)


@pytest.mark.slow
def test_bare_resume_continues_the_newest_run(ex, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert ex.main(["--fast", "--no-eval", "--steps", "2", "--sample-every", "1"]) == 0
    (run,) = (tmp_path / "runs" / "mnist_gan").iterdir()
    capsys.readouterr()
    assert ex.main(["--fast", "--no-eval", "--resume", "--steps", "3"]) == 0
    assert f"output in {os.path.abspath(run)}" in capsys.readouterr().err
    assert checkpoint.load(run / "checkpoint.npz").step == 3
    assert len(list((tmp_path / "runs" / "mnist_gan").iterdir())) == 1  # no new folder
