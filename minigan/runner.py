"""What every training script shares: options, exit codes, Ctrl-C, progress, the end of a run.

``minigan-train`` (:mod:`minigan.train`), ``examples/mnist_cgan.py`` and
``examples/image_gan.py`` have one shape: parse and check the options, refuse what cannot work
in one line, build a GAN, train it with a progress bar that writes a sample grid, the loss curves
and a checkpoint every so often, stop cleanly on Ctrl-C, and end with a GIF of the grids and a
``metrics.json``. This module is that shape; each script keeps only what is its own (its models,
data, grids and metrics).

Exit status, the same for every script:

- 0: done;
- 2 (:data:`EXIT_REFUSED`): a bad argument, data, checkpoint, device or output folder, or an OS
  error such as a full disk (one line naming the path);
- 3 (:data:`EXIT_DIVERGED`): the run diverged, a loss, parameter or optimizer state became
  NaN/inf (the message names the step and the array; the last checkpoint is kept);
- 130 (:data:`EXIT_INTERRUPTED`): Ctrl-C; the checkpoint was saved first.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import signal
import sys
import time
from contextlib import contextmanager
from typing import Callable

from . import backend, blas, metrics, viz
from .checkpoint.meta import CheckpointError
from .checks import DataError
from .gan.history import NonFiniteLossError, NonFiniteStateError

__all__ = [
    "add_run_options",
    "check_run_options",
    "EXIT_REFUSED",
    "EXIT_DIVERGED",
    "EXIT_INTERRUPTED",
    "HelpFormatter",
    "Refuse",
    "say",
    "is_fast",
    "check_at_least_one",
    "threads_option",
    "resolve_threads",
    "exit_code",
    "use_device",
    "total_steps",
    "RUN_FILES",
    "new_run_dir",
    "newest_checkpoint",
    "resume_path",
    "choose_out",
    "check_out",
    "prepare_out",
    "ctrl_c_stops",
    "RunCallbacks",
    "train",
    "finish",
]

EXIT_REFUSED, EXIT_DIVERGED, EXIT_INTERRUPTED = 2, 3, 130


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """``--help`` that shows "(default: X)" only where there is a default worth showing (not
    None or False, and not when the help text already says what the default is)."""

    def _get_help_string(self, action):
        if action.default is None or action.default is False or "default" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


class Refuse(Exception):
    """A reason not to train (exit status 2), said in one line."""


def say(msg: str) -> None:
    """A status line on stderr (stdout keeps the results)."""
    print(msg, file=sys.stderr, flush=True)


def is_fast(flag: bool) -> bool:
    """``--fast`` given, or ``MINIGAN_FAST`` set to anything but ``0``: a tiny run for tests."""
    return bool(flag) or os.environ.get("MINIGAN_FAST", "") not in ("", "0")


def check_at_least_one(parser: argparse.ArgumentParser, args: argparse.Namespace, names) -> None:
    """``parser.error`` (exit 2 with the usage) for the first of ``names`` that is set and < 1."""
    for name in names:
        v = getattr(args, name)
        if v is not None and v < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1, got {v}")


THREADS_HELP = (
    "BLAS threads: auto (the default: one per idle core, from the 1-minute load average, chosen again at "
    "every checkpoint; minigan.blas.choose_threads) or a number. On an idle 2-core machine 2 threads make a "
    "step about 1.45x faster, but with other programs busy they made it 2-4x slower (examples/README.md)"
)


def threads_option(text: str) -> int | str:
    """``--threads``: ``"auto"`` or a count (:func:`check_run_options` refuses one below 1)."""
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected auto or a number of threads, got {text!r}") from None


def resolve_threads(requested: int | str) -> tuple[int, str]:
    """``(count, note)`` for ``--threads``: a number as it is (note ``""``), ``"auto"`` as
    :func:`minigan.blas.choose_threads` decides now, with a note for the run's header saying so
    (``" (--threads auto: load average 0.31 on 2 cores)"``)."""
    if requested != "auto":
        return int(requested), ""
    n, cores = blas.choose_threads(), blas.usable_cores()
    try:
        load = f"load average {os.getloadavg()[0]:.2f}"
    except (AttributeError, OSError):
        load = "no load average on this system"
    return n, f" (--threads auto: {load} on {cores} cores)"


def add_run_options(
    parser: argparse.ArgumentParser,
    root: str,
    sample_every: str,
    resume_rule: str,
    devices: tuple[str, ...] = ("cpu", "gpu"),
    device_help: str = "gpu needs CuPy",
    threads_help: str | None = None,
    auto_threads: bool = True,
) -> None:
    """The options every training script has, with the same words: ``--out``, ``--overwrite``,
    ``--threads``, ``--device`` (one of ``devices``, the first the default), ``--sample-every``
    (default: ``sample_every``, e.g. ``"steps / 20"``), ``--checkpoint-every``, ``--resume
    [PATH]`` (``resume_rule``: what must match the checkpoint) and ``--fast``. ``--threads`` is
    ``auto`` by default (:func:`resolve_threads`); with ``auto_threads=False`` it is a number,
    default 1."""
    p = parser
    p.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help=f"output folder (default: a new {root}/<model>-<date>-<time>; with --resume: the checkpoint's folder)",
    )
    p.add_argument(
        "--overwrite", action="store_true", help="reuse a non-empty --out, deleting the files of the run that was there"
    )
    if auto_threads:
        p.add_argument("--threads", type=threads_option, default="auto", help=threads_help or THREADS_HELP)
    else:
        p.add_argument("--threads", type=int, default=1, help=threads_help or THREADS_HELP)
    p.add_argument("--device", choices=list(devices), default=devices[0], help=device_help)
    p.add_argument(
        "--sample-every",
        type=int,
        default=None,
        metavar="N",
        help=f"steps between sample grids (default: {sample_every})",
    )
    p.add_argument(
        "--checkpoint-every",
        type=int,
        default=None,
        metavar="N",
        help="steps between checkpoints (default: as --sample-every)",
    )
    p.add_argument(
        "--resume",
        nargs="?",
        const="",
        default=None,
        metavar="PATH",
        help=f"continue a run: PATH is its folder or checkpoint.npz (default: --out, else the newest "
        f"run under {root}); {resume_rule}",
    )
    p.add_argument("--fast", action="store_true", help="a tiny run (a few seconds) for tests; also MINIGAN_FAST=1")


def check_run_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """After parsing: ``--fast`` from the environment too, counts >= 1, and not both ``--resume``
    and ``--overwrite``."""
    args.fast = is_fast(args.fast)
    check_at_least_one(parser, args, ("sample_every", "checkpoint_every"))
    if args.threads != "auto":
        check_at_least_one(parser, args, ("threads",))
    if args.resume is not None and args.overwrite:
        parser.error("--resume continues a run in its folder; --overwrite starts a new one there: choose one")


def exit_code(main: Callable[[], int]) -> int:
    """``main()``, with minigan's errors turned into the exit codes of this module's docstring
    and one ``error: ...`` line instead of a traceback."""
    try:
        return main()
    except (NonFiniteLossError, NonFiniteStateError) as exc:
        say(f"error: {exc}")
        return EXIT_DIVERGED
    except (Refuse, OSError, CheckpointError, DataError) as exc:
        say(f"error: {exc}")
        return EXIT_REFUSED


def use_device(device: str) -> None:
    """Refuse a device that cannot run here (``--device gpu`` without CuPy or a GPU)."""
    try:
        backend.get_backend(device)
    except backend.DeviceError as exc:
        raise Refuse(str(exc)) from None


def total_steps(epochs: float | None, steps: int | None, per_epoch: int, default: int) -> int:
    """Generator steps to train to: ``round(epochs × per_epoch)`` (at least 1), else ``steps``,
    else ``default``."""
    if epochs is not None:
        return max(1, round(epochs * per_epoch))
    return steps if steps is not None else default


# ---------------------------------------------------------------------------- the run's folder
#: The files a run writes in its folder (``--overwrite`` removes these, nothing else).
RUN_FILES = (
    "samples_step_*.png",
    "losses.png",
    "progress.gif",
    "checkpoint.npz",
    "checkpoint_ema.npz",
    "real_batch.png",
    "metrics.json",
    "G.safetensors",  # examples/train_ddp.py: the weights with PyTorch's names
    "D.safetensors",
)


def new_run_dir(root: str, name: str) -> str:
    """A fresh folder name ``root/<name>-<date>-<time>`` (``-2``, ``-3``, ... if taken)."""
    base = os.path.join(root, f"{name}-{time.strftime('%Y%m%d-%H%M%S')}")
    path, i = base, 2
    while os.path.exists(path):
        path, i = f"{base}-{i}", i + 1
    return path


def newest_checkpoint(root: str) -> str | None:
    """The most recently written ``root/*/checkpoint.npz``, or None."""
    found = glob.glob(os.path.join(root, "*", "checkpoint.npz"))
    return max(found, key=os.path.getmtime) if found else None


def resume_path(resume: str, out: str | None, root: str) -> str:
    """The checkpoint ``--resume [PATH]`` means: PATH (a run folder or its checkpoint.npz), else
    ``--out``'s, else the newest run's under ``root``."""
    path = resume or out
    if not path:
        path = newest_checkpoint(root)
        if path is None:
            raise Refuse(f"--resume: no run under {root} has a checkpoint.npz; pass its folder or file")
    return os.path.join(path, "checkpoint.npz") if os.path.isdir(path) else path


def choose_out(args, root: str) -> str | None:
    """Settle ``args.out`` before anything is loaded: with ``--resume``, the checkpoint's folder
    (unless ``--out`` names one) and return the checkpoint's path (:func:`resume_path`); for a
    new run, a fresh folder under ``root`` named after ``args.model`` (unless ``--out``), checked
    with :func:`check_out`, and return None."""
    if args.resume is not None:
        path = resume_path(args.resume, args.out, root)
        if args.out is None:
            args.out = os.path.dirname(os.path.abspath(path))
        return path
    if args.out is None:
        args.out = new_run_dir(root, args.model)
    check_out(args.out, args.overwrite, root)
    return None


def check_out(out: str, overwrite: bool, root: str) -> None:
    """Refuse a new run's ``--out`` before anything is loaded or trained: a file, or a non-empty
    folder without ``overwrite`` (by default each run gets a fresh folder under ``root``)."""
    if os.path.exists(out) and not os.path.isdir(out):
        raise Refuse(f"--out {out} is a file, not a folder")
    if os.path.isdir(out) and os.listdir(out) and not overwrite:
        raise Refuse(
            f"--out {out} is not empty: pass --resume to continue the run in it, --overwrite to "
            f"replace it, or another folder (by default each run gets its own under {root})"
        )


def prepare_out(out: str, overwrite: bool) -> None:
    """Create ``out``; with ``overwrite``, first remove the files of the run that was there
    (:data:`RUN_FILES`, nothing else), so the new GIF holds the new run's grids only."""
    if overwrite and os.path.isdir(out):
        for pattern in RUN_FILES:
            for f in glob.glob(os.path.join(out, pattern)):
                os.remove(f)
    os.makedirs(out, exist_ok=True)


@contextmanager
def ctrl_c_stops(gan):
    """Inside the block, Ctrl-C asks ``gan`` to stop after its current step
    (:meth:`GAN.request_stop`); a second Ctrl-C interrupts at once. Outside the main thread
    (where Python allows no handler) nothing changes."""

    def on_sigint(signum, frame):
        gan.request_stop()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    try:
        old = signal.signal(signal.SIGINT, on_sigint)
    except ValueError:  # not in the main thread
        old = None
    try:
        yield
    finally:
        if old is not None:
            signal.signal(signal.SIGINT, old)


class RunCallbacks:
    """One run's progress: the bar, and every ``sample_every`` steps a grid and the loss plot,
    every ``checkpoint_every`` steps a checkpoint (the final ones are :func:`train`'s).

    A script subclasses it, writes :meth:`sample_grid` and :meth:`extra` (what its checkpoint
    records) and sets :attr:`plot_title`; :meth:`callback` is what ``GAN.fit`` calls after every
    step.
    """

    def __init__(
        self,
        gan,
        out: str,
        total: int,
        start: int,
        desc: str,
        sample_every: int,
        checkpoint_every: int,
        *,
        args=None,
        hyper: tuple = (),
        evaluate: bool = False,
    ):
        self.gan, self.out, self.total, self.start = gan, out, total, start
        self.sample_every, self.checkpoint_every = sample_every, checkpoint_every
        self.ckpt = os.path.join(out, "checkpoint.npz")
        self.bar = viz.ProgressBar(total, desc=desc, initial=min(start, total))
        self.a, self.hyper = args, tuple(hyper)
        self.grid_log: list[dict] = []  # one entry per sample grid, recorded in the checkpoint
        self.metrics, self.classifier = None, None
        if evaluate:  # the MNIST scripts score their grids with the bundled classifier
            self.metrics = metrics
            self.classifier = metrics.load_classifier()

    #: The title of ``losses.png``.
    plot_title = "losses (document 001 Fig. 41)"

    def sample_grid(self) -> str | None:  # pragma: no cover - every script defines its own
        raise NotImplementedError

    def settings(self) -> dict:
        """The run's settings as its checkpoint records them: the arguments named in ``hyper``,
        the data and the total of steps (a script adds its own, e.g. the recipe)."""
        if self.a is None:
            return {}
        out = {k: getattr(self.a, k) for k in self.hyper}
        out.update(data=self.a.data, steps=self.total)
        return out

    def extra(self) -> dict:
        """The script's metadata for the checkpoint: its settings and its grid log."""
        return {"args": self.settings(), "grids": self.grid_log}

    def save_checkpoint(self) -> None:
        self.gan.save(self.ckpt, extra=self.extra())

    def curves(self, history: dict) -> dict:
        """The loss curves to plot (default: the whole history, :data:`minigan.gan.HISTORY_KEYS`)."""
        return history

    def plot(self) -> None:
        """``losses.png``: the curves of :meth:`curves` (after the first step)."""
        h = self.gan.history
        if h["g"]:
            viz.plot_losses(self.curves(h), os.path.join(self.out, "losses.png"), title=self.plot_title)

    def on_step(self) -> None:
        """Called first after every step (e.g. to update an average of G's weights)."""

    def note(self, line: str) -> None:
        """A status line that does not tear the progress bar."""
        if self.bar.tty:
            self.bar.file.write("\r\x1b[K")
        say(line)

    def callback(self, gan) -> None:
        self.on_step()
        self.bar.update(1, **{k: v for k, v in gan.latest.items() if k in ("d_real", "d_fake", "g")})
        step = gan.step
        if step % self.sample_every == 0 and step < self.total:
            self.sample_grid()
            self.plot()
        if step % self.checkpoint_every == 0 and step < self.total:
            self.save_checkpoint()
            self.recheck_threads()

    def recheck_threads(self) -> None:
        """``--threads auto``: choose the thread count again (:func:`minigan.blas.choose_threads`,
        this run's own threads discounted from the load) and say so when it changes."""
        if self.a is None or getattr(self.a, "threads", None) != "auto":
            return
        now = blas.blas_threads()[0]
        if now is None:
            return
        new = blas.choose_threads(own=now)
        if new != now:
            blas.set_blas_threads(new)
            self.note(f"threads: {now} -> {new} (--threads auto: the load average is now {os.getloadavg()[0]:.2f})")


def train(run: RunCallbacks, fit: Callable[[Callable], str], resume_hint: str) -> tuple[int | None, float]:
    """Run ``fit(callback)`` (a ``GAN.fit`` with its data bound) with Ctrl-C stopping cleanly.

    Returns ``(EXIT_INTERRUPTED, seconds)`` after a Ctrl-C (the checkpoint and the loss plot
    written, ``resume_hint`` said), else ``(None, seconds)`` after one line of the time per step,
    the final sample grid, loss plot and checkpoint.
    A diverged run raises (:func:`exit_code` makes it exit 3); the bar is closed either way.
    """
    t0 = time.perf_counter()
    try:
        with ctrl_c_stops(run.gan):
            status = fit(run.callback)
    finally:
        run.bar.close()
    elapsed = time.perf_counter() - t0
    if status == "stopped":
        run.save_checkpoint()
        run.plot()
        say(f"interrupted at step {run.gan.step}; checkpoint saved to {run.ckpt}. Continue with: {resume_hint}")
        return EXIT_INTERRUPTED, elapsed
    trained = run.gan.step - run.start
    if trained:
        say(f"trained {trained} steps in {elapsed:.1f} s ({1000 * elapsed / trained:.1f} ms/step)")
    run.sample_grid()  # the last grid, the whole loss curve, the final checkpoint
    run.plot()
    run.save_checkpoint()
    return None, elapsed


def finish(out: str, result: dict, also: str = "") -> int:
    """The end of a run: ``progress.gif`` from the sample grids, ``metrics.json`` from ``result``,
    and one line listing what is in ``out`` (``also``: the script's other files). Returns 0."""
    frames = sorted(glob.glob(os.path.join(out, "samples_step_*.png")))
    viz.make_gif(frames, os.path.join(out, "progress.gif"), duration_ms=300)
    with open(os.path.join(out, "metrics.json"), "w") as fh:
        json.dump(result, fh, indent=2)
    print(
        f"wrote {out}/: samples_step_*.png ({len(frames)}), losses.png, progress.gif, checkpoint.npz, "
        f"{also + ', ' if also else ''}metrics.json"
    )
    return 0
