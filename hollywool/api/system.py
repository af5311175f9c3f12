from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from hollywool import __version__, system_info
from hollywool.api.deps import get_studio
from hollywool.studio import Studio

router = APIRouter(prefix="/api", tags=["system"])


class Health(BaseModel):
    status: str
    version: str
    device: str
    gpu: str | None
    loaded_models: list[str]
    loaded_model: str | None


class GpuStatus(BaseModel):
    index: int
    name: str
    memory_total_gb: float | None = None
    memory_used_gb: float | None = None
    unified_memory: bool = False
    utilization_percent: float | None = None
    temperature_c: float | None = None


class CpuStatus(BaseModel):
    percent: float
    cores: int | None
    name: str


class MemoryStatus(BaseModel):
    total_gb: float
    used_gb: float
    available_gb: float
    percent: float


class SystemStatus(BaseModel):
    cpu: CpuStatus
    memory: MemoryStatus
    gpus: list[GpuStatus]
    device: str


@router.get("/health", response_model=Health)
def health(studio: Studio = Depends(get_studio)) -> dict[str, Any]:
    stat = system_info.status()
    return {
        "status": "ok",
        "version": __version__,
        "device": stat["device"],
        "gpu": stat["gpus"][0]["name"] if stat["gpus"] else None,
        "loaded_models": studio.image_engine.loaded_models(),
        "loaded_model": next(iter(studio.image_engine.loaded_models()), None),
    }


@router.get("/system/status", response_model=SystemStatus)
def system_status() -> dict[str, Any]:
    return system_info.status()


@router.get("/settings/system")
def settings_system() -> dict[str, Any]:
    return system_info.system()
