"""platocr's label file (TSV, header ``path<TAB>text`` [+ ``source``], paths relative to the file).

``open_dataset`` is the one entry point later stages use: it accepts a label file, a folder holding
``labels.tsv``, or a CropNumbers folder; a barcode-photo folder is refused with
a hint to run ``platocr crop`` first.

Paths are made absolute without following symlinks (``absolute_path``), so a dataset reached
through a symlinked folder is written back with the relative paths it was given.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from platocr.data.label_text import emit_note, map_lookalikes, read_label_text
from platocr.errors import PlatocrError

LABEL_FILE_NAME = "labels.tsv"
REQUIRED_COLUMNS = ("path", "text")


@dataclass(frozen=True)
class LabelRow:
    """One crop: absolute image path, target text ('' = no text), optional group/source id."""

    path: Path
    text: str
    source: str = ""

    @property
    def group(self) -> str:
        """Key that must not straddle a split: the source photo, else the text itself.

        Rows with neither (negatives: no text, no source) are independent, keyed by their path.
        """
        return self.source or self.text or f"path:{self.path}"


def absolute_path(path: str | Path) -> Path:
    """``path`` made absolute with ``.`` and ``..`` removed, keeping the symlinks it goes through.

    Unlike ``Path.resolve()`` a symlinked folder stays in the path; only a ``..`` right after a
    symlink follows it first, since the kernel climbs out of the link's target, not the link.
    """
    full = Path(path).absolute()
    clean = Path(full.anchor)
    for part in full.parts[1:]:
        if part == "..":
            clean = Path(os.path.realpath(clean)).parent if clean.is_symlink() else clean.parent
        elif part != ".":
            clean = clean / part
    return clean


def read_label_file(
    label_file: str | Path, *, check_images: bool = False, notes: list[str] | None = None
) -> list[LabelRow]:
    """Read a platocr label file; image paths are relative to the file's folder.

    Raises PlatocrError naming file and line for a missing header column, a malformed row or
    (with ``check_images``) an image that does not exist, and naming the file for an image or binary
    file given in its place. Cyrillic plate letters become their Latin look-alikes. What the user
    should know (a cp1251 file, mapped letters) goes to ``notes``, or to stderr when it is None.
    """
    label_file = Path(label_file)
    if not label_file.is_file():
        raise PlatocrError(f"label file not found: {label_file}")
    base = label_file.parent
    content, encoding_note = read_label_text(label_file)
    emit_note(encoding_note, notes)
    reader = csv.reader(io.StringIO(content, newline=""), delimiter="\t", quoting=csv.QUOTE_NONE)
    header = next(reader, None)
    if header is None:
        raise PlatocrError(f"{label_file}: empty file (expected header 'path<TAB>text')")
    header = [name.strip().lstrip("\ufeff") for name in header]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise PlatocrError(
            f"{label_file}:1: header must have columns path<TAB>text[<TAB>source], got {header!r}"
        )
    i_path, i_text = header.index("path"), header.index("text")
    i_source = header.index("source") if "source" in header else None
    rows: list[LabelRow] = []
    for line_no, fields in enumerate(reader, start=2):
        if not fields or all(not f.strip() for f in fields):
            continue
        if len(fields) < len(header):
            # A negative written as "path\t" may lose its trailing empty field in some editors.
            fields = fields + [""] * (len(header) - len(fields))
        if len(fields) > len(header):
            raise PlatocrError(
                f"{label_file}:{line_no}: expected {len(header)} tab-separated columns, got {len(fields)}"
            )
        rel = fields[i_path].strip()
        if not rel:
            raise PlatocrError(f"{label_file}:{line_no}: empty path")
        path = absolute_path(base / rel)
        if check_images and not path.is_file():
            raise PlatocrError(f"{label_file}:{line_no}: image not found: {path}")
        source = fields[i_source].strip() if i_source is not None else ""
        rows.append(LabelRow(path=path, text=fields[i_text].strip(), source=source))
    texts, lookalikes = map_lookalikes([row.text for row in rows])
    emit_note(lookalikes.note(label_file), notes)
    return [LabelRow(row.path, text, row.source) for row, text in zip(rows, texts, strict=True)]


def write_label_file(
    rows: Iterable[LabelRow], label_file: str | Path, *, with_source: bool | None = None
) -> Path:
    """Write rows atomically with paths relative to the label file's folder (POSIX separators)."""
    label_file = Path(label_file)
    label_file.parent.mkdir(parents=True, exist_ok=True)
    rows = list(rows)
    if with_source is None:
        with_source = any(row.source for row in rows)
    base = absolute_path(label_file.parent)
    fd, tmp = tempfile.mkstemp(dir=label_file.parent, prefix=".labels-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write("path\ttext\tsource\n" if with_source else "path\ttext\n")
            for row in rows:
                for value in (row.text, row.source):
                    if "\t" in value or "\n" in value:
                        raise PlatocrError(f"cannot write {label_file}: tab or newline in value {value!r}")
                rel = Path(os.path.relpath(absolute_path(row.path), base)).as_posix()
                handle.write(f"{rel}\t{row.text}\t{row.source}\n" if with_source else f"{rel}\t{row.text}\n")
        os.replace(tmp, label_file)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return label_file


def open_dataset(
    source: str | Path,
    *,
    check_images: bool = False,
    allow_empty: bool = False,
    notes: list[str] | None = None,
) -> list[LabelRow]:
    """Open any dataset platocr understands and return its rows.

    - a label file (``*.tsv`` with header ``path<TAB>text``);
    - a folder with ``labels.tsv`` (e.g. the output of ``platocr crop`` or ``platocr synth plates``);
    - a CropNumbers folder (``NumBase/`` and/or ``Negative/``): labels parsed from file names;
    - a barcode photo folder (``annotations.tsv``): refused, run ``platocr crop`` first.

    ``notes`` collects what the readers would otherwise print on stderr (see ``read_label_file``).
    """
    source = Path(source)
    if not source.exists():
        raise PlatocrError(f"dataset not found: {source}")
    if source.is_file():
        if source.name == "annotations.tsv":
            raise _needs_crop(source.parent)
        rows = read_label_file(source, check_images=check_images, notes=notes)
    elif (source / LABEL_FILE_NAME).is_file():
        rows = read_label_file(source / LABEL_FILE_NAME, check_images=check_images, notes=notes)
    elif (source / "NumBase").is_dir() or (source / "Negative").is_dir():
        from platocr.data.cropnumbers import read_cropnumbers

        rows = read_cropnumbers(source, notes=notes)
    elif (source / "annotations.tsv").is_file():
        raise _needs_crop(source)
    else:
        raise PlatocrError(
            f"{source}: not a dataset (expected labels.tsv, a CropNumbers folder with NumBase/ or "
            "Negative/, or a barcode folder with annotations.tsv)"
        )
    if not rows and not allow_empty:
        raise PlatocrError(f"{source}: dataset is empty")
    return rows


def _needs_crop(folder: Path) -> PlatocrError:
    return PlatocrError(
        f"{folder}: this is a barcode photo folder (images/ + annotations.tsv); "
        f"cut the text crops first: platocr crop {folder} CROPS_DIR"
    )
