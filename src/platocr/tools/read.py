"""``platocr read``: recognise image files with a model and list path, text and confidence.

Inputs are image files, folders (searched recursively for :data:`IMAGE_EXTENSIONS`), globs, label
files (``.tsv`` with header ``path<TAB>text``: their image paths are read) and ``-`` (paths on stdin,
one per line). Images go through :meth:`Predictor.predict_with_voting` in batches; an image that cannot be
opened or decoded is skipped and listed (:class:`Skipped`) instead of stopping the run. ``eval`` and
``gallery`` read their rows with the same :func:`read_paths`::

    from platocr.tools.read import collect_images, read_images
    result = read_images("plates-ru", collect_images(["crops/", "more/*.jpg"]))
    for row in result.rows:
        print(row.path, row.text, f"{row.confidence:.4f}")

``bars=True`` (``platocr read --bars``) also reads the bars of each crop and writes the combined
reads, each with its source (:mod:`platocr.recognition.bars_reader`).
"""

from __future__ import annotations

import glob
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from platocr.errors import PlatocrError

if TYPE_CHECKING:
    from platocr.recognition.decoding import Decoder
    from platocr.recognition.prediction import Prediction
    from platocr.recognition.predictor import Predictor
    from platocr.recognition.voting import VotingRecord

OUTPUT_FORMATS = {".tsv": "tsv", ".csv": "csv", ".jsonl": "jsonl"}
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class Skipped:
    """An image that could not be read, and why (``not found``, ``cannot decode``, ...)."""

    path: str
    reason: str


@dataclass
class PathReads:
    """What :func:`read_paths` read: ``read`` = indices into the paths of the images read, in order;
    ``predictions``, ``voting`` (multi-crop voting's :class:`~platocr.recognition.voting.VotingRecord`) and,
    with ``bars``,
    ``combined`` (:func:`platocr.recognition.bars_reader.read_bars`) follow ``read``."""

    read: list[int]
    predictions: list[Prediction]
    voting: VotingRecord
    skipped: list[Skipped]
    seconds: float  # image loading + preprocessing + forward + decoding, every voting crop included
    combined: list[Prediction] = field(default_factory=list)
    bars_seconds: float = 0.0  # decoding the bars and combining (not in ``seconds``)


def read_paths(
    predictor: Predictor,
    paths: Sequence[str | Path],
    *,
    progress: bool = True,
    description: str = "read",
    first_decoder: Decoder | None = None,
    bars: bool = False,
) -> PathReads:
    """Read ``paths`` with ``predictor`` in chunks of its batch size, skipping unreadable images.

    ``first_decoder`` is passed on to :meth:`Predictor.predict_with_voting` (eval's decoder comparison);
    ``bars`` also reads the bars of each crop and combines (``PathReads.combined``).
    Example::

        reads = read_paths(Predictor.load("plates-ru"), ["a.jpg", "b.png"], progress=False)
        [p.text for p in reads.predictions], reads.skipped
    """
    from platocr.progress import make_progress
    from platocr.recognition.preprocess import image_or_reason
    from platocr.recognition.voting import VotingRecord

    result = PathReads([], [], VotingRecord(), [], 0.0)
    start = time.perf_counter()
    if bars:
        from platocr.recognition.bars_reader import read_bars, require_bars

        require_bars(predictor.tokenizer.vocab)
    with make_progress(enabled=progress) as bar:
        task = bar.add_task(description, total=len(paths))
        for begin in range(0, len(paths), predictor.batch_size):
            indices, crops = [], []
            for i in range(begin, min(begin + predictor.batch_size, len(paths))):
                crop = image_or_reason(paths[i])
                if isinstance(crop, str):
                    result.skipped.append(Skipped(str(paths[i]), crop))
                else:
                    indices.append(i)
                    crops.append(crop)
            if crops:
                voted = predictor.predict_with_voting(
                    crops, batch_size=len(crops), first_decoder=first_decoder
                )
                result.read.extend(indices)
                result.predictions.extend(voted.predictions)
                result.voting.extend(voted.voting)
                if bars:  # the crops are at hand here: no second load
                    tic = time.perf_counter()
                    result.combined.extend(read_bars(crops, voted.predictions))
                    result.bars_seconds += time.perf_counter() - tic
            bar.update(task, advance=min(predictor.batch_size, len(paths) - begin))
    result.seconds = time.perf_counter() - start - result.bars_seconds
    return result


def collect_images(inputs: Sequence[str], stdin: TextIO | None = None) -> list[str]:
    """Image paths from ``inputs``, as given or found (not resolved), without repeats.

    Each input is an image file, a folder (images under it, recursively, sorted), a glob (its
    matches, sorted, each taken as an input), a ``.tsv`` label file (its rows' images) or ``-``
    (one input per line of ``stdin``). A missing input is a PlatocrError; so is finding no image.
    """
    found: list[str] = []
    for given in inputs:
        if given == "-":
            lines = (stdin or sys.stdin).read().splitlines()
            for line_no, line in enumerate(lines, start=1):
                if line.strip():
                    found += _expand(line.strip(), f" (stdin line {line_no})")
        else:
            found += _expand(given, "")
    by_file: dict[str, str] = {}
    for path in found:  # a folder and a glob (or a label file) may name the same image
        by_file.setdefault(os.path.abspath(path), path)
    unique = list(by_file.values())
    if not unique:
        extensions = " ".join(IMAGE_EXTENSIONS)
        where = " ".join("standard input (-)" if given == "-" else given for given in inputs)
        raise PlatocrError(f"no images found in {where} (image files end in {extensions})")
    return unique


def _expand(given: str, where: str) -> list[str]:
    path = Path(given)
    if path.is_dir():
        return _folder_images(path)
    if path.is_file():
        return _label_file_images(path) if path.suffix.lower() == ".tsv" else [given]
    if GLOB_CHARS & set(given):
        matches = sorted(glob.glob(given, recursive=True))
        if not matches:
            raise PlatocrError(f"no file matches {given}{where}")
        return [image for match in matches for image in _expand(match, where)]
    raise PlatocrError(f"input not found: {given}{where}")


def _folder_images(folder: Path) -> list[str]:
    images = []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        images += [os.path.join(root, name) for name in files if name.lower().endswith(IMAGE_EXTENSIONS)]
    return sorted(images)


def _label_file_images(label_file: Path) -> list[str]:
    """The label file's image paths, shown from where the file was given (absolute ones stay so)."""
    from platocr.data.labels import open_dataset

    base = label_file.parent.resolve()
    paths = []
    for row in open_dataset(label_file, check_images=True):
        relative = os.path.relpath(row.path, base)
        paths.append(str(row.path) if relative.startswith("..") else str(label_file.parent / relative))
    return paths


@dataclass(frozen=True)
class ReadRow:
    """One image read: its path as given or found, the text ('' = no read) and its confidence; with
    ``bars``, where the text comes from (``digits``, ``bars``, ``both``) and whether it was a conflict."""

    path: str
    text: str
    confidence: float
    source: str | None = None
    conflict: bool = False


@dataclass
class ReadResult:
    """What :func:`read_images` read, in input order; ``skipped`` lists the unreadable images."""

    rows: list[ReadRow]
    skipped: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0  # reading time: load + preprocess + forward + decode (model loading excluded)
    below_min_confidence: int = 0  # reads written as no read because of ``min_confidence``
    bars_seconds: float = 0.0  # with ``bars``: decoding the bars and combining (not in ``seconds``)

    @property
    def crops_per_s(self) -> float:
        return len(self.rows) / max(self.seconds, 1e-9)


def read_images(
    model: Predictor | str | Path,
    paths: Sequence[str],
    *,
    min_confidence: float = 0.0,
    progress: bool = True,
    bars: bool = False,
) -> ReadResult:
    """Read ``paths`` (see :func:`collect_images`) with ``model``: a :class:`Predictor`, or a bundled
    name / ``.pt`` / ``.onnx`` loaded with ``backend="auto"``.

    A read whose confidence is under ``min_confidence`` becomes no read (empty text, its confidence
    kept). Unreadable images are skipped and listed in ``ReadResult.skipped``. ``bars``: read the
    bars too and write the combined reads (:mod:`platocr.recognition.bars_reader`; needs zxing-cpp), each with
    its source; ``min_confidence`` then applies to the combined confidence.
    """
    from platocr.recognition.predictor import Predictor

    if not 0.0 <= min_confidence <= 1.0:
        raise PlatocrError(f"--min-confidence must be in [0, 1], got {min_confidence}")
    if bars:
        from platocr.recognition.bars_reader import require_bars

        require_bars()  # before the model loads
    predictor = model if isinstance(model, Predictor) else Predictor.load(model, backend="auto")
    reads = read_paths(predictor, paths, progress=progress, bars=bars)
    result = ReadResult([], reads.skipped, reads.seconds, bars_seconds=reads.bars_seconds)
    for i, prediction in zip(reads.read, reads.combined or reads.predictions, strict=True):
        text = prediction.text
        if text and prediction.confidence < min_confidence:
            text = ""
            result.below_min_confidence += 1
        source, conflict = getattr(prediction, "source", None), getattr(prediction, "conflict", False)
        result.rows.append(ReadRow(paths[i], text, prediction.confidence, source, conflict))
    return result


def output_format(out: str | Path) -> str:
    """``tsv``, ``csv`` or ``jsonl`` from the extension of ``out``; PlatocrError for any other."""
    fmt = OUTPUT_FORMATS.get(Path(out).suffix.lower())
    if fmt is None:
        raise PlatocrError(f"--out must end in {', '.join(OUTPUT_FORMATS)}, got {out}")
    return fmt


def write_rows(rows: Sequence[ReadRow], stream: TextIO, fmt: str = "tsv", *, sources: bool = False) -> None:
    """Write ``rows`` to ``stream``: TSV or CSV with a ``path, text, confidence`` header, or JSON lines.

    Confidences have 4 decimals. ``sources`` (``read --bars``) adds a ``source`` column (JSON lines:
    ``source`` and ``conflict``). Example::

        write_rows(result.rows, sys.stdout)                 # path<TAB>text<TAB>confidence
    """
    if fmt == "jsonl":
        import json

        for row in rows:
            record: dict[str, object] = {
                "path": row.path,
                "text": row.text,
                "confidence": round(row.confidence, 4),
            }
            if sources:
                record.update(source=row.source, conflict=row.conflict)
            stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        return
    import csv

    writer = csv.writer(stream, delimiter="\t" if fmt == "tsv" else ",", lineterminator="\n")
    writer.writerow(["path", "text", "confidence", *(["source"] if sources else [])])
    for row in rows:
        writer.writerow([row.path, row.text, f"{row.confidence:.4f}", *([row.source] if sources else [])])
