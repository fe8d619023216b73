"""``platocr probe``: crop and text statistics of a dataset, and which backbone/stage fits them.

CTC needs at least one frame per character plus a blank between repeated characters, so the
sequence length T of the model must comfortably exceed the longest text: we require
T / max_text_len >= 2. For each backbone and stage the probe builds the full CRNN at the
recommended input size, reads T from its dry run, counts parameters and multiply-adds and times
inference. The from-scratch pick is the candidate with the fewest multiply-adds among those that fit
and train from scratch on a CPU; when a shipped model knows the labels' characters
(:mod:`platocr.tools.probe_init`) its architecture is measured too, as the fine-tune start.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from platocr.data.labels import open_dataset
from platocr.errors import PlatocrError
from platocr.recognition.config import Config, ModelConfig
from platocr.tools.probe_init import InitModel, choose_init, rank_shipped_models
from platocr.tools.probe_stats import DatasetStats, Distribution, dataset_stats, recommend_input

if TYPE_CHECKING:
    import torch
    from rich.progress import Progress

DEFAULT_BACKBONES = ("platocr_vgg_t", "platocr_vgg_s", "mobilenetv3_small_100", "resnet18")
# platocr's own backbones leave CTC's all-blank plateau within a few hundred steps on a CPU when the RNN
# has the skip path (README "Training on a CPU"); mobile and residual ones from timm stay on it far longer.
SCRATCH_BACKBONES = ("platocr_vgg_t", "platocr_vgg_s", "platocr_vgg_m")
SCRATCH_GATE_CHANNELS = 128  # configs/quick.yaml's
MIN_FRAMES_PER_CHAR = 2.0
LATENCY_BATCHES = (1, 32)

__all__ = [  # the statistics live in probe_stats; callers import them from here too
    "Candidate", "DatasetStats", "Distribution", "ProbeReport", "candidate_settings", "dataset_stats",
    "recommend_input", "run_probe", "write_probe_config",
]  # fmt: skip


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
    macs: int = 0  # multiply-adds per crop (platocr.tools.probe_work.count_macs)
    rnn_skip: bool = False
    init: str | None = None  # the shipped model whose architecture this is (the fine-tune start)

    @property
    def fits(self) -> bool:
        return self.frames_per_char >= MIN_FRAMES_PER_CHAR

    @property
    def trains_from_scratch(self) -> bool:
        """platocr's own backbone, whole (stage -1), with the skip path: the measured CPU setting."""
        return (
            self.init is None
            and self.rnn_skip
            and self.backbone in SCRATCH_BACKBONES
            and self.feature_stage == -1
        )


@dataclass(frozen=True)
class ProbeReport:
    source: Path
    stats: DatasetStats
    max_text_len: int
    input_size: tuple[int, int]  # recommended (H, W)
    device: str
    candidates: list[Candidate]
    inits: tuple[InitModel, ...] = ()  # every shipped model, best start first
    init: InitModel | None = None  # the fine-tune start, None = from scratch
    fine_tune: Candidate | None = None  # ``init``'s architecture at ``input_size``
    height_from: str = "the config's input.height"  # where input_size's height comes from

    @property
    def best(self) -> Candidate | None:
        """The from-scratch pick: fewest multiply-adds among the candidates that fit and train from
        scratch on a CPU (a count, so two runs agree; the first listed wins a tie)."""
        eligible = [c for c in self.candidates if c.fits and c.trains_from_scratch]
        return min(eligible, key=lambda c: c.macs) if eligible else None

    @property
    def pick(self) -> Candidate | None:
        """What ``--write-config`` writes: the fine-tune start if there is one, else ``best``."""
        return self.fine_tune if self.init is not None else self.best


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


def candidate_model(base: ModelConfig, backbone: str, stage: int, stride: int | None) -> ModelConfig:
    """``base`` with a candidate's backbone / stage / time_stride; platocr's own backbones get the skip
    path and configs/quick.yaml's gate, as they are measured and written for training from scratch."""
    model = dataclasses.replace(base, backbone=backbone, feature_stage=stage, time_stride=stride)
    if backbone in SCRATCH_BACKBONES:
        model = dataclasses.replace(model, rnn_skip=True, gate_channels=SCRATCH_GATE_CHANNELS)
    return model


def with_input(cfg: Config, input_size: tuple[int, int], model: ModelConfig | None = None) -> Config:
    """``cfg`` at another input size (and with another model section)."""
    size = dataclasses.replace(cfg.input, height=input_size[0], width=input_size[1])
    return dataclasses.replace(cfg, input=size, model=model or cfg.model)


def measure_candidate(
    trial: Config,
    num_classes: int,
    max_len: int,
    device: torch.device,
    *,
    runs: int,
    batch_sizes: tuple[int, ...],
    init: str | None = None,
) -> Candidate:
    """Build ``trial``'s model and measure T, parameters, multiply-adds and latency."""
    from platocr.model import build_model
    from platocr.tools.probe_work import count_macs, measure_latency

    size = (trial.input.height, trial.input.width)
    model = build_model(trial, num_classes).eval().to(device)
    return Candidate(
        backbone=trial.model.backbone,
        feature_stage=trial.model.feature_stage,
        time_stride=trial.model.time_stride,
        native_stride=model.backbone.feature_info.reduction()[-1],
        feature_shape=tuple(model.feature_shape),
        seq_len=model.seq_len,
        frames_per_char=model.seq_len / max_len,
        parameters=sum(p.numel() for p in model.parameters()),
        latency_ms={b: measure_latency(model, size, b, device, runs) for b in batch_sizes},
        macs=count_macs(model, size),
        rnn_skip=trial.model.rnn_skip,
        init=init,
    )


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
    progress: Progress | None = None,
) -> list[Candidate]:
    """Build the configured model for each backbone / stage / time_stride and measure it."""
    import timm
    import torch

    import platocr.model  # noqa: F401 - registers platocr's own backbones with timm

    dev = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    task = progress.add_task("measuring backbones", total=len(backbones)) if progress else None
    candidates = []
    for backbone in backbones:
        if not timm.is_model(backbone):
            raise PlatocrError(f"--backbone: unknown timm model {backbone!r}")
        reductions = timm.create_model(backbone, features_only=True).feature_info.reduction()
        for stage, stride in candidate_settings(reductions, input_size[1], max_len):
            if progress is not None and task is not None:
                progress.update(task, description=f"measuring {backbone} stage {stage}")
            trial = with_input(cfg, input_size, candidate_model(cfg.model, backbone, stage, stride))
            candidates.append(
                measure_candidate(trial, num_classes, max_len, dev, runs=runs, batch_sizes=batch_sizes)
            )
        if progress is not None and task is not None:
            progress.advance(task)
    return candidates


def fine_tune_input(init: InitModel, input_size: tuple[int, int], max_len: int) -> tuple[int, int]:
    """``input_size`` widened by steps of 32 px until ``init``'s architecture gives T / max_len >= 2."""
    from platocr.model import build_model

    height, width = input_size
    model = build_model(with_input(init.config, input_size), len(init.vocab_for_labels) + 1)
    reduction = width / model.seq_len
    while width / reduction / max_len < MIN_FRAMES_PER_CHAR:
        width += 32
    return height, width


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
    fine_tune: bool = True,
    progress: Progress | None = None,
) -> ProbeReport:
    """Statistics of ``source``, the shipped model to fine-tune from (unless ``fine_tune`` is False
    or none knows the labels' characters) and measured candidates at the recommended input size:
    ``height``, else the fine-tune start's height, else the config's."""
    import torch

    rows = open_dataset(source)
    stats = dataset_stats(rows, sample=sample, progress=progress)
    max_len = int(stats.text_length.maximum) if stats.text_length else cfg.data.max_text_len
    inits = tuple(rank_shipped_models(stats.alphabet, (row.text for row in rows)))
    init = choose_init(list(inits)) if fine_tune else None
    input_size = recommend_input(stats, height or (init.config.input.height if init else cfg.input.height))
    height_from = (
        "as given (--height)" if height else f"{init.name}'s" if init else "the config's input.height"
    )
    dev = device or ("cuda" if torch.cuda.is_available() else "cpu")
    measured = None
    if init is not None:
        task = progress.add_task(f"measuring {init.name}'s architecture", total=1) if progress else None
        input_size = fine_tune_input(init, input_size, max_len)
        measured = measure_candidate(
            with_input(init.config, input_size), len(init.vocab_for_labels) + 1, max_len,
            torch.device(dev), runs=runs, batch_sizes=batch_sizes, init=init.name,
        )  # fmt: skip
        if progress is not None and task is not None:
            progress.advance(task)
    chosen = list(dict.fromkeys(backbones or DEFAULT_BACKBONES))
    vocab = stats.alphabet or cfg.data.vocab
    candidates = probe_backbones(
        cfg, chosen, input_size, max_len, len(vocab) + 1,
        runs=runs, device=dev, batch_sizes=batch_sizes, progress=progress,
    )  # fmt: skip
    name = (
        torch.cuda.get_device_name(0)
        if dev.startswith("cuda")
        else f"cpu ({torch.get_num_threads()} threads)"
    )
    return ProbeReport(
        Path(source), stats, max_len, input_size, name, candidates, inits, init, measured, height_from
    )


def write_probe_config(report: ProbeReport, cfg: Config, path: str | Path) -> tuple[Path, list[str]]:
    """Write the config ``report`` recommends (see :func:`platocr.tools.probe_config.write_probe_config`)."""
    from platocr.tools.probe_config import write_probe_config as write

    return write(report, cfg, path)
