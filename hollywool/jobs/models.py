"""The job record and its states, shared by the store, the scheduler and the API."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


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
    result: dict[str, Any] = Field(default_factory=dict)
    checkpoint: dict[str, Any] = Field(default_factory=dict)
    session_id: str | None = None
    parent_id: str | None = None
    attempts: int = 0
    cancel_requested: bool = False
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


class JobView(BaseModel):
    """A job as the API and the live events show it."""

    id: str
    job_id: str
    kind: str
    lane: str
    status: JobStatus
    priority: int
    params: dict[str, Any]
    stage: str
    step: int
    total_steps: int
    fraction: float
    progress: float = Field(description="0 to 100")
    eta_seconds: float | None = None
    message: str | None = None
    error: str | None = None
    result: dict[str, Any] = Field(default_factory=dict)
    session_id: str | None = None
    parent_id: str | None = None
    attempts: int
    cancel_requested: bool
    created_at: float
    started_at: float | None = None
    finished_at: float | None = None
    updated_at: float
    images: list[MediaRef] = Field(default_factory=list)
    videos: list[MediaRef] = Field(default_factory=list)


class JobPage(BaseModel):
    items: list[JobView]
    total: int
    limit: int
    offset: int
