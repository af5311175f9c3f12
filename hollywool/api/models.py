"""Models: the catalogue, downloads, the hub cache, loaded models and whether one can run here."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field, computed_field, model_validator

from hollywool.api.deps import get_studio
from hollywool.api.schemas import JobAccepted
from hollywool.engines.diffusers.catalog import ConfigProblems, ModelType
from hollywool.engines.diffusers.image_job import scheduler_choices
from hollywool.engines.diffusers.image_params import ImageParams
from hollywool.engines.diffusers.sizes import aspect_sizes
from hollywool.engines.remote.base import STUDIO_FIELDS, HttpProvider
from hollywool.engines.remote.images import plan_images
from hollywool.engines.remote.provider import ParamSpec, Price, RemoteModel
from hollywool.jobs.models import JobView
from hollywool.jobs.store import JobQuery
from hollywool.studio import Studio

router = APIRouter(prefix="/api/models", tags=["models"])


def _side_bound(kind: str) -> int:
    """The smallest ("ge") or largest ("le") width an image request takes (ImageParams is the rule)."""
    return next(getattr(m, kind) for m in ImageParams.model_fields["width"].metadata if hasattr(m, kind))


MIN_SIDE, MAX_SIDE = _side_bound("ge"), _side_bound("le")
# What the UI offers for a remote model's size: about 1024x1024 in multiples of 8 (the provider maps
# width and height to its own size or aspect input).
REMOTE_BASE_SIDE, REMOTE_SIZE_MULTIPLE = 1024, 8


class AspectSize(BaseModel):
    width: int
    height: int


def _aspect_sizes(base_side: int, multiple: int) -> dict[str, AspectSize]:
    return {r: AspectSize(width=w, height=h) for r, (w, h) in aspect_sizes(base_side, multiple).items()}


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
    min_size: int | None = Field(None, description="image models only: the smallest width or height")
    max_size: int | None = Field(None, description="image models only: the largest width or height")
    aspect_sizes: dict[str, AspectSize] | None = Field(
        None, description="image models only: width and height per aspect preset (what `aspect_ratio` gives)"
    )

    @model_validator(mode="after")
    def _size_rules(self) -> LocalModelInfo:
        # Set (not defaulted) so that the routes' exclude_unset keeps them.
        if self.size_multiple and self.default_width and self.default_height:
            self.min_size, self.max_size = MIN_SIDE, MAX_SIDE
            base = int((self.default_width * self.default_height) ** 0.5)
            self.aspect_sizes = _aspect_sizes(base, self.size_multiple)
        return self

    # The seed's ModelInfo names (shared/notes/seed-api.md), derived from the fields above.
    @computed_field
    @property
    def is_cached(self) -> bool:
        return self.downloaded

    @computed_field
    @property
    def requires_approval(self) -> bool:
        return self.gated

    @computed_field
    @property
    def approval_url(self) -> str | None:
        return f"https://huggingface.co/{self.path}" if self.gated and self.source == "hub" else None

    @computed_field
    @property
    def hf_path(self) -> str | None:
        return self.path if self.source == "hub" else None


class LocalModelDetail(LocalModelInfo):
    """A catalogue entry with its files: `/api/models/detailed`."""

    cache_size_bytes: int
    last_used: float | None
    location: str | None

    @computed_field
    @property
    def cached_size_mb(self) -> float:
        return round(self.cache_size_bytes / 2**20, 1)

    @computed_field
    @property
    def actual_size_gb(self) -> float | None:
        return round(self.cache_size_bytes / 2**30, 3) if self.cache_size_bytes else None

    @computed_field
    @property
    def estimated_size_gb(self) -> float:
        return self.size_gb

    @computed_field
    @property
    def last_accessed(self) -> float | None:
        return self.last_used


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
    size_multiple: int = Field(REMOTE_SIZE_MULTIPLE, description="the sizes offered are multiples of this")
    min_size: int = MIN_SIDE
    max_size: int = MAX_SIDE
    aspect_sizes: dict[str, AspectSize] = Field(
        default_factory=lambda: _aspect_sizes(REMOTE_BASE_SIDE, REMOTE_SIZE_MULTIPLE),
        description="width and height per aspect preset",
    )
    studio_params: dict[str, str] = Field(
        default_factory=dict,
        description="the model's inputs the studio fills from a job's own fields: input name -> the field "
        '(prompt, negative_prompt, seed, duration, num_images, steps, guidance_scale, strength, or "reference_images" '
        "for the inputs that take the reference images); the model's other inputs go in provider_params",
    )
    thumbnail_url: str | None

    # The seed's ModelInfo fields, which a remote model has no value for (computed: always sent).
    @computed_field
    @property
    def default_steps(self) -> int | None:
        return None

    @computed_field
    @property
    def default_guidance(self) -> float | None:
        return None

    @computed_field
    @property
    def size_gb(self) -> float | None:
        return None

    @computed_field
    @property
    def requires_approval(self) -> bool:
        return False

    @computed_field
    @property
    def approval_url(self) -> str | None:
        return None

    @computed_field
    @property
    def is_cached(self) -> bool:
        return True

    @computed_field
    @property
    def hf_path(self) -> str | None:
        return None


AnyModelInfo = Annotated[LocalModelInfo | RemoteModelInfo, Field(discriminator="type")]


class ModelList(BaseModel):
    """`/api/models`: local and remote models; `current_model` is the model loaded most recently."""

    models: list[AnyModelInfo]
    current_model: str | None
    loaded_models: list[str]


class DetailedModelList(BaseModel):
    models: list[LocalModelDetail]


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
    cache_dir: str = Field(description="the Hugging Face hub cache folder")

    # The seed's CacheStatusResponse names.
    @computed_field
    @property
    def total_size_gb(self) -> float:
        return round(self.hub_cache_bytes / 2**30, 3)

    @computed_field
    @property
    def num_models(self) -> int:
        return len(self.downloaded)

    @computed_field
    @property
    def num_datasets(self) -> int:
        return 0


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


class CacheDeleted(BaseModel):
    model_id: str
    freed_bytes: int
    also_removed_for: list[str] = Field(description="other catalogue ids sharing the same hub files")
    success: bool = True
    error: str | None = None

    @computed_field
    @property
    def freed_mb(self) -> float:
        return round(self.freed_bytes / 2**20, 1)


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
    recommended_models: list[str] = Field(
        default_factory=list, description="when it cannot run: models of the same kind that fit in memory here"
    )

    @computed_field(description='the seed\'s summary: "ok" or "insufficient_resources"')
    @property
    def status(self) -> str:
        return "ok" if self.can_generate else "insufficient_resources"


system_router = APIRouter(prefix="/api/system", tags=["system"])


def studio_params(provider: HttpProvider, model: RemoteModel) -> dict[str, str]:
    """Which of a remote model's inputs the studio fills itself (the mapping HttpProvider.validate and
    plan_images make for a request), so that the UI offers only the others as provider parameters."""
    names = {p.name for p in model.params}
    mapped: dict[str, str] = {}
    for field in STUDIO_FIELDS:
        name = next((c for c in provider.field_names.get(field, ()) if c in names), None)
        if name and field != "image_url":  # a request's image_url fills the image inputs, as reference_images do
            mapped.setdefault(name, field)
    for name in plan_images(model, 5, provider.default_image_field, strict=False).fields:
        if name in names:
            mapped[name] = "reference_images"
    return mapped


def _remote_models(studio: Studio, kind: str | None) -> list[dict[str, Any]]:
    described = studio.remote.describe_models(kind)
    listed = {
        (pid, m.id): (provider, m)
        for pid, provider in studio.remote.providers.items()
        if pid in {d["provider"] for d in described}
        for m in provider.list_models()
    }
    remote_sizes = _aspect_sizes(REMOTE_BASE_SIDE, REMOTE_SIZE_MULTIPLE)
    for d in described:
        found = listed.get((d["provider"], d["id"]))
        d["studio_params"] = studio_params(*found) if found else {}
        # Given (not defaulted), so that the route's exclude_unset sends them.
        d.update(size_multiple=REMOTE_SIZE_MULTIPLE, min_size=MIN_SIDE, max_size=MAX_SIDE, aspect_sizes=remote_sizes)
    return described


@router.get("", response_model=ModelList, response_model_exclude_unset=True)
def list_models(kind: Literal["image", "video"] | None = None, studio: Studio = Depends(get_studio)) -> ModelList:
    models = studio.image_engine.list_models(kind=kind) + _remote_models(studio, kind)  # remote: issue 9
    loaded = studio.image_engine.loaded_models()
    return ModelList(models=models, current_model=loaded[-1] if loaded else None, loaded_models=loaded)


@router.get("/config-problems", response_model=ConfigProblems)
def config_problems(studio: Studio = Depends(get_studio)) -> ConfigProblems:
    """What in the user's config.yaml the studio could not use: the file as a whole (`errors`: not YAML,
    not UTF-8, a folder) or single entries (`skipped`, each with its reason). Both are logged at start-up."""
    return studio.image_engine.catalog.problems()


@router.get("/detailed", response_model=DetailedModelList, response_model_exclude_unset=True)
def list_models_detailed(
    kind: Literal["image", "video"] | None = None, studio: Studio = Depends(get_studio)
) -> DetailedModelList:
    return DetailedModelList(models=studio.image_engine.list_models(kind=kind, detailed=True))


@router.get("/cache-status", response_model=CacheStatus)
def cache_status(studio: Studio = Depends(get_studio)) -> CacheStatus:
    from huggingface_hub import constants

    return CacheStatus(**studio.image_engine.cache_status(), cache_dir=str(constants.HF_HUB_CACHE))


@router.get("/schedulers")
def schedulers() -> list[dict[str, Any]]:
    return scheduler_choices()


@router.get("/downloads", response_model=list[ModelDownload])
def downloads(studio: Studio = Depends(get_studio)) -> list[dict[str, Any]]:
    """Model download jobs, newest first (a list, as the seed answered)."""
    jobs, _ = studio.jobs.list(JobQuery(kind="model.download", limit=100))
    return studio.jobs.views.many(jobs)


@router.post("/{model_id}/download", response_model=DownloadStarted, status_code=201)
def download(model_id: str, studio: Studio = Depends(get_studio)) -> DownloadStarted:
    entry = studio.image_engine.catalog.get(model_id)  # 404 for an unknown id
    # Only the hub cache on disk is read: this answers at once, even while the warm-up imports torch.
    if entry.source == "hub" and studio.image_engine.hub.is_downloaded(entry):
        return DownloadStarted(status="already_cached", model_id=model_id, message=f"{model_id} is already here")
    job = studio.jobs.submit("model.download", {"model": model_id})
    return DownloadStarted(job_id=job.id, status="downloading", model_id=model_id, message=f"downloading {model_id}")


@router.delete("/{model_id}/cache", response_model=CacheDeleted)
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
def can_generate(model_id: str, studio: Studio = Depends(get_studio)) -> CanGenerate:
    answer = CanGenerate(**studio.image_engine.can_generate(model_id))
    answer.recommended_models = []
    if not answer.can_generate and answer.available_gb is not None:
        entry = studio.image_engine.catalog.get(model_id)
        fits = [
            m["id"]
            for m in studio.image_engine.list_models(kind="video" if entry.is_video else "image")
            if m["id"] != model_id and m["memory_gb"] <= answer.available_gb
        ]
        answer.recommended_models = sorted(fits)
    return answer


routers = [router, system_router]
