"""Civitai: search and model details, the API token (set, clear, `has_token` only), downloads as
jobs, the versions already downloaded, and identification of local files by hash.

Every number a request carries is bounded (422 beyond). Civitai unreachable or answering oddly is a
502/503/504 naming it (see the client). Answers and bodies also take the seed's names: `modelVersions`
on models, a plain list of version ids from `/downloaded-versions`, the seed's download body.
"""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, Field

from hollywool.api.deps import get_studio
from hollywool.integrations.civitai.identify import Identification
from hollywool.integrations.civitai.mapping import (
    BaseModelName,
    CivitaiModel,
    CivitaiVersion,
    ModelType,
    Period,
    SearchPage,
    SearchQuery,
    Sort,
)
from hollywool.integrations.civitai.records import Download, DownloadStatus
from hollywool.integrations.civitai.service import CivitaiService, DownloadedVersion
from hollywool.studio import Studio

router = APIRouter(prefix="/api/civitai", tags=["civitai"])


def get_civitai(studio: Studio = Depends(get_studio)) -> CivitaiService:
    return studio.civitai


class TokenState(BaseModel):
    has_token: bool


class TokenBody(BaseModel):
    token: str = Field(min_length=1, max_length=500)


# Civitai's ids are positive integers; anything past 64 bits is refused before it reaches a query.
MAX_ID = 2**63 - 1
MAX_OFFSET = 2**31 - 1

ModelIdPath = Path(..., ge=1, le=MAX_ID, description="a Civitai model id")
VersionIdPath = Path(..., ge=1, le=MAX_ID, description="a Civitai model version id")
DownloadIdPath = Path(..., min_length=1, max_length=64)


class DownloadRequest(BaseModel):
    version_id: int = Field(gt=0, le=MAX_ID)
    file_id: int | None = Field(
        None, gt=0, le=MAX_ID, description="a file of the version; its primary file when left out"
    )
    # The seed's body: accepted as it was sent. The file is always fetched through Civitai by version
    # (never from `download_url`, which could point anywhere); `filename` picks the version's file of
    # that name when `file_id` is left out.
    civitai_model_id: int | None = Field(None, ge=0, le=MAX_ID)
    model_name: str | None = Field(None, max_length=500)
    type: str | None = Field(None, max_length=100)
    filename: str | None = Field(None, max_length=500)
    download_url: str | None = Field(None, max_length=4096)
    base_model: str | None = Field(None, max_length=100)
    file_size_kb: float | None = Field(None, ge=0, le=1e12, allow_inf_nan=False)


class IdentifyRequest(BaseModel):
    path: str | None = Field(None, max_length=4096, description="a model file on the studio's disk")
    sha256: str | None = Field(None, pattern=r"^[0-9a-fA-F]{8,64}$", description="8 to 64 hex digits")


@router.get("/models", response_model=SearchPage)
def search_models(
    query: str | None = Query(None, max_length=200),
    types: list[ModelType] = Query([]),
    base_models: list[BaseModelName] = Query([], alias="baseModels"),
    sort: Sort = "Highest Rated",
    period: Period = "AllTime",
    nsfw: bool = False,
    cursor: str | None = Query(None, max_length=500),
    limit: int = Query(20, ge=1, le=100),
    tag: str | None = Query(None, max_length=100),
    username: str | None = Query(None, max_length=100),
    civitai: CivitaiService = Depends(get_civitai),
) -> SearchPage:
    q = SearchQuery(
        query=query or None,
        types=types,
        base_models=base_models,
        sort=sort,
        period=period,
        nsfw=nsfw,
        cursor=cursor,
        limit=limit,
        tag=tag,
        username=username,
    )
    return civitai.search(q)


@router.get("/models/{model_id}", response_model=CivitaiModel)
def get_model(
    model_id: int = ModelIdPath, nsfw: bool = False, civitai: CivitaiService = Depends(get_civitai)
) -> CivitaiModel:
    return civitai.model(model_id, nsfw=nsfw)


@router.get("/model-versions/{version_id}", response_model=CivitaiVersion)
def get_version(version_id: int = VersionIdPath, civitai: CivitaiService = Depends(get_civitai)) -> CivitaiVersion:
    return civitai.version(version_id)


@router.get("/token", response_model=TokenState)
def token_state(civitai: CivitaiService = Depends(get_civitai)) -> TokenState:
    return TokenState(has_token=civitai.has_token)


@router.put("/token", response_model=TokenState)
def set_token(body: TokenBody, civitai: CivitaiService = Depends(get_civitai)) -> TokenState:
    civitai.set_token(body.token)
    return TokenState(has_token=civitai.has_token)


@router.delete("/token", response_model=TokenState)
def clear_token(civitai: CivitaiService = Depends(get_civitai)) -> TokenState:
    civitai.clear_token()
    return TokenState(has_token=civitai.has_token)


@router.post("/downloads", response_model=Download, status_code=201)
def start_download(
    body: DownloadRequest, response: Response, civitai: CivitaiService = Depends(get_civitai)
) -> Download:
    """201 with a new download; 200 with the existing one when the version is downloaded or under way."""
    download, created = civitai.start_download(body.version_id, body.file_id, filename=body.filename)
    if not created:
        response.status_code = 200
    return download


@router.get("/downloads", response_model=list[Download])
def list_downloads(
    response: Response,
    status: list[DownloadStatus] | None = Query(None),
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    civitai: CivitaiService = Depends(get_civitai),
) -> list[Download]:
    """A plain list, as the seed answered; the number of downloads in all is the `X-Total-Count` header."""
    items, total = civitai.list_downloads(status=status, limit=limit, offset=offset)
    response.headers["X-Total-Count"] = str(total)
    return items


@router.get("/downloads/{download_id}", response_model=Download)
def get_download(download_id: str = DownloadIdPath, civitai: CivitaiService = Depends(get_civitai)) -> Download:
    return civitai.get_download(download_id)


@router.delete("/downloads/{download_id}", response_model=Download)
def delete_download(
    download_id: str = DownloadIdPath, delete_file: bool = True, civitai: CivitaiService = Depends(get_civitai)
) -> Download:
    """Cancel an active download (its partial file is removed); forget a finished one and delete its
    file (keep it with `delete_file=false`)."""
    return civitai.cancel_or_delete(download_id, delete_file=delete_file)


@router.get("/downloaded-versions", response_model=list[int])
def downloaded_versions(civitai: CivitaiService = Depends(get_civitai)) -> list[int]:
    """The ids of the versions downloaded and verified (the seed's answer); `/downloaded-versions/details`
    also lists those under way, with their download."""
    return sorted({v.version_id for v in civitai.downloaded_versions() if v.status == DownloadStatus.completed})


@router.get("/downloaded-versions/details")
def downloaded_version_details(
    civitai: CivitaiService = Depends(get_civitai),
) -> dict[Literal["items"], list[DownloadedVersion]]:
    return {"items": civitai.downloaded_versions()}


@router.post("/identify", response_model=Identification)
def identify(body: IdentifyRequest, civitai: CivitaiService = Depends(get_civitai)) -> Identification:
    return civitai.identify(path=FilePath(body.path) if body.path else None, sha256=body.sha256)


@router.get("/updates")
def updates(civitai: CivitaiService = Depends(get_civitai)) -> dict[Literal["items"], list[Identification]]:
    """Downloaded versions whose model has a newer version on Civitai."""
    return {"items": civitai.updates()}
