"""Fuzzing every public entry point: each outcome is a correct result or a clear
ValueError / TypeError / CheckpointError / DataError whose message names the layer, the
argument or the file. Never a raw traceback, a hang, a silent wrong number, executed code
or a half-loaded model.

Examples per entry point: 25 by default (the suite, the same examples every run);
``MINIGAN_FUZZ_EXAMPLES=300`` for the thorough run (new random examples each time).
``MINIGAN_FUZZ_TALLY=path.json`` writes the outcome table of the run::

    MINIGAN_FUZZ_EXAMPLES=300 MINIGAN_FUZZ_TALLY=fuzz.json python -m pytest -q tests/test_fuzz.py -p no:randomly

Outcomes tallied per entry point: ``ok`` (a correct result), ``clear`` (an allowed error
naming what it should), ``silent`` (a result that is wrong), ``raw`` (any other exception,
or an allowed one that names nothing), ``code`` (a pickle payload ran), ``data_lost`` (a
failed load changed the model), ``hang`` (a call over 10 s), ``overflow`` (a hyperparameter
beyond 1e6, e.g. ``lr=3e37``, accepted and overflowing float32: not refused, documented, and
caught by the GAN's state guard at the next flush).
"""

import collections
import io
import json
import math
import os
import struct
import time
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigan as mg
from minigan import checkpoint, data
from minigan.checkpoint import CheckpointError
from minigan.data import DataError
from minigan.gan import GAN

N_EXAMPLES = int(os.environ.get("MINIGAN_FUZZ_EXAMPLES", "25"))
# The suite's light default draws the same examples every run (derandomize), so CI never fails
# on a case it happened to meet for the first time; the thorough run (MINIGAN_FUZZ_EXAMPLES set)
# draws new ones each time, which is how to find new bugs. Each bug found becomes a fixed test.
FUZZ = settings(
    max_examples=N_EXAMPLES,
    deadline=None,
    database=None,
    derandomize="MINIGAN_FUZZ_EXAMPLES" not in os.environ,
    suppress_health_check=list(HealthCheck),
)
# The fuzz feeds NaN, ±inf and 1e30 on purpose (and hyperparameters up to 1e38): NumPy's
# floating-point RuntimeWarnings ("overflow / invalid value / divide by zero encountered in
# ...") from minigan's arithmetic on such numbers are expected in the tests marked with this,
# and only there (pyproject.toml makes every other RuntimeWarning from minigan an error). They
# come from minigan's modules, or from NumPy's own Python code that minigan called (an
# ndarray.sum is numpy/_core/_methods.py). Each outcome is still judged: a right answer or a
# clear error.
NONFINITE_INPUTS = pytest.mark.filterwarnings(
    r"ignore:(overflow|invalid value|divide by zero) encountered:RuntimeWarning:(minigan|numpy)(\..*)?\Z"
)
ALLOWED = (ValueError, TypeError, CheckpointError, DataError)
TALLY: dict = collections.defaultdict(collections.Counter)
HANG_S = 10.0


@pytest.fixture(scope="module", autouse=True)
def _write_tally():
    yield
    path = os.environ.get("MINIGAN_FUZZ_TALLY")
    if path:
        table = {k: dict(v) for k, v in sorted(TALLY.items())}
        total = collections.Counter()
        for v in TALLY.values():
            total.update(v)
        with open(path, "w") as fh:
            json.dump(
                {
                    "examples_per_entry": N_EXAMPLES,
                    "entry_points": len(TALLY),
                    "total": dict(total),
                    "per_entry": table,
                },
                fh,
                indent=1,
            )


def _huge(kwargs) -> bool:
    """A hyperparameter beyond 1e6: a finite result is then not promised (float32 overflow)."""
    return any(isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) > 1e6 for v in kwargs.values())


class Silent(AssertionError):
    pass


def attempt(entry: str, fn, names):
    """Run ``fn``; tally and return ``(ok, result)``. An allowed error must name one of
    ``names``; anything else fails the test."""
    t0 = time.perf_counter()
    try:
        res = fn()
    except ALLOWED as exc:
        if time.perf_counter() - t0 > HANG_S:
            TALLY[entry]["hang"] += 1
        msg = str(exc)
        if not any(n in msg for n in names):
            TALLY[entry]["raw"] += 1
            raise AssertionError(f"{entry}: error names none of {names}: {type(exc).__name__}: {msg}") from exc
        TALLY[entry]["clear"] += 1
        return False, exc
    except Exception:
        TALLY[entry]["raw"] += 1
        raise
    if time.perf_counter() - t0 > HANG_S:
        TALLY[entry]["hang"] += 1
    return True, res


def verdict(entry: str, good: bool, why: str = ""):
    if not good:
        TALLY[entry]["silent"] += 1
        raise Silent(f"{entry}: silent wrong result: {why}")
    TALLY[entry]["ok"] += 1


# ---------------------------------------------------------------------------- strategies
WILD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 40),
    st.sampled_from([2**70, -(2**70), 0]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=4),
    st.tuples(st.integers(-2, 6), st.integers(-2, 6)),
    st.lists(st.integers(-2, 6), max_size=3),
    st.sampled_from(
        [
            np.float32,
            np.int32,
            np.complex64,
            "float64",
            object,
            np.float16,
            np.int64(3),
            np.float64("nan"),
            1 + 2j,
            b"x",
            {},
            "same",
            "valid",
        ]
    ),
)
DTYPES = [np.float32, np.float64, np.float16, np.int64, np.int8, np.uint8, np.bool_, np.complex64, object]


def arg(valid):
    """A valid value most of the time (4 in 5), a wild one otherwise."""
    return st.integers(0, 4).flatmap(lambda i: valid if i else WILD)


@st.composite
def arrays(draw, shape=None, finite=False):
    """A wild array: any small shape (or ``shape``), any dtype, values incl. NaN/inf/huge."""
    if shape is None:
        shape = tuple(draw(st.lists(st.integers(0, 5), min_size=0, max_size=5)))
    dtype = draw(st.sampled_from(DTYPES if not finite else [np.float32, np.float64]))
    n = int(np.prod(shape)) if shape else 1
    if finite:
        vals = draw(st.lists(st.floats(-100, 100, allow_nan=False, width=32), min_size=n, max_size=n))
    else:
        vals = draw(
            st.lists(
                st.one_of(st.floats(-100, 100, width=32), st.sampled_from([np.nan, np.inf, -np.inf, 1e30])),
                min_size=n,
                max_size=n,
            )
        )
    a = np.array(vals, dtype=np.float64).reshape(shape)
    with np.errstate(all="ignore"):
        if dtype is object:
            return a.astype(object)
        if np.dtype(dtype).kind in "iub":
            a = np.nan_to_num(a, nan=0, posinf=1, neginf=-1).clip(-100, 100)
        return a.astype(dtype)


NOT_ARRAY = st.sampled_from([None, [[1.0, 2.0]], 3.0, "x", np.float32(1.0), (1, 2), {}])


# ---------------------------------------------------------------------------- constructors
LAYERS = {
    "Dense": (
        mg.Dense,
        [st.integers(1, 6), st.integers(1, 6)],
        {
            "bias": st.booleans(),
            "init": st.sampled_from(["xavier", "he", "pytorch", "glorot_uniform"]),
            "rng": st.integers(0, 9),
            "dtype": st.sampled_from([np.float32, np.float64]),
        },
    ),
    "Conv2D": (
        mg.Conv2D,
        [st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)],
        {
            "stride": st.integers(1, 2),
            "padding": st.sampled_from([0, 1, "same", "valid", (1, 0)]),
            "dtype": st.sampled_from([np.float32, np.float64]),
        },
    ),
    "Conv2DTranspose": (
        mg.Conv2DTranspose,
        [st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)],
        {"stride": st.integers(1, 2), "padding": st.sampled_from([0, 1, "same"]), "output_padding": st.just(0)},
    ),
    "MaxPool2D": (mg.MaxPool2D, [st.integers(1, 3)], {"stride": st.sampled_from([None, 1, 2])}),
    "AvgPool2D": (mg.AvgPool2D, [st.integers(1, 3)], {"stride": st.sampled_from([None, 1, 2])}),
    "BatchNorm": (mg.BatchNorm, [st.integers(1, 4)], {"momentum": st.floats(0, 1), "eps": st.floats(1e-8, 1)}),
    "Dropout": (mg.Dropout, [st.floats(0, 0.95)], {"seed": st.integers(0, 99)}),
    "Flatten": (mg.Flatten, [], {}),
    "Reshape": (mg.Reshape, [st.integers(1, 4), st.integers(1, 4)], {}),
    "ReLU": (mg.ReLU, [], {}),
    "LeakyReLU": (mg.LeakyReLU, [], {"alpha": st.floats(0, 1)}),
    "Sigmoid": (mg.Sigmoid, [], {}),
    "Tanh": (mg.Tanh, [], {}),
    "ELU": (mg.ELU, [], {"alpha": st.floats(0.1, 2)}),
    "Softmax": (mg.Softmax, [], {"axis": st.sampled_from([-1, 1])}),
    "RNN": (
        mg.RNN,
        [st.integers(1, 4), st.integers(1, 4)],
        {"nonlinearity": st.sampled_from(["tanh", "relu", "linear"]), "bias": st.booleans()},
    ),
    "LSTM": (mg.LSTM, [st.integers(1, 4), st.integers(1, 4)], {"bias": st.booleans()}),
}


def valid_input(name, layer, rng):
    """A valid input for ``layer`` (float32 unless the layer's parameters are float64)."""
    dt = layer.parameters()[0].dtype if layer.parameters() else np.float32
    if name == "Dense":
        return rng.standard_normal((3, layer.in_features)).astype(dt)
    if name in ("Conv2D", "Conv2DTranspose"):
        return rng.standard_normal((2, layer.in_channels, 6, 6)).astype(dt)
    if name in ("MaxPool2D", "AvgPool2D"):
        return rng.standard_normal((2, 2, 6, 6)).astype(dt)
    if name == "BatchNorm":
        return rng.standard_normal((4, layer.num_features)).astype(dt)
    if name == "Reshape":
        return rng.standard_normal((2, abs(int(np.prod(layer.shape))))).astype(dt)
    if name in ("RNN", "LSTM"):
        return rng.standard_normal((2, 3, layer.input_size)).astype(dt)
    return rng.standard_normal((3, 4)).astype(dt)


def _names(name):
    return [name, "init", "dtype", "rng", "seed"]


@pytest.mark.parametrize("name", sorted(LAYERS))
@NONFINITE_INPUTS
def test_constructors(name):
    cls, pos, kw = LAYERS[name]

    @FUZZ
    @given(st.tuples(*[arg(p) for p in pos]), st.fixed_dictionaries({}, optional={k: arg(v) for k, v in kw.items()}))
    def run(args, kwargs):
        ok, layer = attempt(f"{name}()", lambda: cls(*args, **kwargs), _names(name))
        if not ok:
            return
        if sum(p.size for p in layer.parameters()) > 10**6 or (name == "Reshape" and abs(np.prod(layer.shape)) > 10**5):
            verdict(f"{name}()", True)  # accepted, but too large to run here
            return
        x = valid_input(name, layer, np.random.default_rng(0))
        ok2, out = attempt(f"{name}()", lambda: layer(x), [name])
        if not ok2:  # a valid layer refuses a valid input only for its own geometry (kernel > input)
            return
        finite = isinstance(out, np.ndarray) and out.dtype.kind == "f" and bool(np.isfinite(out).all())
        if not finite and isinstance(out, np.ndarray) and _huge(kwargs):
            TALLY[f"{name}()"]["overflow"] += 1  # e.g. ELU(alpha=3e38): the float32 output overflows
            return
        verdict(f"{name}()", finite, f"{args} {kwargs} -> {getattr(out, 'dtype', type(out))}")

    run()


ELEMENTWISE = ("ReLU", "LeakyReLU", "Sigmoid", "Tanh", "ELU", "Dropout", "Softmax")


def _layer(name, rng):
    cls, pos, kw = LAYERS[name]
    return cls(
        *[
            {
                "Dense": [3, 2],
                "Conv2D": [2, 2, 3],
                "Conv2DTranspose": [2, 2, 3],
                "MaxPool2D": [2],
                "AvgPool2D": [2],
                "BatchNorm": [2],
                "Dropout": [0.5],
                "Reshape": [2, 2],
                "RNN": [2, 3],
                "LSTM": [2, 3],
            }.get(name, [])
        ][0]
    )


@pytest.mark.parametrize("name", sorted(LAYERS))
@NONFINITE_INPUTS
def test_forward(name):
    layer = _layer(name, None)
    shape = valid_input(name, layer, np.random.default_rng(0)).shape

    @FUZZ
    @given(st.one_of(arrays(), arrays(finite=True), NOT_ARRAY, arrays(shape=shape), arrays(shape=shape, finite=True)))
    def run(x):
        label = repr(layer).split("(")[0]
        ok, out = attempt(f"{name}.forward", lambda: layer(x), [label, "input"])
        if not ok:
            return
        if name in ELEMENTWISE:
            good = isinstance(out, np.ndarray) and out.dtype == x.dtype and out.shape == x.shape
        else:
            good = isinstance(out, np.ndarray) and out.dtype == x.dtype and out.ndim >= 1 and out.shape[0] == x.shape[0]
        if good and np.isfinite(x).all() and np.abs(x).max(initial=0) < 1e3:
            good = bool(np.isfinite(out).all())
        verdict(f"{name}.forward", good, f"{x.dtype} {x.shape} -> {getattr(out, 'shape', None)}")

    run()


@pytest.mark.parametrize("name", sorted(LAYERS))
@NONFINITE_INPUTS
def test_backward(name):
    layer = _layer(name, None)
    rng = np.random.default_rng(0)

    @FUZZ
    @given(st.one_of(arrays(), arrays(finite=True), NOT_ARRAY), st.booleans())
    def run(dout, right_shape):
        x = valid_input(name, layer, rng)
        out = layer(x)
        if right_shape and isinstance(dout, np.ndarray):
            with np.errstate(all="ignore"):
                dout = np.resize(dout, out.shape).astype(dout.dtype)
        label = repr(layer).split("(")[0] if name != "Sequential" else "Sequential"
        ok, dx = attempt(f"{name}.backward", lambda: layer.backward(dout), [label, "dout"])
        if not ok:
            return
        good = isinstance(dx, np.ndarray) and dx.shape == x.shape and dx.dtype.kind == "f"
        if good and np.isfinite(dout).all() and np.abs(dout).max(initial=0) < 1e3:
            good = bool(np.isfinite(dx).all())
        verdict(f"{name}.backward", good, f"dout {dout.dtype} {dout.shape} -> {getattr(dx, 'dtype', None)}")

    run()


# ---------------------------------------------------------------------------- losses
LOSSES = {
    "BCELoss": mg.BCELoss,
    "BCEWithLogitsLoss": mg.BCEWithLogitsLoss,
    "MSELoss": mg.MSELoss,
    "CrossEntropyLoss": mg.CrossEntropyLoss,
}


@pytest.mark.parametrize("name", sorted(LOSSES))
@NONFINITE_INPUTS
def test_losses(name):
    valid = st.tuples(
        arrays(shape=(3, 2), finite=True),
        st.lists(st.integers(0, 1), min_size=3, max_size=3).map(lambda v: np.array(v, np.int64))
        if name == "CrossEntropyLoss"
        else st.lists(st.floats(0, 1), min_size=6, max_size=6).map(lambda v: np.array(v, np.float32).reshape(3, 2)),
    )

    @FUZZ
    @given(
        arg(st.sampled_from(["mean", "sum"])),
        st.one_of(
            st.tuples(st.one_of(arrays(), arrays(finite=True), NOT_ARRAY), st.one_of(arrays(), NOT_ARRAY)), valid, valid
        ),
        st.one_of(st.none(), st.none(), WILD),
    )
    def run(reduction, pair, grad):
        pred, target = pair
        ok, loss = attempt(f"{name}", lambda: LOSSES[name](reduction), [name, "reduction"])
        if not ok:
            return
        if name == "BCELoss" and isinstance(pred, np.ndarray) and pred.dtype.kind == "f":
            with np.errstate(all="ignore"):
                pred = np.clip(np.abs(pred), 0, 1).astype(pred.dtype)  # probabilities
        ok, val = attempt(f"{name}", lambda: loss(pred, target), [name])
        if not ok:
            return
        ok, d = attempt(f"{name}", lambda: loss.backward(grad), [name])
        if not ok:
            return
        good = np.ndim(val) == 0 and isinstance(d, np.ndarray) and d.shape == pred.shape and d.dtype == pred.dtype
        finite_in = (
            np.isfinite(pred).all()
            and np.abs(pred).max() < 1e3
            and (target.dtype.kind not in "fc" or np.isfinite(target).all())
            and (grad is None or (math.isfinite(float(grad)) and abs(float(grad)) < 1e3))
        )
        if good and finite_in and name != "BCELoss":
            good = bool(np.isfinite(val)) and bool(np.isfinite(d).all())
        verdict(f"{name}", good, f"{pred.dtype}{pred.shape} {target.dtype}{target.shape} -> {val}")

    run()


# ---------------------------------------------------------------------------- optimizers
OPTS = {
    "SGD": (mg.SGD, {"lr": st.floats(1e-4, 1), "momentum": st.floats(0, 0.99)}),
    "RMSProp": (mg.RMSProp, {"lr": st.floats(1e-4, 1), "beta": st.floats(0, 0.99), "eps": st.floats(1e-9, 1e-3)}),
    "Adam": (
        mg.Adam,
        {
            "lr": st.floats(1e-4, 1),
            "beta1": st.floats(0, 0.99),
            "beta2": st.floats(0, 0.999),
            "eps": st.floats(1e-9, 1e-3),
        },
    ),
}
COMMON = {"weight_decay": st.floats(0, 1), "clip_norm": st.one_of(st.none(), st.floats(0.1, 10))}


@pytest.mark.parametrize("name", sorted(OPTS))
@NONFINITE_INPUTS
def test_optimizers(name):
    cls, kw = OPTS[name]

    @FUZZ
    @given(
        st.sampled_from(["module", "list", "param", "bad"]),
        st.fixed_dictionaries(
            {k: arg(v) for k, v in list(kw.items())[:1]},
            optional={k: arg(v) for k, v in list(kw.items())[1:] + list(COMMON.items())},
        ),
        arrays(shape=(2, 3)),
    )
    def run(kind, kwargs, grad):
        m = mg.Dense(3, 2)
        params = {"module": m, "list": m.parameters(), "param": m.params["W"], "bad": [m.params["W"].data]}[kind]
        ok, opt = attempt(name, lambda: cls(params, **kwargs), [name])
        if not ok:
            return
        with np.errstate(all="ignore"):
            g = (
                np.nan_to_num(
                    np.real(grad).astype(np.float64)
                    if grad.dtype != object
                    else np.zeros((2, 3)),  # complex: its real part
                    nan=0.0,
                    posinf=1.0,
                    neginf=-1.0,
                )
                .clip(-1e3, 1e3)
                .astype(np.float32)
            )
        m.params["W"].grad[...] = g
        ok, _ = attempt(name, opt.step, [name])
        if not ok:
            return
        finite = all(np.isfinite(p.data).all() for p in m.parameters())
        if not finite and _huge(kwargs):
            TALLY[name]["overflow"] += 1  # lr/weight_decay beyond 1e6: float32 overflows, the GAN's guard stops it
            return
        verdict(name, finite, f"{kwargs}")

    run()


# ---------------------------------------------------------------------------- checkpoint.load
def _tiny_gan(seed=0):
    r = np.random.default_rng(seed)
    G = mg.Sequential(mg.Dense(3, 6, rng=r), mg.BatchNorm(6), mg.ReLU(), mg.Dense(6, 4, rng=r))
    D = mg.Sequential(mg.Dense(4, 6, rng=r), mg.LeakyReLU(), mg.Dropout(0.3, seed=1), mg.Dense(6, 1, rng=r))
    return GAN(G, D, 3, seed=seed)


def _state(gan):
    s = {f"m.{k}": np.array(v) for k, v in gan.G.state_dict().items()}
    s.update({f"D.{k}": np.array(v) for k, v in gan.D.state_dict().items()})
    for tag, o in (("g", gan.g_opt), ("d", gan.d_opt)):
        s[f"{tag}.t"] = o.t
        s.update({f"{tag}.{k}": np.array(a) for k, a in o.state_dict()["arrays"].items()})
    s["step"] = gan.step
    s["hist"] = json.dumps({k: list(v) for k, v in gan.history.items()})
    s["noise"] = json.dumps(checkpoint.jsonable(gan.noise_rng_state()))
    s["stream"] = json.dumps(gan.stream.state_dict() if gan.stream else None)
    return s


def _same(a, b) -> bool:
    return a.keys() == b.keys() and all(
        np.array_equal(a[k], b[k]) if isinstance(a[k], np.ndarray) else a[k] == b[k] for k in a
    )


@pytest.fixture(scope="module")
def real_checkpoint(tmp_path_factory):
    gan = _tiny_gan()
    gan.fit(np.random.default_rng(0).standard_normal((32, 4)).astype(np.float32), 4, 8, log_every=2)
    p = tmp_path_factory.mktemp("fuzzck") / "ck.npz"
    gan.save(p, extra={"note": "x"})
    fresh = _tiny_gan(7)
    fresh.load(p)
    return p.read_bytes(), _state(fresh), tmp_path_factory.mktemp("mut")


def _check_load(entry, raw, expected, folder, meta_step=None):
    p = folder / "m.npz"
    p.write_bytes(raw)
    gan = _tiny_gan(7)
    before = _state(gan)
    ok, _ = attempt(entry, lambda: gan.load(p), [str(p)])
    if not ok:
        if not _same(before, _state(gan)):
            TALLY[entry]["data_lost"] += 1
            raise AssertionError(f"{entry}: a failed load changed the model")
        return
    got = _state(gan)
    if meta_step is not None:  # a valid metadata mutation: the arrays are the file's, the counters its metadata's
        got = {k: v for k, v in got.items() if k not in ("step", "hist", "noise", "stream", "g.t", "d.t")}
        expected = {k: v for k, v in expected.items() if k in got}
    verdict(entry, _same(got, expected), "loaded something else than the checkpoint")


def test_checkpoint_truncated(real_checkpoint):
    raw, expected, folder = real_checkpoint

    @FUZZ
    @given(st.integers(0, len(raw) - 1), st.integers(0, 64), st.binary(max_size=16))
    def run(cut, tail, junk):
        # cut the file, then append its last `tail` bytes (the zip's end record and directory:
        # offsets that now point into the wrong place) and `junk` random bytes
        _check_load("checkpoint.load[truncated]", raw[:cut] + raw[len(raw) - tail :] + junk, expected, folder)

    run()


def test_checkpoint_bit_flips(real_checkpoint):
    raw, expected, folder = real_checkpoint

    @FUZZ
    @given(st.lists(st.tuples(st.integers(0, len(raw) - 1), st.integers(0, 7)), min_size=1, max_size=4))
    def run(flips):
        b = bytearray(raw)
        for pos, bit in flips:
            b[pos] ^= 1 << bit
        _check_load("checkpoint.load[bit flips]", bytes(b), expected, folder)

    run()


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj[:3]):
            yield from _paths(v, prefix + (i,))


JSON_WILD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(),
    st.text(max_size=5),
    st.just([]),
    st.just({}),
    st.just("9" * 5000),
    st.just([[[[[]]]]]),
    st.sampled_from(["DELETE", "DEEP"]),
)


def test_checkpoint_metadata_mutations(real_checkpoint):
    raw, expected, folder = real_checkpoint
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        meta = json.loads(np.load(io.BytesIO(z.read("__meta__.npy"))).tobytes())
    paths = [p for p in _paths(meta) if p]

    @FUZZ
    @given(st.sampled_from(paths), JSON_WILD)
    def run(path, value):
        m = json.loads(json.dumps(meta))
        node = m
        for k in path[:-1]:
            node = node[k]
        if value == "DELETE":
            del node[path[-1]]
        elif value == "DEEP":
            node[path[-1]] = json.loads("[" * 30 + "]" * 30) if path[0] == "extra" else [[[[[[[[[[]]]]]]]]]]
        else:
            node[path[-1]] = value
        text = json.dumps(m).replace('"' + "9" * 5000 + '"', "9" * 5000)
        buf = io.BytesIO()
        np.save(buf, np.frombuffer(text.encode(), np.uint8))
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(raw)) as zin, zipfile.ZipFile(out, "w") as zout:
            for item in zin.infolist():
                zout.writestr(item, buf.getvalue() if item.filename == "__meta__.npy" else zin.read(item.filename))
        _check_load("checkpoint.load[metadata]", out.getvalue(), expected, folder, meta_step=True)

    run()


def test_checkpoint_generic_load(real_checkpoint):
    """checkpoint.load without a model: truncations and flips give a Checkpoint or an error."""
    raw, _, folder = real_checkpoint

    @FUZZ
    @given(st.integers(0, len(raw)), st.lists(st.integers(0, len(raw) - 1), max_size=3))
    def run(cut, flips):
        b = bytearray(raw[:cut])
        for pos in flips:
            if pos < len(b):
                b[pos] ^= 0x10
        p = folder / "g.npz"
        p.write_bytes(bytes(b))
        ok, ck = attempt("checkpoint.load", lambda: checkpoint.load(p), [str(p)])
        if ok:
            verdict("checkpoint.load", isinstance(ck, checkpoint.Checkpoint) and "G" in ck.modules)

    run()


# ---------------------------------------------------------------------------- data loaders
def test_load_mnist_npz(tmp_path):
    pixels = st.lists(st.integers(0, 255), min_size=2 * 784, max_size=2 * 784).map(
        lambda v: np.array(v, np.uint8).reshape(2, 28, 28)
    )
    digits = st.lists(st.integers(0, 9), min_size=2, max_size=2).map(lambda v: np.array(v, np.uint8))

    @FUZZ
    @given(
        st.one_of(arrays(), arrays(shape=(2, 28, 28)), pixels, pixels, pixels.map(lambda a: a.astype(np.float64))),
        st.one_of(arrays(), arrays(shape=(2,)), digits, digits),
        st.booleans(),
        st.sampled_from([False, False, True]),
    )
    def run(x, y, compress, drop):
        p = tmp_path / "mnist.npz"
        parts = {"x_train": x, "y_train": y, "x_test": x, "y_test": y}
        if drop:
            parts.pop("y_test")
        # object arrays are written pickled, as np.save does: the loader must refuse them
        (np.savez_compressed if compress else np.savez)(p, allow_pickle=True, **parts)
        ok, res = attempt("load_mnist[npz]", lambda: data.load_mnist(p), [str(p)])
        if x.dtype == object or y.dtype == object:
            verdict("load_mnist[npz]", not ok, f"a pickled object array was loaded: x {x.dtype}, y {y.dtype}")
            return
        if not ok:
            return
        X, Y = res
        with np.errstate(all="ignore"):
            want = np.asarray(x, np.float64) / 127.5 - 1
        good = (
            X.dtype == np.float32
            and X.shape == (2 * len(x), 1, 28, 28)
            and np.isfinite(X).all()
            and np.allclose(X[: len(x)].reshape(x.shape), want, atol=1e-6)
            and Y.dtype == np.int64
            and np.array_equal(Y[: len(y)], y)
            and Y.min(initial=0) >= 0
            and Y.max(initial=0) <= 9
        )
        verdict("load_mnist[npz]", good, f"x {x.dtype} {x.shape}, y {y.dtype} {y.shape}")

    run()


def _idx(shape, body=None, type_byte=8):
    n = int(np.prod(shape))
    head = struct.pack(">BBBB", 0, 0, type_byte, len(shape)) + struct.pack(">" + "I" * len(shape), *shape)
    return head + (bytes(range(256)) * (n // 256 + 1))[:n] if body is None else head + body


def test_read_idx(tmp_path):
    import gzip

    @FUZZ
    @given(
        st.lists(st.integers(0, 40), min_size=1, max_size=4),
        st.integers(-3, 3),
        st.booleans(),
        st.lists(st.tuples(st.integers(0, 30), st.integers(0, 255)), max_size=3),
        st.integers(0, 10),
    )
    def run(shape, delta, gz, pokes, type_pick):
        raw = bytearray(_idx(shape, type_byte=8 if type_pick else 9))
        if delta > 0:
            raw += b"\0" * delta
        elif delta < 0:
            raw = raw[:delta]
        for pos, v in pokes:
            if pos < len(raw):
                raw[pos] = v
        p = tmp_path / ("f.gz" if gz else "f")
        p.write_bytes(gzip.compress(bytes(raw)) if gz else bytes(raw))
        ok, a = attempt("read_idx", lambda: data.read_idx(str(p)), [str(p)])
        if ok:
            verdict("read_idx", a.dtype == np.uint8 and a.size == len(raw) - 4 - 4 * raw[3])

    run()


# ---------------------------------------------------------------------------- containers, GAN, minibatches
@NONFINITE_INPUTS
def test_sequential_and_gan():
    @FUZZ
    @given(
        st.lists(st.one_of(st.sampled_from(["dense", "relu", "bn"]), WILD), max_size=4),
        arg(st.integers(1, 4)),
        st.fixed_dictionaries(
            {},
            optional={
                "k": arg(st.integers(1, 3)),
                "g_loss": arg(st.sampled_from(["non-saturating", "minimax"])),
                "real_label": arg(st.floats(0.6, 1.0)),
                "noise": arg(st.sampled_from(["normal", "uniform"])),
                "seed": arg(st.integers(0, 9)),
                "lr": arg(st.floats(1e-5, 1e-2)),
                "beta1": arg(st.floats(0, 0.9)),
            },
        ),
    )
    def run(parts, latent, kwargs):
        mods = [
            {"dense": mg.Dense(4, 4), "relu": mg.ReLU(), "bn": mg.BatchNorm(4)}.get(p, p) if isinstance(p, str) else p
            for p in parts
        ]
        ok, G = attempt("Sequential()", lambda: mg.Sequential(mg.Dense(3, 4), *mods), ["Sequential"])
        if ok:
            verdict("Sequential()", len(G) == len(mods) + 1)
        else:
            G = mg.Sequential(mg.Dense(3, 4))
        D = mg.Sequential(mg.Dense(4, 1))
        ok, gan = attempt("GAN()", lambda: GAN(G, D, latent, **kwargs), ["GAN"])
        if not ok:
            return
        X = np.random.default_rng(0).standard_normal((16, 4)).astype(np.float32)

        def fit():  # a huge lr diverges: the NaN stop names the step (a clear outcome)
            try:
                return gan.fit(X, 2, 4)
            except FloatingPointError as exc:
                raise ValueError(f"GAN: {exc}") from exc

        ok, _ = attempt("GAN()", fit, ["GAN", "BatchNorm", "BatchStream"])
        if ok:
            verdict("GAN()", gan.step == 2 and all(np.isfinite(v).all() for v in gan.history.values()))

    run()


@NONFINITE_INPUTS
def test_gan_train_step():
    @FUZZ
    @given(st.one_of(arrays(), arrays(shape=(4, 4)), arrays(shape=(4, 4), finite=True), NOT_ARRAY))
    def run(real):
        r = np.random.default_rng(0)
        gan = GAN(mg.Sequential(mg.Dense(3, 4, rng=r)), mg.Sequential(mg.Dense(4, 1, rng=r)), 3)

        def step_and_flush():  # a NaN in the data stops the run at the flush, naming the step
            out = gan.train_step(real)
            try:
                gan.flush()
            except FloatingPointError as exc:
                raise ValueError(f"GAN: {exc}") from exc
            return out

        ok, out = attempt("GAN.train_step", step_and_flush, ["GAN", "real", "Dense"])
        if ok:
            verdict("GAN.train_step", gan.step == 1 and set(out) >= {"d", "g"} and np.isfinite(real).all())
        elif "step 1" in str(out):
            assert not np.isfinite(real).all()  # the stop came from the data's NaN/inf

    run()


def test_minibatches():
    @FUZZ
    @given(arg(st.integers(1, 50)), arg(st.integers(1, 10)), arg(st.integers(0, 9)))
    def run(n, bs, seed):
        ok, s = attempt("BatchStream()", lambda: mg.data.BatchStream(n, bs, seed), ["BatchStream"])
        if ok:
            idx = [s.next() for _ in range(3)]
            verdict("BatchStream()", all(len(i) == bs and i.max() < n for i in idx))
        ok, it = attempt(
            "iterate_minibatches",
            lambda: list(mg.data.iterate_minibatches(n, bs, rng=seed)),
            ["iterate_minibatches", "rng"],
        )
        if ok:
            verdict("iterate_minibatches", all(len(i) == bs for i in it))

    run()


def test_ring_of_gaussians():
    @FUZZ
    @given(arg(st.integers(1, 50)), arg(st.integers(1, 8)), arg(st.floats(0.1, 3)), arg(st.floats(0, 1)))
    def run(n, modes, radius, std):
        ok, X = attempt(
            "ring_of_gaussians", lambda: data.ring_of_gaussians(n, modes, radius, std, rng=0), ["ring_of_gaussians"]
        )
        if ok:
            verdict("ring_of_gaussians", X.shape == (n, 2) and np.isfinite(X).all())

    run()


# ---------------------------------------------------------------------------- the reliability classes
# Each example below is also one attempt of tests/attacks.py's tally (tools/attack_table.py).
import contextlib  # noqa: E402

import attacks  # noqa: E402  (tests/attacks.py)


class DataLost(AssertionError):
    pass


def _as_attack(cls: str, body) -> None:
    """Run one fuzz example ``body()`` and record its outcome for class ``cls`` (attacks.TALLY)."""
    t0 = time.perf_counter()
    try:
        body()
    except Silent:
        attacks.record(cls, "silent")
        raise
    except DataLost:
        attacks.record(cls, "data_lost")
        raise
    except BaseException:
        attacks.record(cls, "raw")
        raise
    attacks.record(cls, "hang" if time.perf_counter() - t0 > HANG_S else "clear")


@pytest.mark.attack
@NONFINITE_INPUTS
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_backward_after_a_direct_forward(name):
    """``layer.forward(x)`` (no ``m(x)``), then ``backward`` with any dout: the right gradient or
    the clear message ``m(x)`` gives; and a fresh layer's backward is a clear RuntimeError."""
    rng = np.random.default_rng(0)

    @FUZZ
    @given(st.one_of(arrays(), arrays(finite=True), NOT_ARRAY), st.booleans(), st.booleans())
    def run(dout, right_shape, first):
        def body():
            layer = _layer(name, None)
            label = repr(layer).split("(")[0] if name != "Sequential" else "Sequential"
            if first:  # backward before any forward
                ok, _ = attempt_first(f"{name}.backward[first]", lambda: layer.backward(dout), [label])
                if ok:
                    TALLY[f"{name}.backward[first]"]["silent"] += 1
                    raise Silent(f"{name}.backward before forward returned")
                return
            x = valid_input(name, layer, rng)
            out = layer.forward(x)
            d = dout
            if right_shape and isinstance(d, np.ndarray):
                with np.errstate(all="ignore"):
                    d = np.resize(d, out.shape).astype(d.dtype)
            ok, dx = attempt(f"{name}.backward[direct]", lambda: layer.backward(d), [label, "dout"])
            if ok:
                good = isinstance(dx, np.ndarray) and dx.shape == x.shape and tuple(d.shape) == tuple(out.shape)
                verdict(f"{name}.backward[direct]", good, f"dout {getattr(d, 'shape', None)} for {out.shape}")

        _as_attack("direct_forward", body)

    run()


# RuntimeError is the backward-before-forward error; the fuzz's other tests do not allow it
ALLOWED_FIRST = ALLOWED + (RuntimeError,)


def attempt_first(entry, fn, names):
    try:
        fn()
    except ALLOWED_FIRST as exc:
        if any(n in str(exc) for n in names):
            TALLY[entry]["clear"] += 1
            return False, exc
        TALLY[entry]["raw"] += 1
        raise
    return True, None


# ---------------------------------------------------------------------------- safetensors files
@pytest.fixture(scope="module")
def safetensors_file(tmp_path_factory):
    m = mg.Sequential(mg.Dense(3, 4, rng=0), mg.BatchNorm(4), mg.Dense(4, 2, rng=0))
    p = tmp_path_factory.mktemp("st") / "m.safetensors"
    mg.interop.save_safetensors(m, p)
    return p.read_bytes(), {k: np.array(v) for k, v in m.state_dict().items()}, tmp_path_factory.mktemp("stmut")


def _st_model():
    return mg.Sequential(mg.Dense(3, 4, rng=5), mg.BatchNorm(4), mg.Dense(4, 2, rng=5))


def _st_load(raw, expected, folder, exact=True):
    p = folder / "f.safetensors"
    p.write_bytes(raw)
    m = _st_model()
    before = {k: np.array(v) for k, v in m.state_dict().items()}

    def body():
        ok, _ = attempt("load_safetensors", lambda: mg.interop.load_safetensors(m, p), [str(p)])
        now = {k: np.array(v) for k, v in m.state_dict().items()}
        if not ok:
            if not all(np.array_equal(before[k], now[k]) for k in now):
                TALLY["load_safetensors"]["data_lost"] += 1
                raise DataLost("a refused file changed the model")
            return
        good = all(np.isfinite(v).all() for v in now.values())
        if exact:
            good = good and all(np.array_equal(expected[k], now[k]) for k in now)
        verdict("load_safetensors", good, "loaded something else than the file")

    _as_attack("safetensors", body)


@pytest.mark.attack
def test_safetensors_truncated_and_flipped(safetensors_file):
    raw, expected, folder = safetensors_file

    @FUZZ
    @given(
        st.integers(0, len(raw)),
        st.lists(st.tuples(st.integers(0, len(raw) - 1), st.integers(0, 7)), max_size=4),
        st.binary(max_size=16),
    )
    def run(cut, flips, junk):
        b = bytearray(raw[:cut])
        for pos, bit in flips:
            if pos < len(b):
                b[pos] ^= 1 << bit
        changed = cut != len(raw) or bool(flips) or bool(junk)
        # a flip inside the data gives other (finite or not) numbers: those load, so "exact" only
        # holds for an untouched file
        _st_load(bytes(b) + junk, expected, folder, exact=not changed)

    run()


@pytest.mark.attack
def test_safetensors_headers(safetensors_file):
    raw, expected, folder = safetensors_file
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    data = raw[8 + n :]
    names = sorted(k for k in header if k != "__metadata__")

    @FUZZ
    @given(
        st.sampled_from(names),
        st.sampled_from(["dtype", "shape", "data_offsets", "drop", "rename", "extra"]),
        WILD,
        st.sampled_from(["F64", "F32", "F16", "BF16", "I64", "I32", "U8", "BOOL", "X9"]),
    )
    def run(name, field, value, dtype):
        h = json.loads(json.dumps(header))
        if field == "drop":
            del h[name]
        elif field == "rename":
            h[name + "x"] = h.pop(name)
        elif field == "extra":
            h["extra"] = value
        elif field == "dtype":
            h[name]["dtype"] = dtype if not isinstance(value, str) else value
        else:
            h[name][field] = value if not isinstance(value, (np.dtype, type)) else str(value)
        try:
            text = json.dumps(h, default=str).encode()
        except (TypeError, ValueError):
            return
        _st_load(struct.pack("<Q", len(text)) + text + data, expected, folder, exact=False)

    run()


# ---------------------------------------------------------------------------- ImageFolder folders
_MODES = ["L", "RGB", "RGBA", "LA", "P", "1", "I;16", "I", "F"]


@st.composite
def image_folders(draw):
    """A folder plan: (relative path, kind, mode, size) entries; kinds: an image, junk bytes, an
    empty file, a FIFO, a symlink to a file or a folder (or a broken one), a sub-folder."""
    n = draw(st.integers(1, 6))
    items = []
    for i in range(n):
        sub = draw(st.sampled_from(["", "A/", "B/", "A/deep/"]))
        kind = draw(st.sampled_from(["image"] * 4 + ["junk", "empty", "fifo", "link_file", "link_dir", "broken"]))
        ext = draw(st.sampled_from([".png", ".tiff", ".jpg", ".bmp", ".txt"]))
        mode = draw(st.sampled_from(_MODES))
        size = draw(st.tuples(st.integers(1, 20), st.integers(1, 20)))
        items.append((f"{sub}f{i}{ext}", kind, mode, size))
    return items


def _make_folder(root, plan, rng):
    from PIL import Image

    for rel, kind, mode, (h, w) in plan:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if kind == "image":
            if mode in ("I;16", "I", "F"):
                a = rng.integers(0, 65536, (h, w)).astype({"I;16": np.uint16, "I": np.int32, "F": np.float32}[mode])
                img = Image.fromarray(a)
            else:
                img = Image.fromarray(rng.integers(0, 256, (h, w), dtype=np.uint8)).convert(mode)
            fmt = {".png": "PNG", ".tiff": "TIFF", ".jpg": "JPEG", ".bmp": "BMP", ".txt": "PNG"}[p.suffix]
            with contextlib.suppress(OSError, ValueError, KeyError):  # a mode the format cannot hold
                img.save(p, format=fmt)
            if not p.exists():
                p.write_bytes(b"\x89PNG\r\n\x1a\n")
        elif kind == "junk":
            p.write_bytes(rng.bytes(int(rng.integers(1, 64))))
        elif kind == "empty":
            p.write_bytes(b"")
        elif kind == "fifo" and hasattr(os, "mkfifo"):
            os.mkfifo(p)
        elif kind == "link_file" and hasattr(os, "symlink"):
            os.symlink(os.devnull if rng.random() < 0.5 else root, p)
        elif kind == "link_dir" and hasattr(os, "symlink"):
            os.symlink(root, p.parent / f"loop{p.stem}")
        elif kind == "broken" and hasattr(os, "symlink"):
            os.symlink(root / "nowhere", p)


@pytest.mark.attack
@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow on odd files (e.g. "Truncated File Read")
def test_imagefolder_on_any_folder(tmp_path_factory):
    pytest.importorskip("PIL")
    from minigan.data import ImageFolder

    @FUZZ
    @given(
        image_folders(),
        st.sampled_from(["skip", "raise"]),
        st.sampled_from(["L", "RGB"]),
        st.integers(1, 9),
        st.integers(1, 3),
    )
    def run(plan, on_error, mode, size, batch):
        root = tmp_path_factory.mktemp("if")
        _make_folder(root, plan, np.random.default_rng(len(plan)))
        kinds = {k for _, k, _, _ in plan}
        wide = any(k == "image" and m in ("I;16", "I", "F") for _, k, m, _ in plan)
        if kinds & {"fifo", "link_file", "broken"}:  # the class each example attacks first
            cls = "fifo"
        elif "link_dir" in kinds or not wide:
            cls = "class_folders"  # symlinked folders (loops), or class sub-folders of 8-bit images
        else:
            cls = "wide_images"

        def body():
            def stream():
                f = ImageFolder(root, size, batch, mode=mode, on_error=on_error, log=lambda m: None)
                return [f.next_batch() for _ in range(3)]

            ok, batches = attempt("ImageFolder", stream, ["ImageFolder"])
            if ok:
                c = 1 if mode == "L" else 3
                good = all(
                    b.shape == (batch, c, size, size) and np.isfinite(b).all() and -1 <= b.min() and b.max() <= 1
                    for b in batches
                )
                verdict("ImageFolder", good, "a batch outside [-1, 1] or of another shape")

        _as_attack(cls, body)

    run()


# ---------------------------------------------------------------------------- the command lines
_OPTION_VALUES = st.one_of(
    st.sampled_from(
        ["inf", "-inf", "nan", "0", "-1", "1", "2", "0.5", "1e300", "1e-300", "-0", "x", "", "3.0", "99999"]
    ),
    st.integers(-5, 300).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


def _load_example(name):
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"{name}_fz", os.path.join(attacks.REPO, "examples", f"{name}.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _valid(a) -> bool:
    """A parsed namespace holds only values the run can use: counts >= 1, finite positive rates,
    probabilities in range, a seed >= 0, threads within the cores."""
    from minigan import blas

    ok = True
    for k in ("batch_size", "steps", "k", "sample_every", "checkpoint_every", "eval_samples", "threads"):
        v = getattr(a, k, None)
        if k == "threads" and v == "auto":  # chosen from the load when the run starts
            continue
        ok &= v is None or (isinstance(v, int) and v >= 1)
    for k in ("lr", "lr_d", "epochs"):
        v = getattr(a, k, None)
        ok &= v is None or (math.isfinite(v) and v > 0)
    for k, hi in (("beta1", 1), ("label_smoothing", 0.5), ("ema", 1), ("d_dropout", 1)):
        v = getattr(a, k, None)
        ok &= v is None or (math.isfinite(v) and 0 <= v < hi)
    ok &= getattr(a, "seed", None) is None or a.seed >= 0
    ok &= a.threads == "auto" or a.threads <= blas.available_cores()
    return bool(ok)


@pytest.mark.attack
@pytest.mark.parametrize("program", ["minigan-train", "mnist_cgan", "image_gan"])
def test_command_line_values(program, capsys):
    from minigan import train

    parse = {"minigan-train": train.parse_args}.get(program) or _load_example(program).parse_args
    options = ["--steps", "--batch-size", "--lr", "--beta1", "--k", "--seed", "--threads", "--sample-every"]
    options += {
        "minigan-train": ["--epochs", "--lr-d", "--label-smoothing", "--ema", "--d-dropout", "--eval-samples"],
        "mnist_cgan": ["--epochs", "--label-smoothing", "--eval-samples"],
        "image_gan": [],
    }[program]
    base = ["--data", "x"] if program == "image_gan" else []

    @FUZZ
    @given(st.lists(st.tuples(st.sampled_from(options), _OPTION_VALUES), min_size=1, max_size=3), st.booleans())
    def run(pairs, fast):
        argv = base + (["--fast"] if fast else [])
        for opt, v in pairs:
            argv += [opt, v] if not (opt == "--epochs" and "--steps" in argv) else []
        entry = f"{program} parse_args"

        def body():
            capsys.readouterr()
            try:
                a = parse(argv)
            except SystemExit as exc:
                err = capsys.readouterr().err.strip().splitlines()
                last = err[-1] if err else ""
                named = any(o in last for o, _ in pairs) or "--epochs" in last
                if exc.code != 2 or "error:" not in last or not named:
                    TALLY[entry]["raw"] += 1
                    raise AssertionError(f"{argv}: exit {exc.code}, {last!r}") from None
                TALLY[entry]["clear"] += 1
                return
            verdict(entry, _valid(a), f"{argv} parsed to invalid values {vars(a)}")

        _as_attack("exit_2", body)

    run()
