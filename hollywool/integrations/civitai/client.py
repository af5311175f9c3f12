"""The HTTP client for Civitai's public REST API (v1) and its download endpoint.

* The API token, when the user has one, goes in `Authorization: Bearer`; it is read from a callable
  on each request (so setting or clearing it takes effect at once) and never logged. httpx drops the
  header itself when a redirect leaves Civitai's origin (the signed file URL on a storage host).
* 429 and 5xx answers and dropped connections are retried with exponential backoff, honouring
  `Retry-After`; after the last try the caller gets one clear error, and nothing else in the studio
  waits on it. A refused or timed-out connection is tried once more at most (downloads, which run in
  the background, keep every retry): a page waiting on an unreachable Civitai fails in seconds.
* An answer the studio cannot read (HTML, JSON of another shape) is a 502 naming Civitai, never a crash.
* Successful JSON answers are kept for a short while: browsing back and forth does not ask again.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import httpx

from hollywool import __version__
from hollywool.errors import NotFoundError, StudioError
from hollywool.http_retry import CONNECT_RETRIES, CONNECT_TIMEOUT_S, RETRY_STATUSES, error_text, origin, retry_after_s
from hollywool.http_retry import timeout as http_timeout
from hollywool.integrations.civitai.mapping import (
    CivitaiModel,
    CivitaiVersion,
    SearchPage,
    SearchQuery,
    model_from_json,
    page_from_json,
    version_from_json,
)

log = logging.getLogger("hollywool.civitai")
T = TypeVar("T")

# Seconds a search or a model page waits for Civitai (settings: HOLLYWOOL_CIVITAI_TIMEOUT).
DEFAULT_TIMEOUT_S = 8.0
# A download's chunks may take longer to come: it runs in the background.
DOWNLOAD_READ_TIMEOUT_S = 30.0


def _error_text(response: httpx.Response) -> str:
    return error_text(response)[0]


class CivitaiError(StudioError):
    """Civitai answered something the studio cannot use."""

    status_code = 502


class CivitaiUnavailable(CivitaiError):
    """Civitai is down, unreachable or rate-limiting, even after retrying."""

    status_code = 503


class CivitaiTimeout(CivitaiUnavailable):
    """Civitai accepted the connection but did not answer in time."""

    status_code = 504


class CivitaiAuthRequired(CivitaiError):
    """The file (or call) needs a logged-in user: an API token is missing or was refused."""

    # Not 401: that status belongs to the studio's own access token, and the UI reacts to it.
    status_code = 403


def token_message(has_token: bool) -> str:
    if has_token:
        return (
            "Civitai refused the API token for this download (HTTP 401): check that the token in "
            "Settings > Civitai is valid and not expired."
        )
    return (
        "This file needs a Civitai API token: its creator only allows downloads by logged-in users. "
        "Create a token on civitai.com (Account settings > API keys), add it in Settings > Civitai, "
        "then start the download again."
    )


class _TtlCache:
    def __init__(self, ttl_s: float, max_entries: int = 256):
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._items: OrderedDict[Any, tuple[float, Any]] = OrderedDict()

    def get(self, key: Any) -> Any | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is None:
                return None
            if time.monotonic() - hit[0] > self.ttl_s:
                self._items.pop(key, None)
                return None
            self._items.move_to_end(key)
            return hit[1]

    def put(self, key: Any, value: Any) -> None:
        if self.ttl_s <= 0:
            return
        with self._lock:
            self._items[key] = (time.monotonic(), value)
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class CivitaiClient:
    def __init__(
        self,
        base_url: str | Callable[[], str],
        token: Callable[[], str | None] = lambda: None,
        *,
        retries: int = 4,
        backoff_s: float = 0.5,
        max_wait_s: float = 30.0,
        cache_ttl_s: float = 60.0,
        timeout: httpx.Timeout | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ):
        # A callable is asked on every request: the address chosen in Settings applies without a restart.
        self._base_url = base_url if callable(base_url) else (lambda: base_url)
        self._token = token
        self.retries = retries
        self.backoff_s = backoff_s
        self.max_wait_s = max_wait_s
        self.cache = _TtlCache(cache_ttl_s)
        # Pages wait `timeout_s` for an answer (a user is looking at a spinner); downloads read longer.
        self.timeout_s = timeout_s
        self._http = httpx.Client(
            timeout=timeout or httpx.Timeout(timeout_s, connect=min(CONNECT_TIMEOUT_S, timeout_s)),
            follow_redirects=True,
            headers={"User-Agent": f"HollyWool/{__version__}"},
        )

    def close(self) -> None:
        self._http.close()

    @property
    def base_url(self) -> str:
        return self._base_url().rstrip("/")

    @property
    def has_token(self) -> bool:
        return bool(self._token())

    def _headers(self) -> dict[str, str]:
        token = self._token()
        return {"Authorization": f"Bearer {token}"} if token else {}

    # -- the retry loop ---------------------------------------------------------------------------
    def _send(
        self,
        url: str,
        params: list[tuple[str, str]] | None = None,
        *,
        headers: dict[str, str] | None = None,
        stream: bool = False,
        sleep: Callable[[float], None] = time.sleep,
    ) -> httpx.Response:
        """GET `url`, retrying 429, 5xx and dropped connections; the last failure raises clearly.

        A refused or timed-out connection is retried `CONNECT_RETRIES` times on an interactive call and
        like any other fault on a download (`stream`), which waits in the background.
        """
        what = url.removeprefix(self.base_url) or "/"
        last_status: int | None = None
        last_error = ""
        connect_failures = 0
        for attempt in range(self.retries + 1):
            wait = self.backoff_s * (2**attempt) * (1 + random.random() * 0.25)
            try:
                request = self._http.build_request(
                    "GET",
                    url,
                    params=params,
                    headers={**self._headers(), **(headers or {})},
                    timeout=http_timeout(DOWNLOAD_READ_TIMEOUT_S) if stream else httpx.USE_CLIENT_DEFAULT,
                )
                response = self._http.send(request, stream=stream)
            except httpx.InvalidURL:
                raise CivitaiError(
                    f"Civitai's address {self.base_url!r} is not a valid URL; "
                    "check the Civitai address in Settings (Service addresses)."
                ) from None
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.UnsupportedProtocol) as exc:
                last_status, last_error = None, f"{exc.__class__.__name__}: {exc}".rstrip(": ")
                log.warning("Civitai %s: %s (try %d of %d)", what, last_error, attempt + 1, self.retries + 1)
                connect_failures += 1
                if not stream and connect_failures > CONNECT_RETRIES:
                    raise self._unreachable(exc) from None
            except httpx.TimeoutException as exc:
                last_status, last_error = None, f"{exc.__class__.__name__}: {exc}".rstrip(": ")
                log.warning("Civitai %s: %s (try %d of %d)", what, last_error, attempt + 1, self.retries + 1)
                if not stream:  # the read limit already passed once: a page does not wait for it again
                    raise self._unreachable(exc) from None
            except httpx.TransportError as exc:
                last_status, last_error = None, f"{exc.__class__.__name__}: {exc}".rstrip(": ")
                log.warning("Civitai %s: %s (try %d of %d)", what, last_error, attempt + 1, self.retries + 1)
            else:
                if response.status_code not in RETRY_STATUSES:
                    return response
                last_status = response.status_code
                with contextlib.suppress(httpx.HTTPError):
                    response.read()
                last_error = _error_text(response)
                asked = retry_after_s(response)
                response.close()
                log.warning("Civitai %s: HTTP %d (try %d of %d)", what, last_status, attempt + 1, self.retries + 1)
                if asked is not None:
                    if asked > self.max_wait_s:
                        raise CivitaiUnavailable(
                            f"Civitai is rate-limiting requests (HTTP {last_status}) and asks to wait "
                            f"{asked:.0f} s; try again later."
                        )
                    wait = asked
            if attempt < self.retries:
                sleep(min(wait, self.max_wait_s))
        tries = self.retries + 1
        if last_status == 429:
            raise CivitaiUnavailable(
                f"Civitai is rate-limiting requests (HTTP 429) and still was after {tries} tries; "
                "wait a minute and try again."
            )
        if last_status is not None:
            raise CivitaiUnavailable(
                f"Civitai is unavailable (HTTP {last_status}: {last_error or 'no details'}) after {tries} tries; "
                "try again later."
            )
        raise CivitaiUnavailable(
            f"Civitai could not be reached at {origin(self.base_url)} after {tries} tries (the connection "
            "failed); check your connection or the Civitai address in Settings, then try again."
        )

    def _unreachable(self, exc: httpx.TransportError) -> CivitaiUnavailable:
        where = origin(self.base_url)
        if isinstance(exc, httpx.ConnectTimeout):
            return CivitaiTimeout(
                f"Civitai did not accept a connection at {where} within {CONNECT_TIMEOUT_S:.0f} s; check your "
                "connection or the Civitai address in Settings, then try again."
            )
        if isinstance(exc, httpx.TimeoutException):
            return CivitaiTimeout(
                f"Civitai at {where} did not answer within {self.timeout_s:g} s; try again, or raise "
                "HOLLYWOOL_CIVITAI_TIMEOUT if your connection is slow."
            )
        return CivitaiUnavailable(
            f"Civitai could not be reached at {where}; check your connection or the Civitai address in Settings, "
            "then try again."
        )

    def get_json(self, path: str, params: list[tuple[str, str]] | None = None, *, cache: bool = True) -> Any:
        """GET `/api/v1{path}`; 404 becomes NotFoundError, 401/403 CivitaiAuthRequired."""
        key = (self.base_url, path, tuple(params or ()), self.has_token)
        if cache:
            hit = self.cache.get(key)
            if hit is not None:
                return hit
        response = self._send(f"{self.base_url}/api/v1{path}", params)
        if response.status_code == 404:
            raise NotFoundError(f"Civitai does not know {path.lstrip('/')} ({_error_text(response) or 'not found'})")
        if response.status_code in (401, 403):
            raise CivitaiAuthRequired(token_message(self.has_token))
        if response.status_code == 400:
            raise CivitaiError(f"Civitai refused the request: {_error_text(response)}")
        if response.status_code >= 400:
            raise CivitaiError(f"Civitai answered HTTP {response.status_code}: {_error_text(response)}")
        try:
            data = response.json()
        except ValueError:
            raise CivitaiError(
                f"Civitai answered {path} with something other than JSON; check the Civitai address in Settings points "
                "at Civitai, or try again later."
            ) from None
        if cache:
            self.cache.put(key, data)
        return data

    # -- the API ---------------------------------------------------------------------------------
    def _read(self, path: str, mapper: Callable[[Any], T], params: list[tuple[str, str]] | None = None, **kw: Any) -> T:
        """GET `path` and map it; an answer of another shape is Civitai's fault (502), not ours (500)."""
        data = self.get_json(path, params, **kw)
        try:
            return mapper(data)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:  # ValidationError is a ValueError
            self.cache.clear()  # do not serve the unreadable answer again
            log.warning("Civitai %s: unreadable answer (%s)", path, exc.__class__.__name__)
            raise CivitaiError(
                f"Civitai answered {path} in a shape the studio cannot read; check the Civitai address in Settings "
                "points at Civitai, or try again later."
            ) from None

    def search(self, query: SearchQuery) -> SearchPage:
        return self._read("/models", lambda d: page_from_json(d, nsfw=query.nsfw), query.to_params())

    def model(self, model_id: int, *, nsfw: bool = True) -> CivitaiModel:
        return self._read(f"/models/{int(model_id)}", lambda d: model_from_json(d, nsfw=nsfw))

    def version(self, version_id: int, *, cache: bool = True) -> CivitaiVersion:
        return self._read(f"/model-versions/{int(version_id)}", version_from_json, cache=cache)

    def by_hash(self, file_hash: str) -> CivitaiVersion | None:
        """The version a file belongs to, or None when Civitai does not know the file."""
        try:
            return self._read(f"/model-versions/by-hash/{file_hash}", version_from_json)
        except NotFoundError:
            return None

    @contextlib.contextmanager
    def open_download(
        self,
        version_id: int,
        *,
        start: int = 0,
        file_params: dict[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> Iterator[httpx.Response]:
        """Stream a version's file from byte `start`.

        Each call asks Civitai's download URL again, so an expired signed URL is never reused. The
        response is 200 (whole file), 206 (from `start`) or 416 (nothing left past `start`).
        """
        url = f"{self.base_url}/api/download/models/{int(version_id)}"
        headers = {"Range": f"bytes={start}-"} if start else {}
        response = self._send(url, list((file_params or {}).items()), headers=headers, stream=True, sleep=sleep)
        try:
            if response.status_code in (401, 403):
                raise CivitaiAuthRequired(token_message(self.has_token))
            if response.status_code == 404:
                raise NotFoundError(f"Civitai has no file to download for model version {version_id}")
            if response.status_code not in (200, 206, 416):
                response.read()
                raise CivitaiError(f"Civitai's download answered HTTP {response.status_code}: {_error_text(response)}")
            yield response
        finally:
            response.close()
