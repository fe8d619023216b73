"""Plate boxes on full frames: ``boxes.tsv`` next to an ``images/`` folder.

The file is tab-separated with the header ``filename text x y width height region``: one row per plate,
integer pixel boxes (x, y = top-left corner), ``filename`` relative to the file's folder. A frame with
no plate is listed once with only its filename (text, box and region empty), so a reader can tell
"no plate here" from "frame not labelled". ``region`` says where the plate comes from (``ru``,
``foreign``; the real photo set uses ``eu``, ``br``, ``us``); it may be empty. Region ``ignore`` marks a
plate that is in the picture but not judged (cut by the frame's edge, or mostly hidden): finding it is
neither a plate found nor a false plate, and training does not use it.

``read_plate_boxes`` reads a folder holding ``boxes.tsv`` or the file itself; a malformed row raises
``PlatocrError`` naming the file and line; rows whose image is missing are skipped and reported.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from platocr.errors import PlatocrError

BOXES_FILE_NAME = "boxes.tsv"
COLUMNS = ("filename", "text", "x", "y", "width", "height", "region")
_REQUIRED = COLUMNS[:6]
IGNORE_REGION = "ignore"


@dataclass(frozen=True)
class PlateBox:
    """One plate: its ``text`` ('' when unknown), ``box`` = (x, y, width, height) px, ``region``."""

    text: str
    box: tuple[int, int, int, int]
    region: str = ""


@dataclass(frozen=True)
class FramePlates:
    """One frame: its image path (absolute) and the plates on it (empty: a frame with no plate)."""

    image: Path
    plates: tuple[PlateBox, ...]


@dataclass
class PlateBoxes:
    """What ``load_plate_boxes`` read: frames in file order, and (image path, reason) skips."""

    file: Path
    frames: list[FramePlates]
    skipped: list[tuple[Path, str]] = field(default_factory=list)

    @property
    def plate_count(self) -> int:
        return sum(len(frame.plates) for frame in self.frames)


def boxes_file(path: str | Path) -> Path:
    """``path`` itself if it is a file, else ``path/boxes.tsv``; PlatocrError when neither exists."""
    path = Path(path)
    if path.is_dir():
        path = path / BOXES_FILE_NAME
        if not path.is_file():
            raise PlatocrError(f"{path.parent}: no {BOXES_FILE_NAME} in this folder")
    elif not path.is_file():
        raise PlatocrError(f"{path}: not found (expected a folder with {BOXES_FILE_NAME} or the file itself)")
    return path


def _header(line: str, file: Path) -> dict[str, int]:
    names = [name.strip() for name in line.lstrip("\ufeff").rstrip("\r\n").split("\t")]
    missing = [name for name in _REQUIRED if name not in names]
    if missing:
        raise PlatocrError(
            f"{file}:1: header lacks {', '.join(missing)} (expected the columns {' '.join(COLUMNS)})"
        )
    return {name: i for i, name in enumerate(names)}


def _int(value: str, name: str, where: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise PlatocrError(f"{where}: {name} must be a whole number of pixels, got {value!r}") from None


def _row(fields: list[str], columns: dict[str, int], where: str) -> tuple[str, PlateBox | None]:
    """(filename, plate or None for a frame without plates) from one line's fields."""
    if len(fields) < len(columns):
        fields = fields + [""] * (len(columns) - len(fields))  # trailing empty fields may be trimmed
    if len(fields) > len(columns):
        raise PlatocrError(f"{where}: {len(fields)} fields, the header has {len(columns)}")
    value = {name: fields[i].strip() for name, i in columns.items()}
    name = value["filename"]
    if not name:
        raise PlatocrError(f"{where}: empty filename")
    box_fields = [value[k] for k in ("x", "y", "width", "height")]
    if not any(box_fields) and not value["text"]:
        return name, None
    if not all(box_fields):
        raise PlatocrError(f"{where}: x, y, width and height must all be given (or all empty for no plate)")
    x, y, w, h = (_int(v, k, where) for v, k in zip(box_fields, ("x", "y", "width", "height"), strict=True))
    if x < 0 or y < 0 or w <= 0 or h <= 0:
        raise PlatocrError(
            f"{where}: box {x},{y},{w},{h} must have x, y >= 0 and a positive width and height"
        )
    return name, PlateBox(value["text"], (x, y, w, h), value.get("region", ""))


def load_plate_boxes(path: str | Path) -> PlateBoxes:
    """Read a boxes file (or a folder holding one): frames with their plates, plus skipped images."""
    file = boxes_file(path)
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise PlatocrError(f"{file}: cannot read ({exc})") from None
    if not lines:
        raise PlatocrError(f"{file}: empty file (expected the header {' '.join(COLUMNS)})")
    columns = _header(lines[0], file)
    plates: dict[str, list[PlateBox]] = {}
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        name, plate = _row(line.split("\t"), columns, f"{file}:{number}")
        plates.setdefault(name, [])
        if plate is not None:
            plates[name].append(plate)
    result = PlateBoxes(file, [])
    for name, found in plates.items():
        image = file.parent / name
        if not image.is_file():
            result.skipped.append((image, "not found"))
            continue
        result.frames.append(FramePlates(image, tuple(found)))
    return result


def read_plate_boxes(path: str | Path) -> list[FramePlates]:
    """Frames and their plates from a boxes file or a folder holding ``boxes.tsv`` (missing images left out)."""
    return load_plate_boxes(path).frames


def write_plate_boxes(frames: Iterable[FramePlates], path: str | Path) -> Path:
    """Write ``path`` (a boxes.tsv); image paths are stored relative to its folder."""
    path = Path(path)
    lines = ["\t".join(COLUMNS)]
    for frame in frames:
        name = Path(os.path.relpath(Path(frame.image).absolute(), path.parent.absolute())).as_posix()
        if not frame.plates:
            lines.append("\t".join([name] + [""] * (len(COLUMNS) - 1)))
        for plate in frame.plates:
            for text in (plate.text, plate.region):
                if "\t" in text or "\n" in text:
                    raise ValueError(f"plate text/region {text!r} holds a tab or newline")
            lines.append("\t".join([name, plate.text, *map(str, plate.box), plate.region]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
