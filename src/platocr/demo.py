"""`platocr demo`: the one-command tour of the toolkit on a small synthetic barcode set.

synth -> crop -> split -> probe -> train (configs/quick.yaml, time-boxed) -> eval -> gallery -> video.
Each step calls the same library function its subcommand calls, so the tour exercises the real code
paths. Steps record the artefacts they wrote and the figures they measured for the closing table.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rich.progress import Progress
from rich.table import Table

from platocr.errors import PlatocrError

MARKER = ".platocr-demo"  # marks a folder the demo made, so a second run may replace its outputs
# What the steps write under --out; a re-run into a demo folder removes exactly these first.
OUTPUTS = ("photos", "photos_preview.png", "crops", "split", "probe.yaml", "train", "eval.json",
           "gallery.html", "video")  # fmt: skip


@dataclass(frozen=True)
class DemoSettings:
    """Sizes of the tour; the defaults fit well under 15 minutes on 2 CPU cores, tests shrink them."""

    photos: int = 1000
    seed: int = 0
    config: Path | None = None  # None = the checkout's configs/quick.yaml
    minutes: float = 6.0  # training budget (train.max_minutes)
    train_overrides: tuple[str, ...] = ()  # extra KEY=VALUE config overrides, applied last
    probe_backbones: tuple[str, ...] = ()  # () = the config's backbone only
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
    max_text_len: int = 0  # longest label, measured by the probe
    input_overrides: list[str] = field(default_factory=list)  # the probe's input size (and time_stride)


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
    state.artefacts["barcode photos (layout a)"] = state.out / "photos" / "annotations.tsv"
    state.artefacts["photo contact sheet"] = state.out / "photos_preview.png"
    state.figures["synth"] = (
        f"{report.photos} photos, {report.barcodes} barcodes, {report.photos_per_second:.1f} photos/s"
    )


def _crop(state: DemoState) -> None:
    from platocr.crop import crop_dataset

    report = crop_dataset(state.out / "photos", state.out / "crops", show_progress=False)
    state.artefacts["crops + labels.tsv"] = report.label_file
    state.figures["crop"] = (
        f"{report.written + report.reused} crops ({len(report.skipped)} skipped), {report.photos_per_s:.1f} photos/s"
    )


def _split(state: DemoState) -> None:
    from platocr.split import split_dataset

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


def _probe(state: DemoState) -> None:
    from platocr.config import load_config
    from platocr.demo_probe import probe_training_input
    from platocr.probe import write_probe_config

    s = state.settings
    cfg = load_config(state.config, s.train_overrides)  # --set model.backbone=... probes too
    device = None if s.device == "auto" else s.device
    report, state.input_overrides = probe_training_input(
        state.out / "split" / "train.tsv", cfg, s.train_overrides, s.probe_backbones, device
    )
    state.max_text_len = report.max_text_len
    h, w = report.input_size
    best = report.best
    if best is None:
        pick = "no candidate reaches T / max text length >= 2"
    else:
        state.artefacts["probe config (pick)"] = write_probe_config(report, cfg, state.out / "probe.yaml")[0]
        ms = best.latency_ms[8] / 8
        pick = f"{best.backbone} stage {best.feature_stage} (T={best.seq_len}, {ms:.1f} ms/crop at batch 8)"
    state.figures["probe (advice, probe.yaml)"] = (
        f"input {h}x{w}, max text length {report.max_text_len}, pick {pick}; "
        f"training uses {' '.join(state.input_overrides)}"
    )


@contextmanager
def _time_bar(progress: Progress | None, description: str, seconds: float) -> Iterator[None]:
    """A bar that fills with wall time against a budget: training reports no steps to the demo."""
    if progress is None:
        yield
        return
    task = progress.add_task(description, total=max(seconds, 1e-3))
    stop = threading.Event()
    start = time.monotonic()

    def tick() -> None:
        while not stop.wait(0.5):
            progress.update(task, completed=min(seconds, time.monotonic() - start))

    thread = threading.Thread(target=tick, name="platocr-demo-bar", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        progress.remove_task(task)


def _train(state: DemoState) -> None:
    from platocr.config import load_config
    from platocr.train import TrainRequest, train

    s = state.settings
    # best.pt by quick.yaml's StringMatch, the figure the demo reports: while it stays 0.0 in the first
    # epochs, ties go to the lower val loss, so the first epoch is not kept by default.
    overrides = [f"train.max_minutes={s.minutes}", f"train.seed={s.seed}", *state.input_overrides]
    if state.max_text_len:  # quick.yaml's max_text_len suits plates (9); EAN-13 needs 13
        overrides.append(f"data.max_text_len={state.max_text_len}")
    split = state.out / "split"
    request = TrainRequest(
        config=state.config, out=state.out / "train", train=[str(split / "train.tsv")], val=str(split / "val.tsv"),
        vocab="auto", overrides=[*overrides, *s.train_overrides], device=s.device, progress=False,
    )  # fmt: skip
    started = time.monotonic()
    with _time_bar(state.progress, f"  training budget {s.minutes:g} min", s.minutes * 60):
        result = train(request)
    minutes = (time.monotonic() - started) / 60
    state.artefacts["model (best.pt)"] = result.run_dir / "best.pt"
    state.artefacts["training curves"] = result.run_dir / "curves.png"
    rate = result.history[-1]["samples_per_s"] if result.history else 0.0
    trained = load_config(result.run_dir / "config.yaml")  # what was trained, overrides included
    state.figures["train"] = (
        f"{state.config.name} ({trained.model.backbone}, {trained.input.height}x{trained.input.width}): "
        f"{result.last_epoch} epochs ({result.stop_reason}) in {minutes:.1f} min, {rate:.0f} samples/s"
    )
    best = next(row for row in result.history if row["epoch"] == result.best_epoch)
    state.figures["train: best epoch (val)"] = (
        f"epoch {best['epoch']} by {result.metric}: StringMatch {best['string_match']:.3f}, CER {best['cer']:.3f}"
    )


def _eval(state: DemoState) -> None:
    from platocr.evaluate import evaluate

    test = state.out / "split" / "test.tsv"
    report = evaluate(state.out / "train" / "best.pt", test, device=state.settings.device, progress=False)
    path = state.out / "eval.json"
    path.write_text(json.dumps(report.as_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    state.artefacts["eval figures (test)"] = path
    m = report.metrics
    state.figures["eval on test"] = (
        f"StringMatch {m.string_match:.3f}, CER {m.cer:.3f} on {m.n} crops ({report.decode}), "
        f"{report.crops_per_s:.0f} crops/s"
    )


def _gallery(state: DemoState) -> None:
    from platocr.gallery import make_gallery

    result = make_gallery(
        state.out / "train" / "best.pt", state.out / "split" / "test.tsv", state.out / "gallery.html",
        limit=state.settings.gallery_limit, device=state.settings.device, progress=False,
    )  # fmt: skip
    state.artefacts["gallery (errors first)"] = result.path
    state.figures["gallery"] = f"{result.shown} of {result.total} test crops shown, {result.errors} errors"


def _video(state: DemoState) -> None:
    from platocr.data.labels import open_dataset
    from platocr.demo_video import run_demo_video

    s = state.settings
    rows = open_dataset(state.out / "split" / "test.tsv")
    video = run_demo_video(
        state.out / "train" / "best.pt", rows, state.out / "video", seconds=s.video_seconds,
        size=s.video_size, fps=s.video_fps, device=s.device,
    )  # fmt: skip
    state.artefacts["video: synthetic clip"] = video.clip
    state.artefacts["video: annotated"] = video.annotated
    state.artefacts["video: per-frame JSONL"] = video.jsonl
    st = video.stats
    width, height = st["size"]
    state.figures["video"] = (
        f"{st['frames']} frames {width}x{height} annotated at {st['fps']:.1f} fps ({video.backend}, {st['mode']}, "
        f"bounded by {st['bottleneck']}); ROI {','.join(map(str, video.roi))}; "
        f"frames read right {video.reads_right}/{len(video.texts)}"
    )


STEPS: list[tuple[str, Callable[[DemoState], None]]] = [
    ("synthesise barcode photos", _synth),
    ("crop the boxes", _crop),
    ("grouped split", _split),
    ("probe input size and backbone", _probe),
    ("train", _train),
    ("evaluate on test", _eval),
    ("gallery", _gallery),
    ("annotate a synthetic video", _video),
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
