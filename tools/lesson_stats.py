"""Per lesson: display equations (and how many are tagged with a document section), inline
math, captioned figures and words of prose, counted from the lesson sources.

    python tools/lesson_stats.py

Prose is the markdown cells (``# %% [markdown]``); display equations are ``$$…$$``, inline
math ``$…$`` outside them and outside fenced code; a figure is a cell whose header carries a
MyST-NB ``"figure"`` (a caption and a name); words are runs of letters outside math and
inline code. Prints a Markdown table.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def stats(path: Path) -> tuple[int, int, int, int, int]:
    """(display equations, tagged, inline math, figures, words) of one lesson."""
    md, figures = [], 0
    for cell in re.split(r"^# %%", path.read_text(encoding="utf-8"), flags=re.M):
        head, _, body = cell.partition("\n")
        if "[markdown]" in head:
            md.append(
                "\n".join(ln[2:] if ln.startswith("# ") else ln[1:] for ln in body.split("\n") if ln.startswith("#"))
            )
        if '"figure"' in head:
            figures += 1
    text = "\n".join(md)
    display = len(re.findall(r"\$\$(.+?)\$\$", text, flags=re.S))
    tagged = len(re.findall(r"\\tag\{", text))
    rest = re.sub(r"```.*?```", "", re.sub(r"\$\$(.+?)\$\$", "", text, flags=re.S), flags=re.S)
    inline = len(re.findall(r"(?<!\\)\$[^$\n]+?\$", rest))
    words = len(re.findall(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'’-]*", re.sub(r"\$[^$]*\$|`[^`]*`", "", rest)))
    return display, tagged, inline, figures, words


def main() -> int:
    rows = [(p.stem[:2], *stats(p)) for p in sorted((ROOT / "lessons").glob("[0-9][0-9]_*.py"))]
    print("| lesson | display equations | tagged with a document § | inline math | figures | words |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(f"{v:,}" if isinstance(v, int) else v for v in r) + " |")
    totals = [sum(r[i] for r in rows) for i in range(1, 6)]  # type: ignore[misc]
    print("| all | " + " | ".join(f"{t:,}" for t in totals) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
