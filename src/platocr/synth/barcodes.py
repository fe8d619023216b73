"""`platocr synth barcodes`: a folder of synthetic barcode photos.

Writes ``OUT/images/000001.jpg ...`` and ``OUT/annotations.tsv`` (header
``filename code x_from y_from width height``; one row per barcode, two rows for a photo with two).
Image ``i`` is drawn from ``np.random.SeedSequence([seed, i])`` alone, so the files are
byte-identical for a seed whatever the number of workers. ``strength`` scales every distortion
(see ``platocr.synth.barcode_distortion``): 1.0 for training, e.g. 1.5 for a harder validation split.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from rich.table import Table

from platocr.errors import PlatocrError
from platocr.parallel import default_workers, parallel_map
from platocr.synth.barcode_distortion import Distortion, check_strength
from platocr.synth.barcode_kinds import BarcodeKinds
from platocr.synth.barcode_photo import PlacedBarcode, synth_barcode_photo

ANNOTATION_HEADER = ("filename", "code", "x_from", "y_from", "width", "height")
PREVIEW_IMAGES = 24
_KIND_STREAM = 7_000_001  # SeedSequence entropy word that keeps the preview's kind photos apart
_SYMBOLOGY_NAMES = {"ean13": "EAN-13", "upca": "UPC-A", "upce": "UPC-E", "ean8": "EAN-8"}


@dataclass(frozen=True)
class AnnotationRow:
    """One barcode of one photo: filename relative to OUT, its code and box (x, y, width, height)."""

    filename: str
    code: str
    symbology: str
    box: tuple[int, int, int, int]


@dataclass
class BarcodeDatasetReport:
    """What ``generate_barcode_dataset`` wrote and how fast."""

    out: Path
    photos: int
    seconds: float
    workers: int
    symbologies: Counter[str] = field(default_factory=Counter)
    barcodes: int = 0
    vertical: int = 0
    preview: Path | None = None
    strength: float = 1.0
    per_photo: Counter[int] = field(default_factory=Counter)  # barcodes per photo -> photos

    def barcodes_text(self) -> str:
        """E.g. ``6735 (736 photos with two, 1 with none)``: a photo has none when no label fitted."""
        two = self.per_photo[2]
        parts = [f"{two} photo{'' if two == 1 else 's'} with two"]
        if self.per_photo[0]:
            parts.append(f"{self.per_photo[0]} with none (no label fitted)")
        return f"{self.barcodes} ({', '.join(parts)})"

    @property
    def photos_per_second(self) -> float:
        return self.photos / self.seconds if self.seconds > 0 else float("inf")

    def summary(self) -> Table:
        """A rich table: counts, time, throughput and the symbology mix."""
        table = Table(title=f"synthetic barcodes -> {self.out}", show_header=False)
        table.add_row("photos", str(self.photos))
        table.add_row("strength", f"{self.strength:g}")
        table.add_row("barcodes", self.barcodes_text())
        table.add_row("vertical", f"{self.vertical} ({self.vertical / max(1, self.barcodes):.1%})")
        table.add_row("time", f"{self.seconds:.1f} s with {self.workers} worker(s)")
        table.add_row("speed", f"{self.photos_per_second:.1f} photos/s")
        mix = ", ".join(
            f"{_SYMBOLOGY_NAMES[name]} {n} ({n / max(1, self.barcodes):.0%})"
            for name, n in self.symbologies.most_common()
        )
        table.add_row("symbologies", mix)
        table.add_row("annotations", str(self.out / "annotations.tsv"))
        if self.preview is not None:
            table.add_row("preview", str(self.preview))
        return table


def image_name(index: int, count: int) -> str:
    """File name of photo ``index`` (0-based) relative to OUT: images/000001.jpg, ..."""
    return f"images/{index + 1:0{max(6, len(str(count)))}d}.jpg"


def _make_photo(task: tuple[str, int, int, int, float, BarcodeKinds]) -> list[AnnotationRow]:
    """Draw photo ``index`` from (seed, index), write it as JPEG and return its rows (top-level: picklable)."""
    out, seed, index, count, strength, kinds = task
    cv2.setNumThreads(1)  # parallelism comes from processes; threads would only fight over the cores
    rng = np.random.default_rng(np.random.SeedSequence([seed, index]))
    distortion = Distortion.for_strength(strength)
    photo, barcodes = synth_barcode_photo(rng, distortion, kinds)
    quality = int(rng.integers(*distortion.jpeg_quality))
    ok, jpeg = cv2.imencode(".jpg", photo, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # pragma: no cover - cv2 always encodes a uint8 BGR image
        raise RuntimeError("cv2.imencode failed")
    name = image_name(index, count)
    (Path(out) / name).write_bytes(jpeg.tobytes())
    return [AnnotationRow(name, b.code, b.symbology, b.box) for b in barcodes]


def write_annotations(rows: list[AnnotationRow], path: Path) -> None:
    """Write the barcode photos' annotations.tsv atomically (temp file + rename)."""
    lines = ["\t".join(ANNOTATION_HEADER)]
    lines += [f"{r.filename}\t{r.code}\t{r.box[0]}\t{r.box[1]}\t{r.box[2]}\t{r.box[3]}" for r in rows]
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _tile(
    photo: np.ndarray, boxes: list[tuple[str, tuple[int, int, int, int]]], title: str = ""
) -> np.ndarray:
    """A 320x240 preview tile of ``photo`` with its boxes (red), codes and an optional title (yellow)."""
    tile_w, tile_h = 320, 240
    for code, (x, y, w, h) in boxes:
        cv2.rectangle(photo, (x, y), (x + w - 1, y + h - 1), (0, 0, 255), 2)
        cv2.putText(
            photo, code, (x, max(14, y - 4)), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 255), 1, cv2.LINE_AA
        )
    scale = min(tile_w / photo.shape[1], tile_h / photo.shape[0])
    small = cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    tile = np.full((tile_h, tile_w, 3), 40, np.uint8)
    tile[: small.shape[0], : small.shape[1]] = small
    if title:
        cv2.putText(tile, title, (4, tile_h - 8), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (0, 0, 0), 3, cv2.LINE_AA)
        cv2.putText(
            tile, title, (4, tile_h - 8), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (0, 255, 255), 1, cv2.LINE_AA
        )
    return tile


def _zoom(
    photo: np.ndarray, boxes: list[tuple[str, tuple[int, int, int, int]]]
) -> tuple[np.ndarray, list[tuple[str, tuple[int, int, int, int]]]]:
    """The part of ``photo`` around its first box (half the box's size around it) and the box moved there."""
    if not boxes:
        return photo.copy(), []
    code, (x, y, w, h) = boxes[0]
    x0, y0 = max(0, x - w // 2), max(0, y - h // 2)
    x1, y1 = min(photo.shape[1], x + w + w // 2), min(photo.shape[0], y + h + h // 2)
    part = np.ascontiguousarray(photo[y0:y1, x0:x1])
    scale = min(320 / part.shape[1], 240 / part.shape[0])
    part = cv2.resize(part, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
    box = (round((x - x0) * scale), round((y - y0) * scale), round(w * scale), round(h * scale))
    return part, [(code, box)]


def kind_examples(seed: int, strength: float = 1.0) -> list[tuple[str, np.ndarray, list[PlacedBarcode]]]:
    """One photo per kind with that kind forced (``BarcodeKinds.only``), drawn apart from the dataset's."""
    distortion = Distortion.for_strength(strength)
    examples = []
    for k, name in enumerate(BarcodeKinds.names()):
        rng = np.random.default_rng(np.random.SeedSequence([seed, _KIND_STREAM, k]))
        photo, barcodes = synth_barcode_photo(rng, distortion, BarcodeKinds.only(name))
        examples.append((name, photo, barcodes))
    return examples


def write_preview(
    out: Path,
    rows: list[AnnotationRow],
    path: Path,
    images: int = PREVIEW_IMAGES,
    examples: list[tuple[str, np.ndarray, list[PlacedBarcode]]] | None = None,
) -> Path:
    """Contact sheet PNG of the first ``images`` photos with their boxes (red) and codes drawn.

    ``examples`` (kind name, photo, barcodes), e.g. from ``kind_examples``, follow as titled tiles.
    """
    by_file: dict[str, list[AnnotationRow]] = {}
    for row in rows:
        if row.filename in by_file or len(by_file) < images:
            by_file.setdefault(row.filename, []).append(row)
    tile_w, tile_h, columns = 320, 240, 6
    tiles = []
    for filename, file_rows in by_file.items():
        photo = cv2.imread(str(out / filename), cv2.IMREAD_COLOR)
        tiles.append(_tile(photo, [(r.code, r.box) for r in file_rows]))
    while examples and len(tiles) % columns:
        tiles.append(np.full((tile_h, tile_w, 3), 40, np.uint8))
    for name, photo, barcodes in examples or []:
        tiles.append(_tile(*_zoom(photo, [(b.code, b.box) for b in barcodes[:1]]), name))
    while len(tiles) % columns:
        tiles.append(np.full((tile_h, tile_w, 3), 40, np.uint8))
    sheet = np.vstack([np.hstack(tiles[i : i + columns]) for i in range(0, len(tiles), columns)])
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), sheet):
        raise PlatocrError(f"could not write the preview {path}")
    return path


def generate_barcode_dataset(
    out: Path | str,
    *,
    count: int,
    seed: int = 0,
    workers: int | None = None,
    preview: Path | str | None = None,
    show_progress: bool = True,
    strength: float = 1.0,
    kinds: BarcodeKinds | None = None,
) -> BarcodeDatasetReport:
    """Write ``count`` synthetic barcode photos and annotations.tsv to ``out``.

    Mix: ~70% EAN-13, 12% UPC-A, 8% UPC-E, 10% EAN-8; ~5% vertical (~7% with the turned kind past 45
    degrees); ~12% photos with two barcodes.
    ``strength`` in (0, 3] scales the distortions (1.0 = training look; PlatocrError outside).
    ``kinds`` (default ``BarcodeKinds()``): probabilities of the real-photo kinds (upside down,
    turned, ISBN, ...). The preview adds one photo per kind with that kind forced.
    """
    kinds = kinds if kinds is not None else BarcodeKinds()
    if count < 1:
        raise PlatocrError(f"--count must be at least 1, got {count}")
    strength = check_strength(strength)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise PlatocrError(f"output {out} exists and is not a folder")
    (out / "images").mkdir(parents=True, exist_ok=True)
    workers = default_workers() if workers is None else max(1, workers)
    threads = cv2.getNumThreads()
    start = time.perf_counter()
    try:
        tasks = [(str(out), seed, i, count, strength, kinds) for i in range(count)]
        per_photo = parallel_map(
            _make_photo, tasks, workers=workers, description="synth barcodes", show_progress=show_progress
        )
    finally:
        cv2.setNumThreads(threads)  # _make_photo ran in this process when workers == 1
    rows = [row for photo_rows in per_photo for row in photo_rows]
    write_annotations(rows, out / "annotations.tsv")
    seconds = time.perf_counter() - start
    report = BarcodeDatasetReport(
        out=out,
        photos=count,
        seconds=seconds,
        workers=workers,
        symbologies=Counter(r.symbology for r in rows),
        barcodes=len(rows),
        vertical=sum(1 for r in rows if r.box[3] > r.box[2]),
        strength=strength,
        per_photo=Counter(len(photo_rows) for photo_rows in per_photo),
    )
    if preview is not None:
        # One example per real-photo kind, when the photos use them (they are off by default).
        examples = kind_examples(seed, strength) if kinds.any_on() else None
        report.preview = write_preview(out, rows, Path(preview), examples=examples)
    return report
