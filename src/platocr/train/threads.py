"""CPU threads of a training run: torch's intra-op threads leave a core to each DataLoader worker.

torch starts one intra-op thread per core; with ``train.num_workers`` loader processes beside them
the cores are oversubscribed, and under any outside load the spinning OpenMP threads collapse the
throughput (about tenfold on 2 cores with one loader worker beside another job). Loader workers run
one torch thread each (torch's DataLoader sets it) and one OpenCV thread (set here, before they fork).
"""

from __future__ import annotations

import os

import torch


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity where the OS tells, else every core)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def training_threads(cores: int, num_workers: int, omp_num_threads: str | None) -> tuple[int, str]:
    """(torch intra-op threads, why) for training on a CPU: the user's ``OMP_NUM_THREADS`` when set,
    else one thread per core not taken by a loader worker (at least one)."""
    if omp_num_threads:
        try:
            threads = max(1, int(omp_num_threads))
        except ValueError:
            threads = torch.get_num_threads()  # torch itself ignored the unreadable value
        return threads, f"OMP_NUM_THREADS={omp_num_threads}"
    workers = f"{num_workers} loader worker" + ("" if num_workers == 1 else "s")
    return max(1, cores - num_workers), f"{cores} cores, {workers}"


def thread_counts() -> tuple[int, int]:
    """(torch intra-op threads, OpenCV threads) of this process, to restore after training."""
    import cv2

    return torch.get_num_threads(), cv2.getNumThreads()


def restore_thread_counts(counts: tuple[int, int]) -> None:
    """Undo :func:`set_training_threads` (a library caller such as ``platocr demo`` goes on)."""
    import cv2

    torch.set_num_threads(counts[0])
    cv2.setNumThreads(counts[1])


def set_training_threads(num_workers: int, *, cpu: bool) -> str | None:
    """Set the process's threads for training; returns the line to show the user on a CPU.

    With loader workers, OpenCV gets one thread here in the parent: the workers fork from it with no
    OpenCV thread pool (``cv2.setNumThreads`` inside a forked worker deadlocks on the parent's pool).
    """
    if num_workers > 0:
        import cv2

        cv2.setNumThreads(1)
    if not cpu:
        return None
    threads, why = training_threads(available_cores(), num_workers, os.environ.get("OMP_NUM_THREADS"))
    torch.set_num_threads(threads)
    return f"cpu: {threads} torch thread{'' if threads == 1 else 's'} ({why})"
