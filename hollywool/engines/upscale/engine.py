"""The "upscale" job kind: 2x or 4x an image or video asset with a spandrel model, tile by tile.

Videos are upscaled frame by frame and written again at the same frame rate with their audio track
copied over. A model with another native scale is run as many times as needed and resized to the
exact requested size.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from hollywool.errors import InvalidInputError
from hollywool.jobs.context import JobContext
from hollywool.jobs.kinds import JobKind, KindRegistry
from hollywool.media.assets import AssetService
from hollywool.models import warmup
from hollywool.models.upscalers import UpscalerCatalog, UpscalerModel
from hollywool.storage.assets import Asset

log = logging.getLogger("hollywool.upscale")


class UpscaleParams(BaseModel):
    asset_id: str = Field(min_length=1, description="the image or video asset to upscale")
    model: str = Field("realesrgan-x4plus", description="an upscaler id (GET /api/upscale/models)")
    scale: Literal[2, 4] = 2
    tile: int = Field(512, ge=16, le=4096, description="tile side in input pixels; smaller uses less memory")


class UpscaleEngine:
    """The `upscale` kind. Upscalers load through the model manager (`ctx.models`), under its budget."""

    def __init__(self, catalog: UpscalerCatalog, assets: AssetService):
        self.catalog = catalog
        self.assets = assets

    def register(self, kinds: KindRegistry) -> None:
        kinds.register(JobKind("upscale", UpscaleParams, self.run, check=self.check, label="Upscale"))

    def models(self) -> list[UpscalerModel]:
        return self.catalog.all()

    def check(self, p: UpscaleParams) -> None:
        asset = self.assets.repo.get(p.asset_id)
        if asset is None or asset.kind not in ("image", "video"):
            raise InvalidInputError(f"asset_id: no image or video asset {p.asset_id!r}", field="asset_id")
        model = self.catalog.get(p.model)
        if not model.available and not model.url:
            raise InvalidInputError(f"model: {model.id} has no file and no download source", field="model")

    # -- running ---------------------------------------------------------------------------------
    def run(self, ctx: JobContext, p: UpscaleParams) -> dict[str, Any]:
        warmup.wait()  # torch/diffusers may be half-imported by the warm-up thread: let it finish
        if ctx.asset_ids:
            return {"resumed": True}
        source = self.assets.get(p.asset_id)
        model = self.catalog.get(p.model)
        descriptor = ctx.models.acquire_upscaler(model, ctx)
        src_path = self.assets.path_of(source)
        recorded: dict[str, Any] = {
            **p.model_dump(),
            "source_asset_id": source.id,
            "model_scale": descriptor.scale,
            "source_params": source.params,
        }
        fields: dict[str, Any] = {
            "model": source.model,
            "prompt": source.prompt,
            "negative_prompt": source.negative_prompt,
            "seed": source.seed,
        }
        if source.kind == "image":
            asset = self._image(ctx, descriptor, src_path, p, recorded, fields)
        else:
            asset = self._video(ctx, descriptor, src_path, p, recorded, fields)
        return {"asset_id": asset.id, "model_scale": descriptor.scale}

    def _upscale(self, descriptor: Any, frame: Any, p: UpscaleParams) -> Any:
        import numpy as np
        from PIL import Image

        from hollywool.engines.upscale.tiles import upscale_array

        h, w = frame.shape[:2]
        out, reached = frame, 1
        while reached < p.scale:
            out = upscale_array(descriptor, out, p.tile)
            reached *= descriptor.scale
        if out.shape[:2] != (h * p.scale, w * p.scale):
            resized = Image.fromarray(out).resize((w * p.scale, h * p.scale), Image.Resampling.LANCZOS)
            out = np.asarray(resized)
        return out

    # `descriptor` is a spandrel ImageModelDescriptor (spandrel ships no type information), frames numpy arrays.
    def _image(
        self,
        ctx: JobContext,
        descriptor: Any,
        src_path: Path,
        p: UpscaleParams,
        recorded: dict[str, Any],
        fields: dict[str, Any],
    ) -> Asset:
        import numpy as np
        from PIL import Image

        ctx.set_stage("upscaling", f"Upscaling {p.scale}x", total_steps=1)
        with Image.open(src_path) as img:
            frame = np.asarray(img.convert("RGB"))
        out = Image.fromarray(self._upscale(descriptor, frame, p))
        ctx.progress(1, 1)
        return ctx.save_image(out, params=recorded, **fields)

    def _video(
        self,
        ctx: JobContext,
        descriptor: Any,
        src_path: Path,
        p: UpscaleParams,
        recorded: dict[str, Any],
        fields: dict[str, Any],
    ) -> Asset:
        from PIL import Image

        from hollywool.media.video import probe, read_audio, read_frames, write_mp4

        info = probe(src_path)
        audio = read_audio(src_path)
        ctx.set_stage("upscaling", f"Upscaling {info.frame_count} frames {p.scale}x", total_steps=info.frame_count)
        first: list[Any] = []  # the first upscaled frame, for the poster

        def upscaled() -> Iterator[Any]:  # frames go to the encoder one by one: a long video never sits in memory
            for index, frame in enumerate(read_frames(src_path)):
                ctx.raise_if_cancelled()
                out = self._upscale(descriptor, frame, p)
                if not first:
                    first.append(out)
                ctx.progress(index + 1, info.frame_count)
                yield out

        def write(tmp: Path) -> dict[str, Any]:
            data, rate = audio if audio else (None, None)
            out = write_mp4(tmp, upscaled(), info.fps, audio=data, sample_rate=rate)
            return {
                "width": out.width,
                "height": out.height,
                "frame_count": out.frame_count,
                "duration": out.frame_count / info.fps if info.fps else None,
            }

        return ctx.save_file(
            "video",
            "mp4",
            "video/mp4",
            write,
            params={**recorded, "has_audio": audio is not None},
            poster=lambda: Image.fromarray(first[0]),
            fps=info.fps,
            has_audio=audio is not None,
            **fields,
        )
