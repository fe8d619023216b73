"""Read a barcode-photo ``annotations.tsv`` leniently, turning every faulty row into a counted Skip.

Accepted: tab- or whitespace-separated rows, with or without the header
``filename code x_from y_from width height``, a UTF-8 BOM, CRLF line ends, numbers written as ``12.0``.
Codes stay strings (leading zeros kept). Line numbers are 1-based physical lines of the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from platocr.errors import PlatocrError

ANNOTATION_FILE = "annotations.tsv"
COLUMNS = ("filename", "code", "x_from", "y_from", "width", "height")
_DIGITS = re.compile(r"[0-9]+")  # str.isdigit() would also let through '²' and other scripts' digits


@dataclass(frozen=True)
class Annotation:
    """One valid row: a digit code and its box (x, y, width, height; width and height > 0)."""

    line: int
    filename: str
    code: str
    box: tuple[int, int, int, int]


@dataclass(frozen=True)
class Skip:
    """A row that produced no crop: the file as written, its line in annotations.tsv, and why."""

    file: str
    line: int
    reason: str


class _BadRow(ValueError):
    """Internal: the reason a row is skipped."""


def read_annotations(path: Path) -> tuple[list[Annotation], list[Skip]]:
    """Parse ``path`` into valid rows and skipped rows (blank lines are not rows).

    Raises PlatocrError only when the file as a whole is unusable (unreadable, not UTF-8, a header
    with other column names).
    """
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise PlatocrError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise PlatocrError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    annotations: list[Annotation] = []
    skipped: list[Skip] = []
    seen_first_row = False
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = _split_fields(line)
        if not seen_first_row:
            seen_first_row = True
            if _is_header(fields):
                if [name.lower() for name in fields] != list(COLUMNS):
                    raise PlatocrError(
                        f"{path}:{line_no}: header must be {' '.join(COLUMNS)} (tab-separated), got {fields!r}"
                    )
                continue
        try:
            annotations.append(_parse_row(fields, line_no))
        except _BadRow as exc:
            skipped.append(Skip(fields[0] if fields and fields[0] else "?", line_no, str(exc)))
    return annotations, skipped


def _split_fields(line: str) -> list[str]:
    """Tab-separated when the line has a tab (file names may hold spaces), else whitespace-separated."""
    if "\t" in line:
        fields = [value.strip() for value in line.split("\t")]
        while len(fields) > len(COLUMNS) and not fields[-1]:  # trailing tabs from spreadsheets
            fields.pop()
        return fields
    # The last five columns never hold spaces, so a file name with spaces survives.
    return line.strip().rsplit(None, len(COLUMNS) - 1)


def _is_header(fields: list[str]) -> bool:
    """A first row is the header unless its box columns are numbers (then it is data)."""
    if fields and fields[0].lower() == COLUMNS[0]:
        return True
    if len(fields) != len(COLUMNS):
        return False
    return not any(_is_number(value) for value in fields[2:])


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _parse_row(fields: list[str], line_no: int) -> Annotation:
    if len(fields) != len(COLUMNS):
        raise _BadRow(
            f"malformed line: expected {len(COLUMNS)} columns ({' '.join(COLUMNS)}), got {len(fields)}"
        )
    filename, code = fields[0], fields[1]
    if not filename:
        raise _BadRow("empty filename")
    if not code:
        raise _BadRow("empty code")
    if not _DIGITS.fullmatch(code):
        raise _BadRow(f"non-digit code {code!r}")
    x, y, w, h = (_integer(name, value) for name, value in zip(COLUMNS[2:], fields[2:], strict=True))
    if w <= 0 or h <= 0:
        kind = "zero-area box" if w == 0 or h == 0 else "negative box size"
        raise _BadRow(f"{kind} (width {w}, height {h})")
    return Annotation(line=line_no, filename=filename, code=code, box=(x, y, w, h))


def _integer(name: str, value: str) -> int:
    """An integer pixel value; '12' and '12.0' pass, '12.5', 'abc', 'nan' and '' do not."""
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not number.is_integer():
        raise _BadRow(f"non-integer {name} {value!r}")
    return int(number)
