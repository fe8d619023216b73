"""Ctrl-C as a stop request: kept even when it arrives while a finalizer runs, and a second one raises."""

from __future__ import annotations

import _thread
import gc
import signal
import threading
import time

import pytest

from platocr.interrupts import ctrl_c_requested


class _CyclicWithFinalizer:
    """Garbage only the collector frees, whose finalizer runs Python code in the collecting thread."""

    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        total = 0
        for i in range(20_000):
            total += i


def _wait_for(event: threading.Event) -> None:
    deadline = time.monotonic() + 5
    while not event.is_set() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_a_ctrl_c_during_a_finalizer_is_not_lost() -> None:
    before = signal.getsignal(signal.SIGINT)
    with ctrl_c_requested() as ctrl_c:
        _thread.interrupt_main()
        for _ in range(50):
            _CyclicWithFinalizer()
        gc.collect()  # the handler may well run inside one of the finalizers
        _wait_for(ctrl_c)
    assert ctrl_c.is_set()
    assert signal.getsignal(signal.SIGINT) is before  # put back


def test_a_second_ctrl_c_raises() -> None:
    with pytest.raises(KeyboardInterrupt), ctrl_c_requested() as ctrl_c:
        _thread.interrupt_main()
        _wait_for(ctrl_c)
        _thread.interrupt_main()
        time.sleep(1)  # the handler runs here and raises


def test_off_the_main_thread_nothing_is_installed() -> None:
    seen: list[bool] = []

    def run() -> None:
        with ctrl_c_requested() as ctrl_c:
            seen.append(ctrl_c.is_set())

    before = signal.getsignal(signal.SIGINT)
    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    assert seen == [False] and signal.getsignal(signal.SIGINT) is before


def test_kept_where_the_process_started_with_ctrl_c_ignored() -> None:
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # what a shell's background job (`cmd &`) gets
    try:
        with ctrl_c_requested() as ctrl_c:
            _thread.interrupt_main()
            _wait_for(ctrl_c)
        assert ctrl_c.is_set() and signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
