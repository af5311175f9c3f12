"""Saving generated media: the file is written atomically first, then its row is inserted.

A crash between the two leaves at most an orphan file, never a row pointing at nothing.
"""

from __future__ import annotations

import io
import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image

from hollywool.errors import NotFoundError
from hollywool.media.files import atomic_path, atomic_write_bytes, safe_join
from hollywool.media.png_meta import HOLLYWOOL_CHUNK, png_bytes
from hollywool.storage.assets import Asset, AssetRepository

THUMBNAIL_SIZE = 384


class AssetService:
    def __init__(self, repo: AssetRepository, outputs_dir: Path):
        self.repo = repo
        self.outputs_dir = outputs_dir

    def _relative(self, kind: str, asset_id: str, ext: str) -> str:
        return f"{kind}s/{time.strftime('%Y-%m-%d')}/{asset_id}.{ext}"

    def save_image(
        self,
        image: Image.Image,
        *,
        params: dict[str, Any],
        text_chunks: dict[str, str] | None = None,
        **fields: Any,
    ) -> Asset:
        """Save a PNG carrying `text_chunks` plus the HollyWool JSON chunk of `params`."""
        asset_id = uuid.uuid4().hex
        rel = self._relative("image", asset_id, "png")
        chunks = {**(text_chunks or {}), HOLLYWOOL_CHUNK: json.dumps(params, default=str)}
        data = png_bytes(image, chunks)
        atomic_write_bytes(self.outputs_dir / rel, data)
        return self.repo.insert(
            {
                "id": asset_id,
                "kind": "image",
                "path": rel,
                "mime": "image/png",
                "width": image.width,
                "height": image.height,
                "size_bytes": len(data),
                "params": params,
                **fields,
            }
        )

    def save_file(
        self,
        kind: str,
        ext: str,
        mime: str,
        write: Callable[[Path], dict[str, Any] | None],
        *,
        params: dict[str, Any],
        poster: Image.Image | Callable[[], Image.Image] | None = None,
        **fields: Any,
    ) -> Asset:
        """Save a file that `write(tmp_path)` produces (a video encoder, a download).

        `write` may return fields only known once the file is written (size, frame count); `poster`
        may be a function, called after `write`, for the same reason.
        """
        asset_id = uuid.uuid4().hex
        rel = self._relative(kind, asset_id, ext)
        final = self.outputs_dir / rel
        with atomic_path(final) as tmp:
            known = write(tmp)
        if isinstance(known, dict):
            fields.update(known)
        if callable(poster):
            poster = poster()
        thumb_rel = None
        if poster is not None:
            thumb_rel = self._relative(kind, f"{asset_id}.poster", "jpg")
            atomic_write_bytes(self.outputs_dir / thumb_rel, _jpeg(poster))
        return self.repo.insert(
            {
                "id": asset_id,
                "kind": kind,
                "path": rel,
                "mime": mime,
                "size_bytes": final.stat().st_size,
                "thumbnail_path": thumb_rel,
                "params": params,
                **fields,
            }
        )

    def path_of(self, asset: Asset) -> Path:
        return safe_join(self.outputs_dir, asset.path)

    def get(self, asset_id: str) -> Asset:
        asset = self.repo.get(asset_id)
        if asset is None:
            raise NotFoundError(f"asset {asset_id} not found")
        return asset

    def delete(self, asset_id: str) -> Asset:
        asset = self.get(asset_id)
        thumb = self.repo.thumbnail_path(asset_id)
        self.repo.delete(asset_id)
        for rel in (asset.path, thumb):
            if rel:
                safe_join(self.outputs_dir, rel).unlink(missing_ok=True)
        return asset


def _jpeg(image: Image.Image, quality: int = 85) -> bytes:
    img = image.convert("RGB")
    img.thumbnail((THUMBNAIL_SIZE * 2, THUMBNAIL_SIZE * 2))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def preview_data_url(image: Image.Image, max_side: int = 256) -> str:
    """A small JPEG data URL for live previews."""
    import base64

    img = image.convert("RGB")
    img.thumbnail((max_side, max_side))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=70)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()
