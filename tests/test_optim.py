"""Optimizers: single and double steps against closed-form hand computations, clipping,
state_dict round trips, validation, PyTorch agreement."""

import copy
import json
import math

import numpy as np
import pytest

import minigan as mg
from minigan.nn.module import Parameter


def param(values, grad=None, dtype=np.float64):
    p = Parameter(np.array(values, dtype=dtype))
    if grad is not None:
        p.grad[...] = grad
    return p


# ---------------------------------------------------------------------------- SGD
def test_sgd_plain_step():
    p = param([1.0, -2.0], grad=[0.5, 1.0])
    mg.SGD([p], lr=0.1).step()
    np.testing.assert_allclose(p.data, [1.0 - 0.1 * 0.5, -2.0 - 0.1 * 1.0])


def test_sgd_momentum_two_steps():
    p = param([1.0], grad=[0.5])
    opt = mg.SGD([p], lr=0.1, momentum=0.9)
    opt.step()  # v1 = g = 0.5; θ1 = 1 - 0.05 = 0.95
    assert p.data[0] == pytest.approx(0.95)
    p.grad[...] = -1.0
    opt.step()  # v2 = 0.9·0.5 + (-1) = -0.55; θ2 = 0.95 + 0.055 = 1.005
    assert p.data[0] == pytest.approx(1.005)
    assert opt.state["v"][0][0] == pytest.approx(-0.55)


def test_sgd_weight_decay_is_l2_on_the_gradient():
    p = param([2.0], grad=[0.5])
    mg.SGD([p], lr=0.1, weight_decay=0.01).step()  # g' = 0.5 + 0.01·2 = 0.52
    assert p.data[0] == pytest.approx(2.0 - 0.1 * 0.52)


# ---------------------------------------------------------------------------- RMSProp
def test_rmsprop_two_steps():
    p = param([1.0], grad=[0.5])
    opt = mg.RMSProp([p], lr=0.01, beta=0.9, eps=1e-8)
    opt.step()  # S1 = 0.1·0.25 = 0.025
    theta1 = 1.0 - 0.01 * 0.5 / (math.sqrt(0.025) + 1e-8)
    assert p.data[0] == pytest.approx(theta1, rel=1e-12)
    opt.step()  # S2 = 0.9·0.025 + 0.1·0.25 = 0.0475
    theta2 = theta1 - 0.01 * 0.5 / (math.sqrt(0.0475) + 1e-8)
    assert p.data[0] == pytest.approx(theta2, rel=1e-12)
    assert opt.state["S"][0][0] == pytest.approx(0.0475)


def test_rmsprop_zero_gradient_does_not_divide_by_zero():
    p = param([1.0, 2.0], grad=[0.0, 0.0])
    with np.errstate(all="raise"):
        mg.RMSProp([p]).step()
    np.testing.assert_array_equal(p.data, [1.0, 2.0])


# ---------------------------------------------------------------------------- Adam
def test_adam_first_step_is_lr_times_sign_by_bias_correction():
    # t = 1: V̂ = g, Ŝ = g², so the step is lr·g/(|g| + eps) ≈ lr·sign(g), whatever |g| is
    p = param([1.0, 1.0, 1.0], grad=[0.5, -3.0, 1e-3])
    mg.Adam([p], lr=0.1).step()
    np.testing.assert_allclose(
        p.data, [1 - 0.1 * 0.5 / (0.5 + 1e-8), 1 + 0.1 * 3.0 / (3.0 + 1e-8), 1 - 0.1 * 1e-3 / (1e-3 + 1e-8)], rtol=1e-12
    )


def test_adam_two_steps_with_bias_correction():
    b1, b2, lr, eps = 0.9, 0.999, 0.1, 1e-8
    p = param([1.0], grad=[0.5])
    opt = mg.Adam([p], lr=lr, beta1=b1, beta2=b2, eps=eps)
    opt.step()
    theta1 = 1.0 - lr * 0.5 / (0.5 + eps)
    assert p.data[0] == pytest.approx(theta1, rel=1e-12)
    p.grad[...] = -1.0
    opt.step()
    V2 = 0.9 * 0.05 + 0.1 * -1.0  # = -0.055
    S2 = 0.999 * 0.001 * 0.25 + 0.001 * 1.0  # = 0.00124975
    v_hat = V2 / (1 - 0.9**2)
    s_hat = S2 / (1 - 0.999**2)
    theta2 = theta1 - lr * v_hat / (math.sqrt(s_hat) + eps)
    assert p.data[0] == pytest.approx(theta2, rel=1e-12)
    assert opt.state["V"][0][0] == pytest.approx(-0.055)
    assert opt.state["S"][0][0] == pytest.approx(0.00124975)
    assert opt.t == 2


def test_adam_eps_is_added_after_the_square_root():
    # one step of g = 1e-4 (Ŝ = 1e-8) with a large eps: η·g/(√Ŝ + ε) = 1e-4/(1e-4 + 1e-2), while the
    # document's η·g/√(Ŝ + ε) would give 1e-4/√(1e-8 + 1e-2) ≈ 1e-3
    p = param([0.0], grad=[1e-4])
    mg.Adam([p], lr=1.0, eps=1e-2).step()
    assert p.data[0] == pytest.approx(-1e-4 / (1e-4 + 1e-2), rel=1e-12)
    assert abs(p.data[0] - (-1e-4 / math.sqrt(1e-8 + 1e-2))) > 1e-4


def test_adam_weight_decay_and_float32_stays_float32():
    p = param([2.0, -1.0], grad=[0.0, 0.0], dtype=np.float32)
    opt = mg.Adam([p], lr=0.1, weight_decay=0.5)
    opt.step()  # g' = 0.5·θ: first step is -lr·sign(θ)
    np.testing.assert_allclose(p.data, [1.9, -0.9], rtol=1e-6)
    assert p.data.dtype == np.float32
    assert all(a.dtype == np.float32 for a in opt.state_dict()["arrays"].values())


# ---------------------------------------------------------------------------- common behaviour
@pytest.mark.parametrize(
    "make", [lambda m: mg.SGD(m, lr=0.1, momentum=0.9), lambda m: mg.RMSProp(m), lambda m: mg.Adam(m)]
)
def test_module_as_params_zero_grad_and_in_place_update(make):
    model = mg.Sequential(mg.Dense(3, 2, rng=0), mg.Tanh(), mg.Dense(2, 1, rng=1))
    opt = make(model)
    assert opt.params == model.parameters()
    W = model[0].params["W"]
    data_id = id(W.data)
    before = W.data.copy()
    x = np.ones((4, 3), np.float32)
    model.backward(np.ones_like(model(x)))
    opt.step()
    assert id(W.data) == data_id, "the update must be in place"
    assert not np.allclose(W.data, before)
    assert any(np.any(p.grad != 0) for p in model.parameters())
    opt.zero_grad()
    assert all(np.all(p.grad == 0) for p in model.parameters())


def test_state_is_lazy_and_follows_dtype():
    p = param([1.0, 2.0], grad=[1.0, 1.0], dtype=np.float32)
    opt = mg.Adam([p])
    assert opt.state_dict()["arrays"] == {}
    opt.step()
    assert opt.state["V"][0].dtype == np.float32
    p.data = p.data.astype(np.float64)
    p.grad = p.grad.astype(np.float64)
    opt.step()
    assert opt.state["V"][0].dtype == np.float64


def test_lr_can_be_changed_and_is_revalidated():
    p = param([1.0], grad=[1.0])
    opt = mg.SGD([p], lr=0.1)
    opt.lr = 0.5
    opt.step()
    assert p.data[0] == pytest.approx(0.5)
    opt.lr = -1.0
    with pytest.raises(ValueError, match="SGD: lr must be a finite number in"):
        opt.step()


def test_repr():
    r = repr(mg.Adam([param([1.0])], lr=0.01))
    assert r.startswith("Adam(1 parameters, lr=0.01, beta1=0.9, beta2=0.999, eps=1e-08")


# ---------------------------------------------------------------------------- validation
@pytest.mark.parametrize("cls", [mg.SGD, mg.RMSProp, mg.Adam])
@pytest.mark.parametrize("lr", [0.0, -1e-3, math.inf, math.nan])
def test_lr_must_be_positive_and_finite(cls, lr):
    with pytest.raises(ValueError, match=rf"{cls.__name__}: lr must be a finite number in \(0, ∞\), got"):
        cls([param([1.0])], lr=lr)


@pytest.mark.parametrize("cls", [mg.SGD, mg.RMSProp, mg.Adam])
def test_lr_must_be_a_number(cls):
    with pytest.raises(TypeError, match=f"{cls.__name__}: lr must be a real number, got str"):
        cls([param([1.0])], lr="0.1")
    with pytest.raises(TypeError, match=f"{cls.__name__}: lr must be a real number, got bool"):
        cls([param([1.0])], lr=True)


@pytest.mark.parametrize(
    "cls, kwargs, match",
    [
        (mg.Adam, {"beta1": 1.0}, r"Adam: beta1 must be a finite number in \[0, 1\)"),
        (mg.Adam, {"beta1": -0.1}, r"Adam: beta1 must be"),
        (mg.Adam, {"beta2": 1.5}, r"Adam: beta2 must be"),
        (mg.Adam, {"eps": 0.0}, r"Adam: eps must be a finite number in \[1e-30, ∞\)"),
        (mg.RMSProp, {"beta": 1.0}, r"RMSProp: beta must be"),
        (mg.RMSProp, {"eps": -1e-8}, r"RMSProp: eps must be"),
        (mg.SGD, {"momentum": -0.5}, r"SGD: momentum must be a finite number in \[0, ∞\)"),
        (mg.SGD, {"weight_decay": -1.0}, r"SGD: weight_decay must be"),
        (mg.Adam, {"clip_norm": 0.0}, r"Adam: clip_norm must be"),
    ],
)
def test_bad_hyperparameters(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls([param([1.0])], lr=0.1, **kwargs)


def test_bad_params():
    with pytest.raises(ValueError, match="SGD: params is empty"):
        mg.SGD([], lr=0.1)
    with pytest.raises(TypeError, match=r"Adam: params\[0\] must be a minigan Parameter, got ndarray"):
        mg.Adam([np.zeros(3)])
    with pytest.raises(TypeError, match="RMSProp: params must be a Module or a list of Parameters, got int"):
        mg.RMSProp(3)
    p = param([1.0])
    with pytest.raises(ValueError, match="Adam: a Parameter appears more than once"):
        mg.Adam([p, p])


# ---------------------------------------------------------------------------- clip_grad_norm
def test_clip_grad_norm_scales_to_max_norm():
    a, b = param([0.0, 0.0], grad=[3.0, 0.0]), param([0.0], grad=[4.0])
    total = mg.clip_grad_norm([a, b], max_norm=1.0)
    assert isinstance(total, np.ndarray) and total.ndim == 0
    assert float(total) == pytest.approx(5.0)
    c = 1.0 / (5.0 + 1e-6)
    np.testing.assert_allclose(a.grad, [3 * c, 0.0], rtol=1e-12)
    np.testing.assert_allclose(b.grad, [4 * c], rtol=1e-12)


def test_clip_grad_norm_leaves_small_gradients_alone():
    a = param([0.0, 0.0], grad=[0.3, 0.4])
    total = mg.clip_grad_norm([a], max_norm=1.0)
    assert float(total) == pytest.approx(0.5)
    np.testing.assert_array_equal(a.grad, [0.3, 0.4])


def test_clip_grad_norm_on_a_module_and_validation():
    model = mg.Dense(2, 2, rng=0)
    model.params["W"].grad[...] = 10.0
    total = mg.clip_grad_norm(model, 2.0)
    assert float(total) == pytest.approx(20.0)
    assert float(np.sqrt(sum((p.grad.astype(np.float64) ** 2).sum() for p in model.parameters()))) == pytest.approx(
        2.0, rel=1e-5
    )
    with pytest.raises(ValueError, match="clip_grad_norm: max_norm must be"):
        mg.clip_grad_norm(model, 0.0)


def test_optimizer_clip_norm_applies_before_the_step():
    p = param([0.0, 0.0], grad=[3.0, 4.0])
    opt = mg.SGD([p], lr=1.0, clip_norm=1.0)
    opt.step()
    np.testing.assert_allclose(p.data, [-0.6, -0.8], rtol=1e-5)
    assert float(opt.last_grad_norm) == pytest.approx(5.0)


# ---------------------------------------------------------------------------- state_dict
def _run(opt, params, grads):
    for g in grads:
        for p, gi in zip(params, g):
            p.grad[...] = gi
        opt.step()


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: mg.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
        lambda ps: mg.RMSProp(ps, lr=0.01),
        lambda ps: mg.Adam(ps, lr=0.01, clip_norm=3.0),
    ],
)
def test_state_dict_round_trip(make):
    rng = np.random.default_rng(0)
    shapes = [(3, 2), (2,)]
    grads = [[rng.standard_normal(s) for s in shapes] for _ in range(5)]
    ps = [Parameter(rng.standard_normal(s)) for s in shapes]
    opt = make(ps)
    _run(opt, ps, grads[:3])
    sd = opt.state_dict()
    assert set(sd) == {"step", "hyper", "arrays"} and sd["step"] == 3
    json.dumps(sd["hyper"])  # JSON-able
    for key in sd["arrays"]:
        slot, idx = key.split(".")
        assert slot in type(opt).SLOTS and int(idx) in (0, 1)
    saved = copy.deepcopy(sd)
    # a fresh copy of the parameters with a fresh optimizer (other hyperparameters) + load
    ps2 = [Parameter(p.data.copy()) for p in ps]
    opt2 = type(opt)(ps2, lr=0.5)
    opt2.load_state_dict(saved)
    assert opt2.hyperparameters() == opt.hyperparameters() and opt2.t == 3
    _run(opt, ps, grads[3:])
    _run(opt2, ps2, grads[3:])
    for p, p2 in zip(ps, ps2):
        np.testing.assert_allclose(p2.data, p.data, rtol=1e-14)


def test_load_state_dict_casts_to_the_parameter_dtype():
    p = param([1.0, 2.0], grad=[1.0, 1.0])
    opt = mg.Adam([p])
    opt.step()
    q = param([1.0, 2.0], dtype=np.float32)
    opt2 = mg.Adam([q])
    opt2.load_state_dict(copy.deepcopy(opt.state_dict()))
    assert opt2.state["V"][0].dtype == np.float32
    np.testing.assert_allclose(opt2.state["S"][0], opt.state["S"][0], rtol=1e-6)


def test_load_state_dict_errors():
    p = param([1.0, 2.0], grad=[1.0, 1.0])
    opt = mg.Adam([p])
    opt.step()
    good = opt.state_dict()
    with pytest.raises(ValueError, match="Adam.load_state_dict: expected a dict with keys 'step', 'hyper', 'arrays'"):
        opt.load_state_dict({"arrays": {}})
    with pytest.raises(ValueError, match=r"state 'V.0' has shape \(3,\), but parameter 0 has shape \(2,\)"):
        opt.load_state_dict({**good, "arrays": {"V.0": np.zeros(3)}})
    with pytest.raises(ValueError, match=r"unexpected state key 'v.0'.*\['V', 'S'\]"):
        opt.load_state_dict({**good, "arrays": {"v.0": np.zeros(2)}})
    with pytest.raises(ValueError, match="refers to parameter 1, but this optimizer has 1 parameters"):
        opt.load_state_dict({**good, "arrays": {"S.1": np.zeros(2)}})
    with pytest.raises(ValueError, match=r"unknown hyperparameters \['momentum'\]"):
        opt.load_state_dict({**good, "hyper": {"momentum": 0.9}})
    with pytest.raises(ValueError, match="bad hyperparameters: Adam: lr must be"):
        opt.load_state_dict({**good, "hyper": {**good["hyper"], "lr": -1.0}})
    assert opt.lr == 1e-3, "a failed load must leave the hyperparameters unchanged"
    with pytest.raises(ValueError, match="'step' must be an int >= 0"):
        opt.load_state_dict({**good, "step": -2})
    # loading an SGD state into Adam names the foreign hyperparameter (momentum)
    sgd = mg.SGD([param([0.0, 0.0], grad=[1.0, 1.0])], lr=0.1, momentum=0.9)
    sgd.step()
    with pytest.raises(ValueError, match=r"unknown hyperparameters \['momentum'\]"):
        opt.load_state_dict(sgd.state_dict())


# ---------------------------------------------------------------------------- PyTorch agreement
@pytest.mark.parametrize("name", ["sgd", "sgd_momentum", "rmsprop", "adam", "adam_wd"])
def test_matches_torch_over_several_steps(name):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    theta0 = rng.standard_normal((3, 4))
    grads = [rng.standard_normal((3, 4)) for _ in range(6)]
    ours_p = Parameter(theta0.copy())
    t = torch.tensor(theta0.copy(), requires_grad=True)
    if name == "sgd":
        ours, theirs = mg.SGD([ours_p], lr=0.1), torch.optim.SGD([t], lr=0.1)
    elif name == "sgd_momentum":
        ours = mg.SGD([ours_p], lr=0.1, momentum=0.9, weight_decay=0.01)
        theirs = torch.optim.SGD([t], lr=0.1, momentum=0.9, weight_decay=0.01)
    elif name == "rmsprop":
        ours = mg.RMSProp([ours_p], lr=0.01, beta=0.9, eps=1e-8)
        theirs = torch.optim.RMSprop([t], lr=0.01, alpha=0.9, eps=1e-8)
    elif name == "adam":
        ours = mg.Adam([ours_p], lr=2e-3, beta1=0.5, beta2=0.999)
        theirs = torch.optim.Adam([t], lr=2e-3, betas=(0.5, 0.999))
    else:
        ours = mg.Adam([ours_p], lr=1e-2, weight_decay=0.1)
        theirs = torch.optim.Adam([t], lr=1e-2, weight_decay=0.1)
    for g in grads:
        ours_p.grad[...] = g
        ours.step()
        t.grad = torch.tensor(g)
        theirs.step()
    np.testing.assert_allclose(ours_p.data, t.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_clip_grad_norm_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    gs = [3 * rng.standard_normal((2, 3)), 3 * rng.standard_normal(4)]
    ps = [param(np.zeros_like(g), grad=g) for g in gs]
    ts = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in gs]
    for t, g in zip(ts, gs):
        t.grad = torch.tensor(g)
    total = mg.clip_grad_norm(ps, 1.5)
    their_total = torch.nn.utils.clip_grad_norm_(ts, 1.5)
    assert float(total) == pytest.approx(float(their_total), rel=1e-12)
    for p, t in zip(ps, ts):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-12)
