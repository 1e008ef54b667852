"""The course's own prose as plain text, in English and in Brazilian Portuguese: the text that
lessons 12 and 13 train their character models on besides Python's docstrings.

Document 003 (chapter 2, "Modelos baseados em caracteres") asks the student to repeat the
character-level LSTM "com algum texto de sua preferência, em português". minigan's course has a
Portuguese edition, so it has such a text of its own: ``minigan/datasets/course_text.npz``
holds the translated prose messages of the course (``docs/locale/pt_BR/``: every page but
lessons 12 and 13, whose prose reports what the models score on this text) and, for English,
the same messages' originals, stripped of their markup by ``tools/course_text.py``. The two
texts say the same things, message for message, line for line. The file is a snapshot of the
catalogs, retaken deliberately (lessons 12 and 13 quote numbers measured on it). They are the course's own text,
under minigan's MIT license (see NOTICE.md).
"""

from __future__ import annotations

import os

from ..checks import check_choice
from ..errors import DataError
from ..files.npzread import NpzReader

__all__ = ["course_text", "COURSE_TEXT_PATH", "COURSE_LANGUAGES"]

#: The course's prose, both languages, shipped with minigan (written by tools/course_text.py).
COURSE_TEXT_PATH = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "datasets", "course_text.npz"
)
#: The languages of :func:`course_text`.
COURSE_LANGUAGES = {"en": "English, the source", "pt_BR": "Brazilian Portuguese, the translation"}


def course_text(language: str = "pt_BR") -> str:
    """The prose of the minigan course in ``language``, as plain text (one message a line).

    ``"pt_BR"`` is the Portuguese edition's translation; ``"en"`` is the English original of
    the very same messages, so line ``i`` of one is the translation of line ``i`` of the other.
    Math, inline code and Markdown are stripped. Nothing is downloaded: the text ships with
    minigan.

    Parameters
    ----------
    language : {"pt_BR", "en"}

    Returns
    -------
    str
    """
    language = check_choice("course_text", "language", language, COURSE_LANGUAGES)
    try:
        with NpzReader(COURSE_TEXT_PATH, DataError, "course_text", max_members=len(COURSE_LANGUAGES)) as f:
            raw = f.read(language)
    except OSError as exc:
        raise DataError(
            f"course_text: the bundled text {COURSE_TEXT_PATH} is missing or unreadable ({exc}); reinstall minigan"
        ) from exc
    except KeyError:
        raise DataError(f"course_text: the bundled text {COURSE_TEXT_PATH} has no {language!r} text") from None
    if raw.ndim != 1 or raw.dtype.kind != "u" or raw.dtype.itemsize != 1:
        raise DataError(
            f"course_text: the bundled text {COURSE_TEXT_PATH} holds {raw.dtype} {raw.shape} for "
            f"{language!r}; expected the UTF-8 bytes as a 1-D uint8 array"
        )
    try:
        return raw.tobytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"course_text: the {language!r} text of {COURSE_TEXT_PATH} is not UTF-8 ({exc})") from exc
