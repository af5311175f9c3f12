"""Automatic1111's `/sdapi/v1` over the studio's one queue, for Open WebUI, SillyTavern and webuiapi scripts.

A txt2img or img2img request becomes ordinary image jobs (four images each at most): they show in the Queue
page, their images are assets with the A1111 `parameters` text the studio writes anyway, and interrupt cancels
them. The model the routes use is A1111's `sd_model_checkpoint` option, kept in the settings store
(`sdapi_model`); without one it is the studio's default image model. Progress and the live preview come from
the job system's own events, for whatever runs on the GPU lane (a1111_progress.py). A single-file checkpoint's
sha256 (A1111's `hash` and `name [hash]` title) is computed lazily in the background (checkpoint_hashes.py).
"""

from __future__ import annotations

import asyncio
import base64
import random
from typing import Any

from PIL import Image
from starlette.concurrency import run_in_threadpool

from hollywool.compat import a1111_info
from hollywool.compat.a1111_params import (
    MAX_IMAGES,
    A1111Generation,
    ExtrasSingleImageRequest,
    Img2ImgRequest,
    Txt2ImgRequest,
    decode_b64_image,
    hires_of,
    inpaint_of,
    lora_tags,
    masked_content,
    plain_upscaler,
    png_b64,
    scheduler_of,
)
from hollywool.compat.a1111_progress import A1111Progress
from hollywool.compat.openai_images import OpenAIImages
from hollywool.errors import InvalidInputError, NotFoundError, StudioError
from hollywool.integrations.civitai.records import DownloadRepository
from hollywool.jobs.events import Event, ModelLoaded
from hollywool.jobs.models import Job, JobStatus
from hollywool.media.png_meta import read_text_chunks
from hollywool.models.checkpoint_hashes import CheckpointHashes
from hollywool.models.views import LocalModelInfo
from hollywool.storage.file_hashes import FileHashRepository
from hollywool.studio import Studio

PER_JOB = 4
WAIT_S = 3600.0


class A1111:
    """One per app: the routes' service; `live` follows what is generating, `hashes` the checkpoints' sha256."""

    def __init__(self, studio: Studio):
        self.studio = studio
        self.openai = OpenAIImages(studio)  # the same model listing and default-model rule
        self.live = A1111Progress(studio)
        self.hashes = CheckpointHashes(FileHashRepository(studio.db), [DownloadRepository(studio.db).sha256_of_file])
        studio.bus.add_listener(self._on_event)

    # -- models and options ------------------------------------------------------------------------
    def _local(self) -> dict[str, LocalModelInfo]:
        return {m.id: m for m in self.studio.model_service.list_models("image")}

    def _sha256(self, info: LocalModelInfo | None, queue: bool) -> str | None:
        """A single-file checkpoint's sha256 once known (A1111 hashes lazily too); None for a diffusers folder."""
        if info is None or info.source != "file":
            return None
        known = self.hashes.known(info.path)
        if known is None and queue:
            self.hashes.request(info.path)
        return known

    def sd_models(self) -> list[dict[str, Any]]:
        local = self._local()
        out = []
        for m in self.openai.models().data:
            info = local.get(m.id)
            sha256 = self._sha256(info, queue=True)
            out.append(
                {
                    "title": _title(m.id, sha256),
                    "model_name": m.id,
                    "hash": sha256[:10] if sha256 else None,
                    "sha256": sha256,
                    "filename": info.path if info else m.id,
                    "config": None,
                }
            )
        return out

    def resolve_checkpoint(self, name: str, field_name: str = "sd_model_checkpoint") -> str:
        """A model id from A1111's checkpoint name: the title, the name, `name [hash]`, `file.safetensors`, the hash."""
        ids = [m.id for m in self.openai.models().data]
        wanted = name.strip()
        candidates = [wanted, wanted.rsplit(" [", 1)[0], wanted.rsplit(".", 1)[0]]
        for c in candidates:
            for i in ids:
                if c.lower() == i.lower():
                    return i
        digits = wanted.lower().strip("[]")
        if len(digits) >= 8 and all(ch in "0123456789abcdef" for ch in digits):
            local = self._local()
            for i in ids:
                sha256 = self._sha256(local.get(i), queue=False)
                if sha256 and sha256.startswith(digits):
                    return i
        raise NotFoundError(f"{field_name}: no model {name!r}; GET /sdapi/v1/sd-models lists them", field=field_name)

    def current_model(self) -> str:
        chosen = self.studio.preferences.get().sdapi_model
        if chosen and chosen in {m.id for m in self.openai.models().data}:
            return chosen
        return self.openai.resolve_model(None)

    def options(self) -> dict[str, Any]:
        model = self.current_model()
        sha256 = self._sha256(self._local().get(model), queue=True)
        return {
            "sd_model_checkpoint": _title(model, sha256),
            "sd_checkpoint_hash": sha256,
            "sd_vae": "Automatic",
            "sd_lora": "None",
            "CLIP_stop_at_last_layers": 1,
            "samples_format": "png",
            "live_previews_enable": True,
            "live_previews_image_format": "png",
            "show_progress_every_n_steps": 2,
        }

    def set_options(self, changes: dict[str, Any]) -> None:
        """Only the checkpoint is a studio setting; A1111's other options have no meaning here and are ignored."""
        name = changes.get("sd_model_checkpoint")
        if name is None:
            return
        if not isinstance(name, str):
            raise InvalidInputError("sd_model_checkpoint: give a model title", field="sd_model_checkpoint")
        self.studio.preferences.update({"sdapi_model": self.resolve_checkpoint(name)})

    # -- generation ------------------------------------------------------------------------------
    def _model_for(self, body: A1111Generation) -> str:
        override = (body.override_settings or {}).get("sd_model_checkpoint")
        if isinstance(override, str) and override:
            return self.resolve_checkpoint(override, "override_settings.sd_model_checkpoint")
        return self.current_model()

    def _base_params(self, body: A1111Generation, model: str) -> dict[str, Any]:
        info = self._local().get(model)
        prompt, loras = lora_tags(body.prompt, self.studio.models.loras.all())
        negative, _ = lora_tags(body.negative_prompt or "", [])
        params: dict[str, Any] = {"prompt": prompt or " ", "model": model}
        if negative:
            params["negative_prompt"] = negative
        if loras:
            params["loras"] = loras
        for ours, value in (
            ("width", body.width),
            ("height", body.height),
            ("steps", body.steps),
            ("guidance_scale", body.cfg_scale),
        ):
            if value is not None:
                params[ours] = value
        scheduler = scheduler_of(body, (info.schedulers or []) if info else [])
        if scheduler:
            params["scheduler"] = scheduler
        return params

    def txt2img_params(self, body: Txt2ImgRequest) -> dict[str, Any]:
        model = self._model_for(body)
        params = self._base_params(body, model)
        upscalers = {u.name.lower(): u.id for u in self.studio.upscale_engine.models()}
        upscalers |= {u.id.lower(): u.id for u in self.studio.upscale_engine.models()}
        fix = hires_of(body, params.get("width"), params.get("height"), upscalers)
        if fix:
            params["hires"] = fix
        return params

    def img2img_params(self, body: Img2ImgRequest) -> dict[str, Any]:
        model = self._model_for(body)
        params = self._base_params(body, model)
        info = self._local().get(model)
        images = [decode_b64_image(img, f"init_images.{i}") for i, img in enumerate(body.init_images)]
        source = images[0]
        if "width" not in params and "height" not in params:
            multiple = (info.size_multiple if info else None) or 8
            params["width"] = max(64, source.width // multiple * multiple)
            params["height"] = max(64, source.height // multiple * multiple)
        refs = [{"image_base64": png_b64(img)} for img in images]
        strength = body.denoising_strength if body.denoising_strength is not None else 0.75
        params["strength"] = min(max(strength, 0.1), 1.0)
        if body.mask and info is not None and "inpaint" not in (info.modes or []):
            raise InvalidInputError(f"mask: {model} cannot inpaint; choose a model that can", field="mask")
        if body.mask:
            fields, mask = inpaint_of(body)
            start = masked_content(source, mask, body.inpainting_fill, max(body.seed, 0))
            params.update(fields, reference_images=[{"image_base64": png_b64(start)}])
        elif info is not None and info.requires_reference_image:
            params.update(mode="edit", reference_images=refs)
        else:
            params["reference_images"] = refs[:1]
        return params

    async def generate(self, params: dict[str, Any], body: A1111Generation) -> tuple[list[Job], list[str]]:
        """Submit `batch_size x n_iter` images, wait for their jobs; (jobs, base64 PNGs)."""
        count = body.batch_size * body.n_iter
        if count > MAX_IMAGES:
            raise InvalidInputError(f"batch_size: at most {MAX_IMAGES} images a request", field="batch_size")
        first = body.seed if body.seed >= 0 else random.randint(0, 2**32 - 1 - count)
        seeds = [(first + i) % 2**32 for i in range(count)]
        jobs: list[Job] = []
        batch = self.live.track()
        try:
            # One job per A1111 iteration (n_iter) of batch_size images (four at most a job): skip drops one.
            chunks = [
                seeds[i + start : i + min(start + PER_JOB, body.batch_size)]
                for i in range(0, count, body.batch_size)
                for start in range(0, body.batch_size, PER_JOB)
            ]
            try:
                for chunk in chunks:
                    job = await run_in_threadpool(self.studio.router.submit, "image", {**params, "seeds": chunk}, None)
                    jobs.append(job)
                    self.live.add(batch, job.id)
            except StudioError:  # a later job refused: the request fails whole
                await run_in_threadpool(self.live.cancel, [j.id for j in jobs])
                raise
            done = list(await asyncio.gather(*(self.studio.jobs.wait_async(j.id, WAIT_S) for j in jobs)))
        finally:
            self.live.untrack(batch)
        for job in done:
            if job.status == JobStatus.failed:
                raise StudioError(job.error or f"The image job {job.id} failed")
        images = await run_in_threadpool(self._images, done)
        return done, images

    def _images(self, jobs: list[Job]) -> list[str]:
        """The stored PNGs, as they are: they carry the A1111 `parameters` text already."""
        out = []
        for job in jobs:
            for asset_id in job.asset_ids:
                raw = self.studio.assets.path_of(self.studio.assets.get(asset_id)).read_bytes()
                out.append(base64.b64encode(raw).decode())
        return out

    def info(self, jobs: list[Job], images: list[str], denoising: float | None) -> str:
        finished = [j for j in jobs if j.asset_ids] or jobs
        texts = [read_text_chunks(base64.b64decode(b)).get("parameters", "") for b in images]
        sha256 = self._sha256(self._local().get(finished[0].params.get("model", "")), queue=True)
        short = sha256[:10] if sha256 else None
        return a1111_info.generation_info(finished, texts, denoising, [j.id for j in jobs], short)

    # -- progress, interrupt, skip (a1111_progress.py) ------------------------------------------
    def _on_event(self, event: Event) -> None:  # on the publisher's thread: quick
        if isinstance(event, ModelLoaded):  # a checkpoint's first use: hash it in the background
            entry = self.studio.models.catalog.find(event.model_id)
            if entry is not None and entry.source == "file":
                self.hashes.request(entry.path)

    def progress(self, skip_current_image: bool = False) -> dict[str, Any]:
        return self.live.progress(skip_current_image)

    def interrupt(self) -> None:
        self.live.interrupt()

    def skip(self) -> None:
        self.live.skip()

    # -- lists -----------------------------------------------------------------------------------
    @staticmethod
    def samplers() -> list[dict[str, Any]]:
        from hollywool.models.schedulers import SCHEDULERS

        seen: dict[str, list[str]] = {}
        for s in SCHEDULERS.values():
            if s.a1111 and not s.a1111_schedule:
                seen.setdefault(s.a1111, []).append(s.name)
        return [{"name": name, "aliases": aliases, "options": {}} for name, aliases in seen.items()]

    @staticmethod
    def schedulers() -> list[dict[str, Any]]:
        return [
            {"name": "automatic", "label": "Automatic", "aliases": None, "default_rho": -1, "need_inner_model": False},
            {"name": "karras", "label": "Karras", "aliases": None, "default_rho": 7.0, "need_inner_model": False},
        ]

    def loras(self) -> list[dict[str, Any]]:
        return [
            {"name": lo.id, "alias": lo.name, "path": lo.path, "metadata": {"ss_base_model_version": lo.base}}
            for lo in self.studio.models.loras.all()
        ]

    def refresh_checkpoints(self) -> None:
        """Read the user's config.yaml again (models added by hand since the start)."""
        self.studio.models.catalog.reload()

    def refresh_loras(self) -> None:
        self.studio.models.loras.scan()

    def upscalers(self) -> list[dict[str, Any]]:
        plain = [
            {"name": n, "model_name": None, "model_path": None, "model_url": None, "scale": 4}
            for n in ("None", "Lanczos", "Nearest")
        ]
        return plain + [
            {"name": u.id, "model_name": u.name, "model_path": u.filename, "model_url": u.url, "scale": u.scale}
            for u in self.studio.upscale_engine.models()
            if u.kind != "video"
        ]

    def sd_vae(self) -> list[dict[str, Any]]:
        return [{"model_name": info.vae, "filename": info.vae} for info in self._local().values() if info.vae]

    @staticmethod
    def memory() -> dict[str, Any]:
        import psutil

        from hollywool.system_info import nvml_gpus

        vm = psutil.virtual_memory()
        ram = {"free": vm.available, "used": vm.total - vm.available, "total": vm.total}
        gpus = nvml_gpus()
        if not gpus:
            return {"ram": ram, "cuda": {"error": "no CUDA device"}}
        gpu = gpus[0]
        total, used = int(gpu.memory_total_gb * 2**30), int(gpu.memory_used_gb * 2**30)
        return {"ram": ram, "cuda": {"system": {"free": total - used, "used": used, "total": total}}}

    # -- extras ----------------------------------------------------------------------------------
    async def extra_single_image(self, body: ExtrasSingleImageRequest) -> str:
        """Upscale one image through the studio's upscale job (a plain resize for None/Lanczos/Nearest)."""
        image = decode_b64_image(body.image, "image").convert("RGB")
        if body.resize_mode == 1:
            target = (body.upscaling_resize_w, body.upscaling_resize_h)
        else:
            target = (round(image.width * body.upscaling_resize), round(image.height * body.upscaling_resize))
        if plain_upscaler(body.upscaler_1):
            nearest = (body.upscaler_1 or "").lower() == "nearest"
            resample = Image.Resampling.NEAREST if nearest else Image.Resampling.LANCZOS
            return png_b64(image.resize(target, resample))
        name = (body.upscaler_1 or "").strip().lower()
        model = next((u for u in self.studio.upscale_engine.models() if name in (u.id.lower(), u.name.lower())), None)
        if model is None:
            raise InvalidInputError(
                f"upscaler_1: no upscaler {body.upscaler_1!r}; GET /sdapi/v1/upscalers lists them", field="upscaler_1"
            )
        factor = max(target[0] / image.width, target[1] / image.height)
        scale = 2 if factor <= 2 else 4
        source = await run_in_threadpool(self.studio.assets.save_image, image, params={"source": "sdapi extras"})
        job = await run_in_threadpool(
            self.studio.jobs.submit, "upscale", {"asset_id": source.id, "model": model.id, "scale": scale}
        )
        job = await self.studio.jobs.wait_async(job.id, WAIT_S)
        if job.status != JobStatus.completed or not job.asset_ids:
            raise StudioError(job.error or f"The upscale job {job.id} was {job.status}")
        path = self.studio.assets.path_of(self.studio.assets.get(job.asset_ids[0]))
        with Image.open(path) as out:
            out.load()
            if out.size != target:
                return png_b64(out.resize(target, Image.Resampling.LANCZOS))
        return base64.b64encode(path.read_bytes()).decode()


def _title(model_id: str, sha256: str | None) -> str:
    return f"{model_id} [{sha256[:10]}]" if sha256 else model_id
