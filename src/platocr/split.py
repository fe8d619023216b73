"""Grouped train/val/test split: no plate (or source photo) on two sides, sizes close to the fractions.

Rows are grouped by ``LabelRow.group`` (the source photo, else the text; a negative without a source
is its own group). Groups are shuffled with the seed and dealt, largest first, each to the side that
stays least full relative to its target, so big groups spread over the sides in proportion and the
many small ones even out the counts. Same rows + same seed = same split.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from platocr.data.labels import LabelRow, open_dataset, write_label_file
from platocr.errors import PlatocrError

SIDE_NAMES = ("train", "val", "test")


@dataclass(frozen=True)
class SideStats:
    """What one side holds: rows, groups, negatives, label lengths and characters."""

    name: str
    rows: int
    groups: int
    negatives: int
    lengths: Counter[int]
    charset: str


@dataclass
class SplitResult:
    """The sides in order (train, val[, test]) and the label files written for them."""

    sides: dict[str, list[LabelRow]]
    files: dict[str, Path]

    def stats(self) -> list[SideStats]:
        return [side_stats(name, rows) for name, rows in self.sides.items()]

    def shared_groups(self) -> int:
        return count_shared_groups(self.sides)


def check_fractions(val_fraction: float, test_fraction: float) -> None:
    """Raise PlatocrError unless 0 < val < 1, 0 <= test < 1 and val + test < 1."""
    if not 0.0 < val_fraction < 1.0:
        raise PlatocrError(f"--val-fraction must be between 0 and 1 (exclusive), got {val_fraction}")
    if not 0.0 <= test_fraction < 1.0:
        raise PlatocrError(f"--test-fraction must be in [0, 1), got {test_fraction}")
    if val_fraction + test_fraction >= 1.0:
        raise PlatocrError(
            f"--val-fraction + --test-fraction must be below 1 (train needs rows), got "
            f"{val_fraction} + {test_fraction} = {val_fraction + test_fraction:g}"
        )


def split_rows(
    rows: Sequence[LabelRow], val_fraction: float, test_fraction: float = 0.0, seed: int = 0
) -> dict[str, list[LabelRow]]:
    """Split ``rows`` into ``{"train", "val"[, "test"]}`` with whole groups per side.

    Raises PlatocrError for bad fractions, no rows, or too few groups to give every side a row.
    Rows keep their input order within a side.
    """
    check_fractions(val_fraction, test_fraction)
    if not rows:
        raise PlatocrError("cannot split an empty dataset")
    fractions = {"train": 1.0 - val_fraction - test_fraction, "val": val_fraction}
    if test_fraction > 0:
        fractions["test"] = test_fraction
    targets = {name: fraction * len(rows) for name, fraction in fractions.items()}
    groups = len({row.group for row in rows})
    if groups < len(targets):
        raise PlatocrError(
            f"too few groups to split: {groups} distinct plates/sources for {len(targets)} sides"
        )
    sides = deal_groups(rows, targets, seed)
    counts = {name: len(side) for name, side in sides.items()}
    empty = [name for name, count in counts.items() if count == 0]
    if empty:
        detail = ", ".join(f"{name} wants {targets[name]:.1f} rows" for name in empty)
        raise PlatocrError(
            f"too few rows/groups to fill every side ({len(rows)} rows in {groups} groups; {detail}): "
            "use a larger fraction or more data"
        )
    return sides


def deal_groups(
    rows: Sequence[LabelRow], targets: dict[str, float], seed: int = 0
) -> dict[str, list[LabelRow]]:
    """Deal whole groups of ``rows`` to the sides named in ``targets`` (wanted row counts, all > 0).

    Also used for the grouped folds of ``platocr audit``. A side may come out empty when there are
    few groups; rows keep their input order within a side.
    """
    members: dict[str, list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        members[row.group].append(index)
    groups = sorted(members)  # fixed order before the seeded shuffle: independent of row order quirks
    random.Random(seed).shuffle(groups)
    groups.sort(key=lambda key: len(members[key]), reverse=True)  # stable: ties keep the shuffled order

    counts = dict.fromkeys(targets, 0)
    assignment: dict[str, str] = {}
    for key in groups:
        size = len(members[key])
        side = min(targets, key=lambda name: (counts[name] + size) / targets[name])
        assignment[key] = side
        counts[side] += size
    sides: dict[str, list[LabelRow]] = {name: [] for name in targets}
    for row in rows:
        sides[assignment[row.group]].append(row)
    return sides


def count_shared_groups(sides: dict[str, list[LabelRow]]) -> int:
    """Number of groups that appear on more than one side (0 for a correct split)."""
    seen: dict[str, set[str]] = defaultdict(set)
    for name, rows in sides.items():
        for row in rows:
            seen[row.group].add(name)
    return sum(1 for names in seen.values() if len(names) > 1)


def side_stats(name: str, rows: Sequence[LabelRow]) -> SideStats:
    """Counts, label-length histogram and character set of one side."""
    return SideStats(
        name=name,
        rows=len(rows),
        groups=len({row.group for row in rows}),
        negatives=sum(1 for row in rows if not row.text),
        lengths=Counter(len(row.text) for row in rows),
        charset="".join(sorted({char for row in rows for char in row.text})),
    )


def split_dataset(
    source: str | Path, out_dir: str | Path, val_fraction: float, test_fraction: float = 0.0, seed: int = 0
) -> SplitResult:
    """Open ``source`` (label file, folder with labels.tsv, CropNumbers folder), split it, write the sides.

    Writes ``out_dir/train.tsv``, ``val.tsv`` (and ``test.tsv``) with paths relative to ``out_dir``;
    the ``source`` column is kept on every side when any input row has one.
    """
    check_fractions(val_fraction, test_fraction)
    rows = open_dataset(source)
    sides = split_rows(rows, val_fraction, test_fraction, seed)
    with_source = any(row.source for row in rows)
    out_dir = Path(out_dir)
    files = {
        name: write_label_file(side_rows, out_dir / f"{name}.tsv", with_source=with_source)
        for name, side_rows in sides.items()
    }
    return SplitResult(sides=sides, files=files)
