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


class AssigningDense(mg.Dense):
    """Dense whose backward *assigns* its parameter gradients (``W.grad = ...``) instead of
    adding them: right after a zero_grad, wrong whenever two backward passes must sum (a D step
    on real then fake)."""

    def backward(self, dout):
        self._check_dout(dout)
        self.params["W"].grad[...] = dout.T @ self._x  # wrong on purpose: = instead of +=
        self.params["b"].grad[...] = dout.sum(axis=0)  # wrong on purpose: = instead of +=
        return dout @ self.params["W"].data


def test_check_module_catches_a_backward_that_assigns_instead_of_accumulating():
    rng = np.random.default_rng(0)
    layer = AssigningDense(3, 2, rng=rng)
    x = rng.standard_normal((4, 3))
    res = gradcheck.check_module(layer, x)
    assert res["dx"] < gradcheck.TOLERANCE, f"dx is right, yet its check fails: {res}"
    assert res["W"] > 1e-2 and res["b"] > 1e-2, f"an assigning backward passed the gradient check: {res}"
    # the same layer after a zero_grad gives the right numbers: only the pre-fill shows the bug
    layer.zero_grad()
    layer(x)
    layer.backward(np.ones((4, 2)))
    np.testing.assert_allclose(layer.params["b"].grad, [4.0, 4.0], err_msg="AssigningDense is not a plain Dense")


def test_cli_reports_fail_for_a_backward_that_assigns(monkeypatch, capsys):
    def assigning(rng):
        return gradcheck.GradCase("assigning-dense", AssigningDense(4, 3, rng=rng), rng.standard_normal((5, 4)))

    monkeypatch.setitem(gradcheck._REGISTRY, "assigning-dense", assigning)
    assert gradcheck.main(["-k", "assigning-dense"]) == 1, "the CLI passed a backward that assigns"
    lines = capsys.readouterr().out.splitlines()
    rows = {line.split()[-3]: line.split()[-1] for line in lines if line.endswith(("PASS", "FAIL"))}
    assert rows == {"dx": "PASS", "W": "FAIL", "b": "FAIL"}, rows


def _assigning(layer, name):
    """Make ``layer.backward`` leave ``params[name].grad`` holding this backward's gradient
    alone, as ``θ.grad = ∂C/∂θ`` would (``+=`` planted as ``=``), every other gradient intact."""
    right = layer.backward

    def backward(dout, **kw):
        before = layer.params[name].grad.copy()
        dx = right(dout, **kw)
        layer.params[name].grad -= before
        return dx

    layer.backward = backward
    return layer


ASSIGNING = [
    ("Dense", lambda r: mg.Dense(4, 3, rng=r), (5, 4), "W"),
    ("Dense", lambda r: mg.Dense(4, 3, rng=r), (5, 4), "b"),
    ("Conv2D", lambda r: mg.Conv2D(2, 3, 3, stride=2, padding=1, rng=r), (2, 2, 5, 5), "W"),
    ("Conv2D", lambda r: mg.Conv2D(2, 3, 3, stride=2, padding=1, rng=r), (2, 2, 5, 5), "b"),
    ("Conv2DTranspose", lambda r: mg.Conv2DTranspose(2, 3, 3, stride=2, padding=1, rng=r), (2, 2, 3, 3), "W"),
    ("Conv2DTranspose", lambda r: mg.Conv2DTranspose(2, 3, 3, stride=2, padding=1, rng=r), (2, 2, 3, 3), "b"),
    ("BatchNorm", lambda r: mg.BatchNorm(3), (6, 3), "gamma"),
    ("BatchNorm", lambda r: mg.BatchNorm(3), (6, 3), "beta"),
    ("RNN", lambda r: mg.RNN(3, 4, rng=r), (2, 3, 3), "W_hh"),
    ("LSTM", lambda r: mg.LSTM(3, 4, rng=r), (2, 3, 3), "W_ih"),
]


@pytest.mark.parametrize("layer, make, shape, name", ASSIGNING, ids=[f"{a[0]}.{a[3]}" for a in ASSIGNING])
def test_check_module_catches_each_layer_assigning_one_gradient(layer, make, shape, name):
    """``+=`` planted as ``=`` in one parameter gradient of one layer: that gradient, and only
    it, fails the check."""
    rng = np.random.default_rng(3)
    res = gradcheck.check_module(_assigning(make(rng), name), rng.standard_normal(shape))
    assert res[name] > 1e-2, f"{layer}: {name}.grad assigned, yet the check passed: {res}"
    others = {k: v for k, v in res.items() if k != name}
    assert max(others.values()) < gradcheck.TOLERANCE, f"{layer}: a right gradient failed: {others}"


def test_check_module_leaves_the_gradient_of_one_backward():
    """After the check every θ.grad holds ∂C/∂θ of the checked backward alone (the pre-fill is
    taken out again), as after zero_grad() and one backward."""
    rng = np.random.default_rng(4)
    layer, x = mg.Dense(3, 2, rng=rng), rng.standard_normal((5, 3))
    dout = rng.standard_normal((5, 2))
    gradcheck.check_module(layer, x, dout=dout)
    np.testing.assert_allclose(layer.params["W"].grad, dout.T @ x, rtol=1e-12, err_msg="W.grad after the check")
    np.testing.assert_allclose(layer.params["b"].grad, dout.sum(0), rtol=1e-12, err_msg="b.grad after the check")


def test_check_module_prefills_a_shared_parameter_once():
    """A Parameter under two names (tied weights) is pre-filled and taken out once."""
    from minigan.nn.module import Module, Parameter

    class Tied(Module):
        def __init__(self):
            super().__init__()
            self.params["a"] = self.params["b"] = Parameter(np.array([0.5, -1.0, 2.0]))

        def forward(self, x):
            self._x = x
            return x * self.params["a"].data

        def backward(self, dout):
            self._check_dout(dout)
            self.params["a"].grad += (dout * self._x).sum(axis=0)
            return dout * self.params["a"].data

    res = gradcheck.check_module(Tied(), np.random.default_rng(5).standard_normal((4, 3)))
    assert set(res) == {"dx", "a", "b"} and max(res.values()) < gradcheck.TOLERANCE, res


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
