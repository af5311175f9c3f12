"""Parameters of an image job, with the seed's field names.

At submit time the engine resolves everything left open (size from the aspect preset or the model's
default, steps, guidance, seeds) so the stored job carries exactly what re-runs it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, model_validator

from hollywool.models.families.image import MAX_REFERENCES
from hollywool.models.sizes import MAX_SIDE, MIN_SIDE

AspectRatio = Literal["1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3", "21:9"]
MAX_REFERENCE_IMAGES = MAX_REFERENCES
MAX_SEED = 2**32 - 1
Seed = Annotated[int, Field(ge=0, le=MAX_SEED)]


class LoraRef(BaseModel):
    lora_id: str = Field(min_length=1)
    weight: float = Field(1.0, ge=0.0, le=1.5)


class ReferenceImage(BaseModel):
    """One of: an existing asset, an uploaded image (base64 or a data: URL). `upload_id` is internal:
    the studio stores an uploaded image once at submit time and keeps only its id in the job."""

    image_asset_id: str | None = None
    image_base64: str | None = None
    upload_id: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> ReferenceImage:
        given = [v for v in (self.image_asset_id, self.image_base64, self.upload_id) if v]
        if len(given) != 1:
            raise ValueError("give exactly one of image_asset_id or image_base64")
        return self


ImageMode = Literal["generate", "edit", "inpaint", "outpaint", "refine"]
MAX_OUTPAINT = 2048


class OutpaintMargins(BaseModel):
    """Pixels added on each side of the source image; the new area is painted by the model."""

    left: int = Field(0, ge=0, le=MAX_OUTPAINT)
    top: int = Field(0, ge=0, le=MAX_OUTPAINT)
    right: int = Field(0, ge=0, le=MAX_OUTPAINT)
    bottom: int = Field(0, ge=0, le=MAX_OUTPAINT)


class HiresFix(BaseModel):
    """A second pass: the image upscaled, then image-to-image over it (A1111's hires fix; `refine` on a given image)."""

    scale: float = Field(2.0, ge=1.0, le=4.0, description="how much larger the final image is")
    upscaler: str = Field(
        "lanczos",
        min_length=1,
        description="lanczos, latent (SD and SDXL: scale the latents before decoding), or an upscaler id "
        "(GET /api/upscale/models)",
    )
    strength: float = Field(0.5, ge=0.05, le=1.0, description="how much the second pass may change")
    steps: int | None = Field(None, ge=1, le=200, description="the second pass's steps; default: the job's")
    tile: int | None = Field(
        None, ge=256, le=4096, description="refine in overlapping tiles of this side (large sizes); default: whole"
    )


MAX_CONTROLS = 3


class ControlInput(BaseModel):
    """A control image and how it steers the job (a ControlNet)."""

    image: ReferenceImage = Field(description="the control image: a photo to preprocess, or a ready map")
    model: str | None = Field(
        None, description="a ControlNet id (GET /api/control/models); default: the first one that fits the model"
    )
    type: str = Field(
        "canny", min_length=1, description="canny, depth, pose, tile, ...: the control model's `modes` list them"
    )
    preprocessor: str = Field(
        "none",
        min_length=1,
        description="none (the image is a ready map), canny, tile, or a preprocessor model id (depth)",
    )
    scale: float = Field(0.7, ge=0.0, le=2.0, description="conditioning scale: how strongly the map steers")
    start: float = Field(0.0, ge=0.0, le=1.0, description="fraction of the steps at which control starts")
    end: float = Field(1.0, ge=0.0, le=1.0, description="fraction of the steps at which control ends")
    low_threshold: int = Field(100, ge=0, le=1000, description="canny: weaker edges are dropped")
    high_threshold: int = Field(200, ge=0, le=1000, description="canny: stronger edges are always kept")
    tile_factor: int = Field(4, ge=1, le=16, description="tile: how much the image is shrunk before blurring")

    @model_validator(mode="after")
    def _ordered(self) -> ControlInput:
        if self.start >= self.end:
            raise ValueError("start must be below end")
        if self.low_threshold > self.high_threshold:
            raise ValueError("low_threshold must not be above high_threshold")
        return self


class ImageParams(BaseModel):
    prompt: str = Field(
        min_length=1,
        max_length=10_000,
        description=(
            "A1111 weights `(word:1.3)`, `(word)`, `[word]` on SD and SDXL models (other models get the words "
            "without the weight syntax); `{red|blue}` alternatives and `__name__` wildcards (name.txt in the "
            "wildcard folder), resolved per image from its seed"
        ),
    )
    model: str = Field(min_length=1)
    negative_prompt: str | None = Field(None, max_length=10_000)
    width: int | None = Field(
        None, ge=MIN_SIDE, le=MAX_SIDE, description="default: the model's size or the aspect preset"
    )
    height: int | None = Field(None, ge=MIN_SIDE, le=MAX_SIDE)
    aspect_ratio: AspectRatio | None = Field(None, description="sets width and height from the model's size")
    steps: int | None = Field(None, ge=1, le=200)
    guidance_scale: float | None = Field(None, ge=0, le=50)
    seed: Seed | None = None
    seeds: list[Seed] | None = Field(
        None, min_length=1, max_length=4, description="one seed per image; overrides seed and num_images"
    )
    num_images: int = Field(1, ge=1, le=4)
    scheduler: str | None = Field(None, description="see GET /api/models/schedulers; default: the model's own")
    style: str | None = Field(None, description="a style preset id (GET /api/styles)")
    loras: list[LoraRef] = Field(default_factory=list[LoraRef], max_length=8)
    lora_preset: str | None = Field(
        None, description="a LoRA preset of the model's family (GET /api/models: lora_presets); sets steps and guidance"
    )
    reference_images: list[ReferenceImage] = Field(
        default_factory=list[ReferenceImage], max_length=MAX_REFERENCE_IMAGES
    )
    strength: float = Field(0.75, ge=0.1, le=1.0, description="image-to-image: how far to move from the reference")
    mode: ImageMode | None = Field(
        None,
        description="generate (from text, or image-to-image from reference images), edit (reference images are "
        "the edit inputs), inpaint (repaint the mask's white area of the first reference image), outpaint "
        "(extend the first reference image by `outpaint`; for both, Qwen-Image-Edit reads the other reference "
        "images as its edit inputs), refine (upscale the first reference image and work it "
        "over, see `hires`); default: inpaint with a mask, outpaint with margins, else generate",
    )
    mask: ReferenceImage | None = Field(None, description="inpaint: white marks what to change, black what to keep")
    mask_blur: int = Field(4, ge=0, le=64, description="inpaint: pixels over which the mask's edge fades inward")
    inpaint_only_masked: bool = Field(
        False, description="inpaint the area around the mask at full resolution, then paste it back"
    )
    inpaint_padding: int = Field(32, ge=0, le=512, description="only-masked inpaint: context around the mask, px")
    paste_back: bool = Field(True, description="inpaint: keep every unmasked pixel of the source exactly")
    outpaint: OutpaintMargins | None = None
    hires: HiresFix | None = Field(
        None, description="upscale and refine each image in the same job; `refine` mode applies it to the source"
    )
    control: list[ControlInput] = Field(
        default_factory=list[ControlInput],
        max_length=MAX_CONTROLS,
        description="ControlNet inputs (generate; SDXL also image-to-image, inpaint and outpaint, and the second pass "
        "of a hires fix); several only with a union model that takes them together",
    )
    notes: list[str] = Field(default_factory=list, description="set by the studio: parameters the model ignores")
    resolved_prompts: list[str] | None = Field(
        None,
        description=(
            "set by the studio: the prompt of each image (in the order of `seeds`) after its {a|b} alternatives "
            "and __wildcards__ are resolved with that image's seed"
        ),
    )
