from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query
from pydantic import computed_field

from hollywool.api.deps import get_studio
from hollywool.api.schemas import Deleted, Limit, Offset, Page
from hollywool.engines.image.metadata import FORM_FIELDS
from hollywool.errors import NotFoundError
from hollywool.storage.assets import Asset, AssetQuery
from hollywool.studio import Studio

router = APIRouter(tags=["assets"])


class AssetPage(Page[Asset]):
    """A page of assets; `assets` is the seed's name for `items` (its `/api/assets` and `/api/video-assets`)."""

    @computed_field
    @property
    def assets(self) -> list[Asset]:
        return self.items


@router.get("/api/assets", response_model=AssetPage)
def list_assets(
    limit: Limit = 50,
    offset: Offset = 0,
    model: str | None = None,
    kind: Literal["image", "video"] | None = None,
    session_id: str | None = None,
    job_id: str | None = None,
    search: str | None = Query(None, max_length=500, description="text searched in prompts"),
    studio: Studio = Depends(get_studio),
) -> AssetPage:
    q = AssetQuery(
        kind=kind, model=model, session_id=session_id, job_id=job_id, search=search, limit=limit, offset=offset
    )
    items, total = studio.assets_repo.list(q)
    return AssetPage(items=items, total=total, limit=limit, offset=offset)


@router.get("/api/assets/models", response_model=list[str])
def asset_models(studio: Studio = Depends(get_studio)) -> list[str]:
    return studio.assets_repo.models()


@router.get("/api/assets/{asset_id}", response_model=Asset)
def get_asset(asset_id: str, studio: Studio = Depends(get_studio)) -> Asset:
    return studio.assets.get(asset_id)


@router.get("/api/assets/{asset_id}/params")
def get_asset_params(asset_id: str, studio: Studio = Depends(get_studio)) -> dict:
    """The parameters that made an asset, as the generate form takes them, plus everything recorded."""
    asset = studio.assets.get(asset_id)
    form = {k: asset.params[k] for k in FORM_FIELDS if k in asset.params}
    return {"asset_id": asset.id, "form": form, "params": asset.params}


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
    return AssetPage(items=items, total=total, limit=limit, offset=offset)


@router.get("/api/video-assets/{asset_id}", response_model=Asset)
def get_video_asset(asset_id: str, studio: Studio = Depends(get_studio)) -> Asset:
    return _video_asset(studio, asset_id)


@router.delete("/api/video-assets/{asset_id}", response_model=Deleted)
def delete_video_asset(asset_id: str, studio: Studio = Depends(get_studio)) -> Deleted:
    _video_asset(studio, asset_id)
    studio.assets.delete(asset_id)
    return Deleted(id=asset_id)
