"""Multi-crop voting: crops are read from extra crops too and the reads vote, the same way in the predictor
and in eval; configs and shipped models saved with ``looks`` (or ``second_look``) still read the same."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from torch import nn

from platocr.data.labels import LabelRow
from platocr.errors import PlatocrError
from platocr.recognition.config import Config, InputConfig, VotingConfig, apply_overrides, config_from_dict
from platocr.recognition.prediction import Prediction
from platocr.recognition.predictor import Predictor, torch_forward
from platocr.recognition.tokenizer import Tokenizer
from platocr.recognition.voting import VotingRecord, inset, read_with_voting, vote, vote_with_extra_crops
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
    """40x120 white crop inside an 8-pixel black frame: dark as a whole, white once cropped 20% tighter."""
    crop = np.zeros((40, 120, 3), np.uint8)
    crop[8:32, 8:112] = 255
    return crop


def config(voting: VotingConfig) -> Config:
    return Config(input=InputConfig(height=32, width=96), voting=voting)


def test_inset_trims_each_side_and_keeps_at_least_a_pixel() -> None:
    image = np.arange(100 * 200).reshape(100, 200)
    assert inset(image, 0.1, 0.05).shape == (90, 160)
    assert np.array_equal(inset(image, 0.1, 0.05), image[5:95, 20:180])
    assert inset(image, 0.0, 0.0).shape == image.shape
    assert inset(np.zeros((2, 3)), 0.49, 0.49).shape == (2, 1)
    with pytest.raises(PlatocrError, match=r"\[0, 0\.5\)"):
        inset(image, 0.5, 0.0)


def test_vote_sums_confidence_per_text_and_skips_empty_reads() -> None:
    a, b, c = Prediction("12", 0.5, (0.5,)), Prediction("13", 0.3, (0.3,)), Prediction("13", 0.4, (0.4,))
    assert vote([a, b, c]) is c  # 0.7 for "13" beats 0.5; its most confident read
    assert vote([Prediction("", 0.9), a]) is a
    assert vote([a, Prediction("13", 0.5, (0.5,))]) is a  # a tie goes to the earlier text
    empty = Prediction("", 0.9)
    assert vote([empty, Prediction("", 0.1)]) is empty


def test_when_empty_only_empty_reads_vote() -> None:
    crops = [np.full((10, 30), v, np.uint8) for v in (0, 1, 2)]
    first = [Prediction("12", 0.9, (0.9, 0.9)), Prediction("", 0.8), Prediction("", 0.7)]
    asked: list[list[tuple[int, ...]]] = []

    def read(extra: list[np.ndarray], first: int) -> list[Prediction]:
        assert first == 0  # only extra crops: the first reads are given
        asked.append([c.shape for c in extra])
        return [Prediction("5", 0.6, (0.6,)), Prediction("", 0.5)]  # crop 1 reads, crop 2 still does not

    final, record = vote_with_extra_crops(crops, first, VotingConfig(((0.1, 0.2),), "empty"), read)
    assert [d.text for d in final] == ["12", "5", ""]
    assert final[2].confidence == 0.7  # a still-empty extra crop keeps the first read
    assert (record.voted, record.changed) == ([1, 2], [1])
    assert asked == [[(6, 24), (6, 24)]]  # one batch, for the empty reads only
    unchanged, none = vote_with_extra_crops(crops, first, VotingConfig(), read)
    assert unchanged == first and none == VotingRecord(first=["12", "", ""]) and len(asked) == 1
    assert record.summary(["12", "5", "9"], [d.text for d in final]).as_dict() == {
        "voted": 2,
        "changed": 1,
        "now_right": 1,
        "was_right": 0,
        "string_match_first_crop": pytest.approx(1 / 3),
        "string_match": pytest.approx(2 / 3),
    }


def test_when_always_every_crop_is_read_from_every_extra_crop_and_the_reads_vote() -> None:
    crops = [np.zeros((10, 30), np.uint8)] * 2
    first = [Prediction("12", 0.5, (0.5, 0.5)), Prediction("34", 0.9, (0.9, 0.9))]
    asked: list[int] = []

    def read(
        extra: list[np.ndarray], first: int = 0
    ) -> list[Prediction]:  # crops 0 and 1 at one inset, then at the other
        asked.append(len(extra))
        return [Prediction("17", 0.3, (0.3,)), Prediction("", 0.0), *[Prediction("17", 0.4, (0.4,))] * 2]

    final, record = vote_with_extra_crops(crops, first, VotingConfig(((0.0, 0.1), (0.05, 0.0))), read)
    assert asked == [4]
    assert [d.text for d in final] == ["17", "34"]  # 0.3 + 0.4 for "17" beats 0.5; 0.9 beats 0.4
    assert (record.voted, record.changed) == ([0, 1], [0])
    assert record.summary(["12", "34"], ["17", "34"]).was_right == 1

    # the predictor's path: the crops as cut and every extra crop in one call, then the same vote
    def read_all(images: list[np.ndarray], as_cut: int) -> list[Prediction]:
        assert as_cut == 2  # the crops as cut come first
        asked.append(len(images))
        return [*first, *read(images[2:])]

    assert read_with_voting(crops, VotingConfig(((0.0, 0.1), (0.05, 0.0))), read_all) == (final, record)
    assert asked == [4, 6, 4]


@pytest.mark.parametrize("when", ["always", "empty"])
@pytest.mark.parametrize("crops", [(), ((0.1, 0.2),)])
def test_predictor_and_eval_read_the_same(crops: tuple, when: str, tmp_path: Path) -> None:
    model = ReadsBrightCrops().eval()
    cfg = config(VotingConfig(crops, when))
    predictor = Predictor(torch_forward(model, "cpu"), cfg, TOKENIZER, backend="torch", device="cpu")
    expected = "7" if crops else ""
    assert predictor.predict(framed_crop()).text == expected
    path = tmp_path / "crop.png"
    cv2.imwrite(str(path), framed_crop())
    reads = predict_rows(predictor, [LabelRow(path, "7")], progress=False)
    assert [d.text for d in reads.decoded] == [expected]
    assert reads.voting.changed == ([0] if crops else [])
    assert reads.voting.first == [""] and reads.voting.voted == ([0] if crops else [])


def test_predict_with_voting_records_across_chunks_and_decodes_the_crops_as_cut_apart() -> None:
    model = ReadsBrightCrops().eval()
    cfg = config(VotingConfig(((0.1, 0.2),), "always"))
    predictor = Predictor(torch_forward(model, "cpu"), cfg, TOKENIZER, backend="torch", device="cpu")
    bright = np.full((40, 120, 3), 255, np.uint8)
    crops = [framed_crop(), bright, framed_crop()]
    seen: list[int] = []

    def first_decoder(log_probs: torch.Tensor, tokenizer: Tokenizer) -> list[Prediction]:
        seen.append(len(log_probs))
        return tokenizer.decode_greedy(log_probs)

    reads = predictor.predict_with_voting(crops, batch_size=2, first_decoder=first_decoder)
    assert [p.text for p in reads.predictions] == ["7", "7", "7"]
    assert reads.voting == VotingRecord(first=["", "7", ""], voted=[0, 1, 2], changed=[0, 2])
    assert seen == [2, 1]  # the crops as cut only, per chunk: the extra crops use the predictor's decoder
    assert predictor.predict_many(crops) == reads.predictions


def test_config_checks_the_crops() -> None:
    voting = apply_overrides(Config(), ["voting.crops=[[0.0, 0.1], [0.03, 0]]"]).voting
    assert voting == VotingConfig(((0.0, 0.1), (0.03, 0.0)), "always")
    with pytest.raises(PlatocrError, match=r"voting\.crops"):
        apply_overrides(Config(), ["voting.crops=[[0.5, 0.1]]"])
    with pytest.raises(PlatocrError, match=r"voting\.crops\[0\]"):
        apply_overrides(Config(), ["voting.crops=[0.1]"])
    with pytest.raises(PlatocrError, match=r"voting\.when"):
        apply_overrides(Config(), ["voting.when=sometimes"])


def test_the_older_names_of_voting_still_load_and_set_the_same() -> None:
    """``looks: {insets, when}`` (the shipped models' checkpoints and ONNX metadata) and ``second_look``
    (before it) are read as ``voting``; ``--set looks.insets`` / ``looks.when`` set ``voting``."""
    voting = VotingConfig(((0.0, 0.1), (0.03, 0.0)), "empty")
    assert config_from_dict({"looks": {"insets": [[0.0, 0.1], [0.03, 0]], "when": "empty"}}).voting == voting
    assert config_from_dict({"voting": {"crops": [[0.0, 0.1], [0.03, 0]], "when": "empty"}}).voting == voting
    assert config_from_dict({"looks": {"insets": []}}).voting == VotingConfig()
    old = apply_overrides(Config(), ["looks.insets=[[0.0, 0.1], [0.03, 0]]", "looks.when=empty"])
    assert old == apply_overrides(Config(), ["voting.crops=[[0.0, 0.1], [0.03, 0]]", "voting.when=empty"])
    assert old.voting == voting
    with pytest.raises(PlatocrError, match=r"voting\.crops"):
        apply_overrides(Config(), ["looks.insets=[[0.5, 0.1]]"])
    with pytest.raises(PlatocrError, match="voting and looks"):
        config_from_dict({"voting": {}, "looks": {}})
    with pytest.raises(PlatocrError, match=r"unknown key 'voting\.inset'"):
        config_from_dict({"looks": {"inset": []}})
    # A checkpoint saved with ``second_look`` (before ``looks``) still loads, reading the same way.
    assert config_from_dict({"second_look": [0.0, 0.1]}).voting == VotingConfig(((0.0, 0.1),), "empty")
    assert config_from_dict({"second_look": None}).voting == VotingConfig()


@pytest.mark.parametrize("name", ["plates-ru"])  # barcodes-ean was saved again after the rename
def test_shipped_models_saved_with_looks_vote_as_they_say(name: str) -> None:
    """A shipped .pt and .onnx saved before the rename keep ``looks``; both load it as ``voting`` and
    read each crop as the crop as cut and its extra crops voting."""
    import json

    from platocr.recognition.checkpoint import read_checkpoint
    from platocr.recognition.onnx_export import onnx_metadata_props
    from platocr.recognition.zoo import MODELS_DIR

    saved = read_checkpoint(MODELS_DIR / f"{name}.pt")["config"]
    metadata = json.loads(onnx_metadata_props((MODELS_DIR / f"{name}.onnx").read_bytes())["platocr.config"])
    for raw in (saved, metadata):
        assert "looks" in raw and "voting" not in raw  # the files are not rewritten
    looks = saved["looks"]
    expected = VotingConfig(tuple(tuple(crop) for crop in looks["insets"]), looks["when"])
    assert expected.crops and expected.when == "always"
    rng = np.random.default_rng(0)
    crops = [rng.integers(0, 256, (48, 160, 3), dtype=np.uint8) for _ in range(3)] + [framed_crop()]
    for backend in ("torch", "onnx"):
        predictor = Predictor.load(name, device="cpu", backend=backend, int8=False)
        assert predictor.config.voting == expected
        reads = predictor.predict_with_voting(crops)
        # The same reads by hand: each crop and its extra crops read alone, then the vote.
        predictor.config = dataclasses.replace(predictor.config, voting=VotingConfig())
        for crop, got in zip(crops, reads.predictions, strict=True):
            alone = [predictor.predict(image) for image in [crop, *(inset(crop, *c) for c in expected.crops)]]
            by_hand = vote(alone)
            assert got.text == by_hand.text
            assert got.confidence == pytest.approx(by_hand.confidence, abs=1e-4)


def test_barcodes_ean_is_saved_with_voting_and_its_floor() -> None:
    import json

    from platocr.recognition.checkpoint import read_checkpoint
    from platocr.recognition.onnx_export import onnx_metadata_props
    from platocr.recognition.zoo import MODELS_DIR

    saved = read_checkpoint(MODELS_DIR / "barcodes-ean.pt")["config"]
    metadata = json.loads(
        onnx_metadata_props((MODELS_DIR / "barcodes-ean.onnx").read_bytes())["platocr.config"]
    )
    for raw in (saved, metadata):
        assert "looks" not in raw and raw["voting"] == {"crops": [[0.0, 0.1], [0.03, 0.0]], "when": "always"}
        assert raw["min_confidence"] == 0.13 and raw["train"]["init"] is None
    assert Predictor.load("barcodes-ean").min_confidence == 0.13
