"""Access token: required when the studio listens beyond this machine.

The token may come as `Authorization: Bearer <token>`, a `token` query parameter (WebSocket and
EventSource cannot set headers) or the `hollywool_token` cookie (so that <img> and <video> tags
can load media after the web UI signed in).
"""

from __future__ import annotations

import hmac

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

COOKIE = "hollywool_token"
_GUARDED = ("/api", "/outputs")


def is_loopback(host: str) -> bool:
    return host in ("127.0.0.1", "localhost", "::1")


def _presented(scope: Scope) -> str | None:
    headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    from urllib.parse import parse_qs

    query = parse_qs(scope.get("query_string", b"").decode())
    if "token" in query:
        return query["token"][0]
    for part in headers.get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE:
            return value
    return None


class TokenGuard:
    def __init__(self, app: ASGIApp, token: str):
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] in ("http", "websocket") and path.startswith(_GUARDED):
            given = _presented(scope) or ""
            if not hmac.compare_digest(given.encode(), self.token.encode()):
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 4401, "reason": "access token required"})
                    return
                await JSONResponse({"detail": "access token required (HOLLYWOOL_TOKEN)"}, status_code=401)(
                    scope, receive, send
                )
                return
        await self.app(scope, receive, send)
