"""One photo's share of ``platocr crop``: decode once, cut (or reuse) each box, write JPEG crops.

Runs in the process pool, so everything here is top-level and picklable; cv2 is imported lazily.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from platocr.data.crop_annotations import Annotation
from platocr.errors import PlatocrError

UNREADABLE = "unreadable image (corrupt or not an image)"

Box = tuple[int, int, int, int]  # x, y, width, height in pixels


@dataclass(frozen=True)
class PhotoJob:
    """All rows of one photo, so each photo is decoded once (the unit of parallel work)."""

    image: Path
    rows: tuple[Annotation, ...]
    crop_paths: tuple[Path, ...]
    pad: float
    quality: int
    fresh_after_ns: int  # a crop at least this new (and newer than the photo) is reused


@dataclass(frozen=True)
class RowOutcome:
    """What became of one row: a crop written now, an up-to-date crop reused, or a skip with its reason."""

    status: Literal["written", "reused", "skipped"]
    clipped: bool = False
    reason: str = ""


def crop_photo(job: PhotoJob) -> list[RowOutcome]:
    """Worker: cut (or reuse) every box of one photo. Top-level so the process pool can pickle it."""
    try:
        photo_ns = job.image.stat().st_mtime_ns
    except OSError:
        return [RowOutcome("skipped", reason="image vanished while cropping")] * len(job.rows)
    fresh = [_is_fresh(path, max(job.fresh_after_ns, photo_ns)) for path in job.crop_paths]
    size = _header_size(job.image) if all(fresh) else None
    image = None
    if size is None:  # something to cut (or no cheap size): decode once
        image = _decode(job.image)
        if image is None:
            return [RowOutcome("skipped", reason=UNREADABLE)] * len(job.rows)
        size = (image.shape[1], image.shape[0])
    outcomes = []
    for row, crop_path, is_fresh in zip(job.rows, job.crop_paths, fresh, strict=True):
        if not _overlaps(row.box, size):
            reason = f"box entirely outside the image ({size[0]}x{size[1]})"
            outcomes.append(RowOutcome("skipped", reason=reason))
            continue
        clipped = not _inside(row.box, size)
        if not is_fresh:
            _write_crop(image, row.box, job.pad, crop_path, job.quality)
        outcomes.append(RowOutcome("reused" if is_fresh else "written", clipped=clipped))
    return outcomes


def _is_fresh(path: Path, newer_than_ns: int) -> bool:
    try:
        return path.stat().st_mtime_ns >= newer_than_ns
    except OSError:
        return False


def _overlaps(box: Box, size: tuple[int, int]) -> bool:
    x, y, w, h = box
    return x < size[0] and y < size[1] and x + w > 0 and y + h > 0


def _inside(box: Box, size: tuple[int, int]) -> bool:
    x, y, w, h = box
    return x >= 0 and y >= 0 and x + w <= size[0] and y + h <= size[1]


def padded_clipped_box(box: Box, pad: float, size: tuple[int, int]) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of ``box`` grown by ``pad`` x its short side on every side, clipped to ``size``."""
    x, y, w, h = box
    margin = round(pad * min(w, h))
    x0, y0 = max(0, x - margin), max(0, y - margin)
    x1, y1 = min(size[0], x + w + margin), min(size[1], y + h + margin)
    return x0, y0, x1, y1


def _write_crop(image, box: Box, pad: float, crop_path: Path, quality: int) -> None:  # noqa: ANN001 (ndarray)
    """Cut, turn a vertical box upright and write a JPEG atomically (a killed run leaves no half file)."""
    import cv2

    x0, y0, x1, y1 = padded_clipped_box(box, pad, (image.shape[1], image.shape[0]))
    crop = image[y0:y1, x0:x1]
    if box[3] > box[2]:  # taller than wide: the barcode synth's convention for upright digits
        crop = cv2.rotate(crop, cv2.ROTATE_90_CLOCKWISE)
    ok, encoded = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise PlatocrError(f"could not encode crop {crop_path}")
    tmp = crop_path.with_name(f".{crop_path.name}.tmp")
    try:
        tmp.write_bytes(encoded.tobytes())
        os.replace(tmp, crop_path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise PlatocrError(f"cannot write crop {crop_path}: {exc}") from None


def _decode(path: Path):  # noqa: ANN202 (ndarray | None)
    """BGR uint8 image (EXIF orientation applied, as cv2 does), or None if unreadable."""
    import cv2
    import numpy as np

    try:
        data = np.fromfile(path, dtype=np.uint8)
        return cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    except (OSError, cv2.error):
        return None


def _header_size(path: Path) -> tuple[int, int] | None:
    """(width, height) as cv2 would decode it, from the header only; None if it cannot tell."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            width, height = img.size
            # cv2 applies EXIF orientation; orientations 5-8 swap the sides.
            if img.getexif().get(0x0112, 1) in (5, 6, 7, 8):
                width, height = height, width
            return width, height
    except (OSError, UnidentifiedImageError, ValueError):
        return None
