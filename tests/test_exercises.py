"""minigan.exercises: the catalogue, the graders, check(), the stubs and the command.

The graders are tested on every exercise: the reference answer passes, every stub is TODO,
every known-wrong variant fails with its own hint, and the answer multiplied by 1.01 fails. The
command runs end to end three times (a fresh workspace is all TODO; the reference answers all
pass; a workspace of broken code gives ERROR with file and line and the grader still ends
normally), each once, with a short time limit where a student's code loops.
"""

import importlib
import inspect
import json
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import minigan
from minigan.exercises import check, solution_source, stub_source
from minigan.exercises.catalogue import CATALOGUE, exercises, lessons
from minigan.exercises.cli import WIDTH, format_catalogue, format_results, main
from minigan.exercises.grading import TODO_HINT, Result, grade
from minigan.exercises.model import LESSONS, lesson_file
from minigan.exercises.stubs import MAX_LINE, SOLUTION_MODULES, STUB_MARK

REPO = Path(minigan.__file__).parent.parent
EXERCISES = exercises()
IDS = [ex.id for ex in EXERCISES]

#: The exercises the brief asks for by name (the catalogue may hold more).
REQUIRED = [
    "02.sigmoid_forward",
    "02.sigmoid_backward",
    "02.tanh_forward",
    "02.tanh_backward",
    "02.relu_forward",
    "02.relu_backward",
    "02.leaky_relu_forward",
    "02.leaky_relu_backward",
    "03.bce",
    "03.bce_with_logits",
    "03.softmax_cross_entropy",
    "04.sgd_momentum_step",
    "04.rmsprop_step",
    "04.adam_step",
    "05.dense_forward",
    "05.dense_backward",
    "05.mlp_backward_columns",
    "06.xavier_init",
    "06.l2_penalty",
    "06.dropout_forward",
    "07.batchnorm_forward",
    "07.batchnorm_backward",
    "08.im2col",
    "08.col2im",
    "08.conv2d_forward",
    "08.conv2d_backward",
    "08.maxpool_backward",
    "08.avgpool_backward",
    "09.conv_transpose_forward",
    "11.shift",
    "12.rnn_step",
    "12.rnn_bptt",
    "12.lstm_cell_backward",
    "13.embedding_backward",
    "14.optimal_discriminator",
    "14.gan_d_step",
    "14.gan_g_step",
    "14.smoothed_d_loss",
    "16.fid_from_features",
]


def _scaled(out, factor=1.01):
    """Every number of a (nested) output times ``factor``."""
    if isinstance(out, tuple):
        return tuple(_scaled(o, factor) for o in out)
    if isinstance(out, list):
        return [_scaled(o, factor) for o in out]
    if isinstance(out, (np.ndarray, float, int, np.number)) and not isinstance(out, bool):
        return out * factor
    return out


def _stub_module(lesson: str, tmp_path: Path) -> types.ModuleType:
    """Lesson ``lesson``'s stub file, as ``minigan-exercises new`` writes it, imported."""
    path = tmp_path / lesson_file(lesson)
    path.write_text(stub_source(lesson), encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"stubs_{lesson}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cli(capsys, *args) -> tuple[int, str, str]:
    """``minigan-exercises ARGS`` in this process (``grade`` still grades in fresh processes):
    the exit status, standard output and standard error."""
    capsys.readouterr()
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:  # argparse: --help, or a bad argument
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


# ---------------------------------------------------------------------------- the catalogue
def test_the_catalogue_has_40_exercises_over_12_lessons():
    assert len(EXERCISES) >= 40
    assert len(lessons()) >= 12
    assert len(set(IDS)) == len(IDS) == len(CATALOGUE)
    assert set(REQUIRED) <= set(IDS), sorted(set(REQUIRED) - set(IDS))


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
def test_an_exercise_is_well_formed(ex):
    assert re.fullmatch(r"\d\d\.[a-z][a-z0-9_]*", ex.id) and ex.lesson in LESSONS
    assert ex.solution.__name__ == ex.name and ex.solution.__module__.endswith(f"lesson{ex.lesson}")
    assert ex.points >= 1 and ex.title
    # the document section, cited by the answer's docstring too
    assert re.fullmatch(r"document 00[0-4] (§\d+(\.\d+)*|ch\. \d)", ex.section), ex.section
    assert ex.section.lower() in ex.solution.__doc__.lower()
    # at least two known mistakes, each with its own name and hint; hints fit the table's line
    assert len(ex.mutants) >= 2
    assert len({m.name for m in ex.mutants}) == len({m.hint for m in ex.mutants}) == len(ex.mutants)
    assert len("  hint: " + ex.hint) <= WIDTH
    assert all(len("  mistake: " + m.hint) <= WIDTH for m in ex.mutants)


def test_stubs_and_solutions_agree(tmp_path):
    """A stub is the answer's signature and docstring over ``raise NotImplementedError``."""
    for lesson in lessons():
        module = _stub_module(lesson, tmp_path)
        solutions = SOLUTION_MODULES[lesson]
        for ex in exercises(lesson):
            stub = getattr(module, ex.name)
            assert inspect.signature(stub) == inspect.signature(getattr(solutions, ex.name)), ex.id
            assert stub.__doc__ == ex.solution.__doc__
            source = inspect.getsource(stub)
            assert source.rstrip().endswith(f"{STUB_MARK}\n    raise NotImplementedError"), ex.id


def test_stub_source_is_what_new_writes_and_check_can_use():
    text = stub_source("05")
    assert text.count(f"\n    {STUB_MARK}\n") == len(exercises("05")) and "import numpy as np" in text
    assert stub_source("05.dense_backward") in text
    assert stub_source(5) == text  # a lesson number as an int, as "5" or "05"
    assert "def dense_backward(dout, x, W):" in solution_source("05.dense_backward")
    assert STUB_MARK not in solution_source("05")
    with pytest.raises(ValueError, match="05.dense_backward"):
        stub_source("05.dense_backwards")
    with pytest.raises(ValueError, match="lesson '99'"):
        stub_source("99")


def test_stubs_and_answers_fit_the_lessons_page():
    """The stubs become lesson cells ("Your turn"), whose code lines are at most 88 characters
    (tests/test_lessons.py): every line of every stub file and every file of answers fits."""
    long = [
        f"{kind} {lesson}: a {len(line)}-character line: {line.strip()[:60]}"
        for lesson in lessons()
        for kind, text in (("stub_source", stub_source(lesson)), ("solution_source", solution_source(lesson)))
        for line in text.splitlines()
        if len(line) > MAX_LINE
    ]
    assert MAX_LINE == 88 and not long, "\n".join(long[:10])


def test_nothing_in_minigan_imports_the_exercises():
    """The top "applications" layer (docs/architecture.md §2): nothing imports it."""
    sys.path.insert(0, str(REPO / "tools"))
    try:
        import import_graph
    finally:
        sys.path.pop(0)
    graph = import_graph.build(REPO / "minigan")
    inward = [(e.src, e.dst) for e in graph.edges if e.dst.startswith("minigan.exercises")]
    assert all(src.startswith("minigan.exercises") for src, _ in inward), inward


# ---------------------------------------------------------------------------- the graders
@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
def test_the_reference_answer_passes(ex):
    r = grade(ex, ex.solution)
    assert r.status == "pass", r.message
    assert r.error is not None and r.error <= max(ex.tol, ex.grad_tol)
    assert r.points == r.max_points == ex.points


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
def test_every_known_mistake_fails_with_its_own_hint(ex):
    for m in ex.mutants:
        r = grade(ex, m.fn)
        assert (r.status, r.mistake, r.hint) == ("fail", m.name, m.hint), (m.name, r.status, r.message)
        assert r.points == 0


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
def test_an_answer_one_percent_off_fails(ex):
    def perturbed(*args, **kwargs):
        return _scaled(ex.solution(*args, **kwargs))

    r = grade(ex, perturbed)
    assert r.status == "fail", r.message
    assert r.mistake is None and r.hint == ex.hint


def test_every_stub_is_todo(tmp_path):
    for lesson in lessons():
        module = _stub_module(lesson, tmp_path)
        for ex in exercises(lesson):
            r = grade(ex, getattr(module, ex.name))
            assert r.status == "todo" and r.points == 0, ex.id


# ---------------------------------------------------------------------------- check()
def test_check_prints_one_line_and_never_raises(capsys):
    def todo(dout, x, W):
        raise NotImplementedError

    def right(dout, x, W):
        return dout @ W, dout.T @ x, dout.sum(axis=0)

    def transposed(dout, x, W):
        return dout @ W, x.T @ dout, dout.sum(axis=0)

    def broken(dout, x, W):
        return dout @ W.T  # a shape error inside NumPy, from this line

    def exits(dout, x, W):
        sys.exit(3)

    def loops(dout, x, W):
        while True:
            pass

    statuses = []
    for fn in (todo, right, transposed, broken, exits, loops):
        r = check("05.dense_backward", fn, time_limit=0.5)
        assert isinstance(r, Result)
        statuses.append(r.status)
    lines = capsys.readouterr().out.splitlines()
    assert statuses == ["todo", "pass", "fail", "error", "error", "error"]
    assert len(lines) == 6
    assert lines[0].startswith("TODO  05.dense_backward") and lines[1].startswith("PASS  05.dense_backward")
    assert lines[2].startswith("FAIL") and "known mistake: ∂C/∂W = δᵀ x has W's shape" in lines[2]
    line = inspect.getsourcelines(broken)[1] + 1
    assert lines[3].startswith("ERROR") and f"test_exercises.py, line {line}: ValueError" in lines[3]
    assert "sys.exit(3)" in lines[4] and "took longer than 0.5 s" in lines[5]
    assert check("05.dense_backward", 42, quiet=True).status == "error"
    with pytest.raises(ValueError, match="did you mean 05.dense_backward"):
        check("05.dense_backwrd", right)


def test_a_todo_line_fits_the_lessons_page():
    """A lesson's "Your turn" cells print check()'s TODO lines; the course website shows
    them in a column of 88 characters."""
    for ex in EXERCISES:
        line = Result(ex.id, ex.lesson, ex.title, "todo", hint=TODO_HINT).summary()
        assert len(line) <= MAX_LINE, line


def test_a_notebook_cell_ending_in_check_shows_the_line_once(capsys, monkeypatch):
    """IPython shows a cell's last value: the Result of ``check(...)`` does not repeat the
    line check printed in that cell, and shows it when displayed in a later cell."""

    class Shell:
        execution_count = 7

    shell = Shell()
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: shell))

    def todo(dout, x, W):
        raise NotImplementedError

    r = check("05.dense_backward", todo)
    r._ipython_display_()  # the same cell: nothing more
    assert capsys.readouterr().out.splitlines() == [r.summary()]
    shell.execution_count = 8
    r._ipython_display_()  # a later cell shows it
    quiet = check("05.dense_backward", todo, quiet=True)
    quiet._ipython_display_()
    assert capsys.readouterr().out.splitlines() == [r.summary(), quiet.summary()]
    assert "_printed_in" not in r.to_dict()


# ---------------------------------------------------------------------------- the command
def test_a_fresh_workspace_is_all_todo_and_json_has_the_fields(tmp_path, capsys):
    ws = tmp_path / "ws"
    code, out, err = _cli(capsys, "new", ws)
    assert code == 0, err
    assert sorted(p.name for p in ws.iterdir()) == sorted(lesson_file(x) for x in lessons())
    code, out, err = _cli(capsys, "grade", ws, "--json")
    assert code == 1, err
    rows = json.loads(out)
    assert [row["exercise"] for row in rows] == IDS
    for row in rows:
        assert {"lesson", "exercise", "status", "error", "hint", "points", "max_points", "file", "line"} <= set(row)
        assert row["status"] == "todo" and row["points"] == 0 and row["hint"]


def test_the_reference_answers_all_pass(tmp_path, capsys):
    ws = tmp_path / "answers"
    assert _cli(capsys, "new", ws, "--solutions")[0] == 0
    code, out, err = _cli(capsys, "grade", ws)
    assert code == 0, out + err
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= WIDTH
    assert lines[-1].startswith(f"{len(IDS)} passed, 0 failed, 0 to do, 0 errors")
    assert sum(" PASS " in line for line in lines) == len(IDS)


def test_new_refuses_a_non_empty_folder_and_never_overwrites_silently(tmp_path, capsys):
    ws = tmp_path / "ws"
    assert _cli(capsys, "new", ws, "--lesson", "5")[0] == 0
    mine = ws / lesson_file("05")
    mine.write_text(mine.read_text(encoding="utf-8") + "# my work\n", encoding="utf-8")
    code, out, err = _cli(capsys, "new", ws, "--lesson", "05")
    assert code == 2 and err.count("\n") == 1 and str(ws) in err and not out
    assert mine.read_text(encoding="utf-8").endswith("# my work\n")
    code, out, err = _cli(capsys, "new", ws, "--lesson", "05", "--overwrite")
    assert code == 0 and "kept the old" in err
    assert (ws / (mine.name + ".bak")).read_text(encoding="utf-8").endswith("# my work\n")
    assert mine.read_text(encoding="utf-8") == stub_source("05")


def _answer(text: str, name: str, body: str) -> tuple[str, int]:
    """Replace the stub body of function ``name`` by ``body`` (indented lines); return the new
    text and the line number of the body's first line."""
    start = text.index(f"def {name}(")
    mark = text.index(STUB_MARK, start)
    end = text.index("raise NotImplementedError", mark) + len("raise NotImplementedError")
    line = text.count("\n", 0, mark) + 1
    return text[:mark] + body.strip() + text[end:], line


def test_the_grader_survives_the_students_code(tmp_path, capsys):
    """An exception, a syntax error, an endless loop (one that even catches the time limit's
    exception), sys.exit() and os._exit(), in the student's functions or at the top of a file:
    ERROR with the file and line, the other exercises graded, the grader ends normally."""
    ws = tmp_path / "ws"
    assert _cli(capsys, "new", ws, *[a for n in "12345" for a in ("--lesson", n)])[0] == 0
    lines = {}

    f01 = ws / lesson_file("01")
    text = f01.read_text(encoding="utf-8")
    text, lines["01.perceptron_update"] = _answer(text, "perceptron_update", "return w[100] + b")
    text, _ = _answer(text, "linear_mse_gradient", "import os\n    os._exit(4)")
    f01.write_text(text, encoding="utf-8")

    f02 = ws / lesson_file("02")
    text = f02.read_text(encoding="utf-8")
    lines["02"] = text[: text.index("def tanh_forward(z):")].count("\n") + 1
    f02.write_text(text.replace("def tanh_forward(z):", "def tanh_forward(z)"), encoding="utf-8")

    f03 = ws / lesson_file("03")  # an endless loop at the top of the file
    f03.write_text(f03.read_text(encoding="utf-8") + "\nwhile True:\n    pass\n", encoding="utf-8")
    f04 = ws / lesson_file("04")  # sys.exit() at the top of the file
    f04.write_text(f04.read_text(encoding="utf-8") + "\nimport sys\nsys.exit(0)\n", encoding="utf-8")

    f05 = ws / lesson_file("05")
    text = f05.read_text(encoding="utf-8")
    text, lines["05.dense_forward"] = _answer(text, "dense_forward", "while True:\n        pass")
    stubborn = "\n".join(
        [
            "while True:",
            "        try:",
            "            while True:",
            "                pass",
            "        except BaseException:",
        ]
        + ["            pass"]
    )
    text, lines["05.dense_backward"] = _answer(text, "dense_backward", stubborn)
    text, lines["05.mlp_backward_columns"] = _answer(text, "mlp_backward_columns", "import sys\n    sys.exit(3)")
    solution = solution_source("05.numerical_gradient")
    body = solution[solution.index('    """', solution.index('"""') + 3) + len('    """') :]
    text, _ = _answer(text, "numerical_gradient", body)
    f05.write_text(text, encoding="utf-8")

    code, out, err = _cli(capsys, "grade", ws, "--json", "--time-limit", "1")
    assert code == 1, err
    assert "Traceback" not in err
    rows = {row["exercise"]: row for row in json.loads(out)}
    assert len(rows) == sum(len(exercises(x)) for x in ("01", "02", "03", "04", "05"))

    def error(eid, words, line=None, file=None):
        row = rows[eid]
        assert row["status"] == "error", row
        assert words in row["message"], row
        assert row["file"] == (file or lesson_file(eid[:2])), row
        if line is not None:
            assert row["line"] == line, row

    error("01.perceptron_update", "IndexError", lines["01.perceptron_update"])
    error("01.linear_mse_gradient", "exited (status 4)")
    for ex in exercises("02"):
        error(ex.id, "SyntaxError", lines["02"])
    for ex in exercises("03"):
        error(ex.id, "took longer than 1 s")
    for ex in exercises("04"):
        error(ex.id, "sys.exit(0)")
    error("05.dense_forward", "took longer than 1 s")
    assert rows["05.dense_forward"]["line"] in (lines["05.dense_forward"], lines["05.dense_forward"] + 1)
    error("05.dense_backward", "took longer than 1 s")
    assert lines["05.dense_backward"] <= rows["05.dense_backward"]["line"] <= lines["05.dense_backward"] + 3
    error("05.mlp_backward_columns", "sys.exit(3)", lines["05.mlp_backward_columns"] + 1)
    assert rows["05.numerical_gradient"]["status"] == "pass"  # graded after the worker was killed


def test_bad_command_lines_exit_2_and_every_subcommand_has_help(tmp_path, capsys):
    for args in (["frob"], [], ["grade", tmp_path, "--time-limit", "-1"], ["grade", tmp_path, "--jobs", "0"]):
        code, out, err = _cli(capsys, *args)
        assert code == 2 and "error:" in err and not out, args
    for args, words in (
        (["grade", tmp_path / "missing"], "is not a folder"),
        (["grade", tmp_path], "holds none of the lesson files"),
        (["grade", tmp_path, "-k", "nothing"], "no exercise matches"),
        (["new", tmp_path / "ws", "--lesson", "99"], "no exercises for lesson '99'"),
    ):
        code, out, err = _cli(capsys, *args)
        assert code == 2 and err.count("\n") == 1 and words in err and not out, args
    for sub in ("list", "new", "grade"):
        code, out, err = _cli(capsys, sub, "--help")
        assert code == 0 and out.startswith(f"usage: minigan-exercises {sub}")


#: The pages that teach the commands: the README and the course website's page for instructors.
DOCUMENTED = [REPO / "README.md", REPO / "docs" / "teaching.md"]


def _documented_commands(program: str) -> list[list[str]]:
    """Every ``program ...`` command line the pages show: in inline code, in code blocks and
    in a workflow's ``command:``, without comments and shell redirections (placeholders such
    as DIR are words like any other)."""
    found = []
    for page in DOCUMENTED:
        text = page.read_text(encoding="utf-8")
        inline = re.findall(rf"`({program}\b[^`]*)`", text)
        lines = re.findall(rf"^\s*(?:command:\s*)?({program}\b.*)$", text, flags=re.M)
        for command in inline + lines:
            words = re.split(r"#|\s(?:>|\|)", command)[0].split()  # no comment, redirection
            if words and words[0] == program:
                found.append(words[1:])
    return found


def test_the_pages_show_only_commands_that_exist(capsys):
    """README.md and docs/teaching.md do not contradict the code: every minigan-exercises and
    minigan-gradcheck command line they show is accepted by the command's parser (a misspelt
    option or subcommand exits with status 2), and the JSON fields they name are the ones
    ``grade --json`` prints."""
    from minigan.exercises.cli import build_parser
    from minigan.gradcheck import main as gradcheck_main

    commands = _documented_commands("minigan-exercises")
    assert len(commands) >= 15 and {c[0] for c in commands if c} >= {"list", "new", "grade"}
    for words in commands:
        try:
            build_parser().parse_args(words or ["list"])
        except SystemExit as exc:
            pytest.fail(f"the pages show `minigan-exercises {' '.join(words)}`: exit {exc.code}")
    gradchecks = _documented_commands("minigan-gradcheck")
    assert [] in gradchecks
    for words in gradchecks:
        if words:  # the whole check is run by test_gradcheck; the pages' options here
            assert gradcheck_main(words) == 0, words
    capsys.readouterr()
    fields = set(Result("05.x", "05", "t", "todo").to_dict())
    for page in DOCUMENTED:
        text = " ".join(page.read_text(encoding="utf-8").split())
        named = re.search(r"fields (?:are )?(.*?)\.(?:\s|$)", text)
        assert named, f"{page.name} does not say which fields the JSON has"
        assert set(re.findall(r"`(\w+)`", named.group(1))) == fields, page.name


def test_python_m_minigan_exercises_is_the_command():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    r = subprocess.run(
        [sys.executable, "-m", "minigan.exercises", "list"], capture_output=True, text=True, timeout=120, env=env
    )
    assert r.returncode == 0 and r.stdout.splitlines() == format_catalogue()


def test_the_tables_fit_80_columns():
    lines = format_catalogue()
    assert max(len(line) for line in lines) <= WIDTH
    assert sum(1 for line in lines if re.search(r"\d\d\.[a-z]", line)) == len(IDS)
    long = Result("05.dense_backward", "05", "t", "error", message="x" * 300, max_points=2)
    fail = Result("05.dense_backward", "05", "t", "fail", 0.5, hint="h" * 300, max_points=2, mistake="m")
    assert max(len(line) for line in format_results([long, fail], verbose=True)) <= WIDTH
