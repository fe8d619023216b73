"""Frame sources: a video file, a camera index or a stream URL, read with PyAV or OpenCV.

PyAV is the default for files and URLs. On the shared 2-core box both decoders turned 720p H.264 into
BGR arrays at a few hundred fps (``bench.measure_decode``; the two were within run-to-run noise), far
above what the encoder and OCR sustain, so the choice rests on the rest: PyAV reports FFmpeg's reason for
a bad file, exact fps/frame-count metadata, and an open timeout for streams. OpenCV is the fallback and
the only backend for camera indices (PyAV would need a platform-specific capture format).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from platocr.errors import PlatocrError

Backend = Literal["auto", "pyav", "opencv"]
DEFAULT_LIVE_FPS = 30.0  # cameras often report 0 fps; the output file still needs a rate
_URL_RE = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


@dataclass(frozen=True)
class SourceInfo:
    """What the writer and the ROI check need to know before the first frame."""

    width: int
    height: int
    fps: float
    live: bool  # camera or stream: the reader keeps only the newest frame
    frame_count: int | None  # None when unknown (live sources, some containers)


class FrameSource(Protocol):
    """A sequence of BGR uint8 frames (H, W, 3); ``read`` returns None at the end."""

    info: SourceInfo

    def read(self) -> np.ndarray | None: ...

    def close(self) -> None: ...


def is_camera(spec: str) -> bool:
    """A camera index is all digits (``0``, ``1``...)."""
    return spec.isdigit()


def is_url(spec: str) -> bool:
    """``rtsp://``, ``http://``... anything with a scheme; treated as a live stream."""
    return bool(_URL_RE.match(spec))


class PyAVSource:
    """Decode with PyAV (FFmpeg), frame and slice threads; ``threads`` sizes the decoder's pool and
    the BGR conversion's (None = FFmpeg's default, one or more per core)."""

    def __init__(self, spec: str, live: bool, threads: int | None = None) -> None:
        import av

        self._container = av.open(spec, mode="r", timeout=10.0 if live else None)  # open_source words errors
        if not self._container.streams.video:
            self._container.close()
            raise PlatocrError(f"{spec}: has no video stream")
        stream = self._container.streams.video[0]
        stream.thread_type = "AUTO"  # frame + slice threads
        if threads:
            stream.codec_context.thread_count = threads
        self._threads = threads or 0  # swscale: 0 = one thread per core
        rate = stream.average_rate or stream.guessed_rate
        fps = float(rate) if rate else DEFAULT_LIVE_FPS
        count = stream.frames or None
        self.info = SourceInfo(stream.codec_context.width, stream.codec_context.height, fps, live, count)
        self._frames = self._container.decode(stream)
        self._spec = spec

    def read(self) -> np.ndarray | None:
        import av

        try:
            frame = next(self._frames)
        except StopIteration:
            return None
        except av.FFmpegError as exc:
            raise PlatocrError(f"{self._spec}: decode failed ({exc})") from None
        return frame.to_ndarray(format="bgr24", threads=self._threads)

    def close(self) -> None:
        self._container.close()


class OpenCVSource:
    """Decode with ``cv2.VideoCapture`` (files, URLs, camera indices); ``threads`` sizes the FFmpeg
    decoder's pool of files and URLs (None = its default)."""

    def __init__(self, spec: str, live: bool, threads: int | None = None) -> None:
        import cv2

        # OpenCV and its FFmpeg print WARN lines for every failed open; our one-line error says it better.
        os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
        level = cv2.utils.logging.getLogLevel()
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
        try:
            if is_camera(spec):
                self._cap = cv2.VideoCapture(int(spec))
            elif threads:
                self._cap = cv2.VideoCapture(spec, cv2.CAP_ANY, [cv2.CAP_PROP_N_THREADS, threads])
            else:
                self._cap = cv2.VideoCapture(spec)
        finally:
            cv2.utils.logging.setLogLevel(level)
        if not self._cap.isOpened():
            if is_camera(spec):
                raise PlatocrError(f"camera {spec}: cannot open it (no such device, or it is busy)")
            raise PlatocrError(f"{spec}: cannot open as video (OpenCV VideoCapture failed)")
        width = int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        fps = self._cap.get(cv2.CAP_PROP_FPS) or DEFAULT_LIVE_FPS
        count = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT))
        self._first: np.ndarray | None = None
        if width <= 0 or height <= 0:  # some cameras only know their size after a read
            ok, self._first = self._cap.read()
            if not ok:
                self._cap.release()
                raise PlatocrError(f"{spec}: opened but no frame could be read")
            height, width = self._first.shape[:2]
        self.info = SourceInfo(width, height, float(fps), live, count if count > 0 and not live else None)

    def read(self) -> np.ndarray | None:
        if self._first is not None:
            frame, self._first = self._first, None
            return frame
        ok, frame = self._cap.read()
        return frame if ok else None

    def close(self) -> None:
        self._cap.release()


def open_source(spec: str, backend: Backend = "auto", threads: int | None = None) -> FrameSource:
    """Open ``spec`` (file path, camera index or URL) and probe its size and fps; ``threads`` =
    decoder threads (None = the decoder's default).

    ``auto`` = PyAV for files and URLs (falls back to OpenCV if PyAV cannot open it), OpenCV for cameras.
    Raises PlatocrError naming ``spec`` for a missing or unreadable input.
    """
    camera, url = is_camera(spec), is_url(spec)
    live = camera or url
    if not live:
        path = Path(spec)
        if not path.exists():
            raise PlatocrError(f"{spec}: no such file")
        if not path.is_file():
            raise PlatocrError(f"{spec}: not a file")
    if backend == "opencv" or camera:
        if backend == "pyav":
            raise PlatocrError(f"{spec}: camera indices need --backend opencv")
        return OpenCVSource(spec, live, threads)
    import av

    try:
        source: FrameSource = PyAVSource(spec, live, threads)
    except (av.FFmpegError, OSError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        pyav_error = PlatocrError(f"{spec}: not a readable video ({reason})")
        if backend == "pyav" or isinstance(exc, av.InvalidDataError):
            raise pyav_error from None  # OpenCV's FFmpeg would fail the same way, only louder
        try:
            source = OpenCVSource(spec, live, threads)
        except PlatocrError:
            raise pyav_error from None  # FFmpeg's reason is the more telling one
    except PlatocrError:
        if backend == "pyav":
            raise
        source = OpenCVSource(spec, live, threads)
    if source.info.width <= 0 or source.info.height <= 0:
        source.close()
        raise PlatocrError(f"{spec}: video stream has no frame size (not a readable video)")
    return source
