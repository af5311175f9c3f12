"""Automatic1111's `/sdapi/v1` request bodies, and how one becomes the studio's image job parameters.

Field names and defaults follow A1111's API; fields the studio has no use for (restore_faces, tiling, scripts,
subseeds...) are accepted and ignored, as A1111 ignores unknown script args. Where A1111's default would be
wrong for a non-SD model (50 steps, CFG 7, 512x512), an absent field means the model's own default instead.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from typing import Any

import numpy as np
from PIL import Image, ImageFilter, ImageOps
from pydantic import BaseModel, ConfigDict, Field

from hollywool.engines.image.params import MAX_REFERENCE_IMAGES
from hollywool.errors import InvalidInputError
from hollywool.models import schedulers
from hollywool.models.loras import LoraInfo

MAX_IMAGES = 32  # batch_size x n_iter, in jobs of four
LORA_TAG = re.compile(r"<lora:([^:>]+)(?::([^:>]*))?(?::[^>]*)?>")
LORA_WEIGHT = (0.0, 1.5)  # the studio's bounds; A1111 takes any weight
_PLAIN_UPSCALERS = {"none", "lanczos", "nearest"}


class A1111Generation(BaseModel):
    """The fields txt2img and img2img share (A1111's StableDiffusionProcessing)."""

    model_config = ConfigDict(extra="ignore")

    prompt: str = Field("", max_length=10_000)
    negative_prompt: str | None = Field("", max_length=10_000)
    seed: int = Field(-1, ge=-1, le=2**32 - 1)
    sampler_name: str | None = None
    sampler_index: str | None = None
    scheduler: str | None = None
    batch_size: int = Field(1, ge=1, le=MAX_IMAGES)
    n_iter: int = Field(1, ge=1, le=MAX_IMAGES)
    steps: int | None = Field(None, ge=1, le=200)
    cfg_scale: float | None = Field(None, ge=0, le=50)
    width: int | None = Field(None, ge=64, le=4096)
    height: int | None = Field(None, ge=64, le=4096)
    denoising_strength: float | None = Field(None, ge=0, le=1)
    styles: list[str] | None = None
    override_settings: dict[str, Any] | None = None
    override_settings_restore_afterwards: bool = True
    send_images: bool = True
    save_images: bool = False


class Txt2ImgRequest(A1111Generation):
    enable_hr: bool = False
    hr_scale: float = Field(2.0, ge=1.0, le=4.0)
    hr_upscaler: str | None = None
    hr_second_pass_steps: int = Field(0, ge=0, le=200)
    hr_resize_x: int = Field(0, ge=0, le=8192)
    hr_resize_y: int = Field(0, ge=0, le=8192)


class Img2ImgRequest(A1111Generation):
    init_images: list[str] = Field(min_length=1, max_length=MAX_REFERENCE_IMAGES)
    mask: str | None = None
    mask_blur: int = Field(4, ge=0, le=64)
    inpainting_fill: int = Field(
        0, ge=0, le=3, description="masked content: 0 fill, 1 original, 2 latent noise, 3 latent nothing"
    )
    inpaint_full_res: bool = True
    inpaint_full_res_padding: int = Field(0, ge=0, le=512)
    inpainting_mask_invert: int = Field(0, ge=0, le=1)
    resize_mode: int = Field(0, ge=0, le=3)
    include_init_images: bool = False


class ExtrasSingleImageRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    image: str = Field(min_length=1)
    resize_mode: int = Field(0, ge=0, le=1)
    upscaling_resize: float = Field(2.0, gt=0, le=8)
    upscaling_resize_w: int = Field(512, ge=1, le=8192)
    upscaling_resize_h: int = Field(512, ge=1, le=8192)
    upscaler_1: str | None = "None"


class PngInfoRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    image: str = Field(min_length=1)


def decode_b64_image(data: str, field: str) -> Image.Image:
    """A base64 image as A1111's clients send it: raw base64 or a data: URL."""
    raw = data.split(",", 1)[1] if data.startswith("data:") else data
    try:
        img = Image.open(io.BytesIO(base64.b64decode(raw, validate=False)))
        img.load()
    except (binascii.Error, OSError, ValueError):
        raise InvalidInputError(f"{field}: not a base64 image", field=field) from None
    return img


def png_b64(image: Image.Image) -> str:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


def lora_tags(prompt: str, library: list[LoraInfo]) -> tuple[str, list[dict[str, Any]]]:
    """The prompt without its `<lora:name:weight>` tags, and the LoRAs they name (by id, name or file stem).

    A tag naming no LoRA the studio has is dropped, as A1111 drops it (with a warning in its console)."""
    found: list[dict[str, Any]] = []
    by_name: dict[str, str] = {}
    for info in library:
        for key in (info.id, info.name, re.sub(r"\.[^.]+$", "", info.path.replace("\\", "/").rsplit("/", 1)[-1])):
            by_name.setdefault(key.lower(), info.id)
    for name, weight in LORA_TAG.findall(prompt):
        lora_id = by_name.get(name.strip().lower())
        if lora_id is None or any(f["lora_id"] == lora_id for f in found):
            continue
        try:
            value = float(weight) if weight.strip() else 1.0
        except ValueError:
            value = 1.0
        found.append({"lora_id": lora_id, "weight": min(max(value, LORA_WEIGHT[0]), LORA_WEIGHT[1])})
    cleaned = re.sub(r"\s{2,}", " ", LORA_TAG.sub("", prompt)).strip(" ,")
    return cleaned, found


def scheduler_of(body: A1111Generation, offered: list[str]) -> str | None:
    """Our scheduler for A1111's sampler (and schedule) name, when the model offers it; else its default."""
    name = body.sampler_name or body.sampler_index
    schedule = body.scheduler if body.scheduler and body.scheduler.lower() != "automatic" else None
    ours = schedulers.resolve(name, schedule)
    return ours if ours in offered else None


def hires_of(body: Txt2ImgRequest, width: int | None, height: int | None, upscalers: dict[str, str]) -> dict | None:
    """A1111's hires fix as the job's `hires`: the scale (or the target size), upscaler, strength and steps."""
    if not body.enable_hr:
        return None
    scale = body.hr_scale
    if (body.hr_resize_x or body.hr_resize_y) and width and height:
        scale = max(body.hr_resize_x / width, body.hr_resize_y / height)
    name = (body.hr_upscaler or "Latent").strip()
    if name.lower().startswith("latent"):
        upscaler = "latent"
    elif name.lower() in _PLAIN_UPSCALERS:
        upscaler = "lanczos"
    else:
        upscaler = upscalers.get(name.lower(), "lanczos")
    fix: dict[str, Any] = {"scale": min(max(scale, 1.0), 4.0), "upscaler": upscaler}
    fix["strength"] = min(max(body.denoising_strength if body.denoising_strength is not None else 0.7, 0.05), 1.0)
    if body.hr_second_pass_steps:
        fix["steps"] = body.hr_second_pass_steps
    return fix


def inpaint_of(body: Img2ImgRequest) -> tuple[dict[str, Any], Image.Image]:
    """A1111's mask fields as the job's inpaint fields (white = change, as in A1111), and the mask."""
    mask = decode_b64_image(body.mask or "", "mask").convert("L")
    if body.inpainting_mask_invert:
        mask = ImageOps.invert(mask)
    fields = {
        "mode": "inpaint",
        "mask": {"image_base64": png_b64(mask)},
        "mask_blur": body.mask_blur,
        "inpaint_only_masked": body.inpaint_full_res,
        "inpaint_padding": body.inpaint_full_res_padding or 32,
    }
    return fields, mask


def masked_content(source: Image.Image, mask: Image.Image, fill: int, seed: int) -> Image.Image:
    """A1111's "masked content" (`inpainting_fill`) laid into the source before inpainting, in pixels:
    0 fill (the surrounding colours blurred in), 1 original (as is), 2 latent noise (seeded noise),
    3 latent nothing (flat grey, what an all-zero latent decodes to). Unmasked pixels are never touched."""
    if fill == 1:
        return source
    rgb = np.asarray(source.convert("RGB"), dtype=np.float32)
    change = np.asarray(mask.convert("L").resize(source.size), dtype=np.float32)[..., None] > 127
    if fill == 0:
        # Normalised blur: the average of the kept pixels around each masked one, wide enough to cross the mask.
        keep = (~change).astype(np.float32)
        radius = max(source.size) / 8
        blur = ImageFilter.GaussianBlur(radius)
        spread = np.asarray(Image.fromarray((rgb * keep).astype(np.uint8)).filter(blur), dtype=np.float32)
        weight = np.asarray(Image.fromarray((keep[..., 0] * 255).astype(np.uint8)).filter(blur), dtype=np.float32)
        filled = spread / np.maximum(weight[..., None] / 255.0, 1e-3)
    elif fill == 2:
        filled = np.random.default_rng(seed).integers(0, 256, rgb.shape).astype(np.float32)
    else:
        filled = np.full_like(rgb, 128.0)
    out = np.where(change, np.clip(filled, 0, 255), rgb)
    return Image.fromarray(out.astype(np.uint8))


def plain_upscaler(name: str | None) -> bool:
    return (name or "None").strip().lower() in _PLAIN_UPSCALERS
