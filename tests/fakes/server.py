"""Run an ASGI app with uvicorn in a background thread on a free 127.0.0.1 port.

`FakeServer` is the base of every fake: it owns the uvicorn thread (start, stop, restart on the same
port), records every request a test may assert on, and injects faults (fail the next N requests,
slow responses) before the fake's own routes see the request.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import uvicorn
from PIL import Image
from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute


class DropConnection(Exception):
    """Raised inside a response after part of the body was sent: uvicorn then closes the socket."""


class _HideDroppedConnections(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], DropConnection))


logging.getLogger("uvicorn.error").addFilter(_HideDroppedConnections())


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        import json

        return json.loads(self.body) if self.body else None


@dataclass
class Fault:
    status: int
    count: int
    path_prefix: str = ""
    retry_after: float | None = None
    message: str = "injected fault"
    headers: dict[str, str] = field(default_factory=dict)


def png_bytes(width: int = 8, height: int = 8, color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, format="PNG")
    return buf.getvalue()


def jpeg_bytes(width: int = 8, height: int = 8, color: tuple[int, int, int] = (30, 30, 200)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, format="JPEG")
    return buf.getvalue()


def color_of(*parts: object) -> tuple[int, int, int]:
    """A colour derived deterministically from the given values (seed, prompt...)."""
    import hashlib

    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return digest[0], digest[1], digest[2]


class FakeServer:
    """Base class: subclasses implement `routes()` and may override `error_response()`."""

    host = "127.0.0.1"

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.faults: list[Fault] = []
        self.delay = 0.0
        self._lock = threading.Lock()
        self._port = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._sock: socket.socket | None = self._bind()  # reserved now, so `url` is known before start()
        self.app = Starlette(routes=self.routes(), lifespan=self._lifespan)
        self.app.add_middleware(_RecordAndFault, fake=self)

    # ---- to override -------------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        raise NotImplementedError

    def error_response(self, status: int, message: str, headers: dict[str, str]) -> Response:
        return JSONResponse({"error": message}, status_code=status, headers=headers)

    async def on_startup(self) -> None:
        """Runs on the server's loop each time it starts (also after restart)."""

    async def on_shutdown(self) -> None:
        """Runs on the server's loop when it stops."""

    # ---- lifecycle ---------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self._port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self._port}"

    @property
    def is_up(self) -> bool:
        return self._server is not None

    def start(self) -> FakeServer:
        if self._server is not None:
            return self
        sock, self._sock = self._sock or self._bind(), None
        config = uvicorn.Config(
            self.app, log_level="warning", lifespan="on", timeout_graceful_shutdown=1, access_log=False
        )
        server = uvicorn.Server(config)
        self._thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._server = server
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"{type(self).__name__} did not start")
            time.sleep(0.01)
        return self

    def _bind(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self._port))
        self._port = sock.getsockname()[1]
        return sock

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.should_exit = True
        assert self._thread is not None
        self._thread.join(timeout=10)
        self._server = None
        self._thread = None
        self.loop = None

    def restart(self, downtime: float = 0.0) -> None:
        """Stop, optionally stay down for `downtime` seconds, and start again on the same port."""
        self.stop()
        if downtime:
            time.sleep(downtime)
        self.start()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @contextlib.asynccontextmanager
    async def _lifespan(self, app):
        self.loop = asyncio.get_running_loop()
        await self.on_startup()
        yield
        await self.on_shutdown()

    def call_in_loop(self, fn: Callable[[], None]) -> None:
        """Run `fn` on the server's event loop (for knobs set from the test thread)."""
        if self.loop is not None:
            self.loop.call_soon_threadsafe(fn)

    # ---- faults and records ------------------------------------------------------------------
    def fail_next(
        self,
        count: int = 1,
        status: int = 429,
        *,
        retry_after: float | None = None,
        path_prefix: str = "",
        message: str | None = None,
    ) -> None:
        """The next `count` requests whose path starts with `path_prefix` answer `status`."""
        default = "Too many requests" if status == 429 else f"Injected error {status}"
        fault = Fault(status, count, path_prefix, retry_after, message or default)
        with self._lock:
            self.faults.append(fault)

    def take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if path.startswith(fault.path_prefix):
                    fault.count -= 1
                    if fault.count <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def requests_to(self, path_prefix: str, method: str | None = None) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.startswith(path_prefix) and (method is None or r.method == method)]


class _RecordAndFault:
    """ASGI middleware: record the request (body included), then apply injected faults and delay."""

    def __init__(self, app, fake: FakeServer) -> None:
        self.app = app
        self.fake = fake

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        body = b""
        if scope["type"] == "http":
            chunks = []
            while True:
                message = await receive()
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    break
            body = b"".join(chunks)
            receive = _replay(body, receive)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        record = RecordedRequest(
            scope.get("method", "WS"), scope["path"], scope["query_string"].decode(), headers, body
        )
        self.fake.requests.append(record)
        if scope["type"] == "http":
            fault = self.fake.take_fault(scope["path"])
            if fault is not None:
                extra = dict(fault.headers)
                if fault.retry_after is not None:
                    extra["Retry-After"] = str(fault.retry_after).removesuffix(".0")
                response = self.fake.error_response(fault.status, fault.message, extra)
                await response(scope, receive, send)
                return
            if self.fake.delay:
                await asyncio.sleep(self.fake.delay)
        await self.app(scope, receive, send)


def _replay(body: bytes, server_receive):  # noqa: ANN001
    sent = False

    async def receive():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await server_receive()  # the body was read: nothing more until the client disconnects

    return receive
