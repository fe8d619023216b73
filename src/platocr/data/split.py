"""Grouped train/val/test split: no plate (or source photo) on two sides, sizes close to the fractions.

Rows are grouped by ``LabelRow.group`` (the source photo, else the text; a negative without a source
is its own group). Groups are shuffled with the seed and dealt, largest first, each to the side that
stays least full relative to its target, so big groups spread over the sides in proportion and the
many small ones even out the counts. Same rows + same seed = same split.

``--follow PREV_DIR`` keeps an earlier split stable after labels were corrected (``platocr audit``) or
rows added: each row keeps its earlier side, except that a group with any row in the earlier train goes
wholly to train (a corrected label can reveal that a val photo shows a plate the model trained on);
groups new to the split are dealt as above.
"""

from __future__ import annotations

import os
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


@dataclass(frozen=True)
class FollowReport:
    """How ``--follow`` placed the rows: kept on their earlier side, moved to train, or new."""

    kept: int
    moved_to_train: int
    new: int


@dataclass
class SplitResult:
    """The sides in order (train, val[, test]) and the label files written for them."""

    sides: dict[str, list[LabelRow]]
    files: dict[str, Path]
    follow: FollowReport | None = None

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


def _same_file(path: Path) -> Path:
    """The key that finds a row again when the earlier split reached it through another symlink."""
    return Path(os.path.realpath(path))


def read_previous_split(folder: str | Path) -> dict[Path, str]:
    """Row path -> side name from an earlier split folder's train.tsv / val.tsv / test.tsv."""
    folder = Path(folder)
    if not (folder / "train.tsv").is_file() or not (folder / "val.tsv").is_file():
        raise PlatocrError(f"--follow {folder}: expected the train.tsv and val.tsv of an earlier split")
    sides: dict[Path, str] = {}
    for name in SIDE_NAMES:
        if (folder / f"{name}.tsv").is_file():
            for row in open_dataset(folder / f"{name}.tsv", allow_empty=True):
                sides[row.path] = name
    return sides


def follow_rows(
    rows: Sequence[LabelRow],
    previous: dict[Path, str],
    val_fraction: float,
    test_fraction: float = 0.0,
    seed: int = 0,
) -> tuple[dict[str, list[LabelRow]], FollowReport]:
    """Split ``rows`` keeping each row's side in ``previous`` (path -> side), whole groups per side.

    A group with a row previously in train goes to train; otherwise to the side most of its known rows
    had (val on a tie). Groups with no row in ``previous`` are dealt to the fractions with ``seed``.
    """
    check_fractions(val_fraction, test_fraction)
    names = ["train", "val", *(["test"] if test_fraction > 0 or "test" in previous.values() else [])]
    previous = {_same_file(path): side for path, side in previous.items()}
    earlier = [previous.get(_same_file(row.path)) for row in rows]  # side of each row, None = new
    known: dict[str, Counter[str]] = defaultdict(Counter)
    for row, side in zip(rows, earlier, strict=True):
        if side is not None:
            known[row.group][side] += 1
    side_of = {
        group: "train" if votes["train"] else max(("val", "test"), key=lambda name: votes[name])
        for group, votes in known.items()
    }
    fresh = [row for row in rows if row.group not in side_of]
    fractions = {"train": 1.0 - val_fraction - test_fraction, "val": val_fraction, "test": test_fraction}
    targets = {name: fractions[name] * len(fresh) for name in names if fractions[name] > 0}
    dealt = deal_groups(fresh, targets, seed) if fresh else {}
    for name, side_rows in dealt.items():
        side_of.update((row.group, name) for row in side_rows)
    sides: dict[str, list[LabelRow]] = {name: [] for name in names}
    for row in rows:
        sides[side_of[row.group]].append(row)
    now = [side_of[row.group] for row in rows]
    moved = sum(
        1 for was, side in zip(earlier, now, strict=True) if was not in (None, "train") and side == "train"
    )
    kept = sum(1 for was, side in zip(earlier, now, strict=True) if was == side)
    return sides, FollowReport(kept=kept, moved_to_train=moved, new=len(fresh))


def split_dataset(
    source: str | Path,
    out_dir: str | Path,
    val_fraction: float,
    test_fraction: float = 0.0,
    seed: int = 0,
    follow: str | Path | None = None,
) -> SplitResult:
    """Open ``source`` (label file, folder with labels.tsv, CropNumbers folder), split it, write the sides.

    Writes ``out_dir/train.tsv``, ``val.tsv`` (and ``test.tsv``) with paths relative to ``out_dir``;
    the ``source`` column is kept on every side when any input row has one. ``follow`` names an earlier
    split folder whose sides the rows keep (:func:`follow_rows`).
    """
    check_fractions(val_fraction, test_fraction)
    previous = read_previous_split(follow) if follow is not None else None
    rows = open_dataset(source)
    report = None
    if previous is None:
        sides = split_rows(rows, val_fraction, test_fraction, seed)
    else:
        sides, report = follow_rows(rows, previous, val_fraction, test_fraction, seed)
    with_source = any(row.source for row in rows)
    out_dir = Path(out_dir)
    files = {
        name: write_label_file(side_rows, out_dir / f"{name}.tsv", with_source=with_source)
        for name, side_rows in sides.items()
    }
    return SplitResult(sides=sides, files=files, follow=report)
