"""CTC decoders: beam vs greedy, the summed-paths case, EAN check digits, Russian plate formats,
the registry, and the wiring into Predictor and ``platocr eval``."""

from __future__ import annotations

import json
import typing
from pathlib import Path

import numpy as np
import pytest
from conftest import write_tiny_crops
from test_predictor import crops
from test_predictor import gru_checkpoint as checkpoint  # noqa: F401  session fixture shared with test_predictor
from typer.testing import CliRunner

from platocr.cli import app
from platocr.errors import PlatocrError
from platocr.formats.ean import complete_code
from platocr.recognition.config import Decoder, load_config
from platocr.recognition.decoding import (
    NO_READ,
    beam_nbest,
    candidates,
    get_decoder,
    is_plate_ru,
    is_valid_ean,
    list_decoders,
)
from platocr.recognition.tokenizer import Tokenizer

DIGITS = Tokenizer("0123456789")
PLATE = Tokenizer("0123456789ABCEHKMOPTXY")


def frames_for(
    tokenizer: Tokenizer, text: str, ambiguous: dict[int, dict[str, float]] | None = None
) -> np.ndarray:
    """(1, T, C) float32 log-probs: each character on one certain frame followed by a certain blank
    frame; ``ambiguous[i]`` replaces character ``i``'s frame by the given {char: probability} mix
    ("" = blank)."""
    rows = []
    for i, char in enumerate(text):
        frame = np.zeros(tokenizer.num_classes, np.float32)
        for c, p in (ambiguous or {}).get(i, {char: 1.0}).items():
            frame[tokenizer.encode(c)[0] if c else tokenizer.blank] = p
        blank = np.zeros(tokenizer.num_classes, np.float32)
        blank[tokenizer.blank] = 1.0
        rows += [frame, blank]
    with np.errstate(divide="ignore"):  # log(0) = -inf: an impossible class
        return np.log(np.stack(rows))[None]


def test_beam_equals_greedy_on_peaked_distributions() -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, DIGITS.num_classes, (6, 40))
    labels[0, 10:14] = 3  # a run of one character, then the same character again after a blank
    labels[0, 14], labels[0, 15] = DIGITS.blank, 3
    probs = np.full((6, 40, DIGITS.num_classes), 0.002, np.float32)
    np.put_along_axis(probs, labels[..., None], 0.98, axis=-1)
    log_probs = np.log(probs / probs.sum(-1, keepdims=True))
    greedy, beam = DIGITS.decode_greedy(log_probs), get_decoder("beam")(log_probs, DIGITS)
    assert [d.text for d in beam] == [d.text for d in greedy]
    assert "22" in greedy[0].text  # class 3 = "2"
    for g, b in zip(greedy, beam, strict=True):
        assert b.confidence == pytest.approx(g.confidence, rel=1e-5)
        assert b.char_confidences == pytest.approx(g.char_confidences, rel=1e-5)


def test_beam_sums_paths_and_beats_the_best_path() -> None:
    # Two frames, P(blank) = 0.6, P(A) = 0.4: the best path is blank-blank (0.36) but "A" has three
    # alignments (AA, A-, -A) worth 0.16 + 0.24 + 0.24 = 0.64.
    tokenizer = Tokenizer("A")
    log_probs = np.log(np.array([[[0.6, 0.4], [0.6, 0.4]]], np.float32))
    assert tokenizer.decode_greedy(log_probs)[0].text == ""
    nbest = beam_nbest(log_probs, tokenizer)[0]
    assert [d.text for d in nbest] == ["A", ""]
    assert nbest[0].char_confidences == pytest.approx([0.4])
    assert get_decoder("beam")(log_probs, tokenizer)[0].text == "A"


def test_checksum_ean_picks_the_valid_candidate_or_no_read() -> None:
    code = complete_code("400638133393", "ean13")
    wrong = "7" if code[5] != "7" else "2"
    fixable = frames_for(DIGITS, code, {5: {wrong: 0.6, code[5]: 0.4}})
    assert DIGITS.decode_greedy(fixable)[0].text != code  # greedy reads the wrong digit
    read = get_decoder("checksum-ean")(fixable, DIGITS)[0]
    assert read.text == code and is_valid_ean(read.text)
    assert read.confidence == pytest.approx(0.4)
    others = [d for d in "0123456789" if d != code[5]][:2]
    hopeless = frames_for(DIGITS, code, {5: {others[0]: 0.6, others[1]: 0.4}})
    assert [d.text for d in candidates(hopeless, DIGITS)[0][0]] == [
        code[:5] + others[0] + code[6:],
        code[:5] + others[1] + code[6:],
    ]
    assert get_decoder("checksum-ean")(hopeless, DIGITS) == [NO_READ]


def test_plate_ru_prefers_the_plate_format_and_keeps_odd_formats() -> None:
    decode = get_decoder("plate-ru")
    series = frames_for(PLATE, "B123BC77", {0: {"8": 0.6, "B": 0.4}})
    assert PLATE.decode_greedy(series)[0].text == "8123BC77"
    assert decode(series, PLATE)[0].text == "B123BC77"
    region = frames_for(PLATE, "A123BC01", {7: {"0": 0.6, "1": 0.4}})  # region 00 does not exist
    assert decode(region, PLATE)[0].text == "A123BC01"
    odd_region = frames_for(PLATE, "A001CC172", {8: {"2": 0.99, "": 0.01}})  # 172 is no region code
    assert decode(odd_region, PLATE)[0].text == "A001CC172"  # "A001CC17" fits but is 99x less likely
    taxi = frames_for(PLATE, "AB12377", {1: {"8": 0.6, "B": 0.4}})  # no candidate is a standard plate
    assert decode(taxi, PLATE)[0].text == "A812377"
    negative = np.full((1, 6, PLATE.num_classes), 1e-4, np.float32)
    negative[..., 0] = 0.99
    negative = np.log(negative)
    assert decode(negative, PLATE)[0].text == ""  # the empty top read stays a negative
    assert is_plate_ru("A123BC777") and not is_plate_ru("A123BC770") and not is_plate_ru("AB12377")


def test_format_aware_decoders_skip_the_beam_only_where_greedy_is_the_answer() -> None:
    """A batch of settled rows (greedy already a plate / a valid code / empty) and open ones decodes
    exactly as the candidates rule applied to every row of the whole batch."""
    plate_rows = [frames_for(PLATE, "B123BC77", {0: {"8": 0.6, "B": 0.4}}), frames_for(PLATE, "A123BC77"),
                  frames_for(PLATE, "A123BC01", {7: {"0": 0.6, "1": 0.4}}),
                  frames_for(PLATE, "AB123777", {1: {"8": 0.6, "B": 0.4}})]  # fmt: skip
    negative = np.log(np.full((1, 16, PLATE.num_classes), 1e-4, np.float32))
    negative[..., 0] = np.log(0.99)
    plates = np.concatenate([*plate_rows, negative])
    rule = [row[0] if not row[0].text else next((d for d in row if is_plate_ru(d.text)), best)
            for row, best in candidates(plates, PLATE)]  # fmt: skip
    assert get_decoder("plate-ru")(plates, PLATE) == rule
    assert [r.text for r in rule] == ["B123BC77", "A123BC77", "A123BC01", "A8123777", ""]
    code = complete_code("400638133393", "ean13")
    wrong, others = "7" if code[5] != "7" else "2", [d for d in "0123456789" if d != code[5]][:2]
    codes = np.concatenate([frames_for(DIGITS, code, {5: {wrong: 0.6, code[5]: 0.4}}), frames_for(DIGITS, code),
                            frames_for(DIGITS, code, {5: {others[0]: 0.6, others[1]: 0.4}})])  # fmt: skip
    rule = [next((d for d in row if is_valid_ean(d.text)), NO_READ) for row, _ in candidates(codes, DIGITS)]
    assert get_decoder("checksum-ean")(codes, DIGITS) == rule and [r.text for r in rule] == [code, code, ""]


def test_registry_and_config_agree() -> None:
    assert list_decoders() == list(typing.get_args(Decoder))
    with pytest.raises(PlatocrError, match="unknown decoder 'viterbi'.*greedy, beam, checksum-ean, plate-ru"):
        get_decoder("viterbi")
    assert load_config(None, ["decode=plate-ru"]).decode == "plate-ru"
    with pytest.raises(PlatocrError, match="'decode' must be one of"):
        load_config(None, ["decode=viterbi"])
    for name in list_decoders():
        with pytest.raises(PlatocrError, match=r"\(B, T, 11\)"):
            get_decoder(name)(np.zeros((1, 4, 5), np.float32), DIGITS)


def test_predictor_decode_override(checkpoint: Path) -> None:  # noqa: F811
    from platocr import Predictor
    from platocr.recognition.checkpoint import load_checkpoint

    images = crops(4, seed=3)
    beam = Predictor.load(checkpoint, device="cpu", decode="beam")
    assert beam.decode == "beam" and len(beam.predict(images)) == 4
    loaded = load_checkpoint(checkpoint)
    assert Predictor.from_loaded(loaded).decode == "greedy"  # the checkpoint config's
    checksum = Predictor.from_loaded(loaded, decode="checksum-ean")
    for p in checksum.predict(images):
        assert (p.text == "" and p.confidence == 0.0) or is_valid_ean(p.text)
    with pytest.raises(PlatocrError, match="unknown decoder 'nope'"):
        Predictor.from_loaded(loaded, decode="nope")


def test_eval_cli_decode_and_compare(checkpoint: Path, tmp_path: Path) -> None:  # noqa: F811
    labels = write_tiny_crops(tmp_path / "val", 6, seed=4)
    out = tmp_path / "eval.json"
    runner = CliRunner()
    args = ["eval", str(checkpoint), str(labels), "--no-progress", "--json", str(out)]
    result = runner.invoke(app, [*args, "--decode", "beam", "--compare-decoders"])
    assert result.exit_code == 0, result.output
    assert "beam" in result.output and "checksum-ean" in result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["decode"] == "beam"
    compared = report["compare_decoders"]
    assert list(compared) == list_decoders()
    assert compared["beam"]["string_match"] == report["string_match"]
    checksum = compared["checksum-ean"]
    # The tiny labels (3-5 characters) are no EAN codes: every checksum-ean read is wrong or NO READ.
    assert checksum["string_match"] == 0.0 and checksum["wrong_reads"] == checksum["reads"]
    assert checksum["no_reads"] == 6 - checksum["reads"]
    assert set(checksum["vs_greedy"]) >= {"wrong_to_no_read", "right_to_no_read"}
    assert checksum["vs_greedy"]["wrong_to_right"] == 0
    result = runner.invoke(app, [*args, "--decode", "viterbi"])
    assert result.exit_code == 2 and "unknown decoder 'viterbi'" in result.output


def test_beam_prefix_probabilities_match_brute_force() -> None:
    """Without pruning, the beam's prefix scores are the exact sums over all CTC alignments."""
    import itertools
    import math

    import torch  # the frames this test was written with (a width-3 beam is exact on these)

    tokenizer = Tokenizer("AB")
    log_probs = torch.randn(1, 4, 3, generator=torch.Generator().manual_seed(1)).log_softmax(-1).numpy()
    exact: dict[str, float] = {}
    for path in itertools.product(range(3), repeat=4):
        collapsed = [c for i, c in enumerate(path) if c and (i == 0 or c != path[i - 1])]
        text = tokenizer.decode_indices(collapsed)
        exact[text] = exact.get(text, 0.0) + math.exp(
            sum(float(log_probs[0, t, c]) for t, c in enumerate(path))
        )
    from platocr.recognition.decoding import _beam_one

    frames = log_probs[0]
    order = np.argsort(-frames, axis=-1)
    top = np.take_along_axis(frames, order, axis=-1)
    beam = _beam_one(top.tolist(), order.tolist(), frames[:, 0].tolist(), 100, -math.inf)
    found = {tokenizer.decode_indices(labels): math.exp(entry.total) for labels, entry in beam}
    assert found == pytest.approx(exact)
    ranked = [d.text for d in beam_nbest(log_probs, tokenizer, width=3, min_prob=0.0)[0]]
    assert ranked == sorted(exact, key=exact.get, reverse=True)[:3]
