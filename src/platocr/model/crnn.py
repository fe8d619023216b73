"""CRNN for CTC text recognition: timm CNN features -> 1x1 gate -> collapse height -> BiRNN -> classes.

Shapes for an input of (B, 3, H, W) with a backbone stage of C channels and reduction R:
    backbone (B, C, h, T) -> gate (B, G, h, T) -> collapse (B, G, T) -> RNN (B, T, 2*hidden)
    [+ linear skip of the frames, (B, T, 2*hidden)] -> linear (B, T, num_classes) -> log_softmax.
h, T and the RNN input size come from a dry forward pass at construction, never from constants,
so any backbone, stage and input size works. ``time_stride`` shrinks the horizontal reduction of
the chosen stage (e.g. 32 -> 8, so T = W / 8) by giving the last stride-2 downsampling points a
(2, 1) stride: height still shrinks, the time axis does not.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

import timm
import torch
from torch import nn

from platocr.errors import PlatocrError
from platocr.model.registry import register_model
from platocr.recognition.config import Config

DOWNSAMPLING_TYPES = (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)


class CRNN(nn.Module):
    """CNN + bidirectional RNN + CTC head (a pure ``nn.Module``: no tokenizer, no preprocessing).

    Attributes:
        seq_len: T, frames per image for ``image_size`` (from the dry run).
        feature_shape: (C, h, w) of the backbone stage output for ``image_size``.
        reduction: (vertical, horizontal) downsampling of the backbone stage after ``time_stride``.
    """

    def __init__(
        self,
        num_classes: int,
        backbone: str = "mobilenetv3_small_100",
        *,
        image_size: tuple[int, int] = (64, 256),
        pretrained: bool = False,
        feature_stage: int = -1,
        time_stride: int | None = None,
        gate_channels: int = 256,
        collapse: str = "conv",
        rnn: str = "gru",
        rnn_layers: int = 2,
        rnn_hidden: int = 128,
        rnn_dropout: float = 0.1,
        rnn_skip: bool = False,
    ) -> None:
        super().__init__()
        if num_classes < 2:
            raise PlatocrError(
                f"num_classes must count the blank and at least one character, got {num_classes}"
            )
        if collapse not in ("conv", "mean"):
            raise PlatocrError(f"collapse must be 'conv' or 'mean', got {collapse!r}")
        if rnn not in ("gru", "lstm"):
            raise PlatocrError(f"model.rnn must be 'gru' or 'lstm', got {rnn!r}")
        self.image_size = image_size
        self.backbone = create_backbone(backbone, pretrained=pretrained, feature_stage=feature_stage)
        native = self.backbone.feature_info.reduction()[-1]
        if time_stride is not None:
            relax_time_stride(self.backbone, image_size, native, time_stride)
        channels, h, w = self._dry_run_backbone()
        self.feature_shape = (channels, h, w)
        self.reduction = (image_size[0] / h, image_size[1] / w)

        self.gate = nn.Sequential(
            nn.Conv2d(channels, gate_channels, kernel_size=1, bias=False),
            nn.BatchNorm2d(gate_channels),
            nn.ReLU(inplace=True),
        )
        # "conv" learns how to weigh rows (keeps where in the line a stroke sits); "mean" is size-agnostic.
        self.collapse = (
            nn.Sequential(
                nn.Conv2d(gate_channels, gate_channels, kernel_size=(h, 1), bias=False),
                nn.BatchNorm2d(gate_channels),
                nn.ReLU(inplace=True),
            )
            if collapse == "conv"
            else nn.Identity()
        )
        seq_features, self.seq_len = self._dry_run_sequence()
        rnn_cls = nn.GRU if rnn == "gru" else nn.LSTM
        self.rnn = rnn_cls(
            seq_features,
            rnn_hidden,
            num_layers=rnn_layers,
            bidirectional=True,
            batch_first=True,
            dropout=rnn_dropout if rnn_layers > 1 else 0.0,
        )
        # rnn_skip: frames -> 2*hidden added to the RNN output (see ModelConfig.rnn_skip).
        self.skip = nn.Linear(seq_features, 2 * rnn_hidden) if rnn_skip else None
        self.dropout = nn.Dropout(rnn_dropout)
        self.head = nn.Linear(2 * rnn_hidden, num_classes)

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) normalised images -> (B, T, F) sequence features before the RNN."""
        x = self.backbone(images)[-1]  # (B, C, h, T)
        x = self.collapse(self.gate(x))  # (B, G, h', T), h' = 1 for "conv"
        return x.mean(dim=2).transpose(1, 2)  # (B, T, G)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) float normalised images -> (B, T, num_classes) log-probabilities.

        T equals ``seq_len`` at the configured ``image_size``; another width gives another T.
        """
        frames = self.features(images)  # (B, T, G)
        x, _ = self.rnn(frames)  # (B, T, 2*hidden)
        if self.skip is not None:
            x = x + self.skip(frames)
        return self.head(self.dropout(x)).log_softmax(dim=-1)

    @torch.no_grad()
    def _dry_run_backbone(self) -> tuple[int, int, int]:
        with _eval_mode(self):
            out = self.backbone(torch.zeros(1, 3, *self.image_size))[-1]
        _, channels, h, w = out.shape
        return channels, h, w

    @torch.no_grad()
    def _dry_run_sequence(self) -> tuple[int, int]:
        with _eval_mode(self):
            seq = self.features(torch.zeros(1, 3, *self.image_size))
        return seq.shape[2], seq.shape[1]


def create_backbone(name: str, *, pretrained: bool, feature_stage: int) -> nn.Module:
    """timm ``features_only`` model returning the single stage ``feature_stage`` (negative = from the end).

    ``pretrained`` loads weights from the local Hugging Face cache only: the hub is switched to
    offline mode so nothing is ever downloaded.
    """
    if not timm.is_model(name):
        close = timm.list_models(f"*{name.split('_')[0]}*")[:8]
        hint = f" (similar: {', '.join(close)})" if close else ""
        raise PlatocrError(f"model.backbone: unknown timm model {name!r}{hint}")
    try:
        with _hub_offline():
            backbone = timm.create_model(
                name, features_only=True, pretrained=pretrained, out_indices=(feature_stage,)
            )
    except (IndexError, AssertionError) as exc:
        raise PlatocrError(f"model.feature_stage {feature_stage} is out of range for {name}: {exc}") from None
    except Exception as exc:  # timm raises assorted types for missing weights / no features_only support
        if pretrained:
            raise PlatocrError(
                f"model.backbone {name!r}: pretrained weights are not in the local Hugging Face cache and "
                f"platocr never downloads ({type(exc).__name__}); set model.pretrained=false"
            ) from None
        raise PlatocrError(
            f"model.backbone {name!r}: cannot build features: {type(exc).__name__}: {exc}"
        ) from None
    prune_unused_blocks(backbone)
    return backbone


def prune_unused_blocks(backbone: nn.Module) -> None:
    """Drop blocks after the requested stage (in place) where timm would still run them.

    timm's MobileNetV3Features / EfficientNetFeatures execute every block even when the requested
    stage is an earlier one; their forward collects the stage output after block ``stage - 1``, so
    cutting ``blocks`` there leaves the output unchanged and saves the wasted compute.
    """
    stage_out = getattr(backbone, "_stage_out_idx", None)
    blocks = getattr(backbone, "blocks", None)
    if not stage_out or not isinstance(blocks, nn.Sequential) or getattr(backbone, "feature_hooks", None):
        return
    keep = max(stage_out)
    if 0 < keep < len(blocks):
        backbone.blocks = blocks[:keep]


def relax_time_stride(
    backbone: nn.Module, image_size: tuple[int, int], native: int, time_stride: int
) -> None:
    """Make the backbone's horizontal reduction ``time_stride`` instead of ``native`` (in place).

    Finds the stride-2 convs/pools with a dry run, groups them by the input width they see (a
    residual downsampling block has two: main path and shortcut) and sets the last
    log2(native / time_stride) groups to stride (2, 1).
    """
    if time_stride < 1 or native % time_stride or (native // time_stride) & (native // time_stride - 1):
        raise PlatocrError(
            f"model.time_stride must be a power of two dividing the stage reduction {native}, got {time_stride}"
        )
    steps = int(math.log2(native // time_stride))
    points = downsampling_points(backbone, image_size)
    if steps > len(points):
        raise PlatocrError(
            f"model.time_stride {time_stride}: the backbone has only {len(points)} stride-2 steps"
        )
    for group in points[len(points) - steps :]:
        for module in group:
            vertical = module.stride[0] if isinstance(module.stride, tuple) else module.stride
            module.stride = (vertical, 1)


def downsampling_points(backbone: nn.Module, image_size: tuple[int, int]) -> list[list[nn.Module]]:
    """Stride-2 conv/pool modules before the stage output, grouped by input width, widest first.

    Modules that run after the output (a wider input than the output proves they come before it)
    are left out.
    """
    seen: dict[int, list[nn.Module]] = {}
    hooks = []

    def record(module: nn.Module, inputs: tuple[torch.Tensor, ...]) -> None:
        seen.setdefault(inputs[0].shape[-1], []).append(module)

    for module in backbone.modules():
        stride = getattr(module, "stride", None)
        if isinstance(module, DOWNSAMPLING_TYPES) and stride in (2, (2, 2)):
            hooks.append(module.register_forward_pre_hook(record))
    try:
        with torch.no_grad(), _eval_mode(backbone):
            out_width = backbone(torch.zeros(1, 3, *image_size))[-1].shape[-1]
    finally:
        for hook in hooks:
            hook.remove()
    return [seen[width] for width in sorted(seen, reverse=True) if width > out_width]


@contextmanager
def _eval_mode(module: nn.Module) -> Iterator[None]:
    """Temporarily eval mode (BatchNorm on a 1-image dry run would fail or update statistics)."""
    was_training = module.training
    module.eval()
    try:
        yield
    finally:
        module.train(was_training)


@contextmanager
def _hub_offline() -> Iterator[None]:
    """Force Hugging Face hub offline mode while timm creates a model: cached weights only."""
    from huggingface_hub import constants

    previous = constants.HF_HUB_OFFLINE
    constants.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        constants.HF_HUB_OFFLINE = previous


@register_model("crnn")
def build_crnn(cfg: Config, num_classes: int) -> CRNN:
    """CRNN from ``cfg.model`` for ``cfg.input`` sized images."""
    m = cfg.model
    return CRNN(
        num_classes,
        m.backbone,
        image_size=(cfg.input.height, cfg.input.width),
        pretrained=m.pretrained,
        feature_stage=m.feature_stage,
        time_stride=m.time_stride,
        gate_channels=m.gate_channels,
        collapse=m.collapse,
        rnn=m.rnn,
        rnn_layers=m.rnn_layers,
        rnn_hidden=m.rnn_hidden,
        rnn_dropout=m.rnn_dropout,
        rnn_skip=m.rnn_skip,
    )
