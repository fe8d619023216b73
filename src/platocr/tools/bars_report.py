"""What ``eval --bars`` reports: the digits (OCR) alone, the bars alone and the combined reads of
:func:`platocr.recognition.bars_reader.read_bars`, side by side, with reads per source and conflicts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from platocr.recognition.bars import same_code
from platocr.recognition.prediction import Prediction

if TYPE_CHECKING:
    from rich.console import Console

    from platocr.recognition.metrics import FloorRow


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
    combined read equals the label. ``floors``: :func:`platocr.recognition.metrics.confidence_floors` of the
    combined reads. ``bars_ms_per_crop``: decoding the bars and combining, per crop.
    """

    digits: ReaderScore
    bars: ReaderScore
    combined: ReaderScore
    sources: SourceCounts
    conflicts: int
    conflicts_right: int
    floors: list[FloorRow]
    bars_ms_per_crop: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def compare_reads(
    targets: Sequence[str], combined: Sequence[Prediction], bars_seconds: float
) -> BarsComparison:
    """:class:`BarsComparison` of the combined reads of labelled crops (from :func:`read_bars`).

    Example: ``compare_reads([row.text for row in rows], reads, seconds).combined.string_match``.
    """
    from platocr.recognition.metrics import confidence_floors

    conflicts = [(t, c) for t, c in zip(targets, combined, strict=True) if c.conflict]
    return BarsComparison(
        digits=score_reads(targets, [c.digits or "" for c in combined]),
        bars=score_reads(targets, [c.bars or "" for c in combined]),
        combined=score_reads(targets, [c.text for c in combined]),
        sources=count_sources([(c.text, c.source) for c in combined]),
        conflicts=len(conflicts),
        conflicts_right=sum(t == c.text for t, c in conflicts),
        floors=confidence_floors(targets, [(c.text, c.confidence) for c in combined]),
        bars_ms_per_crop=1000 * bars_seconds / max(len(combined), 1),
    )


def print_comparison(comparison: BarsComparison, console: Console) -> None:
    """Rich tables: digits, bars and combined side by side; sources and conflicts; combined floors."""
    from rich.table import Table

    from platocr.tools.tables import floor_table

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
    console.print(floor_table(c.floors, "combined reads under a confidence floor dropped"))
