"""Escape the number that starts a translated heading in the Portuguese catalogs.

    python tools/escape_headings.py          # rewrite docs/locale/pt_BR/LC_MESSAGES/**/*.po
    python tools/escape_headings.py --check  # exit 1 and name the entries, rewriting nothing

A translation that starts with "1. " is read by MyST as a numbered list, and Sphinx then keeps
the English heading without a word: the number is written "1\\. " instead (the page shows
"1."). An entry is rewritten when both its English and its translation start with a number
and a dot.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

LOCALE = Path(__file__).resolve().parents[1] / "docs" / "locale" / "pt_BR" / "LC_MESSAGES"
# msgid "1. ..." then msgstr "1. ..." (one-line strings, as sphinx-intl writes short headings)
ENTRY = re.compile(r'^(msgid "\d+\. .*"\nmsgstr ")(\d+)\. ', re.M)


def main(argv=None) -> int:
    check = "--check" in (argv if argv is not None else sys.argv[1:])
    found = []
    for po in sorted(LOCALE.rglob("*.po")):
        text = po.read_text(encoding="utf-8")
        new, n = ENTRY.subn(lambda m: m.group(1) + m.group(2) + "\\\\. ", text)
        if n:
            found.append(f"{po.relative_to(LOCALE)}: {n}")
            if not check:
                po.write_text(new, encoding="utf-8")
    for line in found:
        print(("unescaped " if check else "escaped ") + line)
    return 1 if (check and found) else 0


if __name__ == "__main__":
    sys.exit(main())
