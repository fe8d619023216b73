"""CRNN: forward/backward across backbones and sizes, T from the dry run, time_stride, registry errors."""

from __future__ import annotations

import pytest
import timm
import torch

from platocr.errors import PlatocrError
from platocr.model import CRNN, build_model, list_models
from platocr.model.crnn import create_backbone
from platocr.recognition.config import load_config

NUM_CLASSES = 11


def _cfg(backbone: str, height: int, width: int, *extra: str):
    return load_config(
        None,
        [f"model.backbone={backbone}", f"input.height={height}", f"input.width={width}", "model.gate_channels=32",
         "model.rnn_hidden=16", *extra],
    )  # fmt: skip


@pytest.mark.parametrize(
    ("backbone", "height", "width", "extra"),
    [
        ("resnet18", 32, 96, ()),
        ("mobilenetv3_small_100", 48, 160, ()),
        ("efficientnet_b0", 32, 128, ("model.rnn=lstm", "model.rnn_layers=1")),
        ("mobilenetv3_small_050", 40, 120, ("model.collapse=mean",)),  # sizes that are not multiples of 32
    ],
)
def test_forward_backward(backbone: str, height: int, width: int, extra: tuple[str, ...]) -> None:
    model = build_model(_cfg(backbone, height, width, *extra), NUM_CLASSES)
    assert isinstance(model, CRNN) and model.training
    images = torch.randn(2, 3, height, width)
    log_probs = model(images)
    assert log_probs.shape == (2, model.seq_len, NUM_CLASSES)
    # stride-32 stage, padding rounds up: T = ceil(W / 32)
    assert model.seq_len == model.feature_shape[2] == -(-width // 32)
    assert torch.allclose(log_probs.exp().sum(-1), torch.ones(2, model.seq_len), atol=1e-4)
    log_probs.sum().backward()
    assert all(p.grad is not None for p in model.head.parameters())
    assert next(model.backbone.parameters()).grad is not None  # gradients reach the first conv


@pytest.mark.parametrize("backbone", ["resnet18", "mobilenetv3_small_100"])
def test_time_stride_increases_t(backbone: str) -> None:
    native = build_model(_cfg(backbone, 32, 128), NUM_CLASSES)
    assert native.seq_len == 128 // 32
    for time_stride in (16, 4):
        relaxed = build_model(_cfg(backbone, 32, 128, f"model.time_stride={time_stride}"), NUM_CLASSES)
        assert relaxed.seq_len == 128 // time_stride > native.seq_len
        assert relaxed.feature_shape[1] == native.feature_shape[1]  # height still fully reduced
        assert relaxed(torch.randn(1, 3, 32, 128)).shape == (1, relaxed.seq_len, NUM_CLASSES)


def test_earlier_stage_and_its_time_stride() -> None:
    model = build_model(_cfg("mobilenetv3_small_100", 32, 128, "model.feature_stage=-2"), NUM_CLASSES)
    assert model.reduction == (16, 16) and model.seq_len == 8
    relaxed = build_model(
        _cfg("mobilenetv3_small_100", 32, 128, "model.feature_stage=-2", "model.time_stride=4"), 5
    )
    assert relaxed.seq_len == 32


@pytest.mark.parametrize("backbone", ["mobilenetv3_small_050", "efficientnet_b0"])
def test_pruned_blocks_leave_the_stage_output_unchanged(backbone: str) -> None:
    full = timm.create_model(backbone, features_only=True, out_indices=(-2,)).eval()
    pruned = create_backbone(backbone, pretrained=False, feature_stage=-2).eval()
    assert len(pruned.blocks) < len(full.blocks)
    pruned.load_state_dict(full.state_dict(), strict=False)
    x = torch.randn(1, 3, 32, 96)
    assert torch.allclose(full(x)[-1], pruned(x)[-1])


def test_registry_and_errors() -> None:
    assert "crnn" in list_models()
    with pytest.raises(PlatocrError, match=r"unknown model.name 'transformer' \(known: crnn"):
        build_model(load_config(None, ["model.name=transformer"]), NUM_CLASSES)
    with pytest.raises(PlatocrError, match="unknown timm model 'resnet_nope'"):
        build_model(_cfg("resnet_nope", 32, 96), NUM_CLASSES)
    with pytest.raises(PlatocrError, match="feature_stage 9 is out of range"):
        build_model(_cfg("resnet18", 32, 96, "model.feature_stage=9"), NUM_CLASSES)
    with pytest.raises(PlatocrError, match="time_stride must be a power of two dividing"):
        build_model(_cfg("resnet18", 32, 96, "model.feature_stage=-2", "model.time_stride=32"), NUM_CLASSES)


def test_pretrained_never_downloads(tmp_path, monkeypatch) -> None:
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))  # an empty cache
    with pytest.raises(PlatocrError, match="platocr never downloads"):
        create_backbone("resnet18", pretrained=True, feature_stage=-1)


@pytest.mark.parametrize("size", ["t", "s", "m"])
def test_platocr_vgg_backbones_with_skip(size: str) -> None:
    """platocr's own timm-registered backbones: reduction 16, relaxed pools keep the width exactly."""
    backbone = timm.create_model(f"platocr_vgg_{size}", features_only=True)
    assert backbone.feature_info.reduction() == [2, 4, 8, 16]
    model = build_model(
        _cfg(f"platocr_vgg_{size}", 32, 128, "model.time_stride=4", "model.rnn_skip=true"), NUM_CLASSES
    )
    assert model.seq_len == 128 // 4 and model.feature_shape[1] == 2
    log_probs = model(torch.randn(2, 3, 32, 128))
    assert log_probs.shape == (2, 32, NUM_CLASSES)
    log_probs.sum().backward()
    assert model.skip is not None and model.skip.weight.grad is not None
    with pytest.raises(PlatocrError, match="platocr never downloads"):
        create_backbone(f"platocr_vgg_{size}", pretrained=True, feature_stage=-1)
