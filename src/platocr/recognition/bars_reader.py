"""Bars + digits for ``read``, ``eval`` and ``video --bars``: decode the bars of each crop, combine.

One implementation of "the OCR read these crops; read their bars too and merge" (:func:`read_bars`),
so the three commands report the same reads. A merged read is a
:class:`~platocr.recognition.prediction.Prediction` whose ``source`` says where its text comes from
(``digits``, ``bars`` or ``both``), ``conflict`` whether the two readers disagreed, and ``digits`` /
``bars`` what each read. The rules are :func:`platocr.recognition.bars.combine`'s::

    from platocr.recognition.bars_reader import read_bars
    reads = read_bars(crops, predictor.predict_many(crops))
    reads[0].text, reads[0].source, reads[0].conflict   # ('4006381333931', 'both', False)

What ``eval --bars`` reports from these reads lives in :mod:`platocr.tools.bars_report`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from platocr.errors import PlatocrError
from platocr.recognition import bars
from platocr.recognition.bars import BARS_CONFIDENCE, BARS_MISSING, combine
from platocr.recognition.prediction import Prediction

DIGITS = frozenset("0123456789")
Recognizer = Callable[[Sequence[np.ndarray]], Sequence[Prediction]]


def require_bars(vocab: str | None = None) -> None:
    """PlatocrError unless ``--bars`` can work: zxing-cpp installed and, given ``vocab``, a digits model.

    A model that reads letters (plates) would only give no reads: its texts are never EAN/UPC codes.
    Example: ``require_bars(predictor.tokenizer.vocab)`` before reading anything.
    """
    if not bars.bars_available():
        raise PlatocrError(BARS_MISSING)
    if vocab is not None and not set(vocab) <= DIGITS:
        raise PlatocrError(f"--bars reads EAN/UPC barcodes: this model reads {vocab!r}, not digits only")


def read_bars(
    crops: Sequence[np.ndarray],
    predictions: Sequence[Prediction],
    *,
    bars_confidence: float = BARS_CONFIDENCE,
) -> list[Prediction]:
    """Decode the bars of each crop (:func:`platocr.recognition.bars.decode_bars`) and combine them with its read.

    ``crops``: BGR (or grey) uint8 arrays; ``predictions``: the digits read of each, same order.
    Example::

        read_bars([crop], [Prediction("4006381333931", 0.62)])[0].source  # 'both'
    """
    if len(crops) != len(predictions):
        raise PlatocrError(f"read_bars got {len(crops)} crops but {len(predictions)} predictions")
    merged = []
    for crop, digits in zip(crops, predictions, strict=True):
        found = bars.decode_bars(crop)
        code = found.text if found is not None else ""
        read = combine(digits.text, digits.confidence, code, bars_confidence=bars_confidence)
        chars = digits.char_confidences if read.text and read.text == digits.text else ()
        merged.append(
            Prediction(read.text, read.confidence, chars, read.source, read.conflict, digits.text, code)
        )
    return merged


def with_bars(recognize: Recognizer) -> Recognizer:
    """A recognizer that runs ``recognize`` and then :func:`read_bars` on the same crops (video).

    Example: ``run_video(..., recognize=with_bars(predictor.predict_many))``.
    """
    require_bars()

    def recognize_with_bars(crops: Sequence[np.ndarray]) -> list[Prediction]:
        return read_bars(crops, list(recognize(crops)))

    return recognize_with_bars
