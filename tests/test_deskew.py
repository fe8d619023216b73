"""input.deskew: tilted barcode crops are turned so their bars stand vertical, in the one preprocessing path."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from platocr.recognition.config import InputConfig, config_from_dict
from platocr.recognition.preprocess import bar_tilt, deskew_bars, resize_pad, to_model_input
from platocr.train.augment import resize_only


def _bars(width: int = 300, height: int = 120) -> np.ndarray:
    """Vertical black bars of varied widths on white, a grey band under them (the digit line)."""
    rng = np.random.default_rng(0)
    image = np.full((height, width, 3), 255, np.uint8)
    x = 20
    while x < width - 30:
        bar = int(rng.integers(2, 7))
        image[10 : height - 35, x : x + bar] = 0
        x += bar + int(rng.integers(2, 7))
    image[height - 28 : height - 12, 20 : width - 20] = 128
    return image


def _tilted(image: np.ndarray, degrees: float) -> np.ndarray:
    """``image`` turned clockwise on screen by ``degrees`` inside its axis-aligned bounding box (white fill)."""
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), -degrees, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    size = (round(w * cos + h * sin), round(w * sin + h * cos))
    matrix[0, 2] += size[0] / 2 - w / 2
    matrix[1, 2] += size[1] / 2 - h / 2
    return cv2.warpAffine(image, matrix, size, borderValue=(255, 255, 255))


@pytest.mark.parametrize("degrees", [-30.0, -12.0, 8.0, 25.0])
def test_tilted_bars_come_back_vertical(degrees: float) -> None:
    tilted = _tilted(_bars(), degrees)
    angle, coherence = bar_tilt(tilted)
    assert angle == pytest.approx(degrees, abs=1.5) and coherence > 0.5
    straight = deskew_bars(tilted)
    assert abs(bar_tilt(straight)[0]) < 1.5
    # trimmed to the crop's width and h*cos(tilt) rows: the corner wedges are mostly gone
    assert straight.shape[1] == tilted.shape[1]
    assert abs(straight.shape[0] - tilted.shape[0] * np.cos(np.radians(abs(degrees)))) <= 2


def test_upright_flat_and_grey_crops_are_left_alone() -> None:
    upright = _bars()
    assert deskew_bars(upright) is upright
    flat = np.full((40, 90, 3), 77, np.uint8)  # no strokes: coherence 0
    assert deskew_bars(flat) is flat
    grey = cv2.cvtColor(_tilted(_bars(), 15.0), cv2.COLOR_BGR2GRAY)
    assert deskew_bars(grey).ndim == 2


def test_deskew_is_in_the_path_of_eval_training_and_predictor_only_when_asked() -> None:
    tilted = _tilted(_bars(), 20.0)
    on, off = InputConfig(height=32, width=96, deskew=True), InputConfig(height=32, width=96)
    rgb = cv2.cvtColor(resize_pad(deskew_bars(tilted), 32, 96), cv2.COLOR_BGR2RGB)
    expected = to_model_input([rgb], off, rgb=True)
    assert np.array_equal(to_model_input([tilted], on, rgb=False), expected)
    assert not np.array_equal(to_model_input([tilted], off, rgb=False), expected)
    assert np.array_equal(resize_only(on)(tilted), resize_pad(deskew_bars(tilted), 32, 96))


def test_config_key() -> None:
    assert config_from_dict({"input": {"deskew": True}}).input.deskew is True
    assert config_from_dict({}).input.deskew is False
