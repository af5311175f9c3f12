"""Typed events and the one bus that the websocket and the SSE stream both read from.

Publishers may be any thread (job runners publish from worker threads); each subscriber receives
events on its own asyncio loop through a bounded queue. A subscriber too slow to keep up is told
to resynchronise from REST (`stream.overflow`) rather than holding memory without bound.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Literal

from pydantic import BaseModel, Field

from hollywool.jobs.models import JobView


# Events are immutable facts (frozen): one instance goes to every subscriber, and each subclass
# narrows `type` to its own literal, which a type checker allows only for read-only fields.
class Event(BaseModel, frozen=True):
    type: str
    ts: float = Field(default_factory=time.time)


JobEventType = Literal["job.queued", "job.started", "job.completed", "job.failed", "job.cancelled", "job.updated"]


class JobEvent(Event, frozen=True):
    """A change of a job's state; `job` is the job as `GET /api/jobs/{id}` shows it."""

    type: JobEventType
    job_id: str
    job: JobView


class JobProgress(Event, frozen=True):
    type: Literal["job.progress"] = "job.progress"
    job_id: str
    kind: str
    stage: str
    stage_label: str
    step: int
    total_steps: int
    progress: float = Field(description="0 to 100")
    eta_seconds: float | None = None
    message: str | None = None


class JobPreview(Event, frozen=True):
    type: Literal["job.preview"] = "job.preview"
    job_id: str
    step: int
    image: str = Field(description="a data: URL (JPEG)")


class DownloadProgress(Event, frozen=True):
    type: Literal["download.progress"] = "download.progress"
    download_id: str
    job_id: str | None = None
    model_id: str | None = Field(None, description="the catalogue model being downloaded, when there is one")
    filename: str | None = None
    downloaded_bytes: int
    total_bytes: int | None = None
    speed_bps: float | None = None
    eta_seconds: float | None = None


class ModelLoaded(Event, frozen=True):
    type: Literal["model.loaded"] = "model.loaded"
    model_id: str
    device: str
    seconds: float


class ModelUnloaded(Event, frozen=True):
    type: Literal["model.unloaded"] = "model.unloaded"
    model_id: str
    reason: str


class StreamOverflow(Event, frozen=True):
    type: Literal["stream.overflow"] = "stream.overflow"


AnyEvent = JobEvent | JobProgress | JobPreview | DownloadProgress | ModelLoaded | ModelUnloaded | StreamOverflow


class Subscription:
    def __init__(self, bus: EventBus, loop: asyncio.AbstractEventLoop, maxsize: int):
        self._bus = bus
        self._loop = loop
        self.queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=maxsize)
        self._overflowed = False

    def post(self, event: Event) -> None:
        """Hand `event` to the subscriber's loop from any thread; RuntimeError once that loop is closed."""
        self._loop.call_soon_threadsafe(self._deliver, event)

    def _deliver(self, event: Event) -> None:  # runs on the subscriber's loop
        if self.queue.full():
            if not self._overflowed:
                self._overflowed = True
                self.queue.get_nowait()
                self.queue.put_nowait(StreamOverflow())
            return
        self._overflowed = False
        self.queue.put_nowait(event)

    async def get(self) -> Event:
        return await self.queue.get()

    def close(self) -> None:
        self._bus.unsubscribe(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class EventBus:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscriptions: set[Subscription] = set()
        self._listeners: list[Callable[[Event], None]] = []

    def subscribe(self, maxsize: int = 1000) -> Subscription:
        """Subscribe from inside a running asyncio loop."""
        sub = Subscription(self, asyncio.get_running_loop(), maxsize)
        with self._lock:
            self._subscriptions.add(sub)
        return sub

    def add_listener(self, listener: Callable[[Event], None]) -> None:
        """A synchronous listener, called on the publisher's thread; it must be quick."""
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[Event], None]) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subscriptions.discard(sub)

    def publish(self, event: Event) -> None:
        with self._lock:
            subs = list(self._subscriptions)
            listeners = list(self._listeners)
        for listener in listeners:
            listener(event)
        for sub in subs:
            try:
                sub.post(event)
            except RuntimeError:  # that loop is closed: the subscriber is gone
                self.unsubscribe(sub)
