"""Costs of remote jobs (sums by day, provider, model and session) and the budget confirmation."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from hollywool.api.deps import get_studio
from hollywool.jobs.models import JobView
from hollywool.storage.costs import today
from hollywool.studio import Studio

router = APIRouter(tags=["costs"])


class CostTotals(BaseModel):
    total_usd: float
    count: int
    estimated: int = Field(description="how many of the costs are estimates")
    pending: int = Field(description="how many are not settled yet")


class DayCost(CostTotals):
    day: str


class ProviderCost(CostTotals):
    provider: str | None


class ModelCost(CostTotals):
    model: str | None


class SessionCost(CostTotals):
    session_id: str | None


class CostSummary(BaseModel):
    total_usd: float
    count: int
    by_day: list[DayCost]
    by_provider: list[ProviderCost]
    by_model: list[ModelCost]
    by_session: list[SessionCost]
    today: str
    today_usd: float
    daily_budget_usd: float | None
    budget_left_usd: float | None
    currency: str


@router.get("/api/costs", response_model=CostSummary)
def get_costs(
    since: str | None = Query(None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="first day, YYYY-MM-DD"),
    until: str | None = Query(None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="last day, YYYY-MM-DD"),
    studio: Studio = Depends(get_studio),
) -> dict[str, Any]:
    summary = studio.remote.ledger.summary(since=since, until=until)
    budget = studio.preferences.get().daily_budget_usd
    spent = studio.remote.ledger.spent_on(today())
    return {
        **summary,
        "today": today(),
        "today_usd": round(spent, 6),
        "daily_budget_usd": budget,
        "budget_left_usd": None if budget is None else round(max(budget - spent, 0.0), 6),
        "currency": "USD",
    }


@router.post("/api/jobs/{job_id}/confirm", response_model=JobView)
def confirm_job(job_id: str, studio: Studio = Depends(get_studio)) -> dict[str, Any]:
    """Let a job that waits for budget confirmation (stage `awaiting_confirmation`) go ahead."""
    job = studio.jobs.get(job_id)
    studio.remote.confirm(job_id, job.stage)
    return studio.jobs.views.one(studio.jobs.get(job_id))
