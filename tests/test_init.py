"""Weight initialisers: statistics of a large draw, fans, seeding."""

import math

import numpy as np
import pytest

import minigan as mg
from minigan.nn import init

SHAPE = (500, 400)  # 200 000 draws: the sample std is within ~0.3 % of the true one


def stats(a):
    a = a.astype(np.float64)
    return a.mean(), a.std()


def test_fans_dense_and_conv():
    assert init.fans((3, 5)) == (5, 3)  # Dense weight (out, in)
    assert init.fans((16, 3, 5, 5)) == (3 * 25, 16 * 25)  # Conv2D (C_out, C_in, kH, kW)
    assert init.fans((8, 4, 3)) == (12, 24)
    with pytest.raises(ValueError, match=r"fans: a weight needs at least 2 dimensions, got shape \(7,\)"):
        init.fans((7,))


def test_xavier_is_the_documents_normal_one_over_fan_in():
    m, s = stats(init.xavier(SHAPE, rng=0))
    assert abs(m) < 0.05 * math.sqrt(1 / 400)  # standard error of the mean is ~0.002·std
    assert s == pytest.approx(math.sqrt(1 / 400), rel=0.01)
    assert init.xavier is init.xavier_normal
    # conv shape: fan_in = C_in·kH·kW
    _, s = stats(init.xavier((64, 8, 5, 5), rng=1))
    assert s == pytest.approx(math.sqrt(1 / 200), rel=0.02)
    _, s = stats(init.xavier(SHAPE, rng=2, fan_in=100))
    assert s == pytest.approx(0.1, rel=0.01)


def test_glorot_uniform_bounds_and_std():
    W = init.glorot_uniform(SHAPE, rng=0)
    a = math.sqrt(6 / (400 + 500))
    assert W.min() >= -a and W.max() <= a
    assert W.min() < -0.99 * a and W.max() > 0.99 * a
    m, s = stats(W)
    assert abs(m) < 0.01 * a
    assert s == pytest.approx(a / math.sqrt(3), rel=0.01)  # std of U(-a, a)


def test_he_normal():
    m, s = stats(init.he(SHAPE, rng=0))
    assert abs(m) < 0.001
    assert s == pytest.approx(math.sqrt(2 / 400), rel=0.01)
    assert init.he is init.he_normal


def test_normal_dcgan():
    m, s = stats(init.normal(SHAPE, rng=0))
    assert abs(m) < 0.001 and s == pytest.approx(0.02, rel=0.01)
    _, s = stats(init.normal(SHAPE, rng=0, std=0.5))
    assert s == pytest.approx(0.5, rel=0.01)


def test_uniform_fan_in_pytorch_default():
    W = init.uniform_fan_in((64, 8, 3, 3), rng=0)
    a = 1 / math.sqrt(8 * 9)
    assert W.min() >= -a and W.max() <= a
    assert stats(W)[1] == pytest.approx(a / math.sqrt(3), rel=0.02)


def test_zeros_ones_and_dtype():
    np.testing.assert_array_equal(init.zeros((2, 3)), 0)
    np.testing.assert_array_equal(init.ones((2, 3)), 1)
    for name in init.INITIALIZERS:
        fn = init.get_initializer(name)
        assert fn((4, 3), rng=0).dtype == np.float32
        assert fn((4, 3), rng=0, dtype=np.float64).dtype == np.float64
        assert fn((4, 3), rng=0).shape == (4, 3)


def test_get_initializer():
    assert init.get_initializer("xavier") is init.xavier_normal
    assert init.get_initializer("pytorch") is init.uniform_fan_in
    fn = lambda shape, rng=None, dtype=np.float32: np.zeros(shape, dtype)
    assert init.get_initializer(fn) is fn
    with pytest.raises(ValueError, match=r"Conv2D: init must be one of \[.*'xavier'.*\] or a callable, got 'kaiming'"):
        init.get_initializer("kaiming", "Conv2D")


def test_manual_seed_reproducibility():
    mg.manual_seed(123)
    a = mg.Dense(6, 5).params["W"].data.copy()
    b = mg.Dense(6, 5).params["W"].data.copy()
    assert not np.array_equal(a, b)  # the global generator advances
    mg.manual_seed(123)
    np.testing.assert_array_equal(mg.Dense(6, 5).params["W"].data, a)
    np.testing.assert_array_equal(mg.Dense(6, 5).params["W"].data, b)
    mg.manual_seed(124)
    assert not np.array_equal(mg.Dense(6, 5).params["W"].data, a)


def test_get_rng():
    g = np.random.default_rng(0)
    assert init.get_rng(g) is g
    assert init.get_rng(5).random() == np.random.default_rng(5).random()
    assert init.get_rng(np.int64(5)).random() == np.random.default_rng(5).random()
    mg.manual_seed(9)
    assert init.get_rng(None) is init.get_rng()
    with pytest.raises(
        TypeError, match="rng: rng must be None, an int seed >= 0 or a numpy.random.Generator, got float"
    ):
        init.get_rng(1.5)
    with pytest.raises(TypeError, match="got bool"):
        init.get_rng(True)
