"""The scheduler hands queued jobs to executors, lane by lane.

A lane is a resource: "gpu" runs one job at a time on the local device; network lanes
("net:<name>") run several. One dispatcher thread sleeps on a condition until something changes
(a submit, a job ending, a cancel), then claims as many jobs as there are free slots.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from hollywool.errors import StudioError
from hollywool.jobs.context import JobCancelled, JobContext, JobInterrupted
from hollywool.jobs.events import EventBus, JobEvent
from hollywool.jobs.executor import Executor
from hollywool.jobs.kinds import KindRegistry
from hollywool.jobs.models import Job
from hollywool.jobs.store import JobStore
from hollywool.media.assets import AssetService

log = logging.getLogger("hollywool.jobs")


class Scheduler:
    def __init__(
        self,
        store: JobStore,
        kinds: KindRegistry,
        bus: EventBus,
        assets: AssetService,
        work_root: Path,
        view: Callable[[Job], dict[str, Any]],
        max_attempts: int = 3,
    ):
        self.store = store
        self.kinds = kinds
        self.bus = bus
        self.assets = assets
        self.work_root = work_root
        self.view = view
        self.max_attempts = max_attempts
        self._lanes: dict[str, Executor] = {}
        self._busy: dict[str, int] = {}
        self._running: dict[str, JobContext] = {}
        self._cond = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None

    # -- configuration -----------------------------------------------------------------------
    def add_lane(self, name: str, executor: Executor) -> None:
        with self._cond:
            self._lanes[name] = executor
            self._busy.setdefault(name, 0)
            self._cond.notify()

    def has_lane(self, name: str) -> bool:
        return name in self._lanes

    # -- life cycle ----------------------------------------------------------------------------
    def start(self) -> None:
        requeued, failed = self.store.recover_interrupted(self.max_attempts)
        if requeued or failed:
            log.warning("recovered after restart: %d re-queued, %d failed", len(requeued), len(failed))
        self._stopping = False
        self._thread = threading.Thread(target=self._dispatch_loop, name="job-dispatcher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop dispatching; running jobs are interrupted and go back to the queue."""
        with self._cond:
            self._stopping = True
            running = list(self._running.values())
            self._cond.notify_all()
        for ctx in running:
            ctx.request_shutdown()
        if self._thread:
            self._thread.join(timeout)
        for executor in self._lanes.values():
            executor.shutdown(wait=True)

    def wake(self) -> None:
        with self._cond:
            self._cond.notify()

    # -- control -------------------------------------------------------------------------------
    def signal_cancel(self, job_id: str) -> None:
        with self._cond:
            ctx = self._running.get(job_id)
        if ctx:
            ctx.request_cancel()

    def is_running_here(self, job_id: str) -> bool:
        with self._cond:
            return job_id in self._running

    # -- dispatch ------------------------------------------------------------------------------
    def _free_lanes(self) -> list[str]:
        return [name for name, ex in self._lanes.items() if self._busy[name] < ex.capacity]

    def _dispatch_loop(self) -> None:
        while True:
            with self._cond:
                if self._stopping:
                    return
                free = self._free_lanes()
                job = self.store.claim_next(free) if free else None
                if job is None:
                    # Nothing to do: sleep until notified. The timeout is only a safety net.
                    self._cond.wait(timeout=30)
                    continue
                self._busy[job.lane] += 1
            try:
                self._launch(job)
            except Exception as exc:  # never let one bad job stop the dispatcher
                log.exception("could not start job %s", job.id)
                self._finish(job, partial(self.store.fail, job.id, f"could not start: {_describe(exc)}"))

    def _launch(self, job: Job) -> None:
        kind = self.kinds.get(job.kind)
        params = kind.params.model_validate(job.params)
        ctx = JobContext(
            job,
            params,
            store=self.store,
            bus=self.bus,
            assets=self.assets,
            work_dir=self.work_root / job.id,
        )
        with self._cond:
            self._running[job.id] = ctx
        self._publish("job.started", job)
        self._lanes[job.lane].submit(job, lambda: self._run(kind, ctx))

    def _run(self, kind, ctx: JobContext) -> None:  # noqa: ANN001
        job = ctx.job
        try:
            ctx.raise_if_cancelled()
            result = kind.run(ctx, ctx.params) or {}
            self._finish(job, lambda: self.store.complete(job.id, result))
        except JobInterrupted:
            self._finish(job, lambda: self.store.requeue(job.id), event=None)
        except JobCancelled:
            self._finish(job, lambda: self.store.mark_cancelled(job.id))
        except StudioError as exc:
            self._finish(job, partial(self.store.fail, job.id, exc.message))
        except Exception as exc:  # an engine bug or a runtime fault: the job fails, the worker lives
            log.exception("job %s (%s) failed", job.id, job.kind)
            self._finish(job, partial(self.store.fail, job.id, _describe(exc)))

    def _finish(self, job: Job, transition: Callable[[], Job | None], event: str | None = "auto") -> None:
        try:
            updated = transition()
        finally:
            with self._cond:
                self._running.pop(job.id, None)
                self._busy[job.lane] = max(self._busy.get(job.lane, 1) - 1, 0)
                self._cond.notify()
        if updated is not None and event is not None:
            self._publish(f"job.{updated.status}", updated)

    def _publish(self, event_type: str, job: Job) -> None:
        self.bus.publish(JobEvent(type=event_type, job_id=job.id, job=self.view(job)))


def _describe(exc: BaseException) -> str:
    text = str(exc) or exc.__class__.__name__
    if "out of memory" in text.lower() or exc.__class__.__name__ == "OutOfMemoryError":
        return (
            f"Out of memory: {text}. Try a smaller size, fewer images or frames, or a lighter model; "
            "the studio can also offload the model to system memory (Settings)."
        )
    return f"{exc.__class__.__name__}: {text}"
