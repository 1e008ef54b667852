"""Gradient-check cases of minigan.nn.conv: Conv2D, Conv2DTranspose (strides, paddings, non-square kernels)."""

from __future__ import annotations

from ...nn.conv import Conv2D, Conv2DTranspose
from ..registry import GradCase, register


@register("Conv2D")
def _gc_conv(rng):
    r = rng.standard_normal
    return [
        GradCase("Conv2D(2,3,3,stride=2,padding=1)", Conv2D(2, 3, 3, stride=2, padding=1, rng=rng), r((2, 2, 7, 6))),
        GradCase(
            "Conv2D(2,2,(2,3),stride=(2,1),'same')",
            Conv2D(2, 2, (2, 3), stride=(2, 1), padding="same", rng=rng),
            r((1, 2, 5, 6)),
        ),
        GradCase(
            "Conv2D(1,2,4,stride=2,'same') odd input",
            Conv2D(1, 2, 4, stride=2, padding="same", rng=rng),
            r((2, 1, 7, 5)),
        ),
        GradCase(
            "Conv2D(3,2,3,'valid',bias=False)", Conv2D(3, 2, 3, padding="valid", bias=False, rng=rng), r((2, 3, 5, 4))
        ),
        GradCase(
            "Conv2D(2,2,(3,2),stride=(3,2),padding=(1,2))",
            Conv2D(2, 2, (3, 2), stride=(3, 2), padding=(1, 2), rng=rng),
            r((1, 2, 7, 4)),
        ),
    ]


@register("Conv2DTranspose")
def _gc_conv_t(rng):
    r = rng.standard_normal
    return [
        GradCase(
            "Conv2DTranspose(2,3,3,stride=2,padding=1,output_padding=1)",
            Conv2DTranspose(2, 3, 3, stride=2, padding=1, output_padding=1, rng=rng),
            r((2, 2, 3, 4)),
        ),
        GradCase(
            "Conv2DTranspose(2,2,4,stride=2,'same')",
            Conv2DTranspose(2, 2, 4, stride=2, padding="same", rng=rng),
            r((1, 2, 3, 2)),
        ),
        GradCase(
            "Conv2DTranspose(2,2,(2,3),stride=(3,2),'same') f<s",
            Conv2DTranspose(2, 2, (2, 3), stride=(3, 2), padding="same", rng=rng),
            r((1, 2, 2, 3)),
        ),
        GradCase(
            "Conv2DTranspose(3,2,3,'valid',bias=False)",
            Conv2DTranspose(3, 2, 3, padding="valid", bias=False, rng=rng),
            r((2, 3, 2, 3)),
        ),
        GradCase(
            "Conv2DTranspose(2,2,(3,2),stride=(2,3),padding=(1,0),output_padding=(1,2))",
            Conv2DTranspose(2, 2, (3, 2), stride=(2, 3), padding=(1, 0), output_padding=(1, 2), rng=rng),
            r((1, 2, 3, 2)),
        ),
    ]
