"""What job code may touch: progress, previews, assets, checkpoints and the cancel flag.

Engines receive a JobContext and nothing else of the app, so they can run in a worker thread here
or in another process without knowing about HTTP, the database or the event transport: the context
reaches the store, the bus and the asset files through the three narrow interfaces below, which a
worker process implements by sending messages to the studio (hollywool/workers/).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from PIL import Image
from pydantic import BaseModel

from hollywool.jobs.events import Event, JobPreview, JobProgress
from hollywool.jobs.faults import is_storage_error
from hollywool.jobs.models import Job, stage_label
from hollywool.jobs.store import Progress
from hollywool.media.assets import preview_data_url
from hollywool.storage.assets import Asset

if TYPE_CHECKING:
    from hollywool.models.manager import ModelManager

log = logging.getLogger("hollywool.jobs")

# Progress is published on every step but written to the database at most this often.
_PERSIST_EVERY_S = 0.5


class ProgressStore(Protocol):
    """What a running job writes to its own row."""

    def set_progress(self, job_id: str, progress: Progress, /) -> None: ...
    def merge_result(self, job_id: str, result: dict[str, Any], /) -> Job | None: ...
    def set_checkpoint(self, job_id: str, checkpoint: dict[str, Any], /) -> None: ...


class Publisher(Protocol):
    def publish(self, event: Event, /) -> None: ...


class AssetLookup(Protocol):
    def get_many(self, ids: list[str], /) -> list[Asset]: ...


class AssetSaver(Protocol):
    """Where a job's images and files are saved (and earlier attempts' assets looked up)."""

    @property
    def repo(self) -> AssetLookup: ...
    def save_image(self, image: Image.Image, *, params: dict[str, Any], **fields: Any) -> Asset: ...
    def save_file(
        self, kind: str, ext: str, mime: str, write: Callable[[Path], dict[str, Any] | None], **fields: Any
    ) -> Asset: ...


class JobCancelled(Exception):
    """Raised inside a job (typically from a step callback) to stop it at once."""


class JobInterrupted(Exception):
    """Raised inside a job when the studio shuts down; the job is queued again."""


class JobContext:
    def __init__(
        self,
        job: Job,
        params: BaseModel,
        *,
        store: ProgressStore,
        bus: Publisher,
        assets: AssetSaver,
        work_dir: Path,
        models: ModelManager | None = None,
    ):
        self.job = job
        self._models = models
        self.params = params
        self._store = store
        self._bus = bus
        self._assets = assets
        self.work_dir = work_dir  # scratch space for this job that survives a restart
        self._cancel = threading.Event()
        self._shutdown = threading.Event()
        self._stop_listeners: list[Callable[[bool], None]] = []
        self._stage = job.stage
        self._stage_started = time.monotonic()
        self._first_step: tuple[int, float] | None = None
        self._last_persist = 0.0
        self._asset_ids: list[str] = list(job.result.get("asset_ids", []))
        self.checkpoint: dict[str, Any] = dict(job.checkpoint)

    # -- models ------------------------------------------------------------------------------
    @property
    def models(self) -> ModelManager:
        """The model manager: the only way job code reaches a model (loading, cache, LoRAs, memory)."""
        if self._models is None:
            raise RuntimeError("this job runs without a model manager")
        return self._models

    # -- identity ----------------------------------------------------------------------------
    @property
    def job_id(self) -> str:
        return self.job.id

    @property
    def attempt(self) -> int:
        return self.job.attempts

    # -- cancellation ------------------------------------------------------------------------
    def request_cancel(self) -> None:
        self._cancel.set()
        self._tell_listeners(shutdown=False)

    def request_shutdown(self) -> None:
        self._shutdown.set()
        self._tell_listeners(shutdown=True)

    def on_stop(self, listener: Callable[[bool], None]) -> None:
        """Call `listener(shutdown)` when a cancel or a shutdown is asked for (at once if one already was):
        a job running elsewhere (a worker process) forwards it there."""
        self._stop_listeners.append(listener)
        if self._shutdown.is_set() or self._cancel.is_set():
            listener(self._shutdown.is_set())

    def _tell_listeners(self, *, shutdown: bool) -> None:
        for listener in list(self._stop_listeners):
            try:
                listener(shutdown)
            except Exception:  # a worker gone meanwhile: its loss is handled where the job runs
                log.exception("job %s: could not forward the stop", self.job_id)

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set() or self._shutdown.is_set()

    def raise_if_cancelled(self) -> None:
        if self._shutdown.is_set():
            raise JobInterrupted("the studio is shutting down")
        if self._cancel.is_set():
            raise JobCancelled("cancelled")

    # -- progress ----------------------------------------------------------------------------
    def set_stage(
        self, stage: str, message: str | None = None, *, total_steps: int = 0, fraction: float | None = None
    ) -> None:
        self._stage = stage
        self._stage_started = time.monotonic()
        self._first_step = None
        self._report(0, total_steps, fraction if fraction is not None else 0.0, None, message, force=True)

    def progress(
        self,
        step: int,
        total: int,
        *,
        fraction: float | None = None,
        message: str | None = None,
    ) -> None:
        """Report step `step` of `total` in the current stage; the ETA comes from observed step times."""
        t = time.monotonic()
        eta: float | None = None
        if self._first_step is None or step <= self._first_step[0]:
            self._first_step = (step, t)
        else:
            first_step, first_t = self._first_step
            per_step = (t - first_t) / (step - first_step)
            eta = per_step * max(total - step, 0)
        frac = fraction if fraction is not None else (step / total if total else 0.0)
        self._report(step, total, frac, eta, message, force=step >= total)

    def _report(
        self, step: int, total: int, fraction: float, eta: float | None, message: str | None, *, force: bool
    ) -> None:
        fraction = min(max(fraction, 0.0), 1.0)
        progress = Progress(self._stage, step, total, fraction, eta, message)
        t = time.monotonic()
        if force or t - self._last_persist >= _PERSIST_EVERY_S:
            self._last_persist = t
            try:
                self._store.set_progress(self.job_id, progress)
            except Exception as exc:  # progress is advisory: a storage fault must not fail the job
                if not is_storage_error(exc):
                    raise
                log.warning("job %s: progress not saved: %s", self.job_id, exc)
        self._bus.publish(
            JobProgress(
                job_id=self.job_id,
                kind=self.job.kind,
                stage=self._stage,
                stage_label=stage_label(self._stage),
                step=step,
                total_steps=total,
                progress=round(fraction * 100, 2),
                eta_seconds=None if eta is None else round(eta, 2),
                message=message,
            )
        )

    def preview(self, image: Image.Image, step: int) -> None:
        self._bus.publish(JobPreview(job_id=self.job_id, step=step, image=preview_data_url(image)))

    def publish(self, event: Event) -> None:
        self._bus.publish(event)

    # -- results -----------------------------------------------------------------------------
    def _record_asset(self, asset: Asset) -> Asset:
        self._asset_ids.append(asset.id)
        self._store.merge_result(self.job_id, {"asset_ids": self._asset_ids})
        return asset

    def save_image(self, image: Image.Image, *, params: dict[str, Any], **fields: Any) -> Asset:
        fields.setdefault("session_id", self.job.session_id)
        return self._record_asset(self._assets.save_image(image, params=params, job_id=self.job_id, **fields))

    def save_file(
        self, kind: str, ext: str, mime: str, write: Callable[[Path], dict[str, Any] | None], **fields: Any
    ) -> Asset:
        fields.setdefault("session_id", self.job.session_id)
        return self._record_asset(self._assets.save_file(kind, ext, mime, write, job_id=self.job_id, **fields))

    @property
    def asset_ids(self) -> list[str]:
        return list(self._asset_ids)

    def saved_assets(self) -> list[Asset]:
        """What earlier attempts of this job saved and still exists, in order: a retry (or a restart)
        continues from these instead of saving them again. Ids of assets deleted since are dropped."""
        found = {a.id: a for a in self._assets.repo.get_many(self._asset_ids)}
        kept = [i for i in self._asset_ids if i in found]
        if kept != self._asset_ids:
            self._asset_ids = kept
            self._store.merge_result(self.job_id, {"asset_ids": kept})
        return [found[i] for i in kept]

    def save_checkpoint(self, **values: Any) -> None:
        """Persist handler state (e.g. the path of saved latents) so a restart can resume from it."""
        self.checkpoint.update(values)
        self._store.set_checkpoint(self.job_id, self.checkpoint)
