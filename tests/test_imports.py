"""The import graph of minigan/ has no cycle (DESIGN.md §2: imports point down the layout),
and every module imports on its own in a fresh interpreter."""
import ast
import os
import subprocess
import sys
from pathlib import Path

import minigan

ROOT = Path(minigan.__file__).parent

# A cycle that another change of issue 10 removes (metrics/ is being split into one module per
# concept, with __init__ only re-exporting); delete the entry once that lands.
KNOWN_CYCLES: set = set()


def _module_name(path: Path) -> str:
    parts = ("minigan",) + path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py")) if p.name != "__main__.py"}


def import_graph() -> dict[str, set[str]]:
    """module -> the minigan modules it imports, at any depth of its code (an import inside a
    function is an edge too: a lazy import that only dodges a cycle is still a cycle). Only an
    import under ``if TYPE_CHECKING:`` is no edge: it never runs, it only names a type."""
    mods = _modules()
    graph = {m: set() for m in mods}
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(path.read_text(), str(path))
        typing_only = {id(n) for top in ast.walk(tree)
                       if isinstance(top, ast.If) and ast.unparse(top.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")
                       for stmt in top.body for n in ast.walk(stmt)}
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package
                    for _ in range(node.level - 1):
                        base = base.rpartition(".")[0]
                    base = f"{base}.{node.module}" if node.module else base
                else:
                    base = node.module or ""
                for alias in node.names:
                    target = f"{base}.{alias.name}" if f"{base}.{alias.name}" in mods else base
                    if target in mods and target != name:
                        graph[name].add(target)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in mods and alias.name != name:
                        graph[name].add(alias.name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[frozenset]:
    """The strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(frozenset(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_graph_sees_the_imports():
    g = import_graph()
    assert "minigan.checks" in g["minigan.pooling"] and "minigan.module" in g["minigan.conv"]
    assert "minigan.im2col" in g["minigan.conv"] and "minigan.layers" in g["minigan.gradcheck.cases.layers"]
    assert "minigan.gradcheck.cases" in g["minigan.gradcheck"]  # the lazy import in registered_cases


def test_cycle_finder_finds_a_lazy_cycle():
    g = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(g) == [frozenset({"a", "b", "c"})]


def test_no_import_cycle_in_minigan():
    found = set(cycles(import_graph()))
    assert found <= KNOWN_CYCLES, f"import cycles: {[sorted(c) for c in found - KNOWN_CYCLES]}"


def test_no_layer_imports_gradcheck():
    """The gradient-check cases import the layers, never the other way round; the machinery
    (gradcheck/__init__, registry) imports no layer."""
    g = import_graph()
    for name, targets in g.items():
        if not name.startswith("minigan.gradcheck") and name != "minigan":
            assert not any(t.startswith("minigan.gradcheck") for t in targets), name
    machinery = g["minigan.gradcheck"] | g["minigan.gradcheck.registry"]
    assert machinery <= {"minigan.backend", "minigan.gradcheck.registry", "minigan.gradcheck.cases"}


def test_every_module_imports_alone_in_a_fresh_interpreter():
    names = sorted(_modules())
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    for m in [m for m in sys.modules if m == 'minigan' or m.startswith('minigan.')]:\n"
        "        del sys.modules[m]\n"
        "    importlib.import_module(name)\n"
        "print('ok', len(" f"{names!r}" "))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT.parent), os.environ.get("PYTHONPATH", "")])}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.startswith("ok")
