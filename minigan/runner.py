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

Ctrl-C at any moment (:class:`CtrlC`, installed by :func:`exit_code`): before the run's state
exists it stops at once (nothing was trained or saved); once a run exists (a
:class:`RunCallbacks`) it asks the run to stop at the next safe point (after the step-0 grid,
after the current step, after a save), which saves one consistent checkpoint, then exits 130
with one line; after the final checkpoint it stops at once again (the checkpoint is kept). A
second Ctrl-C stops at once, whatever is running: a save in progress is abandoned atomically,
so the previous checkpoint stays. Never a traceback.

One writer per run folder (:func:`lock_out`): the folder's lock (``RUN/.lock``,
:class:`minigan.files.lock.RunLock`) is taken before anything in it is read or written; a second
run with the same ``--out``, or a ``--resume`` of a run in progress, is refused (exit 2) naming
the pid that holds it.

``--fast`` runs live under ``<root>/fast/`` (:func:`runs_root`), so that a bare ``--resume``
of a real run never picks a toy one.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import signal
import sys
import time
from typing import Callable

from . import argtypes, backend, blas, metrics, viz
from .checkpoint.meta import CheckpointError
from .checks import DataError
from .files.atomic import atomic_write, sigint_point
from .files.lock import LOCK_NAME, FolderBusy, RunLock
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
    "Interrupted",
    "CtrlC",
    "sigint_point",
    "runs_root",
    "lock_out",
    "use_device",
    "total_steps",
    "RUN_FILES",
    "new_run_dir",
    "newest_checkpoint",
    "resume_path",
    "choose_out",
    "check_out",
    "prepare_out",
    "check_job",
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


def runs_root(root: str, fast: bool) -> str:
    """Where a script's runs go: ``root``, or ``root/fast`` for a ``--fast`` run, so that a
    later bare ``--resume`` of a real run never picks a toy run (and ``--fast --resume`` finds
    the newest toy run)."""
    return os.path.join(root, "fast") if fast else root


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
    """``--threads``: ``"auto"`` or a count >= 1 (:func:`check_run_options` caps it at the cores)."""
    if text.strip().lower() == "auto":
        return "auto"
    try:
        int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected auto or a number of threads, got {text!r}") from None
    return argtypes.positive_int(text)


def resolve_threads(requested: int | str) -> tuple[int, str]:
    """``(count, note)`` for ``--threads``: a number as it is (note ``""``), ``"auto"`` as
    :func:`minigan.blas.choose_threads` decides now, with a note for the run's header saying so
    (``" (--threads auto: load average 0.31 on 2 cores)"``)."""
    if requested != "auto":
        return int(requested), ""
    n, cores = blas.choose_threads(), blas.available_cores()
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
        p.add_argument(
            "--threads",
            type=threads_option,
            default="auto",
            help=(threads_help or THREADS_HELP) + "; at most the CPU cores this process may use",
        )
    else:
        p.add_argument(
            "--threads",
            type=argtypes.positive_int,
            default=1,
            help=(threads_help or THREADS_HELP) + "; at most the CPU cores this process may use",
        )
    p.add_argument("--device", choices=list(devices), default=devices[0], help=device_help)
    p.add_argument(
        "--sample-every",
        type=argtypes.positive_int,
        default=None,
        metavar="N",
        help=f"steps between sample grids (default: {sample_every})",
    )
    p.add_argument(
        "--checkpoint-every",
        type=argtypes.positive_int,
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
    p.add_argument(
        "--fast",
        action="store_true",
        help=f"a tiny run (a few seconds) for tests, in its own folder under {root}/fast/ (a bare --resume of a "
        "real run never picks it); values given on the command line are kept; also MINIGAN_FAST=1",
    )


def check_run_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """After parsing: ``--fast`` from the environment too, counts >= 1, not both ``--resume``
    and ``--overwrite``, and ``--threads`` capped at the CPU cores this process may use
    (:func:`minigan.blas.cap_threads`, one warning line when capped)."""
    args.fast = is_fast(args.fast)
    check_at_least_one(parser, args, ("sample_every", "checkpoint_every"))
    if args.resume is not None and args.overwrite:
        parser.error("--resume continues a run in its folder; --overwrite starts a new one there: choose one")
    if args.threads != "auto":
        check_at_least_one(parser, args, ("threads",))
        args.threads, warning = blas.cap_threads(args.threads)
        if warning:
            say(warning)


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, with the one line :func:`exit_code` says (what was saved, what was not)."""


class CtrlC:
    """The SIGINT handler of one run of a script (:func:`exit_code` installs it).

    - No run yet (:attr:`run` None: parsing, loading data, building the models): stop at once,
      :attr:`idle` says why nothing is lost.
    - A run (a :class:`RunCallbacks` registers itself when it is made): the first Ctrl-C only sets
      :attr:`pending` and asks the GAN to stop; :func:`train` saves one checkpoint at the next safe
      point and exits 130. It never interrupts a step or a save half-way.
    - A second Ctrl-C: stop at once, even in the middle of a save (whose temporary file is
      removed: the previous checkpoint stays); the line says which checkpoint is intact.

    Nothing is printed inside the handler (a print there can collide with one it interrupted).
    """

    def __init__(self) -> None:
        self.run: RunCallbacks | None = None
        self.pending = False
        self.idle = "interrupted before training started: nothing was trained or saved"

    def __call__(self, signum, frame) -> None:
        run = self.run
        if run is None:
            raise Interrupted(self.idle)
        if self.pending:
            raise Interrupted(f"interrupted again: stopped at once without saving; {run.saved_text()}")
        self.pending = True
        run.gan.request_stop()


_CTRL_C: list[CtrlC] = []  # the handler of the run in progress (exit_code's), if any


def _ctrl_c() -> CtrlC | None:
    return _CTRL_C[-1] if _CTRL_C else None


def exit_code(main: Callable[[], int]) -> int:
    """``main()``, with minigan's errors turned into the exit codes of this module's docstring
    and one ``error: ...`` line instead of a traceback; Ctrl-C handled by a :class:`CtrlC` (one
    line, exit 130) where SIGINT is Python's default (not where it is ignored, as in the
    worker processes of examples/train_ddp.py); the run folder's lock (:func:`lock_out`)
    released at the end."""
    handler = CtrlC()
    old = None
    try:
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            old = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not in the main thread
        old = None
    _CTRL_C.append(handler)
    try:
        return main()
    except (NonFiniteLossError, NonFiniteStateError) as exc:
        say(f"error: {exc}")
        return EXIT_DIVERGED
    except (Refuse, OSError, CheckpointError, DataError) as exc:
        say(f"error: {exc}")
        return EXIT_REFUSED
    except KeyboardInterrupt as exc:  # Interrupted says what was kept; a bare one (no handler) less
        say(str(exc) if isinstance(exc, Interrupted) else "interrupted")
        return EXIT_INTERRUPTED
    finally:
        _CTRL_C.remove(handler)
        for lock in _LOCKS:
            lock.release()
            lock.remove_if_empty()  # a folder this run created and left empty (refused, or interrupted early)
        _LOCKS.clear()
        if old is not None:
            signal.signal(signal.SIGINT, old)


_LOCKS: list[RunLock] = []


def lock_out(out: str) -> None:
    """Take ``out``'s lock (creating the folder) for the rest of this run, before anything in it is
    read or written: :class:`Refuse` (exit 2) naming the holder's pid when another live run holds
    it; a lock file left by a run that was killed is taken over, with one line. Released by
    :func:`exit_code` (and removed, with ``out`` itself if this run created it and left it
    empty)."""
    if os.path.exists(out) and not os.path.isdir(out):
        raise Refuse(f"--out {out} is a file, not a folder")
    lock = RunLock(out)
    try:
        lock.acquire()
    except FolderBusy as exc:
        raise Refuse(f"--out {exc}") from None
    except OSError as exc:
        raise Refuse(f"cannot lock the run folder {out}: {exc.strerror or exc}") from None
    _LOCKS.append(lock)
    if lock.took_over is not None:
        say(f"note: {out} was locked by process {lock.took_over}, which is no longer running; lock taken over")
    sigint_point("setup")


def use_device(device: str) -> None:
    """Refuse a device that cannot run here (``--device gpu`` without CuPy or a GPU)."""
    try:
        backend.get_backend(device)
    except backend.DeviceError as exc:
        raise Refuse(str(exc)) from None


def total_steps(epochs: float | None, steps: int | None, per_epoch: int, default: int) -> int:
    """Generator steps to train to: ``round(epochs × per_epoch)`` (at least 1), else ``steps``,
    else ``default``. More than :data:`minigan.argtypes.MAX_INT` steps is refused (one line)."""
    if epochs is not None:
        n = epochs * per_epoch
        if not n <= argtypes.MAX_INT:  # also inf and nan
            raise Refuse(f"--epochs {epochs:g} makes more than {argtypes.MAX_INT:,} steps")
        return max(1, round(n))
    return steps if steps is not None else default


# ---------------------------------------------------------------------------- the run's folder
#: The files a run writes in its folder (``--overwrite`` removes these, nothing else).
RUN_FILES = (
    "samples_step_*.png",
    "losses.png",
    "progress.gif",
    "checkpoint.npz",
    "checkpoint_ema.npz",
    "checkpoint_ema_prev.npz",
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
    path = os.path.join(path, "checkpoint.npz") if os.path.isdir(path) else path
    if not os.path.lexists(path):  # before its folder is locked (and so created)
        raise Refuse(f"cannot resume: checkpoint {path} does not exist")
    return path


def choose_out(args, root: str) -> str | None:
    """Settle ``args.out`` and take its lock (:func:`lock_out`) before anything is loaded: with
    ``--resume``, the checkpoint's folder (unless ``--out`` names one) and return the
    checkpoint's path (:func:`resume_path`); for a new run, a fresh folder under ``root`` (under
    ``root/fast`` with ``--fast``: :func:`runs_root`) named after ``args.model`` (unless
    ``--out``), checked with :func:`check_out`, and return None."""
    root = runs_root(root, getattr(args, "fast", False))
    if args.resume is not None:
        path = resume_path(args.resume, args.out, root)
        if args.out is None:
            args.out = os.path.dirname(os.path.abspath(path))
        lock_out(args.out)
        return path
    if args.out is None:
        args.out = new_run_dir(root, args.model)
    lock_out(args.out)
    check_out(args.out, args.overwrite, root)
    return None


def check_out(out: str, overwrite: bool, root: str) -> None:
    """Refuse a new run's ``--out`` before anything is loaded or trained: a file, or a non-empty
    folder without ``overwrite`` (by default each run gets a fresh folder under ``root``). The
    folder's own lock file (:func:`lock_out`) does not count."""
    if os.path.exists(out) and not os.path.isdir(out):
        raise Refuse(f"--out {out} is a file, not a folder")
    if os.path.isdir(out) and [f for f in os.listdir(out) if f != LOCK_NAME] and not overwrite:
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


def check_job(path: str, extra: dict, job: str, program: str) -> None:
    """Refuse (:class:`Refuse`, exit 2) to resume a checkpoint that another family of scripts
    wrote: ``extra["job"]`` (:attr:`RunCallbacks.job`) must be ``job`` when it is there
    (checkpoints from before it have none: their settings are checked instead)."""
    saved = extra.get("job") if isinstance(extra, dict) else None
    if saved is not None and saved != job:
        names = {
            "mnist_gan": "minigan-train",
            "mnist_cgan": "examples/mnist_cgan.py",
            "image_gan": "examples/image_gan.py",
        }
        raise Refuse(
            f"cannot resume: {path} is a run of {names.get(str(saved), repr(saved))[:60]}, not of {program}; "
            f"resume it with that program"
        )


class RunCallbacks:
    """One run's progress: the bar, and every ``sample_every`` steps a grid and the loss plot,
    every ``checkpoint_every`` steps a checkpoint (the final ones are :func:`train`'s).

    A script subclasses it, writes :meth:`sample_grid` and :meth:`extra` (what its checkpoint
    records) and sets :attr:`plot_title`; :meth:`callback` is what ``GAN.fit`` calls after every
    step. Making one registers it with the run's Ctrl-C handler (:class:`CtrlC`): from then on a
    Ctrl-C saves a checkpoint of this run before the script exits 130.
    """

    #: What the checkpoint's ``extra["job"]`` says: the family of scripts that can resume it
    #: (minigan-train and examples/train_ddp.py share one; :func:`check_job`).
    job = "mnist_gan"

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
        #: the step of the newest complete checkpoint in :attr:`ckpt` (None: there is none yet)
        self.saved_step: int | None = start if start > 0 and os.path.exists(self.ckpt) else None
        self.bar = viz.ProgressBar(total, desc=desc, initial=min(start, total))
        self.a, self.hyper = args, tuple(hyper)
        self.grid_log: list[dict] = []  # one entry per sample grid, recorded in the checkpoint
        self.metrics, self.classifier = None, None
        if evaluate:  # the MNIST scripts score their grids with the bundled classifier
            self.metrics = metrics
            self.classifier = metrics.load_classifier()
        ctl = _ctrl_c()
        if ctl is not None:
            ctl.run = self  # from here on, a Ctrl-C saves this run first

    #: The title of ``losses.png``.
    plot_title = "losses (document 001 Fig. 41)"

    def sample_grid(self) -> str | None:  # pragma: no cover - every script defines its own
        raise NotImplementedError

    def first_grid(self):
        """The step-0 grid (the untrained generator, the GIF's first frame): :meth:`sample_grid`."""
        sigint_point("grid0")
        return self.sample_grid()

    def settings(self) -> dict:
        """The run's settings as its checkpoint records them: the arguments named in ``hyper``,
        the data and the total of steps (a script adds its own, e.g. the recipe)."""
        if self.a is None:
            return {}
        out = {k: getattr(self.a, k) for k in self.hyper}
        out.update(data=self.a.data, steps=self.total)
        return out

    def extra(self) -> dict:
        """The script's metadata for the checkpoint: its job, settings and grid log."""
        return {"job": self.job, "args": self.settings(), "grids": self.grid_log}

    def save_checkpoint(self) -> None:
        """Write the checkpoint (a script may write more files: an average of G's weights)."""
        self.gan.save(self.ckpt, extra=self.extra())

    def checkpoint(self) -> None:
        """:meth:`save_checkpoint`, then remember its step (what a second Ctrl-C leaves intact)."""
        sigint_point("save")
        self.save_checkpoint()
        self.saved_step = self.gan.step

    def saved_text(self) -> str:
        """What is on disk, for the line a Ctrl-C prints."""
        if self.saved_step is None:
            return f"no checkpoint was saved in {self.out}"
        return f"the last checkpoint, step {self.saved_step} in {self.ckpt}, is intact"

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
        step = gan.step
        sigint_point(f"step:{step}")
        self.bar.update(1, **{k: v for k, v in gan.latest.items() if k in ("d_real", "d_fake", "g")})
        ctl = _ctrl_c()
        if ctl is not None and ctl.pending:  # Ctrl-C: stop after this step (train() saves)
            gan.request_stop()
            return
        if step % self.sample_every == 0 and step < self.total:
            self.sample_grid()
            self.plot()
        if step % self.checkpoint_every == 0 and step < self.total:
            self.checkpoint()
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
    written, one line saying so and, if steps remain, ``resume_hint``), else ``(None, seconds)``
    after one line of the time per step, the final sample grid, loss plot and checkpoint; from
    then on a Ctrl-C stops at once (the checkpoint is complete).
    A diverged run raises (:func:`exit_code` makes it exit 3); the bar is closed either way.
    """
    ctl = _ctrl_c()
    pending = lambda: ctl is not None and ctl.pending
    t0 = time.perf_counter()
    status = "stopped" if pending() else None  # Ctrl-C before the first step (the step-0 grid)
    try:
        if status is None:
            status = fit(run.callback)
    finally:
        run.bar.close()
    elapsed = time.perf_counter() - t0
    step = run.gan.step
    if status == "stopped" or pending():
        run.checkpoint()
        run.plot()
        if step < run.total:
            say(f"interrupted at step {step}; checkpoint saved to {run.ckpt}. Continue with: {resume_hint}")
        else:
            say(
                f"interrupted after the last step ({step}); checkpoint saved to {run.ckpt}; the final grid, "
                f"metrics.json and progress.gif were not written"
            )
        return EXIT_INTERRUPTED, elapsed
    trained = step - run.start
    if trained:
        say(f"trained {trained} steps in {elapsed:.1f} s ({1000 * elapsed / trained:.1f} ms/step)")
    run.sample_grid()  # the last grid, the whole loss curve, the final checkpoint
    run.plot()
    run.checkpoint()
    if pending():
        say(
            f"interrupted after the last step ({step}); checkpoint saved to {run.ckpt}; metrics.json and "
            f"progress.gif were not written"
        )
        return EXIT_INTERRUPTED, elapsed
    if ctl is not None:  # the state is saved: from here a Ctrl-C stops at once
        ctl.run = None
        ctl.idle = (
            f"interrupted after training: the checkpoint of step {step} is saved in {run.ckpt}; "
            f"the final metrics were not finished (metrics.json, progress.gif may be missing)"
        )
    sigint_point("eval")
    return None, elapsed


def finish(out: str, result: dict, also: str = "") -> int:
    """The end of a run: ``progress.gif`` from the sample grids, ``metrics.json`` from ``result``
    (each written atomically), and one line listing what is in ``out`` (``also``: the script's
    other files). Returns 0."""
    frames = sorted(glob.glob(os.path.join(out, "samples_step_*.png")))
    viz.make_gif(frames, os.path.join(out, "progress.gif"), duration_ms=300)
    text = json.dumps(result, indent=2).encode("utf-8")
    atomic_write(os.path.join(out, "metrics.json"), lambda fh: fh.write(text), "write")
    print(
        f"wrote {out}/: samples_step_*.png ({len(frames)}), losses.png, progress.gif, checkpoint.npz, "
        f"{also + ', ' if also else ''}metrics.json"
    )
    return 0
