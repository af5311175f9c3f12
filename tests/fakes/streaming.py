"""File responses shared by the fakes that serve downloads: Range support, slow chunks, and a
connection that drops after K bytes."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

from starlette.responses import Response

from tests.fakes.server import DropConnection

_RANGE = re.compile(r"bytes=(\d+)-(\d*)$")


class FileResponse(Response):
    """Serve `data` with Content-Length, honouring `Range: bytes=N-[M]` (206 + Content-Range).

    `drop_after`: send only that many body bytes, then close the socket (the client sees a short
    body). `chunk_delay`: seconds between chunks of `chunk_size` bytes. `on_send(n)`: called with
    each chunk's size as it is handed to the socket (what a client that goes away did get).
    """

    def __init__(
        self,
        data: bytes,
        range_header: str | None,
        *,
        media_type: str = "application/octet-stream",
        headers: dict[str, str] | None = None,
        drop_after: int | None = None,
        chunk_size: int = 65536,
        chunk_delay: float = 0.0,
        on_send: Callable[[int], None] | None = None,
    ) -> None:
        headers = {"Accept-Ranges": "bytes", **(headers or {})}
        status, start, end = 200, 0, len(data)
        match = _RANGE.match((range_header or "").strip())
        if match:
            start = int(match.group(1))
            end = min(int(match.group(2)) + 1, len(data)) if match.group(2) else len(data)
            if start >= len(data):
                super().__init__(status_code=416, headers={"Content-Range": f"bytes */{len(data)}"})
                self.body_part = b""
                self.drop_after, self.chunk_size, self.chunk_delay, self.on_send = None, chunk_size, 0.0, None
                return
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{len(data)}"
        super().__init__(status_code=status, media_type=media_type, headers=headers)
        self.body_part = data[start:end]
        self.headers["content-length"] = str(len(self.body_part))
        self.drop_after = drop_after
        self.chunk_size = chunk_size
        self.chunk_delay = chunk_delay
        self.on_send = on_send

    async def __call__(self, scope, receive, send) -> None:
        gone = asyncio.Event()  # the client disconnected: stop sending (and counting) what nobody reads

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            gone.set()

        watcher = asyncio.get_running_loop().create_task(watch())
        try:
            await self._send_body(send, gone)
        finally:
            watcher.cancel()

    async def _send_body(self, send, gone: asyncio.Event) -> None:  # noqa: ANN001
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        body = self.body_part
        limit = len(body) if self.drop_after is None else min(self.drop_after, len(body))
        for offset in range(0, limit, self.chunk_size):
            if gone.is_set():
                return
            chunk = body[offset : min(offset + self.chunk_size, limit)]
            if self.on_send:
                self.on_send(len(chunk))
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
            if self.chunk_delay:
                await asyncio.sleep(self.chunk_delay)
        if self.drop_after is not None and self.drop_after < len(body):
            raise DropConnection(f"dropped after {limit} bytes")
        await send({"type": "http.response.body", "body": b"", "more_body": False})
