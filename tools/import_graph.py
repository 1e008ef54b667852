"""Count minigan's import graph: modules, edges, cycles, and edges that point up the layers.

    python tools/import_graph.py                 # this checkout's minigan/
    python tools/import_graph.py --root DIR      # another checkout (e.g. a git worktree of an old commit)
    python tools/import_graph.py --list          # also print every upward edge and every cycle

The layers are those of docs/architecture.md, lowest first (LAYERS below). A module may import
from its own layer and the layers below it. An edge "points up" when a module imports a module
of a higher layer. Imports inside functions (lazy) and under ``if TYPE_CHECKING:`` are edges
too, counted separately. The package's ``minigan/__init__.py`` re-exports the public names and
sits above every layer. No third-party import is read: the graph is found with ``ast`` alone.
"""

from __future__ import annotations

import argparse
import ast
import sys
from dataclasses import dataclass, field
from pathlib import Path

# Lowest first, as docs/architecture.md §2 states them (tests/test_architecture.py checks that
# the two tables agree). A module belongs to the layer that names the first component of its
# dotted path below ``minigan`` (``minigan.nn.conv`` -> "nn"; ``minigan.data.batches`` -> "data").
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("foundation", ("backend", "checks", "argtypes", "errors", "blas", "files", "_moved")),
    ("engine", ("nn",)),
    ("built on the engine", ("models", "gradcheck", "interop", "data")),
    ("checkpoint", ("checkpoint",)),
    ("gan", ("gan",)),
    ("evaluation and pictures", ("metrics", "viz", "progress")),
    ("applications", ("runner", "train", "exercises")),
]
# The modules of the flat layout (before minigan/nn/, minigan/data/, ...), placed in the layer
# their code belongs to, so that an old checkout is measured against the same rules.
FLAT_LAYOUT = {
    "atomic": "foundation",
    "npzread": "foundation",
    **dict.fromkeys(
        (
            "module",
            "sequential",
            "layers",
            "activations",
            "conv",
            "im2col",
            "pooling",
            "recurrent",
            "conditional",
            "losses",
            "optim",
            "clipping",
            "init",
            "torch_names",
        ),
        "engine",
    ),
    "batches": "built on the engine",
    "imagefolder": "built on the engine",
    "checkpoint_meta": "checkpoint",
    "training_state": "checkpoint",
    **dict.fromkeys(("cgan", "noise", "freeze", "history", "ema"), "gan"),
    "shapes": "applications",
}
LEVEL = {name: i for i, (_, names) in enumerate(LAYERS) for name in names}
LEVEL.update({name: [n for n, _ in LAYERS].index(layer) for name, layer in FLAT_LAYOUT.items()})
TOP = len(LAYERS)  # minigan/__init__.py


def level(mod: str) -> int:
    parts = mod.split(".")
    if len(parts) == 1:
        return TOP
    if parts[1] not in LEVEL:
        raise KeyError(f"{mod}: no layer in tools/import_graph.py's LAYERS")
    return LEVEL[parts[1]]


@dataclass
class Edge:
    src: str
    dst: str
    line: int
    lazy: bool  # inside a function or class body
    type_only: bool  # under `if TYPE_CHECKING:`
    names: tuple = ()  # names imported (from-imports)


@dataclass
class Graph:
    modules: list = field(default_factory=list)
    edges: list = field(default_factory=list)


def module_name(root: Path, path: Path) -> str:
    rel = path.relative_to(root).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _resolve(src: str, is_pkg: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = src.split(".")
    if not is_pkg:
        base = base[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def build(pkg_dir: Path) -> Graph:
    root = pkg_dir.parent
    files = sorted(p for p in pkg_dir.rglob("*.py") if "__pycache__" not in p.parts)
    g = Graph()
    names = {module_name(root, p): p for p in files}
    g.modules = sorted(names)
    for mod, path in names.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        is_pkg = path.name == "__init__.py"

        def visit(node, lazy: bool, type_only: bool, mod: str = mod, is_pkg: bool = is_pkg):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                    visit(child, True, type_only)
                elif isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                    for sub in child.body:
                        visit(ast.Module(body=[sub], type_ignores=[]), lazy, True)
                    for sub in child.orelse:
                        visit(ast.Module(body=[sub], type_ignores=[]), lazy, type_only)
                elif isinstance(child, ast.Import):
                    for a in child.names:
                        if a.name == "minigan" or a.name.startswith("minigan."):
                            target = a.name
                            while target not in names and "." in target:
                                target = target.rsplit(".", 1)[0]
                            g.edges.append(Edge(mod, target, child.lineno, lazy, type_only))
                elif isinstance(child, ast.ImportFrom):
                    target = _resolve(mod, is_pkg, child)
                    if not (target == "minigan" or target.startswith("minigan.")):
                        continue
                    for a in child.names:
                        sub = f"{target}.{a.name}"
                        dst = sub if sub in names else target
                        while dst not in names and "." in dst:
                            dst = dst.rsplit(".", 1)[0]
                        g.edges.append(Edge(mod, dst, child.lineno, lazy, type_only, (a.name,)))
                else:
                    visit(child, lazy, type_only)

        visit(tree, False, False)
    return g


def unique(edges) -> set:
    return {(e.src, e.dst) for e in edges if e.src != e.dst}


def cycles(pairs: set) -> list:
    """Strongly connected components with more than one module (Tarjan)."""
    adj: dict = {}
    for a, b in pairs:
        adj.setdefault(a, set()).add(b)
        adj.setdefault(b, set())
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]
    sys.setrecursionlimit(10000)

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in adj[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(adj):
        if v not in index:
            strong(v)
    return out


def upward(edges) -> list:
    return [e for e in edges if e.src != e.dst and level(e.dst) > level(e.src) and level(e.src) != TOP]


def private_imports(edges) -> list:
    """``from other_module import _name`` across files (a leading underscore is private)."""
    return [
        e
        for e in edges
        if e.src != e.dst
        and any(
            n.startswith("_") and not n.startswith("__") and e.dst != f"{e.src}.{n}"  # a package's own private module
            for n in e.names
        )
    ]


def report(pkg_dir: Path, listing: bool = False) -> dict:
    g = build(pkg_dir)
    eager = [e for e in g.edges if not e.lazy and not e.type_only]
    running = [e for e in g.edges if not e.type_only]
    up = upward(g.edges)
    figures = {
        "modules": len(g.modules),
        "edges": len(unique(g.edges)),
        "edges_module_level": len(unique(eager)),
        "edges_lazy": len(unique([e for e in g.edges if e.lazy and not e.type_only]) - unique(eager)),
        "edges_type_only": len(unique([e for e in g.edges if e.type_only]) - unique(running)),
        "cycles_module_level": len(cycles(unique(eager))),
        "cycles_run_time": len(cycles(unique(running))),
        "cycles_with_type_only": len(cycles(unique(g.edges))),
        "edges_up": len(unique(up)),
        "edges_up_module_level": len(unique([e for e in up if not e.lazy and not e.type_only])),
        "private_names_imported": len(private_imports(g.edges)),
    }
    if listing:
        for e in sorted(up, key=lambda e: (e.src, e.dst)):
            kind = "type-only" if e.type_only else "lazy" if e.lazy else "module level"
            print(f"  up: {e.src} -> {e.dst} (line {e.line}, {kind})")
        for c in cycles(unique(g.edges)):
            print(f"  cycle: {' <-> '.join(c)}")
        for e in private_imports(g.edges):
            print(f"  private: {e.src} imports {', '.join(e.names)} from {e.dst} (line {e.line})")
    return figures


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--root",
        default=str(Path(__file__).resolve().parent.parent),
        help="a checkout holding minigan/ (default: this one)",
    )
    p.add_argument("--list", action="store_true", help="print every upward edge, cycle and private import")
    a = p.parse_args(argv)
    pkg = Path(a.root) / "minigan"
    if not (pkg / "__init__.py").is_file():
        print(f"import_graph: {pkg} is not a minigan package folder", file=sys.stderr)
        return 2
    try:
        figures = report(pkg, a.list)
    except KeyError as exc:
        print(f"import_graph: {exc.args[0]}", file=sys.stderr)
        return 2
    for k, v in figures.items():
        print(f"{k:<26}{v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
