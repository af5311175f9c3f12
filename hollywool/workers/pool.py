"""The GPU lane as N workers: an executor with one slot per worker (a local process or a Ray actor).

A slot's thread picks a worker for its job (placement.py), sends it the job, and serves the worker's
messages until the job is done: events go on the studio's bus, progress and results into the store,
images and files into the asset store, each answered when the job waits for it. A worker that dies
is restarted and its job re-queued with the attempt counted (WorkerLost); the other workers go on.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, Field

from hollywool.errors import NotFoundError, StudioError
from hollywool.jobs.context import JobCancelled, JobContext, JobInterrupted
from hollywool.jobs.events import EventBus
from hollywool.jobs.executor import ThreadExecutor, WorkerLost
from hollywool.jobs.failures import explain
from hollywool.jobs.faults import is_storage_error
from hollywool.jobs.kinds import GPU_LANE, JobKind
from hollywool.jobs.models import Job, RanOn
from hollywool.jobs.store import JobStore
from hollywool.media.assets import AssetService
from hollywool.models.catalog import ModelEntry
from hollywool.models.memory import WorkerDevice
from hollywool.storage.preferences import Preferences
from hollywool.workers.inputs import JobInputs
from hollywool.workers.node_files import UserModels
from hollywool.workers.placement import Candidate, pick_worker
from hollywool.workers.protocol import (
    Answer,
    GetAssets,
    JobDone,
    MergeResult,
    Publish,
    Ready,
    RunJob,
    SaveCheckpoint,
    SaveFile,
    SaveImage,
    SaveProgress,
    StopJob,
    ToStudio,
    ToWorker,
    WorkerState,
)

log = logging.getLogger("hollywool.workers")
GB = 1024**3
# After a worker fails to start: wait this long before the next try.
RESTART_DELAY_S = 2.0
WAITING = "waiting_for_worker"  # a claimed job's stage while no fitting worker is free


class WorkerLink(Protocol):
    """How the studio reaches one worker: a local process (process.py) or a Ray actor (ray_workers.py)."""

    def start(self) -> Ready: ...
    def send(self, message: ToWorker) -> None: ...
    def receive(self) -> ToStudio:
        """The next message of the running job; WorkerLost when the worker went away."""
        ...

    def configure(self, preferences: Preferences) -> WorkerState:
        """Send the user's preferences and get the worker's state under them; called while it runs no job."""
        ...

    def alive(self) -> bool: ...
    def stop(self, timeout: float = 10.0) -> None: ...


class WorkerInfo(BaseModel):
    """One GPU worker as `/api/system/workers` shows it."""

    id: str
    host: str | None = Field(description="the machine it runs on; null while it starts")
    device: str
    status: str = Field(description="starting, idle, busy or drained")
    drained: bool = Field(description="a drained worker takes no new jobs (its running job finishes)")
    pid: int | None = None
    memory_budget_gb: float | None = None
    memory_used_gb: float | None = None
    loaded_models: list[str] = Field(default_factory=list)
    current_job_id: str | None = None
    restarts: int = Field(0, description="times it was started again after it died")


@dataclass(frozen=True)
class JobModel:
    """A job's model: its id, the bytes it takes loaded (as the model manager estimates them) and its entry; the
    user-added LoRAs, ControlNets and upscalers it uses."""

    model_id: str | None = None
    need_bytes: int | None = None
    entry: ModelEntry | None = None
    user_models: UserModels | None = None


@dataclass
class _Slot:
    worker_id: str
    device: str
    link: WorkerLink
    state: WorkerState | None = None  # None while (re)starting
    job_id: str | None = None
    drained: bool = False
    restarts: int = 0
    configuring: bool = False  # taking new preferences: no job meanwhile

    @property
    def free(self) -> bool:
        return self.state is not None and self.job_id is None and not self.configuring


class WorkerPool(ThreadExecutor):
    def __init__(
        self,
        links: list[tuple[str, str, WorkerLink]],
        *,
        store: JobStore,
        bus: EventBus,
        assets: AssetService,
        describe: Callable[[Job], JobModel],
        gather: Callable[[Job], JobInputs],
        preferences: Callable[[], Preferences],
    ):
        """`links`: (worker id, device, link) each; `describe(job)`: the job's model and what it takes loaded;
        `gather(job)`: the files it reads, sent with it; `preferences()`: the user's, sent to a worker as it
        starts (and by `set_preferences` when they change)."""
        super().__init__(GPU_LANE, capacity=len(links))
        self.store = store
        self.bus = bus
        self.assets = assets
        self._describe = describe
        self._gather = gather
        self._preferences = preferences
        self._stale: set[str] = set()  # workers that have not yet had the latest preferences
        self._slots = {wid: _Slot(wid, device, link) for wid, device, link in links}
        self._cond = threading.Condition()
        self._stopping = False

    # -- life cycle ----------------------------------------------------------------------------
    def start(self) -> None:
        for slot in self._slots.values():
            self._boot(slot)

    def _boot(self, slot: _Slot) -> None:
        threading.Thread(target=self._start_worker, args=(slot,), name=f"start-{slot.worker_id}", daemon=True).start()

    def _start_worker(self, slot: _Slot) -> None:
        while not self._stopping:
            try:
                slot.link.start()
                state = slot.link.configure(self._preferences())  # its budget is the user's from the start
            except Exception:
                log.exception("worker %s on %s could not start; trying again", slot.worker_id, slot.device)
                slot.link.stop(timeout=1)
                time.sleep(RESTART_DELAY_S)
                continue
            with self._cond:
                slot.state = state
                self._cond.notify_all()
            log.info("worker %s ready on %s (%s, pid %s)", slot.worker_id, slot.device, state.host, state.pid)
            return

    def _restart(self, slot: _Slot) -> None:
        with self._cond:
            slot.state = None
            slot.restarts += 1
        slot.link.stop(timeout=1)
        if not self._stopping:
            self._boot(slot)

    def set_preferences(self, _preferences: Preferences | None = None) -> None:
        """The user's preferences changed: each worker takes them as soon as it runs no job (a worker starting
        now reads them as it starts)."""
        with self._cond:
            start = not self._stale
            self._stale = set(self._slots)
            self._cond.notify_all()
        if start:
            threading.Thread(target=self._configure_stale, name="worker-preferences", daemon=True).start()

    def _configure_stale(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and self._stale and not any(self._slots[w].free for w in self._stale):
                    self._cond.wait(timeout=30)
                if self._stopping or not self._stale:
                    self._stale.clear()
                    return
                slot = next(self._slots[w] for w in sorted(self._stale) if self._slots[w].free)
                self._stale.discard(slot.worker_id)
                slot.configuring = True
            try:
                state = slot.link.configure(self._preferences())
            except WorkerLost:
                log.warning("worker %s on %s went away taking new settings; restarting it", slot.worker_id, slot.device)
                with self._cond:
                    slot.configuring = False
                self._restart(slot)
                continue
            with self._cond:
                slot.state, slot.configuring = state, False
                self._cond.notify_all()

    def shutdown(self, wait: bool = True) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        super().shutdown(wait=wait)
        for slot in self._slots.values():
            slot.link.stop()

    def wait_ready(self, timeout: float) -> bool:
        """Block until every worker is ready (tests, benchmarks); False when `timeout` passed first."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while any(s.state is None for s in self._slots.values()):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    # -- steering ------------------------------------------------------------------------------
    def workers(self) -> list[WorkerInfo]:
        with self._cond:
            return [self._info(s) for s in self._slots.values()]

    def devices(self) -> list[WorkerDevice]:
        """The ready workers' devices as they last reported (the studio's submit-time checks and loaded flags)."""
        with self._cond:
            states = [s.state for s in self._slots.values() if s.state is not None]
        return [WorkerDevice(s.memory_kind, s.memory_total_bytes, s.budget_bytes, s.loaded, s.device) for s in states]

    def drain(self, worker_id: str, drained: bool = True) -> WorkerInfo:
        with self._cond:
            slot = self._slots.get(worker_id)
            if slot is None:
                raise NotFoundError(f"no worker {worker_id!r}; workers: {', '.join(self._slots)}")
            slot.drained = drained
            self._cond.notify_all()
            return self._info(slot)

    @staticmethod
    def _info(slot: _Slot) -> WorkerInfo:
        state = slot.state
        status = "starting" if state is None else "busy" if slot.job_id else "drained" if slot.drained else "idle"
        return WorkerInfo(
            id=slot.worker_id,
            host=state.host if state else None,
            device=state.device if state else slot.device,
            status=status,
            drained=slot.drained,
            pid=state.pid if state else None,
            memory_budget_gb=round(state.budget_bytes / GB, 3) if state else None,
            memory_used_gb=round(state.used_bytes / GB, 3) if state else None,
            loaded_models=list(state.loaded) if state else [],
            current_job_id=slot.job_id,
            restarts=slot.restarts,
        )

    # -- running a job -------------------------------------------------------------------------
    def call(self, kind: JobKind[Any], ctx: JobContext) -> dict[str, Any] | BaseModel | None:
        job = ctx.job
        model = self._describe(job)
        slot = self._take(ctx, model.model_id, model.need_bytes)
        state = slot.state
        assert state is not None  # a taken worker is ready
        if job.kind not in state.kinds:  # a GPU kind the workers do not run: here, as with one device
            self._release(slot)
            return kind.run(ctx, ctx.params)
        try:
            self.store.set_ran_on(job.id, RanOn(host=state.host, device=state.device, worker_id=slot.worker_id))
            ctx.on_stop(lambda shutdown: self._forward_stop(slot, job.id, shutdown))
            done = self._serve(slot, job, RunJob(job, model.entry, self._gather(job), model.user_models))
        except WorkerLost:
            self._restart(slot)
            raise
        finally:
            self._release(slot)
        if done.outcome == "completed":
            return done.result
        if done.outcome == "cancelled":
            raise JobCancelled("cancelled")
        if done.outcome == "interrupted":
            raise JobInterrupted("the studio is shutting down")
        raise StudioError(done.error or "The job failed on its worker.", detail=done.detail)

    def _take(self, ctx: JobContext, model_id: str | None, need: int | None) -> _Slot:
        """A worker for the job, once one is free; meanwhile the job's stage says what it waits for."""
        told: str | None = None
        while True:
            dead = self._dead_idle()
            with self._cond:
                if self._stopping:
                    raise JobInterrupted("the studio is shutting down")
                self._relaunch_dead(dead)
                ready = [s for s in self._slots.values() if s.state is not None and not s.drained]
                candidates = [
                    Candidate(s.worker_id, s.free, s.state.budget_bytes, s.state.used_bytes, s.state.loaded)
                    for s in ready
                    if s.state is not None
                ]
                chosen = pick_worker(candidates, model_id, need)
                if chosen is not None:
                    slot = self._slots[chosen]
                    slot.job_id = ctx.job_id
                    break
                why = self._why_waiting(need)
                if why == told:
                    self._cond.wait(timeout=30)  # woken when a worker frees up, starts or is undrained
                    continue
            ctx.set_stage(WAITING, why)  # outside the lock: it writes the store and publishes
            told = why
        if told is not None:
            ctx.set_stage("starting")
        return slot

    def _why_waiting(self, need: int | None) -> str:  # the caller holds the condition
        slots = list(self._slots.values())
        fitting = [s for s in slots if s.state is None or not need or s.state.budget_bytes >= need] or slots
        states = [
            f"{s.worker_id} ({s.state.device if s.state else s.device}) is "
            + ("starting" if s.state is None else "drained" if s.drained else "busy" if s.job_id else "updating")
            for s in fitting
        ]
        if all(s.drained for s in fitting):  # shown after the stage's label, "Waiting for worker"
            return f"{', '.join(states)}: resume one in Settings, GPU workers, to run this job"
        return f"none is free: {', '.join(states)}"

    def _dead_idle(self) -> list[tuple[_Slot, WorkerState]]:
        """Ready, idle workers that died since their last job (asked outside the lock: a Ray actor is pinged),
        so that no job is sent to one and charged an attempt for it."""
        with self._cond:
            idle = [(s, s.state) for s in self._slots.values() if s.free]
        return [(slot, state) for slot, state in idle if state is not None and not slot.link.alive()]

    def _relaunch_dead(self, dead: list[tuple[_Slot, WorkerState]]) -> None:  # the caller holds the condition
        for slot, state in dead:
            if slot.state is state and slot.free:  # not restarted or taken meanwhile
                log.warning("worker %s on %s died while idle; restarting it", slot.worker_id, slot.device)
                slot.state = None
                slot.restarts += 1
                threading.Thread(target=self._relaunch, args=(slot,), daemon=True).start()

    def _relaunch(self, slot: _Slot) -> None:
        slot.link.stop(timeout=1)
        self._start_worker(slot)

    def _release(self, slot: _Slot) -> None:
        with self._cond:
            slot.job_id = None
            self._cond.notify_all()

    def _forward_stop(self, slot: _Slot, job_id: str, shutdown: bool) -> None:
        if slot.job_id == job_id:
            with contextlib.suppress(WorkerLost):  # it died: the job's thread finds out and re-queues it
                slot.link.send(StopJob(job_id, shutdown))

    def _serve(self, slot: _Slot, job: Job, run: RunJob) -> JobDone:
        slot.link.send(run)
        while True:
            message = slot.link.receive()
            if isinstance(message, JobDone):
                with self._cond:
                    slot.state = message.state
                return message
            if isinstance(message, Publish):
                self.bus.publish(message.event)
            elif isinstance(message, SaveProgress):
                try:
                    self.store.set_progress(message.job_id, message.progress)
                except Exception as exc:  # progress is advisory (as in JobContext)
                    if not is_storage_error(exc):
                        raise
                    log.warning("job %s: progress not saved: %s", message.job_id, exc)
            elif isinstance(message, Ready):
                log.warning("worker %s restarted itself during job %s", slot.worker_id, job.id)
            else:
                slot.link.send(self._answer(message))

    def _answer(self, message: MergeResult | SaveCheckpoint | SaveImage | SaveFile | GetAssets) -> Answer:
        try:
            value: Any = None
            if isinstance(message, MergeResult):
                self.store.merge_result(message.job_id, message.result)
            elif isinstance(message, SaveCheckpoint):
                self.store.set_checkpoint(message.job_id, message.checkpoint)
            elif isinstance(message, SaveImage):
                value = self.assets.save_image(message.image, params=message.params, **message.fields)
            elif isinstance(message, SaveFile):
                data, known = message.data, message.known

                def write(path: Path) -> dict[str, Any] | None:
                    path.write_bytes(data)
                    return known

                value = self.assets.save_file(
                    message.kind, message.ext, message.mime, write, poster=message.poster, **message.fields
                )
            else:
                value = self.assets.repo.get_many(message.ids)
            return Answer(message.call_id, value)
        except Exception as exc:  # the job fails with this, as it would have in the studio's process
            log.exception("a worker's request failed")
            failure = explain(exc)
            return Answer(message.call_id, error=failure.message, detail=failure.detail)
