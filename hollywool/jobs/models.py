"""The job record and its states, shared by the store, the scheduler and the API."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, computed_field


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    completed = "completed"
    failed = "failed"
    cancelled = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobStatus.completed, JobStatus.failed, JobStatus.cancelled)


ACTIVE_STATUSES = (JobStatus.queued, JobStatus.running)


class RanOn(BaseModel):
    """Where a job ran: the machine, the device and the worker (the last attempt's)."""

    host: str
    device: str
    worker_id: str


class Job(BaseModel):
    """One unit of work, as stored. `params` is the kind's validated parameter model, dumped."""

    id: str
    kind: str
    lane: str
    status: JobStatus
    priority: int = 0
    params: dict[str, Any]
    stage: str = "queued"
    step: int = 0
    total_steps: int = 0
    fraction: float = Field(0.0, description="progress from 0 to 1")
    eta_seconds: float | None = None
    message: str | None = None
    error: str | None = None
    error_detail: str | None = None
    result: dict[str, Any] = Field(default_factory=dict)
    checkpoint: dict[str, Any] = Field(default_factory=dict)
    session_id: str | None = None
    parent_id: str | None = None
    attempts: int = 0
    cancel_requested: bool = False
    ran_on: RanOn | None = None
    created_at: float
    started_at: float | None = None
    finished_at: float | None = None
    updated_at: float

    @property
    def asset_ids(self) -> list[str]:
        return list(self.result.get("asset_ids", []))


class MediaRef(BaseModel):
    id: str
    url: str
    kind: str
    seed: int | None = None
    width: int | None = None
    height: int | None = None
    thumbnail_url: str | None = None
    duration: float | None = None
    fps: float | None = None
    num_frames: int | None = None
    has_audio: bool = False

    @computed_field  # the seed's ImageResult / VideoResult name the file
    @property
    def filename(self) -> str:
        return self.url.rsplit("/", 1)[-1]


def stage_label(stage: str) -> str:
    """A stage id as a person reads it: waiting_for_server -> 'Waiting for server'."""
    return stage.replace("_", " ").capitalize()


class JobKindInfo(BaseModel):
    name: str
    label: str


class JobView(BaseModel):
    """A job as the API and the live events show it."""

    id: str
    job_id: str
    kind: str
    kind_label: str = Field(description="the kind as a person says it: Image, Civitai download")
    title: str = Field(description="what the job is, in a line: its prompt, workflow, model or file")
    lane: str
    status: JobStatus
    queue_position: int | None = Field(
        default=None, description="a queued job's place in its lane: 1 runs next; none once it runs"
    )
    priority: int
    params: dict[str, Any]
    stage: str
    stage_label: str = Field(description="the stage as a person reads it: 'Waiting for server'")
    step: int
    total_steps: int
    fraction: float
    progress: float = Field(description="0 to 100")
    eta_seconds: float | None = None
    message: str | None = None
    error: str | None = Field(default=None, description="why the job failed, and what to do: a sentence to show")
    error_detail: str | None = Field(default=None, description="the raw error behind `error`, for the job's detail")
    result: dict[str, Any] = Field(default_factory=dict)
    session_id: str | None = None
    parent_id: str | None = None
    attempts: int
    cancel_requested: bool
    ran_on: RanOn | None = Field(default=None, description="where the job ran, once a worker took it")
    created_at: float
    started_at: float | None = None
    finished_at: float | None = None
    updated_at: float
    images: list[MediaRef] = Field(default_factory=list[MediaRef])
    videos: list[MediaRef] = Field(default_factory=list[MediaRef])
    source_image_urls: list[str] = Field(default_factory=list, description="URLs of the reference images used")

    # The seed's names for the same facts (shared/notes/seed-api.md, "Job records"): clients written
    # for the seed read these. They are derived, never stored.
    def _param(self, name: str) -> Any:
        return (self.params or {}).get(name)  # a ComfyUI job's view leaves `params` out

    @computed_field
    @property
    def prompt(self) -> str | None:
        return self._param("prompt")

    @computed_field
    @property
    def model(self) -> str | None:
        return self._param("model")

    @computed_field
    @property
    def width(self) -> int | None:
        return self._param("width")

    @computed_field
    @property
    def height(self) -> int | None:
        return self._param("height")

    @computed_field
    @property
    def steps(self) -> int | None:
        return self._param("steps")

    @computed_field
    @property
    def guidance_scale(self) -> float | None:
        return self._param("guidance_scale")

    @computed_field
    @property
    def num_images(self) -> int | None:
        return self._param("num_images")

    @computed_field
    @property
    def strength(self) -> float | None:
        return self._param("strength") if self._param("reference_images") else None

    @computed_field
    @property
    def batch_id(self) -> str:
        return self._param("batch_id") or self.id

    @computed_field
    @property
    def total_images(self) -> int:
        return self._param("num_images") or len(self.images)

    @computed_field
    @property
    def current_image(self) -> int:
        done = len(self.images)
        return min(done + 1, self.total_images) if self.status == JobStatus.running else done

    @computed_field
    @property
    def num_frames(self) -> int | None:
        return self._param("num_frames") or (self.videos[0].num_frames if self.videos else None)

    @computed_field
    @property
    def fps(self) -> float | None:
        return self._param("fps") or (self.videos[0].fps if self.videos else None)

    @computed_field
    @property
    def current_frame(self) -> int:
        return self.step

    @computed_field
    @property
    def total_frames(self) -> int:
        return self.total_steps

    @computed_field
    @property
    def video(self) -> MediaRef | None:
        return self.videos[0] if self.videos else None

    @computed_field
    @property
    def load_progress(self) -> float:
        return 100.0 if self.stage not in ("queued", "loading", "loading_model", "downloading") else 0.0

    @computed_field
    @property
    def download_progress(self) -> float | None:
        return self.progress if self.stage == "downloading" else None

    @computed_field
    @property
    def download_total_mb(self) -> float | None:
        return None

    @computed_field
    @property
    def download_speed_mbps(self) -> float | None:
        return None

    @computed_field
    @property
    def completed_at(self) -> float | None:
        return self.finished_at

    @computed_field
    @property
    def source_video_id(self) -> str | None:
        return self._param("video_asset_id") or (self._param("asset_id") if self.kind == "upscale" else None)

    @computed_field
    @property
    def scale_factor(self) -> int | None:
        return self._param("scale") if self.kind == "upscale" else None

    @computed_field
    @property
    def target_width(self) -> int | None:
        return self.videos[0].width if self.kind == "upscale" and self.videos else None

    @computed_field
    @property
    def target_height(self) -> int | None:
        return self.videos[0].height if self.kind == "upscale" and self.videos else None


class QueueHealth(BaseModel):
    """Whether the queue can dispatch and record jobs (`GET /api/health`'s `queue`)."""

    ok: bool = Field(description="false while jobs cannot be dispatched or recorded (e.g. the data disk is full)")
    message: str | None = Field(default=None, description="what is wrong and what happens next, as a sentence")
    since: float | None = Field(default=None, description="when the problem began (epoch seconds)")


class JobPage(BaseModel):
    items: list[JobView]
    total: int
    limit: int
    offset: int

    @computed_field(description="the seed's name for `items`")
    @property
    def jobs(self) -> list[JobView]:
        return self.items
