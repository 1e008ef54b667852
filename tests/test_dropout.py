"""Dropout (document 001 §2.11.1): inverted scaling, eval identity, seeded masks, mask
statistics and argument validation."""

import numpy as np
import pytest

import minigan as mg
from minigan.nn.layers import Dropout


def test_inverted_scaling_and_backward_uses_the_same_mask():
    x = np.random.default_rng(0).standard_normal((50, 40)) + 5.0  # no zeros in x
    d = Dropout(0.3, seed=1)
    y = d(x)
    kept = y != 0
    np.testing.assert_allclose(y[kept], x[kept] / 0.7, rtol=1e-12)  # kept units scaled by 1/(1-p)
    dout = np.random.default_rng(1).standard_normal(x.shape)
    dx = d.backward(dout)
    np.testing.assert_allclose(dx, dout * kept / 0.7, rtol=1e-12)  # same mask, same scale


def test_eval_and_p_zero_are_identity():
    x = np.random.default_rng(2).standard_normal((4, 5)).astype(np.float32)
    d = Dropout(0.5, seed=0).eval()
    assert d(x) is x
    dout = np.ones_like(x)
    assert d.backward(dout) is dout
    d0 = Dropout(0.0)
    np.testing.assert_array_equal(d0(x), x)
    d.train()
    assert np.any(d(x) == 0)


def test_seed_reproducibility():
    x = np.ones((20, 30), dtype=np.float32)
    a, b, c = Dropout(0.5, seed=7), Dropout(0.5, seed=7), Dropout(0.5, seed=8)
    ya, yb, yc = a(x), b(x), c(x)
    np.testing.assert_array_equal(ya, yb)
    assert not np.array_equal(ya, yc)
    assert not np.array_equal(a(x), ya)  # a new mask at every forward pass


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_mask_statistics(p):
    n = 200_000
    x = np.ones(n, dtype=np.float32).reshape(400, 500)
    y = Dropout(p, seed=3)(x)
    keep = float((y != 0).mean())
    sigma = np.sqrt(p * (1 - p) / n)
    assert abs(keep - (1 - p)) < 5 * sigma  # each unit is dropped with probability p
    assert abs(float(y.mean()) - 1.0) < 5 * sigma / (1 - p)  # E[y] = x (inverted dropout)
    assert set(np.unique(y)) <= {0.0, np.float32(1.0 / (1.0 - p))}


def test_dtype_preserved_and_fixed_mask():
    x = np.random.default_rng(4).standard_normal((3, 4)).astype(np.float32)
    d = Dropout(0.25)
    y = d(x)
    assert y.dtype == np.float32 and d.backward(np.ones_like(y)).dtype == np.float32
    mask = np.array([[1, 0, 1, 1]] * 3, dtype=bool)
    d.fixed_mask = mask
    np.testing.assert_allclose(d(x), x * mask / 0.75, rtol=1e-6)
    d.fixed_mask = mask[0]  # (4,) would broadcast over the rows
    with pytest.raises(
        ValueError, match=r"Dropout\(p=0.25\): fixed_mask has shape \(4,\), but the input has shape \(3, 4\)"
    ):
        d(x)


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5, True, "0.5", None, float("nan")])
def test_p_validation(p):
    with pytest.raises(ValueError, match=r"Dropout: p must be a float in \[0, 1\)"):
        Dropout(p)


def test_input_validation_and_export():
    assert mg.Dropout is Dropout
    with pytest.raises(TypeError, match="Dropout.*floating dtype"):
        Dropout(0.5)(np.ones((2, 2), dtype=np.int32))


def test_unseeded_dropout_follows_manual_seed():
    """Dropout(seed=None) draws its seed from minigan's global generator: mg.manual_seed makes
    the masks reproducible, and a different global seed gives different masks."""
    x = np.ones((64, 32), dtype=np.float32)

    def masks(global_seed):
        mg.manual_seed(global_seed)
        d = mg.Dropout(0.5)
        return [d(x) != 0 for _ in range(3)]

    a, b, c = masks(7), masks(7), masks(8)
    assert all((u == v).all() for u, v in zip(a, b))
    assert not all((u == w).all() for u, w in zip(a, c))


def test_rng_state_round_trip_continues_the_same_masks():
    x = np.ones((16, 8), dtype=np.float32)
    a = Dropout(0.5, seed=3)
    assert a.rng_state() is None  # nothing drawn yet
    a(x)
    b = Dropout(0.5, seed=99)
    b.set_rng_state(a.rng_state())
    assert np.array_equal(a(x), b(x)) and np.array_equal(a(x), b(x))
