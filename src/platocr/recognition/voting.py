"""Multi-crop voting: read each crop as cut and from more crops of it, and let the reads vote.

One crop rarely suits every image: a barcode's digits may touch the bottom of a loose crop, or a
tilted label may leave bars at the edges. Config ``voting.crops`` lists the extra crops, each an
inset ``[fx, fy]`` of the crop as cut (``fx`` of the width off the left and off the right, ``fy`` of
the height off the top and off the bottom). With ``voting.when: always`` every crop is read as cut
and from every extra crop, and the non-empty reads vote, each with its confidence: the text with the
largest sum wins. With ``when: empty`` only the crops whose first read is empty get the extra crops
(with ``decode: checksum-ean`` an empty read means no candidate had a valid check digit, so every new
read is still checked).

The predictor goes through :func:`read_with_voting`, and ``read``, ``eval``, ``gallery``, ``video``
and ``audit`` all read through the predictor, so they report the same reads. ``bench`` times every
extra crop of ``when: always``, and none for ``when: empty`` (its sample crops are not text, so nearly
all would be read again); its notes say which.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import NamedTuple

import numpy as np

from platocr.errors import PlatocrError
from platocr.recognition.config import VotingConfig
from platocr.recognition.prediction import Prediction

# (crops, first) -> one Prediction per crop, through the normal preprocessing. Crops are uint8 in the
# caller's channel order; the first ``first`` of them are the crops as cut, the rest extra crops, so a
# reader may decode the crops as cut its own way (eval's decoder comparison records only those).
ReadCrops = Callable[[list[np.ndarray], int], list[Prediction]]


def inset(image: np.ndarray, fx: float, fy: float) -> np.ndarray:
    """``image`` without ``fx`` of its width on each side and ``fy`` of its height top and bottom.

    Args:
        image: HxW or HxWx3 array.
        fx, fy: fractions in [0, 0.5); at least one pixel row and column is always kept.
    """
    if not (0.0 <= fx < 0.5 and 0.0 <= fy < 0.5):
        raise PlatocrError(f"voting crops must be insets in [0, 0.5), got {fx}, {fy}")
    h, w = image.shape[:2]
    dx, dy = min(round(w * fx), (w - 1) // 2), min(round(h * fy), (h - 1) // 2)
    return image[dy : h - dy, dx : w - dx]


def vote(reads: Sequence[Prediction]) -> Prediction:
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
class VotingRecord:
    """What the voting did: ``first`` = every crop's read as cut, ``voted`` = indices also read from the
    extra crops (their reads voted), ``changed`` = indices whose final read differs from the first."""

    first: list[str] = field(default_factory=list)
    voted: list[int] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)

    def extend(self, other: VotingRecord) -> None:
        """Append the record of the next crops (their indices shift by the crops recorded so far)."""
        offset = len(self.first)
        self.first.extend(other.first)
        self.voted.extend(i + offset for i in other.voted)
        self.changed.extend(i + offset for i in other.changed)

    def summary(self, targets: Sequence[str], final: Sequence[str]) -> VotingSummary:
        """:class:`VotingSummary` of this record against ``targets``, ``final`` being the reads voted."""
        n = max(len(targets), 1)
        return VotingSummary(
            voted=len(self.voted),
            changed=len(self.changed),
            now_right=sum(final[i] == targets[i] for i in self.changed),
            was_right=sum(self.first[i] == targets[i] for i in self.changed),
            string_match_first_crop=sum(t == p for t, p in zip(targets, self.first, strict=True)) / n,
            string_match=sum(t == p for t, p in zip(targets, final, strict=True)) / n,
        )


@dataclass(frozen=True)
class VotingSummary:
    """What multi-crop voting did on labelled crops (eval's ``voting`` row and JSON key).

    ``voted``: crops also read from their extra crops; ``changed``: reads the vote changed, of which
    ``now_right`` are right and ``was_right`` were right before; StringMatch of the crops as cut alone
    (``string_match_first_crop``) and of the final reads (``string_match``).
    """

    voted: int
    changed: int
    now_right: int
    was_right: int
    string_match_first_crop: float
    string_match: float

    def as_dict(self) -> dict[str, int | float]:
        return asdict(self)


class VotedPredictions(NamedTuple):
    """:meth:`Predictor.predict_with_voting`'s answer: one prediction per crop and what the voting did."""

    predictions: list[Prediction]
    voting: VotingRecord


def vote_with_extra_crops(
    crops: Sequence[np.ndarray] | Callable[[int], np.ndarray],
    decoded: Sequence[Prediction],
    voting: VotingConfig,
    read: ReadCrops,
) -> tuple[list[Prediction], VotingRecord]:
    """Read the extra crops in ``voting`` of the crops ``decoded`` read (as cut), and vote.

    Args:
        crops: the crops ``decoded`` came from, or ``index -> crop`` (to load only the ones needed).
        decoded: the reads of the crops as cut, one per crop.
        voting: the config's ``voting``; no extra crops returns ``decoded`` unchanged.
        read: reads a list of crops with the same model, preprocessing and decoder.

    Example::

        final, record = vote_with_extra_crops(crops, first_reads, config.voting, read)
        record.changed  # the indices whose read the extra crops changed
    """
    result = list(decoded)
    record = VotingRecord(first=[d.text for d in decoded])
    if not voting.crops:
        return result, record
    record.voted = [i for i, d in enumerate(result) if voting.when == "always" or not d.text]
    if not record.voted:
        return result, record
    crop_at = crops if callable(crops) else crops.__getitem__
    images = [crop_at(i) for i in record.voted]
    # One call for every extra crop: at batch 1 (video) one forward of three crops beats three of one.
    record.changed = _vote_in(result, record.voted, read(_extra_crops(images, voting), 0))
    return result, record


def read_with_voting(
    crops: Sequence[np.ndarray], voting: VotingConfig, read: ReadCrops
) -> tuple[list[Prediction], VotingRecord]:
    """Read ``crops`` and, as ``voting`` says, their extra crops; the reads vote (see
    :func:`vote_with_extra_crops`).

    With ``when: always`` the crops as cut and every extra crop go through one ``read`` call (one
    forward pass per chunk); with ``when: empty`` the extra crops are read only for empty first reads.
    Returns the final reads and the :class:`VotingRecord` of what the voting did.
    """
    if not (voting.crops and voting.when == "always"):
        return vote_with_extra_crops(crops, read(list(crops), len(crops)), voting, read)
    reads = read([*crops, *_extra_crops(crops, voting)], len(crops))
    result = reads[: len(crops)]
    record = VotingRecord(first=[d.text for d in result], voted=list(range(len(crops))))
    record.changed = _vote_in(result, record.voted, reads[len(crops) :])
    return result, record


def _extra_crops(images: Sequence[np.ndarray], voting: VotingConfig) -> list[np.ndarray]:
    """Every image at the first inset, then every image at the next, ..."""
    return [inset(image, *crop) for crop in voting.crops for image in images]


def _vote_in(result: list[Prediction], voted: Sequence[int], extra: Sequence[Prediction]) -> list[int]:
    """Replace ``result[i]`` for each ``i`` in ``voted`` by the vote of its read and its reads in
    ``extra`` (the extra crops, ordered as :func:`_extra_crops`); return the ``i`` whose text changed."""
    changed = []
    for k, i in enumerate(voted):
        first = result[i].text
        result[i] = vote([result[i], *extra[k :: len(voted)]])
        if result[i].text != first:
            changed.append(i)
    return changed
