"""The command ``minigan-exercises`` (also ``python -m minigan.exercises``): list, new, grade.

Exit status: 0 done (``grade``: every selected exercise passes); 1 ``grade`` found an exercise
that does not pass; 2 a bad argument or folder (one line on standard error); 130 Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from . import catalogue
from .grading import Result
from .model import LESSONS, lesson_file
from .sandbox import grade_files
from .stubs import lesson_source

__all__ = ["main", "build_parser", "format_results", "format_catalogue", "WIDTH"]

PROG = "minigan-exercises"
#: Every table fits an 80-column terminal.
WIDTH = 80
DEFAULT_TIME_LIMIT = 10.0


class _Refuse(Exception):
    """A reason to stop with exit status 2, said in one line."""


def _fit(text: str, width: int = WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# ---------------------------------------------------------------------------- list
def format_catalogue() -> list[str]:
    """The lines of ``minigan-exercises list`` (the lesson's name on its first exercise's row)."""
    lines = [f"{'lesson':<23}{'exercise':<30}{'document section':<21}{'points':>6}", "-" * WIDTH]
    previous = None
    for ex in catalogue.exercises():
        lesson = LESSONS[ex.lesson] if ex.lesson != previous else ""
        previous = ex.lesson
        lines.append(f"{_fit(lesson, 22):<23}{_fit(ex.id, 29):<30}{_fit(ex.section, 20):<21}{ex.points:>6}")
    total = sum(ex.points for ex in catalogue.exercises())
    lines += [
        "-" * WIDTH,
        f"{len(catalogue.CATALOGUE)} exercises in {len(catalogue.lessons())} lessons, {total} points.",
        f"Start with: {PROG} new DIR, then: {PROG} grade DIR",
    ]
    return lines


def _list(args) -> int:
    for line in format_catalogue():
        print(line)
    return 0


# ---------------------------------------------------------------------------- new
def _free_backup(path: Path) -> Path:
    candidate = path.with_name(path.name + ".bak")
    n = 1
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.bak{n}")
        n += 1
    return candidate


def _new(args) -> int:
    folder = Path(args.dir)
    try:
        lessons = sorted({catalogue.normalize_lesson(x) for x in args.lesson} if args.lesson else catalogue.lessons())
    except ValueError as exc:  # an unknown --lesson
        raise _Refuse(str(exc)) from None
    if folder.exists() and not folder.is_dir():
        raise _Refuse(f"{folder} is a file, not a folder")
    if folder.is_dir() and any(folder.iterdir()) and not args.overwrite:
        raise _Refuse(f"{folder} is not empty; choose a new or empty folder, or pass --overwrite")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for lesson in lessons:
        text = lesson_source(lesson, solutions=args.solutions)
        path = folder / lesson_file(lesson)
        if path.exists():
            if path.read_text(encoding="utf-8") == text:
                continue
            backup = _free_backup(path)
            path.rename(backup)
            print(f"{PROG} new: kept the old {path.name} as {backup.name}", file=sys.stderr)
        path.write_text(text, encoding="utf-8")
        written.append(path.name)
    what = "reference answers" if args.solutions else "exercises"
    count = sum(len(catalogue.exercises(x)) for x in lessons)
    unchanged = len(lessons) - len(written)
    print(f"{folder}: {len(lessons)} lesson files, {count} {what}; {len(written)} written, {unchanged} unchanged")
    if not args.solutions:
        print(f"Write the functions' bodies, then grade them: {PROG} grade {folder}")
    return 0


# ---------------------------------------------------------------------------- grade
def _error_text(r: Result) -> str:
    if r.error is None:
        return "-"
    return f"{r.error:.1e}"


def format_results(results: list[Result], verbose: bool = False) -> list[str]:
    """The lines of ``minigan-exercises grade``'s table (at most 80 columns)."""
    lines = [f"{'exercise':<32}{'result':<8}{'rel. error':>10}{'points':>9}", "-" * 59]
    for r in results:
        lines.append(
            f"{_fit(r.exercise, 31):<32}{r.status.upper():<8}{_error_text(r):>10}{f'{r.points}/{r.max_points}':>9}"
        )
        if r.status == "fail":
            lines.append(_fit(("  mistake: " if r.mistake else "  hint: ") + r.hint))
            if verbose and r.message:
                lines.append(_fit("  " + r.message))
        elif r.status == "error":
            lines.append(_fit("  " + r.message))
    counts = {s: sum(r.status == s for r in results) for s in ("pass", "fail", "todo", "error")}
    got, total = sum(r.points for r in results), sum(r.max_points for r in results)
    lines += [
        "-" * 59,
        f"{counts['pass']} passed, {counts['fail']} failed, {counts['todo']} to do, {counts['error']} errors; "
        f"{got}/{total} points",
    ]
    return lines


def _grade(args) -> int:
    folder = Path(args.dir)
    if not folder.is_dir():
        raise _Refuse(f"{folder} is not a folder (create a workspace with: {PROG} new {folder})")
    selected = catalogue.select(args.k)
    if not selected:
        raise _Refuse(f"no exercise matches {' or '.join(map(repr, args.k))} (see: {PROG} list)")
    plan, missing = [], []
    for lesson in sorted({ex.lesson for ex in selected}):
        path = folder / lesson_file(lesson)
        if path.is_file():
            plan.append((str(path.resolve()), [ex for ex in selected if ex.lesson == lesson]))
        else:
            missing.append(lesson_file(lesson))
    if not plan:
        raise _Refuse(f"{folder} holds none of the lesson files ({missing[0]}, ...); create them with: {PROG} new DIR")
    if missing:
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        print(f"{PROG} grade: no {missing[0]}{more} in {folder}: skipped", file=sys.stderr)
    results = grade_files(plan, limit=args.time_limit, jobs=args.jobs)
    if args.json:
        print(json.dumps([r.to_dict() for r in results], ensure_ascii=False, indent=1))
    else:
        for line in format_results(results, args.verbose):
            print(line)
    return 0 if all(r.status == "pass" for r in results) else 1


# ---------------------------------------------------------------------------- the parser
def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text!r}")
    return value


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Exercises that students write and minigan grades: each is one function of a "
        "course document's equation, graded against minigan's own implementation and central differences.",
    )
    sub = parser.add_subparsers(dest="command", metavar="{list,new,grade}", required=True)
    p = sub.add_parser(
        "list", help="list the exercises", description="List every exercise: lesson, id, section, points."
    )
    p.set_defaults(func=_list)
    p = sub.add_parser(
        "new",
        help="write a student workspace",
        description="Write a student workspace into DIR: one plain .py file per lesson "
        "(lesson05_backprop_gradcheck.py, ...) holding that lesson's stubs and the imports they need. "
        "A non-empty DIR is refused unless --overwrite; with --overwrite an existing lesson file that "
        "differs is kept as NAME.bak, never overwritten silently.",
    )
    p.add_argument("dir", metavar="DIR", help="the folder to create (or an empty one)")
    p.add_argument(
        "--lesson",
        action="append",
        metavar="NN",
        default=[],
        help="only this lesson (repeat for more; default: every lesson with exercises)",
    )
    p.add_argument("--solutions", action="store_true", help="write the reference answers instead (for instructors)")
    p.add_argument(
        "--overwrite", action="store_true", help="write into a non-empty DIR (old lesson files kept as .bak)"
    )
    p.set_defaults(func=_new)
    p = sub.add_parser(
        "grade",
        help="grade a workspace",
        description="Grade the lesson files of DIR, each imported in a fresh process: PASS, FAIL (with the "
        "known mistake or a hint), TODO (still raises NotImplementedError) or ERROR (an exception, a syntax "
        "error, sys.exit() or the time limit, with the file and line). Exit status 0 only if every selected "
        "exercise passes, 1 otherwise, 2 for a bad argument or folder.",
    )
    p.add_argument("dir", metavar="DIR", nargs="?", default=".", help="the workspace (default: the current folder)")
    p.add_argument(
        "-k",
        action="append",
        metavar="PATTERN",
        default=[],
        help="only the exercises whose id contains PATTERN, e.g. 05 or batchnorm (repeat for more)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print a JSON list instead of the table: lesson, exercise, title, status (pass, fail, todo, "
        "error), error (largest relative error), hint, message, points (earned), max_points, mistake, "
        "file, line, seconds",
    )
    p.add_argument(
        "--time-limit",
        type=_positive,
        default=DEFAULT_TIME_LIMIT,
        metavar="SECONDS",
        help=f"time allowed per exercise, and for importing a file (default {DEFAULT_TIME_LIMIT:g})",
    )
    p.add_argument(
        "--jobs",
        type=_jobs,
        default=min(2, os.cpu_count() or 1),
        metavar="N",
        help="lesson files graded at the same time (default: 2, or 1 on a one-core machine)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="also print which output and case failed")
    p.set_defaults(func=_grade)
    return parser


def main(argv: list | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = args.func(args)
        sys.stdout.flush()
        return code
    except _Refuse as exc:
        print(f"{PROG} {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG} {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `... | head` closed the pipe: stop quietly
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 141
