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
    # the plain recipe builds MODELS["dense"] (the default, selfcond, builds mnist_dense_cgan)
    assert ex.main(["--recipe", "minigan", "--fast", "--no-eval", "--out", str(tmp_path / "nan")]) == 3
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
    assert os.listdir(tmp_path / "runs" / "mnist_gan") == ["fast"]  # --fast runs apart from real ones
    runs = sorted(os.listdir(tmp_path / "runs" / "mnist_gan" / "fast"))
    assert len(runs) == 2 and runs[0].startswith("dcgan-") and runs[1].startswith("dense-")
    for r in runs:  # each GIF holds its own run's grids only: steps 0, 1, 2
        assert len(list((tmp_path / "runs" / "mnist_gan" / "fast" / r).glob("samples_step_*.png"))) == 3
    out = tmp_path / "runs" / "mnist_gan" / "fast" / runs[1]
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
    # the default recipe is self-conditioned, so a model it does not train gets the plain recipe
    assert train.DEFAULT_RECIPE == "selfcond" and train.default_recipe() == train.default_recipe("dense") == "selfcond"
    assert train.default_recipe("dcgan") == train.PLAIN_RECIPE == "minigan"
    with pytest.raises(ValueError, match=r"default_recipe: model must be one of \['dcgan', 'dense'\], got 'mlp'"):
        train.default_recipe("mlp")
    assert "clusters" not in train.model_defaults("dense")  # train_ddp.py's unconditional settings
    for bad in (["--ema", "1.5"], ["--d-dropout", "1"], ["--threads", "0"], ["--resume", "x", "--overwrite"]):
        with pytest.raises(SystemExit):
            train.parse_args(bad)


@pytest.mark.slow
def test_bare_resume_continues_the_newest_run(ex, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert ex.main(["--fast", "--no-eval", "--steps", "2", "--sample-every", "1"]) == 0
    (run,) = (tmp_path / "runs" / "mnist_gan" / "fast").iterdir()
    capsys.readouterr()
    assert ex.main(["--fast", "--no-eval", "--resume", "--steps", "3"]) == 0
    assert f"output in {os.path.abspath(run)}" in capsys.readouterr().err
    assert checkpoint.load(run / "checkpoint.npz").step == 3
    assert len(list((tmp_path / "runs" / "mnist_gan" / "fast").iterdir())) == 1  # no new folder
    # a bare --resume of a real run never picks the fast toy run
    assert ex.main(["--no-eval", "--resume"]) == 2
    assert "no run under runs/mnist_gan has a checkpoint.npz" in capsys.readouterr().err


# ---------------------------------------------------------------------------- bad values: exit 2, one line
import attacks  # noqa: E402  (tests/attacks.py)

BAD_VALUES = [
    (["--lr", "inf"], ["--lr", "'inf'"]),
    (["--lr", "nan"], ["--lr", "'nan'"]),
    (["--lr", "-1"], ["--lr"]),
    (["--lr-d", "inf"], ["--lr-d"]),
    (["--epochs", "nan"], ["--epochs", "'nan'"]),
    (["--epochs", "inf"], ["--epochs", "'inf'"]),
    (["--epochs", "0"], ["--epochs"]),
    (["--seed", "-1"], ["--seed", "'-1'"]),
    (["--seed", "1.5"], ["--seed"]),
    (["--batch-size", "0"], ["--batch-size"]),
    (["--fast", "--batch-size", "0"], ["--batch-size", "'0'"]),
    (["--steps", "0"], ["--steps"]),
    (["--k", "0"], ["--k"]),
    (["--beta1", "1"], ["--beta1"]),
    (["--beta1", "nan"], ["--beta1"]),
    (["--label-smoothing", "0.5"], ["--label-smoothing"]),
    (["--ema", "1"], ["--ema"]),
    (["--d-dropout", "inf"], ["--d-dropout"]),
    (["--threads", "0"], ["--threads"]),
    (["--threads", "two"], ["--threads"]),
    (["--sample-every", "0"], ["--sample-every"]),
    (["--checkpoint-every", "-2"], ["--checkpoint-every"]),
    (["--eval-samples", "0"], ["--eval-samples"]),
]


@pytest.mark.attack
@pytest.mark.parametrize("argv, names", BAD_VALUES, ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_every_bad_value_exits_2_with_one_line_naming_the_option(ex, tmp_path, capsys, argv, names):
    """--lr inf, --epochs nan/inf and --seed -1 used to end in exit 1 and a traceback; --fast
    used to replace --batch-size 0 by 32 in silence. Each is refused as it is parsed."""
    out = tmp_path / "o"
    for main in (ex.main, ex_mod().main):  # examples/mnist_gan.py and minigan-train
        attacks.main_exit("exit_2", main, argv + ["--no-eval", "--out", str(out)], 2, names, capsys)
        assert not out.exists()


@pytest.mark.attack
def test_epochs_too_many_for_any_run_is_refused_in_one_line(ex, tmp_path, capsys):
    out = tmp_path / "o"
    attacks.main_exit(
        "exit_2", ex.main, ["--fast", "--no-eval", "--epochs", "1e300", "--out", str(out)], 2, ["--epochs"], capsys
    )
    assert not out.exists()  # the folder the lock created is removed again


@pytest.mark.attack
def test_the_command_line_programs_exit_2_in_a_subprocess_too(tmp_path):
    """The real processes: exit status 2 and an error line, no traceback (python -m minigan.train,
    examples/mnist_gan.py, python -m minigan.data.drawings, python -m minigan.metrics.drawings)."""
    for argv, names in (
        (["-m", "minigan.train", "--lr", "inf"], ["--lr"]),
        ([_PATH, "--epochs", "nan"], ["--epochs"]),
        ([_PATH, "--seed", "-1"], ["--seed"]),
        (["-m", "minigan.data.drawings", str(tmp_path / "d"), "--size", "0"], ["--size"]),
        (["-m", "minigan.data.drawings", str(tmp_path / "d"), "--n", "0"], ["--n"]),
        (["-m", "minigan.data.drawings", str(tmp_path / "d"), "--seed", "-1"], ["--seed"]),
        (["-m", "minigan.data.drawings", str(tmp_path / "d"), "--size", "100000"], ["--size"]),
        (["-m", "minigan.metrics.drawings", str(tmp_path), "--samples", "0"], ["--samples"]),
        (["-m", "minigan.metrics.drawings", str(tmp_path), "--samples", "1000000000"], ["--samples"]),
    ):
        attacks.cli("exit_2", argv, 2, names, timeout=120)
    assert not (tmp_path / "d").exists()


@pytest.fixture(scope="module")
def foreign_runs(tmp_path_factory):
    """A run of examples/image_gan.py and one of examples/mnist_cgan.py (2 steps each), and the
    image run's checkpoint without the ``job`` tag (as files from before it)."""
    root = tmp_path_factory.mktemp("foreign")
    from minigan.data.drawings import write_shape_folder

    spec = importlib.util.spec_from_file_location("image_gan_ex", os.path.join(_REPO, "examples", "image_gan.py"))
    image = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(image)
    spec = importlib.util.spec_from_file_location("mnist_cgan_ex", os.path.join(_REPO, "examples", "mnist_cgan.py"))
    cgan = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cgan)
    write_shape_folder(root / "shapes", 16, 28, corrupt=0, seed=0)
    assert (
        image.main(
            ["--data", str(root / "shapes"), "--model", "dcgan28", "--fast", "--steps", "2", "--out", str(root / "img")]
        )
        == 0
    )
    assert cgan.main(["--fast", "--no-eval", "--steps", "2", "--out", str(root / "cgan")]) == 0
    old = root / "img_old" / "checkpoint.npz"
    old.parent.mkdir()
    with np.load(root / "img" / "checkpoint.npz") as f:
        arrays = {k: f[k] for k in f.files}
    meta = json.loads(arrays["__meta__"].tobytes())
    del meta["extra"]["job"]
    arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    np.savez(old, **arrays)
    return root, image, cgan


@pytest.mark.attack
@pytest.mark.slow
def test_a_resume_of_another_programs_run_exits_2(ex, foreign_runs, tmp_path, capsys):
    """``minigan-train --resume <an image_gan run> --data mnist.npz`` used to end in
    ``KeyError: 'xray64'`` (exit 1)."""
    root, image, cgan = foreign_runs
    keras = tmp_path / "mnist.npz"
    x = np.zeros((8, 28, 28), np.uint8)
    np.savez(keras, x_train=x, y_train=np.zeros(8, np.uint8), x_test=x, y_test=np.zeros(8, np.uint8))
    ckpts = {d: (root / d / "checkpoint.npz").read_bytes() for d in ("img", "cgan", "img_old")}

    def intact():
        return all((root / d / "checkpoint.npz").read_bytes() == b for d, b in ckpts.items())

    for main in (ex.main, ex_mod().main):
        attacks.main_exit(
            "exit_2",
            main,
            ["--resume", str(root / "img"), "--data", str(keras), "--no-eval"],
            2,
            ["cannot resume", "examples/image_gan.py", "not of minigan-train"],
            capsys,
            intact=intact,
        )
        attacks.main_exit(
            "exit_2",
            main,
            ["--resume", str(root / "img_old"), "--no-eval"],
            2,
            ["cannot resume", "--model dcgan28", "minigan-train does not have"],
            capsys,
            intact=intact,
        )
        attacks.main_exit(
            "exit_2",
            main,
            ["--resume", str(root / "cgan"), "--no-eval"],
            2,
            ["examples/mnist_cgan.py"],
            capsys,
            intact=intact,
        )
    attacks.main_exit(
        "exit_2",
        cgan.main,
        ["--resume", str(root / "img"), "--no-eval"],
        2,
        ["examples/image_gan.py"],
        capsys,
        intact=intact,
    )
    attacks.main_exit(
        "exit_2",
        image.main,
        ["--data", str(root / "shapes"), "--model", "dcgan28", "--resume", str(root / "cgan")],
        2,
        ["examples/mnist_cgan.py"],
        capsys,
        intact=intact,
    )


# ---------------------------------------------------------------------------- values once taken in silence
@pytest.mark.attack
def test_threads_beyond_the_cores_are_capped_with_one_warning(ex, tmp_path, capsys):
    from minigan import blas

    cores = blas.available_cores()
    err = attacks.main_exit(
        "silent_values",
        ex.main,
        ["--fast", "--no-eval", "--steps", "1", "--threads", "999", "--out", str(tmp_path / "o")],
        0,
        [],
        capsys,
    )
    assert f"warning: --threads 999 is more than the {cores} CPU core" in err
    if blas.blas_threads()[0] is not None:
        assert f"threads: {cores} (BLAS: " in err
    assert json.loads((tmp_path / "o" / "metrics.json").read_text())["threads"] in (cores, None)


@pytest.mark.attack
def test_fast_keeps_every_value_given_on_the_command_line(ex, capsys):
    from minigan import train

    a = attacks.expect_ok(
        "silent_values",
        lambda: train.parse_args(["--fast", "--batch-size", "128", "--sample-every", "3", "--eval-samples", "500"]),
        lambda a: (a.batch_size, a.sample_every, a.eval_samples, a.steps) == (128, 3, 500, train.FAST["steps"]),
    )
    assert a.limit == train.FAST["limit"]
    a = train.parse_args(["--fast"])
    assert (a.batch_size, a.sample_every, a.eval_samples) == (32, 8, 100)
    a = train.parse_args([])
    assert (a.batch_size, a.eval_samples) == (None, 1000)  # the recipe's batch size comes later


# ---------------------------------------------------------------------------- fast runs apart
@pytest.mark.attack
@pytest.mark.slow
def test_a_bare_resume_never_picks_a_fast_run(ex, tmp_path, monkeypatch, capsys):
    """Fast runs used to share runs/mnist_gan/ with real ones, so a later bare --resume picked
    the 24-step toy run."""
    monkeypatch.chdir(tmp_path)
    real = tmp_path / "runs" / "mnist_gan" / "real"
    # --recipe minigan: a selfcond checkpoint clustered the --fast digits, so resuming it without
    # --fast is refused (test_selfcond_resume_equals_uninterrupted_run); the folders are what is tested here
    plain = ["--recipe", "minigan", "--fast", "--no-eval", "--steps", "2"]
    assert ex.main([*plain, "--out", str(real)]) == 0  # a "real" run (its folder)
    assert ex.main(plain) == 0  # a newer toy run
    (toy,) = (tmp_path / "runs" / "mnist_gan" / "fast").iterdir()
    capsys.readouterr()
    err = attacks.main_exit("fast_root", ex.main, ["--no-eval", "--resume", "--steps", "3", "--fast"], 0, [], capsys)
    assert f"output in {os.path.abspath(toy)}" in err  # --fast --resume: the newest toy run
    err = attacks.main_exit("fast_root", ex.main, ["--no-eval", "--resume", "--steps", "3"], 0, [], capsys)
    assert f"output in {os.path.abspath(real)}" in err  # a bare --resume: the real run, not the newer toy
    assert checkpoint.load(real / "checkpoint.npz").step == 3 and checkpoint.load(toy / "checkpoint.npz").step == 3
    r = subprocess.run(
        [sys.executable, _PATH, "--help"], capture_output=True, text=True, timeout=120, env=attacks.env()
    )
    assert "runs/mnist_gan/fast/" in " ".join(r.stdout.split())


# ---------------------------------------------------------------------------- Ctrl-C at any moment
#: (where Ctrl-C is pressed: MINIGAN_SIGINT_AT, the step of the checkpoint left (None: none),
#: what the one line says). --fast: 24 steps, a grid and a checkpoint every 8, and each save
#: writes checkpoint_ema.npz then checkpoint.npz (writes 1-2: step 8, 3-4: step 16, 5-6: 24).
CTRL_C = [
    ("setup", None, "interrupted before training started: nothing was trained or saved"),
    ("grid0", 0, "interrupted at step 0; checkpoint saved to"),
    ("step:1", 1, "interrupted at step 1; checkpoint saved to"),
    ("step:5", 5, "interrupted at step 5; checkpoint saved to"),
    ("step:24", 24, "interrupted after the last step (24); checkpoint saved to"),
    ("save@2", 16, "interrupted at step 16; checkpoint saved to"),
    ("write@2", 8, "interrupted at step 8; checkpoint saved to"),
    ("write@4,write@4", 8, "interrupted again: stopped at once without saving; the last checkpoint, step 8 in"),
    ("write@3,write@3", 8, "interrupted again: stopped at once without saving; the last checkpoint, step 8 in"),
    ("step:5,step:5", None, "interrupted again: stopped at once without saving; no checkpoint was saved in"),
    ("step:12,step:12", 8, "interrupted again: stopped at once without saving; the last checkpoint, step 8 in"),
    ("save@3", 24, "interrupted after the last step (24); checkpoint saved to"),  # the final save
    ("eval", 24, "interrupted after training: the checkpoint of step 24 is saved in"),
]


@pytest.mark.attack
@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("at, step, says", CTRL_C, ids=[c[0] for c in CTRL_C])
def test_ctrl_c_at_any_moment_exits_130_with_one_line_and_a_consistent_checkpoint(tmp_path, at, step, says):
    """A real SIGINT, sent by the process to itself at an exact point (MINIGAN_SIGINT_AT, no
    sleeps): before the first step, during the step-0 grid, during a step, right after the last
    one, during a save, twice (the second stops at once and the previous checkpoint stays), and
    during the final evaluation. Every time: exit 130, one line, no traceback, a checkpoint that
    loads (with its average of G's weights at the same step), and a resume that finishes."""
    out = tmp_path / "run"
    ck = out / "checkpoint.npz"

    def consistent():
        if step is None:
            return not ck.exists()
        c = checkpoint.load(ck)
        if c.step != step:
            return False
        # the average of G's weights that goes with it (checkpoint_ema.npz, or _prev after an abort)
        emas = [checkpoint.load(p).step for p in out.glob("checkpoint_ema*.npz")]
        return step in emas and not list(out.glob(".*.tmp"))

    r = attacks.cli(
        "ctrl_c",
        [_PATH, "--fast", "--no-eval", "--out", str(out)],
        130,
        [says],
        intact=consistent,
        extra_env={"MINIGAN_SIGINT_AT": at},
    )
    assert "error" not in r.stderr.lower() and "Traceback" not in r.stderr
    if step is not None and step < 24:  # the line's resume command continues to the end
        assert f"Continue with: python examples/mnist_gan.py --resume {out}" in r.stderr or "again" in r.stderr
        attacks.cli("ctrl_c", [_PATH, "--fast", "--no-eval", "--resume", str(out)], 0)
        assert checkpoint.load(ck).step == 24


@pytest.mark.attack
@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_run_resumed_after_an_aborted_save_equals_the_uninterrupted_run(tmp_path):
    """A second Ctrl-C in the middle of the step-16 save (checkpoint_ema.npz written, checkpoint.npz
    not): the resume takes the average that matches step 8 and ends bit for bit where an
    uninterrupted run ends."""
    one = ["--threads", "1"]  # auto may choose 1 or 2 threads, which round some products differently
    attacks.cli(
        "ctrl_c",
        [_PATH, "--fast", "--no-eval", *one, "--out", str(tmp_path / "cut")],
        130,
        ["interrupted again"],
        extra_env={"MINIGAN_SIGINT_AT": "write@4,write@4"},
    )
    attacks.cli("ctrl_c", [_PATH, "--fast", "--no-eval", *one, "--resume", str(tmp_path / "cut")], 0)
    attacks.cli("ctrl_c", [_PATH, "--fast", "--no-eval", *one, "--out", str(tmp_path / "full")], 0)
    for name in ("checkpoint.npz", "checkpoint_ema.npz"):
        a, b = (checkpoint.load(tmp_path / d / name) for d in ("cut", "full"))
        assert a.step == b.step == 24
        for n in a.modules:
            for k in a.modules[n]:
                np.testing.assert_array_equal(a.modules[n][k], b.modules[n][k], err_msg=f"{name} {n}.{k}")
        for k in a.arrays:
            np.testing.assert_array_equal(a.arrays[k], b.arrays[k], err_msg=f"{name} {k}")
    assert not (tmp_path / "cut" / "checkpoint_ema_prev.npz").exists()


# ---------------------------------------------------------------------------- one writer per folder
@pytest.mark.attack
@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_second_writer_of_a_run_folder_is_refused_naming_the_holder(tmp_path):
    """Two runs with the same --out (or two --resume of one run) used to both exit 0 with their
    grids interleaved. The second is refused (exit 2) naming the pid that holds the folder; the
    lock of a killed run is taken over, and said so."""
    from test_hardening import hold_lock

    out = tmp_path / "runs" / "mnist_gan" / "fast" / "run"  # where a bare --fast --resume looks
    attacks.cli("run_lock", [_PATH, "--fast", "--no-eval", "--steps", "2", "--out", str(out)], 0)
    before = (out / "checkpoint.npz").read_bytes()
    holder = hold_lock(out)  # a run in progress there
    try:
        for argv in (
            [_PATH, "--fast", "--no-eval", "--resume", str(out), "--steps", "4"],
            [_PATH, "--fast", "--no-eval", "--out", str(out), "--overwrite"],
            [_PATH, "--fast", "--no-eval", "--resume"],  # the newest run: this one
        ):
            attacks.cli(
                "run_lock",
                argv,
                2,
                [str(out), "in use by another run", f"process {holder.pid}"],
                cwd=tmp_path,
                intact=lambda: (out / "checkpoint.npz").read_bytes() == before,
            )
        fresh = tmp_path / "fresh"  # a new --out is in use as soon as a run holds it
        holder2 = hold_lock(fresh)
        try:
            attacks.cli("run_lock", [_PATH, "--fast", "--no-eval", "--out", str(fresh)], 2, [f"process {holder2.pid}"])
        finally:
            holder2.kill()
            holder2.wait()
    finally:
        holder.kill()  # as kill -9: its lock file stays behind
        holder.wait()
    r = attacks.cli("run_lock", [_PATH, "--fast", "--no-eval", "--resume", str(out), "--steps", "3"], 0)
    assert f"locked by process {holder.pid}, which is no longer running; lock taken over" in r.stderr
    assert checkpoint.load(out / "checkpoint.npz").step == 3 and not (out / ".lock").exists()


# ---------------------------------------------------------------------------- the selfcond recipe
#: The keys of an unconditional recipe's metrics.json (minigan.train.evaluate and _train's own).
DEFAULT_METRICS = {
    "step",
    "samples",
    "confident_share",
    "histogram",
    "mode_count",
    "mean_max_prob",
    "fid",
    "fid_real_vs_real",
    "fid_samples",
    "memorization",
    "grids",
    "seconds",
    "recipe",
    "threads",
}


@pytest.mark.slow
def test_the_default_is_selfcond_and_writes_what_the_plain_recipe_writes(ex, tmp_path, capsys):
    out = tmp_path / "run"
    assert ex.main(["--fast", "--threads", "1", "--out", str(out)]) == 0  # no --recipe: the default
    files = set(os.listdir(out))
    assert {"losses.png", "progress.gif", "checkpoint.npz", "checkpoint_ema.npz", "metrics.json"} <= files
    assert len([f for f in files if f.startswith("samples_step_")]) == 4  # steps 0, 8, 16, 24
    m = json.loads((out / "metrics.json").read_text())
    assert set(m) == DEFAULT_METRICS | {"clusters"}  # scored as an unconditional GAN: the same keys, and the clusters
    assert m["recipe"] == "selfcond" and m["step"] == 24 and sum(m["histogram"]) == m["samples"] == 100
    assert np.isfinite(m["fid"]) and len(m["grids"]) == 4
    c = m["clusters"]
    assert c["k"] == 20 and sum(c["sizes"]) == 256 and min(c["sizes"]) > 0 and c["seconds"] >= 0
    ck = checkpoint.load(out / "checkpoint.npz")
    assert ck.extra["args"]["recipe"] == "selfcond" and ck.extra["args"]["clusters"] == 20
    assert len(ck.extra["selfcond"]["assignment"]) == 256
    err = capsys.readouterr().err
    header = err.splitlines()[0]
    assert "recipe selfcond: self-conditioned on k = 20 clusters of the training digits by k-means" in header
    assert re.search(r"no labels: \d+\.\d\d s, \d+ iterations\)", header)
    # --clusters K; other values refused in one line
    assert ex.main(["--recipe", "selfcond", "--clusters", "7", "--fast", "--no-eval", "--steps", "1",
                    "--out", str(tmp_path / "k7")]) == 0  # fmt: skip
    assert "k = 7 clusters" in capsys.readouterr().err
    assert checkpoint.load(tmp_path / "k7" / "checkpoint.npz").extra["selfcond"]["clusters"] == 7
    for argv, words in (
        (["--recipe", "minigan", "--clusters", "5"], "--clusters applies to --recipe selfcond only"),
        (["--model", "dcgan", "--clusters", "5"], "this run's recipe is minigan"),  # dcgan: the plain recipe
        (["--recipe", "selfcond", "--model", "dcgan"], "--recipe selfcond trains the dense model only"),
        (["--recipe", "selfcond", "--clusters", "257"], "--clusters 257 is more than the training set's 256 digits"),
    ):
        assert ex.main([*argv, "--fast", "--no-eval", "--out", str(tmp_path / "bad")]) == 2
        assert words in capsys.readouterr().err
    with pytest.raises(SystemExit):
        ex.parse_args(["--recipe", "selfcond", "--clusters", "0"])


@pytest.mark.slow
def test_selfcond_resume_equals_uninterrupted_run(ex, tmp_path, capsys):
    common = ["--recipe", "selfcond", "--fast", "--no-eval", "--seed", "3", "--threads", "1"]  # one thread: see above
    assert ex.main(common + ["--steps", "16", "--out", str(tmp_path / "full")]) == 0
    assert ex.main(common + ["--steps", "8", "--out", str(tmp_path / "part")]) == 0
    assert ex.main(["--fast", "--no-eval", "--threads", "1", "--steps", "16", "--resume", str(tmp_path / "part")]) == 0
    assert "self-conditioned on k = 20 clusters of the training digits from the checkpoint" in capsys.readouterr().err
    a, b = checkpoint.load(tmp_path / "full" / "checkpoint.npz"), checkpoint.load(tmp_path / "part" / "checkpoint.npz")
    assert a.step == b.step == 16
    assert a.extra["selfcond"] == b.extra["selfcond"]
    for k in a.arrays:
        np.testing.assert_array_equal(a.arrays[k], b.arrays[k], err_msg=k)
    for name in ("G", "D"):
        for k in a.modules[name]:
            np.testing.assert_array_equal(a.modules[name][k], b.modules[name][k], err_msg=f"{name}.{k}")
    ea, eb = (checkpoint.load(tmp_path / d / "checkpoint_ema.npz") for d in ("full", "part"))
    for k in ea.arrays:
        np.testing.assert_array_equal(ea.arrays[k], eb.arrays[k], err_msg=f"ema {k}")
    # the checkpoint's clusters are the run's: another k, or another training set, is refused
    resume = ["--fast", "--no-eval", "--steps", "20", "--resume", str(tmp_path / "part")]
    assert ex.main(resume + ["--clusters", "5"]) == 2
    assert "was trained with --clusters 20, this run asks for 5" in capsys.readouterr().err
    assert ex.main(resume[1:]) == 2  # without --fast: 4,000 digits, not the 256 it clustered
    assert "clustered 256 training digits, this run has 4000" in capsys.readouterr().err


@pytest.mark.slow
def test_selfcond_clusters_use_no_labels(ex, tmp_path, monkeypatch):
    """The cluster assignment comes from the pixels alone: with the digits' labels shuffled
    (or all zero) the run clusters and trains exactly as before."""
    from minigan import train
    from minigan.data import cluster_images

    real_load = train.data.load_mnist
    run = ["--recipe", "selfcond", "--fast", "--no-eval", "--steps", "2", "--threads", "1"]
    assert ex.main(run + ["--out", str(tmp_path / "labels")]) == 0
    for name, relabel in (("shuffled", lambda y: np.random.default_rng(0).permutation(y)), ("zeros", np.zeros_like)):

        def load(*args, relabel=relabel, **kwargs):
            X, y = real_load(*args, **kwargs)
            return X, relabel(y)

        monkeypatch.setattr(train.data, "load_mnist", load)
        assert ex.main(run + ["--out", str(tmp_path / name)]) == 0
        a, b = (checkpoint.load(tmp_path / d / "checkpoint.npz") for d in ("labels", name))
        assert a.extra["selfcond"] == b.extra["selfcond"]
        for k in a.modules["G"]:
            np.testing.assert_array_equal(a.modules["G"][k], b.modules["G"][k], err_msg=k)
    X, _ = real_load(split="train", limit=256)
    assert a.extra["selfcond"]["assignment"] == cluster_images(X, 20, seed=0).assignments.tolist()
