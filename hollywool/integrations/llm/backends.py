"""Two chat backends behind one small interface: `complete(system, user) -> text` and `check()`.

Both use the vendors' official SDKs with a configurable base URL, so a local server (llama.cpp,
Ollama, vLLM, LM Studio) or a test fake works exactly like the hosted service. The SDKs retry 429
and 5xx themselves; here their errors become studio errors that name the backend and never the key.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass

from hollywool.errors import InvalidInputError, StudioError, UnavailableError

DEFAULT_ANTHROPIC_MODEL = "claude-sonnet-5-5"


class LlmError(StudioError):
    status_code = 502


@dataclass
class LlmConfig:
    base_url: str
    api_key: str | None
    model: str | None
    timeout_s: float = 120.0
    max_retries: int = 2


class LlmBackend(abc.ABC):
    id: str
    name: str

    def __init__(self, config: LlmConfig):
        self.config = config

    @abc.abstractmethod
    def complete(self, system: str, user: str, max_tokens: int = 4096) -> str: ...

    @abc.abstractmethod
    def models(self) -> list[str]: ...

    def check(self) -> str:
        models = self.models()
        return f"{self.name} answered; {len(models)} model(s) available"


class AnthropicBackend(LlmBackend):
    id = "anthropic"
    name = "Anthropic"

    def _client(self):  # noqa: ANN202
        import anthropic

        if not self.config.api_key:
            raise InvalidInputError(
                "llm: no Anthropic API key is set. Add it on the Anthropic provider page or set ANTHROPIC_API_KEY.",
                field="llm",
            )
        return anthropic.Anthropic(
            api_key=self.config.api_key,
            base_url=self.config.base_url,
            timeout=self.config.timeout_s,
            max_retries=self.config.max_retries,
        )

    def complete(self, system: str, user: str, max_tokens: int = 4096) -> str:
        client = self._client()
        try:
            # No temperature/top_p/top_k: the current API version rejects them.
            message = client.messages.create(
                model=self.config.model or DEFAULT_ANTHROPIC_MODEL,
                max_tokens=max_tokens,
                system=system,
                messages=[{"role": "user", "content": user}],
            )
        except Exception as exc:
            raise _anthropic_error(exc) from None
        finally:
            client.close()
        return "".join(getattr(block, "text", "") for block in message.content if block.type == "text")

    def models(self) -> list[str]:
        client = self._client()
        try:
            return [m.id for m in client.models.list()]
        except Exception as exc:
            raise _anthropic_error(exc) from None
        finally:
            client.close()


class OpenAICompatBackend(LlmBackend):
    id = "openai_compatible"
    name = "OpenAI-compatible server"

    def _client(self):  # noqa: ANN202
        import openai

        return openai.OpenAI(
            api_key=self.config.api_key or "not-needed",  # local servers accept any key
            base_url=self.config.base_url,
            timeout=self.config.timeout_s,
            max_retries=self.config.max_retries,
        )

    def complete(self, system: str, user: str, max_tokens: int = 4096) -> str:
        client = self._client()
        try:
            model = self.config.model or self._first_model(client)
            reply = client.chat.completions.create(
                model=model,
                messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
                max_tokens=max_tokens,
            )
        except StudioError:
            raise
        except Exception as exc:
            raise _openai_error(exc, self.config.base_url) from None
        finally:
            client.close()
        return (reply.choices[0].message.content or "") if reply.choices else ""

    def _first_model(self, client) -> str:  # noqa: ANN001
        ids = [m.id for m in client.models.list()]
        if not ids:
            raise LlmError(f"{self.name} at {self.config.base_url} lists no models; load one or name it in settings")
        return ids[0]

    def models(self) -> list[str]:
        client = self._client()
        try:
            return [m.id for m in client.models.list()]
        except Exception as exc:
            raise _openai_error(exc, self.config.base_url) from None
        finally:
            client.close()


def _anthropic_error(exc: Exception) -> StudioError:
    import anthropic

    if isinstance(exc, anthropic.AuthenticationError):
        return LlmError("Anthropic rejected the API key (401). Set a valid key on the Anthropic provider page.")
    if isinstance(exc, anthropic.PermissionDeniedError):
        return LlmError("Anthropic denied access (403): check the key's permissions and credits.")
    if isinstance(exc, anthropic.RateLimitError):
        return LlmError("Anthropic is rate limiting requests (429), still after retries; try again shortly.")
    if isinstance(exc, anthropic.APIStatusError):
        return LlmError(f"Anthropic answered HTTP {exc.status_code}: {_message_of(exc)}")
    if isinstance(exc, anthropic.APIConnectionError):
        return UnavailableError("Anthropic could not be reached; check the network or the base URL.")
    return LlmError(f"Anthropic call failed: {exc.__class__.__name__}")


def _openai_error(exc: Exception, base_url: str) -> StudioError:
    import openai

    if isinstance(exc, openai.AuthenticationError):
        return LlmError(f"The LLM server at {base_url} rejected the API key (401).")
    if isinstance(exc, openai.RateLimitError):
        return LlmError(f"The LLM server at {base_url} is rate limiting requests (429); try again shortly.")
    if isinstance(exc, openai.APIStatusError):
        return LlmError(f"The LLM server at {base_url} answered HTTP {exc.status_code}: {_message_of(exc)}")
    if isinstance(exc, openai.APIConnectionError):
        return UnavailableError(
            f"No LLM server answered at {base_url}; start one (llama.cpp, Ollama, vLLM) or fix "
            "the URL on the OpenAI-compatible provider page."
        )
    return LlmError(f"LLM call failed: {exc.__class__.__name__}")


def _message_of(exc) -> str:  # noqa: ANN001
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])[:300]
        if isinstance(err, str):
            return err[:300]
    return str(getattr(exc, "message", "") or exc.__class__.__name__)[:300]
