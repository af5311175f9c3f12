"""Saving generated media: the file is written atomically first, then its row is inserted.

A crash between the two leaves at most an orphan file, never a row pointing at nothing.
Each asset gets its WebP thumbnail beside it (media/thumbnails.py) before its row is inserted.
"""

from __future__ import annotations

import io
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from PIL import Image

from hollywool.errors import NotFoundError
from hollywool.media.files import atomic_path, atomic_write_bytes, safe_join
from hollywool.media.png_meta import HOLLYWOOL_CHUNK, png_bytes
from hollywool.media.thumbnails import source_image, thumbnail_relative, webp_thumbnail
from hollywool.storage.assets import THUMBNAIL_SUFFIX, Asset, AssetRepository

log = logging.getLogger("hollywool")


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
                "thumbnail_path": self._write_thumbnail(rel, lambda: image),
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

        def picture() -> Image.Image | None:
            given = poster() if callable(poster) else poster
            return given if given is not None else source_image(final, kind)

        thumb_rel = self._write_thumbnail(rel, picture)
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

    def _write_thumbnail(self, rel: str, picture: Callable[[], Image.Image | None]) -> str | None:
        """Write the asset's WebP thumbnail; None when no picture could be had (then it is retried lazily)."""
        try:
            image = picture()
            if image is None:
                return None
            thumb_rel = thumbnail_relative(rel)
            atomic_write_bytes(self.outputs_dir / thumb_rel, webp_thumbnail(image))
            return thumb_rel
        except Exception:  # a thumbnail must never cost the asset itself
            log.exception("could not make the thumbnail of %s", rel)
            return None

    def thumbnail_file(self, asset_id: str) -> Path:
        """The asset's WebP thumbnail, made now if it is missing (an asset saved before thumbnails existed).

        An older video's JPEG poster, when there is one, is the source and is then removed.
        """
        asset = self.get(asset_id)
        old = self.repo.thumbnail_path(asset_id)
        if old and old.endswith(THUMBNAIL_SUFFIX):
            existing = safe_join(self.outputs_dir, old)
            if existing.is_file():
                return existing
        source = self.path_of(asset)
        if not source.is_file():
            raise NotFoundError(f"asset {asset_id}: its file is missing")
        poster = safe_join(self.outputs_dir, old) if old and not old.endswith(THUMBNAIL_SUFFIX) else None

        def picture() -> Image.Image | None:
            if poster is not None and poster.is_file():
                with Image.open(poster) as img:
                    return img.copy()
            return source_image(source, asset.kind)

        rel = self._write_thumbnail(asset.path, picture)
        if rel is None:
            raise NotFoundError(f"asset {asset_id}: no thumbnail can be made from its file")
        self.repo.set_thumbnail(asset_id, rel)
        if poster is not None:
            poster.unlink(missing_ok=True)
        return safe_join(self.outputs_dir, rel)

    def set_favorite(self, asset_id: str, favorite: bool) -> Asset:
        self.get(asset_id)
        asset = self.repo.set_favorite(asset_id, favorite)
        if asset is None:  # deleted in between
            raise NotFoundError(f"asset {asset_id} not found")
        return asset

    def delete_many(self, ids: Iterable[str]) -> tuple[list[str], list[str]]:
        """Delete the assets of `ids` (rows in one transaction, then their files): (deleted, missing)."""
        wanted = list(dict.fromkeys(ids))
        removed = self.repo.delete_many(wanted)
        for asset, thumb in removed:
            self._unlink(asset.path, thumb)
        done = {a.id for a, _ in removed}
        return [i for i in wanted if i in done], [i for i in wanted if i not in done]

    def _unlink(self, *relatives: str | None) -> None:
        for rel in relatives:
            if rel:
                safe_join(self.outputs_dir, rel).unlink(missing_ok=True)

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
        self._unlink(asset.path, thumb)
        return asset


def preview_data_url(image: Image.Image, max_side: int = 256) -> str:
    """A small JPEG data URL for live previews."""
    import base64

    img = image.convert("RGB")
    img.thumbnail((max_side, max_side))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=70)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()
