"""platocr's own small CNN backbones, registered with timm so the CRNN builds them like any other.

``platocr_vgg_{t,s,m}`` are plain VGG-style stacks (3x3 conv + BatchNorm + ReLU, max-pool between
stages) sized for text lines on a CPU. Trained from scratch with CTC they leave the all-blank plateau
within a few hundred steps, where mobilenetv3 stays on it for thousands, and at 32x128 they cost a
fraction of a truncated resnet18. Four stages, reductions 2/4/8/16; ``time_stride`` turns the last
pools into (2, 1) pools so the time axis keeps its width.
"""

from __future__ import annotations

import torch
from timm.models import build_model_with_cfg, register_model
from torch import nn

WIDTHS = {"t": (16, 32, 64, 128), "s": (32, 64, 128, 192), "m": (32, 64, 128, 256)}
# timm reads this module attribute when registering: a config with no url or file, so timm knows
# there are no pretrained weights to look for (and does not warn about a missing config).
default_cfgs = {
    f"platocr_vgg_{size}": {"num_classes": 0, "input_size": (3, 32, 128), "license": "same as platocr"}
    for size in WIDTHS
}


def _conv(cin: int, cout: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class _Pool(nn.MaxPool2d):
    """2x2 max-pool whose kernel follows its stride, so a relaxed (2, 1) stride keeps the width exactly."""

    def __init__(self) -> None:
        super().__init__(kernel_size=2, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.kernel_size = self.stride
        return super().forward(x)


class PlatocrVGG(nn.Module):
    """(B, 3, H, W) -> (B, C4, H/16, W/16) through four conv stages; ``feature_info`` for features_only.

    Stage i ends with a pool (reduction 2**(i+1)); stages 2 and 3 have two convs, the first two one.
    """

    def __init__(self, widths: tuple[int, int, int, int] = WIDTHS["s"], in_chans: int = 3, **_: object):
        super().__init__()
        c1, c2, c3, c4 = widths
        self.stage0 = nn.Sequential(*_conv(in_chans, c1), _Pool())
        self.stage1 = nn.Sequential(*_conv(c1, c2), _Pool())
        self.stage2 = nn.Sequential(*_conv(c2, c3), *_conv(c3, c3), _Pool())
        self.stage3 = nn.Sequential(*_conv(c3, c4), *_conv(c4, c4), _Pool())
        self.feature_info = [
            {"num_chs": c, "reduction": 2 ** (i + 1), "module": f"stage{i}"} for i, c in enumerate(widths)
        ]
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.stage3(self.stage2(self.stage1(self.stage0(x))))


def _create(variant: str, pretrained: bool = False, **kwargs: object) -> PlatocrVGG:
    kwargs.setdefault("widths", WIDTHS[variant[-1]])
    return build_model_with_cfg(
        PlatocrVGG, variant, pretrained, feature_cfg={"out_indices": (0, 1, 2, 3)}, **kwargs
    )


@register_model
def platocr_vgg_t(pretrained: bool = False, **kwargs: object) -> PlatocrVGG:
    """Tiny: widths 16/32/64/128."""
    return _create("platocr_vgg_t", pretrained, **kwargs)


@register_model
def platocr_vgg_s(pretrained: bool = False, **kwargs: object) -> PlatocrVGG:
    """Small: widths 32/64/128/192."""
    return _create("platocr_vgg_s", pretrained, **kwargs)


@register_model
def platocr_vgg_m(pretrained: bool = False, **kwargs: object) -> PlatocrVGG:
    """Medium: widths 32/64/128/256."""
    return _create("platocr_vgg_m", pretrained, **kwargs)
