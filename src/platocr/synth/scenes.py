"""Synthetic full camera frames with plate boxes (``platocr synth scenes``).

Writes ``OUT/images/000001.jpg`` ... and ``OUT/boxes.tsv`` (see ``platocr.data.plate_boxes``: one row per
plate, a frame without plates listed once with empty text and box). Frame ``index`` draws from its own
generator ``np.random.SeedSequence([seed, index])``, so a seed gives the same files whatever the number
of workers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from platocr.data.plate_boxes import IGNORE_REGION
from platocr.errors import PlatocrError

PREVIEW_FRAMES = 12


@dataclass(frozen=True)
class _Job:
    """One frame to draw (picklable for the process pool)."""

    seed: int
    index: int
    size: tuple[int, int]
    foreign: float
    path: Path
    real_plates: str | None = None  # a boxes file of real plate photos (loaded once per worker)
    real_share: float = 0.0
    camera_text: float = 0.0


def _render_job(job: _Job) -> tuple[tuple[str, tuple[int, int, int, int], str], ...]:
    """Draw and write one frame; returns its plates as (text, box, kind) (runs in a worker process)."""
    from platocr.synth.plate_frames import render_scene
    from platocr.synth.real_plates import load_real_plates

    rng = np.random.default_rng(np.random.SeedSequence([job.seed, job.index]))
    real = (load_real_plates(job.real_plates), job.real_share) if job.real_plates else None
    scene = render_scene(rng, job.size, job.foreign, real, camera_text=job.camera_text)
    image = scene.image
    if np.array_equal(image[:, :, 0], image[:, :, 1]) and np.array_equal(image[:, :, 1], image[:, :, 2]):
        image = image[:, :, 0]  # infrared frames are stored grey, as such cameras record them
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 92])
    if not ok:  # pragma: no cover - cv2 always encodes uint8 images
        raise RuntimeError(f"cannot encode {job.path}")
    job.path.write_bytes(buf.tobytes())
    return tuple((p.text, p.box, p.kind) for p in scene.plates)


@dataclass(frozen=True)
class SceneSynthReport:
    """What ``generate_scene_dataset`` wrote."""

    out: Path
    count: int
    plates: int  # judged plates (not region ignore)
    ignored: int  # plates cut by the frame's edge or mostly hidden, listed as region ignore
    empty_frames: int
    foreign_plates: int
    seconds: float
    workers: int
    boxes: Path
    preview: Path | None

    def summary(self) -> str:
        """A few lines for the console (rich markup)."""
        rate = self.count / self.seconds if self.seconds > 0 else float("inf")
        lines = [
            f"[bold]synth scenes[/bold]: {self.count} frames, {self.plates} plates "
            f"({self.foreign_plates} foreign; {self.ignored} more cut or hidden, not judged), "
            f"{self.empty_frames} frames without a plate -> {self.out}",
            f"{self.seconds:.1f} s, {rate:.1f} frames/s with {self.workers} worker(s)",
            f"boxes: {self.boxes}",
        ]
        if self.preview:
            lines.append(f"preview: {self.preview}")
        return "\n".join(lines)


def parse_size(text: str) -> tuple[int, int]:
    """``"1280x720"`` -> (1280, 720); PlatocrError for anything else or sizes outside 64..4096."""
    parts = text.lower().replace("*", "x").split("x")
    try:
        width, height = (int(p) for p in parts)
    except ValueError:
        raise PlatocrError(f"--size must look like 1280x720, got {text!r}") from None
    if not (64 <= width <= 4096 and 64 <= height <= 4096):
        raise PlatocrError(f"--size {text}: width and height must be between 64 and 4096 px")
    return width, height


def write_preview(frames: list[tuple[Path, tuple]], out: Path, columns: int = 3, cell: int = 480) -> Path:
    """A PNG grid of the first frames with their plate boxes (green) and texts drawn on them."""
    tiles = []
    for path, plates in frames[:PREVIEW_FRAMES]:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        for text, (x, y, w, h), kind in plates:
            colour = (
                (0, 255, 0)
                if kind.startswith("ru")
                else (128, 128, 128)
                if kind == IGNORE_REGION
                else (255, 200, 0)
            )
            cv2.rectangle(image, (x, y), (x + w, y + h), colour, 2)
            cv2.putText(
                image, text, (x, max(12, y - 5)), cv2.FONT_HERSHEY_SIMPLEX, 0.8, colour, 2, cv2.LINE_AA
            )
        scale = cell / image.shape[1]
        tiles.append(cv2.resize(image, (cell, int(image.shape[0] * scale)), interpolation=cv2.INTER_AREA))
    while len(tiles) % columns:
        tiles.append(np.full_like(tiles[0], 255))
    rows = [np.hstack(tiles[i : i + columns]) for i in range(0, len(tiles), columns)]
    out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out), np.vstack(rows))
    return out


def generate_scene_dataset(
    out: str | Path,
    *,
    count: int,
    seed: int = 0,
    size: tuple[int, int] = (1280, 720),
    foreign: float = 0.3,
    workers: int | None = None,
    preview: str | Path | None = None,
    show_progress: bool = True,
    real_plates: str | Path | None = None,
    real_share: float = 0.5,
    camera_text: float = 0.2,
) -> SceneSynthReport:
    """Write ``count`` synthetic frames and their ``boxes.tsv`` into ``out``; returns a report.

    ``real_plates``: a boxes file of real plate photos (:mod:`platocr.synth.real_plates`); ``real_share``
    of the Russian plates are then those photos. ``camera_text``: the share of frames in which the camera
    writes its date and time (0 draws the frames of versions before it, byte for byte)."""
    from platocr.data.plate_boxes import (
        BOXES_FILE_NAME,
        FramePlates,
        PlateBox,
        load_plate_boxes,
        write_plate_boxes,
    )
    from platocr.parallel import default_workers, parallel_map

    if count < 1:
        raise PlatocrError(f"--count must be at least 1, got {count}")
    for option, share in (
        ("--foreign", foreign),
        ("--real-share", real_share),
        ("--camera-text", camera_text),
    ):
        if not 0.0 <= share <= 1.0:
            raise PlatocrError(f"{option} must be a probability in [0, 1], got {share}")
    real = None
    if real_plates is not None:
        from platocr.progress import err_console
        from platocr.synth.real_plates import real_plates_of

        loaded = load_plate_boxes(real_plates)
        real = str(loaded.file)
        real_plates_of(loaded)  # refuse a file without plates before any frame is drawn
        missing = loaded.skipped
        if missing:
            err_console.print(f"--real-plates {real_plates}: {len(missing)} image(s) not found, left out "
                              f"(first: {missing[0][0]})", highlight=False, soft_wrap=True)  # fmt: skip
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise PlatocrError(f"output {out} exists and is not a folder")
    (out / "images").mkdir(parents=True, exist_ok=True)
    jobs = [_Job(seed, i, size, foreign, out / "images" / f"{i + 1:06d}.jpg", real, real_share, camera_text)
            for i in range(count)]  # fmt: skip
    n_workers = default_workers() if workers is None else max(1, workers)
    start = time.perf_counter()
    found = parallel_map(
        _render_job, jobs, workers=n_workers, description="synth scenes", show_progress=show_progress
    )
    seconds = time.perf_counter() - start
    frames = [
        FramePlates(job.path, tuple(PlateBox(text, box, kind) for text, box, kind in plates))
        for job, plates in zip(jobs, found, strict=True)
    ]
    boxes = write_plate_boxes(frames, out / BOXES_FILE_NAME)
    preview_path = None
    if preview is not None:
        preview_path = write_preview(
            [(job.path, plates) for job, plates in zip(jobs, found, strict=True)], Path(preview)
        )
    all_plates = [p for plates in found for p in plates if p[2] != IGNORE_REGION]
    return SceneSynthReport(
        out=out,
        count=count,
        plates=len(all_plates),
        ignored=sum(1 for plates in found for p in plates if p[2] == IGNORE_REGION),
        empty_frames=sum(1 for plates in found if all(p[2] == IGNORE_REGION for p in plates)),
        foreign_plates=sum(1 for p in all_plates if p[2] == "foreign"),
        seconds=seconds,
        workers=n_workers,
        boxes=boxes,
        preview=preview_path,
    )
