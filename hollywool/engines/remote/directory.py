"""The Providers page's view of every external service: image providers and LLM backends alike.

A record says whether the provider is configured and enabled, its base URL and whether a key is set
(with its last four characters), never the key itself. Records, checks and discoveries also carry
the seed's field names (`provider`, `success`/`error`), beside the studio's own.

A key belongs to the address it was given for: changing a provider's base URL drops its stored key
(and stops using an environment key) unless the same request gives the key again, so a page that
re-points the URL (DNS rebinding) cannot have the next test or job send the key to its own server.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Generator
from typing import Any, TypedDict

from pydantic import BaseModel, Field

from hollywool.engines.remote.job import RemoteEngine
from hollywool.engines.remote.keys import ENV_KEY_OFF, ENV_KEYS, mask
from hollywool.engines.remote.provider import ProviderError, RemoteModel
from hollywool.errors import NotFoundError, StudioError
from hollywool.integrations.llm.service import NAMES as LLM_NAMES
from hollywool.integrations.llm.service import LlmService

log = logging.getLogger("hollywool.remote")


class ProviderRecord(BaseModel):
    id: str
    provider: str = Field(description="the provider id again, under the seed's name")
    name: str
    kind: str  # "image" (generation) | "llm" (prompt variations)
    is_configured: bool
    is_enabled: bool
    api_url: str
    has_api_key: bool
    api_key_masked: str | None = None
    key_source: str | None = None  # "stored" | "env"
    key_env: str | None = None
    model_count: int = 0
    discovered_at: float | None = None
    concurrency: int | None = None


class _KeyFacts(TypedDict):
    """The fields of a ProviderRecord that every kind of provider has."""

    id: str
    provider: str
    is_enabled: bool
    has_api_key: bool
    api_key_masked: str | None
    key_source: str | None
    key_env: str | None


class ProviderCheck(BaseModel):
    ok: bool
    message: str
    success: bool = Field(description="`ok` under the seed's name")
    error: str | None = Field(None, description="what went wrong and what to do, when the check failed")

    @classmethod
    def of(cls, ok: bool, message: str) -> ProviderCheck:
        return cls(ok=ok, success=ok, message=message, error=None if ok else message)


class ProviderDirectory:
    def __init__(self, remote: RemoteEngine, llm: LlmService):
        self.remote = remote
        self.llm = llm

    @property
    def ids(self) -> list[str]:
        return [*self.remote.providers, *LLM_NAMES]

    def _known(self, provider_id: str) -> None:
        if provider_id not in self.ids:
            raise NotFoundError(f"provider {provider_id!r} not found; providers are {', '.join(self.ids)}")

    def record(self, provider_id: str) -> ProviderRecord:
        self._known(provider_id)
        keys = self.remote.keys
        key = keys.get(provider_id)
        config = self.remote.configs.get(provider_id)
        common: _KeyFacts = {
            "id": provider_id,
            "provider": provider_id,
            "is_enabled": config.is_enabled,
            "has_api_key": key is not None,
            "api_key_masked": mask(key),
            "key_source": keys.source(provider_id),
            "key_env": ENV_KEYS.get(provider_id),
        }
        if provider_id in self.remote.providers:
            provider = self.remote.providers[provider_id]
            return ProviderRecord(
                **common,
                name=provider.name,
                kind="image",
                is_configured=key is not None,
                api_url=provider.base_url or "https://queue.fal.run",
                model_count=len(provider.list_models()),
                discovered_at=provider.discovered_at(),
                concurrency=int(config.extra.get("concurrency") or provider.concurrency),
            )
        url = self.llm.base_url(provider_id)
        configured = key is not None if provider_id == "anthropic" else bool(url)
        return ProviderRecord(**common, name=LLM_NAMES[provider_id], kind="llm", is_configured=configured, api_url=url)

    def records(self) -> list[ProviderRecord]:
        return [self.record(i) for i in self.ids]

    def update(
        self,
        provider_id: str,
        *,
        api_key: str | None = None,
        api_url: str | None = None,
        is_enabled: bool | None = None,
        fields: set[str],
    ) -> ProviderRecord:
        self._known(provider_id)
        url_before = self.record(provider_id).api_url
        if "api_key" in fields:
            self.remote.keys.set(provider_id, (api_key or "").strip() or None)
        extra = self.remote.configs.get(provider_id).extra
        changes: dict[str, Any] = {}
        if "api_url" in fields:
            changes["api_url"] = (api_url or "").strip().rstrip("/") or None
        if "is_enabled" in fields and is_enabled is not None:
            changes["is_enabled"] = is_enabled
        if "api_key" in fields and ENV_KEY_OFF in extra:
            changes["extra"] = {k: v for k, v in extra.items() if k != ENV_KEY_OFF}
        if changes:
            self.remote.configs.update(provider_id, **changes)
        if "api_key" not in fields and self.record(provider_id).api_url != url_before:
            # A new address without the key: the old key must not follow it there.
            self.remote.keys.set(provider_id, None)
            self.remote.configs.update(provider_id, extra={**extra, ENV_KEY_OFF: True})
        return self.record(provider_id)

    def remove(self, provider_id: str) -> ProviderRecord:
        """Forget the stored key and the user's settings (base URL, enabled flag, extras)."""
        self._known(provider_id)
        self.remote.keys.set(provider_id, None)
        self.remote.configs.update(provider_id, api_url=None, is_enabled=True, extra={})
        return self.record(provider_id)

    def test(self, provider_id: str) -> ProviderCheck:
        """The check's outcome as an answer (200): a failure says what went wrong and what to do."""
        self._known(provider_id)
        try:
            with self._readable(provider_id):
                if provider_id in self.remote.providers:
                    result = self.remote.providers[provider_id].test_credentials()
                    return ProviderCheck.of(result.ok, result.message)
                return ProviderCheck.of(True, self.llm.backend(provider_id).check())
        except StudioError as exc:
            return ProviderCheck.of(False, self.remote.keys.redact(exc.message) or exc.message)

    def discover(self, provider_id: str) -> list[RemoteModel]:
        self._known(provider_id)
        try:
            with self._readable(provider_id):
                if provider_id not in self.remote.providers:
                    names = self.llm.backend(provider_id).models()
                    return [
                        RemoteModel(id=f"{provider_id}:{n}", provider=provider_id, model_id=n, name=n, category="llm")
                        for n in names
                    ]
                return self.remote.providers[provider_id].discover()
        except StudioError as exc:
            exc.message = self.remote.keys.redact(exc.message) or exc.message
            exc.args = (exc.message,)
            raise

    @contextlib.contextmanager
    def _readable(self, provider_id: str) -> Generator[None]:
        """An answer of an unexpected shape (a list where an object was, a number for a name) is the
        service's fault: a 502 naming it, never a 500."""
        try:
            yield
        except (KeyError, TypeError, ValueError, AttributeError) as exc:  # ValidationError is a ValueError
            name = self.record(provider_id).name
            log.warning("%s: unreadable answer (%s)", name, exc.__class__.__name__)
            raise ProviderError(
                f"{name} answered in a shape the studio cannot read; check the base URL on the {name} "
                "provider page, or try again later."
            ) from None

    def models(self, provider_id: str, q: str | None = None, category: str | None = None) -> list[RemoteModel]:
        self._known(provider_id)
        if provider_id not in self.remote.providers:
            return []
        models = self.remote.providers[provider_id].list_models()
        if category:
            models = [m for m in models if m.category == category]
        if q:
            needle = q.lower()
            models = [
                m for m in models if needle in f"{m.model_id} {m.name} {m.description} {' '.join(m.tags)}".lower()
            ]
        return models
