"""Build the course website: every lesson executed as a notebook, rendered by Sphinx + MyST-NB.

    pip install -e ".[docs]"
    python docs/build_site.py            # full mode (what a student gets from `python lessons/NN.py`)
    python docs/build_site.py --fast     # MINIGAN_FAST=1: a few seconds per lesson (the test suite)

Steps: (1) stage a Sphinx source folder (``build/site-src/``): ``docs/index.md`` (the course's
front page) as the home page, ``lessons/README.md`` (the list of lessons, its links pointing at
the lesson pages), ``docs/teaching.md`` (teaching with minigan, after the lessons), the
example's sample grid, a packaged MathJax, and ``conf.py`` from this folder; (2) turn each
``lessons/NN_*.py`` into a notebook with jupytext and execute it with nbclient in an ipykernel
started in ``lessons/`` (so ``import _course`` works as in Jupyter), timing each one; the
executed notebook and the script are offered for download on the lesson's page; (3)
``sphinx-build -b html`` into ``build/site/`` (MyST-NB renders the stored outputs and executes
nothing). Open ``build/site/index.html``, or serve the folder with ``python -m http.server -d
build/site``. Nothing is fetched from a network at build or at reading time.

Exit status 1 if a lesson raises (its traceback is printed) or Sphinx fails.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
LESSONS_DIR = ROOT / "lessons"


def lessons(only: str | None = None) -> list[Path]:
    found = sorted(LESSONS_DIR.glob("[0-9][0-9]_*.py"))
    if only:
        wanted = {w.strip() for w in only.split(",")}
        found = [p for p in found if p.name[:2] in wanted or p.stem in wanted]
    return found


def stage_pages(src: Path, lesson_paths: list[Path]) -> None:
    """The front page (docs/index.md + the table of contents), the list of lessons, the
    instructors' page (docs/teaching.md, after the lessons), images, MathJax."""
    front = (DOCS / "index.md").read_text(encoding="utf-8")
    toc = "\n".join(
        [
            "",
            "",
            "```{toctree}",
            ":caption: The course",
            ":maxdepth: 1",
            ":hidden:",
            "",
            "lessons/README",
            *[f"lessons/{p.stem}" for p in lesson_paths],
            "```",
            "",
            "```{toctree}",
            ":caption: For instructors",
            ":maxdepth: 1",
            ":hidden:",
            "",
            "teaching",
            "```",
            "",
        ]
    )
    (src / "index.md").write_text(front + toc, encoding="utf-8")
    shutil.copy2(DOCS / "teaching.md", src / "teaching.md")  # the class workflow, after the lessons
    (src / "lessons" / "files").mkdir(parents=True, exist_ok=True)
    # The list of lessons links each file (lessons/NN_name.py on a repository browser); on the
    # site the link goes to the lesson's page instead.
    readme = (LESSONS_DIR / "README.md").read_text(encoding="utf-8")
    readme = re.sub(r"\]\((\d\d_[a-z0-9_]+)\.py\)", r"](\1.ipynb)", readme)
    (src / "lessons" / "README.md").write_text(readme, encoding="utf-8")
    shutil.copy2(LESSONS_DIR / "_course.py", src / "lessons" / "files" / "_course.py")
    for png in DOCS.glob("*.png"):
        shutil.copy2(png, src / png.name)
    shutil.copy2(DOCS / "conf.py", src / "conf.py")
    import matplotlib.image as mpimg  # a favicon: one generated digit from the sample grid

    grid = mpimg.imread(DOCS / "mnist_gan_samples.png")
    h, w = grid.shape[:2]
    s = min(h, w) // 20
    mpimg.imsave(src / "favicon.png", grid[h // 2 - s : h // 2 + s, w // 2 - s : w // 2 + s])
    import jupyter_server_mathjax  # MathJax 2.7 as a Python package: served from the site itself

    shutil.copytree(Path(jupyter_server_mathjax.__file__).parent / "static", src / "_mathjax" / "mathjax")


def _children_cpu_seconds() -> float:
    """CPU time of this process's finished children (a lesson's kernel, once shut down)."""
    try:
        import resource
    except ImportError:  # Windows
        return float("nan")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def execute_lesson(lesson: Path, src: Path, fast: bool, timeout: int, ipc_dir: str) -> tuple[float, float, str | None]:
    """Execute one lesson as a notebook; write the page's notebook and the downloads.

    Returns (wall seconds, the kernel's CPU seconds, error message or None).
    """
    import jupytext
    import nbclient
    import nbformat
    from jupyter_client.manager import AsyncKernelManager

    nb = jupytext.read(lesson)

    # The kernel talks to nbclient over local IPC sockets rather than TCP: nothing listens on a
    # port, and ipykernel has no reason to warn that TCP traffic is unencrypted.
    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.transport = "ipc"
            self.ip = str(Path(ipc_dir) / lesson.stem)  # an absolute path for the sockets

    client = nbclient.NotebookClient(
        nb,
        kernel_manager_class=IPCKernelManager,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(LESSONS_DIR)}},
    )
    t0, cpu0 = time.perf_counter(), _children_cpu_seconds()
    error = None
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as exc:
        error = str(exc)
    except nbclient.exceptions.CellTimeoutError as exc:
        error = f"a cell ran past {timeout} s: {exc}"
    seconds = time.perf_counter() - t0
    cpu = _children_cpu_seconds() - cpu0
    files = src / "lessons" / "files"
    files.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, files / f"{lesson.stem}.ipynb")
    shutil.copy2(lesson, files / lesson.name)
    mode = "fast mode (`MINIGAN_FAST=1`)" if fast else "full mode"
    text = (
        f"**Download:** {{download}}`notebook (executed) <files/{lesson.stem}.ipynb>` · "
        f"{{download}}`script <files/{lesson.name}>` · {{download}}`_course.py <files/_course.py>` "
        f"(the lessons' figure helper: keep it in the same folder). To run the lesson, see "
        f"[the list of lessons](README.md). This page was executed in {mode} in {seconds:.1f} s."
    )
    if fast:
        text += (
            "\n\n```{warning}\nThis page was executed in fast mode: smaller data and fewer steps, so "
            "its numbers and figures differ from the ones the text quotes. Run the lesson without "
            "`MINIGAN_FAST` for the full version.\n```"
        )
    note = nbformat.v4.new_markdown_cell(text)
    title_at = next((i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"), 0)
    nb.cells.insert(title_at + 1, note)
    nbformat.write(nb, src / "lessons" / f"{lesson.stem}.ipynb")
    return seconds, cpu, error


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fast", action="store_true", help="execute the lessons with MINIGAN_FAST=1")
    ap.add_argument("--out", default=str(ROOT / "build" / "site"), help="the website folder (default build/site)")
    ap.add_argument("--src", default=None, help="the staged Sphinx sources (default: <out>-src)")
    ap.add_argument("--lessons", default=None, help="only these lessons, e.g. 01,02 (a partial site)")
    ap.add_argument("--timeout", type=int, default=900, help="seconds one cell may run (default 900)")
    args = ap.parse_args(argv)

    out = Path(args.out).resolve()
    src = Path(args.src).resolve() if args.src else out.with_name(out.name + "-src")
    lesson_paths = lessons(args.lessons)
    if not lesson_paths:
        ap.error(f"no lesson matches {args.lessons!r}")
    for d in (src, out):
        if d.exists():
            shutil.rmtree(d)
    src.mkdir(parents=True)
    stage_pages(src, lesson_paths)

    # The kernels inherit this environment: this checkout's minigan, the mode, where figures go.
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p])
    os.environ["MINIGAN_LESSON_OUT"] = str(src / "_figures")
    os.environ.pop("MPLBACKEND", None)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        # The lessons' products are small: one BLAS thread is faster on a busy machine (a
        # 2-thread BLAS spins; measured in tests/test_lessons.py). Set them to override.
        os.environ.setdefault(var, "1")
    if args.fast:
        os.environ["MINIGAN_FAST"] = "1"
    else:
        os.environ.pop("MINIGAN_FAST", None)

    mode = "fast" if args.fast else "full"
    print(f"executing {len(lesson_paths)} lessons as notebooks ({mode} mode)", flush=True)
    print(f"  {'lesson':<28} {'wall':>9} {'kernel CPU':>11}   (CPU time: what a busy machine's wall time hides)")
    timings, failed = {}, {}
    ipc = tempfile.TemporaryDirectory(prefix="minigan-kernels-")  # the kernels' IPC sockets
    for lesson in lesson_paths:
        seconds, cpu, error = execute_lesson(lesson, src, args.fast, args.timeout, ipc.name)
        timings[lesson.stem] = {"wall_s": round(seconds, 1), "cpu_s": round(cpu, 1)}
        print(f"  {lesson.stem:<28} {seconds:7.1f} s {cpu:9.1f} s{'   FAILED' if error else ''}", flush=True)
        if error:
            failed[lesson.stem] = error
    print(
        f"  {'total':<28} {sum(v['wall_s'] for v in timings.values()):7.1f} s "
        f"{sum(v['cpu_s'] for v in timings.values()):9.1f} s",
        flush=True,
    )
    ipc.cleanup()
    for stem, error in failed.items():
        print(f"\n{stem} raised:\n{error[-4000:]}", file=sys.stderr)
    if failed:
        print(f"FAILED: {', '.join(failed)}; no site built", file=sys.stderr)
        return 1

    from sphinx.cmd.build import build_main

    t0 = time.perf_counter()
    # -d: Sphinx's pickled doctrees stay with the staged sources, out of the published site.
    status = build_main(["-b", "html", "-q", "-d", str(src / ".doctrees"), str(src), str(out)])
    print(f"sphinx-build: {time.perf_counter() - t0:.1f} s, status {status}", flush=True)
    if status:
        return 1
    (out / "timings.json").write_text(json.dumps({"mode": mode, "seconds": timings}, indent=1))
    print(f"site: {out / 'index.html'}  (serve it: python -m http.server -d {out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
