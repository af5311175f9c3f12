from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from hollywool import __version__, system_info
from hollywool.api.deps import get_studio
from hollywool.errors import ConflictError
from hollywool.jobs.models import QueueHealth
from hollywool.studio import Studio
from hollywool.system_views import SystemInfo, SystemStatus
from hollywool.workers.pool import WorkerInfo, WorkerPool

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


@router.get("/health", response_model=Health)
def health(studio: Studio = Depends(get_studio)) -> Health:
    stat = system_info.status()
    queue = studio.scheduler.queue_health()
    loaded = studio.models.loaded_models()  # here and on the GPU workers
    return Health(
        status="ok" if queue.ok else "degraded",
        version=__version__,
        device=stat.device,
        gpu=stat.gpus[0].name if stat.gpus else None,
        loaded_models=loaded,
        loaded_model=next(iter(loaded), None),
        queue=queue,
        gpu_available=bool(stat.gpus),
        current_model=next(iter(loaded), None),
        hostname=system_info.dgx_hostname(),
    )


@router.get("/system/status", response_model=SystemStatus)
def system_status() -> SystemStatus:
    return system_info.status()


@router.get("/settings/system", response_model=SystemInfo)
def settings_system() -> SystemInfo:
    return system_info.system()


class Workers(BaseModel):
    mode: str = Field(description='"in-process" (one device: jobs run in the studio), "processes" or "ray"')
    workers: list[WorkerInfo] = Field(description="the GPU workers; empty when jobs run in the studio's process")


@router.get("/system/workers", response_model=Workers)
def list_workers(studio: Studio = Depends(get_studio)) -> Workers:
    pool = studio.workers
    if pool is None:
        return Workers(mode="in-process", workers=[])
    return Workers(mode="ray" if studio.settings.ray_address else "processes", workers=pool.workers())


def _pool(studio: Studio) -> WorkerPool:
    if studio.workers is None:
        raise ConflictError("jobs run in the studio's process (one device): there is no worker to drain")
    return studio.workers


@router.post("/system/workers/{worker_id}/drain", response_model=WorkerInfo)
def drain_worker(worker_id: str, studio: Studio = Depends(get_studio)) -> WorkerInfo:
    """The worker takes no new jobs; the one it runs finishes."""
    return _pool(studio).drain(worker_id, True)


@router.post("/system/workers/{worker_id}/undrain", response_model=WorkerInfo)
def undrain_worker(worker_id: str, studio: Studio = Depends(get_studio)) -> WorkerInfo:
    return _pool(studio).drain(worker_id, False)
