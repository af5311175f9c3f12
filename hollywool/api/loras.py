"""LoRAs found in the LoRA and Civitai folders."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from hollywool.api.deps import get_studio
from hollywool.studio import Studio

router = APIRouter(prefix="/api/loras", tags=["loras"])


class Lora(BaseModel):
    """A LoRA file (hollywool/engines/diffusers/loras.py LoraInfo)."""

    id: str
    name: str
    path: str
    base: str | None = None
    format: str
    size_bytes: int
    source: str
    model_types: list[str]
    trigger_words: list[str]


class LoraScan(BaseModel):
    count: int
    items: list[Lora]


@router.get("", response_model=list[Lora])
def list_loras(
    model_type: str | None = Query(None, description="only LoRAs that fit this model type (sd, sdxl, sd3, flux)"),
    studio: Studio = Depends(get_studio),
) -> list[dict]:
    return [info.to_dict() for info in studio.image_engine.loras.all(model_type)]


@router.post("/scan", response_model=LoraScan)
def scan_loras(studio: Studio = Depends(get_studio)) -> dict:
    found = studio.image_engine.loras.scan()
    return {"count": len(found), "items": [info.to_dict() for info in found]}
