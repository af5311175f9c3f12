"""Bulk generation: prompt variations from an LLM, then one tracked batch of child jobs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from hollywool.api.deps import get_studio
from hollywool.api.schemas import MAX_OFFSET, JobAccepted
from hollywool.bulk.service import MAX_PROMPTS, BulkPage, BulkRequest, BulkView
from hollywool.studio import Studio

router = APIRouter(prefix="/api/bulk", tags=["bulk"])


class LlmChoice(BaseModel):
    provider: str | None = Field(default=None, description="anthropic | openai_compatible (default: settings)")
    model: str | None = None


class VariationsRequest(BaseModel):
    base_prompt: str = Field(min_length=1, max_length=4000)
    count: int = Field(10, ge=1, le=200)
    style_guidance: str | None = Field(None, max_length=4000)
    llm: LlmChoice | None = None
    claude_model: str | None = Field(None, max_length=200, description="the seed's field: an Anthropic model")

    def choice(self) -> LlmChoice:
        if self.llm:
            return self.llm
        return LlmChoice(provider="anthropic", model=self.claude_model) if self.claude_model else LlmChoice()


class VariationsResponse(BaseModel):
    variations: list[str]
    base_prompt: str
    count: int


class RetryRequest(BaseModel):
    indexes: list[Annotated[int, Field(ge=0, lt=MAX_PROMPTS)]] | None = Field(
        default=None,
        max_length=MAX_PROMPTS,
        description="positions of the prompts to retry (0-based); default: all failed",
    )
    include_cancelled: bool = False


@router.post("/variations", response_model=VariationsResponse)
def create_variations(body: VariationsRequest, studio: Studio = Depends(get_studio)) -> VariationsResponse:
    base = body.base_prompt.strip()
    if not base:
        from hollywool.errors import InvalidInputError

        raise InvalidInputError("base_prompt: the idea is empty", field="base_prompt")
    llm = body.choice()
    variations = studio.llm.variations(base, body.count, body.style_guidance, llm.provider, llm.model)
    return VariationsResponse(variations=variations, base_prompt=base, count=len(variations))


@router.post("/jobs", response_model=JobAccepted, status_code=201)
def create_bulk_job(body: BulkRequest, studio: Studio = Depends(get_studio)) -> JobAccepted:
    parent = studio.bulk.create(body)
    return JobAccepted(job_id=parent.id, status=str(parent.status), message=f"queued {len(body.prompts)} prompts")


@router.get("/jobs", response_model=BulkPage)
def list_bulk_jobs(
    session_id: str | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    studio: Studio = Depends(get_studio),
) -> BulkPage:
    return studio.bulk.page(session_id, limit, offset)


@router.get("/jobs/{job_id}", response_model=BulkView)
def get_bulk_job(job_id: str, studio: Studio = Depends(get_studio)) -> BulkView:
    return studio.bulk.get(job_id)


class BulkDeleted(BaseModel):
    status: str = "deleted"
    job_id: str


@router.delete("/jobs/{job_id}", response_model=BulkDeleted)
def delete_bulk_job(job_id: str, studio: Studio = Depends(get_studio)) -> BulkDeleted:
    """The seed's delete: the batch is cancelled (what is done stays in the gallery and the history)."""
    studio.bulk.cancel(job_id)
    return BulkDeleted(job_id=job_id)


@router.post("/jobs/{job_id}/cancel", response_model=BulkView)
def cancel_bulk_job(job_id: str, studio: Studio = Depends(get_studio)) -> BulkView:
    return studio.bulk.cancel(job_id)


@router.post("/jobs/{job_id}/retry", response_model=BulkView)
def retry_bulk_job(job_id: str, body: RetryRequest | None = None, studio: Studio = Depends(get_studio)) -> BulkView:
    body = body or RetryRequest()
    return studio.bulk.retry(job_id, body.indexes, body.include_cancelled)


@router.get("/jobs/{job_id}/export")
def export_bulk_job(job_id: str, studio: Studio = Depends(get_studio)) -> StreamingResponse:
    data = studio.bulk.export_zip(job_id)
    return StreamingResponse(
        iter(lambda: data.read(1 << 20), b""),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="bulk-{job_id[:12]}.zip"'},
    )
