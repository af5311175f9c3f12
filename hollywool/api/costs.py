"""Costs of remote jobs (sums by day, provider, model and session) and the budget confirmation."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from hollywool.api.deps import get_studio
from hollywool.jobs.models import JobView
from hollywool.storage.costs import CostSummary
from hollywool.studio import Studio

router = APIRouter(tags=["costs"])


@router.get("/api/costs", response_model=CostSummary)
def get_costs(
    since: str | None = Query(None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="first day, YYYY-MM-DD"),
    until: str | None = Query(None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="last day, YYYY-MM-DD"),
    studio: Studio = Depends(get_studio),
) -> CostSummary:
    return studio.remote.costs(since=since, until=until)


@router.post("/api/jobs/{job_id}/confirm", response_model=JobView)
def confirm_job(job_id: str, studio: Studio = Depends(get_studio)) -> JobView:
    """Let a job that waits for budget confirmation (stage `awaiting_confirmation`) go ahead."""
    job = studio.jobs.get(job_id)
    studio.remote.confirm(job_id, job.stage)
    return studio.jobs.views.one(studio.jobs.get(job_id))
