"""Fake KREA API: the catalogue as `GET /openapi.json`, `POST /generate/{image|video}/{vendor}/{model}`
(unknown fields -> 400), `GET /jobs/{id}` and `DELETE /jobs/{id}`, Bearer auth.

Each poll of a job moves it one state along `fake.states` (default backlogged, queued, processing,
then completed with `result.urls` to real files). Knobs: `fail_next_job(message)`,
`out_of_credits` (402), `fail_next(status=429)`. Counters: `submissions` (list of (path, body)),
`polls`, `input_images` (list of (field, bytes, content type) decoded from image fields' data: URIs;
an image field holding neither an http(s) URL nor a decodable data URI answers 400).
Register models with `add_model(kind, vendor, model, summary, description, schema)`.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.fal import FAKE_MP4
from tests.fakes.schema_check import check_body, check_images
from tests.fakes.server import FakeServer, color_of, png_bytes


def _flux_schema() -> dict:
    return {
        "type": "object",
        "required": ["prompt"],
        "additionalProperties": False,
        "properties": {
            "prompt": {"type": "string", "description": "Text prompt describing the image"},
            "width": {"type": "integer", "minimum": 256, "maximum": 2368, "default": 1024},
            "height": {"type": "integer", "minimum": 256, "maximum": 2368, "default": 1024},
            "steps": {"type": "integer", "minimum": 1, "maximum": 100, "default": 25},
            "seed": {"type": "integer"},
            "guidance_scale_flux": {"type": "number", "minimum": 0, "maximum": 100, "default": 3},
            "image_url": {"type": "string", "description": "Image to start from (image-to-image)"},
            "strength": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.8},
        },
    }


def _video_schema() -> dict:
    return {
        "type": "object",
        "required": ["prompt"],
        "additionalProperties": False,
        "properties": {
            "prompt": {"type": "string"},
            "startImage": {"type": "string"},
            "duration": {"type": "integer", "enum": [5, 10], "default": 5},
            "aspectRatio": {"type": "string", "enum": ["16:9", "9:16", "1:1"], "default": "16:9"},
        },
    }


@dataclass
class KreaModel:
    path: str
    summary: str
    description: str
    tags: list[str]
    schema: dict


@dataclass
class KreaJob:
    job_id: str
    model: KreaModel
    body: dict
    created_at: str
    step: int = 0
    status: str = "backlogged"
    completed_at: str | None = None
    result: dict | None = None
    failure: str | None = None


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


class FakeKrea(FakeServer):
    def __init__(self, token: str = "krea-test-token") -> None:
        self.token = token
        self.catalog: dict[str, KreaModel] = {}
        self.add_model("image", "bfl", "flux-1-dev", "Flux", "Fast high-quality images.", _flux_schema(), ["image"])
        self.add_model("image", "google", "imagen-4", "Imagen 4", "Google's Imagen 4.", _flux_schema(), ["image"])
        self.add_model(
            "video",
            "kling",
            "kling-2.1",
            "Kling 2.1",
            "Video from text or an image.",
            _video_schema(),
            ["video"],
        )
        self.jobs: dict[str, KreaJob] = {}
        self.states = ["backlogged", "queued", "processing"]
        self.files: dict[str, tuple[bytes, str]] = {}
        self.out_of_credits = False
        self.submissions: list[tuple[str, dict]] = []
        self.input_images: list[tuple[str, bytes, str]] = []
        self.polls = 0
        self._fail_message: str | None = None
        super().__init__()

    def add_model(
        self, kind: str, vendor: str, model: str, summary: str, description: str, schema: dict, tags=None
    ) -> None:
        path = f"/generate/{kind}/{vendor}/{model}"
        self.catalog[path] = KreaModel(path, summary, description, tags or [kind], schema)

    def fail_next_job(self, message: str = "Generation failed") -> None:
        self._fail_message = message

    def routes(self):
        return [
            Route("/openapi.json", self.openapi, methods=["GET"]),
            Route("/generate/{kind}/{vendor}/{model}", self.submit, methods=["POST"]),
            Route("/jobs/{job_id}", self.get_job, methods=["GET"]),
            Route("/jobs/{job_id}", self.cancel, methods=["DELETE"]),
            Route("/files/{name:path}", self.file, methods=["GET"]),
        ]

    def error_response(self, status: int, message: str, headers: dict[str, str]) -> Response:
        return JSONResponse({"error": message}, status_code=status, headers=headers)

    def _check_auth(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return self.error_response(401, "Unauthorized", {})
        return None

    async def openapi(self, request: Request):
        paths = {}
        for m in self.catalog.values():
            op_id = m.path.strip("/").replace("/", "_").replace("-", "_")
            paths[m.path] = {
                "post": {
                    "summary": m.summary,
                    "description": m.description,
                    "tags": m.tags,
                    "operationId": op_id,
                    "security": [{"bearerAuth": []}],
                    "requestBody": {"required": True, "content": {"application/json": {"schema": m.schema}}},
                    "responses": {
                        "200": {
                            "description": "Job created",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Job"}}},
                        }
                    },
                }
            }
        paths["/jobs/{id}"] = {
            "get": {"summary": "Get job", "tags": ["jobs"]},
            "delete": {"summary": "Cancel job", "tags": ["jobs"]},
        }
        job_schema = {
            "type": "object",
            "properties": {
                "job_id": {"type": "string"},
                "status": {"type": "string"},
                "created_at": {"type": "string"},
                "completed_at": {"type": ["string", "null"]},
                "result": {"type": ["object", "null"]},
            },
        }
        return JSONResponse(
            {
                "openapi": "3.1.0",
                "info": {"title": "Krea API", "version": "1.0.0"},
                "servers": [{"url": self.url}],
                "paths": paths,
                "components": {
                    "schemas": {"Job": job_schema},
                    "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
                },
            }
        )

    async def submit(self, request: Request):
        problem = self._check_auth(request)
        if problem:
            return problem
        model = self.catalog.get(request.url.path)
        if model is None:
            return self.error_response(404, "Model not found", {})
        if self.out_of_credits:
            return self.error_response(402, "Insufficient credits", {})
        try:
            body = json.loads(await request.body())
        except ValueError:
            return self.error_response(400, "Invalid JSON body", {})
        self.submissions.append((model.path, body))
        image_errors, images = check_images(body)
        self.input_images.extend(images)
        errors = check_body(body, model.schema, forbid_extra=True) + image_errors
        if errors:
            first = errors[0]
            return self.error_response(400, f"{'.'.join(map(str, first['loc'][1:]))}: {first['msg']}", {})
        job = KreaJob(str(uuid.uuid4()), model, body, _now(), failure=self._fail_message)
        self._fail_message = None
        job.status = "queued"
        self.jobs[job.job_id] = job
        return JSONResponse(self._job_json(job))

    def _job_json(self, job: KreaJob) -> dict:
        return {
            "job_id": job.job_id,
            "status": job.status,
            "created_at": job.created_at,
            "completed_at": job.completed_at,
            "result": job.result,
        }

    async def get_job(self, request: Request):
        problem = self._check_auth(request)
        if problem:
            return problem
        job = self.jobs.get(request.path_params["job_id"])
        if job is None:
            return self.error_response(404, "Job not found", {})
        self.polls += 1
        if job.status not in ("completed", "failed", "cancelled"):
            self._advance(job)
        return JSONResponse(self._job_json(job))

    def _advance(self, job: KreaJob) -> None:
        if job.step < len(self.states):
            job.status = self.states[job.step]
            job.step += 1
            return
        job.completed_at = _now()
        if job.failure:
            job.status, job.result = "failed", {"error": job.failure}
            return
        video = "/video/" in job.model.path
        name = f"{job.job_id}/0.{'mp4' if video else 'png'}"
        data = FAKE_MP4 if video else png_bytes(16, 16, color_of(job.body.get("prompt"), job.body.get("seed")))
        self.files[name] = (data, "video/mp4" if video else "image/png")
        job.status, job.result = "completed", {"urls": [f"{self.url}/files/{name}"]}

    async def cancel(self, request: Request):
        problem = self._check_auth(request)
        if problem:
            return problem
        job = self.jobs.get(request.path_params["job_id"])
        if job is None:
            return self.error_response(404, "Job not found", {})
        if job.status in ("completed", "failed", "cancelled"):
            return self.error_response(400, f"Job is already {job.status}", {})
        job.status, job.completed_at = "cancelled", _now()
        return JSONResponse(self._job_json(job))

    async def file(self, request: Request):
        entry = self.files.get(request.path_params["name"])
        return Response(entry[0], media_type=entry[1]) if entry else Response(status_code=404)
