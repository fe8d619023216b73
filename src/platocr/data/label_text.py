"""The text of a label file, and plate letters typed in Cyrillic.

Label files come from editors and spreadsheets: ``read_label_text`` takes UTF-8 (with or without a
BOM), UTF-16 with a BOM (a spreadsheet's "Unicode text") and, with a note, cp1251 (what Russian
Windows saves); an image or other binary file passed by mistake gets one line saying so.

Russian plates use the 12 Cyrillic letters that look like Latin ones, and people type them either
way; platocr's plate alphabet is the Latin one. ``map_lookalikes`` maps them (either case) for every
reader, so the same plate never becomes two labels, and reports how many labels it changed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from platocr.errors import PlatocrError
from platocr.formats.plates_ru import CYRILLIC_TO_LATIN

LOOKALIKES: dict[str, str] = {
    **CYRILLIC_TO_LATIN,
    **{cyrillic.lower(): latin for cyrillic, latin in CYRILLIC_TO_LATIN.items()},
}
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_EXPECTED = "expected a TSV with header path<TAB>text, a dataset folder"
IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".jp2", ".heic", ".avif"}
)
_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*")


def _is_image(path: Path, head: bytes) -> bool:
    if path.suffix.lower() in IMAGE_SUFFIXES or head.startswith(_IMAGE_MAGIC):
        return True
    webp = head.startswith(b"RIFF") and head[8:12] == b"WEBP"
    return webp or (head.startswith(b"BM") and b"\x00" in head[:16])


def read_label_text(path: Path) -> tuple[str, str | None]:
    """``(text, note)`` of a label file; ``note`` says when it was not UTF-8.

    Raises PlatocrError (naming the file) for an image, a binary file, or bytes that are neither
    UTF-8 nor cp1251.
    """
    data = path.read_bytes()
    head = data[:8192]
    if _is_image(path, head):
        raise PlatocrError(
            f"{path}: this is an image, not a label file ({_EXPECTED}, or use platocr read for images)"
        )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), None
        except UnicodeDecodeError:
            pass  # a binary file that happens to start like UTF-16: refused below
    if b"\x00" in head:
        raise PlatocrError(f"{path}: this is a binary file, not a label file ({_EXPECTED})")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        text = data.decode("cp1251")
    except UnicodeDecodeError:
        line = data.count(b"\n", 0, utf8_error.start) + 1
        raise PlatocrError(
            f"{path}:{line}: cannot read the file: it is neither UTF-8 nor cp1251 "
            f"(byte 0x{data[utf8_error.start]:02x}); save it as UTF-8"
        ) from None
    return text, f"{path} is not UTF-8; read it as cp1251"


@dataclass
class LookalikeReport:
    """How many labels had Cyrillic plate letters mapped, and which letters."""

    labels: int = 0
    mapped: set[str] = field(default_factory=set)  # "А→A"

    def add(self, text: str) -> None:
        """Count one label (as it was written) if it has Cyrillic look-alike letters."""
        found = {f"{char}→{LOOKALIKES[char]}" for char in text if char in LOOKALIKES}
        if found:
            self.labels += 1
            self.mapped |= found

    def note(self, where: str | Path) -> str | None:
        """The one line for the user, or None when nothing was mapped."""
        if not self.labels:
            return None
        had = "label had" if self.labels == 1 else "labels had"
        letters = ", ".join(sorted(self.mapped))
        return f"{where}: {self.labels} {had} Cyrillic letters mapped to Latin look-alikes ({letters})"


def map_lookalikes(texts: Sequence[str]) -> tuple[list[str], LookalikeReport]:
    """Map the Cyrillic plate letters (either case) in ``texts`` to their Latin look-alikes.

    Nothing is mapped when any text holds another Cyrillic letter: the file is Russian text, not
    plates, and mapping some of its letters would mix two alphabets in one word.
    """
    report = LookalikeReport()
    if any(char not in LOOKALIKES for text in texts for char in _CYRILLIC.findall(text)):
        return list(texts), report
    mapped = []
    for text in texts:
        report.add(text)
        mapped.append("".join(LOOKALIKES.get(char, char) for char in text))
    return mapped, report


def emit_note(note: str | None, notes: list[str] | None) -> None:
    """Hand ``note`` to the caller's list, or print it on stderr (``note: ...``) when there is none."""
    if note is None:
        return
    if notes is not None:
        notes.append(note)
        return
    from platocr.progress import err_console

    err_console.print(f"note: {note}", markup=False, highlight=False, soft_wrap=True)
