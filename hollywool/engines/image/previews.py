"""Live previews: a cheap linear latent-to-RGB projection, no VAE decode.

Each family gives a channels-by-3 matrix (fitted by the community on real latents, see ComfyUI's
latent formats); a family without one, or a model whose channel count differs (tiny test models), gets
the normalised means of three channel groups, as video previews do. One small tensor operation per
preview costs well under a millisecond at preview size.
"""

from __future__ import annotations

from typing import Any

from PIL import Image

from hollywool.engines.video.previews import project_to_rgb
from hollywool.models.families import ImageFamily, LatentPreview

# A preview every this many steps (and always at the last step).
PREVIEW_EVERY = 2


def should_preview(step: int, total: int) -> bool:
    return step % PREVIEW_EVERY == 0 or step == total - 1


def latents_to_preview(family: ImageFamily, pipe: Any, latents: Any, height: int, width: int) -> Image.Image:
    """An RGB image of the first latent in the batch (a torch tensor)."""
    import torch

    if family.unpack_latents is not None:
        latents = family.unpack_latents(pipe, latents, height, width)
    first = latents[0].detach()  # [channels, h, w]
    rgb = project_to_rgb(LatentPreview(rgb=family.latent_rgb), first)
    return Image.fromarray(rgb.mul(255).to(torch.uint8).numpy(), "RGB")
