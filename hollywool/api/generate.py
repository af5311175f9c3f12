"""Synchronous generation, session titles, presets, and reading parameters out of a PNG."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, UploadFile
from pydantic import BaseModel, Field

from hollywool.api.deps import get_studio
from hollywool.api.jobs import ImageJobRequest, check_session
from hollywool.engines.diffusers import metadata
from hollywool.engines.diffusers.references import MAX_BYTES, decode_image_bytes
from hollywool.engines.diffusers.sizes import ASPECT_RATIOS
from hollywool.engines.diffusers.styles import STYLES
from hollywool.errors import InvalidInputError
from hollywool.media.png_meta import read_text_chunks
from hollywool.studio import Studio
from hollywool.titles import title_from_prompt

router = APIRouter(prefix="/api", tags=["generate"])


class GenerateRequest(ImageJobRequest):
    timeout_s: float = Field(600, gt=0, le=3600, description="how long to wait before answering with the job")


class TitleRequest(BaseModel):
    prompt: str = Field(min_length=1, max_length=10_000)


@router.post("/generate")
def generate(body: GenerateRequest, studio: Studio = Depends(get_studio)) -> dict[str, Any]:
    """Submit an image job and wait for it: answers with the job, its images and seeds."""
    check_session(studio, body.session_id)
    params = body.model_dump(exclude={"session_id", "timeout_s"})
    job = studio.jobs.submit("image", params, session_id=body.session_id)
    return studio.jobs.views.one(studio.jobs.wait(job.id, body.timeout_s))


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


@router.get("/aspect-ratios")
def aspect_ratios() -> list[dict[str, Any]]:
    return [{"id": name, "width": w, "height": h} for name, (w, h) in ASPECT_RATIOS.items()]


@router.post("/images/metadata")
async def read_image_metadata(file: UploadFile = File(...)) -> dict[str, Any]:
    """Generation parameters from a PNG made by HollyWool, A1111/Forge, ComfyUI or InvokeAI."""
    data = await file.read(MAX_BYTES + 1)
    decode_image_bytes(data, "file")
    try:
        chunks = read_text_chunks(data)
    except OSError:
        raise InvalidInputError("file: not a readable image", field="file") from None
    return {"params": metadata.read_params(chunks), "chunks": sorted(chunks)}
