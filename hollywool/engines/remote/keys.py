"""Provider API keys: the shared secrets file first, then the environment; masking and scrubbing.

Keys never travel further than the outbound request that needs them: the API shows only whether a
key is set and its last four characters, and `redact` scrubs known keys from any text (a provider
error that echoes the key, an exception message) before it is stored or shown.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from hollywool.storage.secrets import SecretStore

# Provider id -> the environment variable that supplies its key when none is stored.
ENV_KEYS = {
    "fal": "FAL_KEY",
    "krea": "KREA_API_KEY",
    "higgsfield": "HIGGSFIELD_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "openai_compatible": "HOLLYWOOL_LLM_API_KEY",
}

# A provider config `extra` flag: the base URL changed after the environment's key was read, so that
# key is not sent until the user gives a key again (it was meant for the old address).
ENV_KEY_OFF = "env_key_off"

_MIN_REDACT = 6  # shorter strings are too likely to occur in ordinary text


def mask(key: str | None) -> str | None:
    """'••••' and the last four characters (nothing of a key too short to hide the rest)."""
    if not key:
        return None
    return "••••" + (key[-4:] if len(key) >= 12 else "")


class ProviderKeys:
    def __init__(self, secrets: SecretStore, env_off: Callable[[str], bool] = lambda _id: False):
        self.secrets = secrets
        self.env_off = env_off

    def _env(self, provider_id: str) -> str | None:
        env = ENV_KEYS.get(provider_id)
        if not env or not os.environ.get(env) or self.env_off(provider_id):
            return None
        return os.environ[env]

    def get(self, provider_id: str) -> str | None:
        return self.secrets.get(provider_id) or self._env(provider_id)

    def source(self, provider_id: str) -> str | None:
        if self.secrets.get(provider_id):
            return "stored"
        return "env" if self._env(provider_id) else None

    def set(self, provider_id: str, key: str | None) -> None:
        if key:
            self.secrets.set(provider_id, key)
        else:
            self.secrets.delete(provider_id)

    def known(self) -> list[str]:
        values = [v for v in (self.secrets.get(n) for n in self.secrets.names()) if v]
        values += [os.environ[e] for e in ENV_KEYS.values() if os.environ.get(e)]
        parts: list[str] = []
        for value in values:
            parts.append(value)
            # An "id:secret" key: either half alone is secret enough to hide.
            parts += value.split(":")
        return sorted({p for p in parts if len(p) >= _MIN_REDACT}, key=len, reverse=True)

    def redact(self, text: str | None) -> str | None:
        if not text:
            return text
        for secret in self.known():
            if secret in text:
                text = text.replace(secret, "[redacted]")
        return text
