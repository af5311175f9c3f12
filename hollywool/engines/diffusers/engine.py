"""The local diffusers engine: catalogue, model cache, LoRAs, downloads, and its job kinds.

This is the facade the studio and the routers talk to. Torch and diffusers are imported on the first
local job (or the first question that needs the device), never when the studio starts.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from hollywool.engines.diffusers import memory
from hollywool.engines.diffusers.cache import CachedModel, ModelCache
from hollywool.engines.diffusers.catalog import IMAGE_TYPES, Catalog, ModelEntry
from hollywool.engines.diffusers.downloads import HubModels, Throttle
from hollywool.engines.diffusers.families import FAMILIES
from hollywool.engines.diffusers.image_job import ImageJob
from hollywool.engines.diffusers.image_params import ImageParams
from hollywool.engines.diffusers.loading import load_pipeline, model_files
from hollywool.engines.diffusers.loras import LoraLibrary
from hollywool.engines.diffusers.references import ReferenceImages
from hollywool.errors import InvalidInputError, StudioError
from hollywool.jobs.context import JobContext
from hollywool.jobs.events import DownloadProgress, EventBus, ModelLoaded, ModelUnloaded
from hollywool.jobs.kinds import JobKind, KindRegistry
from hollywool.media.assets import AssetService
from hollywool.settings import Settings
from hollywool.storage.preferences import PreferencesRepository

log = logging.getLogger("hollywool.diffusers")
GB = memory.GB


class DownloadParams(BaseModel):
    model: str = Field(min_length=1)


class DiffusersEngine:
    def __init__(
        self,
        settings: Settings,
        bus: EventBus,
        preferences: PreferencesRepository,
        assets: AssetService | None = None,
    ):
        self.settings = settings
        self.bus = bus
        self.preferences = preferences
        self.catalog = Catalog(settings.data_dir / "config.yaml")
        self.hub = HubModels(timeout_s=settings.hub_timeout_s)
        self.cache = ModelCache(self.memory_budget, self._evicted)
        self.loras = LoraLibrary([(d, "loras") for d in settings.lora_dirs] + [(settings.civitai_dir, "civitai")])
        self.references = ReferenceImages(settings.data_dir / "uploads", assets) if assets else None
        self.configs_root = settings.data_dir / "configs"
        self.image_job = ImageJob(self)
        self._device = None
        self._load_lock = threading.Lock()
        self._oom_models: set[str] = set()

    def register(self, kinds: KindRegistry, add_network_lane: Callable[[str, int], str] | None = None) -> None:
        kinds.register(JobKind("image", ImageParams, self.image_job.run, check=self.image_job.prepare))
        if add_network_lane is not None:
            lane = add_network_lane("downloads", 2)
            kinds.register(
                JobKind(
                    "model.download",
                    DownloadParams,
                    self.run_download,
                    lane=lambda _p: lane,
                    check=self._check_download,
                )
            )

    # -- device and memory ---------------------------------------------------------------------
    @property
    def device(self):  # noqa: ANN201
        if self._device is None:
            from hollywool.engines import warmup
            from hollywool.engines.diffusers.device import pick_device

            warmup.wait()  # torch may be half-imported by the warm-up thread

            self._device = pick_device()
        return self._device

    def memory_budget(self) -> int:
        """Bytes that cached pipelines may hold: the user's setting, the environment, or measured."""
        chosen = self.preferences.get().memory_budget_gb or self.settings.memory_budget_gb
        if chosen:
            return int(chosen * GB)
        return memory.default_budget(memory.memory_info(self.device.device))

    def plan_for(self, model_bytes: int, largest: int, pixels: int, model_id: str) -> memory.MemoryPlan:
        info = memory.memory_info(self.device.device)
        others = sum(i["size_bytes"] for i in self.cache.infos() if i["model_id"] != model_id)
        available = min(info.free_bytes, self.memory_budget() - others)
        if model_id in self._oom_models:  # it ran out of memory before: leave more room this time
            available //= 2
        return memory.plan_memory(model_bytes, largest, available, pixels, on_cpu=self.device.device == "cpu")

    # -- models --------------------------------------------------------------------------------
    def loaded_models(self) -> list[str]:
        return self.cache.ids()

    def acquire(self, entry: ModelEntry, ctx: JobContext, pixels: int) -> CachedModel:
        """The entry's pipeline from the cache, downloading and loading it first when needed."""
        cached = self.cache.get(entry.id)
        if cached is not None:
            return cached
        with self._load_lock:
            cached = self.cache.get(entry.id)
            if cached is not None:
                return cached
            if entry.source == "hub" and not self.hub.is_downloaded(entry):
                ctx.set_stage("downloading", f"Downloading {entry.name}")
                self.hub.download(entry, Throttle(self._download_reporter(ctx, entry)))
            ctx.set_stage("loading", f"Loading {entry.name}")
            self.cache.make_room(self.estimate_bytes(entry))  # evict first, so the peak stays in budget
            started = time.monotonic()
            pipe = load_pipeline(entry, FAMILIES.get(entry.type), self.hub, self.configs_root, self.device.dtype)
            size, largest = memory.module_bytes(pipe)
            plan = self.plan_for(size, largest, pixels, entry.id)
            memory.apply_placement(pipe, plan.placement, self.device.device)
            cached = CachedModel(
                entry.id, pipe, size, largest, plan.placement, self.device.device, default_scheduler=pipe.scheduler
            )
            self.cache.put(cached)
        self.bus.publish(ModelLoaded(model_id=entry.id, device=self.device.device, seconds=time.monotonic() - started))
        return cached

    def set_vae_tiling(self, pipe, cached: CachedModel, pixels: int) -> None:  # noqa: ANN001
        memory.set_vae_tiling(pipe, cached.placement != "device" or pixels >= 1536 * 1536)

    def estimate_bytes(self, entry: ModelEntry) -> int:
        loaded = self.cache.get(entry.id)
        if loaded:
            return loaded.size_bytes
        location = model_files(entry, self.hub)
        if location is not None:
            files = [location] if location.is_file() else location.rglob("*.safetensors")
            on_disk = sum(f.stat().st_size for f in files)
            if on_disk:
                return on_disk
        return int(entry.memory_gb * GB)

    def unload(self, model_id: str | None = None) -> list[str]:
        return self.cache.remove(model_id, reason="unloaded")

    def _evicted(self, model_id: str, reason: str) -> None:
        self.bus.publish(ModelUnloaded(model_id=model_id, reason=reason))

    def out_of_memory(self, entry: ModelEntry, cached: CachedModel, width: int, height: int, count: int) -> StudioError:
        self._oom_models.add(entry.id)
        self.cache.remove(reason="out of memory")
        tips = ["a smaller size", "fewer images per job"]
        if cached.placement == "device" and cached.device != "cpu":
            tips.append("running it again (the studio will offload parts of the model to system memory)")
        tips.append("a lighter model")
        return StudioError(
            f"Out of memory while generating {count} image(s) of {width}x{height} with {entry.id} "
            f"(placement: {cached.placement}). Try {', '.join(tips)}. Loaded models were unloaded to free memory."
        )

    def close(self) -> None:
        self.cache.remove(reason="shutdown")

    # -- questions the UI asks -----------------------------------------------------------------
    def describe(self, entry: ModelEntry, *, detailed: bool = False, usage: dict | None = None) -> dict[str, Any]:
        family = FAMILIES.get(entry.type)
        location = model_files(entry, self.hub)
        data: dict[str, Any] = {
            **entry.model_dump(exclude={"extra", "config"}),
            "source": entry.source,
            "is_video": entry.is_video,
            "downloaded": location is not None,
            "loaded": entry.id in self.cache.ids(),
        }
        if family:
            data.update(
                size_multiple=family.size_multiple,
                supports_negative_prompt=family.negative_prompt,
                schedulers=["default", *family.schedulers],
                default_width=entry.default_width or family.default_size,
                default_height=entry.default_height or family.default_size,
            )
        if detailed:
            cached = next((i for i in self.cache.infos() if i["model_id"] == entry.id), None)
            hub_usage = (usage or {}).get(entry.path, {}) if entry.source == "hub" else {}
            if entry.source != "hub" and location is not None:
                files = [location] if location.is_file() else [p for p in location.rglob("*") if p.is_file()]
                hub_usage = {"size_bytes": sum(f.stat().st_size for f in files), "last_accessed": None}
            data.update(
                cache_size_bytes=hub_usage.get("size_bytes", 0),
                last_used=max(
                    [t for t in (hub_usage.get("last_accessed"), (cached or {}).get("last_used")) if t], default=None
                ),
                location=str(location) if location else None,
            )
        return data

    def list_models(self, *, kind: str | None = None, detailed: bool = False) -> list[dict[str, Any]]:
        usage = self.hub.cache_usage() if detailed else None
        entries = [e for e in self.catalog.all() if kind is None or (kind == "video") == e.is_video]
        return [self.describe(e, detailed=detailed, usage=usage) for e in entries]

    def cache_status(self) -> dict[str, Any]:
        status = self.cache.status()
        usage = self.hub.cache_usage()
        status["hub_cache_bytes"] = sum(u["size_bytes"] for u in usage.values())
        status["downloaded"] = sorted(e.id for e in self.catalog.all() if e.source == "hub" and e.path in usage)
        return status

    def delete_cache(self, model_id: str) -> dict[str, Any]:
        entry = self.catalog.get(model_id)
        if entry.source != "hub":
            raise InvalidInputError(f"{model_id} is a local {entry.source}; the studio does not delete your files")
        self.unload(model_id)
        sharing = sorted(e.id for e in self.catalog.all() if e.path == entry.path and e.id != model_id)
        return {"model_id": model_id, "freed_bytes": self.hub.delete([entry.path]), "also_removed_for": sharing}

    def can_generate(self, model_id: str) -> dict[str, Any]:
        entry = self.catalog.get(model_id)
        answer: dict[str, Any] = {"model_id": model_id, "can_generate": False, "loaded": entry.id in self.cache.ids()}
        if entry.type not in IMAGE_TYPES:
            return {**answer, "reason": f"{entry.type} models run on the video engine, which is not installed yet"}
        downloaded = model_files(entry, self.hub) is not None
        answer["downloaded"] = downloaded
        needed = self.estimate_bytes(entry)
        info = memory.memory_info(self.device.device)
        budget = self.memory_budget()
        plan = self.plan_for(needed, int(needed * 0.6), 1024 * 1024, entry.id)
        answer.update(
            required_gb=round(needed / GB, 3),
            available_gb=round(min(info.free_bytes, budget) / GB, 3),
            budget_gb=round(budget / GB, 3),
            device=self.device.device,
            memory_kind=info.kind,
            plan=plan.to_dict(),
        )
        if needed > info.total_bytes and plan.placement == "device":
            return {**answer, "reason": f"needs {needed / GB:.1f} GB; this machine has {info.total_bytes / GB:.1f} GB"}
        if not downloaded and entry.source != "hub":
            return {**answer, "reason": f"{entry.path} does not exist"}
        reason = plan.reason if downloaded else "will download first (" + f"{entry.size_gb:g} GB)"
        return {**answer, "can_generate": True, "reason": reason}

    # -- downloads -----------------------------------------------------------------------------
    def _check_download(self, params: DownloadParams) -> None:
        entry = self.catalog.get(params.model)
        if entry.source != "hub":
            raise InvalidInputError(f"model: {entry.id} is a local {entry.source}; there is nothing to download")

    def _download_reporter(self, ctx: JobContext, entry: ModelEntry) -> Callable[[int, int | None], None]:
        started = time.monotonic()
        first: list[int] = []  # the bytes on disk when this attempt began: the speed counts what arrives

        def report(done: int, total: int | None) -> None:
            ctx.raise_if_cancelled()
            first[:] = first or [done]
            elapsed = max(time.monotonic() - started, 1e-6)
            speed = (done - first[0]) / elapsed
            ctx.progress(done, total or 0, fraction=done / total if total else 0.0)
            ctx.publish(
                DownloadProgress(
                    download_id=ctx.job_id,
                    job_id=ctx.job_id,
                    model_id=entry.id,
                    filename=entry.path,
                    downloaded_bytes=done,
                    total_bytes=total,
                    speed_bps=round(speed, 1),
                    eta_seconds=round((total - done) / speed, 1) if total and speed > 0 else None,
                )
            )

        return report

    def run_download(self, ctx: JobContext, params: DownloadParams) -> dict[str, Any]:
        entry = self.catalog.get(params.model)
        ctx.set_stage("downloading", f"Downloading {entry.name}")
        folder = self.hub.download(entry, Throttle(self._download_reporter(ctx, entry)))
        return {"path": str(folder), "model": entry.id}
