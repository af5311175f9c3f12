from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from hollywool import __version__, system_info
from hollywool.api.deps import get_studio
from hollywool.studio import Studio

router = APIRouter(prefix="/api", tags=["system"])


class QueueHealth(BaseModel):
    ok: bool = Field(description="false while jobs cannot be dispatched or recorded (e.g. the data disk is full)")
    message: str | None = Field(None, description="what is wrong and what happens next, as a sentence")
    since: float | None = Field(None, description="when the problem began (epoch seconds)")


class Health(BaseModel):
    status: str = Field(description='"ok", or "degraded" while the job queue is paused (see `queue`)')
    version: str
    device: str
    gpu: str | None
    loaded_models: list[str]
    loaded_model: str | None
    queue: QueueHealth
    # The seed's names (shared/notes/seed-api.md).
    gpu_available: bool
    current_model: str | None
    hostname: str | None = Field(description='"spark.local" on a DGX Spark, else null')


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
    queue = studio.scheduler.queue_health()
    loaded = studio.image_engine.loaded_models()
    return {
        "status": "ok" if queue["ok"] else "degraded",
        "version": __version__,
        "device": stat["device"],
        "gpu": stat["gpus"][0]["name"] if stat["gpus"] else None,
        "loaded_models": loaded,
        "loaded_model": next(iter(loaded), None),
        "queue": queue,
        "gpu_available": bool(stat["gpus"]),
        "current_model": next(iter(loaded), None),
        "hostname": _spark_hostname(),
    }


def _spark_hostname() -> str | None:
    try:
        return "spark.local" if "DGX Spark" in Path("/etc/dgx-release").read_text(errors="replace") else None
    except OSError:
        return None


@router.get("/system/status", response_model=SystemStatus)
def system_status() -> dict[str, Any]:
    return system_info.status()


@router.get("/settings/system")
def settings_system() -> dict[str, Any]:
    return system_info.system()
