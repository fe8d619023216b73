"""Check that an output can be written before any work is done.

A command that computes for minutes and then fails to write its result wastes the user's time, so every
command calls :func:`check_writable_file` / :func:`check_writable_dir` on its outputs first.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from platocr.errors import PlatocrError


def _nearest_existing(path: Path) -> Path:
    """The path itself or its closest existing ancestor (what ``mkdir -p`` would create under)."""
    probe = path
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    return probe


def check_writable_dir(path: str | Path, what: str = "output folder") -> Path:
    """Refuse (PlatocrError, one line) a folder that cannot be created or written into.

    Creates nothing: only checks that the folder, or the closest existing folder above it, is a
    writable directory (with a real write test, since root ignores permission bits but not a read-only
    file system).
    """
    path = Path(path)
    existing = _nearest_existing(path.absolute())
    if not existing.is_dir():
        where = "" if existing == path.absolute() else f"{existing} "
        raise PlatocrError(f"{what} {path}: {where}exists and is not a folder")
    try:
        handle, name = tempfile.mkstemp(dir=existing, prefix=".platocr-write-test-")
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise PlatocrError(f"{what} {path}: cannot write in {existing} ({reason})") from None
    os.close(handle)
    os.unlink(name)
    return path


def check_writable_file(path: str | Path, what: str = "output file") -> Path:
    """Refuse (PlatocrError, one line) a file path that cannot be written: an existing folder, a
    read-only existing file, or a parent folder that cannot be created or written into."""
    path = Path(path)
    if path.is_dir():
        raise PlatocrError(f"{what} {path}: is a folder, expected a file name")
    if path.exists() and not os.access(path, os.W_OK):
        raise PlatocrError(f"{what} {path}: the file is read-only")
    check_writable_dir(path.parent if str(path.parent) else Path("."), what=f"{what} {path}: folder")
    return path
