"""Plate labels from CropNumbers file names: ``<series> <region><duplicate index>.<ext>``.

The original collection named each crop after its plate and made names unique by appending a
duplicate counter straight after the region digits: ``A001CC 172.jpg``, ``A001CC 1720.jpg``,
``A001CC 1721.jpg``, ... are all A001CC172; some copies carry a `` (2)`` suffix instead. The digits
after the series therefore hold region + counter glued together, and only the list of valid region
codes (``platocr.formats.plates_ru``) can split them: ``1165`` = 116 + 5 (116 is Tatarstan) while
``7710`` = 77 + 10 (771 is no region).

One ambiguity remains where a 3-digit code is also "2-digit code + one-digit counter" (``777`` =
Moscow 777, or the 8th copy of a 77 plate). Alone, a name reads as the 3-digit code. With its
siblings (``parse_plate_filenames``) the counter reading wins when the folder shows a run of copies
of the 2-digit plate that the counter fits in, and no other file of the 3-digit plate.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath

from platocr.formats.plates_ru import PLATE_LETTERS, THREE_DIGIT_REGIONS, to_latin

IMAGE_EXTENSIONS: frozenset[str] = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff"})

# Copy markers appended by file managers: "name (2)", "name [3]", "name - copy", "name копия".
_COPY_SUFFIX = re.compile(r"(\s*[(\[]\s*\d+\s*[)\]]|\s*-?\s*(copy|копия)(\s*\d+)?)+\s*$", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s_\-.]+")
_SERIES_CHARS = re.compile(rf"[{PLATE_LETTERS}0-9]+")
# Without a separator the series is everything up to its last letter.
_GLUED = re.compile(rf"([{PLATE_LETTERS}0-9]*[{PLATE_LETTERS}])([0-9]+)")


@dataclass(frozen=True)
class PlateName:
    """A file name split into the plate series (``A001CC``) and the digits after it (``1720``)."""

    series: str
    digits: str


def plate_stem(name: str) -> str:
    """The part of a file name (or path) that names the plate: no folder, extension or copy suffix."""
    stem = PurePath(name).name
    suffix = PurePath(stem).suffix
    if suffix.lower() in IMAGE_EXTENSIONS:
        stem = stem[: -len(suffix)]
    return _COPY_SUFFIX.sub("", stem).strip()


def split_plate_filename(name: str) -> PlateName | None:
    """Split a file name (or path) into series and region+counter digits; None if it is not a plate name.

    Handles the extension, copy suffixes, upper/lower case, Cyrillic look-alike letters and
    separators (space, underscore, hyphen) between series and region.
    """
    stem = to_latin(plate_stem(name))
    parts = [part for part in _SEPARATORS.split(stem) if part]
    if not parts:
        return None
    if len(parts) >= 2 and parts[-1].isdigit():
        # The separator marks where the series ends (series may end in a digit on odd formats).
        series, digits = "".join(parts[:-1]), parts[-1]
    else:
        match = _GLUED.fullmatch("".join(parts))
        if match is None:
            return None
        series, digits = match.groups()
    if not _SERIES_CHARS.fullmatch(series) or not any(c.isalpha() for c in series) or len(digits) < 2:
        return None
    return PlateName(series=series, digits=digits)


def region_and_counter(digits: str) -> tuple[str, str]:
    """Split region+counter digits by the region list alone: ``"1165"`` -> ``("116", "5")``.

    A valid 3-digit code wins over a 2-digit code + counter; otherwise the region is 2 digits.
    """
    if len(digits) >= 3 and digits[:3] in THREE_DIGIT_REGIONS:
        return digits[:3], digits[3:]
    return digits[:2], digits[2:]


def parse_plate_filename(name: str) -> str | None:
    """Plate label from one CropNumbers file name, e.g. ``"A001CC 1720.jpg"`` -> ``"A001CC172"``.

    Returns None when the name is not ``<series><region>[counter]`` with plate letters and digits.
    Prefer ``parse_plate_filenames`` for a whole folder: it also resolves 777-style ambiguities.
    """
    parsed = split_plate_filename(name)
    if parsed is None:
        return None
    region, _ = region_and_counter(parsed.digits)
    return parsed.series + region


def parse_plate_filenames(names: Iterable[str]) -> dict[str, str | None]:
    """Labels for all file names of one folder (name -> label, None = not a plate name).

    Like ``parse_plate_filename``, but a name is read against the other files of its series, which
    settles the two cases the region list cannot:

    - ``X777XX 777`` next to ``X777XX 77``, ``770`` ... ``779``: the 8th copy of the 77 plate, not a
      777 plate (the folder shows a run of 77 copies the counter fits in, and no other 777 file);
    - ``A001CC 172`` next to ``A001CC 1720`` ... ``1729``: a base name with its own numbered copies
      and no ``A001CC 17`` file is the plate's full name even when 172 is on no region list.
    """
    names = list(names)
    parsed = {name: split_plate_filename(name) for name in names}
    digits_by_series: dict[str, list[str]] = defaultdict(list)
    for plate in parsed.values():
        if plate is not None:
            digits_by_series[plate.series].append(plate.digits)
    labels: dict[str, str | None] = {}
    for name, plate in parsed.items():
        if plate is None:
            labels[name] = None
        else:
            labels[name] = plate.series + _region_in_context(plate.digits, digits_by_series[plate.series])
    return labels


def _region_in_context(digits: str, siblings: list[str]) -> str:
    """Region of ``digits`` given ``siblings``, the digits of every file of the same series (itself included)."""
    region, _ = region_and_counter(digits)
    if len(digits) < 3:
        return region
    short, long_ = digits[:2], digits[:3]
    # Files other than this one that start with the 3-digit reading (its copies, or a " (2)" twin).
    long_support = sum(1 for other in siblings if other.startswith(long_)) - 1
    if len(region) == 3:
        short_copies = {other[2:] for other in siblings if other.startswith(short) and len(other) > 2}
        is_copy = short in siblings and long_support == 0 and int(digits[2:]) < len(short_copies)
        return short if is_copy else region
    has_copies = long_ in siblings and any(o.startswith(long_) and len(o) > 3 for o in siblings)
    return long_ if has_copies and short not in siblings else region
