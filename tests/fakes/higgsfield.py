"""Fake Higgsfield platform API: `POST /{model_id...}` submit, `GET /requests/{id}/status` (status and
result in one), `POST /requests/{id}/cancel`, and uploads through `POST /files/generate-upload-url`
then `PUT upload_url`. Auth `Authorization: Key <key_id>:<key_secret>`.

Each status poll moves a request queued -> in_progress -> the terminal state `fake.next_outcome`
(default "completed"; also "failed", "nsfw"). Knobs: `no_credits` (403), `fail_next()`. Counters:
`submissions` (list of (model_id, body)), `polls`, `uploads` (upload id -> bytes),
`upload_requests` (upload id -> the PUT's headers; a signed URL must not carry the API key).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.fal import FAKE_MP4
from tests.fakes.schema_check import check_body
from tests.fakes.server import FakeServer, color_of, png_bytes

_IMAGE_SCHEMA = {
    "type": "object",
    "required": ["prompt"],
    "properties": {
        "prompt": {"type": "string"},
        "aspect_ratio": {"type": "string", "enum": ["1:1", "4:3", "3:4", "16:9", "9:16"]},
        "resolution": {"type": "string", "enum": ["720p", "1080p", "2K", "4K"]},
        "seed": {"type": "integer"},
    },
}
_VIDEO_SCHEMA = {
    "type": "object",
    "required": ["prompt", "image_url"],
    "properties": {
        "prompt": {"type": "string"},
        "image_url": {"type": "string"},
        "duration": {"type": "integer", "enum": [5, 10]},
    },
}
DEFAULT_MODELS = {
    "higgsfield-ai/soul/standard": ("image", _IMAGE_SCHEMA),
    "bytedance/seedream/v4/text-to-image": ("image", _IMAGE_SCHEMA),
    "kling-video/v2.1/pro/image-to-video": ("video", _VIDEO_SCHEMA),
}


@dataclass
class HfRequest:
    request_id: str
    model_id: str
    kind: str
    body: dict
    status: str = "queued"
    polls: int = 0


class FakeHiggsfield(FakeServer):
    def __init__(self, key_id: str = "hf-key-id", key_secret: str = "hf-key-secret") -> None:
        self.key = f"{key_id}:{key_secret}"
        self.catalog: dict[str, tuple[str, dict]] = dict(DEFAULT_MODELS)
        self.jobs: dict[str, HfRequest] = {}
        self.files: dict[str, tuple[bytes, str]] = {}
        self.uploads: dict[str, bytes] = {}
        self.upload_requests: dict[str, dict[str, str]] = {}
        self.next_outcome = "completed"
        self.no_credits = False
        self.submissions: list[tuple[str, dict]] = []
        self.polls = 0
        super().__init__()

    def add_model(self, model_id: str, kind: str = "image", schema: dict | None = None) -> None:
        self.catalog[model_id] = (kind, schema or _IMAGE_SCHEMA)

    def routes(self):
        return [
            Route("/requests/{request_id}/status", self.status, methods=["GET"]),
            Route("/requests/{request_id}/cancel", self.cancel, methods=["POST"]),
            Route("/files/generate-upload-url", self.upload_url, methods=["POST"]),
            Route("/uploads/{upload_id}", self.put_upload, methods=["PUT"]),
            Route("/public/{name:path}", self.public_file, methods=["GET"]),
            Route("/{model_id:path}", self.submit, methods=["POST"]),
        ]

    def error_response(self, status: int, message: str, headers: dict[str, str]) -> Response:
        return JSONResponse({"detail": message}, status_code=status, headers=headers)

    def _check_auth(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != f"Key {self.key}":
            return self.error_response(401, "Invalid credentials", {})
        return None

    def _urls(self, job: HfRequest) -> dict:
        base = f"{self.url}/requests/{job.request_id}"
        return {"request_id": job.request_id, "status_url": base + "/status", "cancel_url": base + "/cancel"}

    async def submit(self, request: Request):
        problem = self._check_auth(request)
        if problem:
            return problem
        model_id = request.path_params["model_id"].strip("/")
        if model_id not in self.catalog:
            return self.error_response(404, f"Model '{model_id}' not found", {})
        if self.no_credits:
            return self.error_response(403, "Not enough credits", {})
        try:
            body = json.loads(await request.body())
        except ValueError:
            return self.error_response(400, "Invalid JSON body", {})
        self.submissions.append((model_id, body))
        kind, schema = self.catalog[model_id]
        errors = check_body(body, schema)
        errors += [
            {
                "loc": ["body", k],
                "msg": "Input should be a URL; upload images first",
                "type": "url_type",
                "input": v[:40],
            }
            for k, v in body.items()
            if isinstance(v, str) and v.startswith("data:")
        ]
        if errors:
            return JSONResponse({"detail": errors}, status_code=422)
        job = HfRequest(str(uuid.uuid4()), model_id, kind, body)
        self.jobs[job.request_id] = job
        return JSONResponse({"status": "queued", **self._urls(job)})

    async def status(self, request: Request):
        problem = self._check_auth(request)
        if problem:
            return problem
        job = self.jobs.get(request.path_params["request_id"])
        if job is None:
            return self.error_response(404, "Request not found", {})
        self.polls += 1
        job.polls += 1
        if job.polls > 1 and job.status in ("queued", "in_progress"):
            job.status = "in_progress" if job.status == "queued" else self.next_outcome
        body = {"status": job.status, **self._urls(job)}
        if job.status == "completed":
            body.update(self._result(job))
        elif job.status == "failed":
            body["error"] = "Generation failed"
        return JSONResponse(body)

    def _result(self, job: HfRequest) -> dict:
        if job.kind == "video":
            name = f"{job.request_id}/video.mp4"
            self.files[name] = (FAKE_MP4, "video/mp4")
            return {"video": {"url": f"{self.url}/public/{name}"}}
        name = f"{job.request_id}/0.png"
        self.files[name] = (
            png_bytes(16, 16, color_of(job.body.get("prompt"), job.body.get("seed"))),
            "image/png",
        )
        return {"images": [{"url": f"{self.url}/public/{name}"}]}

    async def cancel(self, request: Request):
        problem = self._check_auth(request)
        if problem:
            return problem
        job = self.jobs.get(request.path_params["request_id"])
        if job is None:
            return self.error_response(404, "Request not found", {})
        if job.status != "queued":
            return self.error_response(400, "Request can only be canceled while queued", {})
        job.status = "canceled"
        return Response(status_code=202)

    async def upload_url(self, request: Request):
        problem = self._check_auth(request)
        if problem:
            return problem
        body = json.loads(await request.body() or b"{}")
        content_type = body.get("content_type", "image/png")
        upload_id = uuid.uuid4().hex
        ext = content_type.rsplit("/", 1)[-1]
        self.files[f"uploads/{upload_id}.{ext}"] = (b"", content_type)
        return JSONResponse(
            {
                "upload_url": f"{self.url}/uploads/{upload_id}.{ext}?X-Amz-Signature={uuid.uuid4().hex}",
                "public_url": f"{self.url}/public/uploads/{upload_id}.{ext}",
                "upload_headers": {"Content-Type": content_type},
            }
        )

    async def put_upload(self, request: Request):
        name = f"uploads/{request.path_params['upload_id']}"
        if name not in self.files:
            return Response(status_code=403)
        if "authorization" in request.headers:  # S3 refuses a second auth mechanism on a signed URL
            return Response(b"<Error><Code>InvalidArgument</Code></Error>", status_code=400)
        data = await request.body()
        self.uploads[request.path_params["upload_id"]] = data
        self.upload_requests[request.path_params["upload_id"]] = dict(request.headers)
        self.files[name] = (data, request.headers.get("content-type", self.files[name][1]))
        return Response(status_code=200)

    async def public_file(self, request: Request):
        entry = self.files.get(request.path_params["name"])
        return Response(entry[0], media_type=entry[1]) if entry else Response(status_code=404)
