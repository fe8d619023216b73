"""The one read type: what every decoder, the predictor, multi-crop voting, the bars reader, eval and
video hand each other for one text crop."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

# Where a read's text comes from: the OCR model's digits, the bars (zxing-cpp), or both agreeing.
Source = Literal["digits", "bars", "both"]


@dataclass(frozen=True)
class Prediction:
    """One crop's decoded text.

    ``confidence`` is the string confidence in [0, 1]: the product of ``char_confidences``, one per
    character of ``text`` (each the highest probability among the frames that emitted it), or for an
    empty text the mean blank probability over the frames (how sure the model is that there is
    nothing to read); see :meth:`platocr.recognition.tokenizer.Tokenizer.decode_greedy`.

    The rest is set when the bars were read too (:func:`platocr.recognition.bars_reader.read_bars`):
    ``source`` says which reader ``text`` comes from (``both`` when they agree; a read of the model
    alone, or no read, says ``digits``), ``conflict`` that the two read different codes, ``digits`` and
    ``bars`` what each read ('' = nothing). ``bars`` is None when the bars were not read.
    """

    text: str
    confidence: float
    char_confidences: tuple[float, ...] = ()
    source: Source = "digits"
    conflict: bool = False
    digits: str | None = None
    bars: str | None = None

    @property
    def with_bars(self) -> bool:
        """The bars were read too: ``source``, ``conflict``, ``digits`` and ``bars`` say what they gave."""
        return self.bars is not None


def no_read_under(predictions: list[Prediction], floor: float) -> list[Prediction]:
    """``predictions`` with every non-empty read under ``floor`` turned into no read (confidence kept)."""
    if floor <= 0.0:
        return predictions
    return [
        replace(p, text="", char_confidences=()) if p.text and p.confidence < floor else p
        for p in predictions
    ]
