"""Every lesson runs end to end in fast mode and writes its figures; lessons are well-formed.

Each ``lessons/NN_*.py`` runs in its own subprocess (a lesson is a plain script) with
``MINIGAN_FAST=1`` (a few seconds), ``MINIGAN_LESSON_OUT`` pointing at a temporary folder and
``MPLBACKEND=Agg``. A lesson passes if it exits with status 0 (its own assertions, e.g. "the
from-scratch result equals minigan's", are part of the run) and saves at least one PNG.
"""
from __future__ import annotations

import os
import re
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
        proc = subprocess.run([sys.executable, str(lesson)], cwd=tmp_path, env=_lesson_env(out_dir),
                              capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        tail = exc.stderr or ""
        if isinstance(tail, bytes):  # on POSIX TimeoutExpired keeps bytes even with text=True
            tail = tail.decode(errors="replace")
        pytest.fail(f"{lesson.name} did not finish within {TIMEOUT_S} s in fast mode; stderr tail:\n{tail[-3000:]}")
    assert proc.returncode == 0, (
        f"{lesson.name} exited with status {proc.returncode}; stderr tail:\n{proc.stderr[-3000:]}\n"
        f"stdout tail:\n{proc.stdout[-1500:]}")
    pngs = sorted(out_dir.glob("*.png"))
    assert pngs, f"{lesson.name} wrote no PNG into MINIGAN_LESSON_OUT={out_dir}; stdout tail:\n{proc.stdout[-1500:]}"
    for png in pngs:
        assert png.stat().st_size > 1000, f"{lesson.name}: {png.name} is suspiciously small ({png.stat().st_size} bytes)"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{lesson.name}: {png.name} is not a PNG file"


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.name for p in LESSONS])
def test_lesson_is_a_jupytext_percent_script(lesson):
    text = lesson.read_text(encoding="utf-8")
    assert "# %% [markdown]" in text, f"{lesson.name}: no markdown cell ('# %% [markdown]')"
    assert re.search(r"^# %%\s*$", text, re.M), f"{lesson.name}: no code cell ('# %%')"
    assert "MINIGAN_LESSON_OUT" in text and "MINIGAN_FAST" in text, \
        f"{lesson.name}: the header must read MINIGAN_FAST and MINIGAN_LESSON_OUT"
    assert "plt.show(" not in text, f"{lesson.name}: lessons save figures, they never call plt.show()"
    assert re.search(r"^## Exercises|^# ## Exercises", text, re.M), f"{lesson.name}: no Exercises section"


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.name for p in LESSONS])
def test_lesson_opens_as_a_notebook(lesson):
    jupytext = pytest.importorskip("jupytext")
    nb = jupytext.read(lesson, fmt="py:percent")
    kinds = {c.cell_type for c in nb.cells}
    assert kinds == {"markdown", "code"}, f"{lesson.name}: cell types {kinds}"


def test_readme_lists_every_lesson():
    readme = (LESSONS_DIR / "README.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\|\s*(\d\d)\s*\|", readme, re.M))
    missing = [p.name for p in LESSONS if p.name[:2] not in rows]
    assert not missing, f"lessons/README.md has no table row for {missing}"
