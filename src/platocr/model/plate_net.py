"""The plate detector's network: a small timm backbone, a light top-down merge and a centre-map head.

Each output cell (stride 4) predicts whether a plate's centre falls in it and, if so, where inside the cell
and how large the plate is (the layout :mod:`platocr.detection.detector` decodes without torch).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

DEFAULT_BACKBONE = "mobilenetv3_small_075"
STRIDE = 4
CHANNELS = 32
# Backbone features merged top-down: strides 4 to 32. The stride-32 level lets the centre cell of a
# 400 px plate (200 px at the 640 px input) see the plate's ends, so its width is not guessed.
FEATURE_LEVELS = (1, 2, 3, 4)


def _conv_bn(cin: int, cout: int, kernel: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel, padding=kernel // 2, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class PlateNet(nn.Module):
    """(N, 3, H, W) RGB in [0, 1], H and W multiples of 32 -> (N, 5, H/4, W/4).

    ``levels``: the backbone's feature indices merged top-down (the first must have stride 4).

    Channel 0: centre probability (sigmoid); 1-2: the centre's x/y offset inside its cell; 3-4: log width
    and log height of the plate in cells.
    """

    def __init__(
        self,
        backbone: str = DEFAULT_BACKBONE,
        channels: int = CHANNELS,
        levels: tuple[int, ...] = FEATURE_LEVELS,
    ) -> None:
        super().__init__()
        import timm

        self.backbone_name = backbone
        self.backbone = timm.create_model(backbone, pretrained=False, features_only=True, out_indices=levels)
        reductions = self.backbone.feature_info.reduction()
        if reductions[0] != STRIDE:
            raise ValueError(f"{backbone}: first feature stride {reductions[0]}, the head needs {STRIDE}")
        self.lateral = nn.ModuleList(_conv_bn(c, channels) for c in self.backbone.feature_info.channels())
        self.smooth = _conv_bn(channels, channels, 3)
        self.heat = nn.Sequential(_conv_bn(channels, channels, 3), nn.Conv2d(channels, 1, 1))
        self.boxes = nn.Sequential(_conv_bn(channels, channels, 3), nn.Conv2d(channels, 4, 1))
        nn.init.constant_(self.heat[-1].bias, -4.6)  # start near p = 0.01: most cells hold no plate centre
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1), persistent=False)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        features = self.backbone((images - self.mean) / self.std)
        merged = self.lateral[-1](features[-1])
        for lateral, feature in zip(self.lateral[-2::-1], features[-2::-1], strict=True):
            merged = lateral(feature) + F.interpolate(merged, size=feature.shape[-2:], mode="nearest")
        merged = self.smooth(merged)
        return torch.cat([torch.sigmoid(self.heat(merged)), self.boxes(merged)], dim=1)
