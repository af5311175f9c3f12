"""OpenAI's Images API over the studio's one queue: `/v1/models`, `/v1/images/generations`, `/v1/images/edits`.

A request becomes ordinary image jobs (at most four images each), so they show in the Queue page, their images are
assets with metadata and cancel works; the answer waits for them and is in OpenAI's shape. The rules of the mapping
live here once: which model a name means, what `quality` does to the steps, how OpenAI's mask (transparent = change)
becomes the studio's (white = change).
"""

from __future__ import annotations

import asyncio
import base64
import io
import math
import re
import time
from typing import Any, Literal

from PIL import Image
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from hollywool.errors import InvalidInputError, NotFoundError, StudioError
from hollywool.jobs.models import Job
from hollywool.media.references import decode_image_bytes
from hollywool.studio import Studio

# Model names OpenAI clients send by default: they mean the studio's default image model.
OPENAI_NAMES = ("dall-e-2", "dall-e-3", "gpt-image-1", "gpt-image-1-mini", "gpt-image-1.5")
QUALITY_STEPS = {"low": 0.5, "medium": 1.0, "standard": 1.0, "auto": 1.0, "high": 1.5, "hd": 1.5}
PER_JOB = 4  # images one studio job makes
WAIT_S = 3600.0


class OpenAIModel(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str


class OpenAIModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[OpenAIModel]


class ImageGenerationRequest(BaseModel):
    """OpenAI's `images.generate` body; fields the studio has no use for (moderation, style) are accepted and
    ignored, as OpenAI's own models ignore the ones they do not take."""

    model_config = ConfigDict(extra="ignore")

    prompt: str = Field(min_length=1, max_length=10_000)
    model: str | None = None
    n: int = Field(1, ge=1, le=10)
    size: str | None = Field("auto", description="WIDTHxHEIGHT or auto (the model's own size)")
    quality: Literal["low", "medium", "high", "auto", "standard", "hd"] | None = "auto"
    response_format: Literal["b64_json", "url"] | None = None
    output_format: Literal["png", "webp", "jpeg"] | None = "png"
    output_compression: int | None = Field(None, ge=0, le=100)
    background: Literal["transparent", "opaque", "auto"] | None = "auto"
    user: str | None = None
    stream: bool | None = False
    partial_images: int | None = Field(None, ge=0, le=3, description="stream: partial images sent per image")


class OpenAIImage(BaseModel):
    b64_json: str | None = None
    url: str | None = None
    revised_prompt: str | None = None


class ImagesResponse(BaseModel):
    created: int
    data: list[OpenAIImage]
    background: str | None = None
    output_format: str | None = None
    quality: str | None = None
    size: str | None = None


class OpenAIImages:
    def __init__(self, studio: Studio):
        self.studio = studio

    # -- models ----------------------------------------------------------------------------------
    def models(self) -> OpenAIModelList:
        local = self.studio.model_service.list_models("image")
        remote = self.studio.remote.describe_models("image")
        created = int(time.time())
        data = [OpenAIModel(id=m.id, created=created, owned_by="hollywool") for m in local]
        data += [OpenAIModel(id=m.id, created=created, owned_by=m.provider) for m in remote]
        return OpenAIModelList(data=data)

    def resolve_model(self, name: str | None) -> str:
        """The studio model a request names: an id, or one of OpenAI's names (the default model)."""
        ids = {m.id for m in self.models().data}
        if name and name in ids:
            return name
        if name and name not in OPENAI_NAMES:
            raise NotFoundError(f"The model '{name}' does not exist; GET /v1/models lists the models", field="model")
        preferred = self.studio.preferences.get().default_model
        if preferred in ids:
            return preferred
        local = [m for m in self.studio.model_service.list_models("image") if "generate" in (m.modes or [])]
        ready = [m.id for m in local if m.downloaded] or [m.id for m in local] or sorted(ids)
        if not ready:
            raise NotFoundError("No image model is set up in the studio; add one on its Models page", field="model")
        return ready[0]

    # -- generations and edits -------------------------------------------------------------------
    def params(self, body: ImageGenerationRequest, model: str) -> dict[str, Any]:
        """The studio's image parameters for one request (without the count)."""
        if body.background == "transparent":
            raise InvalidInputError(
                "background: the studio's models make opaque images; use opaque or auto", field="background"
            )
        params: dict[str, Any] = {"prompt": body.prompt, "model": model}
        size = _size(body.size)
        if size:
            params["width"], params["height"] = size
        factor = QUALITY_STEPS[body.quality or "auto"]
        if factor != 1.0:
            steps = self._default_steps(model)
            if steps:
                params["steps"] = max(1, round(steps * factor))
        return params

    def _default_steps(self, model: str) -> int | None:
        for m in self.studio.model_service.list_models("image"):
            if m.id == model:
                return m.default_steps
        return None  # remote models: the provider's own

    def edit_params(
        self, body: ImageGenerationRequest, model: str, images: list[bytes], mask: bytes | None
    ) -> dict[str, Any]:
        """An edit: inpaint with a mask, else the model's edit (all images) or image-to-image (the first)."""
        params = self.params(body, model)
        decoded = [
            decode_image_bytes(data, f"image[{i}]" if len(images) > 1 else "image") for i, data in enumerate(images)
        ]
        modes = next((m.modes or [] for m in self.studio.model_service.list_models("image") if m.id == model), [])
        refs = [{"image_base64": _png_b64(img)} for img in decoded]
        if mask is not None:
            if "inpaint" not in modes:
                raise InvalidInputError(
                    f"mask: {model} cannot inpaint; choose a model that can, or send no mask", field="mask"
                )
            params.update(
                mode="inpaint",
                reference_images=refs[:1],
                mask={"image_base64": _png_b64(_studio_mask(mask, decoded[0].size))},
            )
            if "width" not in params:
                params.update(width=None, height=None)  # the source's own size
        elif "edit" in modes:
            params.update(mode="edit", reference_images=refs)
        else:
            params["reference_images"] = refs[:1]
        return params

    async def submit(self, params: dict[str, Any], n: int) -> list[Job]:
        """Submit the request as jobs of at most four images."""
        jobs: list[Job] = []
        for start in range(0, n, PER_JOB):
            count = min(PER_JOB, n - start)
            jobs.append(
                await run_in_threadpool(self.studio.router.submit, "image", {**params, "num_images": count}, None)
            )
        return jobs

    async def run(self, params: dict[str, Any], n: int) -> list[Job]:
        """Submit the request and wait for all of its jobs."""
        jobs = await self.submit(params, n)
        done = await asyncio.gather(*(self.studio.jobs.wait_async(j.id, WAIT_S) for j in jobs))
        for job in done:
            if job.status != "completed":
                raise StudioError(job.error or f"The image job {job.id} was {job.status}")
        return list(done)

    def answer(self, jobs: list[Job], body: ImageGenerationRequest, base_url: str) -> ImagesResponse:
        fmt = body.output_format or "png"
        data: list[OpenAIImage] = []
        size = None
        for job in jobs:
            for asset_id in job.asset_ids:
                asset = self.studio.assets.get(asset_id)
                size = f"{asset.width}x{asset.height}"
                if (body.response_format or "b64_json") == "url":
                    data.append(OpenAIImage(url=base_url.rstrip("/") + asset.url))
                else:
                    raw = self.studio.assets.path_of(asset).read_bytes()
                    data.append(
                        OpenAIImage(
                            b64_json=base64.b64encode(encode_output(raw, fmt, body.output_compression)).decode()
                        )
                    )
        return ImagesResponse(
            created=int(time.time()),
            data=data,
            background="opaque",
            output_format=fmt,
            quality=body.quality or "auto",
            size=size,
        )


def _size(text: str | None) -> tuple[int, int] | None:
    if not text or text == "auto":
        return None
    match = re.fullmatch(r"(\d{2,4})x(\d{2,4})", text)
    if not match:
        raise InvalidInputError(f"size: {text!r} is not WIDTHxHEIGHT (like 1024x1024) or auto", field="size")
    return int(match[1]), int(match[2])


def _png_b64(image: Image.Image) -> str:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


def _studio_mask(data: bytes, size: tuple[int, int]) -> Image.Image:
    """OpenAI's mask (a PNG whose transparent pixels mark what to change) as the studio's (white = change)."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            if "A" not in img.getbands() and img.info.get("transparency") is None:
                raise InvalidInputError("mask: give a PNG whose transparent pixels mark what to change", field="mask")
            alpha = img.convert("RGBA").getchannel("A")
    except InvalidInputError:
        raise
    except (OSError, ValueError) as exc:
        raise InvalidInputError(f"mask: not a readable PNG ({exc})", field="mask") from None
    if alpha.size != size:
        raise InvalidInputError(
            f"mask: it is {alpha.size[0]}x{alpha.size[1]}, the image {size[0]}x{size[1]}; they must match", field="mask"
        )
    return alpha.point([255] * 128 + [0] * 128)


def encode_output(raw: bytes, fmt: str, compression: int | None) -> bytes:
    if fmt == "png":
        return raw
    with Image.open(io.BytesIO(raw)) as img:
        buf = io.BytesIO()
        quality = 100 - compression if compression is not None else 90
        img.convert("RGB").save(buf, format="WEBP" if fmt == "webp" else "JPEG", quality=max(1, math.floor(quality)))
        return buf.getvalue()
