"""Bars + digits for ``read``, ``eval`` and ``video --bars``: decode the bars of each crop, combine.

One implementation of "the OCR read these crops; read their bars too and merge" (:func:`read_bars`),
so the three commands report the same reads. A merged read is a :class:`BarsPrediction`: a
:class:`~platocr.prediction.Prediction` that also says where its text comes from (``source``:
``digits``, ``bars`` or ``both``) and whether the two readers disagreed (``conflict``). The rules are
:func:`platocr.bars.combine`'s::

    from platocr.bars_reader import read_bars
    reads = read_bars(crops, predictor.predict_many(crops))
    reads[0].text, reads[0].source, reads[0].conflict   # ('4006381333931', 'both', False)

:func:`score_reads` and :class:`BarsComparison` hold what ``eval --bars`` reports: the digits alone,
the bars alone and the combined reads, side by side.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from platocr import bars
from platocr.bars import BARS_CONFIDENCE, BARS_MISSING, Source, combine, same_code
from platocr.errors import PlatocrError
from platocr.prediction import Prediction

DIGITS = frozenset("0123456789")
Recognizer = Callable[[Sequence[np.ndarray]], Sequence[Prediction]]


@dataclass(frozen=True)
class BarsPrediction(Prediction):
    """A digits read merged with the bars of the same crop.

    ``text``/``confidence``: the combined read ('' = no read); ``char_confidences``: the digits' when
    the text is theirs, else empty. ``source``: ``digits``, ``bars`` or ``both`` (a no read says
    ``digits``); ``conflict``: the two read different codes; ``digits``/``bars``: what each read ('' =
    nothing).
    """

    source: Source = "digits"
    conflict: bool = False
    digits: str = ""
    bars: str = ""


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
) -> list[BarsPrediction]:
    """Decode the bars of each crop (:func:`platocr.bars.decode_bars`) and combine them with its read.

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
            BarsPrediction(read.text, read.confidence, chars, read.source, read.conflict, digits.text, code)
        )
    return merged


def with_bars(recognize: Recognizer) -> Recognizer:
    """A recognizer that runs ``recognize`` and then :func:`read_bars` on the same crops (video).

    Example: ``run_video(..., recognize=with_bars(predictor.predict_many))``.
    """
    require_bars()

    def recognize_with_bars(crops: Sequence[np.ndarray]) -> list[BarsPrediction]:
        return read_bars(crops, list(recognize(crops)))

    return recognize_with_bars


@dataclass(frozen=True)
class SourceCounts:
    """Reads per source: ``digits``, ``bars`` and ``both`` count reads with text; ``no_read`` the rest."""

    digits: int = 0
    bars: int = 0
    both: int = 0
    no_read: int = 0

    def line(self) -> str:
        """``both 5, bars 1, digits 2, no read 0``."""
        return f"both {self.both}, bars {self.bars}, digits {self.digits}, no read {self.no_read}"


def count_sources(reads: Sequence[tuple[str, str]]) -> SourceCounts:
    """:class:`SourceCounts` of ``(text, source)`` pairs. Example::

    count_sources([("4006381333931", "both"), ("", "digits")])  # both 1, no read 1
    """
    counts = {"digits": 0, "bars": 0, "both": 0, "no_read": 0}
    for text, source in reads:
        counts[source if text else "no_read"] += 1
    return SourceCounts(**counts)


@dataclass(frozen=True)
class ReaderScore:
    """One reader on labelled crops.

    ``wrong``: reads with text that differ from the label; ``other_layout`` of them are the label's
    code in the other printed layout (a UPC-A as 12 or 13 digits). ``no_read``: empty reads of
    crops with a label.
    """

    string_match: float
    wrong: int
    other_layout: int
    no_read: int


def score_reads(targets: Sequence[str], texts: Sequence[str]) -> ReaderScore:
    """:class:`ReaderScore` of ``texts`` against ``targets``. Example::

    score_reads(["036000291452"], ["0036000291452"])  # 0.0 StringMatch, 1 wrong, 1 other layout
    """
    pairs = list(zip(targets, texts, strict=True))
    wrong = [(t, p) for t, p in pairs if p and p != t]
    return ReaderScore(
        string_match=sum(t == p for t, p in pairs) / max(len(pairs), 1),
        wrong=len(wrong),
        other_layout=sum(same_code(t, p) for t, p in wrong),
        no_read=sum(bool(t) and not p for t, p in pairs),
    )


@dataclass(frozen=True)
class BarsComparison:
    """What ``eval --bars`` adds: the digits (OCR) alone, the bars alone and the combined reads.

    ``conflicts``: crops where the two read different codes; ``conflicts_right``: of them, those whose
    combined read equals the label. ``floors``: :func:`platocr.metrics.confidence_floors` of the
    combined reads. ``bars_ms_per_crop``: decoding the bars and combining, per crop.
    """

    digits: ReaderScore
    bars: ReaderScore
    combined: ReaderScore
    sources: SourceCounts
    conflicts: int
    conflicts_right: int
    floors: list[dict[str, float | int]]
    bars_ms_per_crop: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def compare_reads(
    targets: Sequence[str], combined: Sequence[BarsPrediction], bars_seconds: float
) -> BarsComparison:
    """:class:`BarsComparison` of the combined reads of labelled crops (from :func:`read_bars`).

    Example: ``compare_reads([row.text for row in rows], reads, seconds).combined.string_match``.
    """
    from platocr.metrics import confidence_floors

    conflicts = [(t, c) for t, c in zip(targets, combined, strict=True) if c.conflict]
    return BarsComparison(
        digits=score_reads(targets, [c.digits for c in combined]),
        bars=score_reads(targets, [c.bars for c in combined]),
        combined=score_reads(targets, [c.text for c in combined]),
        sources=count_sources([(c.text, c.source) for c in combined]),
        conflicts=len(conflicts),
        conflicts_right=sum(t == c.text for t, c in conflicts),
        floors=confidence_floors(targets, [(c.text, c.confidence) for c in combined]),
        bars_ms_per_crop=1000 * bars_seconds / max(len(combined), 1),
    )


def print_comparison(comparison: BarsComparison, console: Any) -> None:
    """Rich tables: digits, bars and combined side by side; sources and conflicts; combined floors."""
    from rich.table import Table

    c = comparison
    readers = Table(title="digits (OCR), bars and both combined (--bars)")
    for name in ("reader", "StringMatch", "wrong reads", "other layout", "no reads"):
        readers.add_column(name, justify="right")
    for name, score in (("digits", c.digits), ("bars", c.bars), ("combined", c.combined)):
        readers.add_row(name, f"{score.string_match:.4f}", str(score.wrong), str(score.other_layout),
                        str(score.no_read))  # fmt: skip
    readers.caption = (
        f"combined sources: {c.sources.line()}; conflicts {c.conflicts} ({c.conflicts_right} read "
        f"right); bars {c.bars_ms_per_crop:.1f} ms/crop"
    )
    console.print(readers)
    floors = Table(title="combined reads under a confidence floor dropped")
    for name in ("floor", "StringMatch", "wrong reads", "no reads"):
        floors.add_column(name, justify="right")
    for row in c.floors:
        floors.add_row(
            f"{row['floor']:g}", f"{row['string_match']:.4f}", str(row["wrong"]), str(row["no_read"])
        )
    console.print(floors)
