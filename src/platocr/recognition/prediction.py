"""The result of recognising one text crop, shared by the predictor, eval and video."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Prediction:
    """One crop's decoded text.

    ``confidence`` is the string confidence in [0, 1] (product of per-character max probabilities,
    see ``platocr.recognition.tokenizer``); ``char_confidences`` holds one probability per character of ``text``.
    """

    text: str
    confidence: float
    char_confidences: tuple[float, ...] = ()
