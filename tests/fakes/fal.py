"""Fake fal.ai: the queue API (`POST /{owner}/{app}[/path]`, status, result, cancel), result files,
and the platform API (`GET /v1/models`, `GET /v1/models/pricing`) on one origin.

A request advances one state per status poll: `queue_polls` polls IN_QUEUE (queue_position counting
down to 0), then `progress_polls` polls IN_PROGRESS with logs, then COMPLETED. Knobs: `fail_next()`,
`validate_on_submit` (422 at submit; otherwise the result call answers 422 like the real queue),
`next_result_error = (status, body)`. Counters: `submissions` (list of (endpoint_id, input)),
`status_polls`, `result_calls`, `input_images` (list of (field, bytes, content type) decoded from the
data: URIs of image fields; an image field holding neither an http(s) URL nor a decodable data URI
fails validation). Register models with `add_model(FalModel(...))`.
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.fakes.fal_catalog import PRESET_PIXELS, FalModel, default_catalog
from tests.fakes.schema_check import check_body, check_images
from tests.fakes.server import FakeServer, color_of, png_bytes

FAKE_MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64


@dataclass
class FalRequest:
    request_id: str
    model: FalModel
    app: str
    input: dict
    queue_left: int
    progress_left: int
    polls: int = 0
    cancelled: bool = False
    error: tuple[int, dict] | None = None
    logs: list[dict] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.cancelled or (self.queue_left <= 0 and self.progress_left <= 0):
            return "COMPLETED"
        return "IN_QUEUE" if self.queue_left > 0 else "IN_PROGRESS"

    def advance(self) -> None:
        if self.queue_left > 0:
            self.queue_left -= 1
        elif self.progress_left > 0:
            self.logs.append(
                {
                    "message": f"Step {len(self.logs) + 1}",
                    "level": "INFO",
                    "source": "USER",
                    "timestamp": "2025-06-01T12:00:00.000000",
                }
            )
            self.progress_left -= 1


class FakeFal(FakeServer):
    def __init__(self, api_key: str = "fal-key-id:fal-key-secret") -> None:
        self.api_key = api_key
        self.catalog: dict[str, FalModel] = {m.endpoint_id: m for m in default_catalog()}
        self.jobs: dict[str, FalRequest] = {}
        self.files: dict[str, tuple[bytes, str]] = {}
        self.queue_polls = 1
        self.progress_polls = 1
        self.validate_on_submit = False
        self.next_result_error: tuple[int, dict] | None = None
        self.submissions: list[tuple[str, dict]] = []
        self.input_images: list[tuple[str, bytes, str]] = []
        self.status_polls = 0
        self.result_calls = 0
        super().__init__()

    def add_model(self, model: FalModel) -> None:
        self.catalog[model.endpoint_id] = model

    def routes(self):
        base = "/{owner}/{app}/requests/{request_id}"
        return [
            Route("/v1/models", self.list_models, methods=["GET"]),
            Route("/v1/models/pricing", self.pricing, methods=["GET"]),
            Route("/files/{name:path}", self.file, methods=["GET"]),
            Route(base + "/status", self.status, methods=["GET"]),
            Route(base + "/status/stream", self.stream, methods=["GET"]),
            Route(base + "/cancel", self.cancel, methods=["PUT"]),
            Route(base, self.result, methods=["GET"]),
            Route("/{model_id:path}", self.submit, methods=["POST"]),
        ]

    def error_response(self, status: int, message: str, headers: dict[str, str]) -> Response:
        return JSONResponse({"detail": message}, status_code=status, headers=headers)

    def _authorized(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Key {self.api_key}"

    def _unauthorized(self) -> Response:
        return JSONResponse({"detail": "No user found for Key ID and Secret"}, status_code=401)

    # ---- queue -----------------------------------------------------------------------------------
    async def submit(self, request: Request):
        if not self._authorized(request):
            return self._unauthorized()
        model_id = request.path_params["model_id"].strip("/")
        model = self.catalog.get(model_id)
        if model is None or model_id.count("/") < 1:
            return JSONResponse({"detail": f"Application '{model_id}' not found"}, status_code=404)
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            return JSONResponse({"detail": "Invalid JSON body"}, status_code=400)
        self.submissions.append((model_id, body))
        image_errors, images = check_images(body)
        self.input_images.extend(images)
        errors = check_body(body, model.input_schema) + image_errors
        if errors and self.validate_on_submit:
            return JSONResponse({"detail": errors}, status_code=422, headers={"X-Fal-Retryable": "false"})
        app = "/".join(model_id.split("/")[:2])
        rid = str(uuid.uuid4())
        job = FalRequest(rid, model, app, body, self.queue_polls, self.progress_polls)
        if errors:
            job.error = (422, {"detail": errors})
        elif self.next_result_error:
            job.error, self.next_result_error = self.next_result_error, None
        self.jobs[rid] = job
        return JSONResponse(
            {
                "status": "IN_QUEUE",
                "request_id": rid,
                **self._urls(job),
                "queue_position": max(0, job.queue_left - 1),
            }
        )

    def _urls(self, job: FalRequest) -> dict:
        base = f"{self.url}/{job.app}/requests/{job.request_id}"
        return {"response_url": base, "status_url": base + "/status", "cancel_url": base + "/cancel"}

    def _job(self, request: Request) -> FalRequest | None:
        job = self.jobs.get(request.path_params["request_id"])
        app = f"{request.path_params['owner']}/{request.path_params['app']}"
        return job if job and job.app == app else None

    def _status_body(self, job: FalRequest, logs: bool) -> dict:
        body = {"status": job.status, "request_id": job.request_id, **self._urls(job)}
        if job.status == "IN_QUEUE":
            body["queue_position"] = job.queue_left - 1
        else:
            body["logs"] = list(job.logs) if logs else None
        if job.status == "COMPLETED":
            body["metrics"] = {"inference_time": 0.42}
        return body

    async def status(self, request: Request):
        if not self._authorized(request):
            return self._unauthorized()
        job = self._job(request)
        if job is None:
            return JSONResponse({"detail": "Request not found"}, status_code=404)
        self.status_polls += 1
        job.polls += 1
        if job.polls > 1:
            job.advance()
        logs = request.query_params.get("logs") in ("1", "true")
        return JSONResponse(self._status_body(job, logs), status_code=200 if job.status == "COMPLETED" else 202)

    async def stream(self, request: Request):
        if not self._authorized(request):
            return self._unauthorized()
        job = self._job(request)
        if job is None:
            return JSONResponse({"detail": "Request not found"}, status_code=404)

        async def events():
            while True:
                yield f"data: {json.dumps(self._status_body(job, True))}\n\n"
                if job.status == "COMPLETED":
                    return
                await asyncio.sleep(0.01)
                job.advance()

        return StreamingResponse(events(), media_type="text/event-stream")

    async def cancel(self, request: Request):
        if not self._authorized(request):
            return self._unauthorized()
        job = self._job(request)
        if job is None:
            return JSONResponse({"status": "NOT_FOUND"}, status_code=404)
        if job.status == "COMPLETED":
            return JSONResponse({"status": "ALREADY_COMPLETED"}, status_code=400)
        job.cancelled = True
        job.error = (400, {"detail": "Request was cancelled", "error_type": "request_cancelled"})
        return JSONResponse({"status": "CANCELLATION_REQUESTED"}, status_code=202)

    async def result(self, request: Request):
        if not self._authorized(request):
            return self._unauthorized()
        job = self._job(request)
        if job is None:
            return JSONResponse({"detail": "Request not found"}, status_code=404)
        self.result_calls += 1
        if job.status != "COMPLETED":
            return JSONResponse({"detail": "Request is still in progress"}, status_code=400)
        if job.error:
            status, body = job.error
            return JSONResponse(body, status_code=status, headers={"X-Fal-Retryable": "false"})
        return JSONResponse(self._output(job))

    def _output(self, job: FalRequest) -> dict:
        seed = job.input.get("seed", 42)
        if job.model.is_video:
            name = f"{job.request_id}/output.mp4"
            self.files[name] = (FAKE_MP4, "video/mp4")
            return {
                "video": {
                    "url": f"{self.url}/files/{name}",
                    "content_type": "video/mp4",
                    "file_name": "output.mp4",
                    "file_size": len(FAKE_MP4),
                }
            }
        size = job.input.get("image_size", "landscape_4_3")
        width, height = (size["width"], size["height"]) if isinstance(size, dict) else PRESET_PIXELS[size]
        images = []
        for n in range(int(job.input.get("num_images", 1))):
            name = f"{job.request_id}/{n}.png"
            # small real PNGs with the advertised size in the JSON: tests need bytes, not megapixels
            self.files[name] = (png_bytes(16, 16, color_of(job.input.get("prompt"), seed, n)), "image/png")
            images.append(
                {
                    "url": f"{self.url}/files/{name}",
                    "width": width,
                    "height": height,
                    "content_type": "image/png",
                }
            )
        return {
            "images": images,
            "timings": {"inference": 0.42},
            "seed": seed,
            "has_nsfw_concepts": [False] * len(images),
            "prompt": job.input.get("prompt", ""),
        }

    async def file(self, request: Request):
        entry = self.files.get(request.path_params["name"])
        if entry is None:
            return Response(status_code=404)
        return Response(entry[0], media_type=entry[1])

    # ---- platform --------------------------------------------------------------------------------
    async def list_models(self, request: Request):
        q = request.query_params
        models = list(self.catalog.values())
        ids = [part for value in q.getlist("endpoint_id") for part in value.split(",") if part]
        if ids:
            models = [m for m in models if m.endpoint_id in ids]
        if "category" in q:
            models = [m for m in models if m.category == q["category"]]
        if "status" in q:
            models = [m for m in models if m.status == q["status"]]
        if "q" in q:
            needle = q["q"].lower()
            models = [m for m in models if needle in f"{m.endpoint_id} {m.display_name} {m.description}".lower()]
        limit = max(1, min(int(q.get("limit", 50)), 100))
        offset = int(base64.urlsafe_b64decode(q["cursor"]).decode()) if q.get("cursor") else 0
        page = models[offset : offset + limit]
        more = offset + limit < len(models)
        expand = "openapi-3.0" in q.getlist("expand")
        items = []
        for m in page:
            item = {"endpoint_id": m.endpoint_id, "metadata": m.metadata(self.url)}
            if expand:
                item["openapi"] = m.openapi()
            items.append(item)
        cursor = base64.urlsafe_b64encode(str(offset + limit).encode()).decode() if more else None
        return JSONResponse({"models": items, "next_cursor": cursor, "has_more": more})

    async def pricing(self, request: Request):
        if not self._authorized(request):
            return self._unauthorized()
        ids = [part for value in request.query_params.getlist("endpoint_id") for part in value.split(",") if part]
        missing = [i for i in ids if i not in self.catalog]
        if missing:
            return JSONResponse({"detail": f"Unknown endpoint: {missing[0]}"}, status_code=404)
        prices = [
            {
                "endpoint_id": i,
                "unit_price": self.catalog[i].unit_price,
                "unit": self.catalog[i].unit,
                "currency": "USD",
            }
            for i in ids or list(self.catalog)
        ]
        return JSONResponse({"prices": prices, "next_cursor": None, "has_more": False})
