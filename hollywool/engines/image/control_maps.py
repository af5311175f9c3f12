"""Control maps made without a model: Canny edges and the "tile" (a blurred, low-resolution copy).

OpenCV is not a dependency, so Canny is written out here in numpy with `cv2.Canny`'s defaults (no blur first,
3x3 Sobel, L1 gradient, thresholds on the same scale), so 100/200 behave as they do in A1111 and ComfyUI.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image, ImageFilter

BUILTIN = ("none", "canny", "tile")  # preprocessors that need no model; "none": the image is a ready map


def _shifted(padded: np.ndarray, dy: int, dx: int, h: int, w: int) -> np.ndarray:
    return padded[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w]


def canny(image: Image.Image, low: int = 100, high: int = 200) -> Image.Image:
    """White edges on black, the size of `image`."""
    gray = np.asarray(image.convert("L"), dtype=np.float32)
    h, w = gray.shape
    p = np.pad(gray, 1, mode="edge")

    def at(dy: int, dx: int) -> np.ndarray:
        return _shifted(p, dy, dx, h, w)

    gx = (at(-1, 1) + 2 * at(0, 1) + at(1, 1)) - (at(-1, -1) + 2 * at(0, -1) + at(1, -1))
    gy = (at(1, -1) + 2 * at(1, 0) + at(1, 1)) - (at(-1, -1) + 2 * at(-1, 0) + at(-1, 1))
    magnitude = np.abs(gx) + np.abs(gy)  # OpenCV's default (L1) gradient
    # Keep a pixel only where it is the largest along its gradient (non-maximum suppression).
    angle = (np.degrees(np.arctan2(gy, gx)) + 180) % 180
    sector = ((angle + 22.5) // 45).astype(np.int8) % 4  # 0: horizontal gradient, 1: 45°, 2: vertical, 3: 135°
    m = np.pad(magnitude, 1)
    keep = np.zeros_like(magnitude, dtype=bool)
    for index, (dy, dx) in enumerate(((0, 1), (1, 1), (1, 0), (1, -1))):
        here = sector == index
        ahead, behind = _shifted(m, dy, dx, h, w), _shifted(m, -dy, -dx, h, w)
        keep |= here & (magnitude >= ahead) & (magnitude > behind)
    thin = np.where(keep, magnitude, 0)
    strong = thin >= high
    weak = thin >= low
    edges = _hysteresis(strong, weak)
    return Image.fromarray((edges * 255).astype(np.uint8)).convert("RGB")


def _hysteresis(strong: np.ndarray, weak: np.ndarray) -> np.ndarray:
    """Weak edge pixels joined (8-connected) to a strong one."""
    import torch
    import torch.nn.functional as F

    edges = torch.tensor(strong, dtype=torch.float32)[None, None]
    allowed = torch.tensor(weak, dtype=torch.float32)[None, None]
    while True:
        grown = edges
        for _ in range(8):  # several steps between the (costlier) convergence checks
            grown = F.max_pool2d(grown, 3, stride=1, padding=1) * allowed
        if torch.equal(grown, edges):
            return edges[0, 0].numpy() > 0
        edges = grown


def tile(image: Image.Image, factor: int = 4) -> Image.Image:
    """The image at 1/`factor` of its size and back, softened: the layout and colours without the detail."""
    small = image.convert("RGB").resize(
        (max(1, image.width // factor), max(1, image.height // factor)), Image.Resampling.BICUBIC
    )
    return small.resize(image.size, Image.Resampling.BICUBIC).filter(ImageFilter.GaussianBlur(1))


def builtin_map(preprocessor: str, image: Image.Image, options: dict[str, Any]) -> Image.Image:
    """The control map a model-free preprocessor makes of `image`."""
    if preprocessor == "canny":
        return canny(image, int(options.get("low_threshold", 100)), int(options.get("high_threshold", 200)))
    if preprocessor == "tile":
        return tile(image, int(options.get("tile_factor", 4)))
    return image.convert("RGB")
