"""EDSR (Lim et al. 2017): the baseline (16 blocks, 64 features) and the full model (32 blocks, 256, scaling 0.1).

Runtime layer (models).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from infercost.errors import UsageError

DIV2K_RGB_MEAN = (0.4488, 0.4371, 0.4040)


class ResBlock(nn.Module):
    def __init__(self, features: int, res_scale: float) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(features, features, 3, padding=1), nn.ReLU(inplace=True),
                                  nn.Conv2d(features, features, 3, padding=1))
        self.res_scale = res_scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # The baseline skips the multiply by 1: a cleaner graph, and OpenVINO int8 trips over it.
        return x + (self.body(x) if self.res_scale == 1 else self.body(x) * self.res_scale)


def upsampler(scale: int, features: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    if scale & (scale - 1) == 0:
        for _ in range(int(math.log2(scale))):
            layers += [nn.Conv2d(features, 4 * features, 3, padding=1), nn.PixelShuffle(2)]
    elif scale == 3:
        layers += [nn.Conv2d(features, 9 * features, 3, padding=1), nn.PixelShuffle(3)]
    else:
        raise UsageError(f"EDSR scale must be 2, 3 or 4, got {scale}")
    return nn.Sequential(*layers)


class EDSR(nn.Module):
    def __init__(self, scale: int = 2, blocks: int = 16, features: int = 64, res_scale: float = 1.0,
                 channels: int = 3) -> None:
        super().__init__()
        # The RGB mean shift is a fixed constant, so a buffer: it is not counted as a parameter.
        self.register_buffer("rgb_mean", torch.tensor(DIV2K_RGB_MEAN[:channels]).view(1, channels, 1, 1))
        self.head = nn.Conv2d(channels, features, 3, padding=1)
        self.body = nn.Sequential(*(ResBlock(features, res_scale) for _ in range(blocks)),
                                  nn.Conv2d(features, features, 3, padding=1))
        self.tail = nn.Sequential(upsampler(scale, features), nn.Conv2d(features, channels, 3, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.head(x - self.rgb_mean)
        x = x + self.body(x)
        return self.tail(x) + self.rgb_mean


def edsr_baseline(scale: int = 2) -> EDSR:
    return EDSR(scale=scale)


def edsr_full(scale: int = 2) -> EDSR:
    return EDSR(scale=scale, blocks=32, features=256, res_scale=0.1)
