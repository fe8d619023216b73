"""Crop size / aspect and text statistics of a label set, and the input size they recommend."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from platocr.data.labels import LabelRow
from platocr.errors import PlatocrError
from platocr.recognition.tokenizer import Tokenizer

if TYPE_CHECKING:
    from rich.progress import Progress

PERCENTILES = (5, 50, 95)


@dataclass(frozen=True)
class Distribution:
    """min / percentiles / max of a sample."""

    minimum: float
    percentiles: dict[int, float]
    maximum: float

    @classmethod
    def of(cls, values: list[float]) -> Distribution:
        data = np.asarray(values, dtype=np.float64)
        return cls(
            float(data.min()), {p: float(np.percentile(data, p)) for p in PERCENTILES}, float(data.max())
        )


@dataclass(frozen=True)
class DatasetStats:
    """What the probe learnt from the labels and a sample of the images."""

    rows: int
    negatives: int
    sampled: int  # images whose size was read
    unreadable: list[Path]
    width: Distribution
    height: Distribution
    aspect: Distribution  # width / height
    text_length: Distribution | None  # None when every row is a negative
    alphabet: str


def image_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from the image header, or None if it cannot be read."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            return image.size
    except (OSError, ValueError):
        return None


def dataset_stats(
    rows: list[LabelRow], *, sample: int = 2000, seed: int = 0, progress: Progress | None = None
) -> DatasetStats:
    """Size / aspect statistics over up to ``sample`` random images, text statistics over all rows."""
    chosen = rows if len(rows) <= sample else random.Random(seed).sample(rows, sample)
    task = progress.add_task("reading crop sizes", total=len(chosen)) if progress else None
    sizes, unreadable = [], []
    for row in chosen:
        size = image_size(row.path)
        if size is None or min(size) == 0:
            unreadable.append(row.path)
        else:
            sizes.append(size)
        if progress is not None and task is not None:
            progress.advance(task)
    if not sizes:
        raise PlatocrError(
            f"none of the {len(chosen)} sampled images could be read (first: {chosen[0].path})"
        )
    widths, heights = [w for w, _ in sizes], [h for _, h in sizes]
    lengths = [len(row.text) for row in rows if row.text]
    return DatasetStats(
        rows=len(rows),
        negatives=sum(1 for row in rows if not row.text),
        sampled=len(chosen),
        unreadable=unreadable,
        width=Distribution.of(widths),
        height=Distribution.of(heights),
        aspect=Distribution.of([w / h for w, h in sizes]),
        text_length=Distribution.of(lengths) if lengths else None,
        alphabet=Tokenizer.vocab_from_texts(row.text for row in rows),
    )


def recommend_input(stats: DatasetStats, height: int) -> tuple[int, int]:
    """(H, W): the 95th-percentile aspect at ``height``, width rounded up to a multiple of 32."""
    width = height * stats.aspect.percentiles[95]
    return height, max(32, 32 * math.ceil(width / 32))
