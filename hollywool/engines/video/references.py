"""Reference images of image-to-video jobs: checked at submit time, stored once, loaded by the job.

An uploaded image is decoded when the job is submitted (anything that is not an image is a 422), then
kept as a PNG under `<data dir>/uploads/` named by its content hash, so the job record stays small and
a retry or a restart finds the same pixels.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from hollywool.engines.video.params import VideoReference
from hollywool.errors import InvalidInputError
from hollywool.media.assets import AssetService
from hollywool.media.files import atomic_write_bytes

MAX_BYTES = 20 * 1024 * 1024
MAX_SIDE = 4096


def decode_image(data: bytes, field: str) -> Image.Image:
    if len(data) > MAX_BYTES:
        raise InvalidInputError(f"{field}: image is {len(data) / 2**20:.1f} MB; the limit is 20 MB", field=field)
    try:
        with Image.open(io.BytesIO(data)) as img:
            if max(img.size) > MAX_SIDE:
                raise InvalidInputError(
                    f"{field}: image is {img.width}x{img.height}; the largest side may be {MAX_SIDE} px", field=field
                )
            img.load()
            return img.convert("RGB")
    except InvalidInputError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidInputError(f"{field}: not a readable image ({exc.__class__.__name__})", field=field) from None


def _b64(text: str, field: str) -> bytes:
    if text.startswith("data:"):
        header, _, text = text.partition(",")
        if ";base64" not in header:
            raise InvalidInputError(f"{field}: data URL is not base64", field=field)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInputError(f"{field}: image_base64 is not valid base64", field=field) from None


class VideoReferences:
    def __init__(self, uploads_dir: Path, assets: AssetService):
        self.uploads_dir = uploads_dir
        self.assets = assets

    def normalise(self, refs: list[VideoReference]) -> list[VideoReference]:
        out = []
        for i, ref in enumerate(refs):
            field = f"images.{i}"
            if ref.image_base64:
                out.append(VideoReference(upload_id=self._store(decode_image(_b64(ref.image_base64, field), field))))
            elif ref.image_asset_id:
                asset = self.assets.repo.get(ref.image_asset_id)
                if asset is None or asset.kind != "image":
                    raise InvalidInputError(f"{field}: no image asset {ref.image_asset_id!r}", field=field)
                out.append(ref)
            else:
                if not self._upload_path(ref.upload_id, field).exists():
                    raise InvalidInputError(f"{field}: unknown upload {ref.upload_id!r}", field=field)
                out.append(ref)
        return out

    def load(self, ref: VideoReference) -> Image.Image:
        if ref.image_asset_id:
            path = self.assets.path_of(self.assets.get(ref.image_asset_id))
        else:
            path = self._upload_path(ref.upload_id, "images")
        with Image.open(path) as img:
            return img.convert("RGB")

    def _upload_path(self, upload_id: str | None, field: str) -> Path:
        if not upload_id or not upload_id.isalnum():
            raise InvalidInputError(f"{field}: invalid upload id", field=field)
        return self.uploads_dir / f"{upload_id}.png"

    def _store(self, image: Image.Image) -> str:
        buf = io.BytesIO()
        image.save(buf, format="PNG")
        data = buf.getvalue()
        upload_id = hashlib.sha256(data).hexdigest()[:32]
        path = self._upload_path(upload_id, "images")
        if not path.exists():
            atomic_write_bytes(path, data)
        return upload_id


def fit(image: Image.Image, width: int, height: int) -> Image.Image:
    """Scale and centre-crop `image` to exactly width x height."""
    scale = max(width / image.width, height / image.height)
    resized = image.resize((max(width, round(image.width * scale)), max(height, round(image.height * scale))))
    left, top = (resized.width - width) // 2, (resized.height - height) // 2
    return resized.crop((left, top, left + width, top + height))
