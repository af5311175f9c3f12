"""Which LLM backend to use, with what URL, key and model: provider configs, keys, preferences."""

from __future__ import annotations

from hollywool.engines.remote.keys import ProviderKeys
from hollywool.errors import InvalidInputError
from hollywool.integrations.llm.backends import AnthropicBackend, LlmBackend, LlmConfig, OpenAICompatBackend
from hollywool.integrations.llm.variations import generate_variations
from hollywool.storage.preferences import PreferencesRepository
from hollywool.storage.provider_configs import ProviderConfigRepository

BACKENDS: dict[str, type[LlmBackend]] = {"anthropic": AnthropicBackend, "openai_compatible": OpenAICompatBackend}
NAMES = {"anthropic": "Anthropic", "openai_compatible": "OpenAI-compatible LLM"}


class LlmService:
    def __init__(
        self,
        keys: ProviderKeys,
        configs: ProviderConfigRepository,
        preferences: PreferencesRepository,
        default_urls: dict[str, str],
    ):
        self.keys = keys
        self.configs = configs
        self.preferences = preferences
        self.default_urls = default_urls

    def base_url(self, provider_id: str) -> str:
        return (self.configs.get(provider_id).api_url or self.default_urls[provider_id]).rstrip("/")

    def backend(self, provider_id: str | None = None, model: str | None = None) -> LlmBackend:
        prefs = self.preferences.get()
        provider_id = provider_id or prefs.llm_provider
        cls = BACKENDS.get(provider_id)
        if cls is None:
            raise InvalidInputError(
                f"llm.provider: unknown LLM provider {provider_id!r}; use one of {', '.join(BACKENDS)}",
                field="llm.provider",
            )
        if not self.configs.get(provider_id).is_enabled:
            raise InvalidInputError(f"llm.provider: {NAMES[provider_id]} is disabled", field="llm.provider")
        chosen = model or (prefs.llm_model if prefs.llm_provider == provider_id else None)
        return cls(LlmConfig(self.base_url(provider_id), self.keys.get(provider_id), chosen))

    def variations(
        self, base_prompt: str, count: int, style: str | None, provider_id: str | None, model: str | None
    ) -> list[str]:
        return generate_variations(self.backend(provider_id, model), base_prompt, count, style)
