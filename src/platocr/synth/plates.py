"""Synthetic Russian licence-plate crops with labels (``platocr synth plates``).

Every image ``index`` draws from its own generator ``np.random.SeedSequence([seed, index])``, so a
seed gives the same files whatever the number of workers. Layouts:
- ``tsv``: ``OUT/crops/000001.jpg`` ... + ``OUT/labels.tsv`` (``path<TAB>text``; negatives have '');
- ``cropnumbers``: ``OUT/NumBase/A123BC 77.jpg`` (repeats get `` (2)``, `` (3)``) and
  ``OUT/Negative/000001.jpg``.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from platocr.data.labels import LABEL_FILE_NAME, LabelRow, write_label_file
from platocr.errors import PlatocrError
from platocr.formats.plates_ru import PLATE_LETTERS, THREE_DIGIT_REGIONS
from platocr.parallel import parallel_map

# Region codes and letters come from the one list the file-name parser also reads them back with.
_THREE_DIGIT_REGIONS = tuple(sorted(THREE_DIGIT_REGIONS))
LABEL_RE = re.compile(rf"^[{PLATE_LETTERS}]\d{{3}}[{PLATE_LETTERS}]{{2}}\d{{2,3}}$")
Layout = Literal["tsv", "cropnumbers"]
_LABEL_STREAM, _IMAGE_STREAM = 0, 1  # separate streams: labels are known before any image is drawn


def random_plate_text(rng: np.random.Generator) -> tuple[str, str]:
    """A plausible plate: (series ``A123BC``, region ``77`` or ``777``)."""
    letters = rng.choice(list(PLATE_LETTERS), size=3)
    digits = "".join(str(d) for d in rng.integers(0, 10, size=3))
    series = f"{letters[0]}{digits}{letters[1]}{letters[2]}"
    region = (
        str(rng.choice(_THREE_DIGIT_REGIONS)) if rng.random() < 0.45 else f"{int(rng.integers(1, 100)):02d}"
    )
    return series, region


def _rng(seed: int, index: int, stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, index, stream]))


@dataclass(frozen=True)
class _Job:
    """One image to draw (picklable for the process pool)."""

    seed: int
    index: int
    series: str  # '' for a negative
    region: str
    path: Path


def _render_job(job: _Job) -> int:
    """Draw and write one crop; returns its size in bytes (runs in a worker process)."""
    from platocr.synth.plate_negatives import negative_crop
    from platocr.synth.plate_scene import plate_crop

    rng = _rng(job.seed, job.index, _IMAGE_STREAM)
    image = plate_crop(job.series, job.region, rng) if job.series else negative_crop(rng)
    if np.array_equal(image[:, :, 0], image[:, :, 1]) and np.array_equal(image[:, :, 1], image[:, :, 2]):
        image = image[:, :, 0]  # IR-grey crops are stored grey, like the real ones
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 95])
    if not ok:  # pragma: no cover - cv2 always encodes uint8 images
        raise RuntimeError(f"cannot encode {job.path}")
    job.path.write_bytes(buf.tobytes())
    return len(buf)


@dataclass(frozen=True)
class PlateSynthReport:
    """What ``generate_plate_dataset`` wrote."""

    out: Path
    layout: str
    count: int
    negatives: int
    seconds: float
    workers: int
    label_file: Path | None
    preview: Path | None

    @property
    def crops_per_second(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else float("inf")

    def summary(self) -> str:
        """One-paragraph human summary (rich markup)."""
        lines = [
            f"[bold]synth plates[/bold]: {self.count} crops ({self.negatives} negatives) -> {self.out} "
            f"({self.layout} layout)",
            f"{self.seconds:.1f} s, {self.crops_per_second:.1f} crops/s with {self.workers} worker(s)",
        ]
        if self.label_file:
            lines.append(f"labels: {self.label_file}")
        if self.preview:
            lines.append(f"preview: {self.preview}")
        return "\n".join(lines)


def _plan(out: Path, count: int, seed: int, layout: Layout, negatives: float) -> list[_Job]:
    """Labels and file names for every index (cheap; decided before drawing, in the main process)."""
    n_neg = int(round(count * negatives))
    negative_set = set(
        np.random.default_rng(np.random.SeedSequence([seed])).permutation(count)[:n_neg].tolist()
    )
    seen: Counter[str] = Counter()
    jobs = []
    for index in range(count):
        number = f"{index + 1:06d}"
        series, region = (
            ("", "") if index in negative_set else random_plate_text(_rng(seed, index, _LABEL_STREAM))
        )
        if layout == "tsv":
            path = out / "crops" / f"{number}.jpg"
        elif not series:
            path = out / "Negative" / f"{number}.jpg"
        else:
            name = f"{series} {region}"
            seen[name] += 1
            suffix = f" ({seen[name]})" if seen[name] > 1 else ""
            path = out / "NumBase" / f"{name}{suffix}.jpg"
        jobs.append(_Job(seed, index, series, region, path))
    return jobs


def _refuse_stale_images(out: Path, planned: set[Path]) -> None:
    """In the CropNumbers layout every image in NumBase/ and Negative/ is data: a previous run's
    leftovers would silently join the dataset, so refuse instead of mixing."""
    for folder in (out / "NumBase", out / "Negative"):
        stale = sorted(p for p in folder.glob("*.jpg") if p not in planned) if folder.is_dir() else []
        if stale:
            raise PlatocrError(
                f"{folder} already holds {len(stale)} image(s) this run would not overwrite "
                f"(e.g. {stale[0].name!r}); they would join the dataset: write to an empty folder"
            )


def generate_plate_dataset(
    out: str | Path,
    *,
    count: int,
    seed: int = 0,
    layout: Layout = "tsv",
    negatives: float = 0.0,
    workers: int | None = None,
    preview: str | Path | None = None,
    show_progress: bool = True,
) -> PlateSynthReport:
    """Write ``count`` synthetic plate crops (a ``negatives`` fraction without a plate) into ``out``.

    Returns a report; ``preview`` also writes a labelled contact sheet of the first crops (PNG).
    """
    from platocr.parallel import default_workers

    if count < 1:
        raise PlatocrError(f"--count must be at least 1, got {count}")
    if not 0.0 <= negatives < 1.0:
        raise PlatocrError(f"--negatives must be a fraction in [0, 1), got {negatives}")
    if layout not in ("tsv", "cropnumbers"):
        raise PlatocrError(f"layout must be 'tsv' or 'cropnumbers', got {layout!r}")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise PlatocrError(f"output {out} exists and is not a folder")
    jobs = _plan(out, count, seed, layout, negatives)
    if layout == "cropnumbers":
        _refuse_stale_images(out, {job.path for job in jobs})
    for folder in {job.path.parent for job in jobs}:
        folder.mkdir(parents=True, exist_ok=True)
    n_workers = default_workers() if workers is None else max(1, workers)
    start = time.perf_counter()
    parallel_map(
        _render_job, jobs, workers=n_workers, description="synth plates", show_progress=show_progress
    )
    seconds = time.perf_counter() - start
    label_file = None
    if layout == "tsv":
        rows = [LabelRow(path=job.path, text=job.series + job.region) for job in jobs]
        label_file = write_label_file(rows, out / LABEL_FILE_NAME)
    preview_path = None
    if preview is not None:
        from platocr.synth.plate_preview import write_contact_sheet

        preview_path = write_contact_sheet(
            [(job.path, job.series + job.region) for job in jobs[:40]], Path(preview)
        )
    n_neg = sum(1 for job in jobs if not job.series)
    return PlateSynthReport(out, layout, count, n_neg, seconds, n_workers, label_file, preview_path)
