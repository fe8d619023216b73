"""Map a function over items on a process pool with a rich progress bar, results in input order."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

from platocr.progress import make_progress

T = TypeVar("T")
R = TypeVar("R")


def default_workers() -> int:
    """Cores this process may use (respects taskset/cgroup affinity)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)


def _pool_context() -> multiprocessing.context.BaseContext:
    """Workers must not be forked from a process that already runs torch/OpenCV thread pools.

    A plain fork copies those pools' locks in a held state and the workers deadlock (seen when the
    demo ran after a training test in the same process); forkserver forks from a clean server.
    """
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _run_chunk(fn: Callable[[T], R], chunk: Sequence[T]) -> list[R]:
    return [fn(item) for item in chunk]


def parallel_map(
    fn: Callable[[T], R],
    items: Iterable[T],
    *,
    workers: int | None = None,
    description: str = "working",
    chunk_size: int = 8,
    show_progress: bool = True,
) -> list[R]:
    """Apply ``fn`` (a picklable top-level function) to every item; returns results in input order.

    With one worker (or few items) it runs in-process, which keeps tracebacks simple and tests fast.
    """
    items = list(items)
    workers = default_workers() if workers is None else max(1, workers)
    results: list[R] = []
    with make_progress(enabled=show_progress) as progress:
        task = progress.add_task(description, total=len(items))
        if workers == 1 or len(items) <= chunk_size:
            for item in items:
                results.append(fn(item))
                progress.advance(task)
            return results
        with ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context()) as pool:
            futures = [pool.submit(_run_chunk, fn, chunk) for chunk in _chunks(items, chunk_size)]
            for future in futures:
                chunk_results = future.result()
                results.extend(chunk_results)
                progress.advance(task, len(chunk_results))
    return results
