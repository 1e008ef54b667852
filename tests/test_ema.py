"""minigan.gan.ema: the moving average of G's weights that the main job shows."""

import numpy as np
import pytest

import minigan as mg
from minigan.gan.ema import EMA


def _net(seed=0):
    rng = np.random.default_rng(seed)
    return mg.Sequential(mg.Dense(3, 4, rng=rng), mg.BatchNorm(4), mg.ReLU(), mg.Dense(4, 2, rng=rng))


def test_update_is_the_exponential_average_with_a_warm_up():
    net = _net()
    w0 = net[0].W.data.copy()
    ema = EMA(net, decay=0.9)
    net[0].W.data[...] = w0 + 1.0
    ema.update()  # t = 0: decay min(0.9, 1/10) = 0.1
    np.testing.assert_allclose(ema.shadow[0], 0.1 * w0 + 0.9 * (w0 + 1.0), rtol=1e-6)
    ema.num_updates = 1000  # past the warm-up: decay 0.9
    before = ema.shadow[0].copy()
    ema.update()
    np.testing.assert_allclose(ema.shadow[0], 0.9 * before + 0.1 * (w0 + 1.0), rtol=1e-6)


def test_swapped_in_uses_the_average_and_restores_everything():
    net = _net()
    ema = EMA(net, decay=0.5)
    for p in net.parameters():
        p.data[...] += 1.0  # the live weights move on; the average is still the start
    live = [p.data.copy() for p in net.parameters()]
    stats = {k: v.copy() for k, v in net[1].buffers.items()}
    net.train()
    z = np.random.default_rng(1).standard_normal((64, 3)).astype(np.float32)
    with ema.swapped_in(bn_noise=z) as m:
        np.testing.assert_array_equal(m[0].W.data, ema.shadow[0])
        h = z @ m[0].W.data.T + m[0].b.data
        np.testing.assert_allclose(m[1].running_mean, h.mean(0), rtol=1e-4, atol=1e-5)  # recomputed
        m.eval()
    for p, v in zip(net.parameters(), live):
        np.testing.assert_array_equal(p.data, v)
    for k, v in stats.items():
        np.testing.assert_array_equal(net[1].buffers[k], v)
    assert net.training and net[1].momentum == 0.1


def test_state_round_trip_and_bad_arguments():
    net = _net()
    ema = EMA(net, 0.99)
    other = EMA(_net(seed=5), 0.99)
    ema.update()
    other.load_state_dict(ema.state_dict())
    assert other.num_updates == 1
    for a, b in zip(ema.shadow, other.shadow):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="decay"):
        EMA(net, 1.0)
    with pytest.raises(ValueError, match="arrays"):
        other.load_state_dict({"0": ema.shadow[0]})
