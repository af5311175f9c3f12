"""A fake outside service that answers every request with the same odd answer.

Point Civitai or a provider's base URL at it to see what the studio does when the service answers
HTML (an error page, a captive portal), JSON of another shape, garbage bytes or an error status.
It records every request like every fake (`requests`, headers included), so a test can also check
what was sent to it: an `Authorization` header that should never have left, for instance.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.server import FakeServer


@dataclass(frozen=True)
class OddAnswer:
    status: int
    body: bytes
    content_type: str

    def __str__(self) -> str:  # a readable pytest id
        return f"{self.status}-{self.content_type.split('/')[-1]}-{self.body[:12]!r}"


ODD_ANSWERS = [
    OddAnswer(200, b"<!doctype html><html><body>Sign in to the Wi-Fi</body></html>", "text/html"),
    OddAnswer(200, b"[]", "application/json"),
    OddAnswer(200, b'{"items": 5, "id": "x", "models": 7, "paths": 3, "modelVersions": [{"id": 1}]}', "text/json"),
    OddAnswer(
        200,
        b'{"id": 1, "name": 5, "items": [{"id": "q"}], "modelVersions": [{"id": 2, "files": [{"id": "q"}], '
        b'"images": [{"url": 5}]}], "models": [{"endpoint_id": 5, "metadata": 3}], "paths": {"/generate/image/a/b": '
        b'{"post": 5}}}',
        "application/json",
    ),
    OddAnswer(200, b"\xff\xfe\x00garbage\x00", "application/json"),
    OddAnswer(500, b"<html><body>Internal error</body></html>", "text/html"),
    OddAnswer(404, b"<html><body>Not here</body></html>", "text/html"),
]


class OddServer(FakeServer):
    def __init__(self, answer: OddAnswer = ODD_ANSWERS[0]) -> None:
        self.answer = answer
        super().__init__()

    def routes(self):
        methods = ["GET", "POST", "PUT", "DELETE", "PATCH"]
        return [Route("/{path:path}", self.any, methods=methods)]

    async def any(self, request: Request) -> Response:
        a = self.answer
        return Response(a.body, status_code=a.status, media_type=a.content_type)

    def authorizations(self) -> list[str]:
        return [r.headers["authorization"] for r in self.requests if "authorization" in r.headers]


class HangingServer:
    """A service that accepts connections and never answers (a stuck proxy, a host that went away).

    `with HangingServer() as s:` listens on `s.url`; the connections it holds are closed on exit.
    """

    def __init__(self) -> None:
        import socket

        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._held: list = []
        self._stop = False
        self._thread = None

    def _accept(self) -> None:
        while not self._stop:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            self._held.append(conn)  # read nothing, answer nothing

    def __enter__(self) -> HangingServer:
        import threading

        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop = True
        if self._thread:
            self._thread.join(timeout=2)
        for conn in self._held:
            conn.close()
        self._sock.close()
