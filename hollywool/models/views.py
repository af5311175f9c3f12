"""What the model manager answers the API with: typed views of catalogue entries, the cache, and fit.

The routers return these as they are. Seed names (shared/notes/seed-api.md) are computed fields,
derived from the fields the studio keeps.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, computed_field, model_validator

from hollywool.models.families import Family, Task
from hollywool.models.sizes import MAX_SIDE, MIN_SIDE, aspect_sizes


class AspectSize(BaseModel):
    width: int
    height: int


def aspect_size_table(base_side: int, multiple: int) -> dict[str, AspectSize]:
    return {r: AspectSize(width=w, height=h) for r, (w, h) in aspect_sizes(base_side, multiple).items()}


class PresetLoraInfo(BaseModel):
    lora_id: str = Field(description="its id in the LoRA folders (GET /api/loras)")
    hub_repo: str | None = Field(description="the Hugging Face repository that publishes the file")
    hub_file: str | None
    weight: float
    into_second_expert: bool = Field(description="Wan 2.2 A14B: loaded into the second (low-noise) expert")


class LoraPresetInfo(BaseModel):
    """A family's LoRA preset: a job's `lora_preset` applies its LoRAs and runs its steps and guidance."""

    id: str
    label: str
    loras: list[PresetLoraInfo]
    steps: int
    guidance: float
    source: str = Field(description="where the steps and guidance come from")


def lora_preset_views(family: Family) -> list[LoraPresetInfo]:
    return [
        LoraPresetInfo(
            id=p.id,
            label=p.label,
            loras=[
                PresetLoraInfo(
                    lora_id=lr.lora_id,
                    hub_repo=lr.hub_repo,
                    hub_file=lr.hub_file,
                    weight=lr.weight,
                    into_second_expert=lr.into_second_expert,
                )
                for lr in p.loras
            ],
            steps=p.steps,
            guidance=p.guidance,
            source=p.source,
        )
        for p in family.lora_presets
    ]


class LocalModelInfo(BaseModel):
    """A catalogue entry as `/api/models` lists it. The routes that answer these leave out the fields a
    model does not have (`exclude_unset`): the family fields are absent for models without an image family."""

    id: str
    name: str
    path: str
    type: str = Field(description="the model family's id (GET /api/models/families)")
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
    text_encoders: list[str] = Field(
        default_factory=list, description="text-encoder files beside a diffusion-model-only file"
    )
    vae: str | None = Field(None, description="a VAE file of its own (split files), replacing a checkpoint's")
    parts: list[str] = Field(
        default_factory=list, description="files of further parts (LTX-2's audio VAE, text connectors) beside it"
    )
    source: Literal["hub", "folder", "file"]
    is_video: bool
    downloaded: bool
    loaded: bool
    family: str | None = Field(None, description="the family's name as a person says it")
    legacy: bool = Field(
        False, description="an outdated family kept working (SD3, Mochi, CogVideoX, SVD): listed last, as Legacy"
    )
    size_multiple: int | None = Field(None, description="image models only")
    supports_negative_prompt: bool | None = Field(None, description="image models only")
    schedulers: list[str] | None = Field(None, description="image models only")
    min_size: int | None = Field(None, description="image models only: the smallest width or height")
    max_size: int | None = Field(None, description="image models only: the largest width or height")
    max_reference_images: int | None = Field(
        None, description="image models only: reference images a job may give (0: it cannot start from an image)"
    )
    modes: list[str] | None = Field(
        None, description="image models only: what a job may do (`mode`): generate, edit, inpaint, outpaint, refine"
    )
    requires_reference_image: bool | None = Field(
        None, description="image models only: true for edit models, which need at least one reference image"
    )
    aspect_sizes: dict[str, AspectSize] | None = Field(
        None, description="image models only: width and height per aspect preset (what `aspect_ratio` gives)"
    )
    lora_presets: list[LoraPresetInfo] | None = Field(
        None, description="the family's LoRA presets (a job's `lora_preset`); absent when it has none"
    )

    @model_validator(mode="after")
    def _size_rules(self) -> LocalModelInfo:
        # Set (not defaulted) so that the routes' exclude_unset keeps them.
        if self.size_multiple and self.default_width and self.default_height:
            self.min_size, self.max_size = MIN_SIDE, MAX_SIDE
            base = int((self.default_width * self.default_height) ** 0.5)
            self.aspect_sizes = aspect_size_table(base, self.size_multiple)
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


class LoadedModel(BaseModel):
    model_id: str
    kind: Literal["pipeline", "upscaler"] = "pipeline"
    size_gb: float
    size_bytes: int = Field(
        description="memory counted for it (components it shares with a model loaded earlier count there)"
    )
    placement: str
    device: str
    loaded_at: float
    last_used: float
    shared_components: list[str] = Field(
        default_factory=list, description="components reused from another loaded model"
    )


class CacheStatus(BaseModel):
    budget_bytes: int
    used_bytes: int
    free_bytes: int
    models: list[LoadedModel] = Field(description="the models loaded now (pipelines and upscalers)")
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


class Unloaded(BaseModel):
    unloaded: list[str] = Field(description="the models this call unloaded")
    loaded: list[str] = Field(description="the models still loaded")


class MemoryPlanInfo(BaseModel):
    placement: str = Field(description="device, model_offload or sequential_offload; none when nothing fits")
    vae_tiling: bool
    required_bytes: int = Field(description="the weights at the chosen precision")
    available_bytes: int
    reason: str = Field(description="why this precision and placement, or why nothing fits and what to do")
    precision: str = Field("", description='the weights as run: "bfloat16", "float32", "fp8"')
    fp8_components: list[str] = Field(default_factory=list, description="components kept in fp8, cast up per layer")
    device_bytes: int = Field(0, description="weights on the device at once")
    fits: bool = True
    best_bytes: int = Field(0, description="the weights in the best precision")


class CanGenerate(BaseModel):
    """Whether a model can run here, and the memory plan it would run with (a video model: no device fields)."""

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


class FamilyInfo(BaseModel):
    """A model family the studio can run: what a catalogue entry's `type` may say."""

    id: str = Field(description="the canonical id (a catalogue entry's `type`)")
    label: str
    aliases: list[str] = Field(description="other names accepted in config.yaml")
    medium: Literal["image", "video"]
    tasks: dict[Task, str] = Field(description="the diffusers pipeline class per task")
    single_file: bool = Field(description="whether single-file checkpoints of it are recognised")
    single_file_config: str | None = Field(description="the shipped config that loads its single files offline")
    civitai_base_models: list[str]
    lora_bases: dict[str, str]
    lora_presets: list[LoraPresetInfo] = Field(default_factory=list[LoraPresetInfo])
    legacy: bool = Field(False, description="an outdated family kept working, shown in a Legacy group")


class SchedulerInfo(BaseModel):
    name: str
    label: str
    model_types: list[str] = Field(description="the families that offer it")


class FolderFile(BaseModel):
    """A weights file found in a models folder, identified from its header."""

    path: str
    role: Literal["checkpoint", "diffusion_model", "text_encoder", "vae", "lora"]
    family: str | None = Field(description="the family it belongs to (a LoRA: the family it fits); null: not told")
    detail: str
    precision: str = Field(description="bf16, fp16, fp32, fp8, or a GGUF type (Q8_0, Q4_K ...)")
    size_bytes: int
    model_id: str | None = Field(description="its catalogue id, when it is usable as a model")
    problem: str | None = Field(description="why it is not usable as it is")
    text_encoders: list[str] = Field(description="the text-encoder files paired with a diffusion model")
    vae: str | None = Field(description="the VAE file paired with a diffusion model")
    parts: list[str] = Field(
        default_factory=list, description="files of further parts paired with it (LTX-2's audio VAE, text connectors)"
    )


class ModelFolderInfo(BaseModel):
    """A ComfyUI or A1111/Forge `models` folder whose files are used in place."""

    path: str = Field(description="the folder as named")
    root: str = Field(description="the `models` folder scanned (the named one or its `models/` subfolder)")
    layout: Literal["comfyui", "a1111"]
    from_env: bool = Field(description="named in HOLLYWOOL_MODEL_FOLDERS (removed there, not through the API)")
    files: list[FolderFile]


class ModelFolderRequest(BaseModel):
    path: str = Field(description="absolute path of a ComfyUI or A1111/Forge `models` folder (or the app's folder)")
