"""second_look: no-reads are re-read from a tighter cut, the same way in the predictor and in eval."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from torch import nn

from platocr.checkpoint import LoadedModel
from platocr.config import Config, InputConfig, apply_overrides
from platocr.data.labels import LabelRow
from platocr.errors import PlatocrError
from platocr.evaluate import predict_rows
from platocr.predictor import Predictor, torch_forward
from platocr.second_look import SecondLook, inset, second_look
from platocr.tokenizer import Decoded, Tokenizer

TOKENIZER = Tokenizer("0123456789")


class ReadsBrightCrops(nn.Module):
    """Reads "7" from a crop whose normalised mean is bright, nothing from a dark one.

    (N, 3, H, W) -> (N, 8, C) log-probabilities: all blank, or "7" at frame 3.
    """

    def __init__(self) -> None:
        super().__init__()
        self.unused = nn.Parameter(torch.zeros(1))  # eval finds the device from the parameters

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        logits = torch.full((len(images), 8, TOKENIZER.num_classes), -10.0)
        logits[:, :, Tokenizer.blank] = 0.0
        bright = images.mean(dim=(1, 2, 3)) > 1.0
        seven = TOKENIZER.encode("7")[0]
        logits[bright, 3, seven] = 10.0
        logits[bright, 3, Tokenizer.blank] = -10.0
        return logits.log_softmax(-1)


def framed_crop() -> np.ndarray:
    """40x120 white crop inside an 8-pixel black frame: dark as a whole, white once cut 20% tighter."""
    crop = np.zeros((40, 120, 3), np.uint8)
    crop[8:32, 8:112] = 255
    return crop


def config(look: tuple[float, float] | None) -> Config:
    return Config(input=InputConfig(height=32, width=96), second_look=look)


def test_inset_trims_each_side_and_keeps_at_least_a_pixel() -> None:
    image = np.arange(100 * 200).reshape(100, 200)
    assert inset(image, 0.1, 0.05).shape == (90, 160)
    assert np.array_equal(inset(image, 0.1, 0.05), image[5:95, 20:180])
    assert inset(image, 0.0, 0.0).shape == image.shape
    assert inset(np.zeros((2, 3)), 0.49, 0.49).shape == (2, 1)
    with pytest.raises(PlatocrError, match=r"\[0, 0\.5\)"):
        inset(image, 0.5, 0.0)


def test_only_empty_reads_are_retried_and_only_a_read_replaces_them() -> None:
    crops = [np.full((10, 30), v, np.uint8) for v in (0, 1, 2)]
    first = [Decoded("12", 0.9, [0.9, 0.9]), Decoded("", 0.8, []), Decoded("", 0.7, [])]
    asked: list[tuple[int, ...]] = []

    def read(cut: list[np.ndarray]) -> list[Decoded]:
        asked.append(tuple(c.shape) for c in cut)  # type: ignore[arg-type]
        return [Decoded("5", 0.6, [0.6]), Decoded("", 0.5, [])]  # crop 1 reads, crop 2 still does not

    final, look = second_look(crops, first, (0.1, 0.2), read)
    assert [d.text for d in final] == ["12", "5", ""]
    assert final[2].confidence == 0.7  # a still-empty second look keeps the first
    assert (look.retried, look.read) == ([1, 2], [1])
    assert len(asked) == 1  # one batch for all no-reads
    unchanged, none = second_look(crops, first, None, read)
    assert unchanged == first and none == SecondLook() and len(asked) == 1
    summary = look.summary(["12", "5", "9"], [d.text for d in final])
    assert summary == {
        "retried": 2,
        "read": 1,
        "right": 1,
        "wrong": 0,
        "string_match_first_look": pytest.approx(1 / 3),
        "string_match": pytest.approx(2 / 3),
    }


@pytest.mark.parametrize("look", [None, (0.1, 0.2)])
def test_predictor_and_eval_read_the_same(look: tuple[float, float] | None, tmp_path: Path) -> None:
    model = ReadsBrightCrops().eval()
    cfg = config(look)
    predictor = Predictor(torch_forward(model, "cpu"), cfg, TOKENIZER, backend="torch", device="cpu")
    expected = "7" if look else ""
    assert predictor.predict(framed_crop()).text == expected
    path = tmp_path / "crop.png"
    cv2.imwrite(str(path), framed_crop())
    reads = predict_rows(LoadedModel(model, cfg, TOKENIZER), [LabelRow(path, "7")], progress=False)
    assert [d.text for d in reads.decoded] == [expected]
    assert reads.look.read == ([0] if look else [])


def test_config_checks_the_insets() -> None:
    assert apply_overrides(Config(), ["second_look=[0.0, 0.1]"]).second_look == (0.0, 0.1)
    with pytest.raises(PlatocrError, match="second_look"):
        apply_overrides(Config(), ["second_look=[0.5, 0.1]"])
    with pytest.raises(PlatocrError, match="second_look"):
        apply_overrides(Config(), ["second_look=0.1"])
