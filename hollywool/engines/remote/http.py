"""Shared submit-and-poll helpers: one retrying JSON client and one polling loop for every provider.

429 and 5xx answers (and dropped connections) are retried with exponential backoff, honouring
`Retry-After`; other 4xx answers become a `ProviderError` carrying the service's own message (and
the field it names, where it names one). A refused connection is tried once more only and a connect
timeout not at all (503 / 504 naming the provider and its address): discovery or a key test against
a closed or black-holed port fails in seconds. An answer that is not a JSON object is a 502.
Keys travel only in headers and never into a message.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from hollywool.engines.remote.provider import ProviderError, ProviderTimeout, ProviderUnavailable
from hollywool.http_retry import CONNECT_RETRIES, CONNECT_TIMEOUT_S, RETRY_STATUSES, error_text, origin, retry_after_s
from hollywool.http_retry import timeout as http_timeout
from hollywool.json_types import JsonObject, JsonValue

log = logging.getLogger("hollywool.remote")


@dataclass(frozen=True)
class Tuning:
    """Timings of remote calls; the environment may shorten them (tests) or lengthen them."""

    retries: int = 5
    backoff_s: float = 1.0
    max_backoff_s: float = 30.0
    poll_interval_s: float = 1.0
    timeout_s: float = 60.0
    download_retries: int = 3

    @classmethod
    def from_env(cls) -> Tuning:
        d = cls()

        def num(name: str, default: float) -> float:
            raw = os.environ.get(name)
            return float(raw) if raw not in (None, "") else default

        return cls(
            retries=int(num("HOLLYWOOL_REMOTE_RETRIES", d.retries)),
            backoff_s=num("HOLLYWOOL_REMOTE_BACKOFF", d.backoff_s),
            max_backoff_s=num("HOLLYWOOL_REMOTE_MAX_BACKOFF", d.max_backoff_s),
            poll_interval_s=num("HOLLYWOOL_REMOTE_POLL_INTERVAL", d.poll_interval_s),
            timeout_s=num("HOLLYWOOL_REMOTE_TIMEOUT", d.timeout_s),
            download_retries=int(num("HOLLYWOOL_REMOTE_DOWNLOAD_RETRIES", d.download_retries)),
        )


class ServiceClient:
    """An httpx client for one provider: auth header, retries, errors that name the provider."""

    def __init__(self, provider_name: str, auth: Callable[[], dict[str, str]], tuning: Tuning):
        self.provider_name = provider_name
        self.auth = auth
        self.tuning = tuning
        self._http = httpx.Client(timeout=http_timeout(tuning.timeout_s), follow_redirects=True)

    def close(self) -> None:
        self._http.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        authed: bool = True,
        ok: tuple[int, ...] = (),
        retry: bool = True,
    ) -> httpx.Response:
        """Send with retries on 429/5xx/connection faults; return 2xx (or an `ok` status) answers."""
        attempts = (self.tuning.retries if retry else 0) + 1
        last: str = ""
        refused = 0
        for attempt in range(attempts):
            sent = {**(headers or {}), **(self.auth() if authed else {})}
            try:
                response = self._http.request(method, url, json=json, params=params, content=content, headers=sent)
            except httpx.InvalidURL:
                raise ProviderError(
                    f"{self.provider_name}: its base URL is not a valid URL; fix it on the {self.provider_name} "
                    "provider page.",
                    field="api_url",
                ) from None
            except httpx.ConnectTimeout:
                raise self._unreachable(url, timed_out=True) from None
            except (httpx.ConnectError, httpx.UnsupportedProtocol):
                refused += 1
                if refused > CONNECT_RETRIES or attempt == attempts - 1:
                    raise self._unreachable(url) from None
                last = "could not connect"
                wait = min(self.tuning.backoff_s, 1.0)
            except httpx.TimeoutException:
                last = "timed out"
                wait = None
                if attempt == attempts - 1:
                    raise ProviderTimeout(
                        f"{self.provider_name} at {origin(url)} did not answer in time after {attempts} tries; "
                        "try again later.",
                        retryable=True,
                    ) from None
            except httpx.TransportError as exc:
                last = f"could not connect ({exc.__class__.__name__})"
                wait = None
            else:
                if response.is_success or response.status_code in ok:
                    return response
                if response.status_code not in RETRY_STATUSES:
                    raise self._error(response)
                message, _ = error_text(response)
                last = f"HTTP {response.status_code}: {message}"
                wait = retry_after_s(response)
                if attempt == attempts - 1:
                    raise self._error(response, tries=attempts)
            if attempt == attempts - 1:
                break
            delay = wait if wait is not None else self.tuning.backoff_s * (2**attempt) * (0.75 + random.random() / 2)
            delay = min(delay, self.tuning.max_backoff_s)
            log.info(
                "%s: %s %s answered %s; retry %d in %.1fs",
                self.provider_name,
                method,
                _path(url),
                last,
                attempt + 1,
                delay,
            )
            time.sleep(delay)
        raise ProviderError(f"{self.provider_name}: {last} after {attempts} tries; try again later", retryable=True)

    def _unreachable(self, url: str, *, timed_out: bool = False) -> ProviderUnavailable:
        name, where = self.provider_name, origin(url)
        if timed_out:
            return ProviderTimeout(
                f"{name} did not accept a connection at {where} within {CONNECT_TIMEOUT_S:.0f} s; check your "
                f"connection or the base URL on the {name} provider page, then try again.",
                retryable=True,
            )
        return ProviderUnavailable(
            f"{name} could not be reached at {where}; check your connection or the base URL on the {name} "
            "provider page, then try again.",
            retryable=True,
        )

    def _error(self, response: httpx.Response, tries: int = 1) -> ProviderError:
        status = response.status_code
        message, field = error_text(response)
        name = self.provider_name
        if status == 401:
            text = f"{name}: the API key was rejected ({message}). Set a valid key on the {name} provider page."
        elif status == 402:
            text = f"{name}: out of credits ({message}). Add credits to your {name} account."
        elif status == 403:
            text = f"{name}: access denied ({message}). Check the key's permissions and credits on your {name} account."
        elif status == 429:
            text = (
                f"{name}: rate limited (HTTP 429) after {tries} tries: {message}. Try again later or lower concurrency."
            )
        elif status >= 500:
            text = f"{name}: service error (HTTP {status}) after {tries} tries: {message}. Try again later."
        else:
            text = f"{name}: {message} (HTTP {status})"
        return ProviderError(text, status=status, field=field, retryable=status in RETRY_STATUSES)

    def json(self, method: str, url: str, **kw: Any) -> JsonObject:
        """The answer as a JSON object; anything else (HTML, a list, garbage) is a 502 naming the provider."""
        response = self.request(method, url, **kw)
        try:
            data: JsonValue = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise ProviderError(
                f"{self.provider_name}: the answer to {method} {_path(url)} was not the JSON object expected; "
                f"check the base URL on the {self.provider_name} provider page, or try again later."
            )
        return data

    def download(self, url: str) -> tuple[bytes, str | None]:
        """Fetch a result file (public URL, no auth), retried; raises ProviderError at the end."""
        last = ""
        for attempt in range(self.tuning.download_retries + 1):
            try:
                response = self._http.get(url)
                if response.is_success and response.content:
                    return response.content, response.headers.get("content-type")
                last = f"HTTP {response.status_code}"
                wait = retry_after_s(response)
            except httpx.HTTPError as exc:
                last = exc.__class__.__name__
                wait = None
            if attempt < self.tuning.download_retries:
                time.sleep(
                    min(wait if wait is not None else self.tuning.backoff_s * 2**attempt, self.tuning.max_backoff_s)
                )
        raise ProviderError(f"{self.provider_name}: could not download a result file ({last})", retryable=True)


def _path(url: str) -> str:
    return httpx.URL(url).path
