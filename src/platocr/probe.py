"""``platocr probe``: crop and text statistics of a dataset, and which backbone/stage fits them.

CTC needs at least one frame per character plus a blank between repeated characters, so the
sequence length T of the model must comfortably exceed the longest text: we require
T / max_text_len >= 2. For each backbone and stage the probe builds the full CRNN at the
recommended input size, reads T from its dry run, counts parameters and times inference.
"""

from __future__ import annotations

import dataclasses
import math
import random
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from platocr.config import Config, save_config
from platocr.data.labels import LabelRow, open_dataset
from platocr.errors import PlatocrError
from platocr.tokenizer import Tokenizer

DEFAULT_BACKBONES = ("platocr_vgg_t", "platocr_vgg_s", "mobilenetv3_small_100", "resnet18")
MIN_FRAMES_PER_CHAR = 2.0
PERCENTILES = (5, 50, 95)
LATENCY_BATCHES = (1, 32)


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


@dataclass(frozen=True)
class Candidate:
    """One backbone / stage / time_stride measured at the recommended input size."""

    backbone: str
    feature_stage: int
    time_stride: int | None
    native_stride: int  # the stage's own horizontal reduction
    feature_shape: tuple[int, int, int]  # (C, h, w) of the backbone output
    seq_len: int  # T
    frames_per_char: float  # T / max text length
    parameters: int
    latency_ms: dict[int, float]  # batch size -> median milliseconds per batch

    @property
    def fits(self) -> bool:
        return self.frames_per_char >= MIN_FRAMES_PER_CHAR


@dataclass(frozen=True)
class ProbeReport:
    source: Path
    stats: DatasetStats
    max_text_len: int
    input_size: tuple[int, int]  # recommended (H, W)
    device: str
    candidates: list[Candidate]

    @property
    def best(self) -> Candidate | None:
        """Fastest candidate (at the largest batch measured) with T / max_text_len >= 2."""
        fitting = [c for c in self.candidates if c.fits]
        return min(fitting, key=lambda c: c.latency_ms[max(c.latency_ms)]) if fitting else None


def image_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from the image header, or None if it cannot be read."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            return image.size
    except (OSError, ValueError):
        return None


def dataset_stats(rows: list[LabelRow], *, sample: int = 2000, seed: int = 0) -> DatasetStats:
    """Size / aspect statistics over up to ``sample`` random images, text statistics over all rows."""
    chosen = rows if len(rows) <= sample else random.Random(seed).sample(rows, sample)
    sizes, unreadable = [], []
    for row in chosen:
        size = image_size(row.path)
        if size is None or min(size) == 0:
            unreadable.append(row.path)
        else:
            sizes.append(size)
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


def candidate_settings(
    native_reductions: list[int], width: int, max_len: int
) -> list[tuple[int, int | None]]:
    """(feature_stage, time_stride) pairs worth measuring: the last two stages at their own
    stride, plus the mildest time_stride that gives T / max_len >= 2 where the own stride does not."""
    settings: list[tuple[int, int | None]] = []
    for stage in (-2, -1):
        if len(native_reductions) < -stage:
            continue
        native = native_reductions[stage]
        settings.append((stage, None))
        if width / native / max_len < MIN_FRAMES_PER_CHAR:
            stride = native // 2
            while stride > 1 and width / stride / max_len < MIN_FRAMES_PER_CHAR:
                stride //= 2
            settings.append((stage, stride))
    return settings


def measure_latency(model, input_size: tuple[int, int], batch: int, device, runs: int) -> float:
    """Median milliseconds per forward pass of a (batch, 3, H, W) input, after two warm-up runs."""
    import torch

    x = torch.randn(batch, 3, *input_size, device=device)
    timings = []
    with torch.inference_mode():
        for i in range(runs + 2):
            if device.type == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
            model(x)
            if device.type == "cuda":
                torch.cuda.synchronize()
            if i >= 2:
                timings.append((time.perf_counter() - start) * 1000)
    return float(np.median(timings))


def probe_backbones(
    cfg: Config,
    backbones: list[str],
    input_size: tuple[int, int],
    max_len: int,
    num_classes: int,
    *,
    runs: int = 3,
    device: str | None = None,
    batch_sizes: tuple[int, ...] = LATENCY_BATCHES,
) -> list[Candidate]:
    """Build the configured model for each backbone / stage / time_stride and measure it."""
    import timm
    import torch

    from platocr.model import build_model

    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    candidates = []
    for backbone in backbones:
        if not timm.is_model(backbone):
            raise PlatocrError(f"--backbone: unknown timm model {backbone!r}")
        reductions = timm.create_model(backbone, features_only=True).feature_info.reduction()
        for stage, stride in candidate_settings(reductions, input_size[1], max_len):
            trial = dataclasses.replace(
                cfg,
                input=dataclasses.replace(cfg.input, height=input_size[0], width=input_size[1]),
                model=dataclasses.replace(
                    cfg.model, backbone=backbone, feature_stage=stage, time_stride=stride
                ),
            )
            model = build_model(trial, num_classes).eval().to(device)
            latency = {b: measure_latency(model, input_size, b, device, runs) for b in batch_sizes}
            candidates.append(
                Candidate(
                    backbone=backbone,
                    feature_stage=stage,
                    time_stride=stride,
                    native_stride=reductions[stage],
                    feature_shape=tuple(model.feature_shape),
                    seq_len=model.seq_len,
                    frames_per_char=model.seq_len / max_len,
                    parameters=sum(p.numel() for p in model.parameters()),
                    latency_ms=latency,
                )
            )
    return candidates


def run_probe(
    source: str | Path,
    cfg: Config,
    *,
    backbones: list[str] | None = None,
    height: int | None = None,
    sample: int = 2000,
    runs: int = 3,
    device: str | None = None,
    batch_sizes: tuple[int, ...] = LATENCY_BATCHES,
) -> ProbeReport:
    """Statistics of ``source`` plus measured candidates at the recommended input size."""
    import torch

    rows = open_dataset(source)
    stats = dataset_stats(rows, sample=sample)
    max_len = int(stats.text_length.maximum) if stats.text_length else cfg.data.max_text_len
    input_size = recommend_input(stats, height or cfg.input.height)
    chosen = list(dict.fromkeys(backbones or DEFAULT_BACKBONES))
    dev = device or ("cuda" if torch.cuda.is_available() else "cpu")
    vocab = stats.alphabet if cfg.data.vocab == "auto" else cfg.data.vocab
    candidates = probe_backbones(
        cfg, chosen, input_size, max_len, len(vocab) + 1, runs=runs, device=dev, batch_sizes=batch_sizes
    )
    name = (
        torch.cuda.get_device_name(0)
        if dev.startswith("cuda")
        else f"cpu ({torch.get_num_threads()} threads)"
    )
    return ProbeReport(Path(source), stats, max_len, input_size, name, candidates)


def write_probe_config(report: ProbeReport, cfg: Config, path: str | Path) -> tuple[Path, list[str]]:
    """Write ``cfg`` with the recommended input size and the best candidate; returns (path, changes)."""
    best = report.best
    if best is None:
        raise PlatocrError(
            f"no backbone reaches T / max_text_len >= {MIN_FRAMES_PER_CHAR:g} at "
            f"{report.input_size[0]}x{report.input_size[1]}: try a larger --height or other --backbone"
        )
    height, width = report.input_size
    vocab = cfg.data.vocab
    missing = "" if vocab == "auto" else "".join(c for c in report.stats.alphabet if c not in vocab)
    new = dataclasses.replace(
        cfg,
        input=dataclasses.replace(cfg.input, height=height, width=width),
        model=dataclasses.replace(
            cfg.model, backbone=best.backbone, feature_stage=best.feature_stage, time_stride=best.time_stride
        ),
        # The labels may need characters the config cannot emit: extend the vocabulary.
        data=dataclasses.replace(cfg.data, max_text_len=report.max_text_len, vocab=vocab + missing),
    )
    changes = [
        f"input {height}x{width}",
        f"model.backbone={best.backbone} feature_stage={best.feature_stage} time_stride={best.time_stride}",
        f"data.max_text_len={report.max_text_len}",
    ] + ([f"data.vocab += {missing!r}"] if missing else [])
    return save_config(new, path), changes
