"""CropNumbers folders: ``NumBase/*`` plate crops labelled by file name, ``Negative/*`` no plate.

``read_cropnumbers`` never drops a file silently: names the parser cannot read are either handed to
the caller (``skipped=[]``) or announced on stderr. ``filename_agreement`` measures how well the
file-name labels match a cleaned ``labels.tsv`` (scripts/parser_agreement.py prints it).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from platocr.data.filenames import (
    IMAGE_EXTENSIONS,
    parse_plate_filenames,
    plate_stem,
    split_plate_filename,
)
from platocr.data.label_text import LookalikeReport, emit_note
from platocr.data.labels import LABEL_FILE_NAME, LabelRow, absolute_path, read_label_file
from platocr.errors import PlatocrError

PLATES_FOLDER = "NumBase"
NEGATIVES_FOLDER = "Negative"


def _images(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)


def read_cropnumbers(
    folder: str | Path, skipped: list[Path] | None = None, notes: list[str] | None = None
) -> list[LabelRow]:
    """Rows of a CropNumbers folder: ``NumBase/*`` labelled from file names, ``Negative/*`` with text "".

    Ignores a ``labels.tsv`` in the folder (``open_dataset`` prefers it when present). Image files
    whose names cannot be parsed are left out and appended to ``skipped``; when ``skipped`` is None
    they are reported on stderr instead (``warning: skipped N files ...``). Names typed with
    Cyrillic plate letters read as the Latin ones; how many did is one note for ``notes`` (stderr
    when None).
    """
    folder = Path(folder)
    plates_dir, negatives_dir = folder / PLATES_FOLDER, folder / NEGATIVES_FOLDER
    if not plates_dir.is_dir() and not negatives_dir.is_dir():
        raise PlatocrError(f"{folder}: not a CropNumbers folder (no {PLATES_FOLDER}/ or {NEGATIVES_FOLDER}/)")
    plate_images = _images(plates_dir)
    labels = parse_plate_filenames(p.name for p in plate_images)
    rows: list[LabelRow] = []
    unparsed: list[Path] = []
    lookalikes = LookalikeReport()
    for image in plate_images:
        text = labels[image.name]
        if text is None:
            unparsed.append(image)
        else:
            lookalikes.add(plate_stem(image.name))
            rows.append(LabelRow(path=absolute_path(image), text=text))
    rows.extend(LabelRow(path=absolute_path(image), text="") for image in _images(negatives_dir))
    emit_note(lookalikes.note(folder), notes)
    if skipped is not None:
        skipped.extend(unparsed)
    elif unparsed:
        from platocr.progress import err_console

        err_console.print(f"warning: {describe_skipped(unparsed)}", markup=False, highlight=False)
    return rows


def describe_skipped(skipped: list[Path], first: int = 3) -> str:
    """One line for the user: ``skipped N files with unparseable names (first: a.jpg, b.jpg)``."""
    examples = ", ".join(p.name for p in skipped[:first])
    return f"skipped {len(skipped)} files with unparseable names (first: {examples})"


@dataclass
class AgreementReport:
    """File-name labels vs. a truth label file, over the plate crops (``NumBase/``) it lists.

    ``reachable`` counts crops whose true label is the name's series + some prefix of its digits,
    i.e. the ones any region/counter split could get right (the ceiling for the parser).
    """

    n: int = 0
    agree: int = 0
    reachable: int = 0
    negatives_n: int = 0
    negatives_agree: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[tuple[str, str, str]]] = field(
        default_factory=dict
    )  # kind -> (name, parsed, truth)

    @property
    def agreement(self) -> float:
        return self.agree / self.n if self.n else 0.0

    @property
    def ceiling(self) -> float:
        return self.reachable / self.n if self.n else 0.0


def filename_agreement(folder: str | Path, truth_file: str | Path | None = None) -> AgreementReport:
    """Compare ``read_cropnumbers`` labels with ``truth_file`` (default ``folder/labels.tsv``).

    Counts every ``NumBase`` image listed in the truth file (an unparseable name is a disagreement);
    ``Negative`` images are counted apart.
    """
    folder = Path(folder)
    truth_rows = read_label_file(truth_file or folder / LABEL_FILE_NAME)
    plates_dir, negatives_dir = (
        absolute_path(folder / PLATES_FOLDER),
        absolute_path(folder / NEGATIVES_FOLDER),
    )
    parsed = {row.path: row.text for row in read_cropnumbers(folder, skipped=[])}
    report = AgreementReport()
    for row in truth_rows:
        got = parsed.get(row.path)
        if row.path.parent == negatives_dir:
            report.negatives_n += 1
            report.negatives_agree += got == row.text
            continue
        if row.path.parent != plates_dir:
            continue
        report.n += 1
        name = split_plate_filename(row.path.name)
        if name is not None and any(
            row.text == name.series + name.digits[:k] for k in range(2, len(name.digits) + 1)
        ):
            report.reachable += 1
        if got == row.text:
            report.agree += 1
            continue
        kind = disagreement_kind(got, row.text)
        report.kinds[kind] += 1
        report.examples.setdefault(kind, []).append((row.path.name, got or "", row.text))
    return report


def disagreement_kind(parsed: str | None, truth: str) -> str:
    """Name the way a parsed label differs from the truth (for the agreement report)."""
    if parsed is None:
        return "unparseable name"
    series_len = 6 if len(truth) >= 8 else len(truth)
    same_series = parsed[:series_len] == truth[:series_len]
    if same_series:
        p_region, t_region = parsed[series_len:], truth[series_len:]
        if t_region.startswith(p_region):
            return "region cut (truth longer)"
        if p_region.startswith(t_region):
            return "region extended (truth shorter)"
        return "region differs"
    if len(parsed) == len(truth) and sum(a != b for a, b in zip(parsed, truth, strict=True)) == 1:
        return "one character differs"
    if parsed[series_len:] == truth[series_len:]:
        return "series differs, same region"
    return "another plate"
