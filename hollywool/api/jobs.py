from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from hollywool.api.deps import get_studio
from hollywool.api.schemas import JobAccepted, Limit, Offset
from hollywool.engines.image.params import ImageParams
from hollywool.engines.router import REMOTE_KIND
from hollywool.errors import InvalidInputError
from hollywool.jobs.models import ACTIVE_STATUSES, Job, JobKindInfo, JobPage, JobStatus, JobView
from hollywool.jobs.store import JobQuery
from hollywool.studio import Studio

router = APIRouter(prefix="/api/jobs", tags=["jobs"])


class ImageJobRequest(ImageParams):
    session_id: str | None = None
    provider_params: dict[str, Any] = Field(
        default_factory=dict, description="remote models (`<provider>:<model id>`): fields only that model has"
    )


def check_session(studio: Studio, session_id: str | None) -> None:
    if session_id and studio.sessions.get(session_id) is None:
        raise InvalidInputError(f"session_id: unknown session {session_id!r}", field="session_id")


def accepted(job: Job, *, with_notes: bool = True) -> JobAccepted:
    """A submitted generation's answer: where it queued, then what the studio noted about its params."""
    if job.kind == REMOTE_KIND:
        head, with_notes = f"queued on {job.params['model'].split(':', 1)[0]}", True
    else:
        head = "queued"
    notes = (job.params.get("notes") or []) if with_notes else []
    return JobAccepted(job_id=job.id, status=job.status, message="; ".join([head, *notes]))


@router.post("", response_model=JobAccepted, status_code=201)
def create_image_job(body: ImageJobRequest, studio: Studio = Depends(get_studio)) -> JobAccepted:
    check_session(studio, body.session_id)
    params = body.model_dump()
    if "strength" not in body.model_fields_set:  # a default the job tells from a choice: an outpaint paints anew
        del params["strength"]
    return accepted(studio.router.submit("image", params, body.session_id))


@router.get("", response_model=JobPage)
def list_jobs(
    session_id: str | None = None,
    status: list[JobStatus] | None = Query(None),
    kind: str | None = None,
    active_only: bool = False,
    parent_id: str | None = None,
    include_children: bool = False,
    limit: Limit = 50,
    offset: Offset = 0,
    studio: Studio = Depends(get_studio),
) -> JobPage:
    statuses = list(ACTIVE_STATUSES) if active_only else status
    query = JobQuery(
        status=statuses,
        kind=kind,
        session_id=session_id,
        parent_id=parent_id,
        top_level_only=not include_children,
        limit=limit,
        offset=offset,
    )
    return studio.jobs.page(query)


@router.get("/kinds", response_model=list[JobKindInfo])
def list_job_kinds(studio: Studio = Depends(get_studio)) -> list[JobKindInfo]:
    """Every kind of work the queue runs, with the name a person reads (the queue's kind filter)."""
    return studio.kinds.infos()


@router.get("/{job_id}", response_model=JobView)
def get_job(job_id: str, studio: Studio = Depends(get_studio)) -> JobView:
    return studio.jobs.views.one(studio.jobs.get(job_id))


@router.post("/{job_id}/cancel", response_model=JobView)
def cancel_job(job_id: str, studio: Studio = Depends(get_studio)) -> JobView:
    return studio.jobs.views.one(studio.jobs.cancel(job_id))


@router.post("/{job_id}/retry", response_model=JobView)
def retry_job(job_id: str, studio: Studio = Depends(get_studio)) -> JobView:
    return studio.jobs.views.one(studio.jobs.retry(job_id))


@router.post("/{job_id}/move-to-front", response_model=JobView)
def move_job_to_front(job_id: str, studio: Studio = Depends(get_studio)) -> JobView:
    return studio.jobs.views.one(studio.jobs.move_to_front(job_id))
