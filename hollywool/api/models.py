"""Models: the catalogue, downloads, the hub cache, loaded models and whether one can run here."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from hollywool.api.deps import get_studio
from hollywool.api.schemas import JobAccepted
from hollywool.engines.diffusers.catalog import ConfigProblems, ModelType
from hollywool.engines.diffusers.image_job import scheduler_choices
from hollywool.engines.remote.provider import ParamSpec, Price
from hollywool.jobs.models import JobView
from hollywool.jobs.store import JobQuery
from hollywool.studio import Studio

router = APIRouter(prefix="/api/models", tags=["models"])


class LocalModelInfo(BaseModel):
    """A catalogue entry as `/api/models` lists it. The routes that answer these leave out the fields a
    model does not have (`exclude_unset`): the family fields are absent for models without an image family."""

    id: str
    name: str
    path: str
    type: ModelType
    default_steps: int
    default_guidance: float
    category: Literal["fast", "quality", "specialized", "video"]
    size_gb: float
    memory_gb: float
    tags: list[str]
    description: str
    gated: bool
    default_width: int | None
    default_height: int | None
    variant: str | None
    user_defined: bool
    source: Literal["hub", "folder", "file"]
    is_video: bool
    downloaded: bool
    loaded: bool
    size_multiple: int | None = Field(None, description="image models only")
    supports_negative_prompt: bool | None = Field(None, description="image models only")
    schedulers: list[str] | None = Field(None, description="image models only")


class LocalModelDetail(LocalModelInfo):
    """A catalogue entry with its files: `/api/models/detailed`."""

    cache_size_bytes: int
    last_used: float | None
    location: str | None


class RemoteModelInfo(BaseModel):
    """A provider's model, listed by `/api/models` beside the local ones."""

    id: str
    name: str
    type: Literal["remote"]
    remote: Literal[True]
    provider: str
    provider_name: str
    provider_configured: bool
    model_id: str
    category: str
    is_video: bool
    description: str
    tags: list[str]
    price: Price | None
    params: list[ParamSpec]
    max_reference_images: int = Field(description="input images the model takes (0: none)")
    thumbnail_url: str | None


AnyModelInfo = Annotated[LocalModelInfo | RemoteModelInfo, Field(discriminator="type")]


class LoadedModel(BaseModel):
    model_id: str
    size_gb: float
    size_bytes: int
    placement: str
    device: str
    loaded_at: float
    last_used: float


class CacheStatus(BaseModel):
    budget_bytes: int
    used_bytes: int
    free_bytes: int
    models: list[LoadedModel] = Field(description="the models loaded now")
    hub_cache_bytes: int
    downloaded: list[str] = Field(description="ids of the hub models whose files are in the cache")


class DownloadPage(BaseModel):
    items: list[JobView]
    total: int


class MemoryPlanInfo(BaseModel):
    placement: str = Field(description="device, model_offload or sequential_offload")
    vae_tiling: bool
    required_bytes: int
    available_bytes: int
    reason: str


class CanGenerate(BaseModel):
    """Whether a model can run here. A video model answers only the first four fields."""

    model_id: str
    can_generate: bool
    loaded: bool
    reason: str
    downloaded: bool | None = None
    required_gb: float | None = None
    available_gb: float | None = None
    budget_gb: float | None = None
    device: str | None = None
    memory_kind: str | None = None
    plan: MemoryPlanInfo | None = None


system_router = APIRouter(prefix="/api/system", tags=["system"])


@router.get("", response_model=list[AnyModelInfo], response_model_exclude_unset=True)
def list_models(kind: Literal["image", "video"] | None = None, studio: Studio = Depends(get_studio)) -> list[dict]:
    return studio.image_engine.list_models(kind=kind) + studio.remote.describe_models(kind)  # remote: issue 9


@router.get("/config-problems", response_model=ConfigProblems)
def config_problems(studio: Studio = Depends(get_studio)) -> ConfigProblems:
    """What in the user's config.yaml the studio could not use: the file as a whole (`errors`: not YAML,
    not UTF-8, a folder) or single entries (`skipped`, each with its reason). Both are logged at start-up."""
    return studio.image_engine.catalog.problems()


@router.get("/detailed", response_model=list[LocalModelDetail], response_model_exclude_unset=True)
def list_models_detailed(
    kind: Literal["image", "video"] | None = None, studio: Studio = Depends(get_studio)
) -> list[dict]:
    return studio.image_engine.list_models(kind=kind, detailed=True)


@router.get("/cache-status", response_model=CacheStatus)
def cache_status(studio: Studio = Depends(get_studio)) -> dict[str, Any]:
    return studio.image_engine.cache_status()


@router.get("/schedulers")
def schedulers() -> list[dict[str, Any]]:
    return scheduler_choices()


@router.get("/downloads", response_model=DownloadPage)
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


@system_router.get("/can-generate/{model_id}", response_model=CanGenerate, response_model_exclude_unset=True)
def can_generate(model_id: str, studio: Studio = Depends(get_studio)) -> dict[str, Any]:
    return studio.image_engine.can_generate(model_id)


routers = [router, system_router]
