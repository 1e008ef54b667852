"""Build the course website, in English and in Brazilian Portuguese: every lesson executed as a
notebook, rendered by Sphinx + MyST-NB.

    pip install -e ".[docs]"
    python docs/build_site.py                     # both editions, full mode: build/site/en/, build/site/pt_BR/
    python docs/build_site.py --fast              # MINIGAN_FAST=1: a few seconds per lesson (the test suite)
    python docs/build_site.py --language pt_BR    # one edition
    python docs/build_site.py --gettext           # update docs/locale/pt_BR/LC_MESSAGES/*.po, build nothing

For each edition: (1) stage a Sphinx source folder (``build/site-src/<language>/``):
``docs/index.md`` (the course's front page) as the home page, ``lessons/README.md`` (the list of
lessons, its links pointing at the lesson pages), the instructors' page and the glossary, the
example's sample grid, a packaged MathJax, the translations (``docs/locale/``), the language
switch (``docs/_templates/``) and ``conf.py`` from this folder; (2) turn each
``lessons/NN_*.py`` into a notebook with jupytext and execute it with nbclient in an ipykernel
started in ``lessons/`` (so ``import _course`` works as in Jupyter), with ``MINIGAN_LANG`` set
to the edition's language (the figures' words follow it), timing each one; the executed
notebook and the script are offered for download on the lesson's page; (3) ``sphinx-build -b
html -D language=<language>`` into ``build/site/<language>/`` (MyST-NB renders the stored
outputs and executes nothing; Sphinx replaces every prose message by its translation from the
gettext catalogs). ``build/site/index.html`` lets the reader choose an edition. Nothing is
fetched from a network at build or at reading time.

The two editions share their code cells: only the prose (Markdown cells, captions, pages) is
translated, so they cannot differ in code. ``--gettext`` extracts the prose messages of the
English sources (notebooks converted, not executed) and merges them into the Portuguese
catalogs with sphinx-intl: a new or changed English message arrives there untranslated or
marked fuzzy, for a translator to finish (``tests/test_translation.py`` fails while more than
5 % of a page's messages are).

Exit status 1 if a lesson raises (its traceback is printed) or Sphinx fails.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
LESSONS_DIR = ROOT / "lessons"
LOCALE = DOCS / "locale"
LANGUAGES = ("en", "pt_BR")

#: The words build_site.py adds to each lesson page, in each edition (they are not in the
#: catalogs: the build writes them in the edition's language).
NOTES = {
    "en": {
        "download": "**Download:** {{download}}`notebook (executed) <files/{stem}.ipynb>` · "
        "{{download}}`script <files/{name}>` · {{download}}`_course.py <files/_course.py>` (the "
        "lessons' figure helper: keep it in the same folder). To run the lesson, see [the list of "
        "lessons](README.md).",
        "executed": "This page was executed in {mode} in {seconds:.1f} s.",
        "fast": "fast mode (`MINIGAN_FAST=1`)",
        "full": "full mode",
        "warning": "This page was executed in fast mode: smaller data and fewer steps, so its numbers "
        "and figures differ from the ones the text quotes. Run the lesson without `MINIGAN_FAST` for "
        "the full version.",
    },
    "pt_BR": {
        "download": "**Baixar:** {{download}}`notebook (executado) <files/{stem}.ipynb>` · "
        "{{download}}`script <files/{name}>` · {{download}}`_course.py <files/_course.py>` (o "
        "auxiliar de figuras das lições: mantenha-o na mesma pasta). Para rodar a lição, veja [a "
        "lista de lições](README.md).",
        "executed": "Esta página foi executada no {mode} em {seconds:.1f} s.",
        "fast": "modo rápido (`MINIGAN_FAST=1`)",
        "full": "modo completo",
        "warning": "Esta página foi executada no modo rápido: menos dados e menos passos, então seus "
        "números e figuras diferem dos que o texto cita. Rode a lição sem `MINIGAN_FAST` para a "
        "versão completa.",
    },
}


def lessons(only: str | None = None) -> list[Path]:
    found = sorted(LESSONS_DIR.glob("[0-9][0-9]_*.py"))
    if only:
        wanted = {w.strip() for w in only.split(",")}
        found = [p for p in found if p.name[:2] in wanted or p.stem in wanted]
    return found


def stage_pages(src: Path, lesson_paths: list[Path], mathjax: bool = True) -> None:
    """The front page (docs/index.md + the table of contents), the list of lessons, the
    instructors' page (docs/teaching.md) and the glossary (docs/glossary.md), after the
    lessons; images, the translations, the language switch, MathJax."""
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
            "glossary",
            "```",
            "",
        ]
    )
    (src / "index.md").write_text(front + toc, encoding="utf-8")
    shutil.copy2(DOCS / "teaching.md", src / "teaching.md")  # the class workflow, after the lessons
    shutil.copy2(DOCS / "glossary.md", src / "glossary.md")  # the documents' terms, pt <-> en
    if LOCALE.is_dir():  # the catalogs (Sphinx compiles them into .mo files inside src)
        shutil.copytree(LOCALE, src / "locale", ignore=shutil.ignore_patterns("*.mo"))
        escape_numbered_headings(src / "locale")
    shutil.copytree(DOCS / "_templates", src / "_templates")  # the language switch
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

    if mathjax:
        shutil.copytree(Path(jupyter_server_mathjax.__file__).parent / "static", src / "_mathjax" / "mathjax")


def _children_cpu_seconds() -> float:
    """CPU time of this process's finished children (a lesson's kernel, once shut down)."""
    try:
        import resource
    except ImportError:  # Windows
        return float("nan")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def execute_lesson(
    lesson: Path, src: Path, fast: bool, timeout: int, ipc_dir: str, language: str = "en"
) -> tuple[float, float, str | None]:
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
    words = NOTES[language]
    text = words["download"].format(stem=lesson.stem, name=lesson.name) + " "
    text += words["executed"].format(mode=words["fast" if fast else "full"], seconds=seconds)
    if fast:
        text += "\n\n```{warning}\n" + words["warning"] + "\n```"
    note = nbformat.v4.new_markdown_cell(text)
    title_at = next((i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"), 0)
    nb.cells.insert(title_at + 1, note)
    nbformat.write(nb, src / "lessons" / f"{lesson.stem}.ipynb")
    return seconds, cpu, error


def _environment(fast: bool) -> None:
    """What the kernels inherit: this checkout's minigan, the mode, one BLAS thread."""
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p])
    os.environ.pop("MPLBACKEND", None)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        # The lessons' products are small: one BLAS thread is faster on a busy machine (a
        # 2-thread BLAS spins; measured in tests/test_lessons.py). Set them to override.
        os.environ.setdefault(var, "1")
    if fast:
        os.environ["MINIGAN_FAST"] = "1"
    else:
        os.environ.pop("MINIGAN_FAST", None)


def build_edition(language: str, src: Path, out: Path, lesson_paths: list[Path], fast: bool, timeout: int) -> int:
    """Stage, execute and render one edition; 0 on success."""
    for d in (src, out):
        if d.exists():
            shutil.rmtree(d)
    src.mkdir(parents=True)
    stage_pages(src, lesson_paths)
    os.environ["MINIGAN_LESSON_OUT"] = str(src / "_figures")
    os.environ["MINIGAN_LANG"] = language  # the words inside the figures (lessons/_course.py)
    logging.getLogger("traitlets").setLevel(logging.WARNING)  # nbclient's "Executing notebook" (after Sphinx)
    mode = "fast" if fast else "full"
    print(f"[{language}] executing {len(lesson_paths)} lessons as notebooks ({mode} mode)", flush=True)
    print(f"  {'lesson':<28} {'wall':>9} {'kernel CPU':>11}   (CPU time: what a busy machine's wall time hides)")
    timings, failed = {}, {}
    ipc = tempfile.TemporaryDirectory(prefix="minigan-kernels-")  # the kernels' IPC sockets
    for lesson in lesson_paths:
        seconds, cpu, error = execute_lesson(lesson, src, fast, timeout, ipc.name, language)
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
    # Sphinx writes into the staged sources (MyST-NB puts its extracted outputs beside the output
    # folder, in jupyter_execute/): the finished edition is then moved into the site.
    html = src / "_build" / "html"
    argv = ["-b", "html", "-q", "-D", f"language={language}", "-d", str(src / ".doctrees"), str(src), str(html)]
    status = build_main(argv)
    print(f"[{language}] sphinx-build: {time.perf_counter() - t0:.1f} s, status {status}", flush=True)
    if status:
        return 1
    shutil.move(str(html), str(out))
    (out / "timings.json").write_text(json.dumps({"mode": mode, "language": language, "seconds": timings}, indent=1))
    return 0


CHOOSER = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>GANs from the first neuron</title>
<meta http-equiv="refresh" content="10; url=en/index.html"></head>
<body><h1>GANs from the first neuron: a minigan course</h1>
<ul><li><a href="en/index.html" hreflang="en">English</a></li>
<li><a href="pt_BR/index.html" hreflang="pt-BR">Português (Brasil)</a></li></ul></body></html>
"""


def escape_numbered_headings(locale: Path) -> None:
    """In the staged copy of the catalogs, escape the number of a numbered heading's
    translation: "1. As equações" becomes "1\\. As equações", which renders as the same text.

    Sphinx translates a heading by parsing its translation as a heading of its own; MyST reads
    "1. As equações" as an ordered list instead, and Sphinx then keeps the English heading. A
    message whose English starts with "1. " can only be a heading (or a caption): in Markdown a
    paragraph cannot start that way."""
    from babel.messages.pofile import read_po, write_po

    for po in sorted(locale.rglob("*.po")):
        with open(po, "rb") as fh:
            catalog = read_po(fh)
        changed = False
        for message in catalog:
            if (
                isinstance(message.id, str)
                and isinstance(message.string, str)
                and re.match(r"\d+\. ", message.id)
                and re.match(r"\d+\. ", message.string)
            ):
                message.string = re.sub(r"^(\d+)\.", r"\1\\.", message.string, count=1)
                changed = True
        if changed:
            with open(po, "wb") as fh:
                write_po(fh, catalog, width=0)


def extract(src: Path, lesson_paths: list[Path]) -> Path | None:
    """The English prose messages of the course, as .pot files (one per page) in
    ``<src>-pot/``; None if Sphinx fails."""
    import jupytext
    import nbformat

    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    stage_pages(src, lesson_paths, mathjax=False)
    shutil.rmtree(src / "locale", ignore_errors=True)
    # The lessons' prose: notebooks converted, not executed. A figure's caption lives in its
    # cell's metadata and becomes a message only when the cell has an image output: give each
    # captioned cell a blank one (a 1x1 PNG).
    blank = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    for lesson in lesson_paths:
        nb = jupytext.read(lesson)
        for cell in nb.cells:
            if cell.cell_type == "code" and cell.metadata.get("mystnb", {}).get("figure"):
                cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": blank})]
        nbformat.write(nb, src / "lessons" / f"{lesson.stem}.ipynb")
    from sphinx.cmd.build import build_main

    pot = src.parent / (src.name + "-pot")
    if pot.exists():
        shutil.rmtree(pot)
    status = build_main(["-b", "gettext", "-q", "-d", str(src / ".doctrees"), str(src), str(pot)])
    return None if status else pot


def gettext(src: Path, lesson_paths: list[Path]) -> int:
    """Extract the English prose messages and merge them into docs/locale/pt_BR's catalogs."""
    pot = extract(src, lesson_paths)
    if pot is None:
        return 1
    r = subprocess.run(
        [sys.executable, "-m", "sphinx_intl", "update", "-p", str(pot), "-d", str(LOCALE), "-l", "pt_BR", "-w", "0"],
        capture_output=True,
        text=True,
    )
    print(r.stdout.strip() or r.stderr.strip())
    return r.returncode


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fast", action="store_true", help="execute the lessons with MINIGAN_FAST=1")
    ap.add_argument("--out", default=str(ROOT / "build" / "site"), help="the website folder (default build/site)")
    ap.add_argument("--src", default=None, help="the staged Sphinx sources (default: <out>-src)")
    ap.add_argument("--lessons", default=None, help="only these lessons, e.g. 01,02 (a partial site)")
    ap.add_argument("--language", choices=[*LANGUAGES, "all"], default="all", help="the edition(s) to build")
    ap.add_argument("--gettext", action="store_true", help="update the translation catalogs; build no site")
    ap.add_argument("--timeout", type=int, default=900, help="seconds one cell may run (default 900)")
    args = ap.parse_args(argv)

    out = Path(args.out).resolve()
    src = Path(args.src).resolve() if args.src else out.with_name(out.name + "-src")
    lesson_paths = lessons(args.lessons)
    if not lesson_paths:
        ap.error(f"no lesson matches {args.lessons!r}")
    if args.gettext:
        return gettext(src / "gettext", lesson_paths)
    _environment(args.fast)
    languages = LANGUAGES if args.language == "all" else (args.language,)
    out.mkdir(parents=True, exist_ok=True)
    for language in languages:
        if build_edition(language, src / language, out / language, lesson_paths, args.fast, args.timeout):
            return 1
    (out / "index.html").write_text(CHOOSER, encoding="utf-8")
    print(f"site: {out / 'index.html'}  (serve it: python -m http.server -d {out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
