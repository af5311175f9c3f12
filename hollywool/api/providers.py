"""Providers: keys (write-only), base URLs, enabled flags, credential tests and model discovery."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from hollywool.api.deps import get_studio
from hollywool.engines.remote.directory import ProviderCheck, ProviderRecord
from hollywool.engines.remote.provider import RemoteModel
from hollywool.studio import Studio

router = APIRouter(prefix="/api/providers", tags=["providers"])


class DiscoverResult(BaseModel):
    provider: str
    count: int
    models: list[RemoteModel]


class ProviderUpdate(BaseModel):
    api_key: str | None = Field(None, max_length=4096, description="write-only; empty or null removes the key")
    api_url: str | None = Field(None, max_length=2048)
    is_enabled: bool | None = None


@router.get("", response_model=list[ProviderRecord])
def list_providers(studio: Studio = Depends(get_studio)) -> list[ProviderRecord]:
    return studio.providers.records()


@router.get("/{provider_id}", response_model=ProviderRecord)
def get_provider(provider_id: str, studio: Studio = Depends(get_studio)) -> ProviderRecord:
    return studio.providers.record(provider_id)


@router.put("/{provider_id}", response_model=ProviderRecord)
def update_provider(provider_id: str, body: ProviderUpdate, studio: Studio = Depends(get_studio)) -> ProviderRecord:
    return studio.providers.update(
        provider_id,
        api_key=body.api_key,
        api_url=body.api_url,
        is_enabled=body.is_enabled,
        fields=set(body.model_fields_set),
    )


@router.post("/{provider_id}/test", response_model=ProviderCheck)
def test_provider(provider_id: str, studio: Studio = Depends(get_studio)) -> ProviderCheck:
    return studio.providers.test(provider_id)


@router.post("/{provider_id}/discover", response_model=DiscoverResult)
def discover_models(provider_id: str, studio: Studio = Depends(get_studio)) -> dict[str, Any]:
    models = studio.providers.discover(provider_id)
    return {"provider": provider_id, "count": len(models), "models": [m.model_dump() for m in models]}


@router.get("/{provider_id}/models", response_model=list[RemoteModel])
def list_provider_models(
    provider_id: str, q: str | None = None, category: str | None = None, studio: Studio = Depends(get_studio)
) -> list[RemoteModel]:
    return studio.providers.models(provider_id, q=q, category=category)
