"""Write every lesson's "Your turn" section from the exercise catalogue.

    python tools/your_turn.py               # every lesson: write or rewrite its section
    python tools/your_turn.py 01 05         # only these lessons
    python tools/your_turn.py --check       # change nothing: exit 1, naming each lesson
                                            # whose section differs from the catalogue

A lesson with exercises (``minigan.exercises.lessons()``) ends with a "Your turn" section,
generated from :mod:`minigan.exercises`: a markdown cell (what to do, the exercises, their
points, the same stubs as plain files with ``minigan-exercises``), a code cell with the
imports the stubs need and ``from minigan.exercises import check``, then one code cell per
exercise: its stub exactly as ``minigan-exercises new`` writes it, then
``check("NN.name", name)``. A lesson without exercises has no such section.

The section starts at the markdown cell whose first line is ``## Your turn`` and runs to the
end of the file: the script replaces exactly that (or appends it after the rest of the
lesson), so the rest of a lesson may change freely, and running it twice changes nothing.
Put nothing after the section: it would be replaced. The text is what ``ruff format``
writes with ``lessons/ruff.toml``, and every code line fits the lessons' 88 columns.
``tests/test_lessons.py`` runs the check, so that stubs and lessons cannot drift apart.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # this checkout's minigan, even where another one is installed
    sys.path.insert(0, str(ROOT))

from minigan.exercises.catalogue import exercises  # noqa: E402
from minigan.exercises.catalogue import lessons as lessons_with_exercises  # noqa: E402
from minigan.exercises.model import lesson_file  # noqa: E402
from minigan.exercises.stubs import exercise_stub, lesson_imports  # noqa: E402

LESSONS_DIR = ROOT / "lessons"
TITLE = "## Your turn"
#: Where a section starts: a markdown cell (with or without metadata) whose first line is TITLE.
START = re.compile(r"^# %% \[markdown\][^\n]*\n# " + re.escape(TITLE) + r"[ \t]*$", re.M)

_PROSE = """\
The exercises above are for thinking and experimenting; the cells below are graded. Each
holds a stub: a function's signature and a docstring with the equation, the shapes and the
document section. Write the body where it says `# YOUR CODE HERE` (delete the line
`raise NotImplementedError`) and run the cell: the `check(...)` line underneath grades your
function against minigan's own implementation, on inputs of several shapes, and prints one
line: `PASS`; `FAIL` with a hint (the known mistake your answer makes, when it makes one);
`ERROR` with the exception and its line; or `TODO` while the function still raises
`NotImplementedError`. An answer 1 % off fails. `check` never raises, so the lesson still
runs top to bottom with the stubs unanswered.
"""

_FILES = """\
{points} in all. The same {stubs} as a plain file, to write in your editor and grade
from a terminal (`minigan-exercises list` shows every lesson's exercises):

```bash
minigan-exercises new ex/ --lesson {lesson}   # writes ex/{file}
minigan-exercises grade ex/ -k {lesson}       # PASS, FAIL, TODO or ERROR, and the points
```
"""


def _comment(markdown: str) -> str:
    """Markdown as the lines of a jupytext percent cell (``# `` before each, ``#`` if empty)."""
    return "".join(f"# {line}".rstrip() + "\n" for line in markdown.splitlines())


def _top_level_names(source: str) -> set[str]:
    """The names a module binds in its own scope: imports, defs, classes, assignments."""
    names: set[str] = set()
    scopes = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
    scopes += (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(child.name)
            elif isinstance(child, (ast.Import, ast.ImportFrom)):
                names.update((a.asname or a.name).split(".")[0] for a in child.names)
            elif isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
                names.add(child.id)
            if not isinstance(child, scopes):
                visit(child)

    visit(ast.parse(source))
    return names


def _imports(lesson: str, before: str) -> str:
    """The stubs' imports and ``check``'s, in the order ruff's isort keeps them. An import
    of a name that the lesson (``before``, the text above the section) never binds is marked
    ``# noqa: F401``: the stubs' bodies, which would use it, are the student's to write."""
    bound = _top_level_names(before)
    lines = []
    for statement in [*lesson_imports(lesson), "from minigan.exercises import check"]:
        names = {(a.asname or a.name).split(".")[0] for node in ast.parse(statement).body for a in node.names}
        unused = not names & bound and "check" not in names
        lines.append(statement + ("  # noqa: F401" if unused else ""))

    def key(line: str) -> tuple[bool, str]:
        return line.startswith("from "), line.split()[1]

    return "\n".join(sorted(set(lines), key=key)) + "\n"


def section(lesson: str, before: str = "") -> str:
    """The "Your turn" section of lesson ``lesson`` (``"05"``), from its first line to the end
    of the file; ``before`` is the lesson's text above it (it decides only the noqa marks of
    the imports)."""
    exs = exercises(lesson)
    if not exs:
        raise ValueError(f"lesson {lesson!r} has no exercises")
    total = sum(ex.points for ex in exs)
    rows = [f"| `{ex.id}` | {ex.title} | {ex.section} | {ex.points} |" for ex in exs]
    markdown = "\n".join(
        [
            TITLE,
            "",
            _PROSE,
            "| exercise | what you write | document section | points |",
            "|---|---|---|---|",
            *rows,
            "",
            _FILES.format(
                points=f"{total} point{'s' if total != 1 else ''}",
                stubs="stub comes" if len(exs) == 1 else "stubs come",
                lesson=lesson,
                file=lesson_file(lesson),
            ),
        ]
    )
    # one blank line before a cell, two before a cell that starts with a def (ruff format)
    cells = ["# %% [markdown]\n" + _comment(markdown), "\n# %%\n" + _imports(lesson, before)]
    cells += [f'\n\n# %%\n{exercise_stub(ex)}\n\ncheck("{ex.id}", {ex.name})\n' for ex in exs]
    return "".join(cells)


def split(text: str) -> tuple[str, str | None]:
    """A lesson's text as (everything before its "Your turn" section, the section or None)."""
    m = START.search(text)
    if m is None:
        return text, None
    return text[: m.start()], text[m.start() :]


def updated(text: str, lesson: str) -> str:
    """Lesson ``lesson``'s text with its section as the catalogue writes it (appended when it
    has none; removed for a lesson without exercises)."""
    body, _ = split(text)
    body = body.rstrip("\n") + "\n"
    if lesson not in lessons_with_exercises():
        return body
    return body + "\n" + section(lesson, body)


def lesson_paths(lessons_dir: Path = LESSONS_DIR, only: list[str] | None = None) -> dict[str, Path]:
    """Lesson number → its file ``NN_name.py`` in ``lessons_dir`` (only the lessons ``only``)."""
    found = {p.name[:2]: p for p in sorted(lessons_dir.glob("[0-9][0-9]_*.py"))}
    if only:
        wanted = {f"{int(x):02d}" if x.isdigit() else x for x in only}
        unknown = sorted(wanted - set(found))
        if unknown:
            raise SystemExit(f"your_turn.py: no lesson file for {', '.join(unknown)} in {lessons_dir}")
        found = {k: v for k, v in found.items() if k in wanted}
    return found


def problems(lessons_dir: Path = LESSONS_DIR, only: list[str] | None = None) -> list[str]:
    """What differs from the catalogue, one line per lesson (empty: every section is right)."""
    paths = lesson_paths(lessons_dir, only)
    out = []
    for lesson, path in paths.items():
        text = path.read_text(encoding="utf-8")
        if text == updated(text, lesson):
            continue
        has = split(text)[1] is not None
        if lesson not in lessons_with_exercises():
            why = 'has a "Your turn" section but no exercises'
        elif not has:
            why = 'has no "Your turn" section'
        else:
            why = 'has a "Your turn" section that differs from the catalogue'
        out.append(f"lessons/{path.name} {why}")
    if not only:
        missing = [x for x in lessons_with_exercises() if x not in paths]
        out += [f"lesson {x} has exercises but no lessons/{x}_*.py" for x in missing]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python tools/your_turn.py",
        description='Write every lesson\'s "Your turn" section (its graded exercises) from the '
        "catalogue of minigan.exercises.",
    )
    ap.add_argument("lessons", nargs="*", metavar="NN", help="only these lessons (default: all)")
    ap.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit 1 and name each lesson whose section differs from the catalogue",
    )
    ap.add_argument("--lessons-dir", type=Path, default=LESSONS_DIR, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.check:
        found = problems(args.lessons_dir, args.lessons)
        for line in found:
            print(line)
        if found:
            print(f"{len(found)} lesson(s) differ; write them with: python tools/your_turn.py", file=sys.stderr)
            return 1
        return 0
    for lesson, path in lesson_paths(args.lessons_dir, args.lessons).items():
        text = path.read_text(encoding="utf-8")
        new = updated(text, lesson)
        if new != text:
            path.write_text(new, encoding="utf-8")
            print(f"wrote lessons/{path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
