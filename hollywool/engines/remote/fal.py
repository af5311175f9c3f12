"""fal.ai: paginated discovery with each model's OpenAPI input schema and pricing; the queue API.

The queue answers a submit with the URLs to follow (status, result, cancel); those use only
`owner/app` of the model id, so they are taken from the answer, never rebuilt from the id.
"""

from __future__ import annotations

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
    params_from_schema,
    request_schema_of,
)
from hollywool.json_types import JsonObject, JsonValue, as_int, as_list, as_str, expect_list, expect_object, expect_str

CATEGORIES = ("text-to-image", "image-to-image", "text-to-video", "image-to-video", "upscaling")
_PAGE = 100
_MAX_PAGES = 200


class FalProvider(HttpProvider):
    id = "fal"
    name = "fal.ai"
    concurrency = 8
    image_transport = "data_uri"  # the queue takes data: URIs wherever a model takes a file URL

    def auth_header(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Key {key}"}

    @property
    def queue_url(self) -> str:
        return self.base_url or "https://queue.fal.run"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/v1" if self.base_url else "https://api.fal.ai/v1"

    # -- discovery -----------------------------------------------------------------------------
    def discover(self, categories: tuple[str, ...] = CATEGORIES, query: str | None = None) -> list[RemoteModel]:
        models: dict[str, RemoteModel] = {}
        for category in categories:
            cursor: JsonValue = None
            for _page in range(_MAX_PAGES):
                params: dict[str, str | int] = {
                    "limit": _PAGE,
                    "category": category,
                    "status": "active",
                    "expand": "openapi-3.0",
                }
                if cursor:
                    params["cursor"] = str(cursor)
                if query:
                    params["q"] = query
                page = self.client.json("GET", f"{self.api_url}/models", params=params, authed=bool(self.key()))
                for raw in expect_list(page.get("models") or []):
                    model = self._model_of(expect_object(raw), category)
                    if model:
                        models.setdefault(model.model_id, model)
                cursor = page.get("next_cursor")
                if not page.get("has_more") or not cursor:
                    break
        found = list(models.values())
        if self.key():
            self._add_prices(found)
        self.save_models(found)
        return found

    def _model_of(self, raw: JsonObject, category: str) -> RemoteModel | None:
        endpoint = raw.get("endpoint_id")
        if not endpoint:
            return None
        endpoint = expect_str(endpoint)
        meta = expect_object(raw.get("metadata") or {})
        openapi = expect_object(raw.get("openapi") or {})
        params: list[ParamSpec] = []
        for path, ops in expect_object(openapi.get("paths") or {}).items():
            post = expect_object(ops or {}).get("post")
            if isinstance(post, dict) and post.get("requestBody") and "/requests/" not in path:
                params = params_from_schema(request_schema_of(post, openapi), openapi)
                break
        return RemoteModel(
            id=f"{self.id}:{endpoint}",
            provider=self.id,
            model_id=endpoint,
            name=as_str(meta.get("display_name")) or endpoint,
            category=as_str(meta.get("category")) or category,
            description=as_str(meta.get("description")) or "",
            tags=[tag for tag in as_list(meta.get("tags")) if isinstance(tag, str)],
            thumbnail_url=as_str(meta.get("thumbnail_url")),
            params=params,
        )

    def _add_prices(self, models: list[RemoteModel]) -> None:
        by_id = {m.model_id: m for m in models}
        ids = list(by_id)
        for start in range(0, len(ids), 50):
            chunk = ids[start : start + 50]
            try:
                data = self.client.json(
                    "GET", f"{self.api_url}/models/pricing", params={"endpoint_id": ",".join(chunk)}
                )
            except ProviderError:
                return  # prices are a nicety: discovery still succeeds without them
            for p in as_list(data.get("prices")):
                if not isinstance(p, dict):
                    continue
                endpoint, unit_price = p.get("endpoint_id"), p.get("unit_price")
                model = by_id.get(endpoint) if isinstance(endpoint, str) else None
                if model and isinstance(unit_price, int | float | str):
                    model.price = Price(
                        unit_price=float(unit_price),
                        unit=str(p.get("unit") or "image"),
                        currency=str(p.get("currency") or "USD"),
                    )

    # -- requests ------------------------------------------------------------------------------
    def map_size(self, model: RemoteModel, width: int | None, height: int | None, body: JsonObject) -> None:
        names = {p.name for p in model.params}
        if width is None or height is None:
            return
        if "image_size" in names or not names:
            body["image_size"] = {"width": width, "height": height}
        else:
            super().map_size(model, width, height, body)

    def submit(self, model: RemoteModel, body: JsonObject) -> Submission:
        data = self.client.json("POST", f"{self.queue_url}/{model.model_id}", json=body)
        request_id = data.get("request_id")
        if not request_id:
            raise ProviderError(f"{self.name}: the queue did not return a request id")
        request_id = str(request_id)
        base = f"{self.queue_url}/{'/'.join(model.model_id.split('/')[:2])}/requests/{request_id}"
        handle: Handle = {
            "request_id": request_id,
            "status_url": as_str(data.get("status_url")) or f"{base}/status",
            "response_url": as_str(data.get("response_url")) or base,
            "cancel_url": as_str(data.get("cancel_url")) or f"{base}/cancel",
        }
        return Submission(request_id, handle, as_int(data.get("queue_position")))

    def status(self, handle: Handle) -> RemoteStatus:
        data = self.client.json("GET", handle["status_url"], params={"logs": 1})
        state = data.get("status")
        logs = [str(entry.get("message")) for entry in as_list(data.get("logs")) if isinstance(entry, dict)]
        if state == "IN_QUEUE":
            return RemoteStatus("queued", queue_position=as_int(data.get("queue_position")), logs=logs)
        if state == "IN_PROGRESS":
            return RemoteStatus("running", logs=logs, message=logs[-1] if logs else None)
        if state == "COMPLETED":
            # A failed request also ends COMPLETED; the result call then answers its error.
            return RemoteStatus("completed", logs=logs)
        raise ProviderError(f"{self.name}: unexpected request status {state!r}")

    def result(self, handle: Handle) -> RemoteResult:
        data = self.client.json("GET", handle["response_url"])
        images = [expect_object(image) for image in expect_list(data.get("images") or [])]
        single, video = data.get("image"), data.get("video")
        if isinstance(single, dict):
            images.append(single)
        outputs = [
            Output(
                expect_str(image["url"]),
                "image",
                as_str(image.get("content_type")),
                as_int(image.get("width")),
                as_int(image.get("height")),
            )
            for image in images
        ]
        if isinstance(video, dict):
            outputs.append(Output(expect_str(video["url"]), "video", as_str(video.get("content_type"))))
        if not outputs:
            raise ProviderError(f"{self.name}: the result had no images or video")
        seed = data.get("seed")
        return RemoteResult(outputs, seed=int(seed) if isinstance(seed, int) else None)

    def cancel(self, handle: Handle) -> bool:
        response = self.client.request("PUT", handle["cancel_url"], ok=(400, 404), retry=False)
        try:
            answer: JsonValue = response.json()
        except ValueError:
            answer = None
        state = answer.get("status") if isinstance(answer, dict) else None
        return response.status_code == 202 or state in ("OK", "CANCELLATION_REQUESTED")

    def test_credentials(self) -> CheckResult:
        self.require_key()
        self.client.request(
            "GET", f"{self.api_url}/models/pricing", params={"endpoint_id": "fal-ai/flux/schnell"}, retry=False
        )
        return CheckResult(True, "fal.ai accepted the key")
