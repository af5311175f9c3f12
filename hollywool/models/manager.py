"""The model manager: every local model the studio runs, from catalogue entry to a loaded, placed module.

It owns the catalogue (shipped, the user's config.yaml, Civitai downloads), the hub cache, resolving
an id to files, loading through the family's pipeline class, one least-recently-used cache under one
memory budget for image and video pipelines and upscalers alike (components with the same weights
are loaded once and shared), device placement and offload plans, and the LoRA library.

Jobs reach it only through their context (`ctx.models`). Torch and diffusers are imported on the
first load (or the first question that needs the device), never when the studio starts.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from hollywool.errors import ConflictError, InvalidInputError, StudioError
from hollywool.jobs.events import DownloadProgress, EventBus, ModelLoaded, ModelUnloaded
from hollywool.models import memory
from hollywool.models.cache import CachedModel, Component, ComponentKey, ModelCache, ModelKind
from hollywool.models.catalog import Catalog, ModelEntry
from hollywool.models.control_models import ControlCatalog, ControlModel, load_control
from hollywool.models.device import DevicePlan, expected_device
from hollywool.models.hub import HubModels, Throttle
from hollywool.models.loading import entry_files, load_pipeline, model_files
from hollywool.models.loras import LoraLibrary
from hollywool.models.model_folders import ModelFolders
from hollywool.models.precision import (
    LABELS,
    ComponentNeed,
    Footprint,
    Weights,
    declared_needs,
    footprints,
    lighter_published,
    measure_files,
    measure_single_file,
)
from hollywool.models.quantized import keeps_fp8
from hollywool.models.reporting import LoadReport
from hollywool.models.split_files import refusal
from hollywool.models.upscalers import UpscalerCatalog, UpscalerModel
from hollywool.settings import Settings
from hollywool.storage.preferences import PreferencesRepository

log = logging.getLogger("hollywool.models")
GB = memory.GB
_UPSCALER = "upscaler:"  # cache ids of upscalers, apart from the catalogue's ids
_CONTROL = "control:"  # cache ids of ControlNets and preprocessor models


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
        self.controls = ControlCatalog(settings.data_dir / "config.yaml", settings.data_dir / "control", self.hub)
        self.configs_root = settings.data_dir / "configs"
        self._device: DevicePlan | None = None
        # With GPU workers, jobs run on their devices, not here: the studio sets this to what they report.
        self.worker_devices: Callable[[], list[memory.WorkerDevice]] = list
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

    def _device_now(self) -> DevicePlan:
        """The device without waiting for torch: the one picked, or the one NVML says will be."""
        return self._device or expected_device()

    def device_memory(self, *, now: bool = False) -> memory.MemoryInfo:
        """The device's memory, as HOLLYWOOL_DEVICE_MEMORY_GB says when set; `now`: read without torch."""
        info = memory.memory_info_now(self._device_now().device) if now else memory.memory_info(self.device.device)
        return memory.capped(info, self.settings.device_memory_gb)

    def _chosen_budget(self) -> int | None:
        chosen = self.preferences.get().memory_budget_gb or self.settings.memory_budget_gb
        return int(chosen * GB) if chosen else None

    def memory_budget(self) -> int:
        """Bytes that loaded models may hold together: the user's setting, the environment, or measured."""
        chosen = self._chosen_budget()
        return chosen if chosen is not None else memory.default_budget(self.device_memory())

    def needs(self, entry: ModelEntry) -> list[ComponentNeed]:
        """The entry's components and their weights: measured from its files when they are on disk, else
        the sizes its catalogue entry or family publishes, else the catalogue's `memory_gb`."""
        location = model_files(entry, self.hub)
        if location is not None:
            found = measure_model(location, entry.variant)
            if found and (entry.source == "file" or entry.files):  # split files: the text encoders and VAE it names
                files = entry_files(entry, self.hub)
                extra = [
                    measure_files(f"text_encoder_{i + 1}", [p], dequantized=True)
                    for i, p in enumerate(files.text_encoders)
                ]
                extra.append(measure_files("vae", [files.vae]) if files.vae else None)
                extra += [measure_files(f"part_{i + 1}", [p]) for i, p in enumerate(files.parts)]
                found = [*found, *(need for need in extra if need)]
            if found:
                return found
        weights = entry_weights(entry)
        if weights:
            return declared_needs(weights, _stored_in_files(entry))
        return [ComponentNeed("weights", int(entry.memory_gb * GB / 2))] if entry.memory_gb else []

    def plan_for(self, entry: ModelEntry, pixels: int, *, now: bool = False) -> memory.MemoryPlan:
        """How `entry` runs here: the precision and placement of its weights, or why nothing fits (`fits`).

        At load the room is what is free beside the other loaded models (they were evicted as far as the
        budget asks); `now` (at submit, for the UI's questions) answers without torch and counts what
        evicting the other models would free."""
        device = self._device_now() if now else self.device
        info = self.device_memory(now=now)
        budget = self._chosen_budget() or memory.default_budget(info)
        largest = self.largest_worker() if now else None
        if largest is not None:  # it runs on a worker: the largest one's budget, all of it evictable
            info = memory.MemoryInfo(largest.kind, largest.total_bytes, largest.total_bytes)
            available = largest.budget_bytes
        elif now:
            available = min(info.free_bytes + self.cache.used_bytes(), budget)
        else:
            others = sum(m.size_bytes for m in self.cache.models() if m.model_id != entry.id)
            available = min(info.free_bytes, budget - others)
        if entry.id in self._oom_models:  # it ran out of memory before: leave more room this time
            available //= 2
        room = memory.room_of(info, max(available, 0))
        parts = self.needs(entry)
        keep = keeps_fp8(device.device)
        options = footprints(parts, device.dtype_name, keep_fp8=keep) or [Footprint("native", device.dtype_name, 0, 0)]
        castable = [c.name for c in parts if c.castable]
        return memory.choose_plan(options, room, pixels, fp8=castable, next_step=_next_step(entry, room))

    def check_fits(self, entry: ModelEntry, pixels: int) -> memory.MemoryPlan:
        """The plan a job of `entry` will run with; a 409 saying why and what to do when nothing fits here (a 422
        naming `model` when its file is one the studio lists but cannot load)."""
        cached = self.cache.peek(entry.id)
        if cached is not None and cached.plan is not None:
            return cached.plan
        self.check_loadable(entry)  # reads the file's header: only for a model not loaded already
        plan = self.plan_for(entry, pixels, now=True)
        if not plan.fits:
            raise ConflictError(
                f"{entry.name} {plan.reason}",
                detail={"needed_gb": round(plan.required_bytes / GB, 2), "precision": plan.precision},
            )
        return plan

    def check_loadable(self, entry: ModelEntry) -> None:
        """A 422 naming `model` for a single file its family cannot load (Wan 2.2 A14B's experts), saying what to use,
        or one whose parts come in many files (LTX-2) with a file missing, naming it: at submit, not as a failed job."""
        if entry.source != "file":
            return
        reason = refusal(Path(entry.path).expanduser(), entry_files(entry, self.hub))
        if reason:
            raise InvalidInputError(f"model: {entry.name} cannot be loaded: {reason}", field="model")

    def room_bytes(self) -> int:
        """Memory a new model could have now: what is free plus what evicting loaded models would free.

        Reads NVML or the OS, never torch, so submit-time checks answer at once after start-up. With GPU
        workers: the largest worker's budget."""
        largest = self.largest_worker()
        if largest is not None:
            return largest.budget_bytes
        return memory.free_bytes_now() + self.cache.used_bytes()

    def largest_worker(self) -> memory.WorkerDevice | None:
        """The GPU worker with the largest budget, where a job's memory is checked; None without workers."""
        return max(self.worker_devices(), key=lambda d: d.budget_bytes, default=None)

    def estimate_bytes(self, entry: ModelEntry) -> int:
        loaded = self.cache.peek(entry.id)
        if loaded:
            return loaded.size_bytes
        device = self._device_now()
        options = footprints(self.needs(entry), device.dtype_name, keep_fp8=keeps_fp8(device.device))
        return options[0].total_bytes if options else int(entry.memory_gb * GB)

    # -- pipelines -----------------------------------------------------------------------------
    def loaded_models(self) -> list[str]:
        """Loaded here, then on any GPU worker."""
        return list(dict.fromkeys([*self.cache.ids(), *(m for d in self.worker_devices() for m in d.loaded)]))

    def is_loaded(self, model_id: str) -> bool:
        return model_id in self.loaded_models()

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
        plan = self.plan_for(entry, pixels)
        if not plan.fits:
            raise ConflictError(f"{entry.name} {plan.reason}")
        # Offloading and fp8 storage change modules in place (hooks, dtypes): a model planned so loads its
        # own modules rather than share another model's.
        alone = plan.placement != "device" or bool(plan.fp8_components)
        shared = _not_shared if alone else self._shareable
        pipe, keys = load_pipeline(
            entry, self.hub, self.configs_root, device.dtype, shared, keep_fp8=keeps_fp8(device.device),
            model_folders=tuple(path for path, _from_env in self.folders.named()),
        )  # fmt: skip
        memory.apply_precision(pipe, plan.fp8_components, device.dtype)
        components = self._components(pipe, keys)
        memory.apply_placement(pipe, plan.placement, device.device)
        log.info("%s: %s, %s", entry.id, plan.placement, plan.reason)
        return CachedModel(
            entry.id, pipe, components, plan.placement, device.device, default_scheduler=pipe.scheduler, plan=plan
        )

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
        if not model_id.startswith((_UPSCALER, _CONTROL)):
            self.bus.publish(ModelUnloaded(model_id=model_id, reason=reason))

    def close(self) -> None:
        self.cache.remove(reason="shutdown", kind=None)

    # -- upscalers and control models -----------------------------------------------------------
    def acquire_upscaler(self, model: UpscalerModel, ctx: LoadReport) -> Any:
        """The upscaler's spandrel descriptor, fetched and loaded under the same budget as pipelines."""

        def load() -> tuple[Any, Any, Any]:
            path = self.upscalers.fetch(model, ctx)
            ctx.set_stage("loading", f"Loading {model.name}")
            self.cache.make_room(path.stat().st_size)
            descriptor, device = _load_upscaler(path, self.device)
            return descriptor, descriptor.model, device

        return self._acquire_module(_UPSCALER + model.id, "upscaler", load)

    def acquire_control(self, model: ControlModel, ctx: LoadReport) -> Any:
        """A ControlNet module or a preprocessor, fetched and loaded under the same budget as pipelines."""

        def load() -> tuple[Any, Any, Any]:
            location = self.controls.fetch(model, ctx, self._control_reporter(ctx, model))
            ctx.set_stage("loading", f"Loading {model.name}")
            self.cache.make_room(int(model.size_gb * GB))
            loaded = load_control(model, location, self.device.device, self.device.dtype)
            return loaded, getattr(loaded, "model", loaded), self.device.device

        return self._acquire_module(_CONTROL + model.id, "control", load)

    def _acquire_module(self, cache_id: str, kind: ModelKind, load: Callable[[], tuple[Any, Any, Any]]) -> Any:
        """A cached helper model, else `load()` -> (what callers use, its torch module, its device), cached."""
        cached = self.cache.get(cache_id)
        if cached is not None:
            return cached.pipe
        with self._load_lock:
            cached = self.cache.get(cache_id)
            if cached is not None:
                return cached.pipe
            loaded, module, device = load()
            parts = [Component("model", module, memory.module_size(module))]
            self.cache.put(CachedModel(cache_id, loaded, parts, "device", device, kind=kind))
        return loaded

    # -- downloads -----------------------------------------------------------------------------
    def download_controls(self, ctx: LoadReport, model: ControlModel) -> list[Path]:
        """The files of a control model and of the detector it runs first, fetched where missing (a download job)."""
        return [self.controls.fetch(m, ctx, self._control_reporter(ctx, m)) for m in self.controls.with_detector(model)]

    def _control_reporter(self, ctx: LoadReport, model: ControlModel) -> Callable[[int, int | None], None]:
        return Throttle(self.download_reporter(ctx, model.id, model.repo or model.path or model.id))

    def download_reporter(self, ctx: LoadReport, model_id: str, filename: str) -> Callable[[int, int | None], None]:
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
                    model_id=model_id,
                    filename=filename,
                    downloaded_bytes=done,
                    total_bytes=total,
                    speed_bps=round(speed, 1),
                    eta_seconds=round((total - done) / speed, 1) if total and speed > 0 else None,
                )
            )

        return report

    def download(self, ctx: LoadReport, entry: ModelEntry) -> Path:
        ctx.set_stage("downloading", f"Downloading {entry.name}")
        return self.hub.download(entry, Throttle(self.download_reporter(ctx, entry.id, entry.path)))


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


def _not_shared(_name: str, _key: ComponentKey) -> Any | None:
    return None


def entry_weights(entry: ModelEntry) -> dict[str, Weights]:
    """Published weight sizes for an entry: its own `extra.weights` (a family with models of several
    sizes, e.g. `{transformer: {bf16: 10.0, fp8: 5.0}}`), else its family's as this model is (a variant with
    more components: HunyuanVideo 1.5's image-to-video models add an image encoder)."""
    own = entry.extra.get("weights")
    if isinstance(own, dict) and own:
        return {str(name): Weights(**sizes) for name, sizes in cast(dict[str, dict[str, float]], own).items()}
    return dict(entry.family.for_model(entry.model_path, entry.extra).weights)


def _stored_in_files(entry: ModelEntry) -> dict[str, str]:
    """{component: "fp8"} for the split files an entry names in fp8 (ComfyUI's `_fp8` names), before they are on disk
    to be measured: the diffusion model, and the first text encoder (the large one; Comfy-Org has only it in fp8)."""
    if not entry.files:
        return {}
    named = {"transformer": entry.files.model, "text_encoder": next(iter(entry.files.text_encoders), "")}
    # Scaled files (`..._fp8_scaled`, `..._fp8mixed`) are upcast at load: they count in the run dtype.
    return {component: "fp8_scaled" if re.search(r"scaled|mixed", Path(name).name.lower()) else "fp8"
            for component, name in named.items() if "fp8" in Path(name).name.lower()}  # fmt: skip


def measure_model(location: Path, variant: str | None) -> list[ComponentNeed]:
    """Each component's weights from the files on disk: a diffusers folder's subfolders, or one file."""
    if location.is_file():
        return measure_single_file(location)
    try:
        index = json.loads((location / "model_index.json").read_text())
    except (OSError, ValueError):
        return []
    out: list[ComponentNeed] = []
    for name, spec in index.items():
        sub = location / name
        if name.startswith("_") or not isinstance(spec, list) or not sub.is_dir():
            continue
        files = [p for pattern in ("*.safetensors", "*.bin", "*.gguf") for p in sub.glob(pattern)]
        found = measure_files(name, _loaded_files(files, variant))
        if found is not None:
            out.append(found)
    return out


def _loaded_files(files: list[Path], variant: str | None) -> list[Path]:
    """The files diffusers reads of those a component folder holds: safetensors over .bin, the variant's
    (`model.fp16.safetensors`) when asked for and present, else the plain ones (`model-00001-of-00002...`)."""
    chosen = [f for f in files if f.suffix != ".bin"] or files
    wanted = [f for f in chosen if variant and f".{variant}" in f.name]
    return wanted or [f for f in chosen if f.name.count(".") == 1] or chosen


def _next_step(entry: ModelEntry, room: memory.Room) -> str:
    """What to do when nothing fits: a published GGUF file of it that would, else a smaller model."""
    limit = room.host_total if room.can_offload else room.device_total
    for precision, size in lighter_published(entry_weights(entry)).items():
        if size <= limit * 0.85:
            return f"choose a {LABELS[precision]} file of it (about {size / GB:.0f} GB) or a smaller model"
    return "choose a smaller model"
