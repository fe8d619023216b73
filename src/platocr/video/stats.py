"""Per-stage timings of the video pipeline and which stage bounds the throughput."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

STAGES: tuple[str, ...] = ("read", "ocr", "draw", "write")


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

    def summary(self) -> dict[str, dict[str, float]]:
        """``{stage: {"frames", "total_s", "p50_ms", "p95_ms"}}`` for the stages that ran."""
        out = {}
        with self._lock:
            for name, times in self._times.items():
                if times:
                    ms = np.asarray(times) * 1000
                    out[name] = {
                        "frames": len(times),
                        "total_s": float(ms.sum() / 1000),
                        "p50_ms": float(np.percentile(ms, 50)),
                        "p95_ms": float(np.percentile(ms, 95)),
                    }
        return out


def bottleneck(stages: dict[str, dict[str, float]]) -> str | None:
    """The stage with the highest mean busy time per frame: in the threaded pipeline it caps the frame rate.

    Per frame rather than in total because a live reader handles frames that later stages never see.
    """
    return max(stages, key=lambda s: stages[s]["total_s"] / stages[s]["frames"], default=None)


def stats_table(stats: dict[str, Any]) -> Any:
    """A rich Table of a ``run_video`` result (frames, fps, per-stage p50/p95, the bounding stage)."""
    from rich.table import Table

    title = (
        f"{stats['frames']} frames in {stats['wall_s']:.2f} s = {stats['fps']:.1f} fps "
        f"({stats['mode']}; bounded by {stats['bottleneck'] or '-'})"
    )
    if stats.get("dropped"):
        title += f"; {stats['dropped']} live frames dropped"
    table = Table(title=title)
    for column in ("stage", "p50 ms", "p95 ms", "busy s", "max fps"):
        table.add_column(column, justify="left" if column == "stage" else "right")
    for name, s in stats["stages"].items():
        max_fps = s["frames"] / s["total_s"] if s["total_s"] else float("inf")
        mark = " *" if name == stats["bottleneck"] else ""
        table.add_row(
            name + mark, f"{s['p50_ms']:.2f}", f"{s['p95_ms']:.2f}", f"{s['total_s']:.2f}", f"{max_fps:.0f}"
        )
    return table
