"""Higgsfield: no list-models call, so a small shipped catalogue (extendable from the data folder's
`providers/higgsfield.yaml`), one POST per model and `GET /requests/{id}/status` for state and result.
"""

from __future__ import annotations

import yaml

from hollywool.engines.remote.base import HttpProvider
from hollywool.engines.remote.provider import (
    CheckResult,
    Handle,
    Output,
    ParamSpec,
    Price,
    ProviderError,
    RemoteModel,
    RemoteResult,
    RemoteStatus,
    Submission,
)
from hollywool.json_types import JsonList, JsonObject, JsonValue, as_list, as_object, as_str, expect_object, expect_str

_ASPECTS: JsonList = ["1:1", "3:4", "4:3", "9:16", "16:9", "2:3", "3:2"]

_CATALOGUE: list[JsonObject] = [
    {
        "model_id": "higgsfield-ai/soul/standard",
        "name": "Soul",
        "category": "text-to-image",
        "params": [
            {"name": "prompt", "type": "string", "required": True},
            {"name": "aspect_ratio", "type": "string", "enum": _ASPECTS, "default": "1:1"},
            {"name": "resolution", "type": "string", "enum": ["720p", "1080p"], "default": "720p"},
            {"name": "seed", "type": "integer", "minimum": 0},
        ],
        "price": {"unit_price": 0.03, "unit": "image"},
    },
    {
        "model_id": "bytedance/seedream/v4/text-to-image",
        "name": "Seedream 4",
        "category": "text-to-image",
        "params": [
            {"name": "prompt", "type": "string", "required": True},
            {"name": "aspect_ratio", "type": "string", "enum": _ASPECTS, "default": "1:1"},
            {"name": "resolution", "type": "string", "enum": ["1K", "2K", "4K"], "default": "2K"},
            {"name": "seed", "type": "integer", "minimum": 0},
        ],
        "price": {"unit_price": 0.03, "unit": "image"},
    },
    {
        "model_id": "kling-video/v2.1/pro/image-to-video",
        "name": "Kling 2.1 Pro (image to video)",
        "category": "image-to-video",
        "params": [
            {"name": "prompt", "type": "string", "required": True},
            {"name": "image_url", "type": "string", "required": True},
            {"name": "duration", "type": "integer", "enum": [5, 10], "default": 5},
        ],
        "price": {"unit_price": 0.1, "unit": "second"},
    },
    {
        "model_id": "higgsfield-ai/dop/standard",
        "name": "DoP (image to video)",
        "category": "image-to-video",
        "params": [
            {"name": "prompt", "type": "string", "required": True},
            {"name": "image_url", "type": "string", "required": True},
            {"name": "duration", "type": "integer", "enum": [3, 5], "default": 5},
            {"name": "seed", "type": "integer", "minimum": 0},
        ],
        "price": {"unit_price": 0.1, "unit": "second"},
    },
]


class HiggsfieldProvider(HttpProvider):
    id = "higgsfield"
    name = "Higgsfield"
    concurrency = 4
    # Input images are uploaded first; the model's image field takes the upload's public URL.
    image_transport = "upload"

    def auth_header(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Key {key}"}

    def builtin_models(self) -> list[RemoteModel]:
        entries = list(_CATALOGUE)
        user = self.env.cache_dir / "higgsfield.yaml"
        if user.exists():
            try:
                extra: JsonValue = yaml.safe_load(user.read_text()) or {}  # YAML's scalars are JSON's here
            except yaml.YAMLError:
                extra = {}
            overrides = {
                str(e["model_id"]): e
                for e in as_list(as_object(extra).get("models"))
                if isinstance(e, dict) and e.get("model_id")
            }
            entries = [overrides.pop(str(e["model_id"]), e) for e in entries] + list(overrides.values())
        models: list[RemoteModel] = []
        for e in entries:
            model_id = str(e["model_id"])
            models.append(
                RemoteModel(
                    id=f"{self.id}:{model_id}",
                    provider=self.id,
                    model_id=model_id,
                    name=as_str(e.get("name")) or model_id,
                    category=as_str(e.get("category")) or "text-to-image",
                    description=as_str(e.get("description")) or "",
                    params=[ParamSpec.model_validate(p) for p in as_list(e.get("params"))],
                    price=Price.model_validate(e["price"]) if e.get("price") else None,
                )
            )
        return models

    def list_models(self) -> list[RemoteModel]:
        return self.builtin_models()

    def discover(self) -> list[RemoteModel]:
        return self.builtin_models()

    def submit(self, model: RemoteModel, body: JsonObject) -> Submission:
        data = self.client.json("POST", f"{self.base_url}/{model.model_id}", json=body)
        request_id = data.get("request_id")
        if not request_id:
            raise ProviderError(f"{self.name}: the answer had no request id")
        return Submission(str(request_id), {"request_id": str(request_id)})

    def upload_image(self, data: bytes, content_type: str) -> str:
        """`POST /files/generate-upload-url`, then `PUT` the bytes to the signed URL it gives."""
        grant = self.client.json(
            "POST", f"{self.base_url}/files/generate-upload-url", json={"content_type": content_type}
        )
        upload_url, public_url = grant.get("upload_url"), grant.get("public_url")
        if not upload_url or not public_url:
            raise ProviderError(f"{self.name}: the upload URL answer had no upload_url or public_url")
        headers = {str(k): str(v) for k, v in expect_object(grant.get("upload_headers") or {}).items()}
        headers.setdefault("Content-Type", content_type)
        try:
            # A signed URL: the key must not travel with it.
            self.client.request("PUT", str(upload_url), content=data, headers=headers, authed=False)
        except ProviderError as exc:
            raise ProviderError(
                f"{self.name}: could not upload an input image ({exc.message})",
                status=exc.status,
                retryable=exc.retryable,
            ) from None
        return str(public_url)

    def _status(self, handle: Handle) -> JsonObject:
        return self.client.json("GET", f"{self.base_url}/requests/{handle['request_id']}/status")

    def status(self, handle: Handle) -> RemoteStatus:
        data = self._status(handle)
        state = data.get("status")
        if state == "queued":
            return RemoteStatus("queued")
        if state == "in_progress":
            return RemoteStatus("running")
        if state == "completed":
            return RemoteStatus("completed")
        if state == "nsfw":
            return RemoteStatus("failed", error=f"{self.name}: the result was withheld by its content filter (nsfw)")
        if state == "failed":
            return RemoteStatus("failed", error=f"{self.name}: {data.get('error') or 'the request failed'}")
        if state in ("canceled", "cancelled"):
            return RemoteStatus("cancelled")
        return RemoteStatus("running", message=str(state))

    def result(self, handle: Handle) -> RemoteResult:
        data = self._status(handle)
        outputs = [Output(expect_str(i["url"]), "image") for i in as_list(data.get("images")) if isinstance(i, dict)]
        video = data.get("video")
        if isinstance(video, dict):
            outputs.append(Output(expect_str(video["url"]), "video"))
        if not outputs:
            raise ProviderError(f"{self.name}: request {handle['request_id']} completed without outputs")
        return RemoteResult(outputs)

    def cancel(self, handle: Handle) -> bool:
        response = self.client.request(
            "POST", f"{self.base_url}/requests/{handle['request_id']}/cancel", ok=(400, 404), retry=False
        )
        return response.is_success

    def test_credentials(self) -> CheckResult:
        self.require_key()
        self.client.request(
            "GET", f"{self.base_url}/requests/00000000-0000-0000-0000-000000000000/status", ok=(404,), retry=False
        )
        return CheckResult(True, "Higgsfield accepted the key")
