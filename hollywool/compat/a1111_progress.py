"""A1111's progress, interrupt and skip: as in A1111 they act on whatever is generating.

That is the running GPU-lane job from any source (the web UI, the OpenAI API, /sdapi); a job of an /sdapi request
is seen with the rest of its request's jobs (A1111's job_count and job_no), another source's with the image jobs
queued behind it. The live preview is the job system's own `job.preview` event, kept while the job runs.
"""

from __future__ import annotations

import base64
import contextlib
import io
import threading
from typing import Any

from PIL import Image

from hollywool.compat.a1111_params import png_b64
from hollywool.errors import StudioError
from hollywool.jobs.events import Event, JobEvent, JobPreview
from hollywool.jobs.kinds import GPU_LANE
from hollywool.jobs.models import Job, JobStatus
from hollywool.jobs.store import JobQuery
from hollywool.studio import Studio

_FINISHED_EVENTS = ("job.completed", "job.failed", "job.cancelled")


class A1111Progress:
    def __init__(self, studio: Studio):
        self.studio = studio
        self._lock = threading.Lock()
        self._batches: list[list[str]] = []  # the job ids of each /sdapi request while it runs
        self._previews: dict[str, str] = {}  # job id -> its latest live preview, while it runs
        studio.bus.add_listener(self._on_event)

    def track(self) -> list[str]:
        """A new /sdapi request's job-id list; `add` its jobs, `untrack` it once they are done."""
        batch: list[str] = []
        with self._lock:
            self._batches.append(batch)
        return batch

    def add(self, batch: list[str], job_id: str) -> None:
        with self._lock:
            batch.append(job_id)

    def untrack(self, batch: list[str]) -> None:
        with self._lock:
            self._batches = [b for b in self._batches if b is not batch]

    def _on_event(self, event: Event) -> None:  # on the publisher's thread: quick
        if isinstance(event, JobPreview):
            with self._lock:
                self._previews[event.job_id] = event.image
        elif isinstance(event, JobEvent) and event.type in _FINISHED_EVENTS:
            with self._lock:
                self._previews.pop(event.job_id, None)

    def _running_gpu_job(self) -> Job | None:
        running, _ = self.studio.jobs.list(JobQuery(status=[JobStatus.running], limit=100))
        return next((j for j in running if j.lane == GPU_LANE), None)

    def _queued_image_jobs(self) -> int:
        queued, _ = self.studio.jobs.list(JobQuery(status=[JobStatus.queued], kind="image", limit=1000))
        return sum(1 for j in queued if j.lane == GPU_LANE)

    def _current(self) -> tuple[list[Job], Job | None, bool]:
        """(the jobs progress speaks of, the running GPU job, whether they are an /sdapi request's)."""
        running = self._running_gpu_job()
        with self._lock:
            batches = [list(ids) for ids in self._batches]
        own = next((ids for ids in batches if running and running.id in ids), None)
        if own is None and running is None and batches:  # an /sdapi request queued or on another lane
            own = batches[0]
        if own is not None:
            return [self.studio.jobs.get(i) for i in own], running, True
        return ([running] if running else []), running, False

    def progress(self, skip_current_image: bool = False) -> dict[str, Any]:
        jobs, _, own = self._current()
        running = next((j for j in jobs if j.status == JobStatus.running), None)
        current = running or next((j for j in jobs if not j.status.finished), None)
        fractions = [1.0 if j.status.finished else j.fraction for j in jobs]
        progress = sum(fractions) / len(fractions) if fractions else 0.0
        eta = running.eta_seconds if running and running.eta_seconds is not None else None
        with self._lock:
            image = self._previews.get(current.id) if current else None
        state = {
            "skipped": False,
            "interrupted": any(j.cancel_requested or j.status == JobStatus.cancelled for j in jobs),
            "stopping_generation": False,
            "job": f"job {current.id}" if current else "",
            "job_count": len(jobs) + (0 if own else self._queued_image_jobs()),
            "job_timestamp": "0",
            "job_no": jobs.index(current) if current else 0,
            "sampling_step": current.step if current else 0,
            "sampling_steps": current.total_steps if current else 0,
        }
        return {
            "progress": round(progress, 4),
            "eta_relative": round(eta, 2) if eta is not None else 0.0,
            "state": state,
            "current_image": None if skip_current_image or not image else _png_from_data_url(image),
            "textinfo": current.message if current else None,
            "current_task": current.id if current else None,
        }

    def cancel(self, ids: list[str]) -> None:
        for job_id in ids:
            with contextlib.suppress(StudioError):  # finished meanwhile
                self.studio.jobs.cancel(job_id)

    def interrupt(self) -> None:
        """A1111's interrupt ends what is generating: an /sdapi request whole, another job (web UI, OpenAI API)."""
        jobs, running, own = self._current()
        ids = [j.id for j in jobs] if own else []
        self.cancel(ids + ([running.id] if running and running.id not in ids else []))

    def skip(self) -> None:
        """A1111's skip drops the image in progress: an /sdapi request's running job is cancelled and the rest
        run; another source's job has no next image to go on to, so skip is an interrupt."""
        jobs, running, own = self._current()
        if own:
            self.cancel([j.id for j in jobs if j.status == JobStatus.running][:1])
        elif running is not None:
            self.cancel([running.id])


def _png_from_data_url(url: str) -> str:
    data = base64.b64decode(url.split(",", 1)[1])
    with Image.open(io.BytesIO(data)) as img:
        return png_b64(img.convert("RGB"))
