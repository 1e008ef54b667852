"""examples/train_ddp.py: minigan's GAN under PyTorch DistributedDataParallel, 2 processes × 20
steps on localhost (gloo, CPU, a free port).

Every run is a subprocess in a session of its own with a time limit: if a process group ever
hangs, the whole session is killed and the test fails instead of hanging the suite.

The comparison with one process runs in float64 (``--dtype float64``), tolerance 1e-8 on every
weight, BatchNorm statistic, Adam moment and loss. Two processes add their sums in another order
than one, so the numbers differ by rounding alone: about 1e-16 relative in float64. Adam then
divides each gradient by its own root mean square, which magnifies the rounding noise of
parameters whose exact gradient is 0 (a convolution's bias before a BatchNorm): after 20 DCGAN
steps the largest difference measured is 4.6e-10 (dense GAN: 1.5e-13), 20x under the tolerance.
A real mistake is far above it: without the synchronized BatchNorm the weights differ by 0.13.
float32 cannot be held to such a tolerance: Adam's first step is lr·g/(|g| + ε), so a gradient
element of the size of ε (1e-8) whose float32 rounding differs moves by a good part of lr; after
one step most weights are equal and a few differ by 9e-5, after 20 the GAN's dynamics have spread
that to 4e-3 (examples/README.md).
"""

from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import minigan as mg
from minigan import checkpoint, interop

torch = pytest.importorskip("torch", reason="examples/train_ddp.py needs PyTorch: pip install torch")
pytest.importorskip("safetensors", reason="examples/train_ddp.py writes .safetensors: pip install safetensors")
if not (torch.distributed.is_available() and torch.distributed.is_gloo_available()):
    pytest.skip("this PyTorch has no torch.distributed gloo backend", allow_module_level=True)

ROOT = pathlib.Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "examples" / "train_ddp.py"
TIMEOUT_S = 300  # one run: a few seconds on an idle machine; generous for a busy one
TOL = 1e-8
#: A tiny run that can be compared with one process: float64, no Dropout (each process draws
#: its own masks).
EXACT = ["--fast", "--dtype", "float64", "--d-dropout", "0"]


def _env() -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    env.pop("MINIGAN_FAST", None)
    return env


def run(*args, timeout: float = TIMEOUT_S, env: dict | None = None):
    """``python examples/train_ddp.py *args`` -> (exit status, stdout, stderr)."""
    proc = subprocess.Popen(
        [sys.executable, str(SCRIPT), *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env=env or _env(),
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"train_ddp.py {' '.join(map(str, args))} did not finish in {timeout} s")
    return proc.returncode, out, err


def _ok(result):
    code, out, err = result
    assert code == 0, f"exit {code}\n{out}\n{err[-3000:]}"
    return out, err


def _metrics(folder) -> dict:
    return json.loads((pathlib.Path(folder) / "metrics.json").read_text())


def _error_lines(err: str) -> list:
    return [line for line in err.strip().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def ex():
    spec = importlib.util.spec_from_file_location("train_ddp_example", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def two(tmp_path_factory):
    """2 processes × 20 steps, float64, global batch 32 (16 each)."""
    out = tmp_path_factory.mktemp("ddp") / "two"
    _ok(run(*EXACT, "--world-size", 2, "--out", out))
    return out


@pytest.fixture(scope="module")
def one(tmp_path_factory):
    """The same global batch in one process."""
    out = tmp_path_factory.mktemp("ddp") / "one"
    _ok(run(*EXACT, "--world-size", 1, "--out", out, "--no-eval"))
    return out


# ---------------------------------------------------------------------------- arguments
def test_help_lists_the_options(ex, capsys):
    with pytest.raises(SystemExit) as e:
        ex.parse_args(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for opt in (
        "--world-size",
        "--model",
        "--steps",
        "--batch-size",
        "--lr",
        "--beta1",
        "--d-dropout",
        "--dtype",
        "--device",
        "--port",
        "--out",
        "--overwrite",
        "--resume",
        "--checkpoint-every",
        "--fast",
        "--no-eval",
        "GLOBAL batch",
    ):
        assert opt in out, opt


@pytest.mark.parametrize(
    "argv, says",
    [
        (["--world-size", "0"], "--world-size must be >= 1, got 0"),
        (["--batch-size", "0"], "--batch-size must be >= 1, got 0"),
        (["--lr", "-1"], "--lr must be > 0, got -1.0"),
        (["--port", "70000"], "--port must be in [0, 65535], got 70000"),
        (["--device", "gpu"], "argument --device: invalid choice: 'gpu'"),
        (["--resume", "x", "--overwrite"], "choose one"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(ex, capsys, argv, says):
    with pytest.raises(SystemExit) as e:
        ex.parse_args(argv)
    assert e.value.code == 2
    err = _error_lines(capsys.readouterr().err)
    assert len(err) == 1 and says in err[0] and err[0].startswith("train_ddp.py: error:"), err


def test_refusals_exit_2_with_one_line_before_any_process_starts(ex, tmp_path, capsys):
    cases = [
        (["--batch-size", "33"], "--batch-size 33 (the global batch) must be a multiple of --world-size 2"),
        (["--world-size", "3"], "must be a multiple of --world-size 3"),  # --fast: global batch 32
        (["--batch-size", "600", "--world-size", "4"], "larger than the training set (256 digits, 64 per process"),
        (["--model", "dcgan", "--d-dropout", "0.3"], "--d-dropout applies to the dense model only"),
        (["--resume", str(tmp_path / "nothing")], "cannot resume"),
        (["--data", str(tmp_path / "missing.npz")], "does not exist"),
    ]
    n_gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    cases.append(
        (["--device", "cuda", "--world-size", str(n_gpus + 1)], "sees no CUDA GPU" if not n_gpus else "GPUs (one per")
    )
    for argv, says in cases:
        out = tmp_path / "out"
        assert ex.main(["--fast", "--out", str(out), *argv]) == 2, argv
        err = _error_lines(capsys.readouterr().err)
        assert len(err) == 1 and err[0].startswith("error:") and says in err[0], (argv, err)
        assert not out.exists(), argv  # refused before the run folder is made
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("a run")
    assert ex.main(["--fast", "--out", str(tmp_path / "full")]) == 2
    assert "is not empty" in capsys.readouterr().err


def test_without_pytorch_one_line_says_how_to_install_it(tmp_path):
    """A ``torch`` that cannot be imported (as where it is not installed): exit 2, one line with
    ``pip install torch``; ``--help`` still works."""
    fake = tmp_path / "no_torch" / "torch"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('No module named torch')\n")
    env = dict(_env(), PYTHONPATH=os.pathsep.join([str(fake.parent), str(ROOT)]))
    code, out, err = run("--fast", "--out", tmp_path / "o", env=env, timeout=120)
    lines = _error_lines(err)
    assert code == 2 and len(lines) == 1 and "pip install torch" in lines[0], err
    assert not (tmp_path / "o").exists()
    code, out, _ = run("--help", env=env, timeout=120)
    assert code == 0 and "--world-size" in out


# ---------------------------------------------------------------------------- 2 processes
@pytest.mark.slow
def test_the_processes_end_with_identical_weights(two):
    m = _metrics(two)
    hashes = m["rank_state_sha256"]
    assert len(hashes) == 2 and hashes[0] == hashes[1] and m["ranks_identical"], hashes
    assert m["world_size"] == 2 and m["global_batch"] == 32 and m["per_process_batch"] == 16 and m["step"] == 20


@pytest.mark.slow
def test_the_model_converted_back_samples_finite_images(two):
    """G.safetensors (PyTorch's names) -> a torch G -> from_torch -> minigan samples; and the
    example's own metrics, computed on its from_torch conversion, are finite."""
    import safetensors.torch

    tG = interop.to_torch(mg.mnist_dense_gan(rng=5)[0].astype(np.float64))
    tG.load_state_dict(safetensors.torch.load_file(str(two / "G.safetensors")))
    G = interop.from_torch(tG)
    x = G.eval()(np.random.default_rng(0).standard_normal((64, 64)))
    assert x.shape == (64, 1, 28, 28) and np.isfinite(x).all() and np.abs(x).max() <= 1
    ck = checkpoint.load(two / "checkpoint.npz")  # the two files hold the same weights
    for k, v in G.state_dict().items():
        assert np.array_equal(v, ck.modules["G"][k]), k
    m = _metrics(two)
    assert np.isfinite(m["fid"]) and m["samples"] == 100 and sum(m["histogram"]) == 100
    for f in ("losses.png", "progress.gif", "samples_step_000020.png", "D.safetensors"):
        assert (two / f).is_file(), f


@pytest.mark.slow
def test_two_processes_match_one_process_of_the_same_global_batch(two, one):
    a, b = checkpoint.load(two / "checkpoint.npz"), checkpoint.load(one / "checkpoint.npz")
    assert a.step == b.step == 20
    worst = 0.0
    for name in ("G", "D"):
        for k, v in a.modules[name].items():
            worst = max(worst, float(np.abs(v - b.modules[name][k]).max()))
        for k, v in a.optimizers[name]["arrays"].items():  # Adam's moments
            worst = max(worst, float(np.abs(v - b.optimizers[name]["arrays"][k]).max()))
    for k in ("d", "d_real", "d_fake", "g", "d_x", "d_g_z"):
        assert len(a.arrays[f"history/{k}"]) == 20
        worst = max(worst, float(np.abs(a.arrays[f"history/{k}"] - b.arrays[f"history/{k}"]).max()))
    assert worst < TOL, f"max |2 processes - 1 process| = {worst:.3g}"


@pytest.mark.slow
def test_dcgan_two_processes_match_one_process(tmp_path):
    """The DCGAN has BatchNorm in D too (synchronized in the D step and, frozen, in the G step)."""
    for n in (1, 2):
        _ok(run(*EXACT, "--model", "dcgan", "--steps", 10, "--world-size", n, "--no-eval", "--out", tmp_path / f"{n}"))
    a, b = checkpoint.load(tmp_path / "1" / "checkpoint.npz"), checkpoint.load(tmp_path / "2" / "checkpoint.npz")
    worst = max(float(np.abs(v - b.modules[n][k]).max()) for n in ("G", "D") for k, v in a.modules[n].items())
    assert worst < TOL, f"max |2 processes - 1 process| = {worst:.3g}"


@pytest.mark.slow
def test_a_ddp_run_resumes_exactly(two, tmp_path):
    """10 steps, Ctrl-C-free stop, --resume to 20: the same weights, bit for bit, as 20 at once."""
    out = tmp_path / "half"
    _ok(run(*EXACT, "--world-size", 2, "--steps", 10, "--no-eval", "--out", out))
    _ok(run("--resume", out, "--fast", "--world-size", 2, "--steps", 20, "--no-eval"))
    assert _metrics(out)["rank_state_sha256"][0] == _metrics(two)["rank_state_sha256"][0]


@pytest.mark.slow
def test_a_minigan_train_checkpoint_continues_under_ddp(tmp_path, capsys):
    """minigan-train's run (dense GAN with D Dropout, 6 steps) -> 2 processes to step 10: the
    settings, the loss history and both Adam states (t = 6 -> 10) come along."""
    src = tmp_path / "minigan"
    # the plain recipe: the default, selfcond, is a GAN conditioned on clusters (refused below)
    assert mg.train.main(["--recipe", "minigan", "--fast", "--steps", "6", "--no-eval", "--out", str(src)]) == 0
    capsys.readouterr()
    before = checkpoint.load(src / "checkpoint.npz")
    out = tmp_path / "ddp"
    _, err = _ok(run("--resume", src, "--out", out, "--fast", "--steps", 10, "--no-eval"))
    assert "steps 6 -> 10" in err and "D dropout 0.3" in err and "global batch 32" in err
    after = checkpoint.load(out / "checkpoint.npz")
    assert after.step == 10 and after.extra["args"]["d_dropout"] == 0.3
    for name in ("G", "D"):
        assert before.optimizers[name]["step"] == 6 and after.optimizers[name]["step"] == 10
    h0, h1 = before.arrays["history/g"], after.arrays["history/g"]
    assert len(h1) == 10 and np.array_equal(h1[:6], h0)


def test_a_selfcond_run_of_minigan_train_is_refused_in_one_line(ex, tmp_path, capsys):
    """minigan-train's --recipe selfcond trains a GAN conditioned on clusters: not this example's model."""
    src = tmp_path / "selfcond"
    assert mg.train.main(["--recipe", "selfcond", "--fast", "--steps", "1", "--no-eval", "--out", str(src)]) == 0
    capsys.readouterr()
    assert ex.main(["--resume", str(src), "--out", str(tmp_path / "ddp"), "--fast"]) == 2
    err = _error_lines(capsys.readouterr().err)
    assert len(err) == 1 and "is a run of minigan-train's --recipe selfcond" in err[0], err
    assert not (tmp_path / "ddp").exists()


@pytest.mark.slow
def test_a_ddp_checkpoint_continues_in_minigan_train(two, tmp_path, capsys):
    folder = tmp_path / "run"
    shutil.copytree(two, folder)
    assert mg.train.main(["--resume", str(folder), "--fast", "--steps", "24", "--no-eval"]) == 0
    err = capsys.readouterr().err
    assert "steps 20 -> 24" in err
    ck = checkpoint.load(folder / "checkpoint.npz")
    assert ck.step == 24 and ck.optimizers["G"]["step"] == ck.optimizers["D"]["step"] == 24
    assert len(ck.arrays["history/g"]) == 24


@pytest.mark.slow
def test_a_diverged_run_exits_3_with_one_line(tmp_path):
    code, _, err = run("--fast", "--lr", "1e30", "--no-eval", "--out", tmp_path / "nan")
    lines = [line for line in _error_lines(err) if line.startswith("error:")]
    assert code == 3 and len(lines) == 1 and "training stopped: loss" in lines[0], err
    assert not (tmp_path / "nan" / "checkpoint.npz").exists()  # no checkpoint of a diverged state


@pytest.mark.slow
def test_ctrl_c_stops_every_process_after_the_same_step_and_saves(tmp_path):
    """Ctrl-C as a terminal sends it (to the whole process group): exit 130, process 0 saves the
    checkpoint of the step they all stopped after, and the hint resumes it."""
    out = tmp_path / "stopped"
    proc = subprocess.Popen(
        [sys.executable, str(SCRIPT), "--fast", "--steps", "100000", "--no-eval", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env=_env(),
    )
    lines: list = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + TIMEOUT_S
        while not any(line.startswith("training dense GAN") for line in lines):  # process 0 is ready
            assert proc.poll() is None and time.monotonic() < deadline, "".join(lines)
            time.sleep(0.2)
        time.sleep(1.0)
        os.killpg(proc.pid, signal.SIGINT)
        code = proc.wait(timeout=TIMEOUT_S)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    reader.join(timeout=10)
    text = "".join(lines)
    assert code == 130, text
    said = [line for line in lines if line.startswith("interrupted at step")]
    assert len(said) == 1 and f"--resume {out}" in said[0], text
    step = int(said[0].split()[3].rstrip(";"))
    assert checkpoint.load(out / "checkpoint.npz").step == step > 0
