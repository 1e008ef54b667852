"""Quality against training time: each candidate recipe trained for the same wall time, its
samples scored at marks along the way exactly as ``minigan-train`` scores a finished run.

    python benchmarks/time_to_quality.py                                   # the three candidates, 5 minutes each
    python benchmarks/time_to_quality.py --only selfcond --seed 1
    python benchmarks/time_to_quality.py --minutes 1 --marks 20,40,60 --json ttq.json --plot ttq.png
    python benchmarks/time_to_quality.py --replot seed0.json seed1.json --plot both.png   # no training

A candidate is a model and the settings that train it:

- ``minigan``: the dense GAN of ``--recipe minigan`` (Dropout 0.3 in D, lr 6e-4, EMA 0.999);
- ``selfcond``: the same, self-conditioned on 20 k-means clusters (``--recipe selfcond``); the
  clustering is timed as training;
- ``dcgan``: the 28x28 DCGAN of ``--model dcgan`` (lr 2e-4, EMA 0.999, batch 128);
- ``dcgan-half``: the same at half width (``minigan.models.mnist_dcgan(width=32)``), batch 64.

The clock counts training only: the steps, the EMA update and (``selfcond``) the clustering.
It stops while the samples are scored and never counts the scoring. A real ``minigan-train``
run also draws grids, plots and checkpoints, which add a few per cent (its last lines report
its own time). At each mark the averaged G draws ``--eval-samples`` samples (BatchNorm
statistics recomputed, as the job's ``checkpoint_ema.npz`` samples are), and
``minigan.train.evaluate`` scores them against the held-out digits: the confident share, the
digit histogram, FID and the memorization ratio.

Run it on an idle machine: the marks are seconds of this machine's time, so any other job
moves every curve. Every candidate runs with the same BLAS thread count (``--threads``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from minigan import blas, data, metrics, models
from minigan.gan import EMA, GAN, SelfConditionedGAN
from minigan.nn.optim import Adam
from minigan.train import MODELS, build_models, ema_bn_batch, evaluate, model_defaults

#: name -> settings: minigan-train's own (:func:`minigan.train.model_defaults`), and ``what``.
CANDIDATES: dict[str, dict] = {
    "minigan": dict(model_defaults("dense", "minigan"), what="--recipe minigan"),
    "selfcond": dict(model_defaults("dense", "selfcond"), what="--recipe selfcond"),
    "dcgan": dict(model_defaults("dcgan"), what="--model dcgan", width=64),
    "dcgan-half": dict(model_defaults("dcgan"), what="--model dcgan at half width", width=32, batch_size=64),
}
DEFAULT_CANDIDATES = ("minigan", "selfcond", "dcgan-half")


def describe(name: str) -> str:
    """One line of candidate ``name``'s settings (the header line and the record's ``what``)."""
    c = CANDIDATES[name]
    net = c["model"] + (f" (width {c['width']})" if "width" in c else "")
    extra = (f", D Dropout {c['d_dropout']:g}" if c["d_dropout"] else "") + (
        f", self-conditioned on {c['clusters']} k-means clusters" if c.get("clusters") else ""
    )
    return f"{c['what']}: {net} GAN, lr {c['lr']:g}, EMA {c['ema']:g}, batch {c['batch_size']}{extra}"


def build(name: str, seed: int) -> tuple[GAN, EMA]:
    """The GAN of candidate ``name`` (weights, noise and minibatches from ``seed``) and the
    average of its G, built as ``minigan-train`` builds them (:func:`minigan.train.build_models`;
    a DCGAN of another width with :func:`minigan.models.mnist_dcgan`'s ``width``)."""
    c = CANDIDATES[name]
    if c.get("width", 64) != 64:
        latent = MODELS["dcgan"][1]
        G, D = models.mnist_dcgan(latent, rng=np.random.default_rng(seed), width=c["width"])
    else:
        G, D, latent = build_models(c["model"], seed, c["d_dropout"], c.get("clusters"))
    settings = dict(
        seed=seed,
        g_opt=Adam(G.parameters(), lr=c["lr"], beta1=c["beta1"]),
        d_opt=Adam(D.parameters(), lr=c["lr_d"], beta1=c["beta1"]),
    )
    if c.get("clusters"):
        gan: GAN = SelfConditionedGAN(G, D, latent, c["clusters"], **settings)
    else:
        gan = GAN(G, D, latent, **settings)
    return gan, EMA(G, c["ema"])


def sampler(gan: GAN, ema: EMA):
    """``draw(n)``: n samples of the averaged G, with BatchNorm statistics recomputed for it on
    the job's fixed batch (:func:`minigan.train.ema_bn_batch`, as ``Run.generate`` does)."""
    bn_batch = ema_bn_batch(gan)

    def draw(n: int):
        with ema.swapped_in(bn_batch):
            return gan.sample(n)

    return draw


def run_candidate(name, seed, marks, X_train, X_test, classifier, eval_samples, say=None) -> dict:
    """Train candidate ``name`` until the last of ``marks`` (seconds of training), scoring the
    samples at each mark; return its record (settings, ms per step, one row per mark)."""
    say = say or (lambda line: print(line, flush=True))
    c = CANDIDATES[name]
    gan, ema = build(name, seed)
    rows: list[dict] = []
    clock = {"train": 0.0, "since": time.perf_counter()}
    pending = list(marks)
    if isinstance(gan, SelfConditionedGAN):  # timed: the clusters are part of the recipe's cost
        found = data.cluster_images(X_train, c["clusters"], seed=seed)
        gan.set_assignment(found.assignments)
    draw = sampler(gan, ema)

    def score() -> None:
        result = evaluate(draw(eval_samples), X_train, X_test, classifier)
        row = {
            "seconds": round(clock["train"], 2),
            "step": gan.step,
            "confident_share": result["confident_share"],
            "fid": result["fid"],
            "largest_class": max(result["histogram"]),
            "mode_count": result["mode_count"],
            "memorization_ratio": result["memorization"]["ratio"],
        }
        rows.append(row)
        say(
            f"  {name:<10} {row['seconds']:7.1f} s  step {row['step']:>6}  confident "
            f"{100 * row['confident_share']:5.1f} %  FID {row['fid']:7.2f}  largest {row['largest_class']:>4}  "
            f"digits {row['mode_count']}/10  memorization {row['memorization_ratio']:.2f}"
        )

    def callback(g) -> None:
        ema.update()
        now = time.perf_counter()
        clock["train"] += now - clock["since"]
        clock["since"] = now
        if clock["train"] >= pending[0]:
            pending.pop(0)
            score()
            if not pending:
                g.request_stop()
            clock["since"] = time.perf_counter()  # the scoring is not training time

    gan.fit(X_train, 10**9, c["batch_size"], callback=callback, log_every=25)
    return {
        "candidate": name,
        "what": describe(name),
        "seed": seed,
        "ms_per_step": round(1000 * rows[-1]["seconds"] / max(rows[-1]["step"], 1), 2),
        "rows": rows,
    }


def plot(records: list[dict], path: str) -> None:
    """The curves of ``records`` (confident share and FID against minutes of training) in one
    PNG: a colour per candidate, a line style per seed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import ScalarFormatter

    colours = {name: f"C{i}" for i, name in enumerate(CANDIDATES)}
    styles = ["-", "--", ":", "-."]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    for r in records:
        t = [row["seconds"] / 60 for row in r["rows"]]
        kw = dict(color=colours.get(r["candidate"]), ls=styles[r["seed"] % len(styles)], marker="o", ms=3)
        label = f"{r['candidate']} (seed {r['seed']})"
        ax1.plot(t, [100 * row["confident_share"] for row in r["rows"]], label=label, **kw)
        ax2.plot(t, [row["fid"] for row in r["rows"]], label=label, **kw)
    ax1.axhline(87.0, color="gray", ls="--", lw=1, label="real held-out digits (87.0 %)")
    ax1.set(xlabel="training time (min)", ylabel="confident ≥ 0.9 (%)", title="confident share")
    ax2.axhline(8.0, color="gray", ls="--", lw=1, label="target: FID 8")
    ax2.set(xlabel="training time (min)", ylabel="FID (log scale)", title="FID vs held-out digits", yscale="log")
    ax2.yaxis.set_major_formatter(ScalarFormatter())
    ax2.yaxis.set_minor_formatter(ScalarFormatter())
    ax1.legend(fontsize=7)
    ax2.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--only", default=",".join(DEFAULT_CANDIDATES), help=f"candidates, comma-separated, of {', '.join(CANDIDATES)}"
    )
    p.add_argument("--minutes", type=float, default=5.0, help="training time of each candidate (default 5)")
    p.add_argument(
        "--marks", default=None, help="seconds of training at which to score, comma-separated (default: every 30 s)"
    )
    p.add_argument("--seed", type=int, default=0, help="seed of weights, noise, minibatches and clusters (default 0)")
    p.add_argument("--threads", type=int, default=None, help="BLAS threads (default: 2, or 1 on a 1-core machine)")
    p.add_argument("--eval-samples", type=int, default=1000, help="samples scored at each mark (default 1000)")
    p.add_argument("--json", default=None, help="write the records to this JSON file")
    p.add_argument("--plot", default=None, help="draw the curves to this PNG file")
    p.add_argument(
        "--replot",
        nargs="+",
        metavar="JSON",
        default=None,
        help="train nothing: draw --plot from the records of earlier runs' --json files (e.g. two seeds)",
    )
    a = p.parse_args(argv)
    if a.replot:
        if not a.plot:
            p.error("--replot needs --plot PNG")
        records = []
        for path in a.replot:
            try:
                with open(path) as f:
                    records += json.load(f)["records"]
            except (OSError, ValueError, KeyError, TypeError) as exc:
                p.error(f"--replot: cannot read the records of {path}: {exc}")
        plot(records, a.plot)
        print(f"wrote {a.plot} ({len(records)} curves)")
        return 0
    names = [n for n in a.only.split(",") if n]
    unknown = [n for n in names if n not in CANDIDATES]
    if unknown or not names:
        given = ", ".join(unknown) or "(none given)"
        p.error(f"--only: unknown candidate(s) {given}; choose from {', '.join(CANDIDATES)}")
    if a.minutes <= 0:
        p.error(f"--minutes must be > 0, got {a.minutes}")
    total = 60 * a.minutes
    try:
        every_30 = [30.0 * i for i in range(1, int(total // 30) + 1)]
        marks = sorted({float(m) for m in a.marks.split(",")}) if a.marks else every_30
    except ValueError:
        p.error(f"--marks must be seconds separated by commas, got {a.marks!r}")
    marks = [m for m in marks if 0 < m <= total] or [total]
    if marks[-1] < total:
        marks.append(total)
    cores = blas.available_cores()
    threads = a.threads if a.threads is not None else min(2, cores)
    if not 1 <= threads <= cores:
        p.error(f"--threads must be between 1 and this machine's {cores} cores, got {threads}")
    X_train, _ = data.load_mnist(split="train")
    X_test, _ = data.load_mnist(split="test")
    classifier = metrics.load_classifier()
    records = []
    try:
        load = f"load average {os.getloadavg()[0]:.2f}"
    except (AttributeError, OSError):
        load = "no load average"
    print(
        f"time to quality: {', '.join(names)}; {a.minutes:g} min each, seed {a.seed}, {threads} BLAS thread(s), {load}",
        flush=True,
    )
    with blas.limited(threads):
        for name in names:
            print(f"{name}: {describe(name)}", flush=True)
            records.append(run_candidate(name, a.seed, marks, X_train, X_test, classifier, a.eval_samples))
            print(f"  {name}: {records[-1]['ms_per_step']} ms a step", flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"threads": threads, "seed": a.seed, "records": records}, f, indent=1)
    if a.plot:
        plot(records, a.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
