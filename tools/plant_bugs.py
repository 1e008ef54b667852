"""Plant known bugs in minigan one at a time and count how many the tests catch.

    python tools/plant_bugs.py                  # every bug: a table and the score
    python tools/plant_bugs.py -k BatchNorm     # only the bugs whose name contains the text
    python tools/plant_bugs.py --list           # the bugs, their files and test selections

Each bug is a textual mutation ``(file, old text, new text)`` of the package; the old text
must occur exactly once in its file (the script stops, naming every bug whose text no longer
matches, before it runs anything). The script copies ``minigan/``, ``tests/`` and
``pyproject.toml`` to a temporary folder, checks that the unmutated copy passes every
selection, then for each bug in turn writes the mutated file, runs

- ``python -m minigan.gradcheck`` (every registered layer and loss), and
- ``python -m pytest -x`` on the bug's own modest selection of tests,

both against the copy (``PYTHONPATH`` and the working directory are the copy; no bytecode is
written, so a mutant of the same size is never served from a stale ``.pyc``), restores the
file, and records what caught it. A bug is *caught* when either run fails. The selections are
kept small so that the whole run takes minutes on two cores; a bug missed by its selection
may still be caught by another test file, which is the point of reading the table.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COPIED = ("minigan", "tests", "pyproject.toml")
TIMEOUT_S = 600


@dataclass(frozen=True)
class Bug:
    name: str
    file: str  # relative to the repository root
    old: str
    new: str
    tests: tuple[str, ...]  # pytest arguments: files, node ids, "-k" expressions


LAYERS = ("tests/test_layers.py",)
CONV = ("tests/test_conv.py",)
BN = ("tests/test_batchnorm.py",)
ACT = ("tests/test_activations.py",)
POOL = ("tests/test_pool.py",)
REC = ("tests/test_recurrent.py",)
COND = ("tests/test_conditional.py",)
LOSS = ("tests/test_losses.py",)
OPT = ("tests/test_optim.py",)
DROP = ("tests/test_dropout.py",)
GAN = ("tests/test_gan.py",)
FID = ("tests/test_metrics.py", "-k", "frechet or feature_statistics")
EMA = ("tests/test_ema.py",)
INIT = ("tests/test_init.py",)
CKPT = ("tests/test_optim.py", "tests/test_checkpoint.py")

N = "minigan/nn/"
BUGS = [
    # ---- parameter gradients: += planted as =
    Bug("Dense W.grad = (not +=)", N + "layers.py", "W.grad += dout.T @ x", "W.grad = dout.T @ x", LAYERS),
    Bug(
        "Dense b.grad = (not +=)",
        N + "layers.py",
        'self.params["b"].grad += dout.sum(axis=0)',
        'self.params["b"].grad = dout.sum(axis=0)',
        LAYERS,
    ),
    Bug("Conv W.grad = (not +=)", N + "conv.py", "W.grad += dWm.reshape(", "W.grad = dWm.reshape(", CONV),
    Bug(
        "Conv2D b.grad = (not +=)",
        N + "conv.py",
        'self.params["b"].grad += d2.sum(axis=0)',
        'self.params["b"].grad = d2.sum(axis=0)',
        CONV,
    ),
    Bug(
        "Conv2DTranspose b.grad = (not +=)",
        N + "conv.py",
        'self.params["b"].grad += dout.sum(axis=(0, 2, 3))',
        'self.params["b"].grad = dout.sum(axis=(0, 2, 3))',
        CONV,
    ),
    Bug("BatchNorm gamma.grad = (not +=)", N + "layers.py", "gamma.grad += s * inv", "gamma.grad = s * inv", BN),
    Bug(
        "BatchNorm beta.grad = (not +=)",
        N + "layers.py",
        'self.params["beta"].grad += dbeta',
        'self.params["beta"].grad = dbeta',
        BN,
    ),
    Bug(
        "Embedding W.grad assigned (not scatter-added)",
        N + "conditional.py",
        "xp.add.at(W.grad, self._y, dout)",
        "W.grad[self._y] = dout",
        COND,
    ),
    Bug(
        "RNN/LSTM W_ih.grad = (not +=)",
        N + "recurrent.py",
        'p["W_ih"].grad += da2.T @ x.reshape(N * T, D)',
        'p["W_ih"].grad = da2.T @ x.reshape(N * T, D)',
        REC,
    ),
    Bug(
        "RNN/LSTM W_hh.grad = (not +=)",
        N + "recurrent.py",
        'p["W_hh"].grad += da2.T @ h_prev',
        'p["W_hh"].grad = da2.T @ h_prev',
        REC,
    ),
    Bug("RNN/LSTM b_ih.grad = (not +=)", N + "recurrent.py", 'p["b_ih"].grad += db', 'p["b_ih"].grad = db', REC),
    # ---- wrong gradient formulas
    Bug(
        "Conv weight gradient with kH and kW swapped",
        N + "conv.py",
        ".reshape(W.data.shape[0], g.kh, g.kw, g.C).transpose(0, 3, 1, 2)",
        ".reshape(W.data.shape[0], g.kh, g.kw, g.C).transpose(0, 3, 2, 1)",
        CONV,
    ),
    Bug(
        "RNN BPTT through the transposed W_hh",
        N + "recurrent.py",
        "dh_next = d @ W_hh  # Eq. 003 BPTT",
        "dh_next = d @ W_hh.T  # Eq. 003 BPTT",
        REC,
    ),
    Bug(
        "LSTM cell gradient skips the forget gate",
        N + "recurrent.py",
        "dc_next = gc * f  # ∂C/∂c_{t-1}",
        "dc_next = gc  # ∂C/∂c_{t-1}",
        REC,
    ),
    Bug(
        "ReLU backward drops dout",
        N + "activations.py",
        "return dout * self._mask  # g'(z) = 1[z > 0]",
        "return self._mask.astype(dout.dtype)",
        ACT,
    ),
    Bug(
        "Sigmoid backward drops dout",
        N + "activations.py",
        "return dout * y * (1.0 - y)  # σ' = σ(1 - σ)",
        "return y * (1.0 - y)",
        ACT,
    ),
    Bug(
        "Tanh backward drops dout",
        N + "activations.py",
        "return dout * (1.0 - self._y * self._y)",
        "return 1.0 - self._y * self._y",
        ACT,
    ),
    Bug(
        "LeakyReLU backward slope 0 (ReLU's), not alpha",
        N + "activations.py",
        "return dout * self._slope",
        "return dout * (self._slope == 1.0)",
        ACT,
    ),
    Bug(
        "LeakyReLU slope alpha/2 (forward and backward)",
        N + "activations.py",
        "slope += alpha",
        "slope += 0.5 * alpha",
        ACT,
    ),
    Bug(
        "ELU backward alpha·e^z missing alpha",
        N + "activations.py",
        "xp.where(self._pos, 1.0, self._y + self.alpha)",
        "xp.where(self._pos, 1.0, self._y)",
        ACT,
    ),
    Bug(
        "Softmax backward is y·dout (no Jacobian term)",
        N + "activations.py",
        "return y * (dout - (dout * y).sum(axis=self.axis, keepdims=True))",
        "return y * dout",
        ACT,
    ),
    Bug("MaxPool routes to a non-maximum element", N + "pooling.py", "better = v > out", "better = v < out", POOL),
    Bug("MaxPool ties go to the last element", N + "pooling.py", "better = v > out", "better = v >= out", POOL),
    Bug(
        "AvgPool backward not divided by the window",
        N + "pooling.py",
        "share = dout * (1.0 / (kh * kw))",
        "share = dout",
        POOL,
    ),
    Bug(
        "BatchNorm training normalizes with running_var",
        N + "layers.py",
        "inv = 1.0 / (var + self.eps) ** 0.5",
        'inv = 1.0 / (self.buffers["running_var"] + self.eps) ** 0.5',
        BN,
    ),
    Bug(
        "BatchNorm backward ignores the mean's dependence",
        N + "layers.py",
        "c = (-k * dbeta * (1.0 / m)).reshape(shape)",
        "c = (0.0 * dbeta).reshape(shape)",
        BN,
    ),
    Bug(
        "BatchNorm running_var biased",
        N + "layers.py",
        "(mom * m / (m - 1)) * var.astype(rv.dtype)",
        "mom * var.astype(rv.dtype)",
        BN,
    ),
    Bug(
        "Dropout not rescaled by 1/(1-p)",
        N + "layers.py",
        "self._scale = mask.astype(x.dtype) * (1.0 / (1.0 - self.p))",
        "self._scale = mask.astype(x.dtype)",
        DROP,
    ),
    Bug("Dropout backward ignores the mask", N + "layers.py", "return dout * self._scale", "return dout", DROP),
    # ---- losses
    Bug(
        "Loss backward of the sum, value of the mean",
        N + "losses.py",
        'scale = 1.0 / self._n if self.reduction == "mean" else 1.0',
        "scale = 1.0",
        LOSS,
    ),
    Bug(
        "BCEWithLogits gradient sign flipped",
        N + "losses.py",
        "return sigmoid(z) - y  # ∂L/∂z",
        "return y - sigmoid(z)  # ∂L/∂z",
        LOSS,
    ),
    Bug("MSE gradient without the 2", N + "losses.py", "return 2.0 * diff", "return diff", LOSS),
    Bug(
        "CrossEntropy mean over N·C, not N",
        N + "losses.py",
        "def _count(self, pred) -> int:\n        return int(pred.shape[0])",
        "def _count(self, pred) -> int:\n        return int(pred.size)",
        LOSS,
    ),
    # ---- optimizers
    Bug(
        "SGD momentum dampened by (1-μ)",
        N + "optim.py",
        "v += g  # Eq. v = μ v + g",
        "v += (1.0 - self.momentum) * g",
        OPT,
    ),
    Bug(
        "weight decay with the wrong sign",
        N + "optim.py",
        "g = g + self.weight_decay * p.data",
        "g = g - self.weight_decay * p.data",
        OPT,
    ),
    Bug(
        "RMSProp eps inside the sqrt",
        N + "optim.py",
        "p.data -= self.lr * g / (xp.sqrt(S) + self.eps)",
        "p.data -= self.lr * g / xp.sqrt(S + self.eps)",
        OPT,
    ),
    Bug(
        "Adam without bias correction",
        N + "optim.py",
        "c1 = 1.0 - self.beta1**self.t  # bias corrections (Python floats: no device work)\n"
        "        c2 = 1.0 - self.beta2**self.t",
        "c1 = 1.0\n        c2 = 1.0",
        OPT,
    ),
    Bug(
        "Adam eps inside the sqrt",
        N + "optim.py",
        "denom = xp.sqrt(S) / math.sqrt(c2)  # √Ŝ = √(S / (1 - β₂ᵗ))\n        denom += self.eps",
        "denom = xp.sqrt(S / c2 + self.eps)",
        OPT,
    ),
    # ---- the GAN loop
    Bug(
        "G.zero_grad removed from the G step",
        "minigan/gan/gan.py",
        "self.G.zero_grad()\n        self.G.backward(dfake)",
        "self.G.backward(dfake)",
        GAN,
    ),
    Bug(
        "D.zero_grad removed from the D step",
        "minigan/gan/gan.py",
        "D.zero_grad()\n        logit_r = _call(D, real, y)",
        "logit_r = _call(D, real, y)",
        GAN,
    ),
    Bug(
        "D steps in the G step",
        "minigan/gan/gan.py",
        "dfake = self.D.backward(dlogit)  # ∂L_G/∂G(z), through D with θ_d fixed",
        "dfake = self.D.backward(dlogit)\n            self.d_opt.step()",
        GAN,
    ),
    Bug(
        "BCE ½ of L_D dropped (real half)",
        "minigan/gan/gan.py",
        "D.backward(self._bce_real.backward(0.5 if joint else 1.0))",
        "D.backward(self._bce_real.backward(1.0))",
        GAN,
    ),
    Bug(
        "real_label ignored (always 1)",
        "minigan/gan/gan.py",
        "self._target(logit_r, self.real_label)",
        "self._target(logit_r, 1.0)",
        GAN,
    ),
    Bug(
        "non-saturating G loss with target 0",
        "minigan/gan/gan.py",
        "g = self._bce_g(logit, self._target(logit, 1.0))",
        "g = self._bce_g(logit, self._target(logit, 0.0))",
        GAN,
    ),
    Bug(
        "frozen D keeps the G step's gradients",
        "minigan/gan/freeze.py",
        "for p, g in saved_grads:\n            p.grad[...] = g",
        "for p, g in saved_grads:\n            pass",
        GAN,
    ),
    Bug(
        "frozen D keeps the G step's BatchNorm statistics",
        "minigan/gan/freeze.py",
        "for m, k, v in saved_buffers:\n            m.buffers[k] = v",
        "for m, k, v in saved_buffers:\n            pass",
        GAN,
    ),
    Bug(
        "GAN: every D step of k > 1 on the first batch",
        "minigan/gan/gan.py",
        "out = self._d_step(x, y)",
        "out = self._d_step(batches[0][0], y)",
        GAN,
    ),
    Bug(
        "GAN separate update: no zero_grad between the two D updates",
        "minigan/gan/gan.py",
        "self.d_opt.step()\n            D.zero_grad()",
        "self.d_opt.step()",
        GAN,
    ),
    Bug(
        "GAN minimax G gradient with the wrong sign",
        "minigan/gan/gan.py",
        "dlogit = self._bce_g.backward(-1.0)",
        "dlogit = self._bce_g.backward()",
        GAN,
    ),
    Bug(
        "GAN fake_mode='eval' ignored",
        "minigan/gan/gan.py",
        'with eval_mode(self.G, self.fake_mode == "eval"):',
        "with eval_mode(self.G, False):",
        GAN,
    ),
    Bug(
        "GAN.sample in training mode",
        "minigan/gan/gan.py",
        "def sample(self, n: int | None = None, z=None, train_mode: bool = False):",
        "def sample(self, n: int | None = None, z=None, train_mode: bool = True):",
        GAN,
    ),
    Bug(
        "eval_mode does not restore the modes",
        "minigan/gan/freeze.py",
        "for m, t in was:\n            m.training = t",
        "for m, t in was:\n            pass",
        GAN,
    ),
    Bug(
        "uniform prior in [0, 1), not [-1, 1)",
        "minigan/gan/noise.py",
        "return rng.random((n, self.latent_dim), dtype=like.dtype) * 2 - 1",
        "return rng.random((n, self.latent_dim), dtype=like.dtype)",
        GAN,
    ),
    Bug(
        "EMA weights decay and 1-decay swapped",
        "minigan/gan/ema.py",
        "s *= d\n            s += (1.0 - d) * p.data",
        "s *= 1.0 - d\n            s += d * p.data",
        EMA,
    ),
    Bug(
        "EMA without its warm-up",
        "minigan/gan/ema.py",
        "d = min(self.decay, (1.0 + t) / (10.0 + t))",
        "d = self.decay",
        EMA,
    ),
    # ---- forward passes and state (a gradient check cannot see these)
    Bug(
        "'same' padding's odd extra on the top/left",
        N + "im2col.py",
        "return total // 2, total - total // 2",
        "return total - total // 2, total // 2",
        CONV,
    ),
    Bug(
        "Dropout drops with probability 1-p",
        N + "layers.py",
        "mask = self._rng(xp).random(x.shape, dtype=np.float32) >= self.p",
        "mask = self._rng(xp).random(x.shape, dtype=np.float32) < self.p",
        DROP,
    ),
    Bug(
        "BatchNorm running_mean with Keras' momentum convention",
        N + "layers.py",
        "(1.0 - mom) * rm + mom * mu.astype(rm.dtype)",
        "mom * rm + (1.0 - mom) * mu.astype(rm.dtype)",
        BN,
    ),
    Bug(
        "BCEWithLogits forward in the overflowing form",
        N + "losses.py",
        "elementwise = xp.maximum(pred, 0) - pred * y + xp.log1p(xp.exp(-xp.abs(pred)))",
        "elementwise = xp.log1p(xp.exp(pred)) - pred * y",
        LOSS,
    ),
    Bug(
        "clip_grad_norm by the largest square, not the L2 norm",
        N + "clipping.py",
        "s = (p.grad * p.grad).sum()",
        "s = (p.grad * p.grad).max()",
        OPT,
    ),
    Bug(
        "optimizer load_state_dict drops the step count",
        N + "optim.py",
        "self.t = int(step)",
        "self.t = 0",
        CKPT,
    ),
    Bug(
        "xavier init with std 1/n, not 1/√n",
        N + "init.py",
        "normal(0.0, math.sqrt(1.0 / n), size=shape)",
        "normal(0.0, 1.0 / n, size=shape)",
        INIT,
    ),
    # ---- FID
    Bug(
        "FID biased covariance",
        "minigan/metrics/fid.py",
        "np.cov(f, rowvar=False)",
        "np.cov(f, rowvar=False, bias=True)",
        FID,
    ),
    Bug(
        "FID Tr√(Σ₁Σ₂) as √Tr",
        "minigan/metrics/fid.py",
        "tr_sqrt = float(np.sqrt(lam).sum())",
        "tr_sqrt = float(np.sqrt(lam.sum()))",
        FID,
    ),
]


def check_patterns(root: Path, bugs: list[Bug]) -> None:
    """Stop (exit status 2) naming every bug whose old text does not occur exactly once."""
    bad = []
    for b in bugs:
        path = root / b.file
        if not path.is_file():
            bad.append(f"{b.name}: {b.file} does not exist")
            continue
        n = path.read_text(encoding="utf-8").count(b.old)
        if n != 1:
            bad.append(f"{b.name}: the old text occurs {n} times in {b.file} (must be exactly once): {b.old!r}")
    if bad:
        sys.exit("plant_bugs: the mutations no longer match the code:\n  " + "\n  ".join(bad))


def _env(copy: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(copy), PYTHONDONTWRITEBYTECODE="1", MPLBACKEND="Agg")
    env.pop("MINIGAN_FUZZ_EXAMPLES", None)
    return env


def run_gradcheck(copy: Path) -> tuple[bool, str]:
    """``python -m minigan.gradcheck`` on the copy: (failed, the failing cases)."""
    r = subprocess.run(
        [sys.executable, "-m", "minigan.gradcheck", "--wide"],
        cwd=copy,
        env=_env(copy),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    if r.returncode not in (0, 1):
        raise RuntimeError(f"python -m minigan.gradcheck exited {r.returncode}:\n{r.stderr[-2000:]}")
    failed, case, w = [], "", None
    for line in r.stdout.splitlines():
        if w is None and line.startswith("layer"):
            w = line.index("gradient")  # --wide: every case name fits its column
        elif w is not None and line.endswith(("PASS", "FAIL")):
            case = line[:w].strip() or case  # a case's later rows leave the name blank
            if line.endswith("FAIL") and case not in failed:
                failed.append(case)
    return r.returncode == 1, f"{len(failed)} FAIL: {', '.join(failed)}" if failed else ""


def run_tests(copy: Path, args: tuple[str, ...]) -> tuple[bool, str]:
    """``python -m pytest -x`` on the copy: (failed, the first failing test)."""
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-rfE", "-p", "no:cacheprovider", *args],
        cwd=copy,
        env=_env(copy),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    if r.returncode not in (0, 1):
        raise RuntimeError(f"pytest {' '.join(args)} exited {r.returncode}:\n{(r.stdout + r.stderr)[-3000:]}")
    first = re.search(r"^(?:FAILED|ERROR) (\S+)", r.stdout, re.M)
    return r.returncode == 1, (first.group(1) if first else "")


def make_copy(dest: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis", ".pytest_cache")
    for name in COPIED:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=ignore)
        else:
            shutil.copy2(src, dest / name)
    return dest


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-k", "--filter", default=None, help="only the bugs whose name contains this text")
    parser.add_argument("--list", action="store_true", help="list the bugs and exit")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy (its path is printed)")
    args = parser.parse_args(argv)
    check_patterns(ROOT, BUGS)
    bugs = [b for b in BUGS if args.filter is None or args.filter.lower() in b.name.lower()]
    if args.list:
        for b in bugs:
            print(f"{b.name}\n    {b.file}: {b.old!r} -> {b.new!r}\n    tests: {' '.join(b.tests)}")
        return 0
    if not bugs:
        print(f"no bug matches {args.filter!r}", file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="minigan-plant-"))
    t0 = time.perf_counter()
    try:
        copy = make_copy(tmp)
        # the unmutated copy must pass everything, or a "caught" means nothing
        failed, what = run_gradcheck(copy)
        if failed:
            sys.exit(f"plant_bugs: the unmutated gradient check fails: {what}")
        for sel in dict.fromkeys(b.tests for b in bugs):
            failed, what = run_tests(copy, sel)
            if failed:
                sys.exit(f"plant_bugs: the unmutated copy fails {' '.join(sel)}: {what}")
        print(f"baseline: the unmutated copy passes every selection ({time.perf_counter() - t0:.0f} s)", flush=True)
        rows = []
        for i, b in enumerate(bugs, 1):
            path = copy / b.file
            original = path.read_text(encoding="utf-8")
            path.write_text(original.replace(b.old, b.new, 1), encoding="utf-8")
            try:
                gc_failed, gc_what = run_gradcheck(copy)
                t_failed, t_what = run_tests(copy, b.tests)
            finally:
                path.write_text(original, encoding="utf-8")
            caught = gc_failed or t_failed
            rows.append((b, caught, gc_what if gc_failed else "", t_what if t_failed else ""))
            print(
                f"[{i}/{len(bugs)}] {'caught' if caught else 'MISSED'}: {b.name}",
                file=sys.stderr,
                flush=True,
            )
    finally:
        if args.keep:
            print(f"copy kept in {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    w_bug, w_gc = 48, 34
    print(f"\n{'bug':<{w_bug}} {'gradcheck':<{w_gc}} {'tests (first failure)':<60} result")
    print("-" * (w_bug + w_gc + 70))
    for b, caught, gc_what, t_what in rows:
        print(
            f"{_short(b.name, w_bug):<{w_bug}} {_short(gc_what or '-', w_gc):<{w_gc}} "
            f"{_short(t_what or '-', 60):<60} {'caught' if caught else 'MISSED'}"
        )
    n_caught = sum(r[1] for r in rows)
    print("-" * (w_bug + w_gc + 70))
    print(
        f"score: {n_caught}/{len(rows)} planted bugs caught ({100 * n_caught / len(rows):.0f}%), "
        f"{time.perf_counter() - t0:.0f} s"
    )
    return 0 if n_caught == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
