"""Parameters and buffers as attributes (docs/architecture.md §3): dense.W, bn.running_mean, ..."""

import copy
import pickle

import numpy as np
import pytest

import minigan as mg


def _every_layer():
    return [
        mg.Dense(3, 2),
        mg.Conv2D(2, 3, 3),
        mg.Conv2DTranspose(2, 3, 3),
        mg.BatchNorm(4),
        mg.RNN(3, 4),
        mg.LSTM(3, 4),
    ]


@pytest.mark.parametrize("layer", _every_layer(), ids=lambda m: type(m).__name__)
def test_every_param_and_buffer_is_an_attribute(layer):
    for name, p in layer.params.items():
        assert getattr(layer, name) is p
        assert name in dir(layer)
    for name, b in layer.buffers.items():
        assert getattr(layer, name) is b


def test_reading_gives_the_parameter_and_the_buffer_array():
    d, bn = mg.Dense(3, 2), mg.BatchNorm(4)
    assert isinstance(d.W, mg.Parameter) and d.W.data.shape == (2, 3) and d.W.grad.shape == (2, 3)
    assert d.b is d.params["b"]
    assert bn.gamma is bn.params["gamma"] and bn.beta is bn.params["beta"]
    assert bn.running_mean is bn.buffers["running_mean"] and bn.running_var is bn.buffers["running_var"]


def test_assigning_an_array_updates_params_and_buffers():
    d = mg.Dense(3, 2)
    d.W = np.arange(6.0).reshape(2, 3)  # float64 into a float32 layer: cast, as load_state_dict
    assert d.params["W"].data.dtype == np.float32
    np.testing.assert_array_equal(d.params["W"].data, np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(d(np.ones((1, 3), np.float32)), [[3.0, 12.0]])
    bn = mg.BatchNorm(4)
    bn.running_var = np.full(4, 2.0)
    np.testing.assert_array_equal(bn.buffers["running_var"], np.full(4, 2.0, np.float32))
    assert bn.state_dict()["running_var"].dtype == np.float32
    p = mg.Parameter(np.ones((2, 3), np.float32))
    d.W = p
    assert d.params["W"] is p and d.parameters()[0] is p


def test_bad_assignments_raise_clear_errors():
    d, bn = mg.Dense(3, 2), mg.BatchNorm(4)
    with pytest.raises(ValueError, match=r"Dense.W: expected shape \(2, 3\), got \(3, 2\)"):
        d.W = np.ones((3, 2))
    with pytest.raises(TypeError, match="Dense.W: expected a floating array, got dtype int64"):
        d.W = np.ones((2, 3), dtype=np.int64)
    with pytest.raises(TypeError, match="Dense.b must be set to an array, got list"):
        d.b = [0.0, 0.0]
    with pytest.raises(ValueError, match=r"BatchNorm.running_mean: expected shape \(4,\)"):
        bn.running_mean = np.zeros(5)
    with pytest.raises(TypeError, match="is a buffer"):
        bn.running_mean = mg.Parameter(np.zeros(4))
    with pytest.raises(ValueError, match="Dense.W: expected shape"):
        d.W = mg.Parameter(np.ones((3, 3)))


def test_other_attributes_are_ordinary_and_missing_ones_raise_attributeerror():
    d = mg.Dense(3, 2)
    d.note = "anything"
    assert d.note == "anything" and "note" not in d.params
    with pytest.raises(AttributeError, match="'Dense' object has no attribute 'weight'"):
        d.weight  # noqa: B018
    assert not hasattr(mg.Dense(3, 2, bias=False), "b")


def test_copy_and_pickle_keep_attribute_access():
    bn = mg.BatchNorm(3)
    bn.running_mean = np.array([1.0, 2.0, 3.0])
    for other in (copy.deepcopy(bn), pickle.loads(pickle.dumps(bn))):
        np.testing.assert_array_equal(other.running_mean, [1, 2, 3])
        assert other.gamma is other.params["gamma"]
