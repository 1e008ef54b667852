"""Gradient-check cases of minigan.nn.losses: BCELoss, BCEWithLogitsLoss, MSELoss, CrossEntropyLoss."""

from __future__ import annotations

import numpy as np

from ...nn.losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from ..registry import GradCase, register


@register("losses")
def _gc_losses(rng):
    def probs(shape):  # kept in [0.05, 0.95], away from the clamp at 0 and 1
        return 0.05 + 0.9 * rng.random(shape)

    hard = (rng.random((4, 3)) > 0.5).astype(np.float64)
    return [
        GradCase("BCELoss (hard targets)", BCELoss(), probs((4, 3)), target=hard, kind="loss"),
        GradCase("BCELoss (soft targets)", BCELoss(), probs((5, 1)), target=rng.random((5, 1)), kind="loss"),
        GradCase(
            "BCELoss(reduction='sum')",
            BCELoss(reduction="sum"),
            probs((3, 2)),
            target=0.9 * np.ones((3, 2)),
            kind="loss",
        ),
        GradCase(
            "BCEWithLogitsLoss (hard targets)",
            BCEWithLogitsLoss(),
            3 * rng.standard_normal((4, 3)),
            target=hard,
            kind="loss",
        ),
        GradCase(
            "BCEWithLogitsLoss (soft targets)",
            BCEWithLogitsLoss(),
            3 * rng.standard_normal((6,)),
            target=rng.random((6,)),
            kind="loss",
        ),
        GradCase("MSELoss", MSELoss(), rng.standard_normal((3, 4)), target=rng.standard_normal((3, 4)), kind="loss"),
        GradCase(
            "MSELoss(reduction='sum')",
            MSELoss(reduction="sum"),
            rng.standard_normal((2, 1, 3)),
            target=rng.standard_normal((2, 1, 3)),
            kind="loss",
        ),
        GradCase(
            "CrossEntropyLoss",
            CrossEntropyLoss(),
            2 * rng.standard_normal((5, 4)),
            target=rng.integers(0, 4, size=5),
            kind="loss",
        ),
    ]
