"""examples/mnist_cgan.py and examples/image_gan.py end to end, in their --fast modes."""

import importlib.util
import json
import os

import numpy as np
import pytest

from minigan import checkpoint

_EX = os.path.join(os.path.dirname(__file__), "..", "examples")


def _load(name):
    spec = importlib.util.spec_from_file_location(f"{name}_example", os.path.join(_EX, f"{name}.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def cgan():
    return _load("mnist_cgan")


@pytest.fixture(scope="module")
def image():
    pytest.importorskip("PIL")
    return _load("image_gan")


@pytest.fixture(scope="module")
def shapes28(tmp_path_factory):
    pytest.importorskip("PIL")
    from minigan.data.drawings import write_shape_folder

    root = tmp_path_factory.mktemp("shapes28")
    write_shape_folder(root, 40, 28, corrupt=1, seed=0)
    return root


def test_cgan_help(cgan, capsys):
    with pytest.raises(SystemExit) as e:
        cgan.parse_args(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for opt in ("--steps", "--batch-size", "--seed", "--out", "--device", "--resume", "--fast", "--eval-samples"):
        assert opt in out


def test_label_agreement():
    from minigan.metrics import label_agreement

    prob = np.full((4, 10), 0.01)
    prob[0, 3] = prob[1, 3] = prob[2, 5] = 0.91
    prob[3, 1] = 0.5
    q = label_agreement(prob, np.array([3, 4, 5, 1]))
    assert q["agreement"] == 0.75 and q["confident_agreement"] == 0.5
    assert q["confusion"][4][3] == 1 and sum(map(sum, q["confusion"])) == 4


@pytest.mark.slow
def test_cgan_fast_run_and_resume(cgan, tmp_path, capsys):
    out = tmp_path / "run"
    assert cgan.main(["--fast", "--out", str(out)]) == 0
    files = set(os.listdir(out))
    assert {"losses.png", "progress.gif", "checkpoint.npz", "metrics.json", "samples_step_000000.png"} <= files
    m = json.loads((out / "metrics.json").read_text())
    assert m["step"] == 24 and 0 <= m["confident_agreement"] <= m["agreement"] <= 1
    assert len(m["fid_per_class"]) == 10 and np.isfinite(m["fid_per_class"]).all()
    assert len(m["confusion"]) == 10 and sum(map(sum, m["confusion"])) == m["samples"]
    assert "read as the requested digit" in capsys.readouterr().out
    assert cgan.main(["--fast", "--steps", "28", "--out", str(out), "--resume", "--no-eval"]) == 0
    assert checkpoint.load(out / "checkpoint.npz").step == 28


def test_image_help_and_bad_input(image, tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        image.parse_args(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for opt in ("--data", "--model", "xray64", "anime96", "dcgan28", "--device", "--class", "--strict", "--resume"):
        assert opt in out
    assert image.main(["--data", str(tmp_path / "missing"), "--fast", "--out", str(tmp_path / "o")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_image_strict_refuses_by_name(image, shapes28, tmp_path, capsys):
    assert (
        image.main(["--data", str(shapes28), "--model", "dcgan28", "--fast", "--strict", "--out", str(tmp_path / "o")])
        == 2
    )
    err = capsys.readouterr().err
    assert "notes.txt" in err and "Traceback" not in err


@pytest.mark.slow
def test_image_fast_run_dcgan28_and_resume(image, shapes28, tmp_path, capsys):
    out = tmp_path / "run"
    assert (
        image.main(["--data", str(shapes28), "--model", "dcgan28", "--fast", "--class", "discs", "--out", str(out)])
        == 0
    )
    err = capsys.readouterr().err
    assert "broken_0.png" in err and "skipped" in err and "(1) d2" in err
    files = set(os.listdir(out))
    assert {"losses.png", "progress.gif", "checkpoint.npz", "metrics.json", "real_batch.png"} <= files
    m = json.loads((out / "metrics.json").read_text())
    assert m["step"] == 4 and np.isfinite(m["nn_distance_trained"]) and m["nn_distance_real_floor"] >= 0
    from minigan.metrics import drawings

    q = drawings.score_run(out, n=16)  # the generator, rebuilt from the checkpoint and sampled
    assert (q["model"], q["step"], q["n"]) == ("dcgan28", 4, 16) and 0 <= q["shape_like"] <= 1
    assert drawings.main([str(out), "--samples", "8"]) == 0
    assert "one clean shape" in capsys.readouterr().out
    assert drawings.main([str(tmp_path / "nothing")]) == 2
    assert (
        image.main(
            [
                "--data",
                str(shapes28),
                "--model",
                "dcgan28",
                "--fast",
                "--class",
                "discs",
                "--steps",
                "6",
                "--out",
                str(out),
                "--resume",
            ]
        )
        == 0
    )
    assert checkpoint.load(out / "checkpoint.npz").step == 6


@pytest.mark.slow
def test_image_resume_continues_the_folder_stream(image, shapes28, tmp_path):
    """Stop at step 2 and resume to 4: the same losses as a straight 4-step run (CPU, exact)."""
    args = ["--data", str(shapes28), "--model", "dcgan28", "--fast", "--sample-every", "100", "--threads", "1"]
    assert image.main(args + ["--steps", "4", "--out", str(tmp_path / "a")]) == 0
    assert image.main(args + ["--steps", "2", "--out", str(tmp_path / "b")]) == 0
    assert image.main(args + ["--steps", "4", "--out", str(tmp_path / "b"), "--resume"]) == 0
    ha = checkpoint.load(tmp_path / "a" / "checkpoint.npz").arrays["history/g"]
    hb = checkpoint.load(tmp_path / "b" / "checkpoint.npz").arrays["history/g"]
    np.testing.assert_allclose(hb, ha, rtol=1e-5)


@pytest.mark.slow
def test_examples_share_the_run_folder_rules(cgan, image, shapes28, tmp_path, monkeypatch, capsys):
    """minigan.runner: each run gets its own folder; a full --out is refused; a bare --resume
    takes the newest run; a run already at its total is refused (exit 2, one line)."""
    monkeypatch.chdir(tmp_path)
    assert cgan.main(["--fast", "--no-eval", "--steps", "2", "--sample-every", "1"]) == 0
    (run,) = (tmp_path / "runs" / "mnist_cgan" / "fast").iterdir()  # --fast runs apart from real ones
    assert run.name.startswith("dense-") and len(list(run.glob("samples_step_*.png"))) == 3
    capsys.readouterr()
    assert cgan.main(["--fast", "--no-eval", "--steps", "2", "--out", str(run)]) == 2
    assert "is not empty" in capsys.readouterr().err
    assert cgan.main(["--fast", "--no-eval", "--resume", "--steps", "3"]) == 0
    assert checkpoint.load(run / "checkpoint.npz").step == 3
    assert cgan.main(["--fast", "--no-eval", "--resume"]) == 2  # the checkpoint's own total, 3
    assert "already at step 3 of 3" in capsys.readouterr().err
    assert cgan.main(["--fast", "--no-eval", "--resume", "--lr", "1e-3", "--steps", "4"]) == 2
    assert "was trained with --lr 0.0002" in capsys.readouterr().err
    args = ["--data", str(shapes28), "--model", "dcgan28", "--fast", "--steps", "2"]
    assert image.main(args) == 0
    (irun,) = (tmp_path / "runs" / "image_gan" / "fast").iterdir()
    assert irun.name.startswith("dcgan28-")
    capsys.readouterr()
    assert image.main(args[:-2] + ["--resume"]) == 2  # no --steps: the checkpoint's total, 2
    err = capsys.readouterr().err
    assert "already at step 2 of 2" in err and "Traceback" not in err
    assert [line for line in err.splitlines() if line.startswith("error:")] == [err.splitlines()[-1]]


@pytest.mark.slow
def test_image_anime96_end_to_end(image, shapes28, tmp_path):
    """Document 000's 96x96 model through the whole example: the 28x28 drawings scaled up to 96,
    uniform noise, label smoothing 0.9, two steps, a checkpoint that resumes."""
    out = tmp_path / "anime"
    args = ["--data", str(shapes28), "--model", "anime96", "--fast", "--batch-size", "4", "--sample-every", "100"]
    assert image.main(args + ["--steps", "1", "--out", str(out)]) == 0
    ck = checkpoint.load(out / "checkpoint.npz")
    assert ck.step == 1 and ck.extra["gan"]["noise"] == "uniform" and ck.extra["gan"]["real_label"] == 0.9
    assert image.main(args + ["--steps", "2", "--out", str(out), "--resume"]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["step"] == 2 and np.isfinite(m["nn_distance_trained"])


# ---------------------------------------------------------------------------- attacks
import sys  # noqa: E402

import attacks  # noqa: E402  (tests/attacks.py)

CGAN_BAD = [
    (["--lr", "inf"], ["--lr"]),
    (["--lr", "nan"], ["--lr"]),
    (["--epochs", "nan"], ["--epochs"]),
    (["--epochs", "inf"], ["--epochs"]),
    (["--seed", "-1"], ["--seed"]),
    (["--fast", "--batch-size", "0"], ["--batch-size"]),
    (["--steps", "0"], ["--steps"]),
    (["--k", "0"], ["--k"]),
    (["--beta1", "1"], ["--beta1"]),
    (["--label-smoothing", "nan"], ["--label-smoothing"]),
    (["--eval-samples", "-5"], ["--eval-samples"]),
    (["--threads", "0"], ["--threads"]),
]
IMAGE_BAD = [
    (["--lr", "inf"], ["--lr"]),
    (["--lr", "0"], ["--lr"]),
    (["--seed", "-1"], ["--seed"]),
    (["--fast", "--batch-size", "0"], ["--batch-size"]),
    (["--steps", "0"], ["--steps"]),
    (["--k", "-1"], ["--k"]),
    (["--beta1", "nan"], ["--beta1"]),
    (["--sample-every", "0"], ["--sample-every"]),
]


@pytest.mark.attack
@pytest.mark.parametrize("argv, names", CGAN_BAD, ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_cgan_bad_values_exit_2_with_one_line(cgan, tmp_path, capsys, argv, names):
    attacks.main_exit("exit_2", cgan.main, argv + ["--no-eval", "--out", str(tmp_path / "o")], 2, names, capsys)
    assert not (tmp_path / "o").exists()


@pytest.mark.attack
@pytest.mark.parametrize("argv, names", IMAGE_BAD, ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_image_bad_values_exit_2_with_one_line(image, shapes28, tmp_path, capsys, argv, names):
    base = ["--data", str(shapes28), "--model", "dcgan28", "--out", str(tmp_path / "o")]
    attacks.main_exit("exit_2", image.main, base + argv, 2, names, capsys)
    assert not (tmp_path / "o").exists()


@pytest.mark.attack
def test_fast_keeps_the_batch_size_given(cgan, image):
    """--fast used to replace an explicit --batch-size equal to the default (16, 128) by its own."""
    attacks.expect_ok(
        "silent_values",
        lambda: image.parse_args(["--data", "x", "--fast", "--batch-size", "16"]),
        lambda a: a.batch_size == 16 and a.steps == image.FAST["steps"],
    )
    assert image.parse_args(["--data", "x", "--fast"]).batch_size == image.FAST["batch_size"]
    assert image.parse_args(["--data", "x"]).batch_size == 16
    attacks.expect_ok(
        "silent_values",
        lambda: cgan.parse_args(["--fast", "--batch-size", "128", "--eval-samples", "300"]),
        lambda a: (a.batch_size, a.eval_samples) == (128, 300),
    )
    assert (cgan.parse_args(["--fast"]).batch_size, cgan.parse_args([]).batch_size) == (32, 128)


CGAN_CTRL_C = [
    ("setup", None, "interrupted before training started"),
    ("grid0", 0, "interrupted at step 0; checkpoint saved to"),
    ("step:5", 5, "interrupted at step 5; checkpoint saved to"),
    ("step:24", 24, "interrupted after the last step (24)"),
    ("write@2,write@2", 8, "interrupted again: stopped at once without saving; the last checkpoint, step 8 in"),
    ("eval", 24, "interrupted after training: the checkpoint of step 24 is saved in"),
]
IMAGE_CTRL_C = [
    ("setup", None, "interrupted before training started"),
    ("grid0", 0, "interrupted at step 0; checkpoint saved to"),
    ("step:1", 1, "interrupted at step 1; checkpoint saved to"),
    ("step:4", 4, "interrupted after the last step (4)"),
    ("save@1", 2, "interrupted at step 2; checkpoint saved to"),
    ("write@2,write@2", 2, "interrupted again: stopped at once without saving; the last checkpoint, step 2 in"),
    ("eval", 4, "interrupted after training: the checkpoint of step 4 is saved in"),
]


def _ctrl_c_case(script, argv, out, at, step, says, total):
    ck = out / "checkpoint.npz"

    def consistent():
        if step is None:
            return not ck.exists()
        return checkpoint.load(ck).step == step and not list(out.glob(".*.tmp"))

    attacks.cli(
        "ctrl_c",
        [os.path.join(_EX, script), *argv, "--out", str(out)],
        130,
        [says],
        intact=consistent,
        extra_env={"MINIGAN_SIGINT_AT": at},
        timeout=300,
    )
    if step is not None and step < total:
        attacks.cli("ctrl_c", [os.path.join(_EX, script), *argv, "--resume", str(out)], 0, timeout=300)
        assert checkpoint.load(ck).step == total


@pytest.mark.attack
@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("at, step, says", CGAN_CTRL_C, ids=[c[0] for c in CGAN_CTRL_C])
def test_cgan_ctrl_c_at_any_moment(tmp_path, at, step, says):
    _ctrl_c_case("mnist_cgan.py", ["--fast", "--no-eval"], tmp_path / "run", at, step, says, 24)


@pytest.mark.attack
@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("at, step, says", IMAGE_CTRL_C, ids=[c[0] for c in IMAGE_CTRL_C])
def test_image_gan_ctrl_c_at_any_moment(shapes28, tmp_path, at, step, says):
    argv = ["--data", str(shapes28), "--model", "dcgan28", "--fast"]
    _ctrl_c_case("image_gan.py", argv, tmp_path / "run", at, step, says, 4)
