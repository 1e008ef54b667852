"""Gradient checking: prove that a layer's hand-written backward matches its forward.

Document 001 §2.9 notes that finite differences are too slow to *train* with, which is why we
write backpropagation by hand; they are exactly right for *checking* it. For a scalar
function ``C(θ)`` the central difference

    ∂C/∂θᵢ ≈ (C(θ + h·eᵢ) − C(θ − h·eᵢ)) / (2h)

has error O(h²). We check in float64 (with h = 1e-6 the float32 round-off of ~1e-7·|C|/h would
swamp the answer) and against a *non-uniform* upstream gradient: with ``dout = ones`` the
scalar is ``sum(out)``, and some bugs vanish for it (BatchNorm's dx is exactly 0 then).

The scalar we differentiate for a module is ``C = Σ out ⊙ dout`` with a fixed random ``dout``,
so ``∂C/∂x`` must equal ``module.backward(dout)`` and ``∂C/∂θ`` must equal what the backward
*added* to ``θ.grad``. ``backward`` accumulates (docs/architecture.md §3: ``θ.grad += ∂C/∂θ``),
so the check pre-fills every ``θ.grad`` with random values ``g₀`` and compares ``θ.grad − g₀``
with the central difference: a backward that assigns (``θ.grad = ...``) instead of adding
fails, as it would silently drop the other half of a D step (real then fake).

Every layer and loss has one or more cases in :mod:`minigan.gradcheck.cases` (one module per
topic: ``layers``, ``activations``, ``losses``, ``pooling``, ``conv``, ``recurrent``), each
registered with :func:`register`; ``python -m minigan.gradcheck`` runs them all and prints a
table (exit status 1 on a FAIL). This file and :mod:`minigan.gradcheck.registry` are the
machinery and import no layer; only the cases do.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Callable

import numpy as np

from .. import backend
from .registry import REGISTRY, GradCase, register

__all__ = [
    "numerical_gradient",
    "rel_error",
    "check_module",
    "check_loss",
    "GradCase",
    "register",
    "registered_cases",
    "run_all",
    "main",
    "TOLERANCE",
]

TOLERANCE = 1e-6


def rel_error(a, b) -> float:
    """Relative error ``‖a − b‖ / max(‖a‖ + ‖b‖, tiny)`` (0 when both are 0)."""
    a = backend.as_numpy(a).astype(np.float64)
    b = backend.as_numpy(b).astype(np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error: shapes differ, {a.shape} vs {b.shape}")
    num = np.linalg.norm((a - b).ravel())
    den = np.linalg.norm(a.ravel()) + np.linalg.norm(b.ravel())
    if den == 0.0:
        return 0.0
    return float(num / max(den, 1e-300))


def numerical_gradient(f: Callable[[], float], x, h: float = 1e-6):
    """Central-difference gradient of the scalar ``f()`` with respect to array ``x``.

    ``x`` is perturbed in place, one element at a time, and restored; ``f`` must read it.
    Returns an array like ``x`` (on the same device).
    """
    xp = backend.get_array_module(x)
    if not x.flags.c_contiguous:
        raise ValueError("numerical_gradient: x must be C-contiguous so that it can be perturbed in place")
    grad = np.zeros(x.shape, dtype=np.float64)
    flat = x.reshape(-1)  # a view: writing into it perturbs x
    g = grad.reshape(-1)
    for i in range(flat.size):
        old = float(flat[i])
        flat[i] = old + h
        fp = float(f())
        flat[i] = old - h
        fm = float(f())
        flat[i] = old
        g[i] = (fp - fm) / (2.0 * h)
    return backend.asarray(grad, backend.device_of(x)) if xp is not np else grad


def _scalar_of(module, x, dout):
    xp = backend.get_array_module(x)
    return float(xp.sum(module(x) * dout))


#: Seed of the random values every ``.grad`` holds before a checked backward (:func:`check_module`).
PREFILL_SEED = 0xACC_0_6AD


def _prefill_grads(module) -> dict:
    """Fill every parameter's ``.grad`` with random float64 values (standard normal, drawn
    from :data:`PREFILL_SEED`); return ``id(parameter) -> the values`` (each parameter once,
    however many names it has)."""
    rng = np.random.default_rng(PREFILL_SEED)
    fills = {}
    for p in module.parameters():
        if id(p) not in fills:
            fills[id(p)] = backend.asarray(rng.standard_normal(p.grad.shape), backend.device_of(p.grad))
            p.grad[...] = fills[id(p)]
    return fills


def check_module(module, x, dout=None, h: float = 1e-6, rng=None, params: bool = True) -> dict[str, float]:
    """Compare ``module.backward`` with central differences, for dx and every parameter.

    Parameters
    ----------
    module : Module
        Cast to float64 here (``module.astype(float64)``); run it in the mode you want checked
        (``train()`` / ``eval()``).
    x : array
        The input; cast to float64.
    dout : array, optional
        Upstream gradient; a random normal one (non-uniform) is drawn when omitted.
    h : float
        Finite-difference step.
    rng : numpy.random.Generator, optional
        Source of the random ``dout`` (default: a fixed seed of its own).
    params : bool
        Also check every parameter gradient (default True); False checks ``dx`` only.

    Returns
    -------
    dict
        ``{"dx": err, "<param name>": err, ...}`` relative errors (see :func:`rel_error`).

    Notes
    -----
    Before the backward every parameter's ``.grad`` is filled with random float64 values
    ``g₀`` (a generator of its own, so ``dout`` does not change); the analytic gradient is
    ``θ.grad − g₀`` afterwards, i.e. the check holds only if ``θ.grad == g₀ + ∂C/∂θ``: the
    backward must accumulate. On return ``θ.grad`` holds ``∂C/∂θ`` alone, as after a
    ``zero_grad()`` and one backward.
    """
    module.astype(np.float64)
    x = x.astype(np.float64, order="C")  # a new C-contiguous array, perturbed in place below
    # A seed of its own: were dout drawn from default_rng(0) like many test inputs, it could be
    # proportional to x, and for BatchNorm (whose dx is ⊥ to x) the check would be ill-posed.
    rng = np.random.default_rng(0x5EED_D0D7) if rng is None else rng
    out = module(x)
    if dout is None:
        dout = backend.asarray(rng.standard_normal(out.shape), backend.device_of(x))
    dout = dout.astype(np.float64)
    if tuple(dout.shape) != tuple(out.shape):
        raise ValueError(f"check_module: dout shape {tuple(dout.shape)} != output shape {tuple(out.shape)}")
    prefill = _prefill_grads(module)
    dx = module.backward(dout)
    analytic = {"dx": dx}
    for p in {id(p): p for p in module.parameters()}.values():  # each parameter once
        p.grad -= prefill[id(p)]  # what the backward added: θ.grad − g₀ (θ.grad keeps ∂C/∂θ alone)
    if params:
        for name, p in module.named_parameters():
            analytic[name] = p.grad.copy()
    results = {"dx": rel_error(dx, numerical_gradient(lambda: _scalar_of(module, x, dout), x, h))}
    if params:
        for name, p in module.named_parameters():
            num = numerical_gradient(lambda: _scalar_of(module, x, dout), p.data, h)
            results[name] = rel_error(analytic[name], num)
    return results


def check_loss(loss, pred, target, h: float = 1e-6) -> dict[str, float]:
    """Compare ``loss.backward()`` (dC/dpred) with central differences of ``loss(pred, target)``."""
    pred = pred.astype(np.float64, order="C")  # a new C-contiguous array, perturbed in place below
    if hasattr(target, "dtype") and np.issubdtype(target.dtype, np.floating):
        target = target.astype(np.float64)
    loss(pred, target)
    dpred = loss.backward()
    num = numerical_gradient(lambda: float(loss(pred, target)), pred, h)
    return {"dpred": rel_error(dpred, num)}


# ---------------------------------------------------------------------------- registry
# GradCase, register and REGISTRY live in .registry; the cases in .cases (one module per topic).
_REGISTRY = REGISTRY  # the name older code and tests use


def registered_cases(rng_seed: int = 0) -> list[GradCase]:
    """Build every registered case (importing :mod:`minigan.gradcheck.cases` first, so that
    every topic module has registered its cases)."""
    from . import cases  # noqa: F401  (imports the layers; the machinery above does not)

    built_cases = []
    for name, fn in REGISTRY.items():
        built = fn(np.random.default_rng(rng_seed))
        built = built if isinstance(built, (list, tuple)) else [built]
        for c in built:
            if not c.name:
                c.name = name
            built_cases.append(c)
    return built_cases


def run_case(case: GradCase) -> dict[str, float]:
    if case.kind == "loss":
        return check_loss(case.obj, case.x, case.target)
    return check_module(case.obj, case.x, dout=case.dout)


#: Width of the CLI's table: it fits an 80-column terminal (or a classroom projector).
TABLE_WIDTH = 80
_WHAT, _ERR, _RES = 16, 11, 6  # columns after the case name: gradient, rel. error, result


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def run_all(
    pattern: str | None = None, print_fn=print, tol: float = TOLERANCE, width: int | None = TABLE_WIDTH
) -> list[tuple[str, str, float, bool]]:
    """Run every registered case (whose name contains ``pattern``) and print a table.

    ``width`` (default 80 columns): a case name too long for its column is printed on a line
    of its own, its rows below it; ``None`` prints every name in its column, however wide.

    Returns the rows ``(case, what, relative error, passed)``.
    """
    rows = []
    cases = [c for c in registered_cases() if pattern is None or pattern.lower() in c.name.lower()]
    longest = max([len("layer")] + [len(c.name) for c in cases]) + 2
    rest = _WHAT + _ERR + 2 + _RES
    w = longest if width is None else max(12, min(longest, width - rest))
    total = w + rest
    if print_fn:
        print_fn(f"{'layer':<{w}}{'gradient':<{_WHAT}}{'rel. error':>{_ERR}}  result")
        print_fn("-" * total)
    for c in cases:
        try:
            res = run_case(c)
        except Exception as exc:  # a crash is a FAIL, reported, not a traceback
            res = {f"error: {type(exc).__name__}: {exc}": float("nan")}
        name = c.name
        if print_fn and len(name) > w - 1:
            print_fn(name if width is None else _fit(name, width))
            name = ""
        for i, (what, err) in enumerate(res.items()):
            ok = bool(np.isfinite(err) and err < tol)
            rows.append((c.name, what, err, ok))
            if print_fn:
                shown = name if i == 0 else ""
                if what.startswith("error:"):  # a crash: its own line, cut to the table's width
                    print_fn(f"{shown:<{w}}{'':<{_WHAT}}{err:>{_ERR}.2e}  FAIL")
                    print_fn("  " + (what if width is None else _fit(what, total - 2)))
                    continue
                print_fn(f"{shown:<{w}}{_fit(what, _WHAT - 1):<{_WHAT}}{err:>{_ERR}.2e}  {'PASS' if ok else 'FAIL'}")
    if print_fn:
        n_fail = sum(not r[3] for r in rows)
        print_fn("-" * total)
        print_fn(f"{len(rows) - n_fail} passed, {n_fail} failed (tolerance {tol:g}, float64, central differences)")
    return rows


def _quiet_broken_pipe() -> int:
    """``... | head`` closed our stdout: stop quietly, as a shell tool does (status 141 =
    128 + SIGPIPE), without a BrokenPipeError traceback at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python's final flush of stdout must not fail again
    except (OSError, ValueError):
        pass
    return 141


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m minigan.gradcheck",
        description="Check every minigan layer's and loss's backward pass against float64 "
        "central differences, and print a table.",
    )
    parser.add_argument("-k", "--filter", default=None, help="only cases whose name contains this text")
    parser.add_argument(
        "--tol", type=float, default=TOLERANCE, help=f"relative-error tolerance (default {TOLERANCE:g})"
    )
    parser.add_argument("--list", action="store_true", help="list the registered cases and exit")
    parser.add_argument(
        "--wide",
        action="store_true",
        help=f"one line per gradient, however long the case name (default: fit {TABLE_WIDTH} columns)",
    )
    args = parser.parse_args(argv)
    try:
        if args.list:
            for c in registered_cases():
                print(c.name)
            sys.stdout.flush()
            return 0
        rows = run_all(args.filter, tol=args.tol, width=None if args.wide else TABLE_WIDTH)
        sys.stdout.flush()
    except BrokenPipeError:
        return _quiet_broken_pipe()
    if not rows:
        print(f"no case matches {args.filter!r}", file=sys.stderr)
        return 2
    return 0 if all(r[3] for r in rows) else 1
