"""Training data: weighted sources, the vocabulary filter, the crop Dataset and the mixing sampler.

A source is ``LABELS[:WEIGHT]``; the weight is the source's SHARE of the training stream, whatever
its size (``real:1 synth:0.5`` -> two thirds real, one third synthetic). Rows the model cannot learn
(characters outside the vocab, text longer than ``data.max_text_len`` or than the model's T frames
can align) are dropped and reported per source, never silently.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from platocr.data.labels import LabelRow, open_dataset
from platocr.errors import PlatocrError
from platocr.recognition.preprocess import load_image, normalize
from platocr.recognition.tokenizer import Tokenizer


@dataclass
class Source:
    """One training/validation source: its rows and its mixing weight."""

    name: str
    rows: list[LabelRow]
    weight: float = 1.0


@dataclass
class FilterReport:
    """What was dropped from one source and why."""

    name: str
    total: int
    kept: int
    out_of_vocab: int = 0
    too_long: int = 0
    too_many_frames: int = 0
    unknown_chars: Counter[str] = field(default_factory=Counter)

    def message(self) -> str | None:
        """One line for the user, or None when every row was kept."""
        if self.kept == self.total:
            return None
        parts = []
        if self.out_of_vocab:
            chars = "".join(ch for ch, _ in self.unknown_chars.most_common(20))
            parts.append(f"{self.out_of_vocab} with characters outside the vocab ({chars!r})")
        if self.too_long:
            parts.append(f"{self.too_long} longer than data.max_text_len")
        if self.too_many_frames:
            parts.append(
                f"{self.too_many_frames} need more CTC frames than the model's T gives "
                "(lower model.time_stride or widen input.width)"
            )
        return f"{self.name}: excluded {self.total - self.kept} of {self.total} rows: " + "; ".join(parts)


def parse_source(spec: str) -> tuple[Path, float]:
    """``path`` or ``path:weight`` -> (path, weight > 0). A colon not followed by a number is part of the path."""
    path, sep, tail = spec.rpartition(":")
    if sep:
        try:
            weight = float(tail)
        except ValueError:
            return Path(spec), 1.0
        if not math.isfinite(weight) or weight <= 0:
            raise PlatocrError(f"--train {spec}: the weight must be a number > 0, got {tail!r}")
        return Path(path), weight
    return Path(spec), 1.0


def open_sources(specs: Sequence[str]) -> list[Source]:
    """Open every ``LABELS[:WEIGHT]`` (any layout ``open_dataset`` understands), checking images exist."""
    sources = []
    for spec in specs:
        path, weight = parse_source(spec)
        sources.append(Source(name=str(path), rows=open_dataset(path, check_images=True), weight=weight))
    return sources


def resolve_vocab(vocab: str, sources: Sequence[Source]) -> str:
    """The configured vocab, or for ``auto`` the sorted characters of every training label."""
    if vocab != "auto":
        return vocab
    derived = Tokenizer.vocab_from_texts(row.text for source in sources for row in source.rows)
    if not derived:
        raise PlatocrError("vocab 'auto': the training labels contain no characters (only negatives)")
    return derived


def ctc_frames_needed(text: str) -> int:
    """Fewest frames CTC needs for ``text``: one per character, plus a blank between repeated ones."""
    return len(text) + sum(a == b for a, b in zip(text, text[1:], strict=False))


def filter_rows(
    source: Source, tokenizer: Tokenizer, max_text_len: int | None = None, frames: int | None = None
) -> tuple[Source, FilterReport]:
    """Keep the rows the model can learn; ``None`` limits keep any length (validation)."""
    report = FilterReport(name=source.name, total=len(source.rows), kept=0)
    kept = []
    for row in source.rows:
        unknown = tokenizer.unknown_chars(row.text)
        if unknown:
            report.out_of_vocab += 1
            report.unknown_chars.update(ch for ch in row.text if ch in unknown)
        elif max_text_len is not None and len(row.text) > max_text_len:
            report.too_long += 1
        elif frames is not None and ctc_frames_needed(row.text) > frames:
            report.too_many_frames += 1
        else:
            kept.append(row)
    report.kept = len(kept)
    return Source(source.name, kept, source.weight), report


class CropDataset(Dataset):
    """Crops of one or more sources, concatenated; item = (RGB uint8 HxWx3 array, text, learnable)."""

    def __init__(
        self, rows: Sequence[LabelRow], transform: Callable[[np.ndarray], np.ndarray], tokenizer: Tokenizer
    ) -> None:
        self.rows = list(rows)
        self.transform = transform
        self.tokenizer = tokenizer

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> tuple[np.ndarray, str, bool]:
        row = self.rows[index]
        image = self.transform(load_image(row.path))  # BGR in, fitted BGR out
        rgb = np.ascontiguousarray(image[:, :, ::-1])
        return rgb, row.text, not self.tokenizer.unknown_chars(row.text)


@dataclass
class Batch:
    """A collated batch: images (B, 3, H, W) float32, CTC targets (sum of lengths,), lengths (B,)."""

    images: torch.Tensor
    targets: torch.Tensor
    target_lengths: torch.Tensor
    learnable: torch.Tensor  # (B,) bool: target encodable (False only in validation, for OOV labels)
    texts: list[str]

    def pin_memory(self) -> Batch:
        self.images = self.images.pin_memory()
        return self


class Collate:
    """Picklable collate function: normalise images, encode texts (unknown chars dropped, row flagged)."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        self.tokenizer = tokenizer
        self.known = set(tokenizer.vocab)

    def __call__(self, items: Sequence[tuple[np.ndarray, str, bool]]) -> Batch:
        # preprocess is numpy (inference needs no torch): the batch becomes a tensor here, without a copy.
        images = torch.from_numpy(normalize(np.stack([image for image, _, _ in items])))
        encoded = [
            self.tokenizer.encode("".join(ch for ch in text if ch in self.known)) for _, text, _ in items
        ]
        targets = torch.tensor([i for seq in encoded for i in seq], dtype=torch.long)
        lengths = torch.tensor([len(seq) for seq in encoded], dtype=torch.long)
        learnable = torch.tensor([ok for _, _, ok in items], dtype=torch.bool)
        return Batch(images, targets, lengths, learnable, [text for _, text, _ in items])


class MixedSampler(Sampler[int]):
    """Per-epoch sample of indices into the concatenated sources, mixed by weight, sharded by rank.

    Each epoch draws ``round(share * num_samples)`` rows from every source: a fresh permutation of the
    source, repeated when the quota exceeds its size (so a small source is oversampled without
    duplicates inside one pass). The whole list is shuffled, padded to a multiple of ``world_size``
    and rank ``r`` takes every ``world_size``-th index from ``r`` (like DistributedSampler). Seeded by
    ``seed + epoch``: every rank draws the same list, call :meth:`set_epoch` before each epoch.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        weights: Sequence[float],
        num_samples: int,
        *,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        if not sizes or any(n <= 0 for n in sizes):
            raise PlatocrError(
                f"every training source needs at least one usable row, got sizes {list(sizes)}"
            )
        self.sizes = list(sizes)
        total = sum(weights)
        self.shares = [w / total for w in weights]
        self.num_samples = num_samples  # global, over all ranks
        self.seed, self.rank, self.world_size = seed, rank, world_size
        self.epoch = 0
        self.offsets = np.cumsum([0, *self.sizes[:-1]])

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return math.ceil(self.num_samples / self.world_size)

    def _quotas(self) -> list[int]:
        quotas = [int(share * self.num_samples) for share in self.shares]
        # Give the rounding remainder to the sources with the largest fractional parts.
        order = sorted(
            range(len(quotas)), key=lambda i: self.shares[i] * self.num_samples - quotas[i], reverse=True
        )
        for i in order[: self.num_samples - sum(quotas)]:
            quotas[i] += 1
        return quotas

    def __iter__(self) -> Iterator[int]:
        rng = np.random.default_rng(self.seed + self.epoch)
        parts = []
        for size, offset, quota in zip(self.sizes, self.offsets, self._quotas(), strict=True):
            passes = [rng.permutation(size) for _ in range(math.ceil(quota / size))]
            parts.append(np.concatenate(passes)[:quota] + offset if passes else np.empty(0, dtype=np.int64))
        indices = np.concatenate(parts)
        rng.shuffle(indices)
        padded = len(self) * self.world_size
        if padded > len(indices):
            indices = np.concatenate([indices, indices[: padded - len(indices)]])
        return iter(indices[self.rank : padded : self.world_size].tolist())
