"""What every lesson shares: fast mode, where figures go, and showing them.

A lesson starts with ``from _course import FAST, OUT, save`` and ends each plot with
``save(fig, "NN_name.png")``. The same file then works both ways:

- as a script (``python lessons/01_perceptron.py``): the figure is saved as a PNG and its
  path printed; no window opens (nothing calls ``plt.show()``);
- as a notebook (Jupyter, VS Code, ``jupytext --to notebook``): the figure is saved too, and
  also shown inline under the cell.

Lessons 12 and 13 read their text from the docstrings of Python's own standard library
(:func:`stdlib_docstrings`, :func:`stdlib_text`): it ships with every Python, so nothing is
downloaded, and both lessons read the very same characters. Their second text is the course's
own prose in English and in Brazilian Portuguese (:func:`course_texts`, from
``minigan.data.course_text``), which ships with minigan.

``FAST`` is ``MINIGAN_FAST=1`` (smaller data, fewer steps: a few seconds per lesson).
``t("loss")`` gives a figure's words in the course's language (``MINIGAN_LANG``: ``en`` or
``pt_BR``; the Portuguese words of each lesson are in ``lessons/locale/pt_BR/NN.json``).
``OUT`` is ``MINIGAN_LESSON_OUT`` if set, else ``lessons/figures/`` beside this file (this
module has a ``__file__``; a notebook's cells do not, which is why the lessons ask here).
Python finds this module because a script's folder, and a notebook kernel's working
directory, is the lessons folder.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

FAST = os.environ.get("MINIGAN_FAST") == "1"
#: The course's language: "en" (the default) or "pt_BR" (MINIGAN_LANG=pt_BR), for the words
#: inside the figures (t below); the prose of the Portuguese edition is on the website.
LANG = os.environ.get("MINIGAN_LANG") or "en"
LESSONS = Path(__file__).resolve().parent
OUT = Path(os.environ.get("MINIGAN_LESSON_OUT") or LESSONS / "figures")
OUT.mkdir(parents=True, exist_ok=True)
if FAST:
    print(
        "Fast mode (MINIGAN_FAST=1): smaller data and fewer steps, so the numbers below\n"
        "differ from the ones the text quotes. Unset MINIGAN_FAST for the full lesson."
    )


def in_notebook() -> bool:
    """True inside a Jupyter kernel (Jupyter, VS Code, nbclient), False in a plain script."""
    if "ipykernel" not in sys.modules:
        return False
    from IPython import get_ipython

    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


NOTEBOOK = in_notebook()
if NOTEBOOK:
    # Inline figures even when the kernel inherited MPLBACKEND=Agg (as under a test runner).
    import matplotlib

    if "inline" not in matplotlib.get_backend():
        from IPython import get_ipython

        get_ipython().run_line_magic("matplotlib", "inline")


def _words(lang: str) -> dict:
    """The figure words of every lesson in ``lang``: ``lessons/locale/<lang>/NN.json`` files,
    English text -> translation (each lesson keeps its own file)."""
    import json

    words: dict = {}
    for f in sorted((LESSONS / "locale" / lang).glob("*.json")):
        words.update(json.loads(f.read_text(encoding="utf-8")))
    return words


WORDS = _words(LANG) if LANG != "en" else {}


def t(text: str, **values) -> str:
    """The words of a figure (a title, an axis label, a legend entry) in the course's language.

    ``t("loss")`` is ``"perda"`` under ``MINIGAN_LANG=pt_BR`` and ``"loss"`` otherwise; numbers go
    in as named fields, so that the text to translate stays the same:
    ``t("step {n}", n=step)``. A text without a translation stays English."""
    return WORDS.get(text, text).format(**values) if values else WORDS.get(text, text)


def save(fig, name: str, dpi: int = 100) -> None:
    """Save ``fig`` as ``OUT / name``, print where (relative to the lessons), show it inline in
    a notebook, close it."""
    import matplotlib.pyplot as plt

    path = OUT / name
    fig.savefig(path, dpi=dpi)
    if NOTEBOOK:
        from IPython.display import display

        display(fig)
    plt.close(fig)
    print("saved", where(path))


def show_saved(path) -> None:
    """For a PNG that a minigan function wrote itself (``minigan.viz.save_grid``, ...):
    print its path, and show it inline in a notebook."""
    if NOTEBOOK:
        from IPython.display import Image, display

        display(Image(filename=str(path)))
    print("saved", where(path))


def where(path) -> str:
    """``path`` as a lesson prints it: relative to the lessons folder (``figures/05_x.png``),
    or, when ``MINIGAN_LESSON_OUT`` put the figures elsewhere, the file name in that folder.
    Never a path of one machine."""
    path = Path(path).resolve()
    try:
        return str(path.relative_to(LESSONS))
    except ValueError:
        return f"{path.name} (in the folder MINIGAN_LESSON_OUT names)"


#: The modules whose docstrings are lesson 12's text (and the text of lesson 13's character models).
CHAR_MODULES = [
    "textwrap",
    "heapq",
    "bisect",
    "functools",
    "itertools",
    "collections",
    "statistics",
    "fractions",
    "string",
    "random",
    "json",
    "csv",
    "pathlib",
    "argparse",
]


def stdlib_docstrings(names, methods: bool = False) -> str:
    """The docstrings of the modules ``names``, of their public functions and classes, and (with
    ``methods``) of the classes' public methods, joined by blank lines. A module this Python
    lacks is skipped."""
    import importlib
    import inspect

    docs = []
    for name in names:
        try:
            m = importlib.import_module(name)
        except ImportError:
            continue
        objs = [m] + [
            v
            for k, v in sorted(vars(m).items())
            if not k.startswith("_")
            and (inspect.isfunction(v) or inspect.isclass(v))
            and getattr(v, "__module__", None) == m.__name__
        ]
        if methods:
            objs += [
                f
                for c in objs[1:]
                if inspect.isclass(c)
                for k, f in sorted(vars(c).items())
                if not k.startswith("_") and inspect.isfunction(f)
            ]
        docs += [d for d in map(inspect.getdoc, objs) if d]
    return "\n\n".join(docs)


def stdlib_text(names=CHAR_MODULES) -> str:
    """A character model's text: :func:`stdlib_docstrings` of ``names`` in printable ASCII (any
    other character becomes ``?``), with runs of spaces cut to one (indentation would teach it
    mostly spaces). Under ``python -OO``, which strips docstrings, the source of ``textwrap``."""
    import importlib
    import inspect
    import re

    text = stdlib_docstrings(names)
    if len(text) < 5000:
        text = Path(
            inspect.getsourcefile(importlib.import_module("textwrap"))
        ).read_text()
    text = "".join(c if (32 <= ord(c) < 127 or c == "\n") else "?" for c in text)
    return re.sub(r" +", " ", text)


def course_texts(size: int | None = None, held_out: float = 0.1) -> dict:
    """Lessons 12 and 13's texts in two languages, split for training and scoring:
    ``{"en": (train, test), "pt_BR": (train, test)}``.

    The course's own prose (:func:`minigan.data.course_text`): the same messages, line for
    line, in English and in Brazilian Portuguese. The first messages are taken, as many as
    fit in ``size`` characters in both languages (all of them without ``size``). The last of
    them, about ``held_out`` of the English characters, are the held-out part in both
    languages, so that the two held-out texts say the same things. The training parts are cut
    to the same number of characters, the shorter one's (the longer one loses its start)."""
    from minigan.data import course_text

    lines = {
        lang: course_text(lang).splitlines(keepends=True) for lang in ("en", "pt_BR")
    }
    m = n_en = n_pt = 0
    for a, b in zip(lines["en"], lines["pt_BR"]):
        if size is not None and max(n_en + len(a), n_pt + len(b)) > size:
            break
        m, n_en, n_pt = m + 1, n_en + len(a), n_pt + len(b)
    k, tail = m, 0
    while k > 1 and tail < held_out * n_en:  # the held-out messages, from the end back
        k -= 1
        tail += len(lines["en"][k])
    train = {lang: "".join(ls[:k]) for lang, ls in lines.items()}
    n = min(len(t) for t in train.values())
    return {
        lang: (train[lang][len(train[lang]) - n :], "".join(ls[k:m]))
        for lang, ls in lines.items()
    }
