"""Providers: keys (write-only), base URLs, enabled flags, credential tests and model discovery.

Answers carry the seed's field names beside the studio's (`{providers: [...]}` with `provider`,
`success`/`error` on a test, `success`/`discovered` on a discovery). A service that cannot be reached
or answers oddly is a 502/503/504 naming it on discovery, and an unsuccessful check (200) on a test.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field, field_validator

from hollywool.api.deps import get_studio
from hollywool.engines.remote.directory import ProviderCheck, ProviderRecord
from hollywool.engines.remote.provider import VIDEO_CATEGORIES, RemoteModel
from hollywool.studio import Studio
from hollywool.urls import check_http_url

router = APIRouter(prefix="/api/providers", tags=["providers"])

ProviderId = Path(..., max_length=64, description="krea, higgsfield, fal, anthropic, openai_compatible")


class DiscoveredModel(RemoteModel):
    """A discovered model; `type` and `input_type` are the seed's names for its kind and category."""

    type: Literal["image", "video", "unknown"] = "image"
    input_type: str | None = None

    @classmethod
    def of(cls, model: RemoteModel) -> DiscoveredModel:
        kind = "video" if model.category in VIDEO_CATEGORIES else "unknown" if model.category == "llm" else "image"
        return cls(**model.model_dump(), type=kind, input_type=model.category)


class DiscoverResult(BaseModel):
    provider: str
    count: int
    models: list[DiscoveredModel]
    success: bool = True
    discovered: int = Field(description="`count` under the seed's name")
    error: str | None = None


class ProviderList(BaseModel):
    providers: list[ProviderRecord]


class ProviderUpdate(BaseModel):
    api_key: str | None = Field(None, max_length=4096, description="write-only; empty or null removes the key")
    api_url: str | None = Field(
        None,
        max_length=2048,
        description="http(s) base URL; changing it removes the stored key unless `api_key` is given too",
    )
    is_enabled: bool | None = None

    @field_validator("api_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return value
        check_http_url(value)
        return value


@router.get("", response_model=ProviderList)
def list_providers(studio: Studio = Depends(get_studio)) -> ProviderList:
    return ProviderList(providers=studio.providers.records())


@router.get("/{provider_id}", response_model=ProviderRecord)
def get_provider(provider_id: str = ProviderId, studio: Studio = Depends(get_studio)) -> ProviderRecord:
    return studio.providers.record(provider_id)


@router.put("/{provider_id}", response_model=ProviderRecord)
def update_provider(
    body: ProviderUpdate, provider_id: str = ProviderId, studio: Studio = Depends(get_studio)
) -> ProviderRecord:
    return studio.providers.update(
        provider_id,
        api_key=body.api_key,
        api_url=body.api_url,
        is_enabled=body.is_enabled,
        fields=set(body.model_fields_set),
    )


@router.delete("/{provider_id}", response_model=ProviderRecord)
def remove_provider(provider_id: str = ProviderId, studio: Studio = Depends(get_studio)) -> ProviderRecord:
    """Forget the stored key, base URL and flags (an environment key still applies)."""
    return studio.providers.remove(provider_id)


@router.post("/{provider_id}/test", response_model=ProviderCheck)
def test_provider(provider_id: str = ProviderId, studio: Studio = Depends(get_studio)) -> ProviderCheck:
    return studio.providers.test(provider_id)


@router.post("/{provider_id}/discover", response_model=DiscoverResult)
def discover_models(provider_id: str = ProviderId, studio: Studio = Depends(get_studio)) -> DiscoverResult:
    models = [DiscoveredModel.of(m) for m in studio.providers.discover(provider_id)]
    return DiscoverResult(provider=provider_id, count=len(models), discovered=len(models), models=models)


@router.get("/{provider_id}/models", response_model=list[RemoteModel])
def list_provider_models(
    provider_id: str = ProviderId,
    q: str | None = Query(None, max_length=200),
    category: str | None = Query(None, max_length=64),
    studio: Studio = Depends(get_studio),
) -> list[RemoteModel]:
    return studio.providers.models(provider_id, q=q, category=category)
