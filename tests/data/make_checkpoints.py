"""Write the checkpoint fixtures that tests/test_checkpoint.py loads to prove the format stable.

    python tests/data/make_checkpoints.py OUT_DIR

``gan_conv_checkpoint_b39b295.npz`` and ``cgan_checkpoint_b39b295.npz`` were written by this
script at commit b39b295, the last commit before the engine moved into ``minigan/nn/``. It uses
only the public ``mg.*`` names, so it runs before and after the move; the tests check that the
committed files still load and save back identically.
"""

import sys

import numpy as np

import minigan as mg


def conv_gan():
    """Conv, transposed conv, BatchNorm (buffers), Dropout (a mask generator), Adam and RMSProp."""
    G = mg.Sequential(
        mg.Dense(3, 2 * 4 * 4),
        mg.Reshape(2, 4, 4),
        mg.BatchNorm(2),
        mg.ReLU(),
        mg.Conv2DTranspose(2, 1, 4, 2, 1),
        mg.Tanh(),
    )
    D = mg.Sequential(
        mg.Conv2D(1, 2, 3, 2, 1), mg.LeakyReLU(0.2), mg.Dropout(0.25, seed=5), mg.Flatten(), mg.Dense(2 * 4 * 4, 1)
    )
    return mg.GAN(
        G,
        D,
        latent_dim=3,
        seed=4,
        g_opt=mg.Adam(G.parameters(), lr=1e-3, beta1=0.5),
        d_opt=mg.RMSProp(D.parameters(), lr=1e-3),
    )


def cgan():
    """The conditional GAN: Embedding, the label-map join and two-input models."""
    G = mg.Conditional(
        mg.Sequential(
            mg.Dense(3 + 2, 8), mg.BatchNorm(8), mg.LeakyReLU(0.2), mg.Dense(8, 16), mg.Tanh(), mg.Reshape(1, 4, 4)
        ),
        3,
        2,
        rng=2,
    )
    D = mg.Conditional(
        mg.Sequential(mg.Conv2D(1 + 2, 2, 3, 2, 1), mg.LeakyReLU(0.2), mg.Flatten(), mg.Dense(2 * 2 * 2, 1)),
        3,
        2,
        rng=3,
    )
    return mg.ConditionalGAN(G, D, 3, 3, seed=6)


def conv_data():
    return np.tanh(np.random.default_rng(0).standard_normal((64, 1, 8, 8))).astype(np.float32)


def cgan_data():
    rng = np.random.default_rng(1)
    return np.tanh(rng.standard_normal((48, 1, 4, 4))).astype(np.float32), rng.integers(0, 3, 48)


EXTRA = {"made_by": "tests/data/make_checkpoints.py"}

if __name__ == "__main__":
    out = sys.argv[1]
    gan = conv_gan()
    gan.fit(conv_data(), 5, batch_size=16)
    gan.save(f"{out}/gan_conv_checkpoint_b39b295.npz", extra=EXTRA)
    c = cgan()
    c.fit(*cgan_data(), 3, batch_size=16)
    c.save(f"{out}/cgan_checkpoint_b39b295.npz", extra=EXTRA)
