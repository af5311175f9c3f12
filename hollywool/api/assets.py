"""The gallery's routes: the seed's asset URLs and field names, plus search, filters, favourites,
keyset pages, thumbnails and multi-select delete and zip download."""

from __future__ import annotations

import json
import time
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel, Field, computed_field

from hollywool.api.deps import get_studio
from hollywool.api.schemas import Deleted, Limit, Offset
from hollywool.engines.image.metadata import FORM_FIELDS
from hollywool.errors import InvalidInputError, NotFoundError
from hollywool.media.zip_stream import stream_zip
from hollywool.storage.assets import Asset, AssetQuery
from hollywool.studio import Studio

router = APIRouter(tags=["assets"])

MAX_SELECTION = 1000
# Epoch seconds; bounded so that a wild value is a 422 naming the field, not a driver error.
Epoch = Annotated[float | None, Query(ge=0, le=1e11, description="epoch seconds")]


class AssetPage(BaseModel):
    """A page of assets; `assets` is the seed's name for `items` (its `/api/assets` and `/api/video-assets`).

    `total` is null when the request asked for no count (`include_total=false`, for later pages).
    """

    items: list[Asset]
    total: int | None
    limit: int
    offset: int
    next_cursor: str | None = Field(None, description="pass as `cursor` for the next page; null on the last")

    @computed_field
    @property
    def assets(self) -> list[Asset]:
        return self.items


class AssetSelection(BaseModel):
    ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(min_length=1, max_length=MAX_SELECTION)


class AssetsDeleted(BaseModel):
    deleted: list[str]
    missing: list[str] = Field(description="ids that were not (or no longer) in the gallery")


class FavoriteUpdate(BaseModel):
    favorite: bool


@router.get("/api/assets", response_model=AssetPage)
def list_assets(
    limit: Limit = 50,
    offset: Offset = 0,
    model: str | None = Query(None, max_length=500),
    kind: Literal["image", "video"] | None = None,
    session_id: str | None = Query(None, max_length=200),
    job_id: str | None = Query(None, max_length=200),
    search: str | None = Query(
        None, max_length=500, description="words found (as prefixes) in prompt, negative prompt, model, LoRAs, session"
    ),
    favorite: bool | None = Query(None, description="true: favourites only; false: the others"),
    created_after: Epoch = None,
    created_before: Epoch = None,
    cursor: str | None = Query(
        None, max_length=200, description="the previous page's `next_cursor`: the page after it, at any depth"
    ),
    include_total: bool = Query(True, description="false skips the count (later pages of a listing)"),
    compact: bool = Query(False, description="true leaves each asset's `params` out (a grid does not need them)"),
    studio: Studio = Depends(get_studio),
) -> AssetPage:
    if created_after is not None and created_before is not None and created_after > created_before:
        raise InvalidInputError("created_before: earlier than created_after", field="created_before")
    if cursor and offset:
        raise InvalidInputError("offset: use either offset or cursor, not both", field="offset")
    q = AssetQuery(
        kind=kind,
        model=model,
        session_id=session_id,
        job_id=job_id,
        search=search,
        favorite=favorite,
        created_after=created_after,
        created_before=created_before,
        limit=limit,
        offset=offset,
        cursor=cursor,
        include_total=include_total,
        compact=compact,
    )
    listing = studio.assets_repo.page(q)
    return AssetPage(
        items=listing.items, total=listing.total, limit=limit, offset=offset, next_cursor=listing.next_cursor
    )


@router.get("/api/assets/models", response_model=list[str])
def asset_models(studio: Studio = Depends(get_studio)) -> list[str]:
    return studio.assets_repo.models()


@router.post("/api/assets/delete", response_model=AssetsDeleted)
def delete_assets(selection: AssetSelection, studio: Studio = Depends(get_studio)) -> AssetsDeleted:
    """Delete several assets (rows in one transaction, then their files and thumbnails)."""
    deleted, missing = studio.assets.delete_many(selection.ids)
    return AssetsDeleted(deleted=deleted, missing=missing)


@router.post(
    "/api/assets/zip",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/zip": {}}, "description": "the files, plus assets.json"}},
)
def zip_assets(selection: AssetSelection, studio: Studio = Depends(get_studio)) -> StreamingResponse:
    """The selected files as one zip, streamed as it is written, with their metadata in `assets.json`."""
    assets = studio.assets_repo.get_many(list(dict.fromkeys(selection.ids)))
    if not assets:
        raise NotFoundError("ids: none of these assets exist", field="ids")
    files = [(a.filename, studio.assets.path_of(a), a.created_at) for a in assets]
    manifest = json.dumps([a.model_dump(mode="json") for a in assets], indent=1).encode()
    name = f"hollywool-{len(assets)}-assets-{time.strftime('%Y%m%d-%H%M%S')}.zip"
    return StreamingResponse(
        stream_zip(files, extra=[("assets.json", manifest)]),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/api/assets/{asset_id}", response_model=Asset)
def get_asset(asset_id: str, studio: Studio = Depends(get_studio)) -> Asset:
    return studio.assets.get(asset_id)


@router.get("/api/assets/{asset_id}/params")
def get_asset_params(asset_id: str, studio: Studio = Depends(get_studio)) -> dict:
    """The parameters that made an asset, as the generate form takes them, plus everything recorded."""
    asset = studio.assets.get(asset_id)
    form = {k: asset.params[k] for k in FORM_FIELDS if k in asset.params}
    return {"asset_id": asset.id, "form": form, "params": asset.params}


@router.get(
    "/api/assets/{asset_id}/thumbnail",
    response_class=FileResponse,
    responses={200: {"content": {"image/webp": {}}}},
)
def asset_thumbnail(asset_id: str, studio: Studio = Depends(get_studio)) -> FileResponse:
    """The asset's WebP thumbnail (a video's poster frame), made on the first request if it is missing."""
    path = studio.assets.thumbnail_file(asset_id)
    return FileResponse(path, media_type="image/webp", headers={"Cache-Control": "private, max-age=86400"})


@router.get(
    "/api/uploads/{upload_id}",
    response_class=FileResponse,
    responses={200: {"content": {"image/png": {}}}},
)
def uploaded_image(upload_id: str, studio: Studio = Depends(get_studio)) -> FileResponse:
    """A reference image a job's request uploaded (its params keep only `upload_id`): shown again on reuse."""
    path = studio.references.upload_file(upload_id)
    return FileResponse(path, media_type="image/png", headers={"Cache-Control": "private, max-age=86400"})


@router.put("/api/assets/{asset_id}/favorite", response_model=Asset)
def set_favorite(
    asset_id: str, update: Annotated[FavoriteUpdate, Body()], studio: Studio = Depends(get_studio)
) -> Asset:
    return studio.assets.set_favorite(asset_id, update.favorite)


@router.delete("/api/assets/{asset_id}", response_model=Deleted)
def delete_asset(asset_id: str, studio: Studio = Depends(get_studio)) -> Deleted:
    studio.assets.delete(asset_id)
    return Deleted(id=asset_id)


# The seed's video gallery routes: the same assets, video only.


def _video_asset(studio: Studio, asset_id: str) -> Asset:
    asset = studio.assets.get(asset_id)
    if asset.kind != "video":
        raise NotFoundError(f"video asset {asset_id} not found")
    return asset


@router.get("/api/video-assets", response_model=AssetPage)
def list_video_assets(
    limit: Limit = 50,
    offset: Offset = 0,
    model: str | None = None,
    studio: Studio = Depends(get_studio),
) -> AssetPage:
    items, total = studio.assets_repo.list(AssetQuery(kind="video", model=model, limit=limit, offset=offset))
    return AssetPage(items=items, total=total, limit=limit, offset=offset, next_cursor=None)


@router.get("/api/video-assets/{asset_id}", response_model=Asset)
def get_video_asset(asset_id: str, studio: Studio = Depends(get_studio)) -> Asset:
    return _video_asset(studio, asset_id)


@router.delete("/api/video-assets/{asset_id}", response_model=Deleted)
def delete_video_asset(asset_id: str, studio: Studio = Depends(get_studio)) -> Deleted:
    _video_asset(studio, asset_id)
    studio.assets.delete(asset_id)
    return Deleted(id=asset_id)
