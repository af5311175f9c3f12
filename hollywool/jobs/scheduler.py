"""The scheduler hands queued jobs to executors, lane by lane.

A lane is a resource: "gpu" runs one job at a time on the local device; network lanes
("net:<name>") run several. One dispatcher thread sleeps on a condition until something changes
(a submit, a job ending, a cancel), then claims as many jobs as there are free slots.

The condition guards only in-memory accounting; the database claim runs outside it, with a slot
reserved on each free lane so that a lane can never be over-committed. A storage fault (disk full,
database locked) never stops the queue: claims and the final transition of a job are retried with
backoff, the fault is reported by `queue_health()` (and `/api/health`), and dispatch resumes by
itself once the database can be written again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from hollywool.errors import StudioError
from hollywool.jobs.context import JobCancelled, JobContext, JobInterrupted
from hollywool.jobs.events import EventBus, JobEvent, JobEventType
from hollywool.jobs.executor import Executor, WorkerLost
from hollywool.jobs.failures import explain, raw_text
from hollywool.jobs.faults import is_storage_error, storage_problem
from hollywool.jobs.kinds import JobKind, KindRegistry
from hollywool.jobs.models import Job, JobStatus, JobView, QueueHealth
from hollywool.jobs.store import JobStore
from hollywool.media.assets import AssetService

if TYPE_CHECKING:
    from hollywool.models.manager import ModelManager

log = logging.getLogger("hollywool.jobs")

# Backoff after a storage fault: from the first delay, doubling, up to the last.
RETRY_FIRST_S = 0.1
RETRY_MAX_S = 4.0
# Cancels that arrive between a job's claim and its launch (kept until the launch, bounded).
_MAX_EARLY_CANCELS = 1000
# The event that announces a job's end, by the status it ended in.
_END_EVENTS: dict[JobStatus, JobEventType] = {
    JobStatus.queued: "job.queued",
    JobStatus.completed: "job.completed",
    JobStatus.failed: "job.failed",
    JobStatus.cancelled: "job.cancelled",
}


class Scheduler:
    def __init__(
        self,
        store: JobStore,
        kinds: KindRegistry,
        bus: EventBus,
        assets: AssetService,
        work_root: Path,
        view: Callable[[Job], JobView],
        max_attempts: int = 3,
        models: ModelManager | None = None,
    ):
        self.store = store
        self.kinds = kinds
        self.bus = bus
        self.assets = assets
        self.work_root = work_root
        self.view = view
        self.max_attempts = max_attempts
        self.models = models  # handed to each job as `ctx.models`
        self._lanes: dict[str, Executor] = {}
        self._busy: dict[str, int] = {}
        self._running: dict[str, JobContext] = {}
        self._cond = threading.Condition()
        self._changes = 0  # bumped on every notify: a change seen while claiming skips the next sleep
        self._early_cancels: dict[str, None] = {}
        self._faults: dict[str, tuple[str, float]] = {}  # where -> (problem, since)
        self._stopping = False
        self._stop_event = threading.Event()
        self._thread: threading.Thread | None = None

    # -- configuration -----------------------------------------------------------------------
    def add_lane(self, name: str, executor: Executor) -> None:
        with self._cond:
            self._lanes[name] = executor
            self._busy.setdefault(name, 0)
            self._notify()

    def has_lane(self, name: str) -> bool:
        return name in self._lanes

    # -- life cycle ----------------------------------------------------------------------------
    def start(self) -> None:
        requeued, failed = self.store.recover_interrupted(self.max_attempts)
        if requeued or failed:
            log.warning("recovered after restart: %d re-queued, %d failed", len(requeued), len(failed))
        for kind in self.kinds.all():
            if kind.recover is not None:
                try:
                    kind.recover()
                except Exception:  # a repair that fails must not keep the studio from starting
                    log.exception("start-up repair of %s jobs failed", kind.name)
        self._stopping = False
        self._stop_event.clear()
        self._thread = threading.Thread(target=self._dispatch_loop, name="job-dispatcher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop dispatching; running jobs are interrupted and go back to the queue."""
        with self._cond:
            self._stopping = True
            self._stop_event.set()
            running = list(self._running.values())
            self._notify()
        for ctx in running:
            ctx.request_shutdown()
        if self._thread:
            self._thread.join(timeout)
        for executor in self._lanes.values():
            executor.shutdown(wait=True)

    def wake(self) -> None:
        with self._cond:
            self._notify()

    def _notify(self) -> None:  # the caller holds the condition
        self._changes += 1
        self._cond.notify_all()

    # -- health --------------------------------------------------------------------------------
    def queue_health(self) -> QueueHealth:
        """Whether jobs can be dispatched and recorded, and if not, why."""
        with self._cond:
            faults = sorted(self._faults.values(), key=lambda f: f[1])
        if not faults:
            return QueueHealth(ok=True)
        problem = faults[-1][0]
        return QueueHealth(
            ok=False,
            message=f"The job queue is paused: {problem}. It resumes by itself when the problem is fixed.",
            since=faults[0][1],
        )

    def _fault(self, where: str, exc: BaseException) -> None:
        problem = storage_problem(exc) if is_storage_error(exc) else f"an internal error ({raw_text(exc)})"
        with self._cond:
            first = not self._faults
            self._faults[where] = (problem, self._faults.get(where, ("", time.time()))[1])
        if first:
            log.error("job queue paused (%s): %s", where, problem, exc_info=not is_storage_error(exc))

    def _clear_fault(self, where: str) -> None:
        with self._cond:
            if self._faults.pop(where, None) is None:
                return
            resumed = not self._faults
        if resumed:
            log.warning("job queue resumed: the database can be written again")

    # -- control -------------------------------------------------------------------------------
    def signal_cancel(self, job_id: str) -> None:
        """Set the running job's cancel flag now; its next step boundary stops it."""
        with self._cond:
            ctx = self._running.get(job_id)
            if ctx is None:  # claimed but not launched yet: _launch applies it
                self._early_cancels[job_id] = None
                while len(self._early_cancels) > _MAX_EARLY_CANCELS:
                    self._early_cancels.pop(next(iter(self._early_cancels)))
        if ctx:
            ctx.request_cancel()

    def is_running_here(self, job_id: str) -> bool:
        with self._cond:
            return job_id in self._running

    # -- dispatch ------------------------------------------------------------------------------
    def _free_lanes(self) -> list[str]:
        return [name for name, ex in self._lanes.items() if self._busy[name] < ex.capacity]

    def _dispatch_loop(self) -> None:
        delay = 0.0
        while True:
            with self._cond:
                if self._stopping:
                    return
                lanes = self._free_lanes()
                if not lanes:
                    # Nothing can run: sleep until notified. The timeout is only a safety net.
                    self._cond.wait(timeout=30)
                    continue
                for lane in lanes:  # reserve a slot on each free lane for the claim
                    self._busy[lane] += 1
                seen = self._changes
            job = None
            try:
                job = self.store.claim_next(lanes)
            except Exception as exc:  # a storage fault (disk full, locked): wait, then try again
                self._fault("claim", exc)
                delay = min(max(delay * 2, RETRY_FIRST_S), RETRY_MAX_S)
            else:
                self._clear_fault("claim")
                delay = 0.0
            with self._cond:
                for lane in lanes:  # keep only the slot of the lane that got a job
                    if job is None or lane != job.lane:
                        self._busy[lane] -= 1
                if delay:
                    self._sleep_locked(delay)
                    continue
                if job is None:
                    if self._changes == seen:
                        self._cond.wait(timeout=30)
                    continue
            try:
                self._launch(job)
            except Exception as exc:  # never let one bad job stop the dispatcher
                log.exception("could not start job %s", job.id)
                failure = explain(exc)
                self._finish(job, partial(self.store.fail, job.id, failure.message, failure.detail))

    def _sleep_locked(self, seconds: float) -> None:
        """Wait `seconds` (backoff), ending early only when the scheduler stops."""
        deadline = time.monotonic() + seconds
        while not self._stopping and (left := deadline - time.monotonic()) > 0:
            self._cond.wait(left)

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
            models=self.models,
        )
        with self._cond:
            self._running[job.id] = ctx
            if job.id in self._early_cancels:
                del self._early_cancels[job.id]
                ctx.request_cancel()
        self._publish("job.started", job)
        self._lanes[job.lane].submit(job, lambda: self._run(kind, ctx))

    def _run(self, kind: JobKind[Any], ctx: JobContext) -> None:
        job = ctx.job
        try:
            ctx.raise_if_cancelled()
            returned = self._lanes[job.lane].call(kind, ctx)
            result = returned.model_dump(mode="json") if isinstance(returned, BaseModel) else returned or {}
            self._finish(job, lambda: self.store.complete(job.id, result))
        except WorkerLost as exc:  # the job may have been half done: it runs again, its attempt counted
            log.warning("job %s: %s; re-queued", job.id, exc)
            self._finish(job, partial(self.store.requeue_lost, job.id, self.max_attempts, str(exc)))
        except JobInterrupted:
            self._finish(job, lambda: self.store.requeue(job.id), event=None)
        except JobCancelled:
            self._finish(job, lambda: self.store.mark_cancelled(job.id))
        except StudioError as exc:
            failure = explain(exc)
            self._finish(job, partial(self.store.fail, job.id, failure.message, failure.detail))
        except Exception as exc:  # an engine bug or a runtime fault: the job fails, the worker lives
            log.exception("job %s (%s) failed", job.id, job.kind)
            failure = explain(exc)
            self._finish(job, partial(self.store.fail, job.id, failure.message, failure.detail))

    def _finish(self, job: Job, transition: Callable[[], Job | None], event: str | None = "auto") -> None:
        try:
            updated = self._record_end(job, transition)
        finally:
            with self._cond:
                self._running.pop(job.id, None)
                self._early_cancels.pop(job.id, None)
                self._busy[job.lane] = max(self._busy.get(job.lane, 1) - 1, 0)
                self._notify()
        if updated is not None and event is not None:
            try:
                self._publish(_END_EVENTS[updated.status], updated)
            except Exception:  # the job is recorded; a live event that cannot be built is only logged
                log.exception("could not announce the end of job %s", job.id)

    def _record_end(self, job: Job, transition: Callable[[], Job | None]) -> Job | None:
        """Apply a job's final transition, retrying storage faults until it is written or the
        studio stops (then the job is still `running` in the database, and the next start
        re-queues it). A job must never stay `running` because one write failed."""
        where = f"job:{job.id}"
        delay = 0.0
        fell_back = False
        while True:
            try:
                updated = transition()
            except Exception as exc:
                if not is_storage_error(exc):
                    if fell_back:
                        log.exception("could not record the end of job %s", job.id)
                        self._clear_fault(where)
                        return None
                    log.exception("could not record the result of job %s", job.id)
                    fell_back = True
                    transition = partial(
                        self.store.fail, job.id, "The job ran, but its result could not be recorded.", raw_text(exc)
                    )
                    continue
                self._fault(where, exc)
                if self._stopping:
                    self._clear_fault(where)
                    return None
                delay = min(max(delay * 2, RETRY_FIRST_S), RETRY_MAX_S)
                self._stop_event.wait(delay)
                continue
            self._clear_fault(where)
            return updated

    def _publish(self, event_type: JobEventType, job: Job) -> None:
        self.bus.publish(JobEvent(type=event_type, job_id=job.id, job=self.view(job)))
