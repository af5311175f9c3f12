"""Models: the catalogue, downloads, the hub cache, loaded models and whether one can run here."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, computed_field

from hollywool.api.deps import get_studio
from hollywool.api.schemas import JobAccepted
from hollywool.engines.remote.views import RemoteModelInfo
from hollywool.jobs.models import JobView
from hollywool.jobs.store import JobQuery
from hollywool.models.catalog import ConfigProblems
from hollywool.models.user_models import AddModelRequest, add_model, remove_model
from hollywool.models.views import (
    CacheDeleted,
    CacheStatus,
    CanGenerate,
    FamilyInfo,
    LocalModelDetail,
    LocalModelInfo,
    ModelFolderInfo,
    ModelFolderRequest,
    SchedulerInfo,
    Unloaded,
)
from hollywool.studio import Studio

router = APIRouter(prefix="/api/models", tags=["models"])


# Local models have a family id as `type`; remote ones say "remote" (and `remote: true`).
AnyModelInfo = LocalModelInfo | RemoteModelInfo


class ModelList(BaseModel):
    """`/api/models`: local and remote models; `current_model` is the model loaded most recently."""

    models: list[AnyModelInfo]
    current_model: str | None
    loaded_models: list[str]


class DetailedModelList(BaseModel):
    models: list[LocalModelDetail]


class ModelDownload(JobView):
    """A model download job with the seed's HFDownloadJob names."""

    @computed_field
    @property
    def model_id(self) -> str | None:
        return self.params.get("model")

    @computed_field
    @property
    def model_name(self) -> str | None:
        return self.params.get("model")

    @computed_field
    @property
    def model_path(self) -> str | None:
        return self.params.get("path") or self.params.get("model")

    @computed_field
    @property
    def total_size_mb(self) -> float | None:
        total = self.result.get("total_bytes") or self.params.get("total_bytes")
        return round(total / 2**20, 1) if total else None

    @computed_field
    @property
    def speed_mbps(self) -> float | None:
        return None


class DownloadStarted(JobAccepted):
    """A model download: `status` is "downloading" (a job was queued) or "already_cached" (no job needed)."""

    model_id: str
    job_id: str | None = None  # type: ignore[assignment]


system_router = APIRouter(prefix="/api/system", tags=["system"])


@router.get("", response_model=ModelList, response_model_exclude_unset=True)
def list_models(kind: Literal["image", "video"] | None = None, studio: Studio = Depends(get_studio)) -> ModelList:
    local: list[LocalModelInfo | RemoteModelInfo] = [*studio.model_service.list_models(kind)]
    remote = studio.remote.describe_models(kind)
    loaded = studio.model_service.loaded_models()
    return ModelList(models=local + remote, current_model=loaded[-1] if loaded else None, loaded_models=loaded)


@router.get("/config-problems", response_model=ConfigProblems)
def config_problems(studio: Studio = Depends(get_studio)) -> ConfigProblems:
    """What in the user's config.yaml the studio could not use: the file as a whole (`errors`: not YAML,
    not UTF-8, a folder) or single entries (`skipped`, each with its reason). Both are logged at start-up."""
    return studio.models.catalog.problems()


@router.get("/families", response_model=list[FamilyInfo])
def families(studio: Studio = Depends(get_studio)) -> list[FamilyInfo]:
    """The model families this studio runs: what a catalogue entry's `type` may say, and what each can do."""
    return studio.model_service.families()


@router.get("/detailed", response_model=DetailedModelList, response_model_exclude_unset=True)
def list_models_detailed(
    kind: Literal["image", "video"] | None = None, studio: Studio = Depends(get_studio)
) -> DetailedModelList:
    return DetailedModelList(models=studio.model_service.list_detailed(kind))


@router.get("/folders", response_model=list[ModelFolderInfo])
def model_folders(studio: Studio = Depends(get_studio)) -> list[ModelFolderInfo]:
    """The ComfyUI and A1111/Forge `models` folders in use, scanned again: each file with its role and family."""
    return studio.model_service.model_folders()


@router.post("/folders", response_model=ModelFolderInfo, status_code=201)
def add_model_folder(body: ModelFolderRequest, studio: Studio = Depends(get_studio)) -> ModelFolderInfo:
    """Use a ComfyUI or A1111/Forge `models` folder in place: its checkpoints and diffusion models become models,
    its LoRAs join the LoRA list; nothing is copied. A 422 naming `path` when it is not such a folder."""
    return studio.model_service.add_model_folder(body.path)


@router.delete("/folders", response_model=list[ModelFolderInfo])
def remove_model_folder(path: str, studio: Studio = Depends(get_studio)) -> list[ModelFolderInfo]:
    """Stop using a folder added through the API (its files stay where they are); the folders left."""
    return studio.model_service.remove_model_folder(path)


@router.get("/cache-status", response_model=CacheStatus)
def cache_status(studio: Studio = Depends(get_studio)) -> CacheStatus:
    return studio.model_service.cache_status()


@router.get("/schedulers", response_model=list[SchedulerInfo])
def schedulers(studio: Studio = Depends(get_studio)) -> list[SchedulerInfo]:
    return studio.model_service.schedulers()


@router.get("/downloads", response_model=list[ModelDownload])
def downloads(studio: Studio = Depends(get_studio)) -> list[ModelDownload]:
    """Model download jobs, newest first (a list, as the seed answered)."""
    page = studio.jobs.page(JobQuery(kind="model.download", limit=100))
    return [ModelDownload.model_validate(v.model_dump(exclude_computed_fields=True)) for v in page.items]


@router.post("/{model_id}/download", response_model=DownloadStarted, status_code=201)
def download(model_id: str, studio: Studio = Depends(get_studio)) -> DownloadStarted:
    entry = studio.models.catalog.get(model_id)  # 404 for an unknown id
    # Only the hub cache on disk is read: this answers at once, even while the warm-up imports torch.
    if entry.source == "hub" and studio.models.hub.is_downloaded(entry):
        return DownloadStarted(status="already_cached", model_id=model_id, message=f"{model_id} is already here")
    job = studio.jobs.submit("model.download", {"model": model_id})
    return DownloadStarted(job_id=job.id, status="downloading", model_id=model_id, message=f"downloading {model_id}")


@router.delete("/{model_id}/cache", response_model=CacheDeleted)
def delete_cache(model_id: str, studio: Studio = Depends(get_studio)) -> CacheDeleted:
    return studio.model_service.delete_cache(model_id)


@router.post("/{model_id}/unload", response_model=Unloaded)
def unload(model_id: str, studio: Studio = Depends(get_studio)) -> Unloaded:
    return studio.model_service.unload(model_id)


@router.post("/unload", response_model=Unloaded)
def unload_all(studio: Studio = Depends(get_studio)) -> Unloaded:
    return studio.model_service.unload()


@router.post("", response_model=LocalModelInfo, response_model_exclude_unset=True, status_code=201)
def add_local_model(body: AddModelRequest, studio: Studio = Depends(get_studio)) -> LocalModelInfo:
    """Add a local diffusers folder or weights file, kept in config.yaml like a hand-written entry (used in place).
    `type` is read from the files when left out. A 422 naming the field for a bad path or type, a 409 for an id
    that is taken."""
    return studio.model_service.describe(add_model(studio.models.catalog, body))


@router.delete("/{model_id}", response_model=Unloaded)
def remove_local_model(model_id: str, studio: Studio = Depends(get_studio)) -> Unloaded:
    """Forget a model kept in config.yaml (unloaded first); its files are never deleted."""
    remove_model(studio.models.catalog, model_id)
    return Unloaded(unloaded=studio.models.unload(model_id), loaded=studio.models.loaded_models())


@system_router.get("/can-generate/{model_id}", response_model=CanGenerate, response_model_exclude_unset=True)
def can_generate(model_id: str, studio: Studio = Depends(get_studio)) -> CanGenerate:
    return studio.model_service.can_generate(model_id)


routers = [router, system_router]
