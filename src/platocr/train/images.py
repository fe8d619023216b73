"""Find the images a run cannot read before it starts, instead of a DataLoader traceback mid-epoch.

Every image of the training and validation sources is decoded once in a small thread pool
(``cv2.imdecode`` and file reads release the GIL); the unreadable rows are dropped, reported with their
label file and line, and listed in ``RUN/skipped.tsv``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from platocr.data.label_text import read_label_text
from platocr.data.labels import LABEL_FILE_NAME
from platocr.errors import PlatocrError
from platocr.progress import make_progress
from platocr.recognition.preprocess import image_or_reason
from platocr.train.data import Source
from platocr.train.threads import available_cores

SKIPPED_FILE = "skipped.tsv"


@dataclass(frozen=True)
class Skipped:
    """One row left out: its image, text, where it is listed and why it cannot be used."""

    path: Path
    text: str
    labels: str  # the label file (or dataset folder) that lists it
    line: int | None  # line in that file, when it is a label file
    reason: str

    def where(self) -> str:
        return f"{self.labels}:{self.line}" if self.line is not None else self.labels


def image_problem(path: Path) -> str | None:
    """Why ``path`` cannot be read as an image (``preprocess.image_or_reason``), or None."""
    image = image_or_reason(path)
    return image if isinstance(image, str) else None


def find_unreadable(paths: Sequence[Path], *, progress: bool = True) -> dict[Path, str]:
    """``{path: reason}`` for every path that cannot be decoded (each distinct path read once)."""
    unique = list(dict.fromkeys(paths))
    problems: dict[Path, str] = {}
    pool = ThreadPoolExecutor(max_workers=min(8, 2 * available_cores()))
    try:
        with make_progress(enabled=progress) as bar:
            task = bar.add_task("  check images", total=len(unique))
            for path, problem in zip(unique, pool.map(image_problem, unique, chunksize=16), strict=True):
                if problem is not None:
                    problems[path] = problem
                bar.advance(task)
    finally:
        pool.shutdown(cancel_futures=True)  # after Ctrl-C, do not read the remaining images first
    return problems


def label_lines(name: str) -> list[int] | None:
    """Line number of each row ``open_dataset`` reads from a label file (blank lines skipped), or
    None for a source that is not a label file (a CropNumbers folder)."""
    path = Path(name)
    if path.is_dir():
        path = path / LABEL_FILE_NAME
    if not path.is_file():
        return None
    try:
        content, _ = read_label_text(path)  # the encodings open_dataset reads
    except PlatocrError:
        return None
    reader = csv.reader(io.StringIO(content, newline=""), delimiter="\t", quoting=csv.QUOTE_NONE)
    next(reader, None)  # header
    return [line_no for line_no, fields in enumerate(reader, start=2) if any(f.strip() for f in fields)]


def drop_unreadable(source: Source, problems: dict[Path, str]) -> tuple[Source, list[Skipped]]:
    """``source`` without the rows whose image is in ``problems``, and those rows."""
    if not any(row.path in problems for row in source.rows):
        return source, []
    lines = label_lines(source.name)
    if lines is not None and len(lines) != len(source.rows):
        lines = None  # not the file the rows came from: name the file only
    kept, skipped = [], []
    for index, row in enumerate(source.rows):
        if row.path in problems:
            line = lines[index] if lines is not None else None
            skipped.append(Skipped(row.path, row.text, source.name, line, problems[row.path]))
        else:
            kept.append(row)
    return Source(source.name, kept, source.weight), skipped


def write_skipped(skipped: Sequence[Skipped], path: Path) -> Path:
    """``skipped.tsv``: image path, text, label file, line, reason (one row each)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(["path", "text", "labels", "line", "reason"])
        for s in skipped:
            writer.writerow([str(s.path), s.text, s.labels, "" if s.line is None else s.line, s.reason])
    return path


def skipped_note(skipped: Sequence[Skipped], listing: Path, shown: int = 3) -> str:
    """One line: how many rows were skipped, the first few with where they are listed, the full list."""
    first = "; ".join(f"{s.where()} {s.path.name} ({s.reason})" for s in skipped[:shown])
    more = f"; and {len(skipped) - shown} more" if len(skipped) > shown else ""
    return f"skipped {len(skipped)} unreadable image(s): {first}{more}; full list: {listing}"


def nothing_left(what: str, skipped: Sequence[Skipped]) -> PlatocrError:
    first = skipped[0]
    return PlatocrError(
        f"{what}: none of its images can be read ({len(skipped)} unreadable, e.g. {first.where()} "
        f"{first.path}: {first.reason})"
    )
