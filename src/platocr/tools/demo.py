"""`platocr demo`: the one-command tour of the toolkit on a small synthetic barcode set.

synth -> crop -> split -> probe -> train (the probe's config: a fine-tune for a step budget) -> eval ->
gallery -> read -> video. Each step calls the same library function its subcommand calls, so the tour
exercises the real code paths. Steps record the artefacts they wrote and the figures they measured for
the closing table.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rich.progress import Progress
from rich.table import Table

from platocr.errors import PlatocrError
from platocr.tools import demo_model

MARKER = ".platocr-demo"  # marks a folder the demo made, so a second run may replace its outputs
# What the steps write under --out; a re-run into a demo folder removes exactly these first.
OUTPUTS = ("photos", "photos_preview.png", "crops", "split", "probe.yaml", "train", "eval.json",
           "gallery.html", "read.tsv", "video")  # fmt: skip


@dataclass(frozen=True)
class DemoSettings:
    """Sizes of the tour; the defaults take about 5 minutes on 2 idle CPU cores, tests shrink them."""

    photos: int = 1000
    seed: int = 0
    config: Path | None = None  # the probe's base config; None = the checkout's configs/quick.yaml
    steps: int | None = 150  # training budget in optimizer steps; None = the probe's own budget
    from_scratch: bool = False  # probe --from-scratch: no shipped model to start from
    train_overrides: tuple[str, ...] = ()  # extra KEY=VALUE config overrides, applied last
    video_seconds: float = 4.0
    video_size: tuple[int, int] = (640, 360)  # (width, height)
    video_fps: float = 25.0
    gallery_limit: int = 60
    device: str = "auto"


@dataclass
class DemoState:
    """What the steps share: the output folder, the settings, and the artefacts/figures so far."""

    out: Path
    settings: DemoSettings
    config: Path
    progress: Progress | None = None
    artefacts: dict[str, Path] = field(default_factory=dict)
    figures: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    init: str | None = None  # the shipped model the probe's config fine-tunes, None = from scratch
    test_predictions: list[str] = field(default_factory=list)  # eval's reads of test.tsv, read compares


def default_config() -> Path:
    """``configs/quick.yaml`` of the source checkout platocr is installed from (editable install)."""
    import platocr

    path = Path(platocr.__file__).resolve().parents[2] / "configs" / "quick.yaml"
    if not path.is_file():
        raise PlatocrError(f"{path} not found (platocr is not installed from a checkout): pass --config PATH")
    return path


def prepare_out(out: Path) -> None:
    """Create ``out``, or clear the outputs of an earlier demo in it; refuse a file or a foreign folder."""
    if out.exists() and not out.is_dir():
        raise PlatocrError(f"--out {out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()):
        if not (out / MARKER).is_file():
            raise PlatocrError(f"--out {out}: folder is not empty and not an earlier demo; pick a new --out")
        for name in OUTPUTS:
            path = out / name
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("written by platocr demo\n", encoding="utf-8")


def _synth(state: DemoState) -> None:
    from platocr.synth.barcodes import generate_barcode_dataset

    report = generate_barcode_dataset(
        state.out / "photos",
        count=state.settings.photos,
        seed=state.settings.seed,
        preview=state.out / "photos_preview.png",
        show_progress=False,
    )
    state.artefacts["barcode photos"] = state.out / "photos" / "annotations.tsv"
    state.artefacts["photo contact sheet"] = state.out / "photos_preview.png"
    state.figures["synth"] = (
        f"{report.photos} photos, {report.barcodes} barcodes, {report.photos_per_second:.1f} photos/s"
    )


def _crop(state: DemoState) -> None:
    from platocr.data.crop import crop_dataset

    report = crop_dataset(state.out / "photos", state.out / "crops", show_progress=False)
    state.artefacts["crops + labels.tsv"] = report.label_file
    state.figures["crop"] = (
        f"{report.written + report.reused} crops ({len(report.skipped)} skipped), {report.photos_per_s:.1f} photos/s"
    )


def _split(state: DemoState) -> None:
    from platocr.data.split import split_dataset

    result = split_dataset(
        state.out / "crops" / "labels.tsv",
        state.out / "split",
        val_fraction=0.15,
        test_fraction=0.15,
        seed=state.settings.seed,
    )
    for name, path in result.files.items():
        state.artefacts[f"split: {name}"] = path
    sizes = " / ".join(f"{name} {len(rows)}" for name, rows in result.sides.items())
    state.figures["split sizes"] = f"{sizes} (photos on two sides: {result.shared_groups()})"


STEPS: list[tuple[str, Callable[[DemoState], None]]] = [
    ("synthesise barcode photos", _synth),
    ("crop the boxes", _crop),
    ("grouped split", _split),
    ("probe and write a training config", demo_model.probe_step),
    ("train", demo_model.train_step),
    ("evaluate on test", demo_model.eval_step),
    ("gallery", demo_model.gallery_step),
    ("read the test crops", demo_model.read_step),
    ("annotate a synthetic video", demo_model.video_step),
]


def run_demo(
    out: str | Path, settings: DemoSettings | None = None, *, show_progress: bool = True
) -> DemoState:
    """Run every step into ``out`` and return the shared state (artefacts, figures, step times)."""
    from platocr.progress import make_progress

    settings = settings or DemoSettings()
    config = settings.config or default_config()
    if not Path(config).is_file():
        raise PlatocrError(f"--config {config}: file not found")
    state = DemoState(out=Path(out), settings=settings, config=Path(config))
    prepare_out(state.out)
    with make_progress(enabled=show_progress) as progress:
        state.progress = progress
        task = progress.add_task("demo", total=len(STEPS))
        for title, step in STEPS:
            progress.update(task, description=f"demo: {title}")
            started = time.perf_counter()
            step(state)
            state.seconds[title] = time.perf_counter() - started
            progress.advance(task)
    state.progress = None
    return state


def summary_table(state: DemoState) -> Table:
    """The closing table: artefacts with their paths, then figures, then step times."""
    table = Table(title=f"platocr demo -> {state.out}", show_header=True)
    table.add_column("what", no_wrap=True)
    table.add_column("value", overflow="fold")
    for name, path in state.artefacts.items():
        table.add_row(name, str(path))
    table.add_section()
    for name, value in state.figures.items():
        table.add_row(name, value)
    table.add_section()
    for title, seconds in state.seconds.items():
        table.add_row(f"time: {title}", f"{seconds:.1f} s")
    table.add_row("time: total", f"{sum(state.seconds.values()) / 60:.1f} min")
    return table
