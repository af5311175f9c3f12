"""The one check every service address goes through (Settings, provider pages, preferences)."""

from __future__ import annotations

import httpx


def check_http_url(value: str) -> str:
    """The address without spaces or a trailing slash; ValueError unless it is http(s) with a host."""
    stripped = value.strip().rstrip("/")
    try:
        url = httpx.URL(stripped)
    except httpx.InvalidURL:
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host:
        raise ValueError(
            "must be an http:// or https:// URL with a host name, such as http://127.0.0.1:8188 or https://api.example.com"
        )
    return stripped
