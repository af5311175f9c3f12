"""The `image` job kind: resolve parameters at submit time, then generate and save on a worker.

Submit time (`prepare`) turns the request into exactly what will run: size, steps, guidance, seeds,
checked LoRAs and stored reference images. Run time (`run`) gets the cached pipeline, converts it
for image-to-image with `from_pipe` when there are references, applies scheduler and LoRAs, and
saves each image with its metadata. Progress, previews and cancellation go through the step callback.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import TYPE_CHECKING, Any

from hollywool import __version__
from hollywool.engines import warmup
from hollywool.engines.diffusers import metadata
from hollywool.engines.diffusers.catalog import IMAGE_TYPES
from hollywool.engines.diffusers.families import Family, family_of
from hollywool.engines.diffusers.image_params import ImageParams
from hollywool.engines.diffusers.loras import AppliedLoras
from hollywool.engines.diffusers.previews import latents_to_preview, should_preview
from hollywool.engines.diffusers.prompt_cache import with_embeddings
from hollywool.engines.diffusers.references import fit
from hollywool.engines.diffusers.schedulers import SCHEDULERS, make_scheduler
from hollywool.engines.diffusers.sizes import aspect_size
from hollywool.engines.diffusers.styles import STYLES, apply_style
from hollywool.errors import InvalidInputError
from hollywool.jobs.context import JobContext

if TYPE_CHECKING:
    from hollywool.engines.diffusers.engine import DiffusersEngine


class ImageJob:
    def __init__(self, engine: DiffusersEngine):
        self.engine = engine

    # -- submit time ---------------------------------------------------------------------------
    def prepare(self, params: ImageParams) -> ImageParams:
        engine = self.engine
        entry = engine.catalog.get(params.model, kinds=IMAGE_TYPES)
        family = family_of(entry.type)
        base_w = entry.default_width or family.default_size
        base_h = entry.default_height or family.default_size
        if params.aspect_ratio:
            width, height = aspect_size(params.aspect_ratio, int((base_w * base_h) ** 0.5), family.size_multiple)
        else:
            width, height = params.width or base_w, params.height or base_h
        problem = family.check_size(width, height)
        if problem:
            field = problem.split(":")[0]
            raise InvalidInputError(problem, field=field)
        if params.scheduler and params.scheduler not in family.schedulers:
            raise InvalidInputError(
                f"scheduler: {params.scheduler!r} is not available for {family.label} models; "
                f"choose one of: default, {', '.join(family.schedulers)}",
                field="scheduler",
            )
        if params.style and params.style not in STYLES:
            raise InvalidInputError(
                f"style: unknown style {params.style!r}; styles: {', '.join(STYLES)}", field="style"
            )
        for i, lora in enumerate(params.loras):
            engine.loras.check_compatible(lora.lora_id, entry.type, entry.id, field=f"loras.{i}.lora_id")
        if params.seeds:
            seeds = list(params.seeds)
        else:
            first = params.seed if params.seed is not None else random.randint(0, 2**32 - 1 - params.num_images)
            seeds = [(first + i) % 2**32 for i in range(params.num_images)]
        notes = []
        if params.negative_prompt and not family.negative_prompt:
            notes.append(f"{family.label} models take no negative prompt; it was not used")
        return params.model_copy(
            update={
                "width": width,
                "height": height,
                "steps": params.steps or entry.default_steps,
                "guidance_scale": params.guidance_scale
                if params.guidance_scale is not None
                else entry.default_guidance,
                "seed": seeds[0],
                "seeds": seeds,
                "num_images": len(seeds),
                "reference_images": engine.references.normalise(params.reference_images),
                "notes": notes,
            }
        )

    # -- run time ------------------------------------------------------------------------------
    def run(self, ctx: JobContext, params: ImageParams) -> dict[str, Any]:
        warmup.wait()  # torch may be half-imported by the warm-up thread: let it finish first
        import torch

        engine = self.engine
        entry = engine.catalog.get(params.model, kinds=IMAGE_TYPES)
        family = family_of(entry.type)
        width, height, seeds = params.width, params.height, params.seeds
        # A retry (or a restart) continues: images an earlier attempt saved are kept, not made again.
        kept = Counter(a.seed for a in ctx.saved_assets() if a.kind == "image")
        todo = []
        for index, seed in enumerate(seeds):
            if kept[seed] > 0:
                kept[seed] -= 1
            else:
                todo.append((index, seed))
        result = {"seeds": seeds, "notes": params.notes}
        if len(todo) < len(seeds):
            result["kept_from_earlier_attempt"] = len(seeds) - len(todo)
        if not todo:
            return result
        cached = engine.acquire(entry, ctx, width * height)
        pipe = cached.pipe
        references = [engine.references.load(r) for r in params.reference_images]
        if references:
            pipe = cached.variants.get("img2img")
            if pipe is None:
                from diffusers import AutoPipelineForImage2Image

                pipe = cached.variants["img2img"] = AutoPipelineForImage2Image.from_pipe(cached.pipe)
                pipe.set_progress_bar_config(disable=True)
        pipe.scheduler = (
            make_scheduler(params.scheduler, cached.default_scheduler.config)
            if params.scheduler
            else cached.default_scheduler
        )
        engine.set_vae_tiling(pipe, cached, width * height)
        prompt, negative = apply_style(params.style, params.prompt, params.negative_prompt)
        call: dict[str, Any] = {
            "prompt": prompt,
            "width": width,
            "height": height,
            "num_inference_steps": params.steps,
            "guidance_scale": params.guidance_scale,
            **family.call_defaults,
        }
        if negative and family.negative_prompt:
            call["negative_prompt"] = negative
        loras = [(engine.loras.get(lr.lora_id), lr.weight) for lr in params.loras]
        recorded_base = {
            **params.model_dump(exclude={"notes", "seeds", "num_images", "seed"}),
            "model_name": entry.name,
            "model_type": entry.type,
            "final_prompt": prompt,
            "final_negative_prompt": call.get("negative_prompt"),
            "generator": f"HollyWool {__version__}",
        }
        ctx.set_stage("generating", total_steps=params.steps * len(todo))
        if not loras:  # a LoRA may change the text encoder: such jobs encode their prompt themselves
            try:
                embeddings = cached.prompts.embeddings(family.type, pipe, call)
            except torch.OutOfMemoryError as exc:
                raise engine.out_of_memory(entry, cached, width, height, len(seeds)) from exc
            if embeddings is not None:
                call = with_embeddings(call, embeddings)
        with AppliedLoras(pipe, loras, entry.id):
            for position, (index, seed) in enumerate(todo):
                if references:
                    call["image"] = fit(references[index % len(references)], width, height)
                    call["strength"] = params.strength
                on_step = self._step_callback(ctx, family, position, len(todo), width, height)
                try:
                    out = pipe(
                        **call,
                        generator=torch.Generator("cpu").manual_seed(seed),
                        callback_on_step_end=on_step,
                        callback_on_step_end_tensor_inputs=["latents"],
                    )
                except torch.OutOfMemoryError as exc:
                    raise engine.out_of_memory(entry, cached, width, height, len(seeds)) from exc
                recorded = {**recorded_base, "seed": seed}
                ctx.save_image(
                    out.images[0],
                    params=recorded,
                    text_chunks=metadata.text_chunks(recorded),
                    model=entry.id,
                    prompt=params.prompt,
                    negative_prompt=params.negative_prompt,
                    seed=seed,
                )
        return result

    @staticmethod
    def _step_callback(ctx: JobContext, family: Family, index: int, count: int, width: int, height: int):  # noqa: ANN205
        def on_step(pipe, step: int, _timestep, tensors: dict):  # noqa: ANN001, ANN202
            ctx.raise_if_cancelled()
            # Image-to-image runs fewer steps than asked, and some schedulers more: count the real ones.
            per_image = getattr(pipe, "_num_timesteps", None) or len(pipe.scheduler.timesteps) or 1
            ctx.progress(index * per_image + step + 1, per_image * count)
            if should_preview(step, per_image) and "latents" in tensors:
                preview = latents_to_preview(family, pipe, tensors["latents"], height, width)
                if preview is not None:
                    ctx.preview(preview, index * per_image + step + 1)
            return tensors

        return on_step


def scheduler_choices() -> list[dict[str, Any]]:
    from hollywool.engines.diffusers.families import FAMILIES

    return [
        {"name": s.name, "label": s.label, "model_types": [t for t, f in FAMILIES.items() if s.name in f.schedulers]}
        for s in SCHEDULERS.values()
    ]
