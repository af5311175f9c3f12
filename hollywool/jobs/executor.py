"""Executors run a job's work somewhere: a thread pool per lane, or a pool of worker processes (one per
GPU, hollywool/workers/) that implements the same methods; the scheduler does not change."""

from __future__ import annotations

import abc
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pydantic import BaseModel

from hollywool.jobs.context import JobContext
from hollywool.jobs.kinds import JobKind
from hollywool.jobs.models import Job


class WorkerLost(Exception):
    """The process (or machine) running a job went away: the job goes back to the queue, its attempt counted."""


class Executor(abc.ABC):
    capacity: int

    @abc.abstractmethod
    def submit(self, job: Job, work: Callable[[], None]) -> None:
        """Start `work` for `job`; return at once. `work` reports its own outcome."""

    def call(self, kind: JobKind[Any], ctx: JobContext) -> dict[str, Any] | BaseModel | None:
        """Run the kind's handler for `ctx`'s job (inside `work`) and return what it returns; raises what it
        raises, or WorkerLost. Here: in this thread."""
        return kind.run(ctx, ctx.params)

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
