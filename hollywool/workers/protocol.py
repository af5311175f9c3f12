"""The messages between the studio and a GPU worker, whatever carries them (a pipe to a local process,
Ray calls to an actor on another machine).

The studio sends a job; the worker runs it with a JobContext whose store, bus and asset calls come back
as messages, so the studio stays the one queue, store, event stream and asset writer. Calls whose answer
the job needs (saving an asset, looking up earlier assets) carry a `call_id` and get an `Answer`.
Everything here pickles: plain data, pydantic models and PIL images.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from PIL import Image

from hollywool.jobs.events import Event
from hollywool.jobs.models import Job
from hollywool.jobs.store import Progress
from hollywool.models.catalog import ModelEntry
from hollywool.storage.preferences import Preferences
from hollywool.workers.inputs import JobInputs
from hollywool.workers.node_files import UserModels


@dataclass(frozen=True)
class WorkerState:
    """A worker's device and what it holds, sent when it is ready, configured and after each job."""

    host: str
    device: str
    pid: int
    kinds: tuple[str, ...]  # the job kinds it can run; others run in the studio's process
    budget_bytes: int  # what loaded models may hold together on its device
    memory_kind: str = "cpu"  # cuda, unified, cpu
    memory_total_bytes: int = 0
    used_bytes: int = 0
    loaded: tuple[str, ...] = ()


# -- studio -> worker ------------------------------------------------------------------------------
@dataclass(frozen=True)
class RunJob:
    job: Job
    # The studio's catalogue entry of the job's model: a worker's own catalogue misses models added since it
    # started (a Civitai download, an edited config.yaml), and a worker on another machine may have none.
    entry: ModelEntry | None = None
    # What the job reads (its images, an upscale's source, the preferences): the worker needs no studio folder.
    inputs: JobInputs | None = None
    # The LoRAs, ControlNets and upscaler files the user added that it uses, as the studio resolves them.
    user_models: UserModels | None = None


@dataclass(frozen=True)
class Configure:
    """The user's preferences (memory budget, model folders), when the worker starts and when they change; it
    answers `Ready` with its state under them. Sent only while it runs no job."""

    preferences: Preferences


@dataclass(frozen=True)
class StopJob:
    """Cancel the running job (`shutdown`: the studio is stopping, so it goes back to the queue)."""

    job_id: str
    shutdown: bool = False


@dataclass(frozen=True)
class Answer:
    call_id: int
    value: Any = None
    error: str | None = None  # what the job's failure will say
    detail: str | None = None


@dataclass(frozen=True)
class Quit:
    pass


# -- worker -> studio ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Ready:
    state: WorkerState


@dataclass(frozen=True)
class Publish:
    event: Event


@dataclass(frozen=True)
class SaveProgress:
    job_id: str
    progress: Progress


@dataclass(frozen=True)
class MergeResult:
    call_id: int
    job_id: str
    result: dict[str, Any]


@dataclass(frozen=True)
class SaveCheckpoint:
    call_id: int
    job_id: str
    checkpoint: dict[str, Any]


@dataclass(frozen=True)
class SaveImage:
    call_id: int
    image: Image.Image
    params: dict[str, Any]
    fields: dict[str, Any]


@dataclass(frozen=True)
class SaveFile:
    """A file the job wrote on the worker (a video), with what its writer learned and its poster."""

    call_id: int
    kind: str
    ext: str
    mime: str
    data: bytes
    known: dict[str, Any] | None
    poster: Image.Image | None
    fields: dict[str, Any]


@dataclass(frozen=True)
class GetAssets:
    call_id: int
    ids: list[str]


Outcome = Literal["completed", "cancelled", "interrupted", "failed"]


@dataclass(frozen=True)
class JobDone:
    job_id: str
    outcome: Outcome
    state: WorkerState
    result: dict[str, Any] = field(default_factory=dict[str, Any])
    error: str | None = None  # a failure as the user reads it (explained on the worker, which sees the exception)
    detail: str | None = None


ToWorker = RunJob | Configure | StopJob | Answer | Quit
ToStudio = Ready | Publish | SaveProgress | MergeResult | SaveCheckpoint | SaveImage | SaveFile | GetAssets | JobDone
