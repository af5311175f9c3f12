"""Where each outside service is reached: the address chosen in Settings, else the environment's default.

The one rule for every service URL, read on each use so a change applies without a restart:
- ComfyUI and Civitai: the preferences `comfyui_url` and `civitai_url`;
- the remote providers (fal.ai, KREA, Higgsfield) and the LLMs (Anthropic, OpenAI-compatible): their
  provider config's base URL (the same field the provider pages edit);
- none set: the environment variable (settings.ServiceUrls), else the built-in address.
An address must be an http:// or https:// URL with a host name. A key never follows a changed address
to a new host: the provider's stored key, or the Civitai key, is removed with the change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from hollywool.errors import InvalidInputError, NotFoundError
from hollywool.storage.preferences import PreferencesRepository
from hollywool.urls import check_http_url

if TYPE_CHECKING:
    from hollywool.engines.remote.directory import ProviderDirectory
    from hollywool.settings import ServiceUrls

ServiceId = Literal["comfyui", "civitai", "fal", "krea", "higgsfield", "anthropic", "openai_compatible"]


class ServiceUrl(BaseModel):
    id: ServiceId
    name: str
    url: str = Field(description="the address in use now")
    default_url: str = Field(description="the address used when none is chosen: the environment's, else built in")
    env_var: str = Field(description="the environment variable that sets the default")
    is_default: bool = Field(description="no address is chosen in Settings: the default is in use")


class ServiceUrlUpdate(BaseModel):
    url: str | None = Field(None, max_length=2048, description="http(s) URL; null or empty: back to the default")


# id -> (name, environment variable, attribute of settings.ServiceUrls)
_SERVICES: dict[str, tuple[str, str, str]] = {
    "comfyui": ("ComfyUI server", "HOLLYWOOL_COMFYUI_URL", "comfyui"),
    "civitai": ("Civitai", "HOLLYWOOL_CIVITAI_URL", "civitai"),
    "fal": ("fal.ai", "HOLLYWOOL_FAL_URL", "fal"),
    "krea": ("KREA", "HOLLYWOOL_KREA_URL", "krea"),
    "higgsfield": ("Higgsfield", "HOLLYWOOL_HIGGSFIELD_URL", "higgsfield"),
    "anthropic": ("Anthropic", "ANTHROPIC_BASE_URL", "anthropic"),
    "openai_compatible": ("OpenAI-compatible LLM", "HOLLYWOOL_LLM_URL", "llm"),
}
# fal.ai's default is empty in the environment: the real queue host then.
_FAL_DEFAULT = "https://queue.fal.run"
_PREFERENCE = {"comfyui": "comfyui_url", "civitai": "civitai_url"}


class ServiceAddresses:
    def __init__(
        self,
        defaults: ServiceUrls,
        preferences: PreferencesRepository,
        providers: ProviderDirectory,
        clear_civitai_key: Callable[[], None],
    ):
        self.defaults = defaults
        self.preferences = preferences
        self.providers = providers
        self.clear_civitai_key = clear_civitai_key

    def default_url(self, service_id: str) -> str:
        url = getattr(self.defaults, _SERVICES[service_id][2]) or (_FAL_DEFAULT if service_id == "fal" else "")
        return url.rstrip("/")

    def chosen(self, service_id: str) -> str | None:
        pref = _PREFERENCE.get(service_id)
        if pref:
            return getattr(self.preferences.get(), pref)
        return self.providers.remote.configs.get(service_id).api_url

    def url(self, service_id: str) -> str:
        """The address in use: ComfyUI and Civitai ask here; a provider's and an LLM's own client is asked."""
        if service_id in _PREFERENCE:
            return (self.chosen(service_id) or self.default_url(service_id)).rstrip("/")
        remote = self.providers.remote.providers.get(service_id)
        if remote is not None:
            return remote.base_url or _FAL_DEFAULT
        return self.providers.llm.base_url(service_id)

    def one(self, service_id: str) -> ServiceUrl:
        if service_id not in _SERVICES:
            raise NotFoundError(f"service {service_id!r} not found; services are {', '.join(_SERVICES)}")
        name, env_var, _ = _SERVICES[service_id]
        chosen = self.chosen(service_id)
        return ServiceUrl(
            id=service_id,  # type: ignore[arg-type]
            name=name,
            url=self.url(service_id),
            default_url=self.default_url(service_id),
            env_var=env_var,
            is_default=not chosen,
        )

    def all(self) -> list[ServiceUrl]:
        return [self.one(i) for i in _SERVICES]

    def set(self, service_id: str, url: str | None) -> ServiceUrl:
        before = self.one(service_id)
        value: str | None = None
        if url is not None and url.strip():
            try:
                value = check_http_url(url)
            except ValueError as exc:
                raise InvalidInputError(f"url: {exc}", field="url") from None
        pref = _PREFERENCE.get(service_id)
        if pref:
            self.preferences.update({pref: value})
            if service_id == "civitai" and self.url(service_id) != before.url:
                self.clear_civitai_key()  # the key was given for the old address
        else:
            # The provider directory applies the same key rule to its own base URL.
            self.providers.update(service_id, api_url=value, fields={"api_url"})
        return self.one(service_id)
