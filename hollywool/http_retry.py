"""HTTP helpers every outbound client shares: which answers to retry, how long to wait, the error text.

Used by the remote providers and the Civitai client alike, so both honour `Retry-After` the same way
and quote a service's own error message from whichever JSON shape it uses.
"""

from __future__ import annotations

import email.utils
import time

import httpx

# 408 timeout, 425 too early, 429 rate limited, 5xx server faults, 529 overloaded (Anthropic).
RETRY_STATUSES = {408, 425, 429, 500, 502, 503, 504, 529}

# A host that refuses or never answers the connection is not retried at length: the user is waiting
# on a page. A few seconds to connect; reads keep their own, longer limit.
CONNECT_TIMEOUT_S = 5.0
# Extra tries after a refused connection (a service restarting); 429/5xx keep their own retries.
CONNECT_RETRIES = 1


def timeout(read_s: float) -> httpx.Timeout:
    return httpx.Timeout(read_s, connect=CONNECT_TIMEOUT_S)


def origin(url: str) -> str:
    """`scheme://host[:port]` of a URL, for messages (never its path or query)."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return "its configured address"
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{parsed.host}{port}"


def _looks_like_html(response: httpx.Response) -> bool:
    kind = response.headers.get("content-type", "").lower()
    return "html" in kind or response.text.lstrip()[:1] == "<"


def retry_after_s(response: httpx.Response) -> float | None:
    raw = response.headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(float(raw), 0.0)
    except ValueError:
        pass
    try:  # an HTTP date
        parsed = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(parsed.timestamp() - time.time(), 0.0)


def error_text(response: httpx.Response) -> tuple[str, str | None]:
    """The service's message and the field it names, from the error shapes the providers use."""
    try:
        body = response.json()
    except ValueError:
        if _looks_like_html(response):  # an error page, a proxy or captive portal: its markup says nothing
            return f"an HTML page instead of JSON (HTTP {response.status_code} {response.reason_phrase})", None
        return (response.text.strip()[:300] or response.reason_phrase), None
    if isinstance(body, dict):
        detail = body.get("detail")
        if isinstance(detail, list) and detail and isinstance(detail[0], dict):
            first = detail[0]
            loc = [str(p) for p in first.get("loc") or [] if p not in ("body", "query")]
            field = ".".join(loc) or None
            msg = str(first.get("msg") or first.get("message") or detail)
            return (f"{field}: {msg}" if field else msg), field
        if isinstance(detail, str):
            return detail, None
        err = body.get("error")
        if isinstance(err, dict):  # Anthropic-like {error: {type, message}}
            return str(err.get("message") or err), None
        if isinstance(err, str):
            field = body.get("field") or body.get("param")
            return err, field if isinstance(field, str) else None
        if body.get("message"):
            return str(body["message"]), None
    return str(body)[:300], None
