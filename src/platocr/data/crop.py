"""Cut the text crops out of barcode photos into a platocr label file.

Input: ``DATA_DIR/annotations.tsv`` with rows ``filename code x_from y_from width height`` (one row per
box; a photo may have several). Output: ``OUT/crops/<photo-stem>_<line>.jpg`` (``line`` = the row's line
number in annotations.tsv, so names never collide) and ``OUT/labels.tsv`` (``path text source``).

Faulty rows are skipped and listed, never dropped silently: ``rows_in == written + reused + skipped``.
A rerun reuses every crop that is newer than its photo, the annotations and the crop settings.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Group
from rich.table import Table
from rich.text import Text

from platocr.data.crop_annotations import ANNOTATION_FILE, Annotation, Skip, read_annotations
from platocr.data.crop_photo import PhotoJob, crop_photo
from platocr.data.labels import LABEL_FILE_NAME, LabelRow, absolute_path, write_label_file
from platocr.errors import PlatocrError
from platocr.parallel import parallel_map

CROPS_DIR = "crops"
# Settings the crops depend on; changing them invalidates every existing crop.
SETTINGS_FILE = ".crop-settings.json"


@dataclass
class CropReport:
    """What a crop run did; ``skipped`` lists every row that did not become a crop."""

    annotation_file: Path
    label_file: Path
    photos: int
    rows_in: int
    written: int
    reused: int
    clipped: int
    seconds: float
    skipped: list[Skip] = field(default_factory=list)

    @property
    def photos_per_s(self) -> float:
        return self.photos / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> Text:
        """Counts and speed, e.g. for the CLI."""
        return Text.assemble(
            ("crop ", "bold"),
            f"{self.photos} photos, {self.rows_in} rows -> {self.label_file}\n",
            f"  crops: {self.written} written, {self.reused} reused, {len(self.skipped)} skipped, "
            f"{self.clipped} clipped to the photo\n",
            f"  {self.seconds:.2f} s, {self.photos_per_s:.1f} photos/s",
        )

    def skip_table(self, limit: int = 20) -> Group:
        """The first ``limit`` skipped rows (file, line in annotations.tsv, reason) plus a count."""
        table = Table(
            title=f"{len(self.skipped)} skipped rows of {self.annotation_file}", title_justify="left"
        )
        table.add_column("file", overflow="fold")
        table.add_column("line", justify="right")
        table.add_column("reason", overflow="fold")
        for skip in self.skipped[:limit]:
            table.add_row(skip.file, str(skip.line), skip.reason)
        more = len(self.skipped) - limit
        return Group(table, Text(f"... and {more} more skipped rows")) if more > 0 else Group(table)


class CropSkipError(PlatocrError):
    """Rows were skipped and that is fatal (``--strict`` or nothing left); carries the report."""

    def __init__(self, message: str, report: CropReport) -> None:
        super().__init__(message)
        self.report = report


def crop_dataset(
    data_dir: str | Path,
    out: str | Path,
    pad: float = 0.0,
    strict: bool = False,
    workers: int | None = None,
    show_progress: bool = True,
    quality: int = 95,
) -> CropReport:
    """Cut every annotated box of a barcode-photo folder into ``out/crops`` and write ``out/labels.tsv``.

    ``pad`` is the margin added on every side, as a fraction of the text height (the box's short side,
    i.e. its height once vertical boxes are rotated upright). Vertical boxes (taller than wide) are turned
    with ``cv2.rotate(crop, cv2.ROTATE_90_CLOCKWISE)``. With ``strict`` any skipped row raises
    CropSkipError and labels.tsv is not written; so does a run where every row was skipped.
    """
    started = time.perf_counter()
    if not (pad >= 0 and pad < float("inf")):
        raise PlatocrError(f"--pad must be a finite fraction >= 0, got {pad}")
    if not 1 <= quality <= 100:
        raise PlatocrError(f"--quality must be in 1..100, got {quality}")
    data_dir, annotation_file = _locate_annotations(Path(data_dir))
    annotations, skipped = read_annotations(annotation_file)
    rows_in = len(annotations) + len(skipped)
    if rows_in == 0:
        raise PlatocrError(
            f"{annotation_file}: no annotation rows (expected 'filename code x_from y_from width height')"
        )

    out = Path(out)
    crops_dir = out / CROPS_DIR
    crops_dir.mkdir(parents=True, exist_ok=True)
    settings_ns = _settings_mtime_ns(crops_dir / SETTINGS_FILE, pad=pad, quality=quality)
    fresh_after_ns = max(annotation_file.stat().st_mtime_ns, settings_ns)

    jobs, sources = _plan_jobs(data_dir, crops_dir, annotations, skipped, pad, quality, fresh_after_ns)
    results = parallel_map(
        crop_photo, jobs, workers=workers, description="cropping", show_progress=show_progress
    )

    label_rows: list[tuple[int, LabelRow]] = []
    counts = {"written": 0, "reused": 0, "clipped": 0}
    for job, outcomes in zip(jobs, results, strict=True):
        for row, crop_path, outcome in zip(job.rows, job.crop_paths, outcomes, strict=True):
            if outcome.status == "skipped":
                skipped.append(Skip(row.filename, row.line, outcome.reason))
                continue
            counts[outcome.status] += 1
            counts["clipped"] += outcome.clipped
            label_rows.append((row.line, LabelRow(absolute_path(crop_path), row.code, sources[job.image])))
    skipped.sort(key=lambda skip: skip.line)
    if rows_in != counts["written"] + counts["reused"] + len(skipped):
        raise AssertionError(f"crop lost rows: {rows_in} in, {counts} + {len(skipped)} skipped")

    label_file = out / LABEL_FILE_NAME
    report = CropReport(
        annotation_file=annotation_file,
        label_file=label_file,
        photos=len(jobs),
        rows_in=rows_in,
        written=counts["written"],
        reused=counts["reused"],
        clipped=counts["clipped"],
        seconds=time.perf_counter() - started,
        skipped=skipped,
    )
    if skipped and (strict or not label_rows):
        first = skipped[0]
        why = "--strict" if strict and label_rows else "nothing to write"
        raise CropSkipError(
            f"{len(skipped)} of {rows_in} rows skipped ({why}); first: {first.file} "
            f"({annotation_file.name} line {first.line}): {first.reason}; {label_file} not written",
            report,
        )
    write_label_file(
        [row for _, row in sorted(label_rows, key=lambda item: item[0])], label_file, with_source=True
    )
    report.seconds = time.perf_counter() - started
    return report


def _locate_annotations(data_dir: Path) -> tuple[Path, Path]:
    """(folder the file names are relative to, annotations file); DATA_DIR may be the file itself."""
    if not data_dir.exists():
        raise PlatocrError(f"data folder not found: {data_dir}")
    if data_dir.is_file():
        return data_dir.parent, data_dir
    annotation_file = data_dir / ANNOTATION_FILE
    if not annotation_file.is_file():
        raise PlatocrError(
            f"{data_dir}: no {ANNOTATION_FILE} (expected barcode photos: images/ + {ANNOTATION_FILE} with "
            "columns filename code x_from y_from width height)"
        )
    return data_dir, annotation_file


def _settings_mtime_ns(settings_file: Path, *, pad: float, quality: int) -> int:
    """Rewrite the settings file when the settings changed, so older crops count as stale."""
    wanted = {"pad": pad, "quality": quality}
    try:
        unchanged = json.loads(settings_file.read_text(encoding="utf-8")) == wanted
    except (OSError, ValueError):
        unchanged = False
    if not unchanged:
        settings_file.write_text(json.dumps(wanted) + "\n", encoding="utf-8")
    return settings_file.stat().st_mtime_ns


def _image_candidates(data_dir: Path, filename: str) -> list[Path]:
    """DATA_DIR/filename, and DATA_DIR/images/filename for a bare name (Windows separators accepted)."""
    name = filename.replace("\\", "/")
    candidates = [data_dir / name]
    if "/" not in name:
        candidates.append(data_dir / "images" / name)
    return candidates


def _plan_jobs(
    data_dir: Path,
    crops_dir: Path,
    annotations: list[Annotation],
    skipped: list[Skip],
    pad: float,
    quality: int,
    fresh_after_ns: int,
) -> tuple[list[PhotoJob], dict[Path, str]]:
    """Group rows per photo; rows whose photo is missing go to ``skipped``.

    Returns the jobs and each photo's ``source`` (its first spelling in annotations.tsv, so a photo
    written two ways still forms one group for the split).
    """
    by_photo: dict[Path, list[Annotation]] = {}
    sources: dict[Path, str] = {}
    for row in annotations:
        candidates = _image_candidates(data_dir, row.filename)
        image = next((path.resolve() for path in candidates if path.is_file()), None)
        if image is None:
            looked = " or ".join(str(path) for path in candidates)
            skipped.append(Skip(row.filename, row.line, f"image not found: {looked}"))
            continue
        by_photo.setdefault(image, []).append(row)
        sources.setdefault(image, row.filename)
    jobs = [
        PhotoJob(
            image=image,
            rows=tuple(rows),
            crop_paths=tuple(crops_dir / f"{image.stem}_{row.line}.jpg" for row in rows),
            pad=pad,
            quality=quality,
            fresh_after_ns=fresh_after_ns,
        )
        for image, rows in by_photo.items()
    ]
    return jobs, sources
