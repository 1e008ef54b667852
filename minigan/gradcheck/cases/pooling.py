"""Gradient-check cases of minigan.nn.pooling: MaxPool2D, AvgPool2D (tiling, overlapping and non-square windows)."""

from __future__ import annotations

from ...nn.pooling import AvgPool2D, MaxPool2D
from ..registry import GradCase, register


@register("MaxPool2D")
def _gc_maxpool(rng):
    r = rng.standard_normal
    return [
        GradCase("MaxPool2D(2) tiling", MaxPool2D(2), r((2, 3, 4, 6))),
        GradCase("MaxPool2D(3, stride=2) overlapping", MaxPool2D(3, stride=2), r((2, 2, 7, 5))),
        GradCase("MaxPool2D((2,3), stride=(1,2))", MaxPool2D((2, 3), stride=(1, 2)), r((1, 2, 4, 7))),
    ]


@register("AvgPool2D")
def _gc_avgpool(rng):
    r = rng.standard_normal
    return [
        GradCase("AvgPool2D(2) tiling", AvgPool2D(2), r((2, 3, 4, 6))),
        GradCase("AvgPool2D(3, stride=2) overlapping", AvgPool2D(3, stride=2), r((2, 2, 7, 5))),
        GradCase("AvgPool2D((2,3), stride=(1,2))", AvgPool2D((2, 3), stride=(1, 2)), r((1, 2, 4, 7))),
    ]
