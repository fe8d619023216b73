"""The thread plan of one process: how many threads each native pool gets (onnxruntime or torch,
OpenCV, the PyAV/FFmpeg decoder, the x264 encoder), from the cores it may use, the run mode and the
load of other processes.

Left alone, every library sizes its pool to all the machine's cores (FFmpeg and x264 to more), and
onnxruntime's workers spin between calls. In the threaded video pipeline decode, OCR and encode
already run side by side in their own threads, so those pools only fight over the same cores: on
2 cores with one other busy process the OCR stage went from 21 to 84 ms a frame. There the stages
are the parallelism and each pool gets a share of the planned cores; run one after another
(``--mode sequential``, ``platocr read``) each call gets them all. Cores another process keeps busy
are left to it: oversubscribed threads wait on each other (a pool's slowest thread ends its call).
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from typing import Literal

from platocr.errors import PlatocrError

Mode = Literal["threaded", "sequential"]
MODES: tuple[str, ...] = ("threaded", "sequential")
_session_threads: ContextVar[int | None] = ContextVar("platocr_session_threads", default=None)


@dataclass(frozen=True)
class ThreadPlan:
    """Threads per pool; ``planned`` = the cores planned for (``--threads``, else the free ones)."""

    runtime: int  # onnxruntime intra-op threads, or torch's intra-op threads
    opencv: int  # cv2.setNumThreads: region finding and preprocessing, in the OCR stage
    decoder: int  # FFmpeg decoder and its BGR conversion (swscale)
    encoder: int  # x264 and its yuv420p conversion
    mode: str
    cores: int  # cores this process may run on
    load: float | None  # other processes' runnable threads; None when --threads decided
    planned: int

    def line(self) -> str:
        """``runtime 1, opencv 1, decoder 1, encoder 1 (threaded; 2 cores, load 1.0: 1 planned)``."""
        why = f"--threads {self.planned}" if self.load is None else f"load {self.load:.1f}"
        return (
            f"runtime {self.runtime}, opencv {self.opencv}, decoder {self.decoder}, encoder {self.encoder} "
            f"({self.mode}; {self.cores} cores, {why}: {self.planned} planned)"
        )

    def as_dict(self) -> dict[str, int | float | str | None]:
        return asdict(self)


def plan_threads(cores: int, mode: str, load: float = 0.0, override: int | None = None) -> ThreadPlan:
    """The plan for ``cores`` usable cores, ``mode`` (threaded or sequential) and ``load`` (other
    processes' runnable threads); ``override`` (``--threads``) replaces the free-core count."""
    if mode not in MODES:
        raise PlatocrError(f"unknown --mode {mode!r} (known: {', '.join(MODES)})")
    if override is not None and override < 1:
        raise PlatocrError(f"--threads {override}: must be >= 1")
    cores = max(1, cores)
    # A core counts as taken once another process keeps it at least half busy.
    planned = override or max(1, min(cores, math.floor(cores - load + 0.5)))
    if mode == "sequential":
        runtime = decoder = encoder = planned
    else:
        # Decode and encode each take a quarter (at least a thread); OCR, the usual bottleneck,
        # the rest. On 2 cores that is one thread per pool: the stages fill the cores.
        decoder = encoder = max(1, planned // 4)
        runtime = max(1, planned - decoder - encoder)
    # OpenCV runs in the OCR stage, before and after the model: the same share.
    return ThreadPlan(runtime, runtime, decoder, encoder, mode, cores,
                      None if override else round(load, 2), planned)  # fmt: skip


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity where the OS tells, else every core)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def outside_load(samples: int = 5, interval_s: float = 0.02) -> float:
    """Runnable threads of other processes now: the mean over ``samples`` reads of the kernel's
    running count (``/proc/loadavg``) less this sampling thread. The 1-minute load average lags a
    minute both ways (our own previous run still counts, a job started a second ago does not); it
    is the fallback where ``/proc`` is missing."""
    import time

    counts = []
    for i in range(samples):
        try:
            with open("/proc/loadavg", encoding="ascii") as handle:
                running = int(handle.read().split()[3].split("/")[0])
        except (OSError, ValueError, IndexError):
            return os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
        counts.append(max(0, running - 1))
        if i + 1 < samples:
            time.sleep(interval_s)
    return sum(counts) / len(counts)


def plan_for(mode: str, override: int | None = None) -> ThreadPlan:
    """:func:`plan_threads` for this process now (its cores and the machine's load)."""
    load = 0.0 if override else outside_load()
    return plan_threads(available_cores(), mode, load, override)


def parse_threads(value: str | None) -> int | None:
    """``--threads`` as given on the command line: None (plan from the load) or a whole number >= 1."""
    if value is None:
        return None
    try:
        threads = int(value)
    except ValueError:
        raise PlatocrError(f"--threads {value}: expected a whole number >= 1") from None
    if threads < 1:
        raise PlatocrError(f"--threads {value}: must be >= 1")
    return threads


@contextlib.contextmanager
def session_threads(threads: int | None) -> Iterator[None]:
    """onnxruntime sessions created inside get ``threads`` intra-op threads (see ``onnx_session``)."""
    token = _session_threads.set(threads)
    try:
        yield
    finally:
        _session_threads.reset(token)


def planned_session_threads() -> int | None:
    """The count :func:`session_threads` set here, else None (onnxruntime's default)."""
    return _session_threads.get()


@contextlib.contextmanager
def applied(plan: ThreadPlan) -> Iterator[None]:
    """Set OpenCV's threads, and torch's when torch is loaded (the torch backend), for the block;
    both are process-wide, so a library caller gets its own counts back."""
    import cv2

    torch = sys.modules.get("torch")  # never imported here: the onnx path stays torch-free
    before = cv2.getNumThreads(), torch.get_num_threads() if torch is not None else None
    cv2.setNumThreads(plan.opencv)
    if torch is not None:
        torch.set_num_threads(plan.runtime)
    try:
        yield
    finally:
        cv2.setNumThreads(before[0])
        if torch is not None and before[1] is not None:
            torch.set_num_threads(before[1])
