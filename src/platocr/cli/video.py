"""`platocr video`: Annotate a video file, camera or stream with OCR results in real time."""

from __future__ import annotations

from platocr.cli._app import command
from platocr.errors import PlatocrError


@command("video", help="Annotate a video file, camera or stream with OCR results in real time. (arrives with issue #4)")
def video_command() -> None:
    raise PlatocrError("platocr video is not built yet: it arrives with issue #4")
