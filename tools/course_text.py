"""Write the course's own prose, in English and in Brazilian Portuguese, as plain text for the
character models of lessons 12 and 13: ``minigan/datasets/course_text.npz``.

    python tools/course_text.py           # (re)write minigan/datasets/course_text.npz
    python tools/course_text.py --check   # how far the shipped file has drifted from the catalogs

Document 003, chapter 2, ends its character-level LSTM with an exercise: "Repita o experimento
com algum texto de sua preferência, em português". The Portuguese text is the course's own
translation, so it ships with minigan and is nobody else's: the translated messages of the
Portuguese edition's catalogs, ``docs/locale/pt_BR/LC_MESSAGES/**/*.po``. The English text is
the same messages' English originals (their ``msgid``), so the two texts hold the same content
in two languages:

- the catalogs are read in the order of their paths (``glossary.po``, ``index.po``,
  ``lessons/01_perceptron.po``, ...), and each catalog's messages in the order they stand in it,
  except those of lessons 12 and 13 (``EXCLUDED``): their prose quotes the numbers that their
  models score on this very text, so with them in it every number quoted would change the text,
  and with it the numbers;
- a message is taken only when it is translated and not marked fuzzy (both texts then take it),
  and not when it is a display equation (no ``$``, and a LaTeX command such as ``\\text``), nor
  when the same English message came earlier (the "Your turn" paragraph of every lesson, the
  headers of its table: a text that repeats itself would teach the models to recite);
- the markup is stripped, in both languages the same way, to plain prose: math (``$...$``,
  ``$$...$$``) and inline code (`````...`````) are removed, a link ``[text](target)`` keeps its
  text, a role ``{download}`text <target>``` keeps its text (a bare ``{eq}`label``` goes),
  Markdown emphasis (``**``, ``*``) and escapes (``1\\.``) go; runs of white space become one
  space, and a space
  left before punctuation or inside brackets by a removed piece goes too;
- a message whose stripped text has no letter (a number, a code name) is left out;
- each message is one line: the text is the lines joined by ``\\n``, ending with one.

The archive holds two uint8 arrays, the UTF-8 bytes of each text, under the keys ``"en"`` and
``"pt_BR"``; :func:`minigan.data.course_text` reads it. The archive is written byte for byte
the same for the same text (fixed member dates), so regenerating it changes the file only when
the catalogs changed.

The shipped file is a snapshot, on purpose. Lessons 12 and 13 quote what their models score on
it, so a catalog's typo fix must not silently make those numbers stale: the text is regenerated
as a deliberate step, and then lessons 12 and 13 are run again and their numbers updated.
``--check`` says how much of the shipped Portuguese text (in characters) the catalogs no longer
produce, and exits 1 when that share is above ``MAX_DRIFT`` (the translation has moved on far
enough that the snapshot should be retaken) or when the file is missing or malformed (the two
texts must have the same number of lines).

Needs babel (the ``docs`` extra) to read the catalogs.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "docs" / "locale" / "pt_BR" / "LC_MESSAGES"
OUT = ROOT / "minigan" / "datasets" / "course_text.npz"
LANGUAGES = ("en", "pt_BR")
#: The catalogs left out: the pages whose prose reports what the character models score on the
#: course text (a text that quoted its own statistics would change with every quotation).
EXCLUDED = ("lessons/12_rnn.po", "lessons/13_language_models.po")
#: The largest share of the shipped Portuguese text (in characters) that the catalogs may no
#: longer produce before ``--check`` fails.
MAX_DRIFT = 0.10

_DISPLAY_MATH = re.compile(r"\\[A-Za-z]+")
_MATH = re.compile(r"\$\$.+?\$\$|\$[^$]+\$", re.S)
_CODE = re.compile(r"``.+?``|`[^`]*`", re.S)
_ROLE = re.compile(r"\{[A-Za-z:_-]+\}`([^`]*)`")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"\*{1,3}(?=\S)(.+?)(?<=\S)\*{1,3}", re.S)


def _role(m: re.Match) -> str:
    """``{download}`text <target>``` -> text; a role without a text (``{eq}`label```) -> ""."""
    inner = m.group(1)
    target = re.search(r"\s*<[^>]*>\s*$", inner)
    return inner[: target.start()] if target else ""


def plain(message: str) -> str:
    """One catalog message as plain prose (see the module docstring)."""
    s = _ROLE.sub(_role, message)
    s = _CODE.sub(" ", s)
    s = _MATH.sub(" ", s)
    # Markdown's escapes ("1\\." in a translated numbered heading, "\\*"): kept aside as
    # private-use characters while the markup goes, then given back as the plain character
    s = re.sub(r"\\([!-/:-@\[-`{-~])", lambda m: chr(0xE000 + ord(m.group(1))), s)
    s = _LINK.sub(r"\1", s)
    s = _EMPHASIS.sub(r"\1", s)
    s = re.sub("[\ue000-\ue07f]", lambda m: chr(ord(m.group()) - 0xE000), s)
    s = re.sub(r"\s+", " ", s)
    s = re.sub(r"\(\s*[,;:]?\s*\)", " ", s)  # "()" or "(, )" left by removed pieces
    s = re.sub(r"\s+([,.;:!?)\]])", r"\1", s)
    s = re.sub(r"([(\[])\s+", r"\1", s)
    s = re.sub(r"\s+", " ", s)
    return s.strip()


def is_display_equation(msgid: str) -> bool:
    """A display equation's message: raw LaTeX, no ``$`` (build_site.py extracts one only when
    it has words in ``\\text{...}``)."""
    return "$" not in msgid and bool(_DISPLAY_MATH.search(msgid))


def catalogs(locale: Path = LOCALE) -> list[Path]:
    """The Portuguese catalogs of the text, in the order of their paths (``/``-separated),
    without the ``EXCLUDED`` ones."""
    found = [p for p in locale.rglob("*.po") if p.relative_to(locale).as_posix() not in EXCLUDED]
    return sorted(found, key=lambda p: p.relative_to(locale).as_posix())


def texts(locale: Path = LOCALE) -> dict[str, str]:
    """``{"en": ..., "pt_BR": ...}``: the translated messages of every catalog, plain."""
    from babel.messages.pofile import read_po

    lines: dict[str, list[str]] = {lang: [] for lang in LANGUAGES}
    seen: set[str] = set()
    for po in catalogs(locale):
        with open(po, "rb") as fh:
            catalog = read_po(fh)
        for m in catalog:
            if not m.id or not m.string or m.fuzzy or is_display_equation(m.id) or m.id in seen:
                continue
            seen.add(m.id)
            en, pt = plain(m.id), plain(m.string)
            if not (re.search(r"[^\W\d_]", en) and re.search(r"[^\W\d_]", pt)):
                continue
            lines["en"].append(en)
            lines["pt_BR"].append(pt)
    return {lang: "".join(line + "\n" for line in lines[lang]) for lang in LANGUAGES}


def write(found: dict[str, str], path: Path = OUT) -> None:
    """The archive: one deflated ``<language>.npy`` member per text (uint8 UTF-8 bytes), with a
    fixed date, written to a temporary file and renamed over ``path``."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for lang in LANGUAGES:
            member = io.BytesIO()
            np.lib.format.write_array(member, np.frombuffer(found[lang].encode("utf-8"), dtype=np.uint8))
            info = zipfile.ZipInfo(f"{lang}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, member.getvalue(), compresslevel=9)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(buf.getvalue())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def shipped(path: Path = OUT) -> dict[str, str] | None:
    """The texts in the shipped archive, or None if it is missing or unreadable."""
    try:
        with np.load(path, allow_pickle=False) as f:
            return {lang: bytes(f[lang]).decode("utf-8") for lang in LANGUAGES}
    except (OSError, KeyError, ValueError, UnicodeDecodeError, zipfile.BadZipFile):
        return None


def drift(have: dict[str, str], found: dict[str, str]) -> float:
    """The share of ``have``'s Portuguese characters in lines that ``found`` no longer holds."""
    now = set(found["pt_BR"].splitlines())
    lines = have["pt_BR"].splitlines()
    total = sum(len(line) for line in lines)
    gone = sum(len(line) for line in lines if line not in now)
    return gone / total if total else 1.0


def _summary(found: dict[str, str]) -> str:
    return ", ".join(
        f"{lang}: {len(found[lang]):,} characters in {found[lang].count(chr(10)):,} messages" for lang in LANGUAGES
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--check",
        action="store_true",
        help=f"exit 1 if the shipped file is malformed or more than {MAX_DRIFT:.0%} of it has left the catalogs",
    )
    args = ap.parse_args(argv)
    found = texts()
    where = OUT.relative_to(ROOT)
    if args.check:
        have = shipped(OUT)
        if have is None:
            print(f"{where} is missing or unreadable; run python tools/course_text.py")
            return 1
        counts = {lang: have[lang].count("\n") for lang in LANGUAGES}
        if len(set(counts.values())) != 1 or not all(have[lang].endswith("\n") for lang in LANGUAGES):
            print(f"{where} is malformed: the two texts must have the same lines ({counts})")
            return 1
        share = drift(have, found)
        verdict = (
            "snapshot" if have == found else f"snapshot; {share:.1%} of its Portuguese is no longer in the catalogs"
        )
        print(f"{where}: {_summary(have)} ({verdict}; catalogs now: {_summary(found)})")
        if share > MAX_DRIFT:
            print(
                f"more than {MAX_DRIFT:.0%} has drifted: run python tools/course_text.py, then lessons 12 and 13, "
                "and update the numbers their prose quotes"
            )
            return 1
        return 0
    write(found, OUT)
    print(f"wrote {where}: {_summary(found)}; {OUT.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
