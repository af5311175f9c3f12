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
