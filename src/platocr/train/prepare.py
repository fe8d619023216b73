"""From ``--train``/``--val`` specs and a config to the tokenizer and DataLoaders of a run."""

from __future__ import annotations

import signal
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from torch.utils.data import DataLoader, get_worker_info

from platocr.data.labels import open_dataset
from platocr.errors import PlatocrError
from platocr.recognition.config import Config
from platocr.recognition.tokenizer import Tokenizer
from platocr.train.augment import build_augmenter, resize_only
from platocr.train.data import (
    Collate,
    CropDataset,
    MixedSampler,
    Source,
    filter_rows,
    open_sources,
    resolve_vocab,
)
from platocr.train.ddp import DistContext
from platocr.train.images import Skipped, drop_unreadable, find_unreadable, nothing_left

CHECK_ROWS = 64  # training crops the learning check reads when there is no validation set


@dataclass
class PreparedData:
    tokenizer: Tokenizer
    train_loader: DataLoader
    sampler: MixedSampler
    val_loader: DataLoader | None
    check_loader: DataLoader | None = None  # without --val: a few unaugmented training crops
    notes: list[str] = field(default_factory=list)  # what was excluded and why, per source
    train_rows: int = 0
    val_rows: int = 0


def _seed_worker_augmenter(worker_id: int) -> None:
    """Each worker gets its own augmentation stream (forked workers would otherwise share one).

    Workers ignore Ctrl-C: the main process stops training after the current step and saves
    ``last.pt``, which needs its loader alive until then.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    info = get_worker_info()
    transform = getattr(info.dataset, "transform", None)
    if hasattr(transform, "reseed"):
        transform.reseed(torch.initial_seed() % 2**32)


def make_loader(
    dataset: CropDataset,
    *,
    batch_size: int,
    num_workers: int,
    sampler: torch.utils.data.Sampler | None = None,
    drop_last: bool = False,
    seed: int = 0,
    pin_memory: bool = False,
) -> DataLoader:
    return DataLoader(
        dataset,
        batch_size=batch_size,
        sampler=sampler,
        shuffle=False,
        num_workers=num_workers,
        persistent_workers=num_workers > 0,
        collate_fn=Collate(dataset.tokenizer),
        worker_init_fn=_seed_worker_augmenter if num_workers > 0 else None,
        generator=torch.Generator().manual_seed(seed),
        drop_last=drop_last,
        pin_memory=pin_memory,
    )


@dataclass
class OpenedData:
    """The sources of a run with the rows whose image cannot be read taken out."""

    sources: list[Source]
    val: Source | None
    tokenizer: Tokenizer
    skipped: list[Skipped] = field(default_factory=list)


def open_training_sources(
    cfg: Config,
    train_specs: Sequence[str],
    val_spec: str | None = None,
    *,
    vocab: str | None = None,
    progress: bool = True,
) -> OpenedData:
    """Open ``--train``/``--val``, decode every image once (dropping the unreadable rows) and settle
    the vocab (``vocab`` wins, e.g. a resumed run's)."""
    if not train_specs:
        raise PlatocrError("no training data: give at least one --train LABELS[:WEIGHT]")
    sources = open_sources(train_specs)
    val = None if val_spec is None else Source(str(val_spec), open_dataset(val_spec, check_images=True))
    every = [*sources, *([val] if val is not None else [])]
    problems = find_unreadable([row.path for s in every for row in s.rows], progress=progress)
    skipped: list[Skipped] = []
    if problems:
        sources, dropped = _drop_each(sources, problems)
        skipped += dropped
        if not any(s.rows for s in sources):
            raise nothing_left("--train " + " ".join(train_specs), dropped)
        if val is not None:
            val, dropped = drop_unreadable(val, problems)
            skipped += dropped
            if not val.rows:
                raise nothing_left(f"--val {val_spec}", dropped)
    tokenizer = Tokenizer(vocab or resolve_vocab(cfg.data.vocab, sources))
    return OpenedData(sources, val, tokenizer, skipped)


def _drop_each(sources: Sequence[Source], problems: dict) -> tuple[list[Source], list[Skipped]]:
    kept, skipped = [], []
    for source in sources:
        source, dropped = drop_unreadable(source, problems)
        kept.append(source)
        skipped += dropped
    return kept, skipped


def prepare_data(
    cfg: Config,
    sources: Sequence[Source],
    tokenizer: Tokenizer,
    val_source: Source | None,
    ctx: DistContext,
    *,
    frames: int | None = None,
) -> PreparedData:
    """Filter the sources (vocab, ``data.max_text_len``, the model's ``frames`` T) and build loaders.

    ``train.batch_size`` is per process; an epoch is ``steps_per_epoch`` steps of every process, or
    one pass over all usable training rows split across processes.
    """
    notes: list[str] = []
    kept: list[Source] = []
    for source in sources:
        filtered, report = filter_rows(source, tokenizer, cfg.data.max_text_len, frames)
        if (message := report.message()) is not None:
            notes.append(message)
        if filtered.rows:
            kept.append(filtered)
        else:
            notes.append(f"{source.name}: no usable rows left, dropped from the mix")
    if not kept:
        raise PlatocrError("no usable training rows: " + "; ".join(notes))
    batch_size = cfg.train.batch_size
    if cfg.train.steps_per_epoch:
        num_samples = cfg.train.steps_per_epoch * batch_size * ctx.world_size
    else:
        num_samples = sum(len(s.rows) for s in kept)
    sampler = MixedSampler(
        [len(s.rows) for s in kept],
        [s.weight for s in kept],
        num_samples,
        seed=cfg.train.seed,
        rank=ctx.rank,
        world_size=ctx.world_size,
    )
    augmenter = build_augmenter(cfg.augment, cfg.input, seed=cfg.train.seed * 1000 + ctx.rank)
    train_set = CropDataset([row for s in kept for row in s.rows], augmenter, tokenizer)
    cuda = ctx.device.type == "cuda"
    train_loader = make_loader(
        train_set,
        batch_size=batch_size,
        num_workers=cfg.train.num_workers,
        sampler=sampler,
        # A last batch of 1 would break BatchNorm statistics; keep it only if it is the only batch.
        drop_last=len(sampler) > batch_size,
        seed=cfg.train.seed * 1000 + ctx.rank,
        pin_memory=cuda,
    )
    val_loader = None
    val_rows = 0
    check_loader = None
    if val_source is not None:
        _, report = filter_rows(val_source, tokenizer, None)
        if report.out_of_vocab:
            chars = "".join(ch for ch, _ in report.unknown_chars.most_common(20))
            notes.append(
                f"{report.name}: {report.out_of_vocab} of {report.total} validation rows have characters "
                f"outside the vocab ({chars!r}): kept, they count as errors"
            )
        val_rows = len(val_source.rows)
        if ctx.is_main:  # only rank 0 validates
            val_set = CropDataset(val_source.rows, resize_only(cfg.input), tokenizer)
            val_loader = make_loader(
                val_set, batch_size=batch_size * 2, num_workers=cfg.train.num_workers, pin_memory=cuda
            )
    elif ctx.is_main:  # no validation: the learning check reads a few training crops instead
        rows = train_set.rows[:: max(1, len(train_set) // CHECK_ROWS)][:CHECK_ROWS]
        check_set = CropDataset(rows, resize_only(cfg.input), tokenizer)
        check_loader = make_loader(check_set, batch_size=batch_size * 2, num_workers=0)
    return PreparedData(
        tokenizer=tokenizer,
        train_loader=train_loader,
        sampler=sampler,
        val_loader=val_loader,
        check_loader=check_loader,
        notes=notes,
        train_rows=len(train_set),
        val_rows=val_rows,
    )
