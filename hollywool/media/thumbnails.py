"""Gallery thumbnails: one small WebP per asset, written beside it, so a grid never loads full files.

Made when an asset is saved; an asset saved before thumbnails existed (or whose thumbnail could not
be made then) gets its thumbnail on the first request for it. Videos use a poster frame: the one
the engine hands over, or the first frame decoded with PyAV.
"""

from __future__ import annotations

import io
from pathlib import Path, PurePosixPath

from PIL import Image, ImageOps

from hollywool.storage.assets import THUMBNAIL_SUFFIX

THUMBNAIL_SIZE = 384  # longest side, px: a grid cell of ~190 CSS px on a 2x screen
_QUALITY = 78


def thumbnail_relative(asset_path: str) -> str:
    """`images/2026-12-03/<id>.png` -> `images/2026-12-03/<id>.thumb.webp`."""
    p = PurePosixPath(asset_path)
    return str(p.with_name(p.name.split(".", 1)[0] + THUMBNAIL_SUFFIX))


def webp_thumbnail(image: Image.Image) -> bytes:
    img = ImageOps.exif_transpose(image)
    if img.mode not in ("RGB", "RGBA"):
        img = img.convert("RGBA" if "A" in img.getbands() or img.mode == "P" else "RGB")
    img.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, format="WEBP", quality=_QUALITY, method=4)
    return buf.getvalue()


def first_video_frame(path: Path) -> Image.Image | None:
    """The first decodable frame of a video file (PyAV), or None when it has no video stream."""
    import av

    with av.open(str(path)) as container:
        if not container.streams.video:
            return None
        for frame in container.decode(video=0):
            return frame.to_image()
    return None


def source_image(path: Path, kind: str) -> Image.Image | None:
    """The picture a thumbnail is made from: the image itself, or a video's first frame."""
    if kind == "video":
        return first_video_frame(path)
    with Image.open(path) as img:
        img.seek(0)  # an animated file: its first frame
        img.load()
        return img.copy()
