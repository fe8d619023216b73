"""``second_look``: re-read the crops that gave no read, from a tighter cut of the same crop.

With ``decode: checksum-ean`` an empty read means that no candidate had a valid check digit. Many of
those crops read correctly when cut a little tighter (another scale and framing for the same digits),
and the check digit still guards the new read. Config ``second_look: [fx, fy]`` trims ``fx`` of the
width from the left and from the right, and ``fy`` of the height from the top and from the bottom;
null (the default) turns it off. The predictor (so video and audit) and ``eval``/``gallery`` all go
through :func:`second_look`, so they report the same reads (``bench`` turns it off: it times one look).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from platocr.errors import PlatocrError
from platocr.tokenizer import Decoded

# crops (uint8, the caller's channel order) -> one Decoded per crop, through the normal preprocessing.
ReadCrops = Callable[[list[np.ndarray]], list[Decoded]]


def inset(image: np.ndarray, fx: float, fy: float) -> np.ndarray:
    """``image`` without ``fx`` of its width on each side and ``fy`` of its height top and bottom.

    Args:
        image: HxW or HxWx3 array.
        fx, fy: fractions in [0, 0.5); at least one pixel row and column is always kept.
    """
    if not (0.0 <= fx < 0.5 and 0.0 <= fy < 0.5):
        raise PlatocrError(f"second_look insets must be in [0, 0.5), got {fx}, {fy}")
    h, w = image.shape[:2]
    dx, dy = min(round(w * fx), (w - 1) // 2), min(round(h * fy), (h - 1) // 2)
    return image[dy : h - dy, dx : w - dx]


@dataclass
class SecondLook:
    """What :func:`second_look` did: ``retried`` = indices re-read, ``read`` = those now non-empty."""

    retried: list[int] = field(default_factory=list)
    read: list[int] = field(default_factory=list)

    def summary(self, targets: Sequence[str], final: Sequence[str]) -> dict[str, Any]:
        """Counts for a report: re-read crops, reads gained, how many of them are right, StringMatch
        without the second look (the ``read`` rows were empty then) and with it (``final``)."""
        right = sum(final[i] == targets[i] for i in self.read)
        gained = set(self.read)
        first = ["" if i in gained else text for i, text in enumerate(final)]
        n = max(len(targets), 1)
        return {
            "retried": len(self.retried),
            "read": len(self.read),
            "right": right,
            "wrong": len(self.read) - right,
            "string_match_first_look": sum(t == p for t, p in zip(targets, first, strict=True)) / n,
            "string_match": sum(t == p for t, p in zip(targets, final, strict=True)) / n,
        }


def second_look(
    crops: Sequence[np.ndarray] | Callable[[int], np.ndarray],
    decoded: Sequence[Decoded],
    insets: tuple[float, float] | None,
    read: ReadCrops,
) -> tuple[list[Decoded], SecondLook]:
    """Replace every empty read in ``decoded`` by the read of its crop cut by ``insets``, when that one
    is not empty.

    Args:
        crops: the crops ``decoded`` came from, or ``index -> crop`` (eval loads only the ones needed).
        decoded: the first reads, one per crop.
        insets: ``(fx, fy)`` for :func:`inset`; None returns ``decoded`` unchanged.
        read: reads a list of crops with the same model, preprocessing and decoder.
    """
    result = list(decoded)
    look = SecondLook()
    if insets is None:
        return result, look
    look.retried = [i for i, d in enumerate(result) if not d.text]
    if not look.retried:
        return result, look
    crop_at = crops if callable(crops) else crops.__getitem__
    again = read([inset(crop_at(i), *insets) for i in look.retried])
    for i, new in zip(look.retried, again, strict=True):
        if new.text:
            result[i] = new
            look.read.append(i)
    return result, look
