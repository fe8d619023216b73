"""The plate verifier's network: a small CNN that tells a plate crop from a crop of something else.

Its input is what :func:`platocr.detection.verifier.cut_crops` cuts around a detector's box; the exported
``.onnx`` (``platocr train-verifier``) ends in a sigmoid, so it gives probabilities.
"""

from __future__ import annotations

import torch
from torch import nn

WIDTHS = (16, 32, 64, 96)


def _conv_bn(cin: int, cout: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class PlateVerifierNet(nn.Module):
    """(N, 3, 32, 96) RGB in [0, 1] -> (N,) logit that the crop holds a plate.

    Three stages of two 3x3 convs with 2x2 pooling (to 4x12), one more conv, then the mean and the
    maximum over the map (a plate's corners or a character may show in a few cells only) into one linear.
    """

    def __init__(self, widths: tuple[int, ...] = WIDTHS) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        cin = 3
        for width in widths[:-1]:
            layers += _conv_bn(cin, width) + _conv_bn(width, width) + [nn.MaxPool2d(2)]
            cin = width
        layers += _conv_bn(cin, widths[-1])
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(2 * widths[-1], 1)

    def forward(self, crops: torch.Tensor) -> torch.Tensor:
        features = self.body((crops - 0.5) / 0.25)
        pooled = torch.cat([features.mean((2, 3)), features.amax((2, 3))], dim=1)
        return self.head(pooled)[:, 0]


class _Probabilities(nn.Module):
    """The exported graph: (N, 3, 32, 96) -> (N,) probabilities."""

    def __init__(self, net: PlateVerifierNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, crops: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.net(crops))


def with_sigmoid(net: PlateVerifierNet) -> nn.Module:
    """``net`` ending in a sigmoid, for export."""
    return _Probabilities(net)
