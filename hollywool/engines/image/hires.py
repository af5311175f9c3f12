"""Hires fix and refine: an image made larger, then worked over by image-to-image at a chosen strength.

The upscale is Lanczos, a spandrel upscaler from the upscaler catalogue, or (SD and SDXL, whose latents are plain
4-channel maps) the latents themselves, scaled before the VAE ever decodes them. For sizes a model cannot make
whole, the second pass runs tile by tile with overlapping, linearly blended edges, so no seam shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, cast

import numpy as np
from PIL import Image

from hollywool.engines.image.canvas import Box
from hollywool.engines.image.params import HiresFix

LANCZOS, LATENT = "lanczos", "latent"
TILE_OVERLAP = 64


def target_size(width: int, height: int, scale: float, multiple: int) -> tuple[int, int]:
    """`scale` times the size, each side rounded to the family's multiple."""
    return tuple(max(multiple, round(v * scale / multiple) * multiple) for v in (width, height))  # type: ignore[return-value]


def upscale_pixels(image: Image.Image, size: tuple[int, int], descriptor: Any | None) -> Image.Image:
    """`image` at `size`: through the spandrel upscaler when given (then resized to the exact size), else Lanczos."""
    if descriptor is not None:
        from hollywool.engines.upscale.tiles import upscale_array

        image = Image.fromarray(upscale_array(descriptor, np.asarray(image.convert("RGB")), tile=512))
    return image.resize(size, Image.Resampling.LANCZOS) if image.size != size else image


def upscale_latents(latents: Any, size: tuple[int, int], vae_scale: int) -> Any:
    """4-channel latents scaled to the latent size of an image of `size` (width, height)."""
    import torch.nn.functional as F

    return F.interpolate(latents, size=(size[1] // vae_scale, size[0] // vae_scale), mode="bicubic")


def tiles(size: tuple[int, int], tile: int, multiple: int, overlap: int = TILE_OVERLAP) -> list[Box]:
    """Overlapping boxes of at most `tile` px (multiples of `multiple`) covering an image of `size`."""
    width, height = size

    def spans(length: int) -> Iterator[tuple[int, int]]:
        side = min(tile, length) // multiple * multiple
        if side >= length:
            yield 0, length
            return
        step = side - overlap
        starts = list(range(0, length - side, step)) + [length - side]
        for start in starts:
            yield start, start + side

    return [(x0, y0, x1, y1) for y0, y1 in spans(height) for x0, x1 in spans(width)]


def refine_tiled(
    image: Image.Image, boxes: list[Box], refine: Callable[[Image.Image, int], Image.Image]
) -> Image.Image:
    """Each box of `image` refined on its own (`refine(crop, index)`), laid back with its edges faded into its
    neighbours' where they overlap."""
    width, height = image.size
    total = np.zeros((height, width, 3), dtype=np.float64)
    weight = np.zeros((height, width, 1), dtype=np.float64)
    for index, (x0, y0, x1, y1) in enumerate(boxes):
        made = np.asarray(refine(image.crop((x0, y0, x1, y1)), index).convert("RGB"), dtype=np.float64)
        w = _ramp(x1 - x0, x0 > 0, x1 < width)[None, :] * _ramp(y1 - y0, y0 > 0, y1 < height)[:, None]
        total[y0:y1, x0:x1] += made * w[..., None]
        weight[y0:y1, x0:x1] += w[..., None]
    return Image.fromarray(np.clip(total / np.maximum(weight, 1e-8), 0, 255).round().astype(np.uint8))


def _ramp(length: int, fade_start: bool, fade_end: bool) -> np.ndarray:
    """Weights along one side of a tile: rising over the overlap at an edge shared with a neighbour."""
    ramp = np.ones(length)
    n = min(TILE_OVERLAP, length // 2)
    rise = (np.arange(n) + 1) / (n + 1)
    if fade_start:
        ramp[:n] = rise
    if fade_end:
        ramp[length - n :] = rise[::-1]
    return ramp


# (ctx, family, index, count, width, height, steps) -> diffusers' step callback (see image_job.ImageJob._step_callback)
CallbackFactory = Callable[[Any, Any, int, int, int, int, int], Any]
_OWN_KEYS = ("image", "mask_image", "strength", "width", "height", "num_inference_steps", "output_type")


class SecondPass:
    """The hires fix's second pass over one image: upscale, then image-to-image (whole or in tiles)."""

    def __init__(
        self,
        family: Any,
        pipe: Any,
        fix: HiresFix,
        size: tuple[int, int],
        upscaler: Any | None,
        steps: int,
        step_callback: CallbackFactory,
        control: dict[str, Any] | None = None,
    ):
        import inspect

        self.family, self.pipe, self.fix, self.upscaler = family, pipe, fix, upscaler
        self.control = control or {}  # a ControlNet's arguments, its maps at the final size
        self.size = target_size(*size, fix.scale, family.size_multiple)
        self.steps = fix.steps or steps
        self.latent = fix.upscaler == LATENT
        self.accepted = set(inspect.signature(pipe.__call__).parameters)
        self.step_callback = step_callback

    def run(self, ctx: Any, base: Any, call: dict[str, Any], generator: Any, position: int, count: int) -> Any:
        """`base` (a PIL image, or latents when the upscale is in latent space) made final at the target size."""
        width, height = self.size
        ctx.set_stage("refining", f"Refining at {width}x{height}")
        args = {k: v for k, v in call.items() if k in self.accepted and k not in _OWN_KEYS}
        args.update(strength=self.fix.strength, num_inference_steps=self.steps)
        if self.latent or not (self.fix.tile and max(self.size) > self.fix.tile):
            args.update(self._control(None))
        if self.latent:
            latents = upscale_latents(base, self.size, self.pipe.vae_scale_factor)
            return self._pass(ctx, args, latents, self.size, generator, position, count)
        pixels = upscale_pixels(base, self.size, self.upscaler)
        if self.fix.tile and max(self.size) > self.fix.tile:
            boxes = tiles(self.size, self.fix.tile, self.family.size_multiple)
            n = len(boxes)

            def one(crop: Image.Image, i: int) -> Image.Image:
                tile_args = {**args, **self._control(boxes[i])}
                return self._pass(ctx, tile_args, crop, crop.size, generator, position * n + i, count * n)

            return refine_tiled(pixels, boxes, one)
        return self._pass(ctx, args, pixels, self.size, generator, position, count)

    def _control(self, box: Box | None) -> dict[str, Any]:
        """The ControlNet's arguments for the whole image, or with its maps cropped to one tile's box."""
        maps: Any = self.control.get("control_image")  # one map, or a list (ControlNet Union)
        if maps is None or box is None:
            return self.control
        several = cast(list[Any], maps) if isinstance(maps, list) else [maps]
        cropped = [m.crop(box) for m in several]
        return {**self.control, "control_image": cropped if isinstance(maps, list) else cropped[0]}

    def _pass(
        self,
        ctx: Any,
        args: dict[str, Any],
        image: Any,
        size: tuple[int, int],
        generator: Any,
        position: int,
        count: int,
    ) -> Image.Image:
        extra = {"width": size[0], "height": size[1]} if "width" in self.accepted else {}
        on_step = self.step_callback(ctx, self.family, position, count, size[0], size[1], self.steps)
        out = self.pipe(
            **args,
            **extra,
            image=image,
            generator=generator,
            callback_on_step_end=on_step,
            callback_on_step_end_tensor_inputs=["latents"],
        )
        return out.images[0]
