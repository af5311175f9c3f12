"""Tiled upscaling: a frame is cut into overlapping tiles so any size fits in memory."""

from __future__ import annotations

from typing import Any

import numpy as np


def upscale_array(model: Any, image: np.ndarray, tile: int, overlap: int = 16) -> np.ndarray:
    """uint8 HxWx3 -> uint8 (H*s)x(W*s)x3 with a spandrel ImageModelDescriptor, `tile` px tiles at most."""
    import torch

    scale = model.scale
    h, w = image.shape[:2]
    # torch's stub leaves from_numpy's argument unannotated
    pixels = torch.from_numpy(np.ascontiguousarray(image).copy())  # pyright: ignore[reportUnknownMemberType]
    x = pixels.permute(2, 0, 1).float().div(255).unsqueeze(0)
    x = x.to(model.device, model.dtype)
    out = torch.zeros((1, 3, h * scale, w * scale), dtype=torch.float32)
    overlap = min(overlap, tile // 4)
    step = tile - 2 * overlap
    with torch.no_grad():
        for top in range(0, h, step):
            for left in range(0, w, step):
                # The tile with its overlap margins; only its centre is kept, so seams do not show.
                t0, l0 = max(top - overlap, 0), max(left - overlap, 0)
                t1, l1 = min(top + step + overlap, h), min(left + step + overlap, w)
                result = _run(model, x[:, :, t0:t1, l0:l1]).float().cpu()
                ct, cl = (top - t0) * scale, (left - l0) * scale
                ch, cw = (min(top + step, h) - top) * scale, (min(left + step, w) - left) * scale
                out[:, :, top * scale : top * scale + ch, left * scale : left * scale + cw] = result[
                    :, :, ct : ct + ch, cl : cl + cw
                ]
    return (out[0].clamp(0, 1).permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)


def _run(model: Any, x: Any) -> Any:
    """Pad to the model's size requirements (multiple of, minimum), run, crop back."""
    import torch.nn.functional as F

    req = getattr(model, "size_requirements", None)
    h, w = x.shape[-2:]
    ph, pw = h, w
    if req is not None:
        multiple = max(getattr(req, "multiple_of", 1) or 1, 1)
        minimum = getattr(req, "minimum", 0) or 0
        ph, pw = max(ph, minimum), max(pw, minimum)
        ph, pw = -(-ph // multiple) * multiple, -(-pw // multiple) * multiple
        if getattr(req, "square", False):
            ph = pw = max(ph, pw)
    if (ph, pw) != (h, w):
        x = F.pad(x, (0, pw - w, 0, ph - h), mode="replicate")
    y = model(x)
    return y[:, :, : h * model.scale, : w * model.scale]
