"""LoRAs found in the LoRA and Civitai folders."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field, computed_field

from hollywool.api.deps import get_studio
from hollywool.studio import Studio

router = APIRouter(prefix="/api/loras", tags=["loras"])


class Lora(BaseModel):
    """A LoRA file (hollywool/models/loras.py LoraInfo)."""

    id: str
    name: str
    path: str
    base: str | None = None
    format: str
    size_bytes: int
    source: str
    model_types: list[str]
    trigger_words: list[str]

    # The seed's LoRAInfo names, derived.
    @computed_field
    @property
    def compatible_types(self) -> list[str]:
        return self.model_types

    @computed_field
    @property
    def default_weight(self) -> float:
        return 0.8

    @computed_field
    @property
    def description(self) -> str:
        return ", ".join(self.trigger_words)

    @computed_field
    @property
    def is_downloaded(self) -> bool:
        return True


class LoraList(BaseModel):
    loras: list[Lora]
    local_lora_dir: str = Field(description="the first folder LoRAs are read from (HOLLYWOOL_LORA_DIR)")


class LoraScan(BaseModel):
    count: int
    items: list[Lora]

    @computed_field(description="the seed's name for `items`")
    @property
    def loras(self) -> list[Lora]:
        return self.items


@router.get("", response_model=LoraList)
def list_loras(
    model_type: str | None = Query(None, description="only LoRAs that fit this model type (sd, sdxl, sd3, flux)"),
    studio: Studio = Depends(get_studio),
) -> LoraList:
    loras = [Lora(**info.to_dict()) for info in studio.models.loras.all(model_type)]
    dirs = studio.settings.lora_dirs
    return LoraList(loras=loras, local_lora_dir=str(dirs[0]) if dirs else "")


@router.post("/scan", response_model=LoraScan)
def scan_loras(studio: Studio = Depends(get_studio)) -> LoraScan:
    found = studio.models.loras.scan()
    return LoraScan(count=len(found), items=[Lora(**info.to_dict()) for info in found])
