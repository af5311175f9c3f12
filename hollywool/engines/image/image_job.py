"""The `image` job kind: resolve parameters at submit time, then generate and save on a worker.

Submit time (`prepare`) turns the request into exactly what will run: size, steps, guidance, seeds,
checked LoRAs and stored reference images. Run time (`run`) gets the cached pipeline, converts it
for image-to-image with `from_pipe` when there are references, applies scheduler and LoRAs, and
saves each image with its metadata. Progress, previews and cancellation go through the step callback.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable
from typing import Any

from hollywool import __version__
from hollywool.engines.image import metadata
from hollywool.engines.image.params import ImageParams
from hollywool.engines.image.previews import latents_to_preview, should_preview
from hollywool.engines.image.prompt_cache import PromptCache
from hollywool.engines.image.styles import STYLES, apply_style
from hollywool.engines.prompts.encoding import prompt_call
from hollywool.engines.prompts.wildcards import Wildcards
from hollywool.errors import InvalidInputError, StudioError
from hollywool.jobs.context import JobContext
from hollywool.jobs.kinds import JobKind, KindRegistry
from hollywool.media.references import ReferenceImages, fit
from hollywool.models import lora_presets, warmup
from hollywool.models.cache import CachedModel
from hollywool.models.catalog import ModelEntry
from hollywool.models.families import ImageFamily, family_of, image_types
from hollywool.models.loras import AppliedLoras
from hollywool.models.manager import ModelManager
from hollywool.models.schedulers import make_scheduler
from hollywool.models.sizes import aspect_size

# diffusers' `callback_on_step_end`: (pipeline, step index, timestep, requested tensors) -> the tensors.
StepCallback = Callable[[Any, int, Any, dict[str, Any]], dict[str, Any]]


class ImageJob:
    """The `image` kind. Submit-time checks read the catalogue; running reaches models through `ctx.models`."""

    def __init__(self, models: ModelManager, references: ReferenceImages, wildcards: Wildcards):
        self.models = models
        self.wildcards = wildcards
        self.catalog = models.catalog
        self.loras = models.loras
        self.hub = models.hub
        self.references = references

    def register(self, kinds: KindRegistry) -> None:
        kinds.register(JobKind("image", ImageParams, self.run, check=self.prepare, label="Image"))

    # -- submit time ---------------------------------------------------------------------------
    def prepare(self, params: ImageParams) -> ImageParams:
        entry = self.catalog.get(params.model, kinds=image_types())
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
        self.models.check_fits(entry, width * height)  # 409 with the reason and a next step when nothing fits
        _check_references(family, len(params.reference_images))
        for i, lora in enumerate(params.loras):
            self.loras.check_compatible(lora.lora_id, entry.type, entry.id, field=f"loras.{i}.lora_id")
        if params.seeds:
            seeds = list(params.seeds)
        else:
            first = params.seed if params.seed is not None else random.randint(0, 2**32 - 1 - params.num_images)
            seeds = [(first + i) % 2**32 for i in range(params.num_images)]
        resolved = self.wildcards.resolve(params.prompt, seeds)  # 422 on `prompt` for a missing wildcard
        notes: list[str] = []
        if params.negative_prompt and not family.negative_prompt:
            notes.append(f"{family.label} models take no negative prompt; it was not used")
        steps = params.steps or entry.default_steps
        guidance = params.guidance_scale if params.guidance_scale is not None else entry.default_guidance
        if params.lora_preset:
            lora_presets.resolve(family, params.lora_preset, self.loras, self.hub)
            preset = lora_presets.find(family, params.lora_preset)
            steps, guidance, replaced = lora_presets.sampling(preset, params.steps, params.guidance_scale)
            notes.extend(replaced)
        if params.reference_images and family.reference_list is not None and "strength" in params.model_fields_set:
            notes.append(f"{family.label} models edit from their reference images without a strength; it was not used")
        return params.model_copy(
            update={
                "width": width,
                "height": height,
                "steps": steps,
                "guidance_scale": guidance,
                "seed": seeds[0],
                "seeds": seeds,
                "num_images": len(seeds),
                "reference_images": self.references.normalise(params.reference_images),
                "notes": notes,
                "resolved_prompts": resolved if resolved != [params.prompt] * len(seeds) else None,
            }
        )

    # -- run time ------------------------------------------------------------------------------
    def run(self, ctx: JobContext, params: ImageParams) -> dict[str, Any]:
        warmup.wait()  # torch may be half-imported by the warm-up thread: let it finish first
        import torch

        models = ctx.models
        entry = models.catalog.get(params.model, kinds=image_types())
        family = family_of(entry.type)
        width, height, steps, seeds = _prepared(params)
        # A retry (or a restart) continues: images an earlier attempt saved are kept, not made again.
        kept = Counter(a.seed for a in ctx.saved_assets() if a.kind == "image")
        todo: list[tuple[int, int]] = []
        for index, seed in enumerate(seeds):
            if kept[seed] > 0:
                kept[seed] -= 1
            else:
                todo.append((index, seed))
        result: dict[str, Any] = {"seeds": seeds, "notes": params.notes}
        if len(todo) < len(seeds):
            result["kept_from_earlier_attempt"] = len(seeds) - len(todo)
        if not todo:
            return result
        cached = models.acquire(entry, ctx, width * height)
        if cached.plan is not None:
            result["memory_plan"] = cached.plan.summary()
        pipe = cached.pipe
        references = [self.references.load(r) for r in params.reference_images]
        if references and family.reference_list is None:
            task = "edit" if family.edit_pipeline else "image-to-image"
            pipe = cached.variant(task, lambda: _from_references(family, cached.pipe))
        pipe.scheduler = (
            make_scheduler(params.scheduler, cached.default_scheduler.config)
            if params.scheduler
            else cached.default_scheduler
        )
        models.set_vae_tiling(pipe, cached, width * height)
        prompts = params.resolved_prompts or [params.prompt] * len(seeds)
        _, negative = apply_style(params.style, params.prompt, params.negative_prompt)
        call: dict[str, Any] = {
            "width": width,
            "height": height,
            "num_inference_steps": steps,
            family.guidance_param: params.guidance_scale,
            **family.call_defaults,
        }
        if negative and family.negative_prompt:
            call["negative_prompt"] = negative
        elif family.default_negative is not None and (params.guidance_scale or 0) > family.cfg_above:
            call["negative_prompt"] = family.default_negative  # Qwen-Image runs its CFG only with a negative prompt
        loras = [(models.loras.get(lr.lora_id), lr.weight) for lr in params.loras]
        preset_loras, second_expert = lora_presets.for_run(
            family, params.lora_preset, models.loras, models.hub, pipe, len(loras)
        )
        loras += preset_loras
        recorded_base = {
            **params.model_dump(exclude={"notes", "seeds", "num_images", "seed", "resolved_prompts"}),
            "model_name": entry.name,
            "model_type": entry.type,
            "final_negative_prompt": call.get("negative_prompt"),
            "generator": f"HollyWool {__version__}",
        }
        # A LoRA may change the text encoder: such jobs encode their prompts without the model's cache.
        prompt_cache = None if loras else cached.variant("prompts", PromptCache)
        ctx.set_stage("generating", total_steps=steps * len(todo))
        with AppliedLoras(pipe, loras, entry.id, family, second_expert):
            for position, (index, seed) in enumerate(todo):
                # This image's prompt (its wildcards resolved at submit time), with the style's text around it.
                final_prompt = apply_style(params.style, prompts[index], None)[0]
                if references and family.reference_list is not None:
                    call["image"] = family.reference_list(references)
                elif references and family.edit_pipeline:
                    call["image"] = references  # all of them, as given: edit pipelines resize them themselves
                elif references:
                    call["image"] = fit(references[index % len(references)], width, height)
                    call["strength"] = params.strength
                on_step = self._step_callback(ctx, family, position, len(todo), width, height, steps)
                try:
                    image_call = prompt_call(family, pipe, {**call, "prompt": final_prompt}, prompt_cache)
                    out = pipe(
                        **image_call,
                        generator=torch.Generator("cpu").manual_seed(seed),
                        callback_on_step_end=on_step,
                        callback_on_step_end_tensor_inputs=["latents"],
                    )
                except torch.OutOfMemoryError as exc:
                    raise _out_of_memory(models, entry, cached, width, height, len(seeds)) from exc
                recorded = {**recorded_base, "seed": seed, "final_prompt": final_prompt}
                if prompts[index] != params.prompt:  # `prompt` stays the template: the same seed picks the same
                    recorded["resolved_prompt"] = prompts[index]
                ctx.save_image(
                    out.images[0],
                    params=recorded,
                    text_chunks=metadata.text_chunks(recorded),
                    model=entry.id,
                    prompt=prompts[index],
                    negative_prompt=params.negative_prompt,
                    seed=seed,
                )
        return result

    @staticmethod
    def _step_callback(
        ctx: JobContext, family: ImageFamily, index: int, count: int, width: int, height: int, steps: int
    ) -> StepCallback:
        reported = [-1]

        def on_step(pipe: Any, step: int, _timestep: Any, tensors: dict[str, Any]) -> dict[str, Any]:
            ctx.raise_if_cancelled()
            # Image-to-image runs fewer steps than asked: count the real ones. Some schedulers make more
            # model calls than steps (PNDM: 26 for 25): those are shown in the steps the user asked for.
            calls = getattr(pipe, "_num_timesteps", None) or len(pipe.scheduler.timesteps) or 1
            shown = min(calls, steps)
            done = index * shown + math.ceil((step + 1) * shown / calls)
            if done != reported[-1]:  # two calls may land on one shown step: say it once
                reported.append(done)
                ctx.progress(done, shown * count)
            if should_preview(step, calls) and "latents" in tensors:
                ctx.preview(latents_to_preview(family, pipe, tensors["latents"], height, width), done)
            return tensors

        return on_step


def _prepared(params: ImageParams) -> tuple[int, int, int, list[int]]:
    """Width, height, steps and seeds: `prepare` fills them in before a job is stored."""
    if params.width is None or params.height is None or params.steps is None or params.seeds is None:
        raise StudioError("This image job was stored without its size, steps or seeds; submit it again.")
    return params.width, params.height, params.steps, params.seeds


def _check_references(family: ImageFamily, count: int) -> None:
    """Refuse reference images a family cannot use, or their absence where it needs them."""
    field = "reference_images"
    if count and not family.takes_references:
        raise InvalidInputError(f"{field}: {family.label} models cannot start from an image; give none", field=field)
    if not count and not family.text_to_image:
        raise InvalidInputError(
            f"{field}: {family.label} models edit images: give at least one reference image", field=field
        )
    if count > family.max_references:
        raise InvalidInputError(
            f"{field}: {family.label} models take at most {family.max_references} reference image(s); "
            f"{count} were given",
            field=field,
        )


def _from_references(family: ImageFamily, pipe: Any) -> Any:
    """The pipeline that starts from reference images (the family's edit pipeline, else its image-to-image one),
    over the loaded one: the same modules, no copy."""
    import diffusers

    name = family.edit_pipeline or family.img2img_pipeline or "AutoPipelineForImage2Image"
    if type(pipe).__name__ == name:
        return pipe
    converted = getattr(diffusers, name).from_pipe(pipe)
    converted.set_progress_bar_config(disable=True)
    return converted


def _out_of_memory(
    models: ModelManager, entry: ModelEntry, cached: CachedModel, width: int, height: int, count: int
) -> StudioError:
    models.out_of_memory(entry.id)
    tips = ["a smaller size", "fewer images per job"]
    if cached.placement == "device" and cached.device != "cpu":
        tips.append("running it again (the studio will offload parts of the model to system memory)")
    tips.append("a lighter model")
    return StudioError(
        f"Out of memory while generating {count} image(s) of {width}x{height} with {entry.id} "
        f"(placement: {cached.placement}). Try {', '.join(tips)}. Loaded models were unloaded to free memory."
    )
