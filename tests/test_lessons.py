"""Every lesson runs end to end in fast mode, both ways, and writes its figures; lessons are well-formed.

As a script: each ``lessons/NN_*.py`` runs in its own subprocess with ``MINIGAN_FAST=1`` (a few
seconds), ``MINIGAN_LESSON_OUT`` pointing at a temporary folder and ``MPLBACKEND=Agg``. It
passes if it exits with status 0 (its own assertions, e.g. "the from-scratch result equals
minigan's", are part of the run) and saves at least one PNG.

As a notebook: jupytext turns the same file into a notebook, and nbclient runs it top to
bottom in an ipykernel whose working directory is ``lessons/`` (as Jupyter and VS Code do
for a notebook there). It passes if no cell raises, every figure the lesson saves also shows
inline (an ``image/png`` output per ``save(...)``/``show_saved(...)`` call) and the PNGs are
written. That is what a student gets from ``jupytext --to notebook`` + "Run all".
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LESSONS_DIR = ROOT / "lessons"
LESSONS = sorted(LESSONS_DIR.glob("[0-9][0-9]_*.py"))
TIMEOUT_S = 120  # per lesson in fast mode; they take a few seconds on 2 cores


def _lesson_env(out_dir: Path) -> dict:
    env = dict(os.environ)
    env["MINIGAN_FAST"] = "1"
    env["MINIGAN_LESSON_OUT"] = str(out_dir)
    env["MPLBACKEND"] = "Agg"
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [env.get("PYTHONPATH")] if p])
    # The lessons multiply small matrices; a multi-threaded BLAS on a loaded 2-core machine
    # spins instead of working (measured: a 40x128 @ 128x128 product took 4.3 ms instead of
    # 0.11 ms with 8 other processes running). One thread is what such small products need.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")
    return env


def test_there_are_lessons():
    assert len(LESSONS) >= 7, f"expected the lessons in {LESSONS_DIR}, found {[p.name for p in LESSONS]}"


@pytest.mark.slow
@pytest.mark.parametrize("lesson", LESSONS, ids=[p.name for p in LESSONS])
def test_lesson_runs_in_fast_mode(lesson, tmp_path):
    out_dir = tmp_path / "figures"
    try:
        proc = subprocess.run(
            [sys.executable, str(lesson)],
            cwd=tmp_path,
            env=_lesson_env(out_dir),
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as exc:
        tail = exc.stderr or ""
        if isinstance(tail, bytes):  # on POSIX TimeoutExpired keeps bytes even with text=True
            tail = tail.decode(errors="replace")
        pytest.fail(f"{lesson.name} did not finish within {TIMEOUT_S} s in fast mode; stderr tail:\n{tail[-3000:]}")
    assert proc.returncode == 0, (
        f"{lesson.name} exited with status {proc.returncode}; stderr tail:\n{proc.stderr[-3000:]}\n"
        f"stdout tail:\n{proc.stdout[-1500:]}"
    )
    _check_pngs(lesson, out_dir, proc.stdout)


def _check_pngs(lesson: Path, out_dir: Path, log: str) -> None:
    pngs = sorted(out_dir.glob("*.png"))
    assert pngs, f"{lesson.name} wrote no PNG into MINIGAN_LESSON_OUT={out_dir}; output tail:\n{log[-1500:]}"
    for png in pngs:
        assert png.stat().st_size > 1000, (
            f"{lesson.name}: {png.name} is suspiciously small ({png.stat().st_size} bytes)"
        )
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{lesson.name}: {png.name} is not a PNG file"


def _figure_calls(text: str) -> int:
    """How many figures a lesson saves: its ``save(fig, ...)`` and ``show_saved(...)`` calls."""
    return len(re.findall(r"(?<![\w.])(?:save\(fig\b|show_saved\()", text))


@pytest.mark.slow
@pytest.mark.parametrize("lesson", LESSONS, ids=[p.name for p in LESSONS])
def test_lesson_runs_as_a_notebook(lesson, tmp_path, monkeypatch):
    jupytext = pytest.importorskip("jupytext")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    out_dir = tmp_path / "figures"
    env = _lesson_env(out_dir)
    env.pop("MPLBACKEND")  # as in Jupyter; the lesson's helper must switch to inline figures anyway
    for key in (
        "MINIGAN_FAST",
        "MINIGAN_LESSON_OUT",
        "PYTHONPATH",
        "OPENBLAS_NUM_THREADS",
        "OMP_NUM_THREADS",
        "MKL_NUM_THREADS",
    ):
        monkeypatch.setenv(key, env[key])  # the kernel inherits this process's environment
    monkeypatch.delenv("MPLBACKEND", raising=False)
    nb = jupytext.read(lesson)
    client = nbclient.NotebookClient(
        nb, timeout=TIMEOUT_S, kernel_name="python3", resources={"metadata": {"path": str(LESSONS_DIR)}}
    )
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as exc:
        pytest.fail(f"{lesson.name} failed as a notebook:\n{str(exc)[-3000:]}")
    except nbclient.exceptions.CellTimeoutError as exc:
        pytest.fail(f"{lesson.name}: a cell ran past {TIMEOUT_S} s in fast mode: {str(exc)[-1000:]}")
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    log = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    errors = [o for o in outputs if o.output_type == "error"]
    assert not errors, f"{lesson.name}: error outputs {[e.get('ename') for e in errors]}"
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    expected = _figure_calls(lesson.read_text(encoding="utf-8"))
    assert expected >= 1, f"{lesson.name} saves no figure"
    assert len(images) == expected, (
        f"{lesson.name}: {len(images)} inline images for {expected} saved figures "
        f"(each figure should show exactly once); output tail:\n{log[-1500:]}"
    )
    _check_pngs(lesson, out_dir, log)


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.name for p in LESSONS])
def test_lesson_is_a_jupytext_percent_script(lesson):
    text = lesson.read_text(encoding="utf-8")
    assert "# %% [markdown]" in text, f"{lesson.name}: no markdown cell ('# %% [markdown]')"
    assert re.search(r"^# %%\s*$", text, re.M), f"{lesson.name}: no code cell ('# %%')"
    from_course = {
        a.name
        for n in ast.walk(ast.parse(text))
        if isinstance(n, ast.ImportFrom) and n.module == "_course"
        for a in n.names
    }
    assert "save" in from_course, (
        f"{lesson.name}: figures go through lessons/_course.py (from _course import FAST, save)"
    )
    assert "__file__" not in text, f"{lesson.name}: a notebook has no __file__; ask _course where figures go"
    assert "matplotlib.use(" not in text, f"{lesson.name}: choosing a backend would stop inline figures"
    assert ".savefig(" not in text, f"{lesson.name}: save figures with _course.save (it also shows them inline)"
    assert "plt.show(" not in text, f"{lesson.name}: lessons save figures, they never call plt.show()"
    assert "/work/" not in text and "shared/seeds" not in text, (
        f"{lesson.name}: cite the documents by author, year and section, not by a path on one machine"
    )
    assert re.search(r"^## Exercises|^# ## Exercises", text, re.M), f"{lesson.name}: no Exercises section"


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.name for p in LESSONS])
def test_lesson_opens_as_a_notebook(lesson):
    jupytext = pytest.importorskip("jupytext")
    nb = jupytext.read(lesson, fmt="py:percent")
    kinds = {c.cell_type for c in nb.cells}
    assert kinds == {"markdown", "code"}, f"{lesson.name}: cell types {kinds}"
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", f"{lesson.name}: no python3 kernelspec"
    assert "ipynb" in nb.metadata.get("jupytext", {}).get("formats", ""), (
        f"{lesson.name}: the header should pair the script with a notebook (formats: ipynb,py:percent)"
    )


def test_readme_lists_every_lesson():
    readme = (LESSONS_DIR / "README.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\|\s*(\d\d)\s*\|", readme, re.M))
    missing = [p.name for p in LESSONS if p.name[:2] not in rows]
    assert not missing, f"lessons/README.md has no table row for {missing}"


def test_readme_says_what_each_document_is():
    readme = (LESSONS_DIR / "README.md").read_text(encoding="utf-8")
    for who in (
        "Guimarães, F. C. (2019)",
        "Marques, D. B. (2021)",
        "(AI2) (n.d.)",
        "Pereira, N. S. (n.d.)",
        "*Redes Adversariais Generativas* (n.d.)",
    ):
        assert who in readme, f"lessons/README.md should describe the source document of {who}"
    for doc in [ROOT / "README.md", ROOT / "docs" / "README.md", LESSONS_DIR / "README.md", *LESSONS]:
        assert "/work/" not in doc.read_text(encoding="utf-8"), f"{doc.name} cites a path on one machine"


# ---------------------------------------------------------------------------- the textbook form
#: A lesson's code is read on the course website (no horizontal scroll at 1280 px) and on a
#: laptop: lines of at most 88 characters (lessons/ruff.toml wraps them at that width).
MAX_CODE_LINE = 88


def _cells(lesson: Path):
    jupytext = pytest.importorskip("jupytext")
    return jupytext.read(lesson, fmt="py:percent").cells


def _prose(markdown: str) -> str:
    """A markdown cell without its code (fenced blocks, inline code) and its math ($$...$$, $...$)."""
    text = re.sub(r"```.*?```", " ", markdown, flags=re.S)
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.S)
    text = re.sub(r"`[^`]*`", " ", text)
    return re.sub(r"(?<!\\)\$[^$\n]+?(?<!\\)\$", " ", text)


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.name for p in LESSONS])
def test_lesson_code_lines_fit_the_page(lesson):
    long = [
        f"{lesson.name}: a {len(line)}-character line: {line.strip()[:60]}..."
        for cell in _cells(lesson)
        if cell.cell_type == "code"
        for line in cell.source.splitlines()
        if len(line) > MAX_CODE_LINE and not line.lstrip().startswith("#")
    ]
    assert not long, "\n".join(long[:10])


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.name for p in LESSONS])
def test_lesson_title_has_the_course_style(lesson):
    first = next(c for c in _cells(lesson) if c.cell_type == "markdown").source.splitlines()[0]
    assert re.fullmatch(rf"# Lesson {lesson.name[:2]}: \S.*", first), (
        f"{lesson.name}: the first line should read '# Lesson {lesson.name[:2]}: <title>', got {first!r}"
    )


#: what a student cannot use: a tracker's numbers, notes about the machine that ran it, its paths
_NOT_FOR_STUDENTS = re.compile(
    r"\b(issue|issues) #?\d+|\bshared (2-core )?machine|\bthis machine\b|(?<![\w.])/(work|tmp|root|home|Users)/",
    re.IGNORECASE,
)


@pytest.mark.parametrize(
    "page",
    LESSONS + [LESSONS_DIR / "README.md", ROOT / "docs" / "index.md", ROOT / "docs" / "teaching.md"],
    ids=lambda p: p.name,
)
def test_the_course_speaks_to_students(page):
    """No issue numbers, no notes about the machine or its load, no absolute paths: the course's
    pages and lessons are read by students, who have neither the tracker nor the machine."""
    found = [
        f"line {n}: {line.strip()[:100]}"
        for n, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1)
        if _NOT_FOR_STUDENTS.search(line)
    ]
    assert not found, f"{page.name}: " + "; ".join(found[:5])


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.name for p in LESSONS])
def test_lesson_math_is_latex(lesson):
    """Equations in the prose are $...$ / $$...$$ math: no raw ^{...} or _{...} left in the text,
    and every display equation is tagged with its source (\\tag{001 §2.9})."""
    raw, untagged, displays = [], [], 0
    for cell in _cells(lesson):
        if cell.cell_type != "markdown":
            continue
        for m in re.finditer(r"\$\$(.*?)\$\$", cell.source, flags=re.S):
            displays += 1
            if "\\tag{" not in m.group(1):
                untagged.append(m.group(1).strip()[:60])
        raw += re.findall(r".{0,30}[\^_]\{.{0,30}", _prose(cell.source))
    assert not raw, f"{lesson.name}: raw math outside $...$: {raw[:5]}"
    assert not untagged, f"{lesson.name}: display equations without a \\tag{{document §section}}: {untagged[:5]}"
    assert displays >= 1, f"{lesson.name}: no display equation ($$...$$)"


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.name for p in LESSONS])
def test_lesson_figures_have_captions_and_fold_their_code(lesson):
    """A cell that draws a figure (save or show_saved) carries its caption (cell metadata
    mystnb.figure.caption, rendered under the figure on the site) and the hide-input tag (the
    site folds the plotting code; the notebook keeps it), and draws only one figure."""
    problems = []
    for i, cell in enumerate(_cells(lesson)):
        if cell.cell_type != "code":
            continue
        n = len(re.findall(r"^\s*(?:save|show_saved)\(", cell.source, flags=re.M))
        if not n:
            continue
        meta = cell.metadata
        caption = meta.get("mystnb", {}).get("figure", {}).get("caption", "")
        if len(caption.split()) < 4:
            problems.append(f"cell {i}: no caption (mystnb.figure.caption)")
        if "hide-input" not in meta.get("tags", []):
            problems.append(f"cell {i}: no hide-input tag")
        if n > 1:
            problems.append(f"cell {i}: {n} figures in one cell (one caption each: split the cell)")
    assert not problems, f"{lesson.name}: " + "; ".join(problems)


# ---------------------------------------------------------------------------- "Your turn"
def _your_turn():
    """tools/your_turn.py, imported."""
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import your_turn
    finally:
        sys.path.pop(0)
    return your_turn


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.name for p in LESSONS])
def test_your_turn_section_is_what_the_catalogue_writes(lesson):
    """A lesson with exercises ends with its "Your turn" section exactly as
    tools/your_turn.py writes it from minigan.exercises (the stubs as ``minigan-exercises
    new`` writes them, each followed by its check); a lesson without exercises has none."""
    your_turn = _your_turn()
    problems = your_turn.problems(LESSONS_DIR, [lesson.name[:2]])
    assert not problems, f"{problems[0]}; write it with: python tools/your_turn.py {lesson.name[:2]}"


def test_your_turn_cells_hold_the_stubs():
    """The section's code cells are the stubs of ``stub_source``, each followed by
    ``check("NN.name", name)``, after one cell of imports."""
    from minigan.exercises import exercises, stub_source

    jupytext = pytest.importorskip("jupytext")
    your_turn = _your_turn()
    body, _ = your_turn.split((LESSONS_DIR / "05_backprop_gradcheck.py").read_text(encoding="utf-8"))
    text = your_turn.section("05", body)
    cells = [c.source for c in jupytext.reads(text, fmt="py:percent").cells if c.cell_type == "code"]
    assert cells[0] == "import numpy as np\nfrom minigan.exercises import check"
    assert cells[1:] == [f'{stub_source(ex.id).rstrip()}\n\n\ncheck("{ex.id}", {ex.name})' for ex in exercises("05")]


def test_your_turn_script_writes_checks_and_is_idempotent(tmp_path):
    your_turn = _your_turn()
    lesson05 = LESSONS_DIR / "05_backprop_gradcheck.py"
    written = your_turn.updated(lesson05.read_text(encoding="utf-8"), "05")
    body, section = your_turn.split(written)
    assert section == your_turn.section("05", body) and section.startswith("# %% [markdown]\n# ## Your turn\n")
    no_exercises = next(p for p in LESSONS if p.name[:2] not in your_turn.lessons_with_exercises())
    (tmp_path / lesson05.name).write_text(body, encoding="utf-8")  # no section yet
    (tmp_path / no_exercises.name).write_text(
        your_turn.split(no_exercises.read_text(encoding="utf-8"))[0].rstrip("\n") + "\n\n" + section,
        encoding="utf-8",
    )
    only = ["05", no_exercises.name[:2]]  # the other lessons are not in tmp_path
    script = [sys.executable, str(ROOT / "tools" / "your_turn.py"), "--lessons-dir", str(tmp_path), *only]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run(script + ["--check"], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert f'lessons/{lesson05.name} has no "Your turn" section' in proc.stdout
    assert f'lessons/{no_exercises.name} has a "Your turn" section but no exercises' in proc.stdout
    proc = subprocess.run(script, capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0 and proc.stdout.count("wrote ") == 2, proc.stdout + proc.stderr
    assert (tmp_path / lesson05.name).read_text(encoding="utf-8") == written
    assert your_turn.split((tmp_path / no_exercises.name).read_text(encoding="utf-8"))[1] is None
    assert your_turn.main(["--lessons-dir", str(tmp_path), *only]) == 0  # a second run: no change
    assert (tmp_path / lesson05.name).read_text(encoding="utf-8") == written
    assert your_turn.main(["--check", "--lessons-dir", str(tmp_path), *only]) == 0
    # the rest of the lesson may change; the section may not
    path = tmp_path / lesson05.name
    path.write_text(body + "# %% [markdown]\n# A new cell.\n\n" + section, encoding="utf-8")
    assert not your_turn.problems(tmp_path, only)
    path.write_text(written.replace("    # YOUR CODE HERE\n", "    # your code\n", 1), encoding="utf-8")
    assert your_turn.problems(tmp_path, only) == [
        f'lessons/{path.name} has a "Your turn" section that differs from the catalogue'
    ]


def test_your_turn_sections_are_ruff_clean_and_fit_the_page(tmp_path):
    """Every lesson with exercises, its section written (on copies): ``ruff check`` and
    ``ruff format --check`` with lessons/ruff.toml pass, and every code line fits 88 columns."""
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed: pip install -e '.[dev]'")
    your_turn = _your_turn()
    copy = tmp_path / "lessons"
    shutil.copytree(
        LESSONS_DIR,
        copy,
        ignore=shutil.ignore_patterns(
            "figures",
            "__pycache__",
            ".ruff_cache",
            "*.ipynb",
            "kernel-ipc-*",  # sockets of a kernel
        ),
    )
    shutil.copy2(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    assert your_turn.main(["--lessons-dir", str(copy)]) == 0 and not your_turn.problems(copy)
    for args in (["check", "--no-cache", "."], ["format", "--check", "--no-cache", "."]):
        proc = subprocess.run([ruff, *args], cwd=copy, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, f"ruff {' '.join(args)}:\n{proc.stdout[-3000:]}{proc.stderr[-1000:]}"
    for lesson in your_turn.lessons_with_exercises():
        code = [line for line in your_turn.section(lesson).splitlines() if not line.startswith("#")]
        assert max(map(len, code)) <= MAX_CODE_LINE, lesson
