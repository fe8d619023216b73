"""CTC decoders selected by ``Config.decode`` (``greedy | beam | checksum-ean | plate-ru``).

Every decoder is a function ``(log_probs (B, T, C) float numpy array, tokenizer) -> list[Prediction]``;
look one up with :func:`get_decoder`. The format-aware decoders choose among the greedy read and the
n-best list of a CTC prefix beam search with the text's own rules, considering only texts at least
``CANDIDATE_MIN_RATIO`` (5%) as probable as the beam's best: a far less likely text that fits the
format (a dropped digit of a right read, say) is a guess, not a correction.

- ``greedy``: :meth:`Tokenizer.decode_greedy` (best path).
- ``beam``: CTC prefix beam search (width 8), which sums the probability of every alignment of a
  prefix, so a text spread over several likely paths can beat the single best path.
- ``checksum-ean``: the first candidate (greedy string first, then the beam's n-best) whose EAN/UPC
  check digit is valid (8 = EAN-8 or UPC-E, 12 = UPC-A, 13 = EAN-13 digits); none valid -> NO READ
  (empty text, confidence 0): a barcode read with one wrong digit is worse than no read.
- ``plate-ru``: an empty greedy read stays empty (a negative); otherwise the first candidate that is
  a Russian plate (series letter, 3 digits, 2 letters, valid 2-3 digit region code); when none is,
  the beam's best candidate, so that plates of other formats (taxi, transit, police) are still read.

Confidences are defined the same way for every decoder, so thresholds carry over between them:
a character's confidence is the highest probability it gets among the frames that emit it along
the most probable alignment kept for the prefix (greedy: the argmax run), the string confidence is
the product of the character confidences, and an empty string's is the mean blank probability.
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Callable
from operator import itemgetter
from typing import Any

import numpy as np

from platocr.errors import PlatocrError
from platocr.formats.ean import check_digit_valid
from platocr.formats.plates_ru import PLATE_LETTERS, is_region_code
from platocr.recognition.prediction import Prediction
from platocr.recognition.tokenizer import Tokenizer, as_log_probs

# (B, T, C) log-probabilities, tokenizer -> B reads.
Decoder = Callable[[np.ndarray, Tokenizer], list[Prediction]]

BEAM_WIDTH = 8
# A frame's characters below this probability are never extended (besides the top-k cut): they
# rarely reach the n-best list of a trained model but would multiply the work on flat frames.
CHAR_MIN_PROB = 1e-3
# A format-aware decoder only considers beam texts at least this fraction as probable as the best.
CANDIDATE_MIN_RATIO = 0.05
NO_READ = Prediction("", 0.0)
_NEG_INF = -math.inf


def _logaddexp(a: float, b: float) -> float:
    if a == _NEG_INF:
        return b
    if b == _NEG_INF:
        return a
    if a < b:
        a, b = b, a
    return a + math.log1p(math.exp(b - a))


class _Prefix:
    """Beam entry: log-probabilities of the prefix ending in blank / in its last character, and the
    character confidences of its most probable contribution so far."""

    __slots__ = ("blank", "char", "confs", "best")

    def __init__(self) -> None:
        self.blank = _NEG_INF
        self.char = _NEG_INF
        self.confs: tuple[float, ...] = ()
        self.best = _NEG_INF  # log-probability of the contribution ``confs`` came from

    def add(self, log_prob: float, confs: tuple[float, ...], *, ends_in_blank: bool) -> None:
        if log_prob == _NEG_INF:
            return
        if ends_in_blank:
            self.blank = _logaddexp(self.blank, log_prob)
        else:
            self.char = _logaddexp(self.char, log_prob)
        if log_prob > self.best:
            self.best, self.confs = log_prob, confs

    @property
    def total(self) -> float:
        return _logaddexp(self.blank, self.char)


def _beam_one(
    top_lp: list[list[float]], top_idx: list[list[int]], blank_lp: list[float], width: int, min_lp: float
) -> list[tuple[tuple[int, ...], _Prefix]]:
    """Prefix beam search over one row: per frame t the top-k classes ``top_idx[t]`` with log-probs
    ``top_lp[t]`` and the blank log-prob ``blank_lp[t]``. Returns (labels, entry), best first."""
    blank = Tokenizer.blank
    start = _Prefix()
    start.blank, start.best = 0.0, 0.0
    beam: list[tuple[float, tuple[int, ...], _Prefix]] = [(0.0, (), start)]  # (total, labels, entry)
    for lps, idxs, lp_blank in zip(top_lp, top_idx, blank_lp, strict=True):
        chars = [
            (c, lp, math.exp(lp)) for c, lp in zip(idxs, lps, strict=True) if c != blank and lp >= min_lp
        ]
        following: dict[tuple[int, ...], _Prefix] = {}
        for total, labels, entry in beam:
            same = following.get(labels)
            if same is None:
                same = following[labels] = _Prefix()
            same.add(total + lp_blank, entry.confs, ends_in_blank=True)
            last = labels[-1] if labels else None
            for c, lp, prob in chars:
                longer = labels + (c,)
                extended = following.get(longer)
                if extended is None:
                    extended = following[longer] = _Prefix()
                if c == last:
                    # Repeat without a blank in between: the same character continues (collapsed)...
                    repeat_confs = (*entry.confs[:-1], max(entry.confs[-1], prob))
                    same.add(entry.char + lp, repeat_confs, ends_in_blank=False)
                    # ...and only a path ending in blank can start a second copy of it.
                    extended.add(entry.blank + lp, (*entry.confs, prob), ends_in_blank=False)
                else:
                    extended.add(total + lp, (*entry.confs, prob), ends_in_blank=False)
        scored = [(entry.total, labels, entry) for labels, entry in following.items()]
        if len(scored) > width:
            scored = heapq.nlargest(width, scored, key=itemgetter(0))
        beam = [item for item in scored if item[0] > _NEG_INF]
    return [(labels, entry) for _, labels, entry in sorted(beam, key=itemgetter(0), reverse=True)]


def beam_scored(
    log_probs: np.ndarray,
    tokenizer: Tokenizer,
    *,
    width: int = BEAM_WIDTH,
    top_k: int | None = None,
    min_prob: float = CHAR_MIN_PROB,
) -> list[list[tuple[Prediction, float]]]:
    """CTC prefix beam search: the n-best texts of each row with their log-probabilities (summed
    over every alignment), most probable first.

    Args:
        log_probs: (B, T, C) float log-probabilities.
        width: prefixes kept after each frame (n of the n-best).
        top_k: classes considered per frame (default ``width``); characters below ``min_prob`` are
            skipped too, so confident frames cost one extension per prefix.

    Returns:
        B lists of up to ``width`` (:class:`Prediction`, log-probability) pairs.
    """
    if width < 1:
        raise PlatocrError(f"beam width must be >= 1, got {width}")
    frames = as_log_probs(log_probs, tokenizer.num_classes, "beam search")
    k = min(top_k or width, tokenizer.num_classes)
    # (B, T, k) each, most probable first: one batched sort (C is small), then plain floats.
    top_idx = np.argsort(-frames, axis=-1, kind="stable")[..., :k]
    top_lp = np.take_along_axis(frames, top_idx, axis=-1)
    blank_lp = frames[..., tokenizer.blank]  # (B, T)
    min_lp = math.log(min_prob) if min_prob > 0 else _NEG_INF
    results = []
    for b in range(frames.shape[0]):
        beam = _beam_one(top_lp[b].tolist(), top_idx[b].tolist(), blank_lp[b].tolist(), width, min_lp)
        empty_conf = float(np.exp(blank_lp[b]).mean()) if frames.shape[1] else 0.0
        row = []
        for labels, entry in beam:
            conf = math.prod(entry.confs) if labels else empty_conf
            row.append((Prediction(tokenizer.decode_indices(labels), conf, entry.confs), entry.total))
        results.append(row)
    return results


def beam_nbest(log_probs: np.ndarray, tokenizer: Tokenizer, **options: Any) -> list[list[Prediction]]:
    """The n-best texts of each row, most probable first (options: see :func:`beam_scored`)."""
    return [[d for d, _ in row] for row in beam_scored(log_probs, tokenizer, **options)]


def candidates(
    log_probs: np.ndarray, tokenizer: Tokenizer, *, min_ratio: float = CANDIDATE_MIN_RATIO
) -> list[tuple[list[Prediction], Prediction]]:
    """Per row: (the candidates a format rule may choose from, the beam's best read).

    The candidates are the greedy read first, then the beam's n-best texts not already listed
    whose probability is at least ``min_ratio`` times the beam's best (a far less likely text that
    happens to fit the format is a guess, not a correction).
    """
    rows = []
    log_probs = as_log_probs(log_probs, tokenizer.num_classes, "candidates")  # once for both passes
    greedy = tokenizer.decode_greedy(log_probs)
    for first, scored in zip(greedy, beam_scored(log_probs, tokenizer), strict=True):
        floor = scored[0][1] + math.log(min_ratio) if scored else _NEG_INF
        seen, row = {first.text}, [first]
        for decoded, log_prob in scored:
            if decoded.text not in seen and log_prob >= floor:
                seen.add(decoded.text)
                row.append(decoded)
        rows.append((row, scored[0][0] if scored else first))
    return rows


def decode_greedy(log_probs: np.ndarray, tokenizer: Tokenizer) -> list[Prediction]:
    """Best path decoding: :meth:`Tokenizer.decode_greedy`."""
    return tokenizer.decode_greedy(log_probs)


def decode_beam(log_probs: np.ndarray, tokenizer: Tokenizer) -> list[Prediction]:
    """The most probable prefix of each row (see :func:`beam_scored`)."""
    return [row[0][0] if row else NO_READ for row in beam_scored(log_probs, tokenizer)]


def is_valid_ean(text: str) -> bool:
    """An EAN-13 / UPC-A / EAN-8 / UPC-E digit string with a correct check digit."""
    return check_digit_valid(text)


def decode_checksum_ean(log_probs: np.ndarray, tokenizer: Tokenizer) -> list[Prediction]:
    """The first candidate with a valid EAN/UPC check digit, else NO READ (see the module doc)."""
    return _format_aware(
        log_probs, tokenizer, settled=lambda greedy: is_valid_ean(greedy.text),
        choose=lambda row, _: next((d for d in row if is_valid_ean(d.text)), NO_READ),
    )  # fmt: skip


def _format_aware(
    log_probs: np.ndarray,
    tokenizer: Tokenizer,
    *,
    settled: Callable[[Prediction], bool],
    choose: Callable[[list[Prediction], Prediction], Prediction],
) -> list[Prediction]:
    """``choose(candidates, beam best)`` per row, except where ``settled(greedy read)`` says the greedy
    read is the answer already (it comes first among the candidates): there the beam is skipped, the
    most of a format-aware decoder's time on a trained model. Rows are independent, so the beam of the
    other rows alone gives them the same candidates."""
    log_probs = as_log_probs(log_probs, tokenizer.num_classes, "candidates")
    results = tokenizer.decode_greedy(log_probs)
    open_rows = [i for i, greedy in enumerate(results) if not settled(greedy)]
    if open_rows:
        for i, (row, beam_best) in zip(open_rows, candidates(log_probs[open_rows], tokenizer), strict=True):
            results[i] = choose(row, beam_best)
    return results


# Series letter, 3 digits, 2 letters, region (checked against data.regions separately).
_PLATE = re.compile(rf"[{PLATE_LETTERS}]\d{{3}}[{PLATE_LETTERS}]{{2}}(\d{{2,3}})")


def is_plate_ru(text: str) -> bool:
    """A standard Russian plate: series letter, 3 digits, 2 letters, valid region (``A123BC77``, ``...777``)."""
    match = _PLATE.fullmatch(text)
    return match is not None and is_region_code(match.group(1))


def decode_plate_ru(log_probs: np.ndarray, tokenizer: Tokenizer) -> list[Prediction]:
    """Empty greedy read -> empty (the model's best path reads "no plate": keep the negative); else the
    first plate-formatted candidate, else the beam's best."""
    return _format_aware(
        log_probs, tokenizer, settled=lambda greedy: not greedy.text or is_plate_ru(greedy.text),
        choose=lambda row, beam_best: next((d for d in row if is_plate_ru(d.text)), beam_best),
    )  # fmt: skip


DECODERS: dict[str, Decoder] = {
    "greedy": decode_greedy,
    "beam": decode_beam,
    "checksum-ean": decode_checksum_ean,
    "plate-ru": decode_plate_ru,
}


def list_decoders() -> list[str]:
    """Names accepted by ``Config.decode``, ``--decode`` and :func:`get_decoder`."""
    return list(DECODERS)


def get_decoder(name: str) -> Decoder:
    """The decoder registered as ``name``; PlatocrError listing the known names otherwise."""
    try:
        return DECODERS[name]
    except KeyError:
        raise PlatocrError(f"unknown decoder {name!r} (known: {', '.join(DECODERS)})") from None
