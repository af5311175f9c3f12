"""Response headers that keep files and pages from running someone else's script in the studio's origin.

- /outputs serves what a job (a ComfyUI server, a custom node, a provider) saved: only the image,
  video and audio types the studio makes are shown inline; anything else (an `.html` or `.svg` with
  a script) is a download. Every answer there carries a sandboxing Content-Security-Policy.
- Every answer says `X-Content-Type-Options: nosniff` (no guessing HTML out of a file).
- The web UI's pages carry a policy that allows the UI's own scripts (and the inline theme script
  of its index.html, by hash) and nothing else.
"""

from __future__ import annotations

import hashlib
import os
import re
from base64 import b64encode
from pathlib import Path

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# What the studio writes under outputs/, shown inline; everything else is an attachment.
INLINE_MEDIA = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".gif": "image/gif",
    ".avif": "image/avif",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".mov": "video/quicktime",
    ".wav": "audio/wav",
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".ogg": "audio/ogg",
    ".flac": "audio/flac",
}
OUTPUTS_POLICY = "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox"
# The API's own pages (/docs, /redoc) load their viewer from a CDN with inline scripts: left as they are.
_NOT_UI = ("/api", "/outputs", "/docs", "/redoc", "/openapi.json")
_PLAIN_HOST = re.compile(r"[A-Za-z0-9.\-\[\]:]+")
_INLINE_SCRIPT = re.compile(rb"<script\b(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)


class OutputFiles(StaticFiles):
    def file_response(self, full_path, stat_result, scope: Scope, status_code: int = 200) -> Response:  # noqa: ANN001
        response = super().file_response(full_path, stat_result, scope, status_code)
        if isinstance(response, FileResponse):
            media = INLINE_MEDIA.get(os.path.splitext(str(full_path))[1].lower())
            if media:
                response.headers["content-type"] = media
            else:
                response.headers["content-type"] = "application/octet-stream"
                response.headers["content-disposition"] = "attachment"
        response.headers["content-security-policy"] = OUTPUTS_POLICY
        return response


class UiPolicy:
    """The web UI's Content-Security-Policy, with the hashes of index.html's inline scripts."""

    def __init__(self, web_dir: Path | None):
        self.index = web_dir / "index.html" if web_dir else None
        self._seen: tuple[float, str] | None = None

    def _script_hashes(self) -> str:
        try:
            mtime = self.index.stat().st_mtime if self.index else 0.0
        except OSError:
            return ""
        if self._seen is None or self._seen[0] != mtime:
            html = self.index.read_bytes() if self.index else b""
            digests = (b64encode(hashlib.sha256(m).digest()).decode() for m in _INLINE_SCRIPT.findall(html))
            self._seen = (mtime, "".join(f" 'sha256-{d}'" for d in digests))
        return self._seen[1]

    def header(self, host: str | None) -> str:
        # The websocket's own address: 'self' covers ws: only in newer browsers.
        sockets = f" ws://{host} wss://{host}" if host and _PLAIN_HOST.fullmatch(host) else ""
        return (
            f"default-src 'self'; script-src 'self'{self._script_hashes()}; style-src 'self' 'unsafe-inline'; "
            # Images and videos may come from elsewhere (Civitai previews); they cannot run scripts.
            "img-src * data: blob:; media-src * data: blob:; font-src 'self' data:; "
            f"connect-src 'self'{sockets}; object-src 'none'; base-uri 'self'; form-action 'self'; "
            "frame-ancestors 'none'"
        )


class SecurityHeaders:
    def __init__(self, app: ASGIApp, policy: UiPolicy):
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        ui = not scope["path"].startswith(_NOT_UI)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("x-content-type-options", "nosniff")
                if ui:
                    headers.setdefault("content-security-policy", self.policy.header(Headers(scope=scope).get("host")))
            await send(message)

        await self.app(scope, receive, with_headers)
