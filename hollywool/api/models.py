"""Models: the catalogue, downloads, the hub cache, loaded models and whether one can run here."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends

from hollywool.api.deps import get_studio
from hollywool.api.schemas import JobAccepted
from hollywool.engines.diffusers.image_job import scheduler_choices
from hollywool.jobs.store import JobQuery
from hollywool.studio import Studio

router = APIRouter(prefix="/api/models", tags=["models"])
system_router = APIRouter(prefix="/api/system", tags=["system"])


@router.get("")
def list_models(kind: Literal["image", "video"] | None = None, studio: Studio = Depends(get_studio)) -> list[dict]:
    return studio.image_engine.list_models(kind=kind) + studio.remote.describe_models(kind)  # remote: issue 9


@router.get("/detailed")
def list_models_detailed(
    kind: Literal["image", "video"] | None = None, studio: Studio = Depends(get_studio)
) -> list[dict]:
    return studio.image_engine.list_models(kind=kind, detailed=True)


@router.get("/cache-status")
def cache_status(studio: Studio = Depends(get_studio)) -> dict[str, Any]:
    return studio.image_engine.cache_status()


@router.get("/schedulers")
def schedulers() -> list[dict[str, Any]]:
    return scheduler_choices()


@router.get("/downloads")
def downloads(studio: Studio = Depends(get_studio)) -> dict[str, Any]:
    jobs, total = studio.jobs.list(JobQuery(kind="model.download", limit=100))
    return {"items": studio.jobs.views.many(jobs), "total": total}


@router.post("/{model_id}/download", response_model=JobAccepted, status_code=201)
def download(model_id: str, studio: Studio = Depends(get_studio)) -> JobAccepted:
    job = studio.jobs.submit("model.download", {"model": model_id})
    return JobAccepted(job_id=job.id, status=job.status, message=f"downloading {model_id}")


@router.delete("/{model_id}/cache")
def delete_cache(model_id: str, studio: Studio = Depends(get_studio)) -> dict[str, Any]:
    return studio.image_engine.delete_cache(model_id)


@router.post("/{model_id}/unload")
def unload(model_id: str, studio: Studio = Depends(get_studio)) -> dict[str, Any]:
    studio.image_engine.catalog.get(model_id)
    return {"unloaded": studio.image_engine.unload(model_id), "loaded": studio.image_engine.loaded_models()}


@router.post("/unload")
def unload_all(studio: Studio = Depends(get_studio)) -> dict[str, Any]:
    return {"unloaded": studio.image_engine.unload(), "loaded": studio.image_engine.loaded_models()}


@system_router.get("/can-generate/{model_id}")
def can_generate(model_id: str, studio: Studio = Depends(get_studio)) -> dict[str, Any]:
    return studio.image_engine.can_generate(model_id)


routers = [router, system_router]
