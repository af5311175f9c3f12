"""The video families, one small module each, registered here by catalogue type."""

from __future__ import annotations

from hollywool.engines.video.families import cogvideox, ltx2, mochi, svd, wan
from hollywool.engines.video.families.base import Decoded, Rules, VideoFamily

VIDEO_FAMILIES: dict[str, VideoFamily] = {
    f.type: f for f in (cogvideox.T2V, cogvideox.I2V, ltx2.FAMILY, wan.T2V, wan.I2V, mochi.FAMILY, svd.FAMILY)
}


def video_family(model_type: str) -> VideoFamily:
    try:
        return VIDEO_FAMILIES[model_type]
    except KeyError:
        raise KeyError(f"no video engine for model type {model_type!r}") from None


__all__ = ["VIDEO_FAMILIES", "Decoded", "Rules", "VideoFamily", "video_family"]
