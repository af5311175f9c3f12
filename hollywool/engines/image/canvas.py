"""Inpaint and outpaint on the pixels: what the pipeline is given, and how its answer is put back.

The pipeline sees an image and a mask at a size it can make (a multiple of the family's size step); the
studio then scales its answer back and pastes it over the source through a feathered mask. Pixels outside
the mask are the source's own, exactly: the feather only fades inward, from the mask's edge to its inside.
"Only the masked area" crops around the mask (with padding, at the aspect of the size generated), so a
small fix on a large image is made at the model's full resolution and pasted back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from hollywool.engines.image.params import OutpaintMargins
from hollywool.media.references import fit
from hollywool.models.sizes import MIN_SIDE

Box = tuple[int, int, int, int]  # left, top, right, bottom (right and bottom exclusive)


def hard_mask(mask: Image.Image, size: tuple[int, int]) -> Image.Image:
    """The mask at the source's size, black or white (white: change). Grey counts as change from the middle up."""
    grey = mask.convert("L")
    if grey.size != size:
        grey = grey.resize(size, Image.Resampling.NEAREST)
    return grey.point([0] * 128 + [255] * 128)


def feathered(mask: Image.Image, blur: int) -> Image.Image:
    """The mask faded over `blur` pixels inside its edge: 0 wherever the mask is 0, so no outside pixel changes."""
    if blur <= 0:
        return mask
    # Blurring the outside into the mask fades the mask's edge inward; the minimum keeps the outside at 0.
    outside = Image.eval(mask, lambda v: 255 - v).filter(ImageFilter.GaussianBlur(blur / 2))
    soft = 255 - np.asarray(outside, dtype=np.int16)
    return Image.fromarray(np.minimum(soft, np.asarray(mask, dtype=np.int16)).astype(np.uint8))


def mask_box(mask: Image.Image) -> Box | None:
    """The smallest box around the white pixels; None for an empty mask."""
    return mask.getbbox()


def crop_box(box: Box, padding: int, aspect: float, size: tuple[int, int]) -> Box:
    """`box` grown by `padding` on each side, then widened or heightened to `aspect` (width / height),
    kept inside an image of `size`."""
    width, height = size
    left, top, right, bottom = box[0] - padding, box[1] - padding, box[2] + padding, box[3] + padding
    w, h = right - left, bottom - top
    if w / h < aspect:
        w = round(h * aspect)
    else:
        h = round(w / aspect)
    w, h = min(w, width), min(h, height)
    cx, cy = (left + right) / 2, (top + bottom) / 2
    left = int(min(max(cx - w / 2, 0), width - w))
    top = int(min(max(cy - h / 2, 0), height - h))
    return left, top, left + w, top + h


def extend(source: Image.Image, margins: OutpaintMargins) -> tuple[Image.Image, Image.Image]:
    """The source on a canvas grown by `margins`, the new area filled by stretching the source's edge pixels
    (a start the model repaints), and the mask of that new area."""
    pixels = np.asarray(source.convert("RGB"))
    pad = ((margins.top, margins.bottom), (margins.left, margins.right), (0, 0))
    canvas = Image.fromarray(np.pad(pixels, pad, mode="edge"))
    mask = np.full(canvas.size[::-1], 255, dtype=np.uint8)
    mask[margins.top : margins.top + source.height, margins.left : margins.left + source.width] = 0
    return canvas, Image.fromarray(mask)


@dataclass
class InpaintPlan:
    """One inpaint: the source and its mask at full size, the region the model makes, at the size it makes it."""

    source: Image.Image
    mask: Image.Image  # hard, the source's size
    soft: Image.Image  # feathered, for the paste
    region: Box  # the part of the source the model sees
    size: tuple[int, int]  # width, height the model makes

    @property
    def image(self) -> Image.Image:
        return self.source.crop(self.region).resize(self.size, Image.Resampling.LANCZOS)

    @property
    def mask_image(self) -> Image.Image:
        return self.mask.crop(self.region).resize(self.size, Image.Resampling.NEAREST)

    def frame(self, image: Image.Image) -> Image.Image:
        """An image of the whole canvas (a control image) as the model sees its region: fitted to the source's size,
        cropped to the region, scaled to the size made. So an only-masked inpaint's control map is cropped and scaled
        with the source, as A1111's ControlNet extension crops it for "Inpaint area: Only masked"."""
        return fit(image, *self.source.size).crop(self.region).resize(self.size, Image.Resampling.LANCZOS)

    def paste(self, generated: Image.Image, paste_back: bool = True) -> Image.Image:
        """The model's answer in place: scaled to its region and laid over the source through the soft mask."""
        left, top, right, bottom = self.region
        made = generated.convert("RGB").resize((right - left, bottom - top), Image.Resampling.LANCZOS)
        if not paste_back and self.region == (0, 0, *self.source.size):
            return made
        out = self.source.copy()
        out.paste(made, (left, top), self.soft.crop(self.region))
        return out


def plan_inpaint(
    source: Image.Image,
    mask: Image.Image,
    *,
    blur: int,
    only_masked: bool,
    padding: int,
    size: tuple[int, int] | None,
    multiple: int,
    native: int,
) -> InpaintPlan:
    """Where and at what size the model paints. Whole image: at `size` if given, else the source's size,
    rounded to the family's `multiple`. Only the masked area: the crop around the mask at `size`, else at the
    family's `native` area and the crop's aspect."""
    source = source.convert("RGB")
    hard = hard_mask(mask, source.size)
    full: Box = (0, 0, *source.size)
    region = full
    if only_masked and (box := mask_box(hard)) is not None:
        aspect = size[0] / size[1] if size else (box[2] - box[0] + 2 * padding) / (box[3] - box[1] + 2 * padding)
        region = crop_box(box, padding, aspect, source.size)
    if size is None:
        w, h = region[2] - region[0], region[3] - region[1]
        scale = native / (w * h) ** 0.5 if region != full else 1.0
        wanted = (w * scale, h * scale)
    else:
        wanted = (float(size[0]), float(size[1]))
    least = -(-MIN_SIDE // multiple) * multiple  # the smallest side a job may have, on the family's grid
    width, height = (max(least, round(v / multiple) * multiple) for v in wanted)
    return InpaintPlan(source, hard, feathered(hard, blur), region, (width, height))
