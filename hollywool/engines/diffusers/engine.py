"""The local diffusers engine: the catalogue, loaded pipelines, and the image job kind."""

from __future__ import annotations

import logging
import random
import threading
import time
from typing import Any

from hollywool.engines.diffusers.catalog import IMAGE_TYPES, Catalog, ModelEntry
from hollywool.engines.diffusers.image_params import ImageParams
from hollywool.jobs.context import JobContext
from hollywool.jobs.events import EventBus, ModelLoaded, ModelUnloaded
from hollywool.jobs.kinds import JobKind, KindRegistry
from hollywool.settings import Settings
from hollywool.storage.preferences import PreferencesRepository

log = logging.getLogger("hollywool.diffusers")


class DiffusersEngine:
    def __init__(self, settings: Settings, bus: EventBus, preferences: PreferencesRepository):
        self.settings = settings
        self.bus = bus
        self.preferences = preferences
        self.catalog = Catalog(settings.data_dir / "config.yaml")
        self._lock = threading.Lock()
        self._loaded: dict[str, Any] = {}
        self._device = None

    def register(self, kinds: KindRegistry) -> None:
        kinds.register(JobKind("image", ImageParams, self.run_image, check=self.check_image))

    # -- models --------------------------------------------------------------------------------
    @property
    def device(self):  # noqa: ANN201
        if self._device is None:
            from hollywool.engines.diffusers.device import pick_device

            self._device = pick_device()
        return self._device

    def loaded_models(self) -> list[str]:
        with self._lock:
            return list(self._loaded)

    def pipeline(self, entry: ModelEntry):  # noqa: ANN201
        with self._lock:
            pipe = self._loaded.get(entry.id)
        if pipe is not None:
            return pipe
        from diffusers import DiffusionPipeline

        started = time.monotonic()
        pipe = DiffusionPipeline.from_pretrained(entry.path, dtype=self.device.dtype)
        pipe.to(self.device.device)
        pipe.set_progress_bar_config(disable=True)
        with self._lock:
            for other in list(self._loaded):  # one model resident at a time until the cache lands
                self._loaded.pop(other)
                self.bus.publish(ModelUnloaded(model_id=other, reason="replaced"))
            self._loaded[entry.id] = pipe
        self.bus.publish(ModelLoaded(model_id=entry.id, device=self.device.device, seconds=time.monotonic() - started))
        return pipe

    def unload(self, model_id: str | None = None) -> list[str]:
        with self._lock:
            ids = [model_id] if model_id else list(self._loaded)
            gone = [i for i in ids if self._loaded.pop(i, None) is not None]
        for i in gone:
            self.bus.publish(ModelUnloaded(model_id=i, reason="unloaded"))
        return gone

    def close(self) -> None:
        self.unload()

    # -- image jobs ----------------------------------------------------------------------------
    def check_image(self, params: ImageParams) -> None:
        self.catalog.get(params.model, kinds=IMAGE_TYPES)

    def run_image(self, ctx: JobContext, params: ImageParams) -> dict[str, Any]:
        import torch

        entry = self.catalog.get(params.model, kinds=IMAGE_TYPES)
        steps = params.steps or entry.default_steps
        guidance = params.guidance_scale if params.guidance_scale is not None else entry.default_guidance
        base_seed = params.seed if params.seed is not None else random.randint(0, 2**32 - 1)
        ctx.set_stage("loading", f"Loading {entry.name}")
        pipe = self.pipeline(entry)
        total = steps * params.num_images
        ctx.set_stage("generating", total_steps=total)
        seeds = []
        for index in range(params.num_images):
            seed = base_seed + index
            seeds.append(seed)

            def on_step(pipe_, step, _timestep, kwargs, index=index):  # noqa: ANN001
                ctx.raise_if_cancelled()
                # Some schedulers (PNDM) run more timesteps than requested steps: count real ones.
                per_image = len(pipe_.scheduler.timesteps) or steps
                ctx.progress(index * per_image + step + 1, per_image * params.num_images)
                return kwargs

            out = pipe(
                prompt=params.prompt,
                negative_prompt=params.negative_prompt,
                width=params.width,
                height=params.height,
                num_inference_steps=steps,
                guidance_scale=guidance,
                generator=torch.Generator("cpu").manual_seed(seed),
                callback_on_step_end=on_step,
            )
            recorded = {**params.model_dump(), "steps": steps, "guidance_scale": guidance, "seed": seed}
            ctx.save_image(
                out.images[0],
                params=recorded,
                model=entry.id,
                prompt=params.prompt,
                negative_prompt=params.negative_prompt,
                seed=seed,
            )
        return {"seeds": seeds}
