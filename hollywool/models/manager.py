"""The model manager: every local model the studio runs, from catalogue entry to a loaded, placed module.

It owns the catalogue (shipped, the user's config.yaml, Civitai downloads), the hub cache, resolving
an id to files, loading through the family's pipeline class, one least-recently-used cache under one
memory budget for image and video pipelines and upscalers alike (components with the same weights
are loaded once and shared), device placement and offload plans, and the LoRA library.

Jobs reach it only through their context (`ctx.models`). Torch and diffusers are imported on the
first load (or the first question that needs the device), never when the studio starts.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hollywool.errors import StudioError
from hollywool.jobs.events import DownloadProgress, EventBus, ModelLoaded, ModelUnloaded
from hollywool.models import memory
from hollywool.models.cache import CachedModel, Component, ComponentKey, ModelCache
from hollywool.models.catalog import Catalog, ModelEntry
from hollywool.models.device import DevicePlan
from hollywool.models.hub import HubModels, Throttle
from hollywool.models.loading import entry_files, load_pipeline, model_files
from hollywool.models.loras import LoraLibrary
from hollywool.models.model_folders import ModelFolders
from hollywool.models.quantized import keeps_fp8
from hollywool.models.reporting import LoadReport
from hollywool.models.split_files import memory_bytes
from hollywool.models.upscalers import UpscalerCatalog, UpscalerModel
from hollywool.settings import Settings
from hollywool.storage.preferences import PreferencesRepository

log = logging.getLogger("hollywool.models")
GB = memory.GB
_UPSCALER = "upscaler:"  # cache ids of upscalers, apart from the catalogue's ids


class ModelManager:
    def __init__(self, settings: Settings, bus: EventBus, preferences: PreferencesRepository):
        self.settings = settings
        self.bus = bus
        self.preferences = preferences
        self.catalog = Catalog(settings.data_dir / "config.yaml")
        self.hub = HubModels(timeout_s=settings.hub_timeout_s)
        self.cache = ModelCache(self.memory_budget, self._evicted)
        self.loras = LoraLibrary([(d, "loras") for d in settings.lora_dirs] + [(settings.civitai_dir, "civitai")])
        self.folders = ModelFolders(self.catalog, self.loras, settings.model_folders, preferences)
        if self.folders.named():
            self.folders.refresh()
        self.upscalers = UpscalerCatalog(settings.data_dir / "upscalers")
        self.configs_root = settings.data_dir / "configs"
        self._device: DevicePlan | None = None
        self._load_lock = threading.Lock()
        self._oom_models: set[str] = set()

    # -- device and memory ---------------------------------------------------------------------
    @property
    def device(self) -> DevicePlan:
        if self._device is None:
            from hollywool.models import warmup
            from hollywool.models.device import pick_device

            warmup.wait(until="torch")  # torch may be half-imported by the warm-up thread; the rest may go on
            self._device = pick_device()
        return self._device

    def memory_budget(self) -> int:
        """Bytes that loaded models may hold together: the user's setting, the environment, or measured."""
        chosen = self.preferences.get().memory_budget_gb or self.settings.memory_budget_gb
        if chosen:
            return int(chosen * GB)
        return memory.default_budget(memory.memory_info(self.device.device))

    def plan_for(self, model_bytes: int, largest: int, pixels: int, model_id: str) -> memory.MemoryPlan:
        info = memory.memory_info(self.device.device)
        others = sum(m.size_bytes for m in self.cache.models() if m.model_id != model_id)
        available = min(info.free_bytes, self.memory_budget() - others)
        if model_id in self._oom_models:  # it ran out of memory before: leave more room this time
            available //= 2
        return memory.plan_memory(model_bytes, largest, available, pixels, on_cpu=self.device.device == "cpu")

    def room_bytes(self) -> int:
        """Memory a new model could have now: what is free plus what evicting loaded models would free.

        Reads NVML or the OS, never torch, so submit-time checks answer at once after start-up."""
        return memory.free_bytes_now() + self.cache.used_bytes()

    def estimate_bytes(self, entry: ModelEntry) -> int:
        loaded = self.cache.peek(entry.id)
        if loaded:
            return loaded.size_bytes
        location = model_files(entry, self.hub)
        if location is not None and entry.source == "file":
            device = self.device
            compute = 4 if device.dtype_name == "float32" else 2
            in_memory = memory_bytes(entry_files(entry), compute, keeps_fp8(device.device))
            if in_memory:
                return in_memory
        if location is not None:
            files = [location] if location.is_file() else location.rglob("*.safetensors")
            on_disk = sum(f.stat().st_size for f in files)
            if on_disk:
                return on_disk
        return int(entry.memory_gb * GB)

    # -- pipelines -----------------------------------------------------------------------------
    def loaded_models(self) -> list[str]:
        return self.cache.ids()

    def acquire(self, entry: ModelEntry, ctx: LoadReport, pixels: int) -> CachedModel:
        """The entry's pipeline from the cache, downloading and loading it first when needed."""
        cached = self.cache.get(entry.id)
        if cached is not None:
            return cached
        with self._load_lock:
            cached = self.cache.get(entry.id)
            if cached is not None:
                return cached
            if entry.source == "hub" and not self.hub.is_downloaded(entry):
                self.download(ctx, entry)
            ctx.set_stage("loading", f"Loading {entry.name}")
            self.cache.make_room(self.estimate_bytes(entry))  # evict first, so the peak stays in budget
            started = time.monotonic()
            cached = self._load(entry, pixels)
            self.cache.put(cached)
        self.bus.publish(ModelLoaded(model_id=entry.id, device=self.device.device, seconds=time.monotonic() - started))
        return cached

    def _load(self, entry: ModelEntry, pixels: int) -> CachedModel:
        from hollywool.models import warmup

        warmup.wait()  # the device needs only torch; loading imports diffusers, which the warm-up may be importing
        device = self.device
        keep_fp8 = keeps_fp8(device.device)
        pipe, keys = load_pipeline(entry, self.hub, self.configs_root, device.dtype, self._shareable, keep_fp8=keep_fp8)
        components = self._components(pipe, keys)
        size = sum(c.size_bytes for c in components)
        largest = max((memory.module_size(c.module) for c in components), default=0)
        plan = self.plan_for(size, largest, pixels, entry.id)
        if plan.placement != "device" and any(c.key and not c.size_bytes for c in components):
            # Offloading moves modules and hooks them: never do that to a module another model uses.
            log.info("%s will be offloaded: loading it without shared components", entry.id)
            pipe, keys = load_pipeline(entry, self.hub, self.configs_root, device.dtype, keep_fp8=keep_fp8)
            components = self._components(pipe, keys)
        memory.apply_placement(pipe, plan.placement, device.device)
        return CachedModel(entry.id, pipe, components, plan.placement, device.device, default_scheduler=pipe.scheduler)

    def _shareable(self, _name: str, key: ComponentKey) -> Any | None:
        """A loaded module with these weights to reuse, unless its holder is offloaded (its hooks move it)."""
        found = self.cache.shared_component(key)
        if found is None:
            return None
        component, holder = found
        return component.module if holder.placement == "device" else None

    def _components(self, pipe: Any, keys: dict[str, ComponentKey]) -> list[Component]:
        """The pipeline's weight-bearing parts; one already held by another cached model counts zero bytes."""
        held = {id(c.module) for m in self.cache.models() for c in m.components if c.size_bytes}
        out: list[Component] = []
        for name, module in pipe.components.items():
            size = memory.module_size(module)
            if size:
                out.append(Component(name, module, 0 if id(module) in held else size, keys.get(name)))
        return out

    def set_vae_tiling(self, pipe: Any, cached: CachedModel, pixels: int) -> None:
        memory.set_vae_tiling(pipe, cached.placement != "device" or pixels >= 1536 * 1536)

    def unload(self, model_id: str | None = None) -> list[str]:
        return self.cache.remove(model_id, reason="unloaded", kind=None if model_id else "pipeline")

    def out_of_memory(self, model_id: str) -> None:
        """After running out of memory: free everything, and leave this model more room next time."""
        self._oom_models.add(model_id)
        self.cache.remove(reason="out of memory", kind=None)

    def _evicted(self, model_id: str, reason: str) -> None:
        if not model_id.startswith(_UPSCALER):
            self.bus.publish(ModelUnloaded(model_id=model_id, reason=reason))

    def close(self) -> None:
        self.cache.remove(reason="shutdown", kind=None)

    # -- upscalers -----------------------------------------------------------------------------
    def acquire_upscaler(self, model: UpscalerModel, ctx: LoadReport) -> Any:
        """The upscaler's spandrel descriptor, fetched and loaded under the same budget as pipelines."""
        cache_id = _UPSCALER + model.id
        cached = self.cache.get(cache_id)
        if cached is not None:
            return cached.pipe
        with self._load_lock:
            cached = self.cache.get(cache_id)
            if cached is not None:
                return cached.pipe
            path = self.upscalers.fetch(model, ctx)
            ctx.set_stage("loading", f"Loading {model.name}")
            self.cache.make_room(path.stat().st_size)
            descriptor, device = _load_upscaler(path, self.device)
            size = memory.module_size(descriptor.model)
            self.cache.put(CachedModel(cache_id, descriptor, [Component("model", descriptor.model, size)],
                                       "device", device, kind="upscaler"))  # fmt: skip
        return descriptor

    # -- downloads -----------------------------------------------------------------------------
    def download_reporter(self, ctx: LoadReport, entry: ModelEntry) -> Callable[[int, int | None], None]:
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

    def download(self, ctx: LoadReport, entry: ModelEntry) -> Path:
        ctx.set_stage("downloading", f"Downloading {entry.name}")
        return self.hub.download(entry, Throttle(self.download_reporter(ctx, entry)))


def _load_upscaler(path: Path, device: DevicePlan) -> tuple[Any, str]:
    from spandrel import ImageModelDescriptor, ModelLoader  # pyright: ignore[reportMissingTypeStubs]  # no py.typed

    try:
        descriptor = ModelLoader().load_from_file(str(path))
    except Exception as exc:  # spandrel raises plain errors for unknown architectures
        raise StudioError(f"{path.name} is not an upscaler spandrel recognises: {exc}") from None
    if not isinstance(descriptor, ImageModelDescriptor):
        raise StudioError(f"{path.name} is not an image-to-image model")
    descriptor.to(device.device).eval()
    if device.device.startswith("cuda") and descriptor.supports_half:
        descriptor.half()
    return descriptor, device.device
