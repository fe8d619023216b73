"""What ``platocr bench`` measured, typed; :meth:`BenchReport.as_dict` is its JSON (``--out``) and
:func:`report_tables` its tables."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from rich.console import Group

    from platocr.threads import ThreadPlan
    from platocr.tools.bench import BenchSettings
    from platocr.video.bench import VideoBenchRow

SCHEMA = "platocr-bench/1"
# What one crops/s row read: the model's text alone, or the bars too (bars_reader.read_bars).
Reads = Literal["digits", "bars+digits"]


@dataclass(frozen=True)
class MachineInfo:
    """The host: figures mean little without it. ``torch_threads`` is torch's default (each figure ran
    with its thread plan); ``load_avg`` at the start and ``load_avg_end`` at the end (1, 5, 15 min)."""

    platform: str
    cpu: str
    cores: int | None
    torch_threads: int
    load_avg: tuple[float, ...] | None
    torch: str
    onnxruntime: str
    onnx_providers: tuple[str, ...]
    cuda: bool
    cuda_device: str | None
    load_avg_end: tuple[float, ...] | None = None


@dataclass
class ModelInfo:
    """The model timed: where from (a random one when ``random_init``), its shape, and notes on what
    was timed and how (voting crops, int8 made here, rows skipped)."""

    source: str
    random_init: bool
    backbone: str
    rnn: str
    input: tuple[int, int]  # (height, width)
    vocab: str
    parameters: int
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CropsRow:
    """Crops/s of one (backend, precision, reads, device, batch): ``crops_per_s`` from the median call,
    ``crops_per_s_mean`` = crops / total time, ``ms_per_batch`` the median call. A row that could not be
    timed has no figures and a ``note`` saying why (e.g. the extra to install)."""

    backend: str
    device: str
    batch: int
    precision: str = "float32"  # "int8": the quantised ONNX model
    reads: Reads = "digits"
    repeats: int = 0
    crops_per_s: float | None = None
    crops_per_s_mean: float | None = None
    ms_per_batch: float | None = None
    note: str | None = None

    def as_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self)


@dataclass
class BenchReport:
    """Every figure of one ``platocr bench`` run: crops/s rows, video rows, and what they ran on."""

    created: str  # ISO time
    machine: MachineInfo
    model: ModelInfo
    settings: BenchSettings
    threads: dict[str, ThreadPlan]  # mode -> plan; crops/s ran with the sequential one
    crops: list[CropsRow] = field(default_factory=list)
    video: list[VideoBenchRow] = field(default_factory=list)
    schema: str = SCHEMA

    def as_dict(self) -> dict[str, object]:
        """The JSON report (the keys and order ``platocr-bench/1`` has always had; lists for tuples)."""
        return {
            "schema": self.schema,
            "created": self.created,
            "machine": _lists(dataclasses.asdict(self.machine)),
            "model": _lists(dataclasses.asdict(self.model)),
            "settings": _lists(dataclasses.asdict(self.settings)),
            "threads": {mode: plan.as_dict() for mode, plan in self.threads.items()},
            "crops": [row.as_dict() for row in self.crops],
            "video": [row.as_dict() for row in self.video],
        }


def _lists(record: dict[str, object]) -> dict[str, object]:
    """Tuples as lists, one level deep: what ``json.loads`` gives back, so a report compares equal."""
    return {key: list(value) if isinstance(value, tuple) else value for key, value in record.items()}


def fmt_load(load: tuple[float, ...] | None) -> str:
    return " ".join(f"{x:.2f}" for x in load) if load else "n/a"


def report_tables(report: BenchReport) -> Group:
    """Rich renderable: a machine/model header, crops/s per (backend, precision, reads, batch), video fps."""
    from rich.console import Group
    from rich.markup import escape
    from rich.table import Table

    machine, model = report.machine, report.model
    header = Table(title="platocr bench", show_header=False)
    header.add_column("item")
    header.add_column("value")
    header.add_row("machine", f"{machine.cpu}, {machine.cores} cores, torch {machine.torch}, "
                   f"onnxruntime {machine.onnxruntime}, cuda: {machine.cuda_device or 'none'}")  # fmt: skip
    for mode, plan in report.threads.items():
        header.add_row(f"threads, {'crops + sequential' if mode == 'sequential' else mode}", plan.line())
    header.add_row(
        "load avg (start / end)", f"{fmt_load(machine.load_avg)} / {fmt_load(machine.load_avg_end)}"
    )
    header.add_row("model", f"{model.source} ({model.backbone} + {model.rnn}, input "
                   f"{model.input[0]}x{model.input[1]}, {model.parameters:,} params)")  # fmt: skip
    for note in model.notes:
        header.add_row("note", escape(note))
    crops = Table(title="crops/s (median call: preprocess + forward + decode; bars+digits: + read_bars)")
    for name in ("backend", "precision", "reads", "device", "batch", "crops/s", "ms/batch"):
        crops.add_column(name, justify="right")
    notes = []
    for row in report.crops:
        if row.crops_per_s is None or row.ms_per_batch is None:
            notes.append(row.note or "not timed")
            speed, ms = "- *", "-"
        else:
            speed, ms = f"{row.crops_per_s:.1f}", f"{row.ms_per_batch:.1f}"
        crops.add_row(row.backend, row.precision, row.reads, row.device, str(row.batch), speed, ms)
    if notes:
        crops.caption = escape("* " + "; ".join(sorted(set(notes))))
    parts: list[Any] = [header, crops]
    if report.video:
        video = Table(title="video annotator (one ROI crop per frame)")
        for name in ("backend", "device", "size", "mode", "frames", "fps", "bottleneck"):
            video.add_column(name, justify="right")
        for v in report.video:
            video.add_row(v.backend, v.device, "x".join(map(str, v.size)), v.mode, str(v.frames),
                          f"{v.fps:.1f}" + (" *" if v.note else ""), str(v.bottleneck))  # fmt: skip
        video_notes = sorted({v.note for v in report.video if v.note})
        if video_notes:
            video.caption = escape("* " + "; ".join(video_notes))
        parts.append(video)
    return Group(*parts)
