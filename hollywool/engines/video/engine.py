"""The local video engine: the "video" (text-to-video) and "i2v" (image-to-video) job kinds.

An "i2v" job whose references come with `reference_frame_indices` places them as keyframes (models with a
keyframes pipeline: LTX-2). A job runs in stages: loading, sampling (output_type="latent"), saving the final
latents, decoding (resilient to running out of memory), encoding the MP4 with a poster. Each stage after
sampling can be repeated from the saved latents, so a crash after sampling costs a decode, not the whole run.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hollywool.engines.image.previews import should_preview
from hollywool.engines.prompts import weights
from hollywool.engines.prompts.wildcards import Wildcards
from hollywool.engines.video import decode as latents_io
from hollywool.engines.video.calls import guider_scale, scheduler_steps
from hollywool.engines.video.memory import MemoryEstimate, estimate_gb
from hollywool.engines.video.params import I2VParams, VideoParams
from hollywool.engines.video.previews import latents_to_preview
from hollywool.engines.video.views import VideoModel
from hollywool.errors import ConflictError, InvalidInputError, NotFoundError, StudioError
from hollywool.jobs.context import JobContext
from hollywool.jobs.kinds import JobKind, KindRegistry
from hollywool.media.assets import AssetService
from hollywool.media.references import ReferenceImages, fit
from hollywool.models import lora_presets, warmup
from hollywool.models.catalog import ModelEntry
from hollywool.models.families import Decoded, Rules, VideoFamily, video_family, video_types
from hollywool.models.loras import AppliedLoras
from hollywool.models.manager import GB, ModelManager
from hollywool.models.views import lora_preset_views
from hollywool.storage.assets import Asset

log = logging.getLogger("hollywool.video")


def model_family(entry: ModelEntry) -> VideoFamily:
    """The entry's family as this model is (its variant: Wan 2.2 TI2V-5B can start from an image, A14B cannot)."""
    return video_family(entry.type).for_model(entry.model_path, entry.extra)


def _can(family: VideoFamily, image_to_video: bool) -> bool:
    return family.i2v_pipeline is not None if image_to_video else family.text_to_video


def _keyframes(p: VideoParams) -> list[int] | None:
    return p.reference_frame_indices if isinstance(p, I2VParams) else None


_SHORT_SIDE = {"480p": 480, "576p": 576, "720p": 720, "1080p": 1080}
_ASPECTS = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1), "4:3": (4, 3), "3:4": (3, 4)}


def _snap(value: float, multiple: int) -> int:
    return max(multiple, int(round(value / multiple)) * multiple)


def _neighbours(value: int, multiple: int, maximum: int) -> str:
    low, high = value // multiple * multiple, (value // multiple + 1) * multiple
    options = [v for v in (low, high) if multiple <= v <= maximum] or [min(max(low, multiple), maximum)]
    return " or ".join(str(v) for v in options)


@dataclass(frozen=True)
class _Resolved:
    """The parameters `VideoEngine._resolve` fills in at submit time."""

    width: int
    height: int
    num_frames: int
    fps: float
    steps: int
    seed: int


def _resolved(p: VideoParams) -> _Resolved:
    if (
        p.width is None
        or p.height is None
        or p.num_frames is None
        or p.fps is None
        or p.steps is None
        or p.seed is None
    ):
        raise StudioError("This video job was stored without its size, frames, fps, steps or seed; submit it again.")
    return _Resolved(p.width, p.height, p.num_frames, p.fps, p.steps, p.seed)


class VideoEngine:
    """The `video` and `i2v` kinds. Submit-time checks ask the model manager; running reaches models
    through `ctx.models`."""

    def __init__(self, models: ModelManager, assets: AssetService, references: ReferenceImages, wildcards: Wildcards):
        self.models = models
        self.wildcards = wildcards
        self.catalog = models.catalog
        self.assets = assets
        self.references = references

    def register(self, kinds: KindRegistry) -> None:
        kinds.register(JobKind("video", VideoParams, self.run, check=self.check_text, label="Video"))
        kinds.register(JobKind("i2v", I2VParams, self.run, check=self.check_image, label="Image to video"))

    # -- what the API shows ------------------------------------------------------------------------
    def describe(self, entry: ModelEntry) -> VideoModel:
        family = model_family(entry)
        rules = family.rules_for(entry.path, entry.extra)
        width, height = self._default_size(entry, rules)
        return VideoModel.model_validate(
            {
                "id": entry.id,
                "name": entry.name,
                "type": entry.type,
                "family": family.label,
                "legacy": family.legacy,
                "variant": family.variant,
                "text_to_video": family.text_to_video,
                "image_to_video": family.i2v_pipeline is not None,
                "audio": family.audio,
                "prompt": family.prompt,
                "negative_prompt": family.negative_prompt,
                "reference_images": family.max_references,
                "reference_images_use": family.references_doc,
                "keyframes": family.keyframes is not None,
                "keyframes_use": family.keyframes.doc if family.keyframes else "",
                "frames": {
                    "form": rules.frame_form,
                    "step": rules.frame_step,
                    "max": rules.max_frames,
                    "default": rules.default_frames,
                },
                "fps": rules.fps,
                "size_multiple": rules.size_multiple,
                "max_width": rules.max_width,
                "max_height": rules.max_height,
                "fixed_size": list(rules.fixed_size) if rules.fixed_size else None,
                "default_width": width,
                "default_height": height,
                "default_steps": entry.default_steps,
                "default_guidance": entry.default_guidance,
                "memory_gb": entry.memory_gb,
                "lora_presets": lora_preset_views(family),
            }
        )

    def video_models(self) -> list[VideoModel]:
        entries = [e for e in self.catalog.all() if e.type in video_types()]
        return [self.describe(e) for e in sorted(entries, key=lambda e: e.family.legacy)]

    # -- submit-time checks: resolve the params, enforce the model's rules, check memory -------------
    def check_text(self, params: VideoParams) -> None:
        self._resolve(params, image_to_video=False)

    def check_image(self, params: I2VParams) -> None:
        self._resolve(params, image_to_video=True)

    def _entry(self, model_id: str, *, image_to_video: bool) -> tuple[ModelEntry, VideoFamily]:
        """The video model for this kind of job, or a 404 naming the models that can do it."""
        entry = self.catalog.find(model_id)
        if entry is not None and entry.type in video_types():
            family = model_family(entry)
            if _can(family, image_to_video):
                return entry, family
        valid = sorted(
            e.id for e in self.catalog.all() if e.type in video_types() and _can(model_family(e), image_to_video)
        )
        raise NotFoundError(f"model: unknown model {model_id!r}; valid ids: {', '.join(valid)}", field="model")

    def _default_size(self, entry: ModelEntry, rules: Rules) -> tuple[int, int]:
        if rules.fixed_size:
            return rules.fixed_size
        if entry.default_width and entry.default_height:
            return entry.default_width, entry.default_height
        return rules.default_size

    def _resolve(self, p: VideoParams, *, image_to_video: bool) -> None:
        entry, family = self._entry(p.model, image_to_video=image_to_video)
        rules = family.rules_for(entry.path, entry.extra)
        notes: list[str] = []
        self._resolve_size(p, entry, family, rules)
        if image_to_video and rules.image_buckets and _keyframes(p) is None:
            assert p.width is not None and p.height is not None
            bucket = rules.image_bucket(p.width, p.height)
            if bucket != (p.width, p.height):
                notes.append(
                    f"{family.label} renders an image at the size bucket nearest its aspect ratio: "
                    f"{bucket[0]}x{bucket[1]}, not {p.width}x{p.height}"
                )
                p.width, p.height = bucket
        p.fps = p.fps or rules.fps
        if p.num_frames is not None:
            if p.num_frames not in rules.valid_frames():
                nearest = " or ".join(str(n) for n in rules.nearest_frames(p.num_frames))
                raise InvalidInputError(
                    f"num_frames: {p.num_frames} is not valid for {family.label} (frames are {rules.frame_form}, "
                    f"at most {rules.max_frames}); try {nearest}",
                    field="num_frames",
                )
        elif p.duration is not None:
            wanted = p.duration * p.fps
            p.num_frames = rules.snap_frames(min(wanted, rules.max_frames))
            if wanted > rules.max_frames:
                notes.append(
                    f"{p.duration:g} s at {p.fps:g} fps is {wanted:g} frames, more than {family.label} makes: "
                    f"cut to its maximum, {p.num_frames} frames ({p.num_frames / p.fps:.1f} s)"
                )
            else:
                notes.append(f"{p.duration:g} s at {p.fps:g} fps is {p.num_frames} frames ({rules.frame_form})")
            p.duration = None
        else:
            p.num_frames = rules.default_frames
        if family.prompt and not p.prompt.strip():
            raise InvalidInputError(f"prompt: {family.label} needs a prompt", field="prompt")
        if not family.prompt and p.prompt:
            notes.append(f"{family.label} takes no prompt; the prompt is ignored")
        if not family.negative_prompt and p.negative_prompt:
            notes.append(f"{family.label} takes no negative prompt; it is ignored")
        if image_to_video:
            assert isinstance(p, I2VParams)
            unused = len(p.reference_images) - family.max_references
            if p.reference_frame_indices is not None:
                notes += self._resolve_keyframes(p, family, rules)
            elif unused > 0:
                notes.append(
                    f"{family.label} uses {family.max_references} reference image(s) "
                    f"({family.references_doc}); the other {unused} are ignored"
                )
            p.reference_images = self.references.normalise(p.reference_images)
        for i, lora in enumerate(p.loras):
            self.models.loras.check_compatible(lora.lora_id, entry.type, entry.id, field=f"loras.{i}.lora_id")
        if p.lora_preset:
            lora_presets.resolve(family, p.lora_preset, self.models.loras, self.models.hub)
            preset = lora_presets.find(family, p.lora_preset)
            p.steps, p.guidance_scale, replaced = lora_presets.sampling(preset, p.steps, p.guidance_scale)
            notes.extend(replaced)
        p.steps = p.steps or entry.default_steps
        p.guidance_scale = p.guidance_scale if p.guidance_scale is not None else entry.default_guidance
        p.seed = p.seed if p.seed is not None else random.randint(0, 2**32 - 1)
        p.resolved_prompt = None
        if family.prompt and p.prompt:
            resolved = self.wildcards.resolve(p.prompt, [p.seed])[0]  # 422 on `prompt` for a missing wildcard
            p.resolved_prompt = resolved if resolved != p.prompt else None
        p.notes = notes
        self._check_memory(entry, rules, _resolved(p))

    @staticmethod
    def _resolve_keyframes(p: I2VParams, family: VideoFamily, rules: Rules) -> list[str]:
        """Check the keyframes' frames and move each to the nearest frame the model can place one on."""
        assert p.reference_frame_indices is not None and p.num_frames is not None
        keyframes = family.keyframes
        if keyframes is None:
            raise InvalidInputError(
                f"reference_frame_indices: {family.label} cannot place reference images at chosen frames; "
                "leave reference_frame_indices out (GET /api/video/models lists the models with `keyframes`)",
                field="reference_frame_indices",
            )
        last = p.num_frames - 1
        slots = keyframes.slots(rules, p.num_frames)
        notes: list[str] = []
        placed: list[int] = []
        for index, frame in enumerate(p.reference_frame_indices):
            absolute = frame + p.num_frames if frame < 0 else frame
            if not 0 <= absolute <= last:
                raise InvalidInputError(
                    f"reference_frame_indices.{index}: frame {frame} is outside the video's {p.num_frames} frames "
                    f"(0 to {last}, or -{p.num_frames} to -1 from the end)",
                    field=f"reference_frame_indices.{index}",
                )
            slot = min(slots, key=lambda s: (abs(s - absolute), -s))
            if slot in placed:
                raise InvalidInputError(
                    f"reference_frame_indices.{index}: frame {frame} lands on frame {slot}, where reference image "
                    f"{placed.index(slot)} already is ({keyframes.doc})",
                    field=f"reference_frame_indices.{index}",
                )
            if slot != absolute:
                notes.append(f"keyframe {index} is placed at frame {slot}, not {absolute} ({keyframes.doc})")
            placed.append(slot)
        p.reference_frame_indices = placed
        return notes

    def _resolve_size(self, p: VideoParams, entry: ModelEntry, family: VideoFamily, rules: Rules) -> None:
        if rules.fixed_size:
            fw, fh = rules.fixed_size
            if p.width is not None and (p.width, p.height) != (fw, fh):
                raise InvalidInputError(
                    f"width: {family.label} renders only {fw}x{fh} (its positions are learned); try {fw}x{fh}",
                    field="width",
                )
            p.width, p.height = fw, fh
            return
        m = rules.size_multiple
        if p.width is None or p.height is None:  # the params give both or neither
            if p.resolution:
                a, b = _ASPECTS[p.aspect_ratio or "16:9"]
                short = _SHORT_SIDE[p.resolution]
                w, h = (short * a / b, short) if a >= b else (short, short * b / a)
                p.width, p.height = _snap(w, m), _snap(h, m)
            else:
                p.width, p.height = self._default_size(entry, rules)
        for name, value, maximum in (("width", p.width, rules.max_width), ("height", p.height, rules.max_height)):
            if value % m:
                raise InvalidInputError(
                    f"{name}: {value} is not a multiple of {m} for {family.label}; "
                    f"try {_neighbours(value, m, maximum)}",
                    field=name,
                )
            if value > maximum:
                raise InvalidInputError(
                    f"{name}: {value} is above {family.label}'s maximum of {maximum}; try {maximum // m * m}",
                    field=name,
                )

    def _check_memory(self, entry: ModelEntry, rules: Rules, p: _Resolved) -> None:
        plan = self.models.check_fits(entry, p.width * p.height)  # 409 when its weights cannot fit here at all
        dw, dh = self._default_size(entry, rules)
        volume, default_volume = p.width * p.height * p.num_frames, dw * dh * rules.default_frames
        needed = estimate_gb(entry.memory_gb, volume, default_volume, plan.device_share)
        est = MemoryEstimate(needed, self.models.room_bytes() / GB)
        if not est.fits:
            raise ConflictError(
                f"{entry.name} at {p.width}x{p.height}, {p.num_frames} frames needs about {est.needed_gb:.1f} GB; "
                f"{est.free_gb:.1f} GB is free. Try fewer frames, a smaller size or a lighter model.",
                detail={"needed_gb": round(est.needed_gb, 2), "free_gb": round(est.free_gb, 2)},
            )

    # -- running -------------------------------------------------------------------------------------
    @staticmethod
    def _pipeline(ctx: JobContext, entry: ModelEntry, family: VideoFamily, p: VideoParams, i2v: bool) -> Any:
        """The model from the model manager (its loading, placement and memory budget), as the task's pipeline:
        a folder saved as one task's class serves the others through `from_pipe` (the same modules, no copy)."""
        cached = ctx.models.acquire(entry, ctx, (p.width or 0) * (p.height or 0))
        pipe = cached.pipe
        task, target = "text-to-video", family.pipeline
        if _keyframes(p) is not None and family.keyframes:
            task, target = "keyframes-to-video", family.keyframes.pipeline
        elif i2v and family.i2v_pipeline:
            task, target = "image-to-video", family.i2v_pipeline
        if type(pipe).__name__ == target:
            return pipe

        def convert() -> Any:
            import diffusers

            converted = getattr(diffusers, target).from_pipe(pipe)
            converted.set_progress_bar_config(disable=True)
            return converted

        return cached.variant(task, convert)

    def run(self, ctx: JobContext, p: VideoParams) -> dict[str, Any]:
        warmup.wait()  # torch/diffusers may be half-imported by the warm-up thread: let it finish
        if ctx.asset_ids:  # finished before a crash between saving the video and completing the job
            return {"seed": p.seed, "resumed": True}
        entry = self.catalog.get(p.model, kinds=video_types())
        family = model_family(entry)
        rules = family.rules_for(entry.path, entry.extra)
        image_to_video = isinstance(p, I2VParams)
        meta: dict[str, Any] = {"num_frames": p.num_frames, "width": p.width, "height": p.height}

        saved_at = ctx.checkpoint.get("latents")
        latents = latents_io.load_latents(ctx.work_dir / saved_at) if saved_at else None
        resumed = latents is not None
        ctx.set_stage("loading", f"Loading {entry.name}")
        pipe = self._pipeline(ctx, entry, family, p, image_to_video)
        cached = ctx.models.cache.peek(entry.id)
        plan = cached.plan.summary() if cached is not None and cached.plan is not None else None
        if latents is None:
            latents = self._sample(ctx, pipe, entry, family, rules, p)
            ctx.work_dir.mkdir(parents=True, exist_ok=True)
            path = latents_io.save_latents(ctx.work_dir, latents)
            ctx.save_checkpoint(latents=path.name, sampled_at=time.time())
        else:
            ctx.set_stage("decoding", "Decoding the latents saved before the restart")

        ctx.raise_if_cancelled()
        ctx.set_stage("decoding", "Decoding frames")

        def on_retry(mode: str) -> None:
            ctx.set_stage(
                "decoding", "Out of memory: retrying with VAE tiling and slicing" if mode == "tiled" else
                "Out of memory: retrying with the decoder offloaded to the CPU"
            )  # fmt: skip

        decoded, mode = latents_io.decode_resilient(pipe, family, latents, meta, on_retry)
        ctx.raise_if_cancelled()
        asset = self._save(ctx, entry, family, p, decoded, mode)
        (ctx.work_dir / latents_io.LATENTS_FILE).unlink(missing_ok=True)
        return {
            "seed": p.seed,
            "decode_mode": mode,
            "resumed_from_latents": resumed,
            "asset_id": asset.id,
            "memory_plan": plan,
        }

    def _sample(
        self, ctx: JobContext, pipe: Any, entry: ModelEntry, family: VideoFamily, rules: Rules, p: VideoParams
    ) -> dict[str, Any]:
        """Run the pipeline (a diffusers pipeline: Any) to its final latents."""
        import torch

        r = _resolved(p)
        keyframes = _keyframes(p) if family.keyframes else None
        images: list[Any] = []
        if isinstance(p, I2VParams):
            used = p.reference_images if keyframes is not None else p.reference_images[: family.max_references]
            images = [fit(self.references.load(ref), r.width, r.height) for ref in used]
        kwargs: dict[str, Any] = {
            "num_frames": r.num_frames,
            "num_inference_steps": r.steps,
            "generator": torch.Generator("cpu").manual_seed(r.seed),
            "output_type": "latent",
        }
        if not (images and rules.image_buckets and keyframes is None):  # else the pipeline sizes from the image
            kwargs.update(height=r.height, width=r.width)
        if family.prompt:
            # No video family weighs tokens: the A1111 weight syntax is stripped (engines/prompts/weights.py).
            kwargs["prompt"] = weights.without_weights(p.resolved_prompt or p.prompt)
            if not family.guidance_by_guider:
                kwargs["guidance_scale"] = p.guidance_scale
        if family.negative_prompt and p.negative_prompt:
            kwargs["negative_prompt"] = weights.without_weights(p.negative_prompt)
        if keyframes is not None and family.keyframes:
            kwargs.update(family.keyframes.call_args(images, keyframes, rules))
        elif images:
            kwargs["image"] = images[0]
        kwargs.update(family.pipe_args(pipe))
        kwargs.update(family.call_args(p, rules, images))
        kwargs.update(entry.extra.get("call") or {})  # catalogue escape hatch: extra.call keyword arguments

        ctx.set_stage("sampling", f"Sampling {r.num_frames} frames", total_steps=r.steps)

        meta: dict[str, Any] = {"num_frames": r.num_frames, "width": r.width, "height": r.height}
        previews_failed = False

        def on_step(pipe_: Any, step: int, _timestep: Any, tensors: dict[str, Any]) -> dict[str, Any]:
            nonlocal previews_failed
            ctx.raise_if_cancelled()
            ctx.progress(step + 1, r.steps)
            if not previews_failed and should_preview(step, r.steps) and "latents" in tensors:
                try:
                    ctx.preview(latents_to_preview(family.preview, pipe_, tensors["latents"], meta), step + 1)
                except Exception:  # a preview is cosmetic: it must never cost an hour-long job
                    log.warning("live previews for %s failed; sampling goes on", family.label, exc_info=True)
                    previews_failed = True
            return tensors

        loras = [(ctx.models.loras.get(lr.lora_id), lr.weight) for lr in p.loras]
        preset_loras, second_expert = lora_presets.for_run(
            family, p.lora_preset, ctx.models.loras, ctx.models.hub, pipe, len(loras)
        )
        loras += preset_loras
        with contextlib.ExitStack() as stack:
            if family.step_callback:
                kwargs.update(callback_on_step_end=on_step, callback_on_step_end_tensor_inputs=["latents"])
            else:
                stack.enter_context(scheduler_steps(pipe, on_step))
            if family.guidance_by_guider:
                stack.enter_context(guider_scale(pipe, p.guidance_scale if family.prompt else None))
            stack.enter_context(torch.no_grad())
            stack.enter_context(AppliedLoras(pipe, loras, entry.id, family, second_expert))
            out = pipe(**kwargs)
        return family.latents_of(out)

    def _save(
        self, ctx: JobContext, entry: ModelEntry, family: VideoFamily, p: VideoParams, decoded: Decoded, mode: str
    ) -> Asset:
        from PIL import Image

        from hollywool.media.video import normalize_frames, write_mp4

        fps = _resolved(p).fps
        ctx.set_stage("encoding", "Writing the MP4")
        frames = normalize_frames(decoded.frames)
        audio = decoded.audio if decoded.audio is not None and decoded.sample_rate else None
        info: dict[str, Any] = {}

        def write(tmp: Path) -> None:
            info["video"] = write_mp4(tmp, frames, fps, audio=audio, sample_rate=decoded.sample_rate)

        recorded: dict[str, Any] = {
            **p.model_dump(mode="json", exclude={"reference_images"}),
            "kind": ctx.job.kind,
            "family": family.label,
            "frames": len(frames),
            "has_audio": audio is not None,
            "decode_mode": mode,
        }
        if isinstance(p, I2VParams):
            recorded["reference_images"] = [r.model_dump(exclude_none=True) for r in p.reference_images]
        asset = ctx.save_file(
            "video",
            "mp4",
            "video/mp4",
            write,
            params=recorded,
            poster=Image.fromarray(frames[0]),
            width=frames[0].shape[1],
            height=frames[0].shape[0],
            fps=fps,
            frame_count=len(frames),
            duration=len(frames) / fps,
            has_audio=audio is not None,
            model=entry.id,
            prompt=p.resolved_prompt or p.prompt or None,
            negative_prompt=p.negative_prompt,
            seed=p.seed,
        )
        return asset
