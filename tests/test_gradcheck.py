"""Every registered layer and loss passes its float64 central-difference gradient check."""

import numpy as np
import pytest

import minigan as mg
from minigan import gradcheck

CASES = gradcheck.registered_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_registered_case(case):
    res = gradcheck.run_case(case)
    assert res, f"{case.name}: no gradient was checked"
    if case.kind == "module":
        names = {n for n, _ in case.obj.named_parameters()}
        assert {"dx"} | names == set(res), f"{case.name}: not every parameter was checked"
    for what, err in res.items():
        assert err < gradcheck.TOLERANCE, f"{case.name} {what}: relative error {err:.2e}"


def test_check_module_catches_a_wrong_backward():
    """A gradient check must be able to fail: a Dense whose backward halves the bias gradient
    and scales dx by 1.01, while its W gradient stays right."""

    class BrokenDense(mg.Dense):
        def backward(self, dout):
            dx = super().backward(dout)
            self.params["b"].grad *= 0.5
            return dx * 1.01

    rng = np.random.default_rng(0)
    res = gradcheck.check_module(BrokenDense(3, 2, rng=rng), rng.standard_normal((4, 3)))
    assert res["dx"] > 1e-3 and res["b"] > 1e-2 and res["W"] < 1e-6


def test_cli_prints_a_table_and_exit_status(capsys):
    assert gradcheck.main(["-k", "Dense"]) == 0
    out = capsys.readouterr().out
    assert "Dense(5, 3)" in out and "PASS" in out and "FAIL" not in out
    assert gradcheck.main(["-k", "no-such-layer"]) == 2


def test_cli_exit_status_1_on_failure(monkeypatch, capsys):
    def broken(rng):
        d = mg.Dense(2, 2, rng=rng)
        d.backward = lambda dout: dout  # wrong on purpose
        return gradcheck.GradCase("broken-dense", d, rng.standard_normal((3, 2)))

    monkeypatch.setitem(gradcheck._REGISTRY, "broken-dense", broken)
    assert gradcheck.main(["-k", "broken-dense"]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_rel_error():
    assert gradcheck.rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert gradcheck.rel_error(np.array([1.0]), np.array([1.0 + 2e-8])) == pytest.approx(1e-8, rel=1e-3)
    with pytest.raises(ValueError, match="shapes differ"):
        gradcheck.rel_error(np.zeros(2), np.zeros(3))


def test_checks_accept_a_non_contiguous_input_and_leave_it_alone():
    x = np.random.default_rng(1).standard_normal((5, 4)).T  # (4, 5), F-ordered
    keep = x.copy()
    res = gradcheck.check_module(mg.Dense(5, 3, rng=0), x)
    assert max(res.values()) < gradcheck.TOLERANCE
    assert gradcheck.check_loss(mg.MSELoss(), x, np.zeros((4, 5)))["dpred"] < gradcheck.TOLERANCE
    np.testing.assert_array_equal(x, keep)


def test_cli_table_fits_80_columns(capsys):
    assert gradcheck.main(["-k", "Conv2DTranspose"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert any(line.startswith("Conv2DTranspose(2,2,(3,2),stride=(2,3)") for line in lines)  # names not cut
    assert gradcheck.main(["-k", "Conv2DTranspose(2,2,(3,2)", "--wide"]) == 0
    wide = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in wide) > 80 and "PASS" in wide[2]  # --wide: one line per gradient


@pytest.mark.parametrize("args", [["--list"], ["-k", "Dense"]])
def test_cli_closed_pipe_is_quiet(args):
    """`python -m minigan.gradcheck --list | head`: the reader goes away; no traceback."""
    import subprocess
    import sys

    p = subprocess.Popen(
        [sys.executable, "-m", "minigan.gradcheck", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    p.stdout.close()  # like `head` that has read all it wanted
    err = p.stderr.read().decode()
    p.stderr.close()
    assert p.wait(timeout=60) == 141, err
    assert "Traceback" not in err and "BrokenPipeError" not in err
