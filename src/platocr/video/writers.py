"""Video writers: H.264 through PyAV (libx264) or MPEG-4 Part 2 through ``cv2.VideoWriter`` (``mp4v``).

Both keep the input's fps and frame size. ``mp4v`` is the fallback when this FFmpeg build has no libx264
(and for odd frame sizes, which yuv420p H.264 cannot hold).
"""

from __future__ import annotations

import warnings
from fractions import Fraction
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from platocr.errors import PlatocrError

Codec = Literal["h264", "mp4v"]
CODECS: tuple[str, ...] = ("h264", "mp4v")
# libx264 "ultrafast" encoded 720p at ~80% of cv2 mp4v's speed and ~1.6x veryfast's on a 2-core CPU,
# with files ~40% smaller than mp4v's that also play in browsers: the default.
DEFAULT_H264_PRESET = "ultrafast"


class FrameWriter(Protocol):
    """Accepts BGR uint8 frames of the size it was opened with; ``close`` finalises the file."""

    def write(self, frame: np.ndarray, time_s: float | None = None) -> None:
        """Append ``frame``; ``time_s`` (capture time, live sources) places it in time where supported."""
        ...

    def close(self) -> None: ...


def h264_available() -> bool:
    """Whether PyAV's FFmpeg has the libx264 encoder."""
    import av

    return "libx264" in av.codecs_available


class PyAVH264Writer:
    """libx264 in an MP4 container, yuv420p (plays everywhere); ``threads`` sizes x264's pool and the
    yuv420p conversion's (None = x264's default, 1.5 per core)."""

    def __init__(
        self,
        path: Path,
        fps: float,
        size: tuple[int, int],
        preset: str = DEFAULT_H264_PRESET,
        threads: int | None = None,
    ):
        import av

        width, height = size
        self._rate = Fraction(fps).limit_denominator(1001)  # 29.97 -> 30000/1001
        try:
            self._container = av.open(str(path), mode="w")
        except (av.FFmpegError, OSError, ValueError) as exc:  # ValueError: no format for the extension
            raise PlatocrError(f"{path}: cannot create output video ({exc})") from None
        self._stream = self._container.add_stream("libx264", rate=self._rate)
        self._stream.width, self._stream.height = width, height
        self._stream.pix_fmt = "yuv420p"
        self._stream.options = {"preset": preset}
        if threads:
            self._stream.codec_context.thread_count = threads  # libx264's threads; PyAV's swscale too
        self._next_pts = 0
        self._start_s: float | None = None

    def write(self, frame: np.ndarray, time_s: float | None = None) -> None:
        """Frames without ``time_s`` follow each other at the stream rate; with it (live sources, where
        the reader drops frames) they keep their capture times, so the file plays in real time."""
        import av

        pts = self._next_pts
        if time_s is not None:
            self._start_s = time_s if self._start_s is None else self._start_s
            pts = max(pts, round((time_s - self._start_s) * self._rate))
        video_frame = av.VideoFrame.from_ndarray(frame, format="bgr24")
        video_frame.pts = pts
        video_frame.time_base = 1 / self._rate
        self._next_pts = pts + 1
        self._container.mux(self._stream.encode(video_frame))

    def close(self) -> None:
        try:
            self._container.mux(self._stream.encode(None))  # flush delayed frames
        finally:
            self._container.close()


class OpenCVWriter:
    """``cv2.VideoWriter`` with the ``mp4v`` FourCC (no external encoder needed)."""

    def __init__(self, path: Path, fps: float, size: tuple[int, int]):
        import cv2

        self._writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
        if not self._writer.isOpened():
            raise PlatocrError(f"{path}: cannot create output video with OpenCV (mp4v)")

    def write(self, frame: np.ndarray, time_s: float | None = None) -> None:
        self._writer.write(frame)  # constant rate only: a live run with dropped frames plays fast

    def close(self) -> None:
        self._writer.release()


def open_writer(
    path: str | Path,
    fps: float,
    size: tuple[int, int],
    codec: Codec = "h264",
    preset: str = DEFAULT_H264_PRESET,
    threads: int | None = None,
) -> FrameWriter:
    """Create ``path`` for frames of ``size`` = (width, height) at ``fps``; ``threads`` = H.264
    encoder threads (None = x264's default; mp4v keeps OpenCV's).

    ``h264`` falls back to ``mp4v`` with a warning when libx264 is missing or the size is odd.
    """
    path = Path(path)
    if codec not in CODECS:
        raise PlatocrError(f"unknown codec {codec!r} (known: {', '.join(CODECS)})")
    if not path.parent.exists():
        raise PlatocrError(f"{path}: output folder {path.parent} does not exist")
    if codec == "h264":
        odd = size[0] % 2 or size[1] % 2
        if h264_available() and not odd:
            return PyAVH264Writer(path, fps, size, preset, threads)
        reason = "odd frame size" if odd else "libx264 is missing from PyAV's FFmpeg"
        warnings.warn(f"h264 unavailable ({reason}); writing mp4v instead", stacklevel=2)
    return OpenCVWriter(path, fps, size)
