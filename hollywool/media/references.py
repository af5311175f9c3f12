"""Reference images for image-to-image: checked at submit time, stored once, loaded by the job.

An uploaded image (base64 or a data: URL) is decoded and checked when the job is submitted, then kept
as a PNG under `<data dir>/uploads/` and referred to by its content hash, so the job record stays small
and a retry or a restart finds the same pixels.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
from pathlib import Path

from PIL import Image, PngImagePlugin, UnidentifiedImageError

from hollywool.engines.image.params import ReferenceImage
from hollywool.errors import InvalidInputError, NotFoundError
from hollywool.media.assets import AssetService
from hollywool.media.files import atomic_write_bytes

MAX_BYTES = 20 * 1024 * 1024
MAX_SIDE = 4096

# Pillow refuses PNG text chunks over 1 MB (ValueError), but a ComfyUI image's embedded workflow can be
# larger. The file itself is capped at MAX_BYTES, so allowing text up to that size bounds memory the same.
PngImagePlugin.MAX_TEXT_CHUNK = max(PngImagePlugin.MAX_TEXT_CHUNK, MAX_BYTES)
PngImagePlugin.MAX_TEXT_MEMORY = max(PngImagePlugin.MAX_TEXT_MEMORY, 4 * MAX_BYTES)


def decode_image_bytes(data: bytes, field: str) -> Image.Image:
    """Open and fully decode an image, or raise a 422 naming `field`."""
    if len(data) > MAX_BYTES:
        raise InvalidInputError(f"{field}: image is {len(data) / 2**20:.1f} MB; the limit is 20 MB", field=field)
    try:
        with Image.open(io.BytesIO(data)) as probe:
            width, height = probe.size
            if max(width, height) > MAX_SIDE:
                raise InvalidInputError(
                    f"{field}: image is {width}x{height}; the largest side may be {MAX_SIDE} px", field=field
                )
            probe.load()
            return probe.convert("RGB")
    except InvalidInputError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidInputError(
            f"{field}: not a readable image: the file is damaged or not a PNG, JPEG or WebP picture; choose another",
            field=field,
            detail=[{"field": field, "reason": str(exc) or exc.__class__.__name__}],
        ) from None


def _b64(text: str, field: str) -> bytes:
    if text.startswith("data:"):
        header, _, text = text.partition(",")
        if ";base64" not in header:
            raise InvalidInputError(f"{field}: data URL is not base64", field=field)
    if len(text) > MAX_BYTES * 4 // 3 + 4:
        raise InvalidInputError(f"{field}: image is over 20 MB; the limit is 20 MB", field=field)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInputError(f"{field}: image_base64 is not valid base64", field=field) from None


class ReferenceImages:
    def __init__(self, uploads_dir: Path, assets: AssetService):
        self.uploads_dir = uploads_dir
        self.assets = assets

    def normalise(self, refs: list[ReferenceImage]) -> list[ReferenceImage]:
        """Check every reference; store uploads; return references that name an asset or an upload."""
        return [self.normalise_one(ref, f"reference_images.{i}") for i, ref in enumerate(refs)]

    def normalise_one(self, ref: ReferenceImage, field: str) -> ReferenceImage:
        """One image (a reference, a mask): checked, an upload stored; a 422 naming `field` when it is not usable."""
        if ref.image_base64:
            image = decode_image_bytes(_b64(ref.image_base64, field), field)
            return ReferenceImage(upload_id=self._store(image))
        if ref.image_asset_id:
            asset = self.assets.repo.get(ref.image_asset_id)
            if asset is None or asset.kind != "image":
                raise InvalidInputError(f"{field}: no image asset {ref.image_asset_id!r}", field=field)
            return ref
        if not self._upload_path(ref.upload_id).exists():
            raise InvalidInputError(f"{field}: unknown upload {ref.upload_id!r}", field=field)
        return ref

    def load(self, ref: ReferenceImage) -> Image.Image:
        if ref.image_asset_id:
            path = self.assets.path_of(self.assets.get(ref.image_asset_id))
        else:
            path = self._upload_path(ref.upload_id)
        with Image.open(path) as img:
            return img.convert("RGB")

    def upload_file(self, upload_id: str) -> Path:
        """The stored PNG of an uploaded reference image (to show it again when its settings are reused)."""
        path = self.uploads_dir / f"{upload_id}.png"
        if not upload_id.isalnum() or not path.is_file():
            raise NotFoundError(f"no uploaded image {upload_id!r}: it was removed; add the image again")
        return path

    def _upload_path(self, upload_id: str | None) -> Path:
        if not upload_id or not upload_id.isalnum():
            raise InvalidInputError("reference_images: invalid upload id")
        return self.uploads_dir / f"{upload_id}.png"

    def _store(self, image: Image.Image) -> str:
        buf = io.BytesIO()
        image.save(buf, format="PNG")
        data = buf.getvalue()
        upload_id = hashlib.sha256(data).hexdigest()[:32]
        path = self._upload_path(upload_id)
        if not path.exists():
            atomic_write_bytes(path, data)
        return upload_id


def fit(image: Image.Image, width: int, height: int) -> Image.Image:
    """Scale and centre-crop `image` to exactly width x height."""
    scale = max(width / image.width, height / image.height)
    resized = image.resize((max(width, round(image.width * scale)), max(height, round(image.height * scale))))
    left, top = (resized.width - width) // 2, (resized.height - height) // 2
    return resized.crop((left, top, left + width, top + height))
