"""The one preprocessing path: aspect-keeping resize + pad, channel order, grey input, load errors."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from platocr.errors import PlatocrError
from platocr.recognition.config import InputConfig
from platocr.recognition.preprocess import (
    MEAN_RGB,
    STD_RGB,
    as_three_channels,
    load_image,
    normalize,
    resize_pad,
    to_model_input,
)


def test_resize_pad_keeps_aspect_and_pads_right_bottom() -> None:
    wide = np.full((10, 100, 3), 200, dtype=np.uint8)
    wide[:, :50] = 0  # left half black
    out = resize_pad(wide, 32, 128)
    assert out.shape == (32, 128, 3) and out.dtype == np.uint8
    # 100x10 -> 128x13 (scale 1.28): rows below 13 are padding in the crop's mean colour
    assert (out[:13, :60] == 0).all() and (out[:13, 70:] == 200).all()
    assert (out[14:] == 100).all()
    tall = resize_pad(np.zeros((64, 32, 3), dtype=np.uint8), 32, 128)
    assert (tall[:, :16] == 0).all()  # 32x64 -> 16x32: padded on the right only


def test_resize_pad_pads_with_the_rounded_mean_colour() -> None:
    rng = np.random.default_rng(0)
    for shape in ((7, 50, 3), (9, 61, 4), (5, 33), (3, 40, 1)):
        image = rng.integers(0, 256, shape, dtype=np.uint8)
        expected = as_three_channels(image).reshape(-1, 3).mean(axis=0).round().astype(np.uint8)
        assert (resize_pad(image, 32, 128)[-1, -1] == expected).all(), shape


def test_grey_and_channel_order() -> None:
    cfg = InputConfig(height=16, width=48)
    grey = np.full((8, 24), 128, dtype=np.uint8)
    assert resize_pad(grey, 16, 48).shape == (16, 48, 3)
    red_bgr = np.zeros((8, 24, 3), dtype=np.uint8)
    red_bgr[..., 2] = 255
    from_bgr = to_model_input(red_bgr, cfg, rgb=False)
    from_rgb = to_model_input(red_bgr[..., ::-1].copy(), cfg, rgb=True)
    assert isinstance(from_bgr, np.ndarray) and from_bgr.flags.c_contiguous
    assert from_bgr.shape == (1, 3, 16, 48) and from_bgr.dtype == np.float32
    assert np.array_equal(from_bgr, from_rgb)
    assert from_bgr[0, 0, 0, 0] == pytest.approx((1 - MEAN_RGB[0]) / STD_RGB[0])  # red channel first
    batch = to_model_input([grey, red_bgr, np.zeros((5, 90, 4), dtype=np.uint8)], cfg, rgb=False)
    assert batch.shape == (3, 3, 16, 48)


def test_normalize_and_bad_input() -> None:
    batch = np.zeros((2, 4, 6, 3), dtype=np.uint8)
    out = normalize(batch)
    assert out.shape == (2, 3, 4, 6) and out.dtype == np.float32
    assert np.allclose(out[0, :, 0, 0], -np.array(MEAN_RGB) / np.array(STD_RGB))
    white = normalize(np.full((1, 2, 2, 3), 255, np.uint8))
    assert np.allclose(white[0, :, 1, 1], (1 - np.array(MEAN_RGB)) / np.array(STD_RGB))
    with pytest.raises(PlatocrError, match=r"\(N, H, W, 3\)"):
        normalize(np.zeros((4, 6, 3), np.uint8))
    with pytest.raises(PlatocrError, match="uint8"):
        to_model_input([np.zeros((4, 4, 3), dtype=np.float32)], InputConfig(8, 32), rgb=True)
    with pytest.raises(PlatocrError, match="no images"):
        to_model_input([], InputConfig(8, 32), rgb=True)


def test_load_image(tmp_path: Path) -> None:
    path = tmp_path / "А123ВС.png"  # Cyrillic file name
    cv2.imencode(".png", np.full((5, 7, 3), 9, dtype=np.uint8))[1].tofile(str(path))
    assert load_image(path).shape == (5, 7, 3)
    with pytest.raises(PlatocrError, match="image not found: .*missing.jpg"):
        load_image(tmp_path / "missing.jpg")
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg")
    with pytest.raises(PlatocrError, match="cannot decode image: .*broken.jpg"):
        load_image(broken)


def test_normalize_gives_the_figures_torch_gave() -> None:
    """The numpy path is bit-identical to the torch arithmetic it replaced (shipped models' figures hold)."""
    torch = pytest.importorskip("torch")
    batch = np.random.default_rng(0).integers(0, 256, (3, 8, 20, 3), dtype=np.uint8)
    mean = torch.tensor(MEAN_RGB).view(1, 3, 1, 1)
    std = torch.tensor(STD_RGB).view(1, 3, 1, 1)
    before = (torch.from_numpy(batch).permute(0, 3, 1, 2).float().div_(255.0) - mean) / std
    assert torch.equal(torch.from_numpy(normalize(batch)), before)
