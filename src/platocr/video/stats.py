"""Per-stage timings of the video pipeline, which stage bounds the throughput, and a run's figures."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from rich.table import Table

    from platocr.threads import ThreadPlan
    from platocr.video.tracking import TrackSummary

STAGES: tuple[str, ...] = ("read", "ocr", "draw", "write")


@dataclass(frozen=True)
class StageStats:
    """One stage's per-frame busy times: ``frames`` timed, ``total_s`` busy in all, median and 95th
    percentile in ms."""

    frames: int
    total_s: float
    p50_ms: float
    p95_ms: float

    @classmethod
    def of(cls, seconds: list[float]) -> StageStats:
        ms = np.asarray(seconds) * 1000
        return cls(
            len(seconds), float(ms.sum() / 1000), float(np.percentile(ms, 50)), float(np.percentile(ms, 95))
        )

    @property
    def mean_s(self) -> float:
        return self.total_s / self.frames if self.frames else 0.0

    def as_dict(self) -> dict[str, float]:
        return {"frames": self.frames, "total_s": self.total_s, "p50_ms": self.p50_ms, "p95_ms": self.p95_ms}


class StageTimes:
    """Thread-safe collector of per-frame busy times (seconds) for each stage.

    A stage that handled a batch of n frames in t seconds records t/n for each of them, so percentiles
    are per frame in both modes.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._times: dict[str, list[float]] = {name: [] for name in STAGES}

    def record(self, stage: str, seconds: float, frames: int = 1) -> None:
        with self._lock:
            self._times[stage].extend([seconds / max(frames, 1)] * max(frames, 1))

    def summary(self) -> dict[str, StageStats]:
        """``{stage: StageStats}`` for the stages that ran."""
        with self._lock:
            return {name: StageStats.of(times) for name, times in self._times.items() if times}


def bottleneck(stages: dict[str, StageStats]) -> str | None:
    """The stage with the highest mean busy time per frame: in the threaded pipeline it caps the frame rate.

    Per frame rather than in total because a live reader handles frames that later stages never see.
    """
    return max(stages, key=lambda s: stages[s].mean_s, default=None)


@dataclass
class VideoStats:
    """One annotator run: ``frames`` written in ``wall_s`` (``fps``), per-stage times, the bounding
    stage, live frames ``dropped``, whether Ctrl-C ``interrupted`` it; from ``run_video`` also the input
    and output, the frame ``size`` (width, height), the input's fps and the thread plan; with
    ``--detect plate`` the detector's time per run (``detect``, inside the ocr stage) and the tracks.

    ``as_dict()`` is the JSON form (``platocr bench``, tests): the field names as keys.
    """

    mode: str
    frames: int
    wall_s: float
    fps: float
    stages: dict[str, StageStats]
    bottleneck: str | None
    dropped: int = 0
    interrupted: bool = False
    input: str = ""
    output: str = ""
    size: tuple[int, int] = (0, 0)
    input_fps: float = 0.0
    threads: ThreadPlan | None = None
    detect: StageStats | None = None
    tracks: list[TrackSummary] | None = field(default=None)

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "mode": self.mode, "frames": self.frames, "wall_s": self.wall_s, "fps": self.fps,
            "stages": {name: s.as_dict() for name, s in self.stages.items()}, "bottleneck": self.bottleneck,
            "dropped": self.dropped, "interrupted": self.interrupted, "input": self.input, "output": self.output,
            "size": list(self.size), "input_fps": self.input_fps,
            "threads": self.threads.as_dict() if self.threads is not None else None,
        }  # fmt: skip
        if self.detect is not None:
            out["detect"] = self.detect.as_dict()
        if self.tracks is not None:
            out["tracks"] = [t.as_dict() for t in self.tracks]
        return out


def stats_table(stats: VideoStats) -> Table:
    """A rich Table of a ``run_video`` result (frames, fps, per-stage p50/p95, the bounding stage)."""
    from rich.table import Table

    title = (
        f"{stats.frames} frames in {stats.wall_s:.2f} s = {stats.fps:.1f} fps "
        f"({stats.mode}; bounded by {stats.bottleneck or '-'})"
    )
    if stats.dropped:
        title += f"; {stats.dropped} live frames dropped"
    table = Table(title=title)
    for column in ("stage", "p50 ms", "p95 ms", "busy s", "max fps"):
        table.add_column(column, justify="left" if column == "stage" else "right")
    rows = list(stats.stages.items())
    if stats.detect is not None:  # part of ocr: its max fps is per detection run
        rows.insert(2, (f"  detect ({stats.detect.frames} runs)", stats.detect))
    for name, s in rows:
        max_fps = s.frames / s.total_s if s.total_s else float("inf")
        mark = " *" if name == stats.bottleneck else ""
        table.add_row(name + mark, f"{s.p50_ms:.2f}", f"{s.p95_ms:.2f}", f"{s.total_s:.2f}", f"{max_fps:.0f}")
    return table
