"""Synchronous generation, session titles, presets, and reading parameters out of a PNG."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Request, UploadFile
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from hollywool.api.deps import get_studio
from hollywool.api.jobs import ImageJobRequest, check_session
from hollywool.api.request_limits import RequestLimits, request_limits
from hollywool.engines.image import metadata
from hollywool.engines.image.styles import STYLES
from hollywool.errors import InvalidInputError, StudioError
from hollywool.jobs.models import JobView
from hollywool.media.png_meta import read_text_chunks
from hollywool.media.references import MAX_BYTES, decode_image_bytes
from hollywool.models.sizes import ASPECT_RATIOS
from hollywool.studio import Studio
from hollywool.titles import title_from_prompt

router = APIRouter(prefix="/api", tags=["generate"])

# Synchronous generations waiting at once; beyond this they are refused (each waits on the event
# loop, holding no worker thread, but a queue of them only grows).
MAX_SYNC_WAITS = 32


class TooManyWaitsError(StudioError):
    status_code = 429


class GenerateRequest(ImageJobRequest):
    timeout_s: float = Field(600, gt=0, le=3600, description="how long to wait before answering with the job")


class TitleRequest(BaseModel):
    prompt: str = Field(min_length=1, max_length=10_000)


@router.post("/generate", response_model=JobView)
async def generate(body: GenerateRequest, request: Request, studio: Studio = Depends(get_studio)) -> JobView:
    """Submit an image job and wait for it: answers with the job, its images and seeds.

    The wait holds no worker thread (the job's events wake it), so other requests stay fast
    however many generations wait; more than MAX_SYNC_WAITS at once answer 429."""
    state = request.app.state
    waiting = getattr(state, "sync_generate_waits", 0)
    if waiting >= MAX_SYNC_WAITS:
        raise TooManyWaitsError(
            f"Too many synchronous generations waiting ({waiting}); use POST /api/jobs to queue the job "
            "and follow it with GET /api/jobs/{job_id} or the live events, or try again later."
        )
    state.sync_generate_waits = waiting + 1
    try:
        job = await run_in_threadpool(_submit, studio, body)
        done = await studio.jobs.wait_async(job.id, body.timeout_s)
        return await run_in_threadpool(studio.jobs.views.one, done)
    finally:
        state.sync_generate_waits -= 1


def _submit(studio: Studio, body: GenerateRequest):  # noqa: ANN202
    check_session(studio, body.session_id)
    params = body.model_dump(exclude={"session_id", "timeout_s"})
    return studio.jobs.submit("image", params, session_id=body.session_id)


@router.post("/generate-title")
def generate_title(body: TitleRequest) -> dict[str, str]:
    return {"title": title_from_prompt(body.prompt)}


class StylePreset(BaseModel):
    id: str
    name: str
    template: str = Field(description='the prompt with "{prompt}" where the user\'s prompt goes')
    negative: str = Field(description="added to the negative prompt")


@router.get("/styles", response_model=list[StylePreset])
def styles() -> list[dict[str, str]]:
    return [{"id": s.id, "name": s.name, "template": s.template, "negative": s.negative} for s in STYLES.values()]


class AspectPreset(BaseModel):
    """An aspect preset: `width`:`height` is the ratio; each image model's `aspect_sizes` gives its pixels."""

    id: str
    width: int
    height: int


@router.get("/aspect-ratios", response_model=list[AspectPreset])
def aspect_ratios() -> list[AspectPreset]:
    return [AspectPreset(id=name, width=w, height=h) for name, (w, h) in ASPECT_RATIOS.items()]


@router.get("/limits", response_model=RequestLimits)
def limits() -> RequestLimits:
    """An image request's bounds (prompt length, steps, guidance, seed, batch, LoRA weight, references,
    strength, a reference file's size), read from the request model itself: the UI checks forms with them."""
    return request_limits()


class ImageMetadata(BaseModel):
    """What a PNG's text chunks say about how it was made."""

    params: dict[str, Any] = Field(
        description="`source` (the tool that wrote them, or null), the form fields that passed the form's checks, "
        "`unreadable` (what was there but could not be read) and `unmapped` (settings the form has no field for, "
        "as 'name: value')"
    )
    chunks: list[str] = Field(description="the names of the PNG's text chunks")


@router.post("/images/metadata", response_model=ImageMetadata)
async def read_image_metadata(file: UploadFile = File(...)) -> ImageMetadata:
    """Generation parameters from a PNG made by HollyWool, A1111/Forge, ComfyUI or InvokeAI."""
    data = await file.read(MAX_BYTES + 1)
    decode_image_bytes(data, "file")
    try:
        chunks = read_text_chunks(data)
    except OSError:
        raise InvalidInputError("file: not a readable image", field="file") from None
    return ImageMetadata(params=metadata.read_params(chunks), chunks=sorted(chunks))
