"""Tokenizer: encode/decode round trip, unknown characters, greedy CTC decoding and confidences."""

from __future__ import annotations

import numpy as np
import pytest

from platocr.errors import PlatocrError
from platocr.recognition.tokenizer import Tokenizer

VOCAB = "0123456789ABEKMHOPCTXY"


def test_round_trip_and_classes() -> None:
    tok = Tokenizer(VOCAB)
    assert tok.num_classes == len(VOCAB) + 1 and tok.blank == 0
    ids = tok.encode("A123BC77")
    assert 0 not in ids and ids[0] == VOCAB.index("A") + 1
    assert tok.decode_indices(ids) == "A123BC77"
    assert tok.encode("") == []


def test_unknown_char_is_named() -> None:
    tok = Tokenizer(VOCAB)
    assert tok.unknown_chars("A12Z3я") == {"Z", "я"}
    with pytest.raises(PlatocrError, match="'Zя'|'яZ'"):
        tok.encode("A12Z3я")


def test_vocab_rules() -> None:
    assert Tokenizer.vocab_from_texts(["B21", "A1", ""]) == "12AB"
    with pytest.raises(PlatocrError, match="repeats"):
        Tokenizer("0120")
    with pytest.raises(PlatocrError, match="empty"):
        Tokenizer("")


def _log_probs(frames: list[int | None], num_classes: int, peak: float = 0.9) -> np.ndarray:
    """(1, T, C) float32 log-probs whose argmax per frame is ``frames[t]`` (None = blank) with prob ``peak``."""
    rest = (1 - peak) / (num_classes - 1)
    probs = np.full((1, len(frames), num_classes), rest, dtype=np.float32)
    for t, label in enumerate(frames):
        probs[0, t, 0 if label is None else label] = peak
    return np.log(probs)


# frames use 1-based class ids of vocab "0123456789" (class k = digit k-1); None = blank
@pytest.mark.parametrize(
    ("frames", "text"),
    [
        ([2, 2, 2], "1"),  # a run of one class is one character
        ([2, None, 2], "11"),  # a blank separates true repeats
        ([2, 2, None, None, 3, 3, None, 2], "121"),
        ([None, 1, None, 1, 1, None], "00"),
        ([None, None, None], ""),  # all blank -> empty
        ([4, 5, 6], "345"),
    ],
)
def test_greedy_decode_table(frames: list[int | None], text: str) -> None:
    tok = Tokenizer("0123456789")
    (decoded,) = tok.decode_greedy(_log_probs(frames, tok.num_classes))
    assert decoded.text == text
    assert len(decoded.char_confidences) == len(text)
    assert 0 < decoded.confidence <= 1
    assert all(0 < c <= 1 for c in decoded.char_confidences)


def test_confidences_take_the_best_frame_of_a_run() -> None:
    tok = Tokenizer("0123456789")
    log_probs = _log_probs([2, 2, None, 3], tok.num_classes, peak=0.6)
    log_probs[0, 1] = _log_probs([2], tok.num_classes, peak=0.95)[0, 0]  # the run's second frame is surer
    (decoded,) = tok.decode_greedy(log_probs)
    assert decoded.text == "12"
    assert decoded.char_confidences == pytest.approx([0.95, 0.6])
    assert decoded.confidence == pytest.approx(0.95 * 0.6)


def test_empty_text_confidence_is_mean_blank_probability() -> None:
    tok = Tokenizer("01")
    (decoded,) = tok.decode_greedy(_log_probs([None, None], tok.num_classes, peak=0.8))
    assert decoded.text == "" and decoded.confidence == pytest.approx(0.8)


def test_batch_and_shape_check() -> None:
    tok = Tokenizer("0123456789")
    batch = np.concatenate([_log_probs([2, None, 3], 11), _log_probs([None, None, None], 11)])
    assert [d.text for d in tok.decode_greedy(batch)] == ["12", ""]
    assert [d.text for d in tok.decode_greedy(batch.astype(np.float64))] == ["12", ""]
    with pytest.raises(PlatocrError, match=r"\(B, T, 11\)"):
        tok.decode_greedy(np.zeros((3, 5), np.float32))
    with pytest.raises(PlatocrError, match=r"\(B, T, 11\)"):
        tok.decode_greedy(np.zeros((1, 3, 5), np.float32))
