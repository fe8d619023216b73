"""Text recognition metrics shared by training validation and ``platocr eval`` (one implementation).

- ``string_match``: fraction of samples whose prediction equals the target exactly.
- ``edit_distance``: mean Levenshtein distance per sample.
- ``cer``: total edits / total target characters (a set of only negatives, with no target
  characters, divides by 1 so that any inserted character still counts).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from rapidfuzz.distance import Levenshtein


@dataclass(frozen=True)
class TextMetrics:
    """Aggregate metrics over ``n`` (target, prediction) pairs."""

    n: int
    string_match: float
    edit_distance: float
    cer: float
    edits: int
    target_chars: int

    def as_dict(self) -> dict[str, float | int]:
        return {
            "n": self.n,
            "string_match": self.string_match,
            "edit_distance": self.edit_distance,
            "cer": self.cer,
        }


@dataclass
class Confusions:
    """Character-level errors from the Levenshtein alignment of target -> prediction."""

    substitutions: Counter[tuple[str, str]] = field(default_factory=Counter)  # (target char, predicted char)
    deletions: Counter[str] = field(default_factory=Counter)  # target chars the prediction missed
    insertions: Counter[str] = field(default_factory=Counter)  # predicted chars with no target

    def as_dict(self, top: int = 20) -> dict[str, list]:
        return {
            "substitutions": [
                {"target": t, "predicted": p, "count": c} for (t, p), c in self.substitutions.most_common(top)
            ],
            "deletions": [{"char": ch, "count": c} for ch, c in self.deletions.most_common(top)],
            "insertions": [{"char": ch, "count": c} for ch, c in self.insertions.most_common(top)],
        }


def text_metrics(targets: Sequence[str], predictions: Sequence[str]) -> TextMetrics:
    """StringMatch, mean edit distance and CER of ``predictions`` against ``targets`` (same length)."""
    if len(targets) != len(predictions):
        raise ValueError(f"{len(targets)} targets but {len(predictions)} predictions")
    n = len(targets)
    exact = sum(t == p for t, p in zip(targets, predictions, strict=True))
    edits = sum(Levenshtein.distance(t, p) for t, p in zip(targets, predictions, strict=True))
    chars = sum(len(t) for t in targets)
    return TextMetrics(
        n=n,
        string_match=exact / n if n else 0.0,
        edit_distance=edits / n if n else 0.0,
        cer=edits / max(chars, 1),
        edits=edits,
        target_chars=chars,
    )


@dataclass(frozen=True)
class LengthAccuracy:
    """StringMatch over the ``n`` samples whose target is ``length`` characters long."""

    length: int
    n: int
    string_match: float

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def accuracy_by_length(targets: Sequence[str], predictions: Sequence[str]) -> list[LengthAccuracy]:
    """StringMatch per target length, sorted by length."""
    totals: Counter[int] = Counter()
    hits: Counter[int] = Counter()
    for t, p in zip(targets, predictions, strict=True):
        totals[len(t)] += 1
        hits[len(t)] += t == p
    return [
        LengthAccuracy(length=length, n=totals[length], string_match=hits[length] / totals[length])
        for length in sorted(totals)
    ]


CONFIDENCE_FLOORS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5)


@dataclass(frozen=True)
class FloorRow:
    """What dropping reads less confident than ``floor`` gives.

    ``string_match`` when the dropped non-empty reads count as no read, ``wrong``: non-empty reads that
    differ from the target, ``no_read``: empty reads of non-empty targets.
    """

    floor: float
    string_match: float
    wrong: int
    no_read: int

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def confidence_floors(
    targets: Sequence[str],
    reads: Sequence[tuple[str, float]],
    floors: Sequence[float] = CONFIDENCE_FLOORS,
) -> list[FloorRow]:
    """What a caller that drops reads under a confidence floor would get (its risk/coverage trade).

    Args:
        targets: the true texts ('' = nothing to read).
        reads: (text, confidence) per row, as the predictor returns them.

    Returns:
        One :class:`FloorRow` per floor, in the order of ``floors``.
    """
    rows = []
    for floor in floors:
        kept = [text if confidence >= floor else "" for text, confidence in reads]
        pairs = list(zip(targets, kept, strict=True))
        rows.append(
            FloorRow(
                floor=floor,
                string_match=sum(t == k for t, k in pairs) / max(len(targets), 1),
                wrong=sum(bool(k) and k != t for t, k in pairs),
                no_read=sum(bool(t) and not k for t, k in pairs),
            )
        )
    return rows


def char_errors(target: str, prediction: str) -> tuple[set[int], set[int]]:
    """Positions that are wrong: (target indices missed or substituted, prediction indices wrong or extra)."""
    wrong_target: set[int] = set()
    wrong_pred: set[int] = set()
    for op in Levenshtein.editops(target, prediction):
        if op.tag in ("replace", "delete"):
            wrong_target.add(op.src_pos)
        if op.tag in ("replace", "insert"):
            wrong_pred.add(op.dest_pos)
    return wrong_target, wrong_pred


def confusions(targets: Sequence[str], predictions: Sequence[str]) -> Confusions:
    """Count substituted pairs, deleted and inserted characters over all pairs."""
    result = Confusions()
    for t, p in zip(targets, predictions, strict=True):
        for op in Levenshtein.editops(t, p):
            if op.tag == "replace":
                result.substitutions[(t[op.src_pos], p[op.dest_pos])] += 1
            elif op.tag == "delete":
                result.deletions[t[op.src_pos]] += 1
            else:
                result.insertions[p[op.dest_pos]] += 1
    return result
