"""benchmarks/time_to_quality.py: the clock, the marks, the records and the replot, on runs of
a fraction of a second (the benchmark's own figures come from 5-minute runs, never from here)."""

from __future__ import annotations

import importlib.util
import json
import os

import numpy as np
import pytest

from minigan import data, metrics
from minigan.gan import SelfConditionedGAN

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="module")
def ttq():
    path = os.path.join(HERE, "..", "benchmarks", "time_to_quality.py")
    spec = importlib.util.spec_from_file_location("time_to_quality", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_candidates_are_the_recipes_models(ttq):
    gan, ema = ttq.build("selfcond", seed=0)
    assert isinstance(gan, SelfConditionedGAN) and gan.num_clusters == 20 and ema.decay == 0.999
    gan, _ = ttq.build("minigan", seed=0)
    assert not isinstance(gan, SelfConditionedGAN) and gan.G[0].params["W"].data.shape == (128, 64)
    half, _ = ttq.build("dcgan-half", seed=0)
    full, _ = ttq.build("dcgan", seed=0)
    assert half.D[0].params["W"].data.shape[0] == 32 and full.D[0].params["W"].data.shape[0] == 64
    a, _ = ttq.build("minigan", seed=3)
    b, _ = ttq.build("minigan", seed=3)
    np.testing.assert_array_equal(a.G[0].params["W"].data, b.G[0].params["W"].data)  # the seed decides


def test_a_short_run_scores_at_each_mark_and_stops_at_the_last(ttq, tmp_path, capsys):
    X_train, _ = data.load_mnist(split="train", limit=400)
    X_test, _ = data.load_mnist(split="test", limit=400)
    lines: list[str] = []
    rec = ttq.run_candidate("selfcond", 0, [0.2, 0.5], X_train, X_test, metrics.load_classifier(), 50, say=lines.append)
    rows = rec["rows"]
    assert [r["seconds"] >= m for r, m in zip(rows, (0.2, 0.5))] == [True, True] and len(lines) == 2
    assert rows[0]["step"] < rows[1]["step"] and rec["ms_per_step"] > 0
    for r in rows:
        assert 0 <= r["confident_share"] <= 1 and np.isfinite(r["fid"]) and r["memorization_ratio"] > 0
    # the records draw, and --replot draws them again without training
    out = tmp_path / "r.json"
    out.write_text(json.dumps({"threads": 1, "seed": 0, "records": [rec, {**rec, "seed": 1}]}))
    assert ttq.main(["--replot", str(out), "--plot", str(tmp_path / "r.png")]) == 0
    assert (tmp_path / "r.png").stat().st_size > 10_000 and "2 curves" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv,words",
    [
        (["--only", "gan9"], "--only: unknown candidate(s) gan9"),
        (["--minutes", "0"], "--minutes must be > 0"),
        (["--marks", "a,b"], "--marks must be seconds separated by commas"),
        (["--threads", "999"], "--threads must be between 1 and"),
        (["--replot", "nothing.json"], "--replot needs --plot PNG"),
        (["--replot", "nothing.json", "--plot", "x.png"], "cannot read the records of nothing.json"),
    ],
)
def test_bad_arguments_are_one_line(ttq, argv, words, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as e:
        ttq.main(argv)
    assert e.value.code == 2 and words in capsys.readouterr().err
