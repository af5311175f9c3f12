"""What an image family adds to a family: sizes, parameters, schedulers, previews, prompt encoding.

Every diffusers image pipeline has the same call shape and step callback, so an image family is only
the facts that differ: the size multiple and trained size, which parameters it accepts, its
schedulers, how its latents become a rough RGB preview, and how its pipeline encodes a prompt (so
the studio can keep the embeddings of a prompt it has seen; see engines/image/prompt_cache.py).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from hollywool.models.families.base import Family, LatentRGB, Medium, Task

MAX_REFERENCES = 5  # reference images one image job may give (the API's limit); a family may take fewer

# (pipe, prompt, negative prompt, classifier-free guidance?, device, options) -> embedding keyword arguments
PromptEncoder = Callable[[Any, str, "str | None", bool, Any, dict[str, Any]], dict[str, Any]]


# (inpaint pipeline, its call, reference images) -> the call to make, inside the context (see `inpaint_references`)
InpaintReferences = Callable[[Any, dict[str, Any], list[Any]], AbstractContextManager[dict[str, Any]]]


@dataclass(frozen=True, kw_only=True)
class ImageFamily(Family):
    size_multiple: int  # width and height must be multiples of this
    default_size: int  # the side length the family was trained at
    default_steps: int = 25
    default_guidance: float = 7.0
    negative_prompt: bool = True  # False also means no classifier-free guidance branch (FLUX's embedded guidance)
    schedulers: tuple[str, ...] = ()  # choices besides "default" (see models/schedulers.py)
    latent_rgb: LatentRGB | None = None
    # Turns callback latents into [batch, channels, h, w] (FLUX packs them into tokens).
    unpack_latents: Callable[[Any, Any, int, int], Any] | None = None
    encode_prompt: PromptEncoder | None = None  # None: the prompt is encoded by the pipeline on every job
    # CLIP text encoders: A1111 weights `(word:1.3)` and prompts over 77 tokens are encoded through compel
    # (engines/prompts/clip_weights.py); other families get the prompt with the weight syntax stripped.
    prompt_weights: bool = False
    img2img_pipeline: str | None = None  # None: diffusers' AutoPipelineForImage2Image picks it
    # Set when reference images go to the text-to-image pipeline as `image`, all in one list and with no
    # strength (FLUX.2's editing and multi-reference path), instead of through an image-to-image pipeline:
    # it turns the job's reference images into that list (PIL images in, PIL images out).
    reference_list: Callable[[list[Any]], list[Any]] | None = None
    call_defaults: dict[str, Any] = field(default_factory=dict[str, Any])
    text_to_image: bool = True  # False: every job starts from reference images (edit models)
    image_to_image: bool = True  # False: no image-to-image pipeline (Krea 2)
    # Edit models take all of a job's reference images in one call (`image=[...]`, no strength).
    edit_pipeline: str | None = None
    max_references: int = MAX_REFERENCES  # reference images one job may give
    # The pipeline that repaints a masked area of a source image (inpaint and outpaint); None: the family cannot.
    inpaint_pipeline: str | None = None
    # Its inpaint pipeline also reads reference images besides the source (Qwen-Image-Edit), up to
    # `max_references` in all: (pipeline, call, references) -> a context in which to make the call it gives.
    inpaint_references: InpaintReferences | None = None
    # Its inpaint pipeline renders about this many pixels whatever the size asked (diffusers'
    # QwenImageEditInpaintPipeline: 1024x1024 at the image's aspect): what a job's memory is planned for.
    inpaint_area: int | None = None
    # The pipeline a ControlNet runs in, per ControlNet model class (diffusers' name), for generate; under
    # "Class/image-to-image" and "Class/inpaint" for those tasks. The job's control model must be one of these
    # classes (and name this family as its base).
    control_pipelines: dict[str, str] = field(default_factory=dict[str, str])
    # Its latents are plain 4-channel maps its image-to-image pipeline takes as they are: a hires fix may
    # upscale them before decoding (SD, SDXL).
    latent_upscale: bool = False
    # Run once on a pipeline converted for a task (inpaint, image-to-image, edit): mends what diffusers expects.
    on_convert: Callable[[Any], None] | None = None
    guidance_param: str = "guidance_scale"  # the pipeline argument the studio's guidance goes to
    # The pipeline argument that scales its output to an area whatever the size asked (FLUX.1 Kontext's
    # `max_area`): the studio passes the job's own width x height.
    area_param: str | None = None
    cfg_above: float = 1.0  # the pipeline runs its negative branch when guidance is above this
    default_negative: str | None = None  # the negative prompt when a job gives none (Qwen-Image needs one for CFG)

    @property
    def medium(self) -> Medium:
        return "image"

    @property
    def tasks(self) -> dict[Task, str]:
        tasks: dict[Task, str] = {}
        if self.text_to_image:
            tasks["text-to-image"] = self.pipeline
        if self.inpaint_pipeline:
            tasks["inpaint"] = self.inpaint_pipeline
        if self.control_pipelines:
            tasks["control"] = next(v for k, v in self.control_pipelines.items() if "/" not in k)
        if self.reference_list is not None:  # references go to the text-to-image pipeline itself
            return {**tasks, "image-to-image": self.pipeline, "edit": self.pipeline}
        if self.image_to_image:
            tasks["image-to-image"] = self.img2img_pipeline or "AutoPipelineForImage2Image"
        if self.edit_pipeline:
            tasks["edit"] = self.edit_pipeline
        return tasks

    @property
    def modes(self) -> list[str]:
        """What an image job of this family may do (its `mode`): generate, edit, inpaint, outpaint, refine."""
        modes = ["generate"] if self.text_to_image else []
        if self.edit_pipeline or self.reference_list is not None:
            modes.append("edit")
        if self.inpaint_pipeline:
            modes += ["inpaint", "outpaint"]
        if self.refines:
            modes.append("refine")
        return modes

    @property
    def refines(self) -> bool:
        """Whether it has an image-to-image pass with a strength, as a hires fix and `refine` need."""
        return self.image_to_image and self.reference_list is None and self.edit_pipeline is None

    @property
    def takes_references(self) -> bool:
        return self.image_to_image or self.edit_pipeline is not None or self.reference_list is not None

    def check_size(self, width: int, height: int) -> str | None:
        """A message when the size does not fit this family, else None."""
        m = self.size_multiple
        for name, value in (("width", width), ("height", height)):
            if value % m:
                low, high = value // m * m, (value // m + 1) * m
                return f"{name}: {value} is not a multiple of {m} for {self.label} models (try {low} or {high})"
        return None


def call_default(pipe: Any, name: str) -> Any:
    """The default of one of the pipeline's call arguments (what a prompt encoder must pass to match a call)."""
    return inspect.signature(pipe.__call__).parameters[name].default


def _parameters(pipe: Any) -> set[str]:
    return set(inspect.signature(pipe.encode_prompt).parameters)


def encode_clip(
    pipe: Any, prompt: str, negative: str | None, cfg: bool, device: Any, options: dict[str, Any]
) -> dict[str, Any]:
    """SD 1.x/2.x: one CLIP text encoder."""
    embeds, negative_embeds = pipe.encode_prompt(
        prompt, device, 1, cfg, negative_prompt=negative, clip_skip=options.get("clip_skip")
    )
    return {"prompt_embeds": embeds, "negative_prompt_embeds": negative_embeds}


def encode_pooled(
    pipe: Any, prompt: str, negative: str | None, cfg: bool, device: Any, options: dict[str, Any]
) -> dict[str, Any]:
    """SDXL and SD3: sequence and pooled embeddings, for the prompt and the negative prompt."""
    params = _parameters(pipe)
    embeds, negative_embeds, pooled, negative_pooled = pipe.encode_prompt(
        prompt=prompt,
        prompt_2=None,
        **({"prompt_3": None} if "prompt_3" in params else {}),
        device=device,
        num_images_per_prompt=1,
        do_classifier_free_guidance=cfg,
        negative_prompt=negative,
        **{k: v for k, v in options.items() if k in params},
    )
    return {
        "prompt_embeds": embeds,
        "negative_prompt_embeds": negative_embeds,
        "pooled_prompt_embeds": pooled,
        "negative_pooled_prompt_embeds": negative_pooled,
    }
