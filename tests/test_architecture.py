"""The import rules of docs/architecture.md §2, enforced on minigan/ as it is; the old dotted
paths of §11; the public names of ``import minigan as mg``; every module importing alone.

The graph is read by tools/import_graph.py (``ast`` only, nothing imported), the same script
that reports the figures (``python tools/import_graph.py``)."""

import importlib
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import minigan

ROOT = Path(minigan.__file__).parent
REPO = ROOT.parent
sys.path.insert(0, str(REPO / "tools"))
import import_graph as ig  # noqa: E402

GRAPH = ig.build(ROOT)


def _edges(kind: str = "run") -> set:
    keep = {"run": lambda e: not e.type_only, "top": lambda e: not e.type_only and not e.lazy, "all": lambda e: True}[
        kind
    ]
    return ig.unique([e for e in GRAPH.edges if keep(e)])


def test_the_graph_sees_the_imports():
    edges = _edges("all")
    assert ("minigan.nn.pooling", "minigan.checks") in edges
    assert ("minigan.nn.conv", "minigan.nn.module") in edges and ("minigan.nn.conv", "minigan.nn.im2col") in edges
    assert ("minigan.gradcheck.cases.layers", "minigan.nn.layers") in edges
    assert ("minigan.gradcheck", "minigan.gradcheck.cases") in edges  # the lazy import in registered_cases
    assert ("minigan.gan.state", "minigan.gan.gan") in edges  # under TYPE_CHECKING


def test_the_rules_catch_what_they_forbid(tmp_path):
    """A planted package with an upward import, a cycle through a lazy import and a private
    name: the counters see each one."""
    pkg = tmp_path / "minigan"
    (pkg / "nn").mkdir(parents=True)
    (pkg / "gan").mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "nn" / "__init__.py").write_text("")
    (pkg / "gan" / "__init__.py").write_text("")
    (pkg / "checks.py").write_text("def f():\n    from .nn import layers\n")  # foundation -> engine: up
    (pkg / "nn" / "layers.py").write_text("from ..checks import f\nfrom ..gan.loop import _private\n")
    (pkg / "gan" / "loop.py").write_text("_private = 1\n")
    g = ig.build(pkg)
    up = {(e.src, e.dst) for e in ig.upward(g.edges)}
    assert up == {("minigan.checks", "minigan.nn.layers"), ("minigan.nn.layers", "minigan.gan.loop")}
    assert ig.cycles(ig.unique(g.edges)) == [["minigan.checks", "minigan.nn.layers"]]
    assert [e.names for e in ig.private_imports(g.edges)] == [("_private",)]


def test_cycle_finder_finds_a_longer_cycle():
    assert ig.cycles({("a", "b"), ("b", "c"), ("c", "a"), ("d", "a")}) == [["a", "b", "c"]]


def test_every_module_belongs_to_a_layer():
    for m in GRAPH.modules:
        ig.level(m)  # KeyError names a module missing from LAYERS


def test_no_import_points_up_a_layer():
    up = sorted(
        {(e.src, e.dst, "lazy" if e.lazy else "type-only" if e.type_only else "top") for e in ig.upward(GRAPH.edges)}
    )
    assert not up, f"imports that point up docs/architecture.md §2's layers: {up}"


def test_no_import_cycle_among_the_imports_that_run():
    assert ig.cycles(_edges("run")) == []


def test_type_only_imports_close_no_loop_across_layers():
    for comp in ig.cycles(_edges("all")):
        assert len({ig.level(m) for m in comp}) == 1, comp


def test_no_private_name_is_imported_from_another_file():
    assert ig.private_imports(GRAPH.edges) == []


def test_minigan_modules_import_each_other_at_their_top():
    """Lazy imports of minigan modules: only the start-up exception §2 names."""
    lazy = _edges("run") - _edges("top")
    assert lazy == {("minigan.gradcheck", "minigan.gradcheck.cases")}


def test_nothing_inside_the_package_imports_the_package_itself():
    assert not [e for e in GRAPH.edges if e.dst == "minigan" and e.src != "minigan"]


def test_the_engine_imports_only_the_foundation_and_itself():
    for src, dst in _edges("all"):
        if src.startswith("minigan.nn"):
            assert ig.level(dst) <= ig.level("minigan.nn"), (src, dst)


def test_the_gradcheck_machinery_imports_no_layer():
    """The cases import the layers, never the other way round; gradcheck/__init__ and the
    registry import only the backend (the cases are registered on first use)."""
    machinery = {d for s, d in _edges("all") if s in ("minigan.gradcheck", "minigan.gradcheck.registry")}
    assert machinery <= {"minigan.backend", "minigan.gradcheck.registry", "minigan.gradcheck.cases"}


def test_the_layer_table_of_the_document_is_the_one_enforced():
    """docs/architecture.md §2's table and tools/import_graph.py's LAYERS name the same layers,
    in the same order, with the same packages and modules."""
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text.split("## 2.", 1)[1].split("\n## ", 1)[0]
    rows = [r for r in section.splitlines() if r.startswith("| ") and not r.startswith("| layer") and "---" not in r]
    doc = [
        (cells[0].strip(), tuple(re.findall(r"`([^`]+)`", cells[1])))
        for cells in (r.strip("|").split("|") for r in rows)
    ]
    assert doc == [(name, names) for name, names in ig.LAYERS]


def test_the_import_graph_script_reports_the_figures():
    r = subprocess.run(
        [sys.executable, str(REPO / "tools" / "import_graph.py")], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr
    figures = dict(line.split() for line in r.stdout.splitlines())
    assert int(figures["modules"]) == len(GRAPH.modules) and figures["edges_up"] == "0"
    assert figures["cycles_run_time"] == "0" and figures["private_names_imported"] == "0"


def test_every_module_imports_alone_in_a_fresh_interpreter():
    names = sorted(m for m in GRAPH.modules if not m.endswith("__main__"))
    code = (
        "import importlib, sys, warnings\n"
        "warnings.filterwarnings('error', category=DeprecationWarning, module='minigan')  # an old path\n"
        f"for name in {names!r}:\n"
        "    for m in [m for m in sys.modules if m == 'minigan' or m.startswith('minigan.')]:\n"
        "        del sys.modules[m]\n"
        "    importlib.import_module(name)\n"
        "print('ok', len("
        f"{names!r}"
        "))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.startswith("ok")


# ---------------------------------------------------------------------------- the public names
#: ``sorted(n for n in dir(minigan) if not n.startswith("_"))`` at commit b39b295, before the
#: engine moved into minigan/nn/.
PUBLIC_BEFORE_THE_MOVE = [
    "Adam",
    "AvgPool2D",
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm",
    "Concat",
    "Conditional",
    "ConditionalGAN",
    "Conv2D",
    "Conv2DTranspose",
    "CrossEntropyLoss",
    "Dense",
    "DeviceError",
    "Dropout",
    "ELU",
    "Embedding",
    "Flatten",
    "GAN",
    "ImageFolder",
    "LSTM",
    "LeakyReLU",
    "Loss",
    "MSELoss",
    "MaxPool2D",
    "Module",
    "NonFiniteLossError",
    "NonFiniteStateError",
    "Optimizer",
    "Parameter",
    "RMSProp",
    "RNN",
    "ReLU",
    "Reshape",
    "SGD",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "activations",
    "anime_dcgan96",
    "as_numpy",
    "asarray",
    "atomic",
    "backend",
    "batches",
    "cgan",
    "checkpoint",
    "checkpoint_meta",
    "checks",
    "clip_grad_norm",
    "clipping",
    "conditional",
    "conv",
    "cupy_available",
    "data",
    "freeze",
    "gan",
    "get_array_module",
    "gpu_available",
    "gradcheck",
    "history",
    "im2col",
    "imagefolder",
    "init",
    "interop",
    "layers",
    "load_digits8x8",
    "load_mnist",
    "losses",
    "manual_seed",
    "metrics",
    "mnist_dcgan",
    "mnist_dense_cgan",
    "mnist_dense_gan",
    "models",
    "module",
    "noise",
    "npzread",
    "optim",
    "pooling",
    "progress",
    "recurrent",
    "ring_of_gaussians",
    "sequential",
    "torch_names",
    "training_state",
    "viz",
    "xray_dcgan64",
]


def test_import_minigan_gives_the_same_public_names_as_before():
    now = {n for n in dir(minigan) if not n.startswith("_")}
    assert set(PUBLIC_BEFORE_THE_MOVE) <= now
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        for name in PUBLIC_BEFORE_THE_MOVE:
            assert getattr(minigan, name) is not None, name
    assert set(minigan.__all__) <= now


def test_the_classes_are_the_engines_own():
    assert minigan.Dense is minigan.nn.Dense is importlib.import_module("minigan.nn.layers").Dense
    assert minigan.GAN is minigan.gan.GAN and minigan.load_mnist is minigan.data.load_mnist


@pytest.mark.parametrize("old, new", sorted(importlib.import_module("minigan._moved").MOVED.items()))
def test_an_old_dotted_path_is_the_new_module_with_a_warning(old, new):
    """In a fresh interpreter (so that nothing is cached): ``import old`` gives the very module
    of the new path, and warns once, naming it."""
    code = (
        f"import warnings, importlib\nwarnings.simplefilter('always')\n"
        f"with warnings.catch_warnings(record=True) as w:\n"
        f"    import {old} as m\n"
        f"assert m is importlib.import_module({new!r}), m\n"
        f"msgs = [str(x.message) for x in w if x.category is DeprecationWarning]\n"
        f"assert len(msgs) == 1 and {new!r} in msgs[0], msgs\n"
        f"print('ok')\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr[-2000:]


def test_an_old_attribute_warns_and_an_unknown_one_is_an_attribute_error():
    with pytest.warns(DeprecationWarning, match="minigan.nn.pooling"):
        assert minigan.__getattr__("pooling") is minigan.nn.pooling
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        minigan.nonsense  # noqa: B018


def test_nothing_in_the_repository_uses_an_old_path():
    """§11: minigan, its lessons, examples, benchmarks and tests import only the new paths."""
    moved = importlib.import_module("minigan._moved").MOVED
    pattern = re.compile(r"(?:from|import)\s+(" + "|".join(re.escape(k) for k in moved) + r")\b")
    found = []
    for folder in ("minigan", "lessons", "examples", "benchmarks", "tests", "docs", "tools"):
        for p in (REPO / folder).rglob("*.py"):
            if p.name in ("_moved.py", "test_architecture.py"):
                continue
            for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
                if pattern.search(line):
                    found.append(f"{p.relative_to(REPO)}:{i}: {line.strip()}")
    assert not found, "\n".join(found)


# ---------------------------------------------------------------------------- the map of tests
def test_the_test_map_names_every_module_and_every_test_file():
    """tests/README.md (docs/architecture.md §10) maps every module file under minigan/ to its
    tests and says what each tests/test_*.py covers: a new, renamed or removed file must show
    up there, so the map cannot go stale."""
    text = (REPO / "tests" / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`([^`\s*]+\.py)`", text))
    # a row may name a family of files with one *: `minigan/exercises/solutions/lesson*.py`
    for pattern in re.findall(r"`([^`\s]*\*[^`\s]*\.py)`", text):
        found = {p.relative_to(REPO).as_posix() for p in REPO.glob(pattern)}
        assert found, f"tests/README.md: {pattern} matches no file"
        named |= found
    modules = {p.relative_to(REPO).as_posix() for p in ROOT.rglob("*.py")}
    test_files = {p.name for p in (REPO / "tests").glob("test_*.py")}
    assert sorted(modules - named) == [], "module files missing from tests/README.md"
    assert sorted(test_files - named) == [], "test files missing from tests/README.md"
    stale = {n for n in named if n.startswith("minigan/") and n not in modules}
    stale |= {n for n in named if n.startswith("test_") and n not in test_files}
    assert sorted(stale) == [], "tests/README.md names files that do not exist"
    covers = {
        r.split("|")[1].strip().strip("`")
        for r in text.split("## Test files", 1)[1].splitlines()
        if r.startswith("| `")
    }
    assert covers == test_files, "every test file gets a line in the table of test files"
