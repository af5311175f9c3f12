"""Fake Anthropic Messages API: `POST /v1/messages` and `GET /v1/models`.

Accepts both live header styles: `x-api-key` with `anthropic-version: 2023-06-01`, and
`Authorization: Bearer` with `anthropic-version: 2026-10-21` (which rejects temperature, top_p and
top_k with 400). The reply text comes from `fake.responder(body) -> str` (default: a numbered list of
N variations of the last user message's idea). `fake.messages` records (headers, body) per call;
`fail_next(status=429|500|529, retry_after=...)` answers Anthropic-shaped errors.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.llm_common import default_variations, text_of
from tests.fakes.server import FakeServer

VERSIONS = ("2023-06-01", "2026-10-21")
SAMPLING_FIELDS = ("temperature", "top_p", "top_k")
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}
MODELS = [
    ("claude-opus-4-1-20250805", "Claude Opus 4.1", "2025-08-05T00:00:00Z"),
    ("claude-sonnet-4-5-20250929", "Claude Sonnet 4.5", "2025-09-29T00:00:00Z"),
    ("claude-haiku-4-5-20251001", "Claude Haiku 4.5", "2025-10-01T00:00:00Z"),
]


def _last_user_text(body: dict) -> str:
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    return text_of(users[-1].get("content")) if users else ""


class FakeAnthropic(FakeServer):
    def __init__(self, api_key: str = "sk-ant-test-key") -> None:
        self.api_key = api_key
        self.responder: Callable[[dict], str] = lambda body: default_variations(_last_user_text(body))
        self.messages: list[tuple[dict[str, str], dict]] = []
        super().__init__()

    def routes(self):
        return [
            Route("/v1/messages", self.create_message, methods=["POST"]),
            Route("/v1/models", self.list_models, methods=["GET"]),
        ]

    def error_response(self, status: int, message: str, headers: dict[str, str]) -> Response:
        request_id = "req_" + uuid.uuid4().hex[:24]
        body = {
            "type": "error",
            "error": {"type": ERROR_TYPES.get(status, "api_error"), "message": message},
            "request_id": request_id,
        }
        return JSONResponse(
            body,
            status_code=status,
            headers={"request-id": request_id, **{k.lower(): v for k, v in headers.items()}},
        )

    def _check_headers(self, request: Request) -> Response | None:
        version = request.headers.get("anthropic-version")
        if version is None:
            return self.error_response(400, "anthropic-version: header is required", {})
        if version not in VERSIONS:
            return self.error_response(400, f"anthropic-version: invalid version '{version}'", {})
        key = request.headers.get("x-api-key")
        bearer = request.headers.get("authorization", "")
        if key is None and bearer.startswith("Bearer "):
            key = bearer.removeprefix("Bearer ")
        if key != self.api_key:
            return self.error_response(401, "invalid x-api-key", {})
        return None

    async def create_message(self, request: Request):
        problem = self._check_headers(request)
        if problem:
            return problem
        try:
            body = json.loads(await request.body())
        except ValueError:
            return self.error_response(400, "There was an error parsing the body of your request", {})
        self.messages.append((dict(request.headers), body))
        if request.headers["anthropic-version"] == "2026-10-21":
            for name in SAMPLING_FIELDS:
                if name in body:
                    return self.error_response(400, f"{name}: is not supported on this API version", {})
        for name in ("model", "max_tokens", "messages"):
            if name not in body:
                return self.error_response(400, f"{name}: Field required", {})
        if not body["messages"]:
            return self.error_response(400, "messages: at least one message is required", {})
        text = self.responder(body)
        request_id = "req_" + uuid.uuid4().hex[:24]
        return JSONResponse(
            {
                "id": "msg_" + uuid.uuid4().hex[:24],
                "type": "message",
                "role": "assistant",
                "model": body["model"],
                "content": [{"type": "text", "text": text}],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": {
                    "input_tokens": len(json.dumps(body["messages"])) // 4,
                    "output_tokens": len(text) // 4,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 0,
                    "service_tier": "standard",
                },
            },
            headers={"request-id": request_id},
        )

    async def list_models(self, request: Request):
        problem = self._check_headers(request)
        if problem:
            return problem
        data = [{"type": "model", "id": i, "display_name": n, "created_at": c} for i, n, c in MODELS]
        return JSONResponse({"data": data, "has_more": False, "first_id": data[0]["id"], "last_id": data[-1]["id"]})
