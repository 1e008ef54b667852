"""The attack table of the reliability classes, measured by the project's own tests.

Runs the tests marked ``attack`` (``tests/attacks.py`` sorts each attempt into clear, silent,
raw traceback, hang or data lost), then prints one row per class with the tests that attacked it
and a command that reruns them::

    python tools/attack_table.py                 # all of them (about 4 minutes on 2 cores)
    python tools/attack_table.py --fuzz 300      # with 300 fuzz examples per entry point
    python tools/attack_table.py --from t.json   # print a tally written before

"clear" counts the attempts that ended with the right result or the promised refusal (the
expected error naming the file, argument, layer or tensor; exit 2 or 130 with one line). The
exit status is 0 when every other column is 0.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLUMNS = ("clear", "silent", "raw", "hang", "data_lost")


def run(fuzz: int | None, extra: list[str]) -> dict:
    fd, path = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    env = {**os.environ, "MINIGAN_ATTACK_TALLY": path}
    env["PYTHONPATH"] = os.pathsep.join([REPO, env.get("PYTHONPATH", "")])
    if fuzz:
        env["MINIGAN_FUZZ_EXAMPLES"] = str(fuzz)
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "attack", *extra]
    print("running:", " ".join(cmd[1:]), file=sys.stderr, flush=True)
    r = subprocess.run(cmd, cwd=REPO, env=env)
    with open(path) as fh:
        tally = json.load(fh)
    os.unlink(path)
    tally["pytest_exit"] = r.returncode
    return tally


def table(tally: dict) -> str:
    classes, counts, tests = tally["classes"], tally["tally"], tally.get("tests", {})
    head = "| class | attempts | " + " | ".join(c.replace("_", " ") for c in COLUMNS) + " | tests |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 3)]
    for key, what in classes.items():
        c = counts.get(key, {})
        n = sum(c.values())
        names = sorted({t.split("::")[-1] for t in tests.get(key, [])})
        lines.append(
            f"| {key}: {what} | {n} | " + " | ".join(str(c.get(col, 0)) for col in COLUMNS) + f" | {len(names)} |"
        )
    lines.append("")
    lines.append("Rerun one class: python -m pytest -q -m attack -k '<its tests joined by or>'; the tests:")
    for key in classes:
        names = sorted({t.split("::")[-1] for t in tests.get(key, [])})
        files = sorted({t.split("::")[0] for t in tests.get(key, [])})
        lines.append(f"- {key} ({', '.join(files)}): -k '{' or '.join(names)}'")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--fuzz", type=int, default=None, metavar="N", help="fuzz examples per entry point (default 25)")
    p.add_argument("--from", dest="source", default=None, metavar="JSON", help="print a tally written before")
    p.add_argument("--json", default=None, metavar="PATH", help="also write the tally here")
    p.add_argument("pytest_args", nargs="*", help="more pytest arguments (after --)")
    a = p.parse_args(argv)
    if a.source:
        with open(a.source) as fh:
            tally = json.load(fh)
    else:
        tally = run(a.fuzz, a.pytest_args)
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(tally, fh, indent=1)
    print(table(tally))
    bad = sum(v for c in tally["tally"].values() for k, v in c.items() if k != "clear")
    return 0 if bad == 0 and tally.get("pytest_exit", 0) == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
