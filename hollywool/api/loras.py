"""LoRAs found in the LoRA and Civitai folders."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from hollywool.api.deps import get_studio
from hollywool.studio import Studio

router = APIRouter(prefix="/api/loras", tags=["loras"])


@router.get("")
def list_loras(
    model_type: str | None = Query(None, description="only LoRAs that fit this model type (sd, sdxl, sd3, flux)"),
    studio: Studio = Depends(get_studio),
) -> list[dict[str, Any]]:
    return [info.to_dict() for info in studio.image_engine.loras.all(model_type)]


@router.post("/scan")
def scan_loras(studio: Studio = Depends(get_studio)) -> dict[str, Any]:
    found = studio.image_engine.loras.scan()
    return {"count": len(found), "items": [info.to_dict() for info in found]}
