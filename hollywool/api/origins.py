"""Who may talk to the studio from a browser: Host names (DNS rebinding) and Origins (other sites).

- Host: a rebinding page reaches the studio under the attacker's own name, so only the names the
  studio serves are answered: localhost, loopback and other IP literals (an address cannot be
  rebound), the host it was started with and HOLLYWOOL_ALLOWED_HOSTS.
- Origin: the live streams (`/api/ws`, `/api/events`) and every write answer same-origin pages,
  HOLLYWOOL_ALLOWED_ORIGINS and non-browser clients (which send no Origin), not other sites.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from hollywool.settings import Settings

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
_WILDCARDS = frozenset({"", "0.0.0.0", "::"})
_DEFAULT_PORTS = {"http": "80", "https": "443", "ws": "80", "wss": "443"}
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Close code "policy violation": the browser sees the handshake refused (HTTP 403).
WS_POLICY_CLOSE = 1008


def split_host(value: str) -> tuple[str, str]:
    """`"Host:port"`, `"[::1]:port"` or a bare address -> (lower-case host without brackets, port or "")."""
    value = value.strip().lower()
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        return host, rest.removeprefix(":")
    if value.count(":") == 1:
        host, _, port = value.partition(":")
        return host, port
    return value, ""


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _origin_key(origin: str) -> str | None:
    """`scheme://host[:port]` normalised (lower case, default port dropped); None when not http(s)."""
    try:
        parts = urlsplit(origin.strip().lower())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
        return None
    host, port = split_host(parts.netloc)
    if port == _DEFAULT_PORTS[parts.scheme]:
        port = ""
    return f"{parts.scheme}://{_join(host, port)}"


def _join(host: str, port: str) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"{shown}:{port}" if port else shown


class OriginPolicy:
    def __init__(self, settings: Settings):
        hosts = set(LOOPBACK_NAMES)
        if settings.host.strip().lower() not in _WILDCARDS:
            hosts.add(split_host(settings.host)[0])
        hosts.update(split_host(name)[0] for name in settings.allowed_hosts)
        self.hosts = frozenset(h for h in hosts if h)
        self.origins = frozenset(k for k in (_origin_key(o) for o in settings.allowed_origins) if k)

    def host_allowed(self, host_header: str | None) -> bool:
        if not host_header:
            return True  # HTTP/1.0 without Host: not a browser
        host, port = split_host(host_header)
        if port and not port.isdigit():
            return False
        return host in self.hosts or _is_ip(host)

    def origin_allowed(self, origin: str, host_header: str | None) -> bool:
        """Same origin (the Origin names the host:port the request was sent to) or configured."""
        key = _origin_key(origin)
        if key is None:
            return False  # "null" (sandboxed frames, some redirects), file:, extensions...
        if key in self.origins:
            return True
        if not host_header:
            return False
        scheme = key.split("://", 1)[0]
        host, port = split_host(host_header)
        if port == _DEFAULT_PORTS[scheme]:
            port = ""
        return key == f"{scheme}://{_join(host, port)}"

    def stream_allowed(self, headers: Headers) -> bool:
        """The live streams: no Origin (a script, the CLI) or an allowed one."""
        origin = headers.get("origin")
        return origin is None or self.origin_allowed(origin, headers.get("host"))

    def write_allowed(self, headers: Headers) -> bool:
        """A state-changing request that a page on another site could not have sent.

        A JSON body or the `X-HollyWool` header makes a request "non-simple": a browser asks the
        studio first (CORS preflight), which it never grants to other sites. Anything else must come
        from an allowed Origin (or Referer, for browsers that send no Origin). A request with none of
        these markers is not from a browser (scripts, the CLI, the seed's clients) and passes.
        """
        if headers.get("x-hollywool"):
            return True
        if headers.get("content-type", "").split(";", 1)[0].strip().lower() == "application/json":
            return True
        host = headers.get("host")
        origin = headers.get("origin")
        if origin is not None:
            return self.origin_allowed(origin, host)
        referer = headers.get("referer")
        if referer:
            return self.origin_allowed(referer, host)
        return headers.get("sec-fetch-site", "none") in ("same-origin", "none")


def _host_refusal(host: str) -> str:
    shown = "".join(c if c.isprintable() else "?" for c in host[:200])
    return (
        f"Host not allowed: {shown}. The studio answers only the host names it serves (localhost, "
        f"its IP addresses and the host it was started with); to reach it under this name, add it to "
        f"HOLLYWOOL_ALLOWED_HOSTS (comma-separated) and restart."
    )


CROSS_SITE_REFUSAL = (
    "Cross-site request refused: a change to the studio must be sent as JSON or with the header "
    "'X-HollyWool: 1' (the web UI and the CLI do), or come from the studio's own page or an origin "
    "listed in HOLLYWOOL_ALLOWED_ORIGINS."
)
STREAM_REFUSAL = (
    "Origin not allowed: the live event stream answers the studio's own page only; to use it from "
    "another site, add that origin to HOLLYWOOL_ALLOWED_ORIGINS."
)


class HostGuard:
    """Answers 400 to a request whose Host header is not a name the studio serves."""

    def __init__(self, app: ASGIApp, policy: OriginPolicy):
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            host = Headers(scope=scope).get("host")
            if not self.policy.host_allowed(host):
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": WS_POLICY_CLOSE, "reason": "host not allowed"})
                    return
                await JSONResponse({"detail": _host_refusal(host or "")}, status_code=400)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class CrossSiteGuard:
    """Answers 403 to an /api write that a page on another site could have sent (a form post)."""

    def __init__(self, app: ASGIApp, policy: OriginPolicy):
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] in _WRITES
            and scope["path"].startswith(("/api", "/v1", "/sdapi"))
            and not self.policy.write_allowed(Headers(scope=scope))
        ):
            await JSONResponse({"detail": CROSS_SITE_REFUSAL}, status_code=403)(scope, receive, send)
            return
        await self.app(scope, receive, send)
