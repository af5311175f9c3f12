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
from contextlib import nullcontext
from typing import Any

from hollywool import __version__
from hollywool.engines.image import canvas, control, hires, metadata
from hollywool.engines.image.params import HiresFix, ImageParams, OutpaintMargins, ReferenceImage
from hollywool.engines.image.previews import latents_to_preview, should_preview
from hollywool.engines.image.prompt_cache import PromptCache
from hollywool.engines.image.styles import STYLES, apply_style
from hollywool.engines.prompts.encoding import prompt_call
from hollywool.engines.prompts.wildcards import Wildcards
from hollywool.errors import InvalidInputError, NotFoundError, StudioError
from hollywool.jobs.context import JobContext
from hollywool.jobs.kinds import JobKind, KindRegistry
from hollywool.media.references import ReferenceImages, fit
from hollywool.models import lora_presets, warmup
from hollywool.models.cache import CachedModel
from hollywool.models.catalog import ModelEntry
from hollywool.models.families import ImageFamily, family_of, image_families, image_types
from hollywool.models.loras import AppliedLoras
from hollywool.models.manager import ModelManager
from hollywool.models.schedulers import make_scheduler
from hollywool.models.sizes import MAX_SIDE, MIN_SIDE, aspect_size

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
        mode = _mode(params)
        # An outpaint paints a new area from scratch unless the job says otherwise.
        strength = 1.0 if mode == "outpaint" and "strength" not in params.model_fields_set else params.strength
        reference_images = self.references.normalise(params.reference_images)
        mask = None
        if mode in ("inpaint", "outpaint"):
            _check_repaint(family, params, mode)
            if params.mask is not None:
                mask = self.references.normalise_one(params.mask, "mask")
            # The size generated: what the job gives, else what the source (and the mask) make of it.
            given = (width, height) if params.width or params.height or params.aspect_ratio else None
            native = int((base_w * base_h) ** 0.5)
            plan = self._repaint_plan(family, params, reference_images, mask, given, native=native)
            width, height = plan.size
        elif mode != "refine":
            _check_references(family, len(params.reference_images))
        controls = control.check(
            params.control,
            family,
            mode,
            len(params.reference_images),
            self.models.controls,
            self.references,
        )
        fix = params.hires or (HiresFix.model_validate({}) if mode == "refine" else None)
        area = _rendered_area(family, mode, width, height)
        if fix is not None:
            self._check_hires(family, fix, mode, len(params.reference_images))
            if mode == "refine":  # the source is the first pass: the final size follows from it
                width, height = self.references.load(reference_images[0]).size
            target = hires.target_size(width, height, fix.scale, family.size_multiple)
            if mode == "refine":  # stored as the size made, as for every job
                width, height = target
            if min(target) < MIN_SIDE:
                raise InvalidInputError(
                    f"hires.scale: the refined image would be {target[0]}x{target[1]}; "
                    f"each side must be at least {MIN_SIDE} px: scale it more",
                    field="hires.scale",
                )
            if max(target) > MAX_SIDE:
                raise InvalidInputError(
                    f"hires.scale: {width}x{height} scaled {fix.scale:g}x is {target[0]}x{target[1]}; "
                    f"the largest side may be {MAX_SIDE} px",
                    field="hires.scale",
                )
            second = target[0] * target[1] if not fix.tile else min(target[0] * target[1], fix.tile**2)
            area = max(area, second)
        self.models.check_fits(entry, area)  # 409 with the reason and a next step when nothing fits
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
        uses_strength = mode in ("inpaint", "outpaint") or (
            params.reference_images and family.reference_list is None and not family.edit_pipeline
        )
        if uses_strength and int(steps * strength) < 1:
            raise InvalidInputError(
                f"steps: {steps} step(s) at strength {strength:g} leave no step to run; "
                f"use at least {math.ceil(1 / strength)} steps or a higher strength",
                field="steps",
            )
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
                "reference_images": reference_images,
                "mode": mode,
                "mask": mask,
                "control": controls,
                "hires": fix,
                "strength": strength,
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
        cached = models.acquire(entry, ctx, _rendered_area(family, params.mode or "generate", width, height))
        if cached.plan is not None:
            result["memory_plan"] = cached.plan.summary()
        pipe = cached.pipe
        references = [self.references.load(r) for r in params.reference_images]
        repaint = None
        second = None
        if params.hires is not None:
            refine_pipe = cached.variant("refine", lambda: _converted(family, _img2img_name(family), cached.pipe))
            upscaler = None
            if params.hires.upscaler not in (hires.LANCZOS, hires.LATENT):
                upscaler = models.acquire_upscaler(models.upscalers.get(params.hires.upscaler), ctx)
            # A refine's stored size is its final one: the pass scales the source to it.
            first = references[0].size if params.mode == "refine" else (width, height)
            second_control: dict[str, Any] = {}
            if params.control:
                # A1111's ControlNet steers both passes of a hires fix by default ("Both"), the map made again at the
                # final size: so here, where the family has a ControlNet image-to-image pipeline; else the first only.
                target = hires.target_size(*first, params.hires.scale, family.size_multiple)
                steered = control.prepare_hires(ctx, family, cached, params.control, self.references, target)
                if steered is None:
                    why = f"{family.label} has no ControlNet image-to-image pipeline for it"
                    result["notes"] = [*result["notes"], f"The ControlNet steered the first pass only ({why})"]
                else:
                    refine_pipe, second_control = steered.pipe, steered.args
            second = hires.SecondPass(
                family, refine_pipe, params.hires, first, upscaler, steps, self._step_callback, second_control
            )
        if params.mode in ("inpaint", "outpaint"):
            repaint = self._repaint_plan(family, params, params.reference_images, params.mask, (width, height))
            pipe = cached.variant("inpaint", lambda: _converted(family, family.inpaint_pipeline or "", cached.pipe))
        elif references and family.reference_list is None and params.mode != "refine":
            task = "edit" if family.edit_pipeline else "image-to-image"
            pipe = cached.variant(task, lambda: _from_references(family, cached.pipe))
        control_args: dict[str, Any] = {}
        if params.control:  # the task's control pipeline over the same modules, in place of the one chosen above
            task = control.task_of(params.mode or "generate", len(references))
            frame = repaint.frame if repaint is not None else None
            controlled = control.prepare_run(
                ctx, family, cached, params.control, self.references, width, height, task, frame
            )
            pipe, control_args = controlled.pipe, controlled.args
            result["notes"] = [*result["notes"], *controlled.notes]
        pipe.scheduler = (
            make_scheduler(params.scheduler, cached.default_scheduler.config)
            if params.scheduler
            else cached.default_scheduler
        )
        models.set_vae_tiling(pipe, cached, _rendered_area(family, params.mode or "generate", width, height))
        prompts = params.resolved_prompts or [params.prompt] * len(seeds)
        _, negative = apply_style(params.style, params.prompt, params.negative_prompt)
        call: dict[str, Any] = {
            "width": width,
            "height": height,
            "num_inference_steps": steps,
            family.guidance_param: params.guidance_scale,
            **family.call_defaults,
        }
        if family.area_param:
            call[family.area_param] = width * height
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
        # Qwen-Image-Edit inpaints with the job's other reference images beside the source.
        inpaint_refs = family.inpaint_references if repaint is not None else None
        ctx.set_stage("generating", total_steps=steps * len(todo))
        with AppliedLoras(pipe, loras, entry.id, family, second_expert):
            for position, (index, seed) in enumerate(todo):
                generator = torch.Generator("cpu").manual_seed(seed)
                # This image's prompt (its wildcards resolved at submit time), with the style's text around it.
                final_prompt = apply_style(params.style, prompts[index], None)[0]
                recorded = {**recorded_base, "seed": seed, "final_prompt": final_prompt}
                if prompts[index] != params.prompt:  # `prompt` stays the template: the same seed picks the same
                    recorded["resolved_prompt"] = prompts[index]
                if params.mode == "refine":  # the source is the first pass
                    image = references[0]
                    if second is not None:
                        image_call = prompt_call(family, pipe, {**call, "prompt": final_prompt}, prompt_cache)
                        image = second.run(ctx, image, image_call, generator, position, len(todo))
                    self._save(ctx, entry, params, recorded, image, seed, prompts[index])
                    continue
                if repaint is not None:
                    call.update(image=repaint.image, mask_image=repaint.mask_image, strength=params.strength)
                elif references and family.reference_list is not None:
                    call["image"] = family.reference_list(references)
                elif references and family.edit_pipeline:
                    call["image"] = references  # all of them, as given: edit pipelines resize them themselves
                elif references:
                    call["image"] = fit(references[index % len(references)], width, height)
                    call["strength"] = params.strength
                if second is not None:
                    ctx.set_stage("generating", total_steps=steps * len(todo))
                on_step = self._step_callback(ctx, family, position, len(todo), width, height, steps)
                try:
                    image_call = prompt_call(family, pipe, {**call, "prompt": final_prompt}, prompt_cache)
                    made_call = (
                        inpaint_refs(pipe, image_call, references[1:]) if inpaint_refs else nullcontext(image_call)
                    )
                    with made_call as made:
                        out = pipe(
                            **made,
                            **control_args,
                            **({"output_type": "latent"} if second is not None and second.latent else {}),
                            generator=generator,
                            callback_on_step_end=on_step,
                            callback_on_step_end_tensor_inputs=["latents"],
                        )
                    image = out.images[0] if repaint is None else repaint.paste(out.images[0], params.paste_back)
                    if second is not None:
                        first = out.images[0:1] if second.latent else image
                        image = second.run(ctx, first, image_call, generator, position, len(todo))
                except torch.OutOfMemoryError as exc:
                    raise _out_of_memory(models, entry, cached, width, height, len(seeds)) from exc
                self._save(ctx, entry, params, recorded, image, seed, prompts[index])
        return result

    @staticmethod
    def _save(
        ctx: JobContext,
        entry: ModelEntry,
        params: ImageParams,
        recorded: dict[str, Any],
        image: Any,
        seed: int,
        prompt: str,
    ) -> None:
        ctx.save_image(
            image,
            params=recorded,
            text_chunks=metadata.text_chunks(recorded),
            model=entry.id,
            prompt=prompt,
            negative_prompt=params.negative_prompt,
            seed=seed,
        )

    def _check_hires(self, family: ImageFamily, fix: HiresFix, mode: str, references: int) -> None:
        """Refuse a hires fix the family or the job cannot take, naming the field."""
        if mode in ("inpaint", "outpaint", "edit"):
            raise InvalidInputError(f"hires: a hires fix follows a generated image, not an {mode}", field="hires")
        if not family.refines:
            raise InvalidInputError(
                f"hires: {family.label} models have no image-to-image pass to refine with; choose another model",
                field="hires",
            )
        if mode == "refine" and references != 1:
            raise InvalidInputError(
                f"reference_images: refine works over one image, the first reference image; {references} were given",
                field="reference_images",
            )
        if fix.upscaler == hires.LATENT:
            if not family.latent_upscale:
                raise InvalidInputError(
                    f"hires.upscaler: {family.label} latents cannot be upscaled as they are; "
                    "choose lanczos or an upscaler model",
                    field="hires.upscaler",
                )
            if mode == "refine" or fix.tile:
                raise InvalidInputError(
                    "hires.upscaler: a latent upscale works on a new image, whole; "
                    "choose lanczos or an upscaler model to refine an image or in tiles",
                    field="hires.upscaler",
                )
        elif fix.upscaler != hires.LANCZOS:
            try:
                self.models.upscalers.get(fix.upscaler)
            except NotFoundError as exc:
                raise InvalidInputError(
                    f"hires.upscaler: {exc.message.partition(': ')[2]}", field="hires.upscaler"
                ) from None
        if int((fix.steps or 1_000) * fix.strength) < 1:
            raise InvalidInputError(
                f"hires.steps: {fix.steps} step(s) at strength {fix.strength:g} leave no step to run",
                field="hires.steps",
            )

    def _repaint_plan(
        self,
        family: ImageFamily,
        params: ImageParams,
        references: list[ReferenceImage],
        mask: ReferenceImage | None,
        size: tuple[int, int] | None,
        native: int = 0,
    ) -> canvas.InpaintPlan:
        """Inpaint: the first reference image and the mask. Outpaint: that image on its grown canvas."""
        source = self.references.load(references[0])
        if params.mode == "outpaint" or (params.mode is None and params.outpaint is not None):
            margins = params.outpaint or OutpaintMargins.model_validate({})
            source, mask_image = canvas.extend(source, margins)
            only_masked = False
        else:
            if mask is None:
                raise StudioError("This inpaint job was stored without its mask; submit it again.")
            mask_image = self.references.load(mask)
            only_masked = params.inpaint_only_masked
        return canvas.plan_inpaint(
            source,
            mask_image,
            blur=params.mask_blur,
            only_masked=only_masked,
            padding=params.inpaint_padding,
            size=size,
            multiple=family.size_multiple,
            native=native or family.default_size,
        )

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


def _rendered_area(family: ImageFamily, mode: str, width: int, height: int) -> int:
    """The pixels the pipeline makes: the size asked, or the family's fixed inpaint area (Qwen-Image-Edit)."""
    fixed = family.inpaint_area if mode in ("inpaint", "outpaint") else None
    return max(width * height, fixed or 0)


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


def _mode(params: ImageParams) -> str:
    """The job's mode as given, else what its inputs say: a mask inpaints, margins outpaint."""
    if params.mode is not None:
        return params.mode
    if params.mask is not None:
        return "inpaint"
    if params.outpaint is not None:
        return "outpaint"
    return "generate"


def _check_repaint(family: ImageFamily, params: ImageParams, mode: str) -> None:
    """Refuse an inpaint or outpaint a family cannot make, or one missing its source, mask or margins."""
    if not family.inpaint_pipeline:
        able = ", ".join(sorted({f.label for f in image_families().values() if f.inpaint_pipeline}))
        raise InvalidInputError(f"mode: {family.label} models cannot {mode}; models that can: {able}", field="mode")
    if not params.reference_images:
        raise InvalidInputError(
            f"reference_images: {mode} needs the image to paint on as the first reference image",
            field="reference_images",
        )
    count = len(params.reference_images)
    if family.inpaint_references is not None and count > family.max_references:
        raise InvalidInputError(
            f"reference_images: {family.label} models {mode} on the first reference image with at most "
            f"{family.max_references - 1} more; {count} were given",
            field="reference_images",
        )
    if family.inpaint_references is None and count > 1:
        raise InvalidInputError(
            f"reference_images: {mode} paints on one image; {count} were given", field="reference_images"
        )
    if mode == "inpaint" and params.mask is None:
        raise InvalidInputError("mask: inpaint needs a mask (white: what to change)", field="mask")
    if mode == "outpaint":
        m = params.outpaint
        if m is None or not (m.left or m.top or m.right or m.bottom):
            raise InvalidInputError("outpaint: give how many pixels to add on at least one side", field="outpaint")
        if params.mask is not None:
            raise InvalidInputError("mask: outpaint makes its own mask (the new area); give none", field="mask")


def _img2img_name(family: ImageFamily) -> str:
    return family.img2img_pipeline or "AutoPipelineForImage2Image"


def _from_references(family: ImageFamily, pipe: Any) -> Any:
    """The pipeline that starts from reference images (the family's edit pipeline, else its image-to-image one),
    over the loaded one: the same modules, no copy."""
    return _converted(family, family.edit_pipeline or _img2img_name(family), pipe)


def _converted(family: ImageFamily, name: str, pipe: Any) -> Any:
    """diffusers' pipeline `name` over the loaded one's modules (no copy), or the loaded one if it is that already."""
    import diffusers

    if type(pipe).__name__ == name:
        return pipe
    converted = getattr(diffusers, name).from_pipe(pipe)
    converted.set_progress_bar_config(disable=True)
    if family.on_convert is not None:
        family.on_convert(converted)
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
