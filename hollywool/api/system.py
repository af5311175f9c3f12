from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field, computed_field

from hollywool import __version__, system_info
from hollywool.api.deps import get_studio
from hollywool.jobs.models import QueueHealth
from hollywool.studio import Studio

router = APIRouter(prefix="/api", tags=["system"])


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
    physical_cores: int | None = None
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

    # The seed's SystemResourceStatus names.
    @computed_field
    @property
    def memory_total_gb(self) -> float:
        return self.memory.total_gb

    @computed_field
    @property
    def memory_available_gb(self) -> float:
        return self.memory.available_gb

    @computed_field
    @property
    def memory_used_gb(self) -> float:
        return self.memory.used_gb

    @computed_field
    @property
    def memory_percent(self) -> float:
        return self.memory.percent

    @computed_field
    @property
    def gpu_utilization(self) -> float | None:
        return self.gpus[0].utilization_percent if self.gpus else None

    @computed_field
    @property
    def cpu_percent(self) -> float:
        return self.cpu.percent

    @computed_field
    @property
    def cpu_name(self) -> str:
        return self.cpu.name

    @computed_field
    @property
    def cpu_cores(self) -> int | None:
        return self.cpu.physical_cores or self.cpu.cores

    @computed_field
    @property
    def cpu_threads(self) -> int | None:
        return self.cpu.cores

    @computed_field
    @property
    def is_available(self) -> bool:
        return True

    @computed_field
    @property
    def rejection_reason(self) -> str | None:
        return None


class SystemInfo(BaseModel):
    """This machine and the software the studio runs on (the seed's SystemInfo fields, plus versions)."""

    app_name: str = "HollyWool"
    version: str
    hostname: str | None
    os_name: str
    platform: str = Field(description="linux, mac or windows")
    device_type: str = Field(description="Spark (a DGX Spark), Mac or PC")
    compute_mode: str = Field(description="GPU or CPU")
    cuda_available: bool
    torch_cuda_enabled: bool
    gpu_name: str | None
    gpu_memory_gb: float | None
    gpu_warning: str | None
    python_version: str
    torch_version: str | None
    diffusers_version: str | None
    machine: str
    os: str = Field(description="system and release")
    python: str
    torch: str | None
    diffusers: str | None
    cuda: str | None
    gpu: str | None


@router.get("/health", response_model=Health)
def health(studio: Studio = Depends(get_studio)) -> Health:
    stat = system_info.status()
    queue = studio.scheduler.queue_health()
    loaded = studio.models.loaded_models()
    return Health(
        status="ok" if queue.ok else "degraded",
        version=__version__,
        device=stat["device"],
        gpu=stat["gpus"][0]["name"] if stat["gpus"] else None,
        loaded_models=loaded,
        loaded_model=next(iter(loaded), None),
        queue=queue,
        gpu_available=bool(stat["gpus"]),
        current_model=next(iter(loaded), None),
        hostname=system_info.dgx_hostname(),
    )


@router.get("/system/status", response_model=SystemStatus)
def system_status() -> dict[str, Any]:
    return system_info.status()


@router.get("/settings/system", response_model=SystemInfo)
def settings_system() -> dict[str, Any]:
    return system_info.system()
