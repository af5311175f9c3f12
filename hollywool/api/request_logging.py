"""Records API calls that change something (POST, PUT, PATCH, DELETE) in the request logs."""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("hollywool.requests")
_WRITES = {"POST", "PUT", "PATCH", "DELETE"}


class RequestLogger:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _WRITES or not scope["path"].startswith("/api"):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            self._record(scope, status["code"], (time.perf_counter() - started) * 1000)

    def _record(self, scope: Scope, code: int, ms: float) -> None:
        # Runs on the event loop: hands the row to the log's writer thread and never waits on the
        # database (whether logging is on is read there too).
        studio = scope["app"].state.studio
        try:
            parts = scope["path"].split("/")
            studio.request_logs.record(
                type=parts[2] if len(parts) > 2 else "api",
                method=scope["method"],
                endpoint=scope["path"],  # never the query string: it may carry a token
                status="success" if code < 400 else "error",
                status_code=code,
                duration_ms=round(ms, 2),
            )
        except Exception:  # logging must never break a request
            log.exception("could not record request log")
