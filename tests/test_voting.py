"""looks: crops are read from more cuts and the reads vote, the same way in the predictor and in eval."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from torch import nn

from platocr.data.labels import LabelRow
from platocr.errors import PlatocrError
from platocr.recognition.config import Config, InputConfig, LooksConfig, apply_overrides, config_from_dict
from platocr.recognition.looks import LookRecord, inset, look_again, read_with_looks, vote
from platocr.recognition.predictor import Predictor, torch_forward
from platocr.recognition.tokenizer import Decoded, Tokenizer
from platocr.tools.evaluate import predict_rows

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


def config(looks: LooksConfig) -> Config:
    return Config(input=InputConfig(height=32, width=96), looks=looks)


def test_inset_trims_each_side_and_keeps_at_least_a_pixel() -> None:
    image = np.arange(100 * 200).reshape(100, 200)
    assert inset(image, 0.1, 0.05).shape == (90, 160)
    assert np.array_equal(inset(image, 0.1, 0.05), image[5:95, 20:180])
    assert inset(image, 0.0, 0.0).shape == image.shape
    assert inset(np.zeros((2, 3)), 0.49, 0.49).shape == (2, 1)
    with pytest.raises(PlatocrError, match=r"\[0, 0\.5\)"):
        inset(image, 0.5, 0.0)


def test_vote_sums_confidence_per_text_and_skips_empty_reads() -> None:
    a, b, c = Decoded("12", 0.5, [0.5]), Decoded("13", 0.3, [0.3]), Decoded("13", 0.4, [0.4])
    assert vote([a, b, c]) is c  # 0.7 for "13" beats 0.5; its most confident read
    assert vote([Decoded("", 0.9, []), a]) is a
    assert vote([a, Decoded("13", 0.5, [0.5])]) is a  # a tie goes to the earlier text
    empty = Decoded("", 0.9, [])
    assert vote([empty, Decoded("", 0.1, [])]) is empty


def test_when_empty_looks_again_only_at_empty_reads() -> None:
    crops = [np.full((10, 30), v, np.uint8) for v in (0, 1, 2)]
    first = [Decoded("12", 0.9, [0.9, 0.9]), Decoded("", 0.8, []), Decoded("", 0.7, [])]
    asked: list[list[tuple[int, ...]]] = []

    def read(cut: list[np.ndarray], first: int) -> list[Decoded]:
        assert first == 0  # only other cuts: the first reads are given
        asked.append([c.shape for c in cut])
        return [Decoded("5", 0.6, [0.6]), Decoded("", 0.5, [])]  # crop 1 reads, crop 2 still does not

    final, record = look_again(crops, first, LooksConfig(((0.1, 0.2),), "empty"), read)
    assert [d.text for d in final] == ["12", "5", ""]
    assert final[2].confidence == 0.7  # a still-empty look keeps the first read
    assert (record.looked, record.changed) == ([1, 2], [1])
    assert asked == [[(6, 24), (6, 24)]]  # one batch, for the empty reads only
    unchanged, none = look_again(crops, first, LooksConfig(), read)
    assert unchanged == first and none == LookRecord(first=["12", "", ""]) and len(asked) == 1
    assert record.summary(["12", "5", "9"], [d.text for d in final]) == {
        "looked": 2,
        "changed": 1,
        "now_right": 1,
        "was_right": 0,
        "string_match_first_look": pytest.approx(1 / 3),
        "string_match": pytest.approx(2 / 3),
    }


def test_when_always_every_crop_is_read_from_every_cut_and_the_reads_vote() -> None:
    crops = [np.zeros((10, 30), np.uint8)] * 2
    first = [Decoded("12", 0.5, [0.5, 0.5]), Decoded("34", 0.9, [0.9, 0.9])]
    asked: list[int] = []

    def read(
        cuts: list[np.ndarray], first: int = 0
    ) -> list[Decoded]:  # crops 0 and 1 cut one way, then the other
        asked.append(len(cuts))
        return [Decoded("17", 0.3, [0.3]), Decoded("", 0.0, []), *[Decoded("17", 0.4, [0.4])] * 2]

    final, record = look_again(crops, first, LooksConfig(((0.0, 0.1), (0.05, 0.0))), read)
    assert asked == [4]
    assert [d.text for d in final] == ["17", "34"]  # 0.3 + 0.4 for "17" beats 0.5; 0.9 beats 0.4
    assert (record.looked, record.changed) == ([0, 1], [0])
    assert record.summary(["12", "34"], ["17", "34"])["was_right"] == 1

    # the predictor's path: the crops as cut and every other cut in one call, then the same vote
    def read_all(cuts: list[np.ndarray], first_looks: int) -> list[Decoded]:
        assert first_looks == 2  # the crops as cut come first
        asked.append(len(cuts))
        return [*first, *read(cuts[2:])]

    assert read_with_looks(crops, LooksConfig(((0.0, 0.1), (0.05, 0.0))), read_all) == (final, record)
    assert asked == [4, 6, 4]


@pytest.mark.parametrize("when", ["always", "empty"])
@pytest.mark.parametrize("insets", [(), ((0.1, 0.2),)])
def test_predictor_and_eval_read_the_same(insets: tuple, when: str, tmp_path: Path) -> None:
    model = ReadsBrightCrops().eval()
    cfg = config(LooksConfig(insets, when))
    predictor = Predictor(torch_forward(model, "cpu"), cfg, TOKENIZER, backend="torch", device="cpu")
    expected = "7" if insets else ""
    assert predictor.predict(framed_crop()).text == expected
    path = tmp_path / "crop.png"
    cv2.imwrite(str(path), framed_crop())
    reads = predict_rows(predictor, [LabelRow(path, "7")], progress=False)
    assert [d.text for d in reads.decoded] == [expected]
    assert reads.look.changed == ([0] if insets else [])
    assert reads.look.first == [""] and reads.look.looked == ([0] if insets else [])


def test_predict_looks_records_across_chunks_and_decodes_first_looks_apart() -> None:
    model = ReadsBrightCrops().eval()
    cfg = config(LooksConfig(((0.1, 0.2),), "always"))
    predictor = Predictor(torch_forward(model, "cpu"), cfg, TOKENIZER, backend="torch", device="cpu")
    bright = np.full((40, 120, 3), 255, np.uint8)
    crops = [framed_crop(), bright, framed_crop()]
    seen: list[int] = []

    def first_decoder(log_probs: torch.Tensor, tokenizer: Tokenizer) -> list[Decoded]:
        seen.append(len(log_probs))
        return tokenizer.decode_greedy(log_probs)

    reads = predictor.predict_looks(crops, batch_size=2, first_decoder=first_decoder)
    assert [p.text for p in reads.predictions] == ["7", "7", "7"]
    assert reads.look == LookRecord(first=["", "7", ""], looked=[0, 1, 2], changed=[0, 2])
    assert seen == [2, 1]  # first looks only, per chunk: the other cuts use the predictor's decoder
    assert predictor.predict_many(crops) == reads.predictions


def test_config_checks_the_insets_and_reads_old_checkpoints() -> None:
    looks = apply_overrides(Config(), ["looks.insets=[[0.0, 0.1], [0.03, 0]]"]).looks
    assert looks == LooksConfig(((0.0, 0.1), (0.03, 0.0)), "always")
    with pytest.raises(PlatocrError, match=r"looks\.insets"):
        apply_overrides(Config(), ["looks.insets=[[0.5, 0.1]]"])
    with pytest.raises(PlatocrError, match=r"looks\.insets\[0\]"):
        apply_overrides(Config(), ["looks.insets=[0.1]"])
    with pytest.raises(PlatocrError, match="looks.when"):
        apply_overrides(Config(), ["looks.when=sometimes"])
    # A checkpoint saved with ``second_look`` (before ``looks``) still loads, reading the same way.
    assert config_from_dict({"second_look": [0.0, 0.1]}).looks == LooksConfig(((0.0, 0.1),), "empty")
    assert config_from_dict({"second_look": None}).looks == LooksConfig()
