"""Ctrl-C as a request to stop, for loops that must end cleanly (training saves ``last.pt``, video
closes its output file).

The first Ctrl-C only sets an event that the loop reads. A handler that raised KeyboardInterrupt
instead could be lost: Python runs a signal handler at whatever main-thread code comes next, and an
exception raised inside a finalizer the garbage collector is running there is printed and dropped.
A second Ctrl-C raises KeyboardInterrupt at once, for a user who will not wait.

The handler is installed even where the process started with SIGINT ignored (a shell's background
job, ``cmd &``), so ``kill -INT PID`` stops a background run as cleanly as Ctrl-C stops one in front;
Python's own KeyboardInterrupt never comes there.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def ctrl_c_requested() -> Iterator[threading.Event]:
    """An event set by the first Ctrl-C while the block runs.

    Off the main thread the event is never set (only the main thread may handle signals), so
    KeyboardInterrupt stays the only way in there. Example::

        with ctrl_c_requested() as ctrl_c:
            while not ctrl_c.is_set() and step():
                pass
    """
    requested = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield requested
        return

    def handler(signum: int, frame: object) -> None:
        if requested.is_set():
            raise KeyboardInterrupt
        requested.set()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield requested
    finally:
        signal.signal(signal.SIGINT, previous)
