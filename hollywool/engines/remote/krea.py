"""KREA: the catalogue is its published OpenAPI spec; one POST per model, then job polling.

Paths `POST /generate/{image|video|enhance}/{vendor}/{model}` are the models; the request body's
JSON Schema is the form. Bodies reject unknown fields, so only fields the schema names are sent.
"""

from __future__ import annotations

from hollywool.engines.remote.base import HttpProvider
from hollywool.engines.remote.provider import (
    CheckResult,
    Handle,
    Output,
    Price,
    ProviderError,
    RemoteModel,
    RemoteResult,
    RemoteStatus,
    Submission,
    params_from_schema,
    request_schema_of,
)
from hollywool.json_types import (
    JsonObject,
    JsonValue,
    as_list,
    as_str,
    expect_list,
    expect_object,
    expect_str,
)

_KIND_CATEGORY = {"image": "text-to-image", "video": "text-to-video", "enhance": "upscaling"}
_RUNNING = {"backlogged", "queued", "scheduled"}


class KreaProvider(HttpProvider):
    id = "krea"
    name = "KREA"
    concurrency = 4
    image_transport = "data_uri"  # `image_url` (and a video's `startImage`) take a data: URI
    field_names = {
        **HttpProvider.field_names,
        "guidance_scale": ("guidance_scale", "guidance_scale_flux", "cfg_scale"),
        "num_images": ("num_images", "batch_size"),
    }

    def discover(self) -> list[RemoteModel]:
        spec = self.client.json("GET", f"{self.base_url}/openapi.json", authed=bool(self.key()))
        models: dict[str, RemoteModel] = {}
        for path, ops in expect_object(spec.get("paths") or {}).items():
            parts = path.strip("/").split("/")
            post = expect_object(ops or {}).get("post")
            if not isinstance(post, dict) or not post or len(parts) < 4 or parts[0] != "generate":
                continue
            kind, model_id = parts[1], "/".join(parts[2:])
            if model_id in models:  # the same vendor/model for image and video: keep both apart
                model_id = f"{kind}/{model_id}"
            schema = request_schema_of(post, spec)
            params = params_from_schema(schema, spec)
            category = _KIND_CATEGORY.get(kind, "other")
            if kind == "image" and any(p.name in ("image_url", "image") for p in params if p.required):
                category = "image-to-image"
            if kind == "video" and any(p.name in ("image_url", "start_image") for p in params if p.required):
                category = "image-to-video"
            price = post.get("x-price") or post.get("x-pricing")
            models[model_id] = RemoteModel(
                id=f"{self.id}:{model_id}",
                provider=self.id,
                model_id=model_id,
                name=as_str(post.get("summary")) or model_id,
                category=category,
                description=as_str(post.get("description")) or "",
                tags=[tag for tag in as_list(post.get("tags")) if isinstance(tag, str)],
                params=params,
                price=_price_of(price),
                extra={"path": path},
            )
        found = list(models.values())
        self.save_models(found)
        return found

    def submit(self, model: RemoteModel, body: JsonObject) -> Submission:
        path = as_str(model.extra.get("path")) or f"/generate/{'video' if model.is_video else 'image'}/{model.model_id}"
        data = self.client.json("POST", f"{self.base_url}{path}", json=body)
        job_id = data.get("job_id")
        if not job_id:
            raise ProviderError(f"{self.name}: the answer had no job id")
        return Submission(str(job_id), {"request_id": str(job_id)})

    def _job(self, handle: Handle) -> JsonObject:
        return self.client.json("GET", f"{self.base_url}/jobs/{handle['request_id']}")

    def status(self, handle: Handle) -> RemoteStatus:
        data = self._job(handle)
        state = str(data.get("status") or "")
        if state in _RUNNING:
            return RemoteStatus("queued", message=state)
        if state == "completed":
            return RemoteStatus("completed")
        if state == "failed":
            error = expect_object(data.get("result") or {}).get("error") or "the job failed"
            return RemoteStatus("failed", error=f"{self.name}: {error}")
        if state == "cancelled":
            return RemoteStatus("cancelled")
        return RemoteStatus("running", message=state or None)

    def result(self, handle: Handle) -> RemoteResult:
        data = self._job(handle)
        result = expect_object(data.get("result") or {})
        urls = [
            expect_str(u) for u in expect_list(result.get("urls") or ([result["url"]] if result.get("url") else []))
        ]
        if not urls:
            raise ProviderError(f"{self.name}: job {handle['request_id']} completed without result URLs")
        outputs = [Output(u, "video" if _is_video_url(u) else "image") for u in urls]
        cost, seed = result.get("cost"), result.get("seed")
        return RemoteResult(
            outputs,
            seed=seed if isinstance(seed, int) else None,
            billed_usd=cost if isinstance(cost, int | float) else None,
        )

    def cancel(self, handle: Handle) -> bool:
        response = self.client.request(
            "DELETE", f"{self.base_url}/jobs/{handle['request_id']}", ok=(400, 404, 409), retry=False
        )
        return response.is_success

    def test_credentials(self) -> CheckResult:
        self.require_key()
        # No "who am I" call: ask for a job id that cannot exist; 404 means the key was accepted.
        self.client.request("GET", f"{self.base_url}/jobs/00000000-0000-0000-0000-000000000000", ok=(404,), retry=False)
        return CheckResult(True, "KREA accepted the key")


def _price_of(raw: JsonValue) -> Price | None:
    if isinstance(raw, int | float):
        return Price(unit_price=float(raw))
    if isinstance(raw, dict):
        unit_price = raw.get("unit_price", raw.get("usd"))
        if isinstance(unit_price, int | float):
            return Price(unit_price=float(unit_price), unit=str(raw.get("unit") or "image"))
    return None


def _is_video_url(url: str) -> bool:
    return url.split("?")[0].lower().endswith((".mp4", ".webm", ".mov"))
