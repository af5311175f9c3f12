"""The job service: what routers and the CLI call to submit and steer jobs."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from typing import Any, TypeGuard

from pydantic import BaseModel, ValidationError

from hollywool.errors import ConflictError, InvalidInputError, NotFoundError
from hollywool.jobs.events import Event, EventBus, JobEvent, JobEventType
from hollywool.jobs.kinds import KindRegistry
from hollywool.jobs.models import Job, JobPage, JobStatus, JobView, MediaRef, stage_label
from hollywool.jobs.scheduler import Scheduler
from hollywool.jobs.store import JobQuery, JobStore, NewJob
from hollywool.storage.assets import Asset, AssetRepository


def _media_ref(asset: Asset) -> MediaRef:
    return MediaRef(
        id=asset.id,
        url=asset.url,
        kind=asset.kind,
        seed=asset.seed,
        width=asset.width,
        height=asset.height,
        thumbnail_url=asset.thumbnail_url,
        duration=asset.duration,
        fps=asset.fps,
        num_frames=asset.frame_count,
        has_audio=asset.has_audio,
    )


def _is_object(value: object) -> TypeGuard[dict[str, Any]]:
    return isinstance(value, dict)


def _reference_asset_ids(job: Job) -> list[str]:
    refs: list[Any] = job.params.get("reference_images") or []
    return [r["image_asset_id"] for r in refs if _is_object(r) and r.get("image_asset_id")]


class JobViews:
    """Shapes a stored job as the API shows it: progress in percent, with its images and videos."""

    def __init__(self, assets: AssetRepository, kinds: KindRegistry, store: JobStore):
        self.assets = assets
        self.kinds = kinds
        self.store = store

    def one(self, job: Job) -> JobView:
        return self.many([job])[0]

    def many(self, jobs: Sequence[Job]) -> list[JobView]:
        all_ids = [aid for job in jobs for aid in (*job.asset_ids, *_reference_asset_ids(job))]
        by_id = {a.id: a for a in self.assets.get_many(all_ids)}
        positions = self.store.queue_positions([job.id for job in jobs if job.status == "queued"])
        out: list[JobView] = []
        for job in jobs:
            media = [_media_ref(by_id[a]) for a in job.asset_ids if a in by_id]
            # JobView repeats the stored job's fields (all but the executor's private checkpoint).
            view = JobView.model_validate(
                {
                    **job.model_dump(exclude={"checkpoint"}),
                    "job_id": job.id,
                    "kind_label": self.kinds.label(job.kind),
                    "title": self.kinds.title(job.kind, job.params or {}),
                    "stage_label": stage_label(job.stage),
                    "queue_position": positions.get(job.id),
                    "progress": round(job.fraction * 100, 2),
                    "images": [m for m in media if m.kind == "image"],
                    "videos": [m for m in media if m.kind == "video"],
                    "source_image_urls": [by_id[a].url for a in _reference_asset_ids(job) if a in by_id],
                }
            )
            out.append(view)
        return out


class JobService:
    def __init__(
        self,
        store: JobStore,
        kinds: KindRegistry,
        scheduler: Scheduler,
        bus: EventBus,
        views: JobViews,
    ):
        self.store = store
        self.kinds = kinds
        self.scheduler = scheduler
        self.bus = bus
        self.views = views

    def validate(self, kind_name: str, params: BaseModel | dict[str, Any]) -> BaseModel:
        kind = self.kinds.get(kind_name)
        try:
            model = kind.params.model_validate(params if isinstance(params, dict) else params.model_dump())
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            raise InvalidInputError(f"{field}: {first['msg']}", field=field, detail=exc.errors()) from None
        if kind.check:
            model = kind.check(model) or model
        return model

    def submit(
        self,
        kind_name: str,
        params: BaseModel | dict[str, Any],
        *,
        session_id: str | None = None,
        parent_id: str | None = None,
        priority: int = 0,
    ) -> Job:
        return self.submit_many(kind_name, [params], session_id=session_id, parent_id=parent_id, priority=priority)[0]

    def submit_many(
        self,
        kind_name: str,
        params_list: Sequence[BaseModel | dict[str, Any]],
        *,
        session_id: str | None = None,
        parent_id: str | None = None,
        priority: int = 0,
    ) -> list[Job]:
        jobs = self.store.create(
            self._new_jobs(kind_name, params_list, session_id=session_id, parent_id=parent_id, priority=priority)
        )
        for job in jobs:
            self._publish("job.queued", job)
        self.scheduler.wake()
        return jobs

    def submit_with_children(
        self,
        kind_name: str,
        params: BaseModel | dict[str, Any],
        child_kind: str,
        children: Sequence[BaseModel | dict[str, Any]],
        *,
        session_id: str | None = None,
        priority: int = 0,
    ) -> tuple[Job, list[Job]]:
        """A parent job and its children, validated, then inserted in one transaction."""
        (parent,) = self._new_jobs(kind_name, [params], session_id=session_id, parent_id=None, priority=priority)
        kids = self._new_jobs(child_kind, children, session_id=session_id, parent_id=None, priority=priority)
        job, jobs = self.store.create_with_children(parent, kids)
        for created in (job, *jobs):
            self._publish("job.queued", created)
        self.scheduler.wake()
        return job, jobs

    def _new_jobs(
        self,
        kind_name: str,
        params_list: Sequence[BaseModel | dict[str, Any]],
        *,
        session_id: str | None,
        parent_id: str | None,
        priority: int,
    ) -> list[NewJob]:
        kind = self.kinds.get(kind_name)
        models = [self.validate(kind_name, p) for p in params_list]
        lanes = [kind.lane(m) for m in models]
        for lane in lanes:
            if not self.scheduler.has_lane(lane):
                raise InvalidInputError(f"no worker lane {lane!r} is configured for kind {kind_name}")
        return [
            NewJob(
                kind=kind_name,
                lane=lane,
                params=m.model_dump(mode="json"),
                priority=priority,
                session_id=session_id,
                parent_id=parent_id,
            )
            for m, lane in zip(models, lanes, strict=True)
        ]

    def get(self, job_id: str) -> Job:
        job = self.store.get(job_id)
        if job is None:
            raise NotFoundError(f"job {job_id} not found")
        return job

    def list(self, query: JobQuery) -> tuple[list[Job], int]:
        return self.store.list(query)

    def page(self, query: JobQuery) -> JobPage:
        """The jobs `query` selects, as the API shows them, with the total it matches."""
        jobs, total = self.store.list(query)
        return JobPage(items=self.views.many(jobs), total=total, limit=query.limit, offset=query.offset)

    def wait(self, job_id: str, timeout: float) -> Job:
        """Block until the job finishes or `timeout` seconds pass; returns its latest state."""
        import threading

        done = threading.Event()

        def listener(event: Event) -> None:
            if isinstance(event, JobEvent) and event.job_id == job_id and event.type != "job.queued":
                done.set()

        self.bus.add_listener(listener)
        try:
            deadline = time.monotonic() + timeout
            while not (job := self.get(job_id)).status.finished:
                left = deadline - time.monotonic()
                if left <= 0:
                    return job
                done.wait(min(left, 1.0))
                done.clear()
            return job
        finally:
            self.bus.remove_listener(listener)

    async def wait_async(self, job_id: str, timeout: float) -> Job:
        """`wait` for the event loop: holds no thread while the job runs (the bus wakes it)."""
        loop = asyncio.get_running_loop()
        changed = asyncio.Event()

        def listener(event: Event) -> None:  # runs on the publisher's thread
            if isinstance(event, JobEvent) and event.job_id == job_id and event.type != "job.queued":
                with contextlib.suppress(RuntimeError):  # the waiting loop has closed
                    loop.call_soon_threadsafe(changed.set)

        self.bus.add_listener(listener)
        try:
            deadline = loop.time() + timeout
            while not (job := await asyncio.to_thread(self.get, job_id)).status.finished:
                left = deadline - loop.time()
                if left <= 0:
                    return job
                with contextlib.suppress(TimeoutError):  # a missed event: read the job again
                    await asyncio.wait_for(changed.wait(), min(left, 5.0))
                changed.clear()
            return job
        finally:
            self.bus.remove_listener(listener)

    def cancel(self, job_id: str) -> Job:
        """Cancel a queued or running job and its active children.

        The job itself must be active (409 otherwise). Its children may finish while they are being
        cancelled: those are skipped, never an error."""
        job = self.get(job_id)
        if job.status.finished:
            raise ConflictError(f"job {job_id} is already {job.status}; only queued or running jobs can be cancelled")
        updated = self._cancel_one(job_id)
        if updated is None:  # it finished between the two reads
            raise ConflictError(f"job {job_id} finished before it could be cancelled")
        self._cancel_children(job_id)
        return updated

    def cancel_tree(self, job_id: str) -> Job:
        """Cancel a job if it is still active, and every active child of it (a batch whose parent
        already ended may have retried children running). Never a conflict."""
        job = self.get(job_id)
        updated = self._cancel_one(job_id) if not job.status.finished else None
        self._cancel_children(job_id)
        return updated or self.get(job_id)

    def _cancel_one(self, job_id: str) -> Job | None:
        """Guarded: cancels a queued job, flags a running one; None when it had already finished."""
        updated = self.store.request_cancel(job_id)
        if updated is None:
            return None
        if updated.status == JobStatus.cancelled:
            self._publish("job.cancelled", updated)
        else:
            self.scheduler.signal_cancel(job_id)  # its next step boundary stops it
        return updated

    def _cancel_children(self, parent_id: str) -> None:
        active = [JobStatus.queued, JobStatus.running]
        children, _ = self.store.list(JobQuery(parent_id=parent_id, status=active, limit=100_000))
        for child in children:
            if self._cancel_one(child.id) is not None:  # None: it finished meanwhile
                self._cancel_children(child.id)

    def retry(self, job_id: str) -> Job:
        job = self.get(job_id)
        if job.status not in (JobStatus.failed, JobStatus.cancelled):
            raise ConflictError(f"job {job_id} is {job.status}; only failed or cancelled jobs can be retried")
        updated = self.store.retry(job_id)
        if updated is None:
            raise ConflictError(f"job {job_id} changed state; try again")
        self._publish("job.queued", updated)
        self.scheduler.wake()
        return updated

    def move_to_front(self, job_id: str) -> Job:
        job = self.get(job_id)
        if job.status != JobStatus.queued:
            raise ConflictError(f"job {job_id} is {job.status}; only queued jobs can be moved")
        updated = self.store.move_to_front(job_id)
        if updated is None:
            raise ConflictError(f"job {job_id} left the queue; try again")
        self._publish("job.updated", updated)
        return updated

    def _publish(self, event_type: JobEventType, job: Job) -> None:
        self.bus.publish(JobEvent(type=event_type, job_id=job.id, job=self.views.one(job)))
