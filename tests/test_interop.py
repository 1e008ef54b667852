"""minigan <-> PyTorch: every model builder and the lessons' CNN classifier convert both ways
with equal outputs (train and eval), one Adam step gives equal weights, and the round trip
minigan -> torch -> minigan is bit-exact. PyTorch-named state dicts and safetensors files."""

import ast
import pathlib

import numpy as np
import pytest

import minigan as mg
from minigan import interop

torch = pytest.importorskip("torch")

ROOT = pathlib.Path(__file__).resolve().parents[1]
TOL = {np.float64: 1e-10, np.float32: 1e-5}


def _lesson10_builders():
    """doc003_cnn and lenet5 exactly as lesson 10 defines them (only their defs are run)."""
    tree = ast.parse((ROOT / "lessons" / "10_cnn_classifier.py").read_text(encoding="utf-8"))
    defs = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in ("doc003_cnn", "lenet5")]
    ns = {"mg": mg, "np": np}
    exec(compile(ast.Module(body=defs, type_ignores=[]), "10_cnn_classifier.py", "exec"), ns)
    return ns["doc003_cnn"], ns["lenet5"]


def _models():
    """name -> (builder() -> Sequential, one sample's input shape)."""
    cases = {}
    for name, image in [
        ("mnist_dense_gan", (1, 28, 28)),
        ("mnist_dcgan", (1, 28, 28)),
        ("xray_dcgan64", (1, 64, 64)),
        ("anime_dcgan96", (1, 96, 96)),
    ]:
        builder = mg.models.BUILDERS[name]
        latent = 64 if name == "mnist_dense_gan" else 100
        cases[f"{name}.G"] = (lambda b=builder: b(rng=0)[0], (latent,))
        cases[f"{name}.D"] = (lambda b=builder: b(rng=1)[1], image)
    cnn, lenet = _lesson10_builders()
    cases["lesson10.doc003_cnn"] = (lambda: (mg.manual_seed(0), cnn())[1], (1, 28, 28))
    cases["lesson10.lenet5"] = (lambda: (mg.manual_seed(0), lenet())[1], (1, 28, 28))
    return cases


MODELS = _models()


def _build(name, dtype):
    build, shape = MODELS[name]
    model = build()
    if dtype is np.float64:
        model.astype(np.float64)
    # BatchNorm running statistics that are not the initial 0/1, so that eval mode tests them
    rng = np.random.default_rng(5)
    for _, m in model.named_modules():
        if isinstance(m, mg.BatchNorm):
            m.running_mean = rng.standard_normal(m.num_features) * 0.1
            m.running_var = rng.uniform(0.5, 1.5, m.num_features)
    x = rng.standard_normal((2 if shape[-1] > 28 else 4,) + shape).astype(dtype)  # 2 for 64x64, 96x96
    return model, x


def _fix_dropout(model, tmodel, x):
    """The same dropout mask on both sides (train mode): minigan's fixed_mask, and a forward
    hook that replaces torch's random mask by it."""
    for i, (layer, tlayer) in enumerate(zip(model, tmodel)):
        if isinstance(layer, mg.Dropout):
            shape = model[:i].output_shape(x.shape[1:]) if i else x.shape[1:]
            mask = np.random.default_rng(i).random((x.shape[0],) + tuple(shape)) >= layer.p
            layer.fixed_mask = mask
            scale = torch.from_numpy(mask.astype(x.dtype) / (1.0 - layer.p))
            tlayer.register_forward_hook(lambda mod, inp, out, s=scale: inp[0] * s)


def _close(a, b, tol, what):
    a = a.detach().numpy() if hasattr(a, "detach") else np.asarray(a)
    b = b.detach().numpy() if hasattr(b, "detach") else np.asarray(b)
    assert a.shape == b.shape, what
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol, err_msg=what)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_outputs_and_one_adam_step_equal_after_conversion(name, dtype):
    tol = TOL[dtype]
    model, x = _build(name, dtype)
    tmodel = interop.to_torch(model)
    assert next(tmodel.parameters()).dtype == getattr(torch, np.dtype(dtype).name)
    # eval mode: running statistics, dropout off
    model.eval()
    tmodel.eval()
    with torch.no_grad():
        _close(model(x), tmodel(torch.from_numpy(x)), tol, f"{name} eval output")
    # train mode: batch statistics (and their running updates), the same dropout mask
    model.train()
    tmodel.train()
    _fix_dropout(model, tmodel, x)
    out, tout = model(x), tmodel(torch.from_numpy(x))
    _close(out, tout, tol, f"{name} train output")
    if dtype is np.float32:
        # float32 proves the outputs (1e-5); the step is compared in float64 below, where
        # the two sides' rounding cannot hide a wrong gradient. (In float32, sums of 10⁴-10⁵
        # terms in another order and near-tied max-pool windows move a gradient by ~1e-3 of
        # the largest, and Adam's first step, lr·g/(|g| + eps) ≈ ±lr, turns any sign flip of a
        # small gradient into a full step.)
        return
    # one identical Adam step (float64): gradients first, relative to the largest one
    dout = np.random.default_rng(9).standard_normal(out.shape).astype(dtype)
    opt, topt = mg.Adam(model.parameters(), lr=1e-3), torch.optim.Adam(tmodel.parameters(), lr=1e-3)
    model.backward(dout)
    tout.backward(torch.from_numpy(dout))
    # minigan's parameters() and torch's named_parameters() list the layers' weights in one order
    grads = {k: p.grad for (k, _), p in zip(tmodel.named_parameters(), model.parameters())}
    assert all(tuple(g.shape) == tuple(dict(tmodel.named_parameters())[k].shape) for k, g in grads.items())
    tgrads = {k: p.grad for k, p in tmodel.named_parameters()}
    gmax = max(float(np.abs(g).max()) for g in grads.values())
    for k, g in grads.items():
        _close(g / gmax, tgrads[k] / gmax, tol, f"{name} {k}.grad")
    # A bias whose feature is only shifted before a BatchNorm (a conv bias, or a Dense bias
    # where the whole small batch sits on one side of the LeakyReLU) has an exact gradient of
    # 0: both sides hold rounding noise (~1e-16), which Adam's first step, lr·g/(|g| + eps),
    # turns into ±lr. Those entries are left out of the comparison of the step; exact zeros on
    # both sides (dead ReLU units: no step on either side) stay in.
    level = 1000 * np.finfo(dtype).eps * gmax
    signal = {}
    for k, g in grads.items():
        tg = tgrads[k].numpy()
        signal[k] = ((g == 0) & (tg == 0)) | ((np.abs(g) > level) & (np.abs(tg) > level))
    kept = sum(int(m.sum()) for m in signal.values()) / sum(m.size for m in signal.values())
    assert kept > 0.9, f"only {kept:.0%} of the entries compared"
    opt.step()
    topt.step()
    theirs = tmodel.state_dict()
    for k, v in model.state_dict(naming="torch").items():
        if k.endswith("num_batches_tracked"):  # minigan keeps no count
            continue
        keep = signal.get(k, np.ones(v.shape, bool))
        _close(v[keep], theirs[k].numpy()[keep], tol, f"{name} {k} after one Adam step")


@pytest.mark.parametrize("name", sorted(MODELS))
def test_round_trip_minigan_torch_minigan_is_bit_exact(name):
    model, _ = _build(name, np.float32)
    model.eval()
    back = interop.from_torch(interop.to_torch(model))
    assert repr(back) == repr(model) and back.training is False
    mine, theirs = model.state_dict(), back.state_dict()
    assert list(mine) == list(theirs)
    for k in mine:
        assert mine[k].dtype == theirs[k].dtype and np.array_equal(mine[k], theirs[k]), k


# ---------------------------------------------------------------------------- single layers
def _layer_cases():
    r = 0
    return [
        ("Conv2D same s1 even k", mg.Conv2D(2, 3, 4, padding="same", rng=r), (2, 7, 6)),
        ("Conv2D same s2 odd size", mg.Conv2D(2, 3, 3, stride=2, padding="same", rng=r), (2, 7, 8)),
        ("Conv2D same s3 non-square", mg.Conv2D(2, 3, (2, 5), stride=(3, 2), padding="same", rng=r), (2, 8, 9)),
        ("Conv2D pair padding no bias", mg.Conv2D(2, 3, 3, stride=2, padding=(1, 0), bias=False, rng=r), (2, 7, 6)),
        ("Conv2DTranspose same k-s odd", mg.Conv2DTranspose(2, 3, 5, stride=2, padding="same", rng=r), (2, 4, 5)),
        ("Conv2DTranspose same k<s", mg.Conv2DTranspose(2, 3, 2, stride=3, padding="same", rng=r), (2, 4, 3)),
        (
            "Conv2DTranspose output_padding",
            mg.Conv2DTranspose(2, 3, 3, stride=2, padding=1, output_padding=1, rng=r),
            (2, 4, 5),
        ),
        (
            "pools, ELU, Softmax",
            mg.Sequential(mg.MaxPool2D(2), mg.ELU(0.7), mg.AvgPool2D(3, 1), mg.Flatten(), mg.Softmax()),
            (2, 9, 8),
        ),
        ("RNN in a Sequential", mg.Sequential(mg.RNN(3, 5, nonlinearity="relu", rng=r), mg.LSTM(5, 4, rng=r)), (6, 3)),
        ("lone LSTM", mg.LSTM(3, 4, rng=r), (5, 3)),
        ("lone RNN", mg.RNN(3, 4, bias=False, rng=r), (5, 3)),
    ]


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths")
@pytest.mark.parametrize("case", _layer_cases(), ids=lambda c: c[0])
def test_single_layers_convert_both_ways(case):
    name, layer, shape = case
    layer.astype(np.float64)
    x = np.random.default_rng(1).standard_normal((3,) + shape)
    t = interop.to_torch(layer)
    tout = t(torch.from_numpy(x))
    tout = tout[0] if isinstance(tout, tuple) else tout  # a lone nn.RNN returns (output, h_n)
    _close(layer(x), tout, 1e-10, name)
    back = interop.from_torch(t)
    assert repr(back) == repr(layer)
    _close(back(x), layer(x), 0, name)


def test_lone_batchnorm_needs_input_ndim():
    bn = mg.BatchNorm(3)
    with pytest.raises(ValueError, match="pass input_ndim=2 or input_ndim=4"):
        interop.to_torch(bn)
    assert isinstance(interop.to_torch(bn, input_ndim=2), torch.nn.BatchNorm1d)
    assert isinstance(interop.to_torch(bn, input_ndim=4), torch.nn.BatchNorm2d)
    assert isinstance(interop.to_torch(mg.Sequential(bn, mg.Flatten()))[0], torch.nn.BatchNorm2d)


def test_from_torch_names_an_unsupported_layer():
    with pytest.raises(TypeError, match=r"from_torch: torch\.nn\.modules\.rnn\.GRU is not supported"):
        interop.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.GRU(3, 3)))
    with pytest.raises(TypeError, match="batch_first=True"):
        interop.from_torch(torch.nn.LSTM(2, 3))
    with pytest.raises(TypeError, match="dilation"):
        interop.from_torch(torch.nn.Conv2d(1, 2, 3, dilation=2))
    with pytest.raises(TypeError, match="no PyTorch equivalent"):
        interop.to_torch(mg.Sequential(mg.Dense(2, 2), _Custom()))


class _Custom(mg.Module):
    def forward(self, x):
        return x


def test_a_pytorch_dcgan_loads_into_minigan():
    """A torch-built model (the classic DCGAN generator's first blocks), as a student would
    bring one: from_torch keeps its weights and outputs."""
    torch.manual_seed(0)
    tG = (
        torch.nn.Sequential(
            torch.nn.ConvTranspose2d(16, 8, 4, 1, 0, bias=False),
            torch.nn.BatchNorm2d(8),
            torch.nn.ReLU(True),
            torch.nn.ConvTranspose2d(8, 1, 4, 2, 1, bias=False),
            torch.nn.Tanh(),
        )
        .double()
        .eval()
    )
    G = interop.from_torch(tG)
    z = np.random.default_rng(0).standard_normal((2, 16, 1, 1))
    _close(G(z), tG(torch.from_numpy(z)), 1e-10, "torch DCGAN in minigan")
    assert G[0].W.data.shape == (16, 8, 4, 4) and G[1].running_var.shape == (8,)


# ---------------------------------------------------------------------------- names and files
def test_torch_named_state_dict_loads_both_ways():
    G, _ = mg.mnist_dcgan(rng=0)
    sd = G.state_dict(naming="torch")
    assert list(sd)[:7] == [
        "0.weight",
        "0.bias",
        "2.weight",
        "2.bias",
        "2.running_mean",
        "2.running_var",
        "2.num_batches_tracked",
    ]
    tG = interop.to_torch(mg.mnist_dcgan(rng=1)[0])
    tG.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in sd.items()})  # strict
    G2, _ = mg.mnist_dcgan(rng=2)
    G2.load_state_dict(tG.state_dict())  # torch tensors, torch names, num_batches_tracked
    for k, v in G.state_dict().items():
        assert np.array_equal(v, G2.state_dict()[k]), k
    with pytest.raises(ValueError, match="naming must be 'minigan' or 'torch'"):
        G.state_dict(naming="keras")


def test_safetensors_file_loads_into_torch_without_minigan(tmp_path):
    pytest.importorskip("safetensors")
    import safetensors.torch

    G, _ = mg.mnist_dcgan(rng=0)
    path = tmp_path / "G.safetensors"
    interop.save_safetensors(G, path)
    tG = interop.to_torch(mg.mnist_dcgan(rng=1)[0])
    tG.load_state_dict(safetensors.torch.load_file(str(path)))  # torch + safetensors only
    for k, v in G.state_dict(naming="torch").items():
        assert np.array_equal(np.asarray(v), tG.state_dict()[k].numpy()), k
    G2, _ = mg.mnist_dcgan(rng=3)
    interop.load_safetensors(G2, path)
    for k, v in G.state_dict().items():
        assert np.array_equal(v, G2.state_dict()[k]), k


def test_converted_models_pickle_like_any_torch_model():
    """torch.save(model) pickles the module classes: the "same"-padding and RNN subclasses are
    found again by name."""
    import pickle

    m = mg.Sequential(
        mg.Conv2D(1, 2, 3, stride=2, padding="same"),
        mg.Conv2DTranspose(2, 1, 3, stride=2, padding="same"),
        mg.Reshape(1, 8, 8),
        mg.Flatten(),
        mg.Reshape(4, 16),
        mg.LSTM(16, 3),
    )
    t = pickle.loads(pickle.dumps(interop.to_torch(m)))
    assert type(t[0]).__name__ == "Conv2dSame" and type(t[5]).__name__ == "LSTMOutput"
    assert repr(interop.from_torch(t)) == repr(m)


# ---------------------------------------------------------------------------- Adam's state
def _adam_steps(model, opt, x, n):
    """``n`` minigan Adam steps on a fixed loss of ``model(x)`` (train mode)."""
    for _ in range(n):
        out = model(x)
        model.zero_grad()
        model.backward(0.01 + 0.1 * out)  # d/dout of Σ 0.01·out + 0.05·out²
        opt.step()


def _torch_adam_steps(tmodel, topt, x, n):
    for _ in range(n):
        out = tmodel(torch.from_numpy(x))
        topt.zero_grad()
        (0.01 * out + 0.05 * out * out).sum().backward()
        topt.step()


@pytest.mark.parametrize("name", ["mnist_dense_gan.G", "mnist_dcgan.D"])
def test_adam_state_continues_on_either_side(name):
    """Two minigan Adam steps, then the third on each side from the mapped state (V, S, t ↔
    exp_avg, exp_avg_sq, step): the same weights (float64), and the state mapped back is the one
    minigan reaches by itself."""
    build, shape = MODELS[name]
    model = build().astype(np.float64)
    x = np.random.default_rng(0).standard_normal((8, *shape))
    opt = mg.Adam(model.parameters(), lr=1e-3, beta1=0.5, weight_decay=1e-4)
    _adam_steps(model, opt, x, 2)
    tmodel = interop.to_torch(model)
    topt = interop.adam_to_torch(opt, model, tmodel)
    assert topt.param_groups[0]["betas"] == (0.5, 0.999) and topt.param_groups[0]["weight_decay"] == 1e-4
    _adam_steps(model, opt, x, 1)
    _torch_adam_steps(tmodel, topt, x, 1)
    theirs = tmodel.state_dict()
    for k, v in model.state_dict(naming="torch").items():
        if not k.endswith("num_batches_tracked"):
            _close(v, theirs[k].numpy(), 1e-9, f"{name} {k} after the third step")
    back = interop.adam_from_torch(topt, tmodel, model)
    assert back.t == opt.t == 3 and (back.lr, back.beta1, back.weight_decay) == (1e-3, 0.5, 1e-4)
    for slot in ("V", "S"):
        for i, a in opt.state[slot].items():
            _close(back.state[slot][i], a, 1e-9, f"{name} {slot}[{i}]")


def test_adam_state_round_trip_is_exact_and_refusals_name_the_setting():
    G, _ = mg.mnist_dense_gan(rng=0)
    opt = mg.Adam(G.parameters(), lr=2e-4, beta1=0.5)
    _adam_steps(G, opt, np.random.default_rng(1).standard_normal((4, 64)).astype(np.float32), 2)
    tG = interop.to_torch(G)
    fresh = interop.adam_to_torch(mg.Adam(G.parameters()), G, tG)
    assert not fresh.state  # t = 0: nothing to carry
    opt2 = mg.Adam(G.parameters())
    interop.adam_from_torch(interop.adam_to_torch(opt, G, tG), tG, G, opt2)  # into an existing optimizer
    assert opt2.t == 2 and opt2.lr == 2e-4
    for slot in ("V", "S"):
        for i, a in opt.state[slot].items():
            assert np.array_equal(opt2.state[slot][i], a), (slot, i)
    with pytest.raises(ValueError, match="clip_norm"):
        interop.adam_to_torch(mg.Adam(G.parameters(), clip_norm=1.0), G, tG)
    with pytest.raises(ValueError, match="amsgrad"):
        interop.adam_from_torch(torch.optim.Adam(tG.parameters(), amsgrad=True), tG, G)
    with pytest.raises(ValueError, match="no parameter"):
        interop.adam_to_torch(opt, G, interop.to_torch(mg.mnist_dense_gan(rng=0)[1]))


# ---------------------------------------------------------------------------- tensors NumPy cannot hold
import attacks  # noqa: E402  (tests/attacks.py)


@pytest.mark.attack
@pytest.mark.parametrize("where", ["linear", "conv", "batchnorm_buffer"])
def test_from_torch_names_the_layer_of_a_bfloat16_or_meta_tensor(where):
    """torch's own errors (``TypeError: Got unsupported ScalarType BFloat16``, ``NotImplementedError:
    Cannot copy out of meta tensor``) named no layer; from_torch now says which and what to do."""
    nn = torch.nn

    def build(**kw):
        if where == "linear":
            return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2, **kw))
        if where == "conv":
            return nn.Sequential(nn.Conv2d(1, 2, 3, **kw), nn.ReLU())
        return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4, **kw))

    layer = {"linear": "Linear 2", "conv": "Conv2d 0", "batchnorm_buffer": "BatchNorm1d 1"}[where]
    bf = build(dtype=torch.bfloat16)
    if where == "batchnorm_buffer":  # parameters float32, a buffer bfloat16
        bf = build()
        bf[1].running_mean = bf[1].running_mean.to(torch.bfloat16)
    attacks.expect_error(
        "silent_values", lambda: interop.from_torch(bf), TypeError, ["from_torch", layer, "bfloat16", ".float()"]
    )
    meta = build(device="meta")
    attacks.expect_error(
        "silent_values", lambda: interop.from_torch(meta), ValueError, ["from_torch", layer, "'meta' device", "no data"]
    )
    # after .float() / on the CPU it converts
    attacks.expect_ok("silent_values", lambda: interop.from_torch(bf.float()), lambda m: isinstance(m, mg.Sequential))
