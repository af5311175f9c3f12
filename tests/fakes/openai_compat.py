"""Fake OpenAI-compatible chat server (what llama.cpp, Ollama, vLLM and LM Studio expose):
`POST /v1/chat/completions` and `GET /v1/models`.

`api_key=None` (default) accepts any request, as local servers do; otherwise `Authorization: Bearer`
must match. Replies come from `fake.responder(body) -> str`; `fake.completions` records (headers,
body) per call.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.llm_common import default_variations, text_of
from tests.fakes.server import FakeServer


class FakeOpenAICompat(FakeServer):
    def __init__(self, api_key: str | None = None, models: list[str] | None = None) -> None:
        self.api_key = api_key
        self.model_ids = models or ["llama-3.2-3b-instruct", "qwen2.5-7b-instruct"]
        self.responder: Callable[[dict], str] = self._default_reply
        self.completions: list[tuple[dict[str, str], dict]] = []
        super().__init__()

    @staticmethod
    def _default_reply(body: dict) -> str:
        users = [m for m in body.get("messages", []) if m.get("role") == "user"]
        return default_variations(text_of(users[-1].get("content")) if users else "")

    def routes(self):
        return [
            Route("/v1/chat/completions", self.chat, methods=["POST"]),
            Route("/v1/models", self.list_models, methods=["GET"]),
        ]

    def error_response(self, status: int, message: str, headers: dict[str, str]) -> Response:
        kinds = {
            400: "invalid_request_error",
            401: "invalid_request_error",
            404: "invalid_request_error",
            429: "rate_limit_exceeded",
        }
        body = {
            "error": {
                "message": message,
                "type": kinds.get(status, "server_error"),
                "param": None,
                "code": "invalid_api_key" if status == 401 else None,
            }
        }
        return JSONResponse(body, status_code=status, headers=headers)

    def _unauthorized(self, request: Request) -> Response | None:
        if self.api_key is None or request.headers.get("authorization") == f"Bearer {self.api_key}":
            return None
        return self.error_response(401, "Incorrect API key provided.", {})

    async def chat(self, request: Request):
        problem = self._unauthorized(request)
        if problem:
            return problem
        try:
            body = json.loads(await request.body())
        except ValueError:
            return self.error_response(400, "We could not parse the JSON body of your request.", {})
        self.completions.append((dict(request.headers), body))
        if not body.get("messages"):
            return self.error_response(400, "'messages' is a required property", {})
        text = self.responder(body)
        prompt_tokens, completion_tokens = len(json.dumps(body["messages"])) // 4, len(text) // 4
        return JSONResponse(
            {
                "id": "chatcmpl-" + uuid.uuid4().hex[:24],
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", self.model_ids[0]),
                "system_fingerprint": "fake",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "logprobs": None,
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            }
        )

    async def list_models(self, request: Request):
        problem = self._unauthorized(request)
        if problem:
            return problem
        data = [{"id": m, "object": "model", "created": 1700000000, "owned_by": "local"} for m in self.model_ids]
        return JSONResponse({"object": "list", "data": data})
