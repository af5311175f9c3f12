"""The worker side: one device's model manager and the GPU job kinds, running jobs the studio sends.

`GpuWorker` does not know how messages travel: a local process (process.py) and a Ray actor
(ray_workers.py) both hand it a `Channel`. The job's context is a real JobContext whose store, bus and
asset saver are the proxies below, so progress, ETA, checkpoints and retries behave as in the studio.
"""

from __future__ import annotations

import logging
import os
import socket
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from PIL import Image
from pydantic import BaseModel

from hollywool.errors import StudioError
from hollywool.jobs.context import JobCancelled, JobContext, JobInterrupted
from hollywool.jobs.events import Event, EventBus
from hollywool.jobs.failures import explain
from hollywool.jobs.kinds import KindRegistry
from hollywool.jobs.models import Job
from hollywool.jobs.store import Progress
from hollywool.settings import Settings
from hollywool.storage.assets import Asset
from hollywool.storage.preferences import Preferences
from hollywool.workers.inputs import JobInputs, ShippedAssets, ShippedImages, ShippedInputs, ShippedPreferences
from hollywool.workers.node_files import check_on_node, use_on_node
from hollywool.workers.protocol import (
    Answer,
    GetAssets,
    JobDone,
    MergeResult,
    Publish,
    RunJob,
    SaveCheckpoint,
    SaveFile,
    SaveImage,
    SaveProgress,
    ToStudio,
    WorkerState,
)

log = logging.getLogger("hollywool.workers")


class Channel(Protocol):
    """How a worker reaches the studio while a job runs."""

    def send(self, message: ToStudio) -> None: ...
    def call(self, make: Callable[[int], ToStudio]) -> Any:
        """Send `make(call_id)` and wait for its Answer; a StudioError when the studio could not do it."""
        ...


class PendingCalls:
    """Calls waiting for their Answer, matched by id; the transport hands each Answer to `resolve`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next = 0
        self._waiting: dict[int, tuple[threading.Event, list[Answer]]] = {}

    def open(self) -> tuple[int, threading.Event, list[Answer]]:
        with self._lock:
            self._next += 1
            slot: tuple[threading.Event, list[Answer]] = (threading.Event(), [])
            self._waiting[self._next] = slot
            return self._next, *slot

    def resolve(self, answer: Answer) -> None:
        with self._lock:
            slot = self._waiting.pop(answer.call_id, None)
        if slot is not None:
            slot[1].append(answer)
            slot[0].set()

    @staticmethod
    def value(answer: Answer) -> Any:
        if answer.error is not None:
            raise StudioError(answer.error, detail=answer.detail)
        return answer.value


class _Store:
    def __init__(self, channel: Channel):
        self._channel = channel

    def set_progress(self, job_id: str, progress: Progress, /) -> None:
        self._channel.send(SaveProgress(job_id, progress))

    def merge_result(self, job_id: str, result: dict[str, Any], /) -> Job | None:
        return self._channel.call(lambda i: MergeResult(i, job_id, result))

    def set_checkpoint(self, job_id: str, checkpoint: dict[str, Any], /) -> None:
        self._channel.call(lambda i: SaveCheckpoint(i, job_id, checkpoint))


class _Bus:
    def __init__(self, channel: Channel):
        self._channel = channel

    def publish(self, event: Event, /) -> None:
        self._channel.send(Publish(event))


class _Assets:
    """Saves go to the studio (the one asset writer); a file is written here first, then sent as bytes."""

    def __init__(self, channel: Channel, scratch: Path):
        self._channel = channel
        self._scratch = scratch

    @property
    def repo(self) -> _Assets:
        return self

    def get_many(self, ids: list[str], /) -> list[Asset]:
        return self._channel.call(lambda i: GetAssets(i, list(ids)))

    def save_image(self, image: Image.Image, *, params: dict[str, Any], **fields: Any) -> Asset:
        return self._channel.call(lambda i: SaveImage(i, image, params, fields))

    def save_file(
        self, kind: str, ext: str, mime: str, write: Callable[[Path], dict[str, Any] | None], **fields: Any
    ) -> Asset:
        params = fields.pop("params")
        poster = fields.pop("poster", None)
        self._scratch.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self._scratch) as folder:
            path = Path(folder) / f"out.{ext}"
            known = write(path)
            data = path.read_bytes()
        picture: Image.Image | None = poster() if callable(poster) else poster  # pyright: ignore[reportAssignmentType]
        return self._channel.call(
            lambda i: SaveFile(i, kind, ext, mime, data, known, picture, {**fields, "params": params})
        )


class GpuWorker:
    """One device: its own model manager and cache, and the GPU job kinds bound to them."""

    def __init__(self, settings: Settings, device: str, host: str | None = None):
        from hollywool.engines.image.image_job import ImageJob
        from hollywool.engines.prompts.wildcards import Wildcards
        from hollywool.engines.upscale.engine import UpscaleEngine
        from hollywool.engines.video.engine import VideoEngine
        from hollywool.models.manager import ModelManager

        self.settings = settings
        self.device = device
        self.host = host or socket.gethostname()
        # No database and no studio folders: a job's images, source asset and the preferences come with it.
        self.inputs = ShippedInputs(settings.data_dir / "inputs")
        assets = ShippedAssets(self.inputs)
        self.bus = EventBus()
        self.bus.add_listener(self._forward)  # model loaded / unloaded, as the studio's own manager says it
        self.models = ModelManager(settings, self.bus, ShippedPreferences(self.inputs))
        references = ShippedImages(self.inputs, assets)
        wildcards = Wildcards(settings.wildcard_folder)
        self.kinds = KindRegistry()
        ImageJob(self.models, references, wildcards).register(self.kinds)
        VideoEngine(self.models, assets, references, wildcards).register(self.kinds)
        UpscaleEngine(self.models.upscalers, assets).register(self.kinds)
        self._lock = threading.Lock()
        self._running: dict[str, JobContext] = {}
        self._channel: Channel | None = None

    def state(self) -> WorkerState:
        memory = self.models.device_memory()  # its own device (NVML would see the machine's first GPU)
        return WorkerState(
            host=self.host,
            device=self.device,
            pid=os.getpid(),
            kinds=tuple(self.kinds.names()),
            budget_bytes=self.models.memory_budget(),
            memory_kind=memory.kind,
            memory_total_bytes=memory.total_bytes,
            used_bytes=self.models.cache.used_bytes(),
            loaded=tuple(self.models.loaded_models()),
        )

    def configure(self, preferences: Preferences) -> WorkerState:
        """The user's preferences from now on (its memory budget follows them); its state under them."""
        self.inputs.set_preferences(preferences)
        return self.state()

    def _forward(self, event: Event) -> None:
        channel = self._channel
        if channel is not None:
            channel.send(Publish(event))

    def stop(self, job_id: str, shutdown: bool) -> None:
        with self._lock:
            ctx = self._running.get(job_id)
        if ctx is not None:
            ctx.request_shutdown() if shutdown else ctx.request_cancel()

    def run(self, message: RunJob, channel: Channel) -> JobDone:
        """Run the job here, in this thread, reporting through `channel`; never raises. The message brings its
        model's and user-added files' entries, as the studio's catalogue has them, and the files it reads."""
        try:
            return self._run(message, channel)
        finally:
            self.inputs.release(message.job.id)

    def _run(self, message: RunJob, channel: Channel) -> JobDone:
        job, entry = message.job, message.entry
        try:
            self.inputs.hold(job.id, message.inputs or JobInputs())
            if entry is not None:
                check_on_node(entry, self.host, self.device)
                self.models.catalog.register(entry)
            if message.user_models is not None:
                use_on_node(message.user_models, self.models, self.host, self.device)
            kind = self.kinds.get(job.kind)
            params = kind.params.model_validate(job.params)
            work_dir = self.settings.data_dir / "jobs" / job.id
            ctx = JobContext(
                job,
                params,
                store=_Store(channel),
                bus=_Bus(channel),
                assets=_Assets(channel, work_dir),
                work_dir=work_dir,
                models=self.models,
            )
        except Exception as exc:
            failure = explain(exc)
            return JobDone(job.id, "failed", self.state(), error=failure.message, detail=failure.detail)
        with self._lock:
            self._running[job.id] = ctx
            self._channel = channel
        try:
            ctx.raise_if_cancelled()
            returned = kind.run(ctx, params)
            result = returned.model_dump(mode="json") if isinstance(returned, BaseModel) else returned or {}
            return JobDone(job.id, "completed", self.state(), result=result)
        except JobInterrupted:
            return JobDone(job.id, "interrupted", self.state())
        except JobCancelled:
            return JobDone(job.id, "cancelled", self.state())
        except Exception as exc:  # explained here, where the exception's classes (torch's OOM) are known
            if not isinstance(exc, StudioError):
                log.exception("job %s (%s) failed", job.id, job.kind)
            failure = explain(exc)
            return JobDone(job.id, "failed", self.state(), error=failure.message, detail=failure.detail)
        finally:
            with self._lock:
                self._running.pop(job.id, None)
                self._channel = None
