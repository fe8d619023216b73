"""``looks``: read a crop from more than one cut and let the reads vote.

One cut rarely suits every crop: a barcode's digits may touch the bottom of a loose crop, or a
tilted label may leave bars at the edges. Config ``looks.insets`` lists more cuts of the same crop,
``[fx, fy]`` each (``fx`` of the width off the left and off the right, ``fy`` of the height off the
top and off the bottom). With ``looks.when: always`` every crop is read from every cut, and the
non-empty reads vote, each with its confidence: the text with the largest sum wins. With ``when:
empty`` only the crops whose first read is empty get the other cuts (with ``decode: checksum-ean``
an empty read means no candidate had a valid check digit, so every new read is still checked).

The predictor goes through :func:`read_with_looks`, and ``read``, ``eval``, ``gallery``, ``video``
and ``audit`` all read through the predictor, so they report the same reads. ``bench`` times every
look of ``when: always``, and one look for ``when: empty`` (its sample crops are not text, so nearly
all would be looked at again); its notes say which.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from platocr.errors import PlatocrError
from platocr.recognition.config import LooksConfig
from platocr.recognition.tokenizer import Decoded

if TYPE_CHECKING:
    from platocr.recognition.prediction import Prediction

# (crops, first) -> one Decoded per crop, through the normal preprocessing. Crops are uint8 in the
# caller's channel order; the first ``first`` of them are first looks (crops as cut), the rest other
# cuts, so a reader may decode first looks its own way (eval's decoder comparison records only those).
ReadCrops = Callable[[list[np.ndarray], int], list[Decoded]]


def inset(image: np.ndarray, fx: float, fy: float) -> np.ndarray:
    """``image`` without ``fx`` of its width on each side and ``fy`` of its height top and bottom.

    Args:
        image: HxW or HxWx3 array.
        fx, fy: fractions in [0, 0.5); at least one pixel row and column is always kept.
    """
    if not (0.0 <= fx < 0.5 and 0.0 <= fy < 0.5):
        raise PlatocrError(f"looks insets must be in [0, 0.5), got {fx}, {fy}")
    h, w = image.shape[:2]
    dx, dy = min(round(w * fx), (w - 1) // 2), min(round(h * fy), (h - 1) // 2)
    return image[dy : h - dy, dx : w - dx]


def vote(reads: Sequence[Decoded]) -> Decoded:
    """The read whose text has the largest summed confidence over the non-empty ``reads`` (ties: the
    earlier text); of that text's reads, the most confident one. All empty: the first read."""
    totals: dict[str, float] = defaultdict(float)
    for read in reads:
        if read.text:
            totals[read.text] += read.confidence
    if not totals:
        return reads[0]
    best = max(totals, key=totals.__getitem__)  # dicts keep insertion order: ties go to the earlier text
    return max((r for r in reads if r.text == best), key=lambda r: r.confidence)


@dataclass
class LookRecord:
    """What the looks did: ``first`` = every crop's first read, ``looked`` = indices read from the other
    cuts, ``changed`` = indices whose final read differs from the first."""

    first: list[str] = field(default_factory=list)
    looked: list[int] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)

    def extend(self, other: LookRecord) -> None:
        """Append the record of the next crops (their indices shift by the crops recorded so far)."""
        offset = len(self.first)
        self.first.extend(other.first)
        self.looked.extend(i + offset for i in other.looked)
        self.changed.extend(i + offset for i in other.changed)

    def summary(self, targets: Sequence[str], final: Sequence[str]) -> dict[str, Any]:
        """Counts for a report: crops looked at again, reads changed, how many of those are right now
        and how many were right before, StringMatch of the first reads and of the final ones."""
        n = max(len(targets), 1)
        return {
            "looked": len(self.looked),
            "changed": len(self.changed),
            "now_right": sum(final[i] == targets[i] for i in self.changed),
            "was_right": sum(self.first[i] == targets[i] for i in self.changed),
            "string_match_first_look": sum(t == p for t, p in zip(targets, self.first, strict=True)) / n,
            "string_match": sum(t == p for t, p in zip(targets, final, strict=True)) / n,
        }


class LookedPredictions(NamedTuple):
    """:meth:`Predictor.predict_looks`'s answer: one prediction per crop and what the looks did."""

    predictions: list[Prediction]
    look: LookRecord


def look_again(
    crops: Sequence[np.ndarray] | Callable[[int], np.ndarray],
    decoded: Sequence[Decoded],
    looks: LooksConfig,
    read: ReadCrops,
) -> tuple[list[Decoded], LookRecord]:
    """Read the crops of ``decoded`` (their first reads) from the cuts in ``looks`` and vote.

    Args:
        crops: the crops ``decoded`` came from, or ``index -> crop`` (to load only the ones needed).
        decoded: the first reads, one per crop.
        looks: the config's ``looks``; no insets returns ``decoded`` unchanged.
        read: reads a list of crops with the same model, preprocessing and decoder.

    Example::

        final, record = look_again(crops, first_reads, config.looks, read)
        record.changed  # the indices whose read the other cuts changed
    """
    result = list(decoded)
    record = LookRecord(first=[d.text for d in decoded])
    if not looks.insets:
        return result, record
    record.looked = [i for i, d in enumerate(result) if looks.when == "always" or not d.text]
    if not record.looked:
        return result, record
    crop_at = crops if callable(crops) else crops.__getitem__
    images = [crop_at(i) for i in record.looked]
    # One call for every cut: at batch 1 (video) one forward of three crops beats three forwards of one.
    record.changed = _vote_in(result, record.looked, read(_cuts(images, looks), 0))
    return result, record


def read_with_looks(
    crops: Sequence[np.ndarray], looks: LooksConfig, read: ReadCrops
) -> tuple[list[Decoded], LookRecord]:
    """Read ``crops`` and, as ``looks`` says, their other cuts; the reads vote (see :func:`look_again`).

    With ``when: always`` the crops as cut and every other cut go through one ``read`` call (one
    forward pass per chunk); with ``when: empty`` the other cuts are read only for empty first reads.
    Returns the final reads and the :class:`LookRecord` of what the looks did.
    """
    if not (looks.insets and looks.when == "always"):
        return look_again(crops, read(list(crops), len(crops)), looks, read)
    reads = read([*crops, *_cuts(crops, looks)], len(crops))
    result = reads[: len(crops)]
    record = LookRecord(first=[d.text for d in result], looked=list(range(len(crops))))
    record.changed = _vote_in(result, record.looked, reads[len(crops) :])
    return result, record


def _cuts(images: Sequence[np.ndarray], looks: LooksConfig) -> list[np.ndarray]:
    """Every image at the first inset, then every image at the next, ..."""
    return [inset(image, *cut) for cut in looks.insets for image in images]


def _vote_in(result: list[Decoded], looked: Sequence[int], again: Sequence[Decoded]) -> list[int]:
    """Replace ``result[i]`` for each ``i`` in ``looked`` by the vote of its read and its reads in
    ``again`` (the looked crops' cuts, ordered as :func:`_cuts`); return the ``i`` whose text changed."""
    changed = []
    for k, i in enumerate(looked):
        first = result[i].text
        result[i] = vote([result[i], *again[k :: len(looked)]])
        if result[i].text != first:
            changed.append(i)
    return changed
