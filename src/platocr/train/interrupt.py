"""Ctrl-C during training: stop after the current step, save ``last.pt``, say how to resume.

The first Ctrl-C only sets a flag that the step loop reads before each step, so the weights,
optimizer and scheduler are saved as they are between two steps; a second Ctrl-C interrupts at once
(the run is still saved, from wherever the step was). Loader workers ignore Ctrl-C (``prepare``).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class TrainInterrupted(KeyboardInterrupt):
    """Training stopped by Ctrl-C; ``saved`` tells whether ``run_dir/last.pt`` can be resumed."""

    def __init__(self, run_dir: Path, step: int, saved: bool) -> None:
        super().__init__(str(run_dir))
        self.run_dir, self.step, self.saved = run_dir, step, saved

    def line(self) -> str:
        if not self.saved:
            return "interrupted before the first step: nothing to resume"
        return f"interrupted: resume with: platocr train --resume {self.run_dir}"


@contextmanager
def ctrl_c_stops_training() -> Iterator[threading.Event]:
    """An event set by the first Ctrl-C while the block runs (off the main thread: never set, since
    only the main thread may handle signals; a KeyboardInterrupt is then the only way in)."""
    requested = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield requested
        return

    def handler(signum: int, frame: object) -> None:
        if requested.is_set():
            raise KeyboardInterrupt  # a second Ctrl-C: the user will not wait for the step
        requested.set()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield requested
    finally:
        signal.signal(signal.SIGINT, previous)
