"""Run the annotator: threaded (read | ocr | draw | write joined by bounded queues) or sequential.

Threaded: each stage is a thread; bounded queues give backpressure so a file source loses no frame and
keeps the order. A live source (camera/URL) feeds OCR through a one-slot "latest" buffer instead: the
reader overwrites the frame OCR has not taken yet, so the overlay follows real time.
Shutdown: a shared stop Event; every queue put/get waits in short timeouts that check it, and the end of
the input travels as a sentinel. The first stage that raises sets the event, so no thread hangs.
Ctrl-C (:func:`platocr.interrupts.ctrl_c_requested`) stops the run the same way.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from platocr.errors import PlatocrError
from platocr.interrupts import ctrl_c_requested
from platocr.video.stages import AnnotatorStages
from platocr.video.stats import StageTimes, VideoStats, bottleneck

_END = object()  # end of input, passed downstream by every stage
_POLL_S = 0.05  # how often blocked puts/gets look at the stop event
JOIN_GRACE_S = 15.0  # a reader blocked inside a stream read gets this long to notice the stop


class StageError(RuntimeError):
    """A stage failed with an unexpected exception (a bug or a broken model), not a user error."""

    def __init__(self, stage: str, error: BaseException) -> None:
        super().__init__(f"stage {stage} failed: {type(error).__name__}: {error}")
        self.stage = stage


class LatestSlot:
    """A one-item buffer where a put replaces the unread item (live sources); the end sentinel sticks."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item: Any = None
        self._full = False
        self.dropped = 0

    def put(self, item: Any, timeout: float | None = None) -> None:
        with self._cond:
            if self._full and self._item is _END:
                return
            self.dropped += self._full
            self._item, self._full = item, True
            self._cond.notify()

    def get(self, timeout: float | None = None) -> Any:
        with self._cond:
            if not self._cond.wait_for(lambda: self._full, timeout):
                raise queue.Empty
            item, self._item, self._full = self._item, None, False
            return item

    def get_nowait(self) -> Any:
        return self.get(timeout=0)


def _put(q: Any, item: Any, stop: threading.Event) -> bool:
    while not stop.is_set():
        try:
            q.put(item, timeout=_POLL_S)
            return True
        except queue.Full:
            pass
    return False


def _get(q: Any, stop: threading.Event) -> Any:
    while not stop.is_set():
        try:
            return q.get(timeout=_POLL_S)
        except queue.Empty:
            pass
    return _END


def _timed(times: StageTimes, stage: str, fn: Callable[..., Any], *args: Any, frames: int = 1) -> Any:
    """Run one stage call, record its time; unexpected exceptions become StageError naming the stage."""
    start = time.perf_counter()
    try:
        result = fn(*args)
    except (PlatocrError, StageError, KeyboardInterrupt):
        raise
    except Exception as exc:
        raise StageError(stage, exc) from exc
    times.record(stage, time.perf_counter() - start, frames)
    return result


def run_sequential(stages: AnnotatorStages, times: StageTimes, ctrl_c: threading.Event) -> None:
    """The same stage functions one after another in the calling thread, until the end or ``ctrl_c``."""
    while not ctrl_c.is_set() and (item := _timed(times, "read", stages.read)) is not None:
        _timed(times, "ocr", stages.ocr, [item])
        _timed(times, "draw", stages.draw, item)
        _timed(times, "write", stages.write, item)


def run_threaded(
    stages: AnnotatorStages,
    times: StageTimes,
    ctrl_c: threading.Event,
    *,
    live: bool,
    queue_size: int = 8,
    batch_frames: int = 1,
) -> int:
    """Four threads joined by bounded queues; returns the number of live frames dropped.

    ``batch_frames`` > 1 lets OCR take up to that many frames already waiting (never waits for more).
    Raises the first stage error after every thread has stopped; ``ctrl_c`` (checked every 0.1 s) and
    KeyboardInterrupt stop them too.
    """
    stop = threading.Event()
    errors: list[BaseException] = []
    to_ocr: Any = LatestSlot() if live else queue.Queue(queue_size)
    to_draw: queue.Queue = queue.Queue(queue_size)
    to_write: queue.Queue = queue.Queue(queue_size)

    def reader() -> None:
        while not stop.is_set():
            item = _timed(times, "read", stages.read)
            if not _put(to_ocr, _END if item is None else item, stop) or item is None:
                return

    def ocr() -> None:
        while (item := _get(to_ocr, stop)) is not _END:
            batch, ended = [item], False
            while len(batch) < batch_frames:
                try:
                    more = to_ocr.get_nowait()
                except queue.Empty:
                    break
                if more is _END:
                    ended = True
                    break
                batch.append(more)
            _timed(times, "ocr", stages.ocr, batch, frames=len(batch))
            if not all(_put(to_draw, b, stop) for b in batch) or ended:
                break
        _put(to_draw, _END, stop)

    def drawer() -> None:
        while (item := _get(to_draw, stop)) is not _END:
            _timed(times, "draw", stages.draw, item)
            if not _put(to_write, item, stop):
                return
        _put(to_write, _END, stop)

    def writer() -> None:
        while (item := _get(to_write, stop)) is not _END:
            _timed(times, "write", stages.write, item)
        stop.set()  # the end reached the last stage (or a stop): release anyone still waiting

    def guarded(body: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                body()
            except BaseException as exc:  # noqa: B036  any failure must stop the others
                errors.append(exc)
                stop.set()

        return run

    threads = [
        threading.Thread(target=guarded(fn), name=f"platocr-video-{fn.__name__}", daemon=True)
        for fn in (reader, ocr, drawer, writer)
    ]
    for t in threads:
        t.start()
    try:
        while not ctrl_c.is_set() and any(t.is_alive() for t in threads):
            for t in threads:
                t.join(timeout=0.1)  # short joins keep the main thread responsive to Ctrl-C
    finally:
        stop.set()
        deadline = time.monotonic() + JOIN_GRACE_S
        for t in threads:
            t.join(timeout=max(0.0, deadline - time.monotonic()))
    if errors:
        raise errors[0]
    return to_ocr.dropped if live else 0


def run_stages(
    stages: AnnotatorStages, *, mode: str, live: bool, batch_frames: int = 1, queue_size: int = 8
) -> VideoStats:
    """Run ``stages`` to the end of the input in ``mode``; returns the run's figures (see ``run_video``).

    Ctrl-C ends the run early with ``interrupted=True`` instead of raising, so the caller still closes
    the output file properly.
    """
    if mode not in ("threaded", "sequential"):
        raise PlatocrError(f"unknown --mode {mode!r} (known: threaded, sequential)")
    times = StageTimes()
    dropped, interrupted = 0, False
    start = time.perf_counter()
    try:
        with ctrl_c_requested() as ctrl_c:
            if mode == "threaded":
                dropped = run_threaded(stages, times, ctrl_c, live=live, queue_size=queue_size,
                                       batch_frames=batch_frames)  # fmt: skip
            else:
                run_sequential(stages, times, ctrl_c)
            interrupted = ctrl_c.is_set()
    except KeyboardInterrupt:  # a second Ctrl-C, or a run off the main thread
        interrupted = True
    wall = time.perf_counter() - start
    per_stage = times.summary()
    frames = per_stage["write"].frames if "write" in per_stage else 0
    return VideoStats(mode, frames, wall, frames / wall if wall > 0 else 0.0, per_stage, bottleneck(per_stage),
                      dropped, interrupted)  # fmt: skip
