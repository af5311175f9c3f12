from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query

from hollywool.api.deps import get_studio
from hollywool.api.schemas import Deleted, Page
from hollywool.engines.diffusers.metadata import FORM_FIELDS
from hollywool.storage.assets import Asset, AssetQuery
from hollywool.studio import Studio

router = APIRouter(prefix="/api/assets", tags=["assets"])


@router.get("", response_model=Page[Asset])
def list_assets(
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
    model: str | None = None,
    kind: Literal["image", "video"] | None = None,
    session_id: str | None = None,
    job_id: str | None = None,
    search: str | None = Query(None, max_length=500, description="text searched in prompts"),
    studio: Studio = Depends(get_studio),
) -> Page[Asset]:
    q = AssetQuery(
        kind=kind, model=model, session_id=session_id, job_id=job_id, search=search, limit=limit, offset=offset
    )
    items, total = studio.assets_repo.list(q)
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get("/models", response_model=list[str])
def asset_models(studio: Studio = Depends(get_studio)) -> list[str]:
    return studio.assets_repo.models()


@router.get("/{asset_id}", response_model=Asset)
def get_asset(asset_id: str, studio: Studio = Depends(get_studio)) -> Asset:
    return studio.assets.get(asset_id)


@router.get("/{asset_id}/params")
def get_asset_params(asset_id: str, studio: Studio = Depends(get_studio)) -> dict:
    """The parameters that made an asset, as the generate form takes them, plus everything recorded."""
    asset = studio.assets.get(asset_id)
    form = {k: asset.params[k] for k in FORM_FIELDS if k in asset.params}
    return {"asset_id": asset.id, "form": form, "params": asset.params}


@router.delete("/{asset_id}", response_model=Deleted)
def delete_asset(asset_id: str, studio: Studio = Depends(get_studio)) -> Deleted:
    studio.assets.delete(asset_id)
    return Deleted(id=asset_id)
