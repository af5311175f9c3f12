"""What the API asks the model manager: the catalogue as the UI shows it, the caches, fit, downloads.

Every answer is a typed view (`views.py`) that the router returns as is. Questions that only read
files answer at once; those that need the device (`can_generate`) wait for torch.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from pydantic import BaseModel, Field

from hollywool.errors import InvalidInputError, NotFoundError
from hollywool.jobs.context import JobContext
from hollywool.jobs.kinds import JobKind, KindRegistry
from hollywool.models import families, memory
from hollywool.models.catalog import ModelEntry
from hollywool.models.loading import model_files
from hollywool.models.manager import GB, ModelManager
from hollywool.models.model_folders import ModelFolder, models_root
from hollywool.models.schedulers import SCHEDULERS
from hollywool.models.views import (
    CacheDeleted,
    CacheStatus,
    CanGenerate,
    FamilyInfo,
    FolderFile,
    LoadedModel,
    LocalModelDetail,
    LocalModelInfo,
    MemoryPlanInfo,
    ModelFolderInfo,
    SchedulerInfo,
    Unloaded,
    lora_preset_views,
)

CONTROL_DOWNLOAD = "control.download"


class DownloadParams(BaseModel):
    model: str = Field(min_length=1)


class DownloadResult(BaseModel):
    path: str
    model: str


class ControlDownloadParams(BaseModel):
    model: str = Field(min_length=1, description="a preprocessor or ControlNet of the control catalogue")


class ControlDownloadResult(BaseModel):
    model: str
    paths: list[str] = Field(description="the model's folder or file, then its detector's (if it runs one)")


class ModelService:
    def __init__(self, manager: ModelManager):
        self.manager = manager
        self.catalog = manager.catalog

    def register(self, kinds: KindRegistry, add_network_lane: Callable[[str, int], str]) -> None:
        lane = add_network_lane("downloads", 2)
        kinds.register(
            JobKind(
                "model.download",
                DownloadParams,
                self.run_download,
                lane=lambda _p: lane,
                check=self._check_download,
                label="Model download",
            )
        )
        kinds.register(
            JobKind(
                CONTROL_DOWNLOAD,
                ControlDownloadParams,
                self.run_control_download,
                lane=lambda _p: lane,
                check=self._check_control_download,
                label="Control model download",
                title=self._control_download_title,
            )
        )

    # -- the catalogue ---------------------------------------------------------------------------
    def describe(self, entry: ModelEntry, usage: dict[str, dict[str, Any]] | None = None) -> LocalModelInfo:
        """The entry as the UI lists it; with `usage` (the hub cache's), also where its files are."""
        family = entry.family
        location = model_files(entry, self.manager.hub)
        data: dict[str, Any] = {
            **entry.model_dump(exclude={"extra", "config"}),
            "source": entry.source,
            "is_video": entry.is_video,
            "downloaded": location is not None,
            "loaded": self.manager.is_loaded(entry.id),
            # A video model's own form where its family has several (Wan 2.2 TI2V-5B, LTX-2.3).
            "family": family.for_model(entry.model_path, entry.extra).label
            if isinstance(family, families.VideoFamily)
            else family.label,
            "legacy": family.legacy,
        }
        if isinstance(family, families.ImageFamily):
            data.update(
                size_multiple=family.size_multiple,
                supports_negative_prompt=family.negative_prompt,
                schedulers=["default", *family.schedulers],
                default_width=entry.default_width or family.default_size,
                default_height=entry.default_height or family.default_size,
                max_reference_images=family.max_references if family.takes_references else 0,
                requires_reference_image=not family.text_to_image,
                modes=family.modes,
            )
        if family.lora_presets:
            data["lora_presets"] = lora_preset_views(family)
        if usage is None:
            return LocalModelInfo(**data)
        cached = self.manager.cache.peek(entry.id)
        files_usage: dict[str, Any] = usage.get(entry.path, {}) if entry.source == "hub" else {}
        if entry.source != "hub" and location is not None:
            files = [location] if location.is_file() else [p for p in location.rglob("*") if p.is_file()]
            files_usage = {"size_bytes": sum(f.stat().st_size for f in files), "last_accessed": None}
        used = [t for t in (files_usage.get("last_accessed"), cached.last_used if cached else None) if t]
        return LocalModelDetail(
            **data,
            cache_size_bytes=files_usage.get("size_bytes", 0),
            last_used=max(used, default=None),
            location=str(location) if location else None,
        )

    def _entries(self, kind: str | None) -> list[ModelEntry]:
        """The catalogue's entries of one kind; current families first, legacy ones last (each in catalogue order)."""
        entries = [e for e in self.catalog.all() if kind is None or (kind == "video") == e.is_video]
        return sorted(entries, key=lambda e: e.family.legacy)

    def list_models(self, kind: str | None = None) -> list[LocalModelInfo]:
        return [self.describe(e) for e in self._entries(kind)]

    def list_detailed(self, kind: str | None = None) -> list[LocalModelDetail]:
        usage = self.manager.hub.cache_usage()
        return [d for e in self._entries(kind) if isinstance(d := self.describe(e, usage), LocalModelDetail)]

    def families(self) -> list[FamilyInfo]:
        return [
            FamilyInfo(
                id=f.type,
                label=f.label,
                aliases=list(f.aliases),
                medium=f.medium,
                tasks=f.tasks,
                single_file=f.single_file is not None,
                single_file_config=f.single_file.config if f.single_file else None,
                civitai_base_models=list(f.civitai_base_models),
                lora_bases=dict(f.lora_bases),
                lora_presets=lora_preset_views(f),
                legacy=f.legacy,
            )
            for f in families.REGISTRY.all()
        ]

    @staticmethod
    def schedulers() -> list[SchedulerInfo]:
        image = families.image_families()
        return [
            SchedulerInfo(
                name=s.name, label=s.label, model_types=[t for t, f in image.items() if s.name in f.schedulers]
            )
            for s in SCHEDULERS.values()
        ]

    # -- the caches ------------------------------------------------------------------------------
    def loaded_models(self) -> list[str]:
        return self.manager.loaded_models()

    def cache_status(self) -> CacheStatus:
        from huggingface_hub import constants

        status = self.manager.cache.status()
        usage = self.manager.hub.cache_usage()
        return CacheStatus(
            budget_bytes=status["budget_bytes"],
            used_bytes=status["used_bytes"],
            free_bytes=status["free_bytes"],
            models=[LoadedModel(**m) for m in status["models"]],
            hub_cache_bytes=sum(u["size_bytes"] for u in usage.values()),
            downloaded=sorted(
                e.id for e in self.catalog.all() if e.source == "hub" and e.path in usage and self._whole(e)
            ),
            cache_dir=str(constants.HF_HUB_CACHE),
        )

    def _whole(self, entry: ModelEntry) -> bool:
        """Whether a hub model whose repo is cached has all its files: split files (`files:`) share a repo with
        other models' files, so the repo alone does not say."""
        return not entry.files or model_files(entry, self.manager.hub) is not None

    def unload(self, model_id: str | None = None) -> Unloaded:
        if model_id is not None:
            self.catalog.get(model_id)  # 404 for an unknown id
        return Unloaded(unloaded=self.manager.unload(model_id), loaded=self.manager.loaded_models())

    def delete_cache(self, model_id: str) -> CacheDeleted:
        entry = self.catalog.get(model_id)
        if entry.source != "hub":
            raise InvalidInputError(f"{model_id} is a local {entry.source}; the studio does not delete your files")
        self.manager.unload(model_id)
        sharing = sorted(e.id for e in self.catalog.all() if e.path == entry.path and e.id != model_id)
        freed = self.manager.hub.delete([entry.path])
        return CacheDeleted(model_id=model_id, freed_bytes=freed, also_removed_for=sharing)

    # -- fit -------------------------------------------------------------------------------------
    def can_generate(self, model_id: str) -> CanGenerate:
        entry = self.catalog.get(model_id)
        answer = self._fit(entry)
        answer.recommended_models = []  # set, so that the route's exclude_unset sends it
        if not answer.can_generate and answer.available_gb is not None:
            answer.recommended_models = sorted(
                m.id
                for m in self.list_models("video" if entry.is_video else "image")
                if m.id != model_id and m.memory_gb <= answer.available_gb
            )
        return answer

    def _fit(self, entry: ModelEntry) -> CanGenerate:
        manager = self.manager
        cached = manager.cache.peek(entry.id)
        loaded = self.manager.is_loaded(entry.id)
        downloaded = model_files(entry, manager.hub) is not None
        if entry.is_video:  # video jobs are checked against the free memory at their size (see engines/video)
            plan = cached.plan if cached and cached.plan else manager.plan_for(entry, 0, now=True)
            room = manager.room_bytes()
            needed = int(memory.video_estimate_gb(entry.memory_gb, 1, 1, plan.device_share) * GB)
            fits = plan.fits and needed <= room
            if not plan.fits:
                reason = f"{entry.name} {plan.reason}"
            elif not downloaded and entry.source != "hub":
                reason = f"{entry.path} does not exist"
            elif not fits:
                reason = f"needs about {needed / GB:.1f} GB at its default size; {room / GB:.1f} GB can be freed here"
            else:
                reason = plan.reason if downloaded else f"will download first ({entry.size_gb:g} GB); {plan.reason}"
            return CanGenerate(
                model_id=entry.id,
                can_generate=fits and (downloaded or entry.source == "hub"),
                loaded=loaded,
                reason=reason,
                downloaded=downloaded,
                required_gb=round(needed / GB, 3),
                available_gb=round(room / GB, 3),
                plan=MemoryPlanInfo(**plan.to_dict()),
            )
        largest = manager.largest_worker()
        if largest is not None:  # jobs run on GPU workers: the largest one's budget, as the submit check reads it
            plan = cached.plan if cached and cached.plan else manager.plan_for(entry, 1024 * 1024, now=True)
            device, kind, budget, available = largest.device, largest.kind, largest.budget_bytes, largest.budget_bytes
        else:
            info = manager.device_memory()
            plan = cached.plan if cached and cached.plan else manager.plan_for(entry, 1024 * 1024)
            device, kind, budget = manager.device.device, info.kind, manager.memory_budget()
            available = min(info.free_bytes, budget)
        answer = CanGenerate(
            model_id=entry.id,
            can_generate=False,
            loaded=loaded,
            reason="",
            downloaded=downloaded,
            required_gb=round(plan.required_bytes / GB, 3),
            available_gb=round(available / GB, 3),
            budget_gb=round(budget / GB, 3),
            device=device,
            memory_kind=kind,
            plan=MemoryPlanInfo(**plan.to_dict()),
        )
        if not plan.fits:
            answer.reason = f"{entry.name} {plan.reason}"
        elif not downloaded and entry.source != "hub":
            answer.reason = f"{entry.path} does not exist"
        else:
            answer.can_generate = True
            answer.reason = plan.reason if downloaded else f"will download first ({entry.size_gb:g} GB); {plan.reason}"
        return answer

    # -- downloads -------------------------------------------------------------------------------
    def _check_download(self, params: DownloadParams) -> None:
        entry = self.catalog.get(params.model)
        if entry.source != "hub":
            raise InvalidInputError(f"model: {entry.id} is a local {entry.source}; there is nothing to download")

    def run_download(self, ctx: JobContext, params: DownloadParams) -> DownloadResult:
        entry = self.catalog.get(params.model)
        folder = self.manager.download(ctx, entry)
        return DownloadResult(path=str(folder), model=entry.id)

    def _control_download_title(self, params: ControlDownloadParams) -> str | None:
        try:
            return f"Download {self.manager.controls.get(params.model).name}"
        except NotFoundError:  # removed from the user's config since
            return None

    def _check_control_download(self, params: ControlDownloadParams) -> None:
        model = self.manager.controls.get(params.model)  # 404 naming `model` for an unknown id
        if model.path:
            raise InvalidInputError(f"model: {model.id} is a local model; there is nothing to download", field="model")

    def run_control_download(self, ctx: JobContext, params: ControlDownloadParams) -> ControlDownloadResult:
        model = self.manager.controls.get(params.model)
        paths = self.manager.download_controls(ctx, model)
        return ControlDownloadResult(model=model.id, paths=[str(p) for p in paths])

    # -- models folders --------------------------------------------------------------------------
    def model_folders(self) -> list[ModelFolderInfo]:
        return [folder_info(f) for f in self.manager.folders.refresh()]

    def add_model_folder(self, path: str) -> ModelFolderInfo:
        return folder_info(self.manager.folders.add(path))

    def remove_model_folder(self, path: str) -> list[ModelFolderInfo]:
        return [folder_info(f) for f in self.manager.folders.remove(path)]

    def check_model_folders(self, paths: object) -> None:
        """What the settings' `model_folders` may hold: models folders (a 422 naming the field otherwise)."""
        if not isinstance(paths, list):
            raise InvalidInputError("model_folders: must be a list of folder paths", field="model_folders")
        for i, path in enumerate(cast(list[object], paths)):
            try:
                models_root(Path(str(path)).expanduser())
            except InvalidInputError as exc:
                raise InvalidInputError(f"model_folders[{i}]: {exc.message}", field="model_folders") from None


def folder_info(folder: ModelFolder) -> ModelFolderInfo:
    files = [
        FolderFile(
            path=str(f.path),
            role=f.role,
            family=f.family,
            detail=f.detail,
            precision=f.precision,
            size_bytes=f.size_bytes,
            model_id=f.model_id,
            problem=f.problem,
            text_encoders=[str(p) for p in f.text_encoders],
            vae=str(f.vae) if f.vae else None,
            parts=[str(p) for p in f.parts],
        )
        for f in folder.files
    ]
    return ModelFolderInfo(
        path=str(folder.path), root=str(folder.root), layout=folder.layout, from_env=folder.from_env, files=files
    )
