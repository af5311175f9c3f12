"""Request body limits per route: no request may make the studio buffer an unbounded body.

The counting is Starlette's RequestBodyLimitMiddleware (a declared Content-Length over the limit is
refused before a byte is read; a chunked body is counted as it streams and refused once over);
this module only picks the limit for each route and words the 413.
"""

from __future__ import annotations

import re

from starlette.datastructures import Headers
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY, RequestBodyLimitMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from hollywool.engines.image.params import MAX_REFERENCE_IMAGES
from hollywool.media.references import MAX_BYTES as MAX_IMAGE_BYTES

MB = 1024 * 1024
DEFAULT_LIMIT = 1 * MB
_BASE64_IMAGE = MAX_IMAGE_BYTES * 4 // 3 + 4
# A job may carry its images inline as base64: the references plus an image-to-video start image.
JOB_WITH_IMAGES = (MAX_REFERENCE_IMAGES + 1) * _BASE64_IMAGE + DEFAULT_LIMIT
IMAGE_UPLOAD = MAX_IMAGE_BYTES + DEFAULT_LIMIT  # one image as a multipart file
WORKFLOW_IMPORT = 20 * MB
COMFYUI_UPLOAD = 50 * MB  # passed on to ComfyUI's own upload (images, masks)
BULK_PROMPTS = 8 * MB  # up to 500 prompts

_ROUTES: list[tuple[re.Pattern[str], int]] = [
    (re.compile(r"/api/(jobs|generate|video/jobs|i2v/jobs)/?"), JOB_WITH_IMAGES),
    (re.compile(r"/api/images/metadata/?"), IMAGE_UPLOAD),
    (re.compile(r"/api/comfyui/workflows/?"), WORKFLOW_IMPORT),
    (re.compile(r"/api/comfyui/upload/?"), COMFYUI_UPLOAD),
    (re.compile(r"/api/bulk/jobs/?"), BULK_PROMPTS),
    # Automatic1111's API: images inline as base64 (img2img: the references and a mask).
    (re.compile(r"/sdapi/v1/(txt2img|img2img)/?"), JOB_WITH_IMAGES + _BASE64_IMAGE),
    (re.compile(r"/sdapi/v1/(png-info|extra-single-image)/?"), _BASE64_IMAGE + DEFAULT_LIMIT),
]


def limit_for(path: str) -> int:
    for pattern, limit in _ROUTES:
        if pattern.fullmatch(path):
            return limit
    return DEFAULT_LIMIT


def _size(n: int) -> str:
    return f"{n / MB:.0f} MB" if n >= MB else f"{n / 1024:.0f} KB"


class BodyLimits:
    def __init__(self, app: ASGIApp):
        self.app = app
        limits = {DEFAULT_LIMIT, *(limit for _, limit in _ROUTES)}
        self._limited = {limit: RequestBodyLimitMiddleware(app, limit) for limit in limits}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope["path"])
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:  # refused before a byte of it is read
            await _refusal(scope["path"], limit)(scope, receive, send)
            return
        await self._limited[limit](scope, receive, send)


def _refusal(path: str, limit: int) -> JSONResponse:
    return JSONResponse(
        {"detail": f"The request body is too large: the limit for {path[:200]} is {_size(limit)}."}, status_code=413
    )


async def too_large(request: Request, _exc: Exception) -> JSONResponse:
    """The 413 the app answers when a handler's read of a streamed body goes over the route's limit."""
    return _refusal(request.url.path, request.scope.get(MAX_BODY_SIZE_SCOPE_KEY) or limit_for(request.url.path))
