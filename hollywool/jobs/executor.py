"""Executors run a job's work somewhere. Today: a thread pool per lane; a cluster executor later
implements the same two methods, and the scheduler does not change."""

from __future__ import annotations

import abc
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from hollywool.jobs.models import Job


class Executor(abc.ABC):
    capacity: int

    @abc.abstractmethod
    def submit(self, job: Job, work: Callable[[], None]) -> None:
        """Start `work` for `job`; return at once. `work` reports its own outcome."""

    @abc.abstractmethod
    def shutdown(self, wait: bool = True) -> None: ...


class ThreadExecutor(Executor):
    def __init__(self, name: str, capacity: int = 1):
        self.capacity = capacity
        self._pool = ThreadPoolExecutor(max_workers=capacity, thread_name_prefix=f"lane-{name}")

    def submit(self, job: Job, work: Callable[[], None]) -> None:
        self._pool.submit(work)

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=True)
