"""The Portuguese edition keeps step with the English one.

The English prose of the course (the front page, every lesson's Markdown and figure captions,
the list of lessons, the instructors' page, the glossary) is extracted into gettext messages
(``docs/build_site.py``'s ``extract``, the same code as ``python docs/build_site.py --gettext``)
and compared with the Portuguese catalogs ``docs/locale/pt_BR/LC_MESSAGES/``: a message that
changed in English and whose translation is missing or marked fuzzy counts as untranslated, and
no page may have more than 5 % of its messages untranslated. Run ``python docs/build_site.py
--gettext`` to merge new English messages into the catalogs, then translate them.

Needs the docs extra (Sphinx, MyST-NB, babel); without it the test skips with the reason, and
with ``CI=true`` it fails instead.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "docs" / "locale" / "pt_BR" / "LC_MESSAGES"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
MAX_UNTRANSLATED = 0.05

# Sphinx 9 warns about an attribute MyST-Parser still reads; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:.*Check CHANGES for Sphinx API modifications")


def _need(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        if IN_CI:
            pytest.fail(f"{module} is not installed (CI=true: pip install -e '.[docs]')")
        pytest.skip(f"{module} is not installed: pip install -e '.[docs]'")


@pytest.fixture(scope="module")
def pot(tmp_path_factory) -> Path:
    for module in ("sphinx", "myst_nb", "jupytext", "babel"):
        _need(module)
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        import build_site
    finally:
        sys.path.pop(0)
    out = build_site.extract(tmp_path_factory.mktemp("gettext") / "src", build_site.lessons())
    assert out is not None, "Sphinx's gettext builder failed"
    return out


def _messages(path: Path) -> dict:
    from babel.messages.pofile import read_po

    with open(path, "rb") as fh:
        catalog = read_po(fh)
    return {m.id: m for m in catalog if m.id}


def test_every_page_has_a_catalog(pot):
    pages = sorted(p.relative_to(pot).with_suffix(".po") for p in pot.rglob("*.pot"))
    assert pages, "no message extracted"
    missing = [str(p) for p in pages if not (LOCALE / p).is_file()]
    assert not missing, f"pages without a Portuguese catalog (run python docs/build_site.py --gettext): {missing}"


def test_no_page_has_more_than_5_percent_of_its_messages_untranslated(pot):
    report = []
    for page in sorted(pot.rglob("*.pot")):
        rel = page.relative_to(pot).with_suffix(".po")
        english = _messages(page)
        po = LOCALE / rel
        translated = _messages(po) if po.is_file() else {}
        stale = [i for i in english if i not in translated or not translated[i].string or translated[i].fuzzy]
        share = len(stale) / max(len(english), 1)
        if share > MAX_UNTRANSLATED:
            report.append(
                f"{rel}: {len(stale)} of {len(english)} messages untranslated or fuzzy, e.g. {stale[0][:80]!r}"
            )
    assert not report, "\n".join(report)


def test_the_catalogs_hold_no_message_the_english_no_longer_has(pot):
    """A message the English text dropped lingers in a catalog only as an obsolete (#~) entry."""
    extra = []
    for po in sorted(LOCALE.rglob("*.po")):
        page = pot / po.relative_to(LOCALE).with_suffix(".pot")
        english = _messages(page) if page.is_file() else {}
        gone = [i for i, m in _messages(po).items() if i not in english]
        if gone:
            extra.append(f"{po.relative_to(LOCALE)}: {len(gone)} messages not in the English, e.g. {gone[0][:60]!r}")
    assert not extra, "\n".join(extra) + "\n(run python docs/build_site.py --gettext to mark them obsolete)"


def test_the_shipped_course_text_matches_the_catalogs():
    """minigan/datasets/course_text.npz (the Portuguese text of lessons 12 and 13's character
    models, and its English originals) is what tools/course_text.py makes of the catalogs:
    after a catalog changes, run ``python tools/course_text.py``."""
    _need("babel")
    import subprocess

    r = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "course_text.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_course_text_strips_the_markup_and_check_fails_on_a_stale_file(tmp_path, monkeypatch):
    _need("babel")
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import course_text
    finally:
        sys.path.pop(0)
    assert course_text.plain(
        "**Objective.** Train `mg.LSTM` with $\\text{lr} = 2 \\cdot 10^{-3}$ ([lesson 12](12_rnn.ipynb)), "
        "the *same* as {download}`the notebook <files/x.ipynb>` and $$a$$."
    ) == "Objective. Train with (lesson 12), the same as the notebook and."
    assert course_text.plain("7\\. Lendo a tabela, \\*não\\* **esta**") == "7. Lendo a tabela, *não* esta"
    assert course_text.is_display_equation("\\text{FID} = \\lVert \\mu \\rVert^2")
    assert not course_text.is_display_equation("the loss $\\mathcal{L}$ falls")
    stale = tmp_path / "course_text.npz"
    course_text.write({"en": "one\n", "pt_BR": "um\n"}, stale)
    assert course_text.shipped(stale) == {"en": "one\n", "pt_BR": "um\n"}
    monkeypatch.setattr(course_text, "OUT", stale)
    monkeypatch.setattr(course_text, "ROOT", tmp_path)
    assert course_text.main(["--check"]) == 1
    course_text.main([])  # rewrites the file from the catalogs
    assert course_text.main(["--check"]) == 0
    first = stale.read_bytes()
    course_text.main([])
    assert stale.read_bytes() == first  # the same text, the same bytes
