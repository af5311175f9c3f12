"""Access token: required when the studio listens beyond this machine.

The token may come as `Authorization: Bearer <token>`, a `token` query parameter (WebSocket and
EventSource cannot set headers) or the `hollywool_token` cookie (so that <img> and <video> tags
can load media after the web UI signed in).
"""

from __future__ import annotations

import base64
import binascii
import hmac
from urllib.parse import parse_qs, unquote

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

COOKIE = "hollywool_token"
# The API, the media, and the API's description (its pages load the schema with the cookie).
_GUARDED = ("/api", "/v1", "/sdapi", "/outputs", "/docs", "/redoc", "/openapi.json")


def is_loopback(host: str) -> bool:
    return host in ("127.0.0.1", "localhost", "::1")


def _presented(scope: Scope) -> bytes | None:
    """The token the request carries, as the bytes the client sent (compared with the token's UTF-8).

    Header bytes are whatever the client sent: latin-1 maps each byte to one character and back,
    so an odd byte is a wrong token (401), never an error.
    """
    headers = Headers(scope=scope)
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip().encode("latin-1")
    if auth.lower().startswith("basic "):  # A1111 clients (--api-auth): any user name, the token as password
        try:
            decoded = base64.b64decode(auth[6:].strip(), validate=True)
        except (binascii.Error, ValueError):
            return b""
        return decoded.partition(b":")[2]
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"), encoding="latin-1")
    if "token" in query:
        return query["token"][0].encode("latin-1")
    for part in headers.get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE:
            return unquote(value, encoding="latin-1").encode("latin-1")  # the web UI URL-encodes it
    return None


class TokenGuard:
    def __init__(self, app: ASGIApp, token: str):
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] in ("http", "websocket") and path.startswith(_GUARDED):
            given = _presented(scope) or b""
            if not hmac.compare_digest(given, self.token.encode()):
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 4401, "reason": "access token required"})
                    return
                if path.startswith("/v1/"):  # OpenAI's clients read OpenAI's error object
                    from hollywool.api.openai_api import openai_error

                    answer = openai_error(401, "Incorrect API key: give the studio's access token (HOLLYWOOL_TOKEN)")
                elif path.startswith("/sdapi/"):  # as A1111 answers with --api-auth
                    answer = JSONResponse(
                        {"detail": "Incorrect username or password"},
                        status_code=401,
                        headers={"WWW-Authenticate": "Basic"},
                    )
                else:
                    answer = JSONResponse({"detail": "access token required (HOLLYWOOL_TOKEN)"}, status_code=401)
                await answer(scope, receive, send)
                return
        await self.app(scope, receive, send)
