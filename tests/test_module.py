"""Parameter, Module, Sequential: the protocol every layer follows."""

import numpy as np
import pytest

import minigan as mg
from minigan.checks import check_input, check_positive_int
from minigan.nn.module import Module, Parameter
from minigan.nn.sequential import Sequential


class Scaler(Module):
    """A tiny module with one parameter and one buffer, for state tests."""

    def __init__(self, n=3):
        super().__init__()
        self.params["w"] = Parameter(np.arange(1, n + 1, dtype=np.float32))
        self.buffers["count"] = np.zeros(n, dtype=np.float32)
        self.buffers["steps"] = np.zeros((), dtype=np.int64)

    def forward(self, x):
        self._x = x
        return x * self.params["w"].data

    def backward(self, dout):
        self.params["w"].grad += (dout * self._x).sum(axis=0)
        return dout * self.params["w"].data


def mlp():
    return Sequential(mg.Dense(4, 3, rng=0), mg.ReLU(), mg.Dense(3, 2, rng=1))


# ---------------------------------------------------------------------------- Parameter
def test_parameter_has_a_zero_grad_of_the_same_shape():
    p = Parameter(np.ones((2, 3), np.float32))
    assert p.grad.shape == (2, 3) and p.grad.dtype == np.float32 and not p.grad.any()
    assert p.shape == (2, 3) and p.size == 6 and p.dtype == np.float32
    p.grad += 1
    p.zero_grad()
    assert not p.grad.any()
    assert repr(p) == "Parameter(shape=(2, 3), dtype=float32, device=cpu)"


# ---------------------------------------------------------------------------- parameters / grads
def test_parameters_are_listed_in_a_stable_order():
    m = mlp()
    names = [n for n, _ in m.named_parameters()]
    assert names == ["0.W", "0.b", "2.W", "2.b"]
    assert m.parameters()[0] is m[0].params["W"] and m.parameters()[3] is m[2].params["b"]
    assert m.num_parameters() == 4 * 3 + 3 + 3 * 2 + 2


def test_nested_sequential_names():
    m = Sequential(Sequential(mg.Dense(2, 2, rng=0)), mg.Dense(2, 1, rng=0))
    assert [n for n, _ in m.named_parameters()] == ["0.0.W", "0.0.b", "1.W", "1.b"]


def test_backward_adds_gradients_and_zero_grad_clears_them():
    m = mlp()
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    dout = np.ones((5, 2), np.float32)
    m(x)
    m.backward(dout)
    once = [p.grad.copy() for p in m.parameters()]
    m(x)
    m.backward(dout)
    for p, g in zip(m.parameters(), once):
        np.testing.assert_allclose(p.grad, 2 * g, rtol=1e-6)
    m.zero_grad()
    assert all(not p.grad.any() for p in m.parameters())


# ---------------------------------------------------------------------------- modes
def test_train_eval_propagate_to_every_submodule():
    m = Sequential(mg.Dense(2, 2, rng=0), Sequential(mg.Dropout(0.5), mg.ReLU()))
    assert all(sub.training for _, sub in m.named_modules())
    assert m.eval() is m
    assert not any(sub.training for _, sub in m.named_modules())
    m.train()
    assert all(sub.training for _, sub in m.named_modules())
    m.train(False)
    assert not m[1][0].training


# ---------------------------------------------------------------------------- state
def test_state_dict_has_params_and_buffers_and_round_trips():
    a = Sequential(mg.Dense(3, 3, rng=0), Scaler())
    b = Sequential(mg.Dense(3, 3, rng=1), Scaler())
    a[1].buffers["count"][...] = [7, 8, 9]
    sd = a.state_dict()
    assert list(sd) == ["0.W", "0.b", "1.w", "1.count", "1.steps"]
    b.load_state_dict(sd)
    for k, v in b.state_dict().items():
        np.testing.assert_array_equal(v, sd[k])
    # loaded arrays are copies: changing the source later does not change b
    a[0].params["W"].data[...] = 0
    assert b[0].params["W"].data.any()


def test_load_state_dict_strict_errors():
    m = Sequential(mg.Dense(3, 2, rng=0))
    sd = dict(m.state_dict())
    missing = {k: v for k, v in sd.items() if k != "0.b"}
    with pytest.raises(ValueError, match=r"Sequential.load_state_dict: missing keys \['0.b'\], unexpected keys \[\]"):
        m.load_state_dict(missing)
    with pytest.raises(ValueError, match=r"unexpected keys \['extra'\]"):
        m.load_state_dict({**sd, "extra": np.zeros(1)})
    with pytest.raises(ValueError, match=r"0.W expected shape \(2, 3\), got \(3, 2\)"):
        m.load_state_dict({**sd, "0.W": np.zeros((3, 2))})
    # non-strict: a partial dict loads what it has
    m.load_state_dict({"0.b": np.array([5.0, 6.0])}, strict=False)
    np.testing.assert_array_equal(m[0].params["b"].data, [5, 6])
    assert m[0].params["b"].data.dtype == np.float32  # cast to the module's dtype


def test_load_state_dict_buffer_shape_mismatch():
    m = Scaler()
    sd = dict(m.state_dict())
    with pytest.raises(ValueError, match=r"count expected shape \(3,\), got \(4,\)"):
        m.load_state_dict({**sd, "count": np.zeros(4)})


def test_astype_casts_params_grads_and_float_buffers_only():
    m = Sequential(mg.Dense(2, 2, rng=0), Scaler(2))
    assert m.astype(np.float64) is m
    for p in m.parameters():
        assert p.data.dtype == np.float64 and p.grad.dtype == np.float64
    assert m[1].buffers["count"].dtype == np.float64
    assert m[1].buffers["steps"].dtype == np.int64
    out = m(np.ones((1, 2)))
    assert out.dtype == np.float64


def test_to_cpu_and_unknown_device():
    m = mlp()
    W = m[0].params["W"].data.copy()
    assert m.to("cpu") is m
    np.testing.assert_array_equal(m[0].params["W"].data, W)
    with pytest.raises(ValueError, match="device: expected 'cpu' or 'gpu', got 'tpu'"):
        m.to("tpu")


# ---------------------------------------------------------------------------- summary / shapes
def test_summary_rows_and_total():
    m = Sequential(mg.Flatten(), mg.Dense(4, 3, rng=0), mg.ReLU(), mg.Dense(3, 2, rng=0, bias=False))
    lines = []
    rows = m.summary((2, 2), print_fn=lines.append)
    assert rows == [
        ("0: Flatten()", (4,), 0),
        ("1: Dense(4, 3)", (3,), 4 * 3 + 3),
        ("2: ReLU()", (3,), 0),
        ("3: Dense(3, 2, bias=False)", (2,), 3 * 2),
    ]
    text = "\n".join(lines)
    assert "Total params: 21" in text and "(N, 3)" in text and "Param #" in text
    assert m.summary((2, 2), print_fn=None) == rows


def test_summary_accepts_an_int_and_nested_sequential():
    m = Sequential(mg.Dense(5, 4, rng=0), Sequential(mg.Tanh(), mg.Dense(4, 1, rng=0)))
    rows = m.summary(5, print_fn=None)
    assert [r[0] for r in rows] == ["0: Dense(5, 4)", "1.0: Tanh()", "1.1: Dense(4, 1)"]
    assert [r[2] for r in rows] == [24, 0, 5]


def test_output_shape_does_not_change_mode():
    m = Sequential(mg.Dense(6, 4, rng=0), mg.Dropout(0.5), mg.Reshape(2, 2))
    assert m.output_shape((6,)) == (2, 2)
    assert m.training and m[1].training


# ---------------------------------------------------------------------------- Sequential
def test_sequential_container_protocol():
    layers = [mg.Dense(2, 3, rng=0), mg.ReLU(), mg.Dense(3, 1, rng=0)]
    s = Sequential(*layers)
    assert len(s) == 3 and list(s) == layers and s[0] is layers[0] and s[-1] is layers[2]
    sub = s[1:]
    assert isinstance(sub, Sequential) and list(sub) == layers[1:]
    assert sub[1].params["W"] is layers[2].params["W"]  # shares the layers
    assert list(Sequential(layers)) == layers  # a list works too
    s.append(mg.Sigmoid())
    assert len(s) == 4
    x = np.ones((2, 2), np.float32)
    expected = x
    for layer in layers + [s[3]]:
        expected = layer(expected)
    np.testing.assert_array_equal(s(x), expected)


def test_sequential_backward_runs_in_reverse():
    s = Sequential(mg.Dense(2, 2, rng=0), mg.Tanh())
    x = np.array([[0.5, -1.0]], np.float32)
    y = s(x)
    dx = s.backward(np.ones_like(y))
    # by hand: dz = 1 - tanh², dx = dz @ W
    dz = 1 - y * y
    np.testing.assert_allclose(dx, dz @ s[0].params["W"].data, rtol=1e-6)


def test_sequential_rejects_non_modules():
    with pytest.raises(TypeError, match="Sequential: argument 1 must be a Module, got function"):
        Sequential(mg.ReLU(), lambda x: x)
    with pytest.raises(TypeError, match="Sequential.append: expected a Module, got int"):
        Sequential().append(3)


def test_repr():
    s = Sequential(mg.Dense(2, 3, rng=0), mg.LeakyReLU(0.2))
    assert repr(s) == "Sequential(\n  (0): Dense(2, 3)\n  (1): LeakyReLU(alpha=0.2)\n)"
    assert repr(Sequential()) == "Sequential()"


# ---------------------------------------------------------------------------- helpers
def test_check_positive_int():
    assert check_positive_int("L", "n", np.int64(3)) == 3
    with pytest.raises(ValueError, match="L: n must be an int >= 1, got 0"):
        check_positive_int("L", "n", 0)
    with pytest.raises(ValueError, match="L: n must be an int >= 1, got -2"):
        check_positive_int("L", "n", -2)
    with pytest.raises(TypeError, match="L: n must be an int >= 1, got float 2.0"):
        check_positive_int("L", "n", 2.0)
    with pytest.raises(TypeError, match="got bool"):
        check_positive_int("L", "n", True)


def test_check_input_messages():
    with pytest.raises(TypeError, match="Lay: input must be an array.*got list"):
        check_input("Lay", [1.0, 2.0])
    with pytest.raises(TypeError, match=r"Lay: input must have a floating dtype.*got int32; convert with"):
        check_input("Lay", np.zeros(2, np.int32))
    with pytest.raises(ValueError, match=r"Lay: input must be 2-D or 4-D \(N, F\), got shape \(1, 2, 3\)"):
        check_input("Lay", np.zeros((1, 2, 3)), ndim=(2, 4), expected="(N, F)")
    with pytest.raises(ValueError, match=r"Lay: input axis 1 must have size 5, got shape \(2, 3\)"):
        check_input("Lay", np.zeros((2, 3)), sizes={1: 5})
    check_input("Lay", np.zeros((2, 5), np.float32), ndim=2, sizes={1: 5})  # fine


def test_load_state_dict_refuses_non_arrays_by_name():
    d = mg.Dense(2, 3)
    with pytest.raises(ValueError, match=r"Dense.load_state_dict: W must be an array, got list"):
        d.load_state_dict({"W": [[1.0, 2.0]] * 3, "b": np.zeros(3, dtype=np.float32)})


def test_one_dimensional_shapes_print_like_tuples():
    with pytest.raises(ValueError, match=r"got shape \(4,\)"):
        mg.Dense(4, 3)(np.zeros(4, dtype=np.float32))


class Pair(Module):
    """A container that is not a Sequential: Module.output_shape's default path."""

    def __init__(self, a, b):
        super().__init__()
        self.a, self.b = a, b

    def children(self):
        return [self.a, self.b]

    def forward(self, x):
        return self.b(self.a(x))


def test_output_shape_gives_each_submodule_its_own_mode_back():
    m = Pair(mg.Dropout(0.5), mg.Dense(3, 2, rng=0))
    m.b.eval()  # mixed modes: the root and the Dropout train, the Dense evaluates
    assert m.output_shape((3,)) == (2,)
    assert m.training and m.a.training and not m.b.training


def test_summary_runs_one_forward_per_layer():
    calls = []

    class Counting(mg.ReLU):
        def forward(self, x):
            calls.append(x.shape)
            return super().forward(x)

    m = Sequential(Counting(), Sequential(Counting(), mg.Dense(4, 2, rng=0)))
    rows = m.summary((4,), print_fn=None)
    assert [r[1] for r in rows] == [(4,), (4,), (2,)]
    assert len(calls) == 2


@pytest.mark.parametrize(
    "layer, x_shape, bad",
    [
        (mg.ReLU(), (4, 3), (4, 1)),  # would broadcast silently
        (mg.Dense(3, 2), (4, 3), (4, 1)),
        (mg.BatchNorm(3), (4, 3), (1, 3)),
        (mg.MaxPool2D(2), (2, 1, 4, 4), (2, 1, 1, 1)),
        (mg.Sequential(mg.Dense(3, 2), mg.Tanh()), (4, 3), (4,)),
    ],
)
def test_backward_refuses_a_dout_of_the_wrong_shape(layer, x_shape, bad):
    layer(np.ones(x_shape, dtype=np.float32))
    with pytest.raises(ValueError, match=r"backward: dout must have the output's shape"):
        layer.backward(np.ones(bad, dtype=np.float32))


# ---------------------------------------------------------------------------- the dout check, visibly
def _layer_classes():
    return sorted(
        {v for v in vars(mg).values() if isinstance(v, type) and issubclass(v, Module) and v is not Module},
        key=lambda c: c.__name__,
    )


def test_every_layer_class_is_covered():
    names = {c.__name__ for c in _layer_classes()}
    assert {
        "Dense",
        "Conv2D",
        "Conv2DTranspose",
        "MaxPool2D",
        "BatchNorm",
        "RNN",
        "LSTM",
        "Softmax",
        "Sequential",
    } <= names


@pytest.mark.parametrize("cls", _layer_classes(), ids=lambda c: c.__name__)
def test_backward_is_the_layers_own_code_and_checks_dout_first(cls):
    """No wrapper around backward: a debugger steps straight into the layer's backward, which is
    in the layer's own file and begins with the one explicit line ``self._check_dout(dout)``.
    forward is wrapped once, by Module (it records its output), and the wrapped function is the
    layer's own code in the layer's own file."""
    import ast
    import inspect
    import sys
    import textwrap

    layer_file = inspect.getsourcefile(sys.modules[cls.__module__])
    assert inspect.getsourcefile(cls.backward) == layer_file
    assert not hasattr(cls.backward, "__wrapped__"), f"{cls.backward.__qualname__} is wrapped"
    assert cls.forward._records_output and inspect.getsourcefile(cls.forward.__wrapped__) == layer_file
    assert not hasattr(cls.forward.__wrapped__, "__wrapped__")  # wrapped once, not per subclass level
    fn = ast.parse(textwrap.dedent(inspect.getsource(cls.backward))).body[0]
    body = fn.body[1:] if isinstance(fn.body[0], ast.Expr) and isinstance(fn.body[0].value, ast.Constant) else fn.body
    assert ast.unparse(body[0]) == "self._check_dout(dout)", (
        f"{cls.__name__}.backward starts with {ast.unparse(body[0])}"
    )


def test_dense_backward_lives_in_layers_py():
    import inspect

    assert inspect.getsourcefile(mg.Dense.backward).endswith("layers.py")
    assert inspect.getsourcefile(mg.Conv2D.backward).endswith("conv.py")
    assert inspect.getsourcefile(mg.LSTM.backward).endswith("recurrent.py")


def test_calling_a_module_records_its_output_shape_and_sequential_calls_its_children():
    seq = Sequential(mg.Dense(3, 2, rng=0), mg.Tanh())
    seq(np.ones((4, 3), dtype=np.float32))
    assert seq._out_shape == (4, 2) and seq[0]._out_shape == (4, 2) and seq[1]._out_shape == (4, 2)
    with pytest.raises(
        ValueError,
        match=r"Dense\(3, 2\)\.backward: dout must have the output's shape \(4, 2\) "
        r"\(that of the latest forward\), got \(4, 3\)",
    ):
        seq[0].backward(np.ones((4, 3), dtype=np.float32))
    rnn = mg.RNN(3, 4, rng=0)
    rnn(np.zeros((2, 5, 3), np.float32), h0=np.zeros((2, 4), np.float32))  # keywords pass through __call__
    assert rnn._out_shape == (2, 5, 4)


# ---------------------------------------------------------------------------- forward called directly
import attacks  # noqa: E402  (tests/attacks.py)


def _case_id(c):
    return type(c).__name__ if isinstance(c, Module) else ""


def _direct_cases():
    """(layer, input shape) for every layer class of ``mg``, each called as ``layer.forward(x)``."""
    return [
        (mg.ReLU(), (4, 3)),
        (mg.LeakyReLU(0.2), (4, 3)),
        (mg.Sigmoid(), (4, 3)),
        (mg.Tanh(), (4, 3)),
        (mg.ELU(), (4, 3)),
        (mg.Softmax(), (4, 3)),
        (mg.Dense(3, 2, rng=0), (4, 3)),
        (mg.Dropout(0.5, seed=0), (4, 3)),
        (mg.Dropout(0.0), (4, 3)),
        (mg.BatchNorm(3), (4, 3)),
        (mg.Flatten(), (2, 1, 2, 2)),
        (mg.Reshape(2, 2), (2, 4)),
        (mg.Conv2D(1, 2, 3, rng=0), (2, 1, 5, 5)),
        (mg.Conv2DTranspose(1, 2, 3, rng=0), (2, 1, 3, 3)),
        (mg.MaxPool2D(2), (2, 1, 4, 4)),
        (mg.AvgPool2D(2), (2, 1, 4, 4)),
        (mg.RNN(3, 4, rng=0), (2, 5, 3)),
        (mg.LSTM(3, 4, rng=0), (2, 5, 3)),
        (mg.Sequential(mg.Dense(3, 2, rng=0), mg.Tanh()), (4, 3)),
    ]


@pytest.mark.attack
@pytest.mark.parametrize("layer, x_shape", _direct_cases(), ids=_case_id)
def test_forward_called_directly_records_what_backward_checks(layer, x_shape):
    """Students call ``layer.forward(x)`` (the lessons do): a wrong-shaped ``dout`` then gets the
    same clear message as after ``layer(x)`` (it used to get raw NumPy errors, or broadcast), and
    the right one a gradient of the input's shape."""
    x = np.random.default_rng(0).standard_normal(x_shape).astype(np.float32)
    out = layer.forward(x)
    label = layer._label()
    bad = np.ones(tuple(out.shape[:-1]) + (out.shape[-1] + 1,), dtype=np.float32)
    attacks.expect_error(
        "direct_forward",
        lambda: layer.backward(bad),
        ValueError,
        [f"{label}.backward: dout must have the output's shape"],
    )
    attacks.expect_error(
        "direct_forward",
        lambda: layer.backward(np.ones(out.shape[:1], dtype=np.float32)),
        ValueError,
        [f"{label}.backward", str(tuple(out.shape))[:-1]],
    )
    attacks.expect_error(
        "direct_forward",
        lambda: layer.backward(np.ones(out.shape, dtype=np.int64)),
        TypeError,
        [f"{label}.backward: dout must have a real floating dtype"],
    )
    layer.forward(x)
    attacks.expect_ok(
        "direct_forward", lambda: layer.backward(np.ones(out.shape, np.float32)), lambda d: d.shape == x.shape
    )


@pytest.mark.attack
@pytest.mark.parametrize("layer, x_shape", _direct_cases(), ids=_case_id)
def test_backward_before_any_forward_is_a_clear_error(layer, x_shape):
    """Dropout's backward used to return ``dout`` in silence when no forward had run."""
    attacks.expect_error(  # a layer no forward has run on
        "direct_forward",
        lambda: layer.backward(np.ones(x_shape, dtype=np.float32)),
        RuntimeError,
        [f"{layer._label()}.backward called before forward"],
    )


def test_dropout_backward_before_forward_names_the_layer():
    with pytest.raises(RuntimeError, match=r"^Dropout\(p=0\.5\)\.backward called before forward"):
        mg.Dropout(0.5).backward(np.ones((2, 3), np.float32))


def test_a_subclass_forward_that_calls_super_records_the_final_output():
    class Twice(mg.Dense):
        def forward(self, x):
            return np.concatenate([super().forward(x)] * 2, axis=1)

        def backward(self, dout):
            self._check_dout(dout)
            return dout[:, :2] @ self.W.data

    t = Twice(3, 2, rng=0)
    out = t.forward(np.ones((4, 3), np.float32))
    assert out.shape == (4, 4) and t._out_shape == (4, 4)
    with pytest.raises(ValueError, match=r"dout must have the output's shape \(4, 4\)"):
        t.backward(np.ones((4, 2), np.float32))


def test_load_state_dict_is_all_or_nothing():
    """A shape mismatch on the third array leaves the first two untouched."""
    m = Sequential(mg.Dense(3, 2, rng=0), mg.Dense(2, 2, rng=0))
    before = {k: v.copy() for k, v in m.state_dict().items()}
    bad = {k: np.full_like(v, 7.0) for k, v in before.items()}
    bad["1.W"] = np.zeros((3, 3), np.float32)
    with pytest.raises(ValueError, match=r"1\.W expected shape \(2, 2\), got \(3, 3\)"):
        m.load_state_dict(bad)
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v, before[k], err_msg=k)
    with pytest.raises(TypeError, match=r"0\.W must hold real numbers, got dtype complex"):
        m.load_state_dict({**before, "0.W": before["0.W"].astype(np.complex64)})


# ---------------------------------------------------------------------------- partial backward passes
def _module_cases():
    from minigan import gradcheck

    return [c for c in gradcheck.registered_cases() if c.kind == "module"]


@pytest.mark.parametrize("case", _module_cases(), ids=lambda c: c.name)
def test_backward_params_and_backward_input_equal_backward_exactly(case):
    """The fast paths (Dense, Conv2D, Conv2DTranspose, Sequential; Conditional's backward_input)
    and the plain ones (every other layer) give, in float64, exactly backward's parameter
    gradients and exactly its dx."""
    m = case.obj.astype(np.float64)
    x = case.x.astype(np.float64) if hasattr(case.x, "astype") else case.x
    rng = np.random.default_rng(3)
    params = m.parameters()
    g0 = [rng.standard_normal(p.shape) for p in params]

    def prefilled():
        for p, g in zip(params, g0):
            p.grad[...] = g

    out = m(x)
    dout = rng.standard_normal(out.shape) if case.dout is None else case.dout.astype(np.float64)
    prefilled()
    dx = m.backward(dout)
    grads = [p.grad.copy() for p in params]

    m(x)
    prefilled()
    assert m.backward_params(dout) is None
    for (name, p), g in zip(m.named_parameters(), grads):
        np.testing.assert_array_equal(p.grad, g, err_msg=f"{case.name}: backward_params, {name}")

    m(x)
    prefilled()
    dx_only = m.backward_input(dout)
    for (name, p), g in zip(m.named_parameters(), g0):
        np.testing.assert_array_equal(p.grad, g, err_msg=f"{case.name}: backward_input changed {name}.grad")
    for a, b in zip(dx if isinstance(dx, tuple) else (dx,), dx_only if isinstance(dx_only, tuple) else (dx_only,)):
        if a is None:
            assert b is None
        else:
            np.testing.assert_array_equal(b, a, err_msg=f"{case.name}: backward_input's dx")


def test_sequential_backward_params_skips_the_layers_before_the_first_parameter():
    seq = Sequential(mg.Flatten(), mg.ReLU(), mg.Dense(6, 2, rng=0), mg.Tanh())
    seq(np.ones((3, 2, 3), dtype=np.float32))
    calls = []
    for layer in seq:
        layer.backward = lambda d, layer=layer, f=layer.backward: calls.append(type(layer).__name__) or f(d)
    assert seq.backward_params(np.ones((3, 2), dtype=np.float32)) is None
    assert calls == ["Tanh"]  # Dense: backward_params; ReLU and Flatten: not needed
    with pytest.raises(ValueError, match=r"Sequential\.backward: dout must have the output's shape"):
        seq.backward_params(np.ones((3, 3), dtype=np.float32))
    relu_only = Sequential(mg.ReLU())
    relu_only(np.ones((2, 2), dtype=np.float32))
    assert relu_only.backward_params(np.ones((2, 2), dtype=np.float32)) is None
