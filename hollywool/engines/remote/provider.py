"""The one provider interface: local engine and remote services answer the same questions.

List models (with the parameters each accepts and its price where known), validate a request,
submit it, follow its status, fetch its results, cancel it, test the credentials. A remote provider
is a small class on the shared submit-and-poll helpers in http.py; the job kind in job.py drives
any of them the same way.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, Field

from hollywool.errors import InvalidInputError, StudioError
from hollywool.json_types import JsonObject, JsonValue, as_list, as_object

Category = Literal["text-to-image", "image-to-image", "text-to-video", "image-to-video", "upscaling", "other"]
VIDEO_CATEGORIES = ("text-to-video", "image-to-video")
# What follows a submitted request (the URLs or id its submit answer gave); kept in the job's checkpoint.
Handle = dict[str, str]


class ParamSpec(BaseModel):
    """One input field of a model, read from its published schema, for the form."""

    name: str
    type: str = "string"
    required: bool = False
    default: JsonValue = None
    enum: list[JsonValue] | None = None
    minimum: float | None = None
    maximum: float | None = None
    description: str = ""


class Price(BaseModel):
    unit_price: float
    unit: str = "image"  # image | megapixels | second | request ...
    currency: str = "USD"


class RemoteModel(BaseModel):
    id: str = Field(description="`<provider>:<model id>`, as /api/models and the job routes take it")
    provider: str
    model_id: str
    name: str
    category: str = "text-to-image"
    description: str = ""
    tags: list[str] = Field(default_factory=list[str])
    thumbnail_url: str | None = None
    params: list[ParamSpec] = Field(default_factory=list[ParamSpec])
    price: Price | None = None
    # Provider-specific routing facts (KREA's path, for instance).
    extra: JsonObject = Field(default_factory=dict[str, JsonValue])

    @property
    def is_video(self) -> bool:
        return self.category in VIDEO_CATEGORIES

    def param(self, name: str) -> ParamSpec | None:
        return next((p for p in self.params if p.name == name), None)


@dataclass
class Submission:
    request_id: str
    # Everything needed to follow the request later (URLs from the submit answer); saved in the
    # job's checkpoint so a restarted studio re-attaches instead of submitting again.
    handle: Handle
    queue_position: int | None = None


@dataclass
class RemoteStatus:
    state: Literal["queued", "running", "completed", "failed", "cancelled"]
    queue_position: int | None = None
    message: str | None = None
    logs: list[str] = field(default_factory=lambda: list[str]())
    error: str | None = None

    @property
    def finished(self) -> bool:
        return self.state in ("completed", "failed", "cancelled")


@dataclass
class Output:
    url: str
    kind: Literal["image", "video"] = "image"
    content_type: str | None = None
    width: int | None = None
    height: int | None = None


@dataclass
class RemoteResult:
    outputs: list[Output]
    seed: int | None = None
    billed_usd: float | None = None


@dataclass
class CheckResult:
    ok: bool
    message: str


class ProviderError(StudioError):
    """A remote service said no, or could not be reached; the message names the provider."""

    status_code = 502

    def __init__(self, message: str, *, status: int | None = None, field: str | None = None, retryable: bool = False):
        super().__init__(message, field=field)
        self.status = status
        self.retryable = retryable


class ProviderUnavailable(ProviderError):
    """The service could not be reached (connection refused, DNS, no network)."""

    status_code = 503


class ProviderTimeout(ProviderUnavailable):
    """The service did not accept the connection, or did not answer, in time."""

    status_code = 504


class Provider(abc.ABC):
    """What every generation backend answers. `id` is the prefix of its model ids."""

    id: str
    name: str
    local: bool = False

    @abc.abstractmethod
    def list_models(self) -> list[RemoteModel]:
        """The models known now (from the last discovery or the shipped catalogue)."""

    def get_model(self, model_id: str) -> RemoteModel:
        for model in self.list_models():
            if model.model_id == model_id:
                return model
        raise InvalidInputError(
            f"model: {self.name} has no model {model_id!r}; refresh its models on the provider's page",
            field="model",
        )

    @abc.abstractmethod
    def validate(self, model: RemoteModel, request: JsonObject) -> JsonObject:
        """Turn the studio's request (prompt, width, ..., provider_params) into the provider's body."""

    @abc.abstractmethod
    def submit(self, model: RemoteModel, body: JsonObject) -> Submission: ...

    @abc.abstractmethod
    def status(self, handle: Handle) -> RemoteStatus: ...

    @abc.abstractmethod
    def result(self, handle: Handle) -> RemoteResult: ...

    @abc.abstractmethod
    def cancel(self, handle: Handle) -> bool: ...

    @abc.abstractmethod
    def test_credentials(self) -> CheckResult: ...

    def discover(self) -> list[RemoteModel]:
        """Refresh the model list from the service; providers without discovery return the catalogue."""
        return self.list_models()

    def estimate_usd(self, model: RemoteModel, body: JsonObject) -> float | None:
        """The expected price of one request from the model's published price, when known."""
        price = model.price
        if price is None or price.currency.upper() != "USD":
            return None
        count = int(_number(body.get("num_images") or 1))
        unit = price.unit.lower()
        if unit.startswith("megapixel"):
            w, h = _size_of(body)
            return round(price.unit_price * (w * h / 1e6) * count, 6)
        if unit.startswith("second"):
            seconds = float(_number(body.get("duration") or body.get("seconds") or 5))
            return round(price.unit_price * seconds, 6)
        if unit.startswith(("image", "video", "request", "generation", "unit")):
            return round(price.unit_price * count, 6)
        return round(price.unit_price * count, 6)


def _size_of(body: JsonObject) -> tuple[int, int]:
    size = body.get("image_size")
    if isinstance(size, dict):
        return int(_number(size.get("width", 1024))), int(_number(size.get("height", 1024)))
    return int(_number(body.get("width") or 1024)), int(_number(body.get("height") or 1024))


def _number(value: JsonValue) -> float | int | str:
    """A number of a request body for int() or float(): TypeError for a value that is none."""
    if isinstance(value, int | float | str):
        return value
    raise TypeError(f"expected a number, got {type(value).__name__}")


def _float_or_none(value: JsonValue) -> float | None:
    """A schema's bound (minimum, maximum) as a float; None when it is not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return float(value)
    except ValueError:
        return None


def split_model_ref(ref: str) -> tuple[str, str] | None:
    """'fal:fal-ai/flux/schnell' -> ('fal', 'fal-ai/flux/schnell'); None for a local id."""
    if ":" not in ref:
        return None
    provider, _, model_id = ref.partition(":")
    return (provider, model_id) if provider and model_id else None


# ---- schema reading shared by providers that publish OpenAPI / JSON Schema ---------------------
def resolve_ref(schema: JsonValue, root: JsonObject) -> JsonObject:
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < 20:
        ref = schema["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return {}
        node: JsonValue = root
        for part in ref[2:].split("/"):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        schema = node
        seen += 1
    all_of = schema.get("allOf") if isinstance(schema, dict) else None
    if isinstance(schema, dict) and isinstance(all_of, list) and len(all_of) == 1:
        merged = {**resolve_ref(all_of[0], root), **{k: v for k, v in schema.items() if k != "allOf"}}
        return merged
    return schema if isinstance(schema, dict) else {}


def params_from_schema(schema: JsonValue, root: JsonObject) -> list[ParamSpec]:
    schema = resolve_ref(schema, root)
    required = {n for n in as_list(schema.get("required")) if isinstance(n, str)}
    out: list[ParamSpec] = []
    for name, raw_prop in as_object(schema.get("properties")).items():
        prop = resolve_ref(raw_prop, root)
        type_ = prop.get("type")
        if type_ is None:
            for raw_option in as_list(prop.get("anyOf") or prop.get("oneOf")):
                option = resolve_ref(raw_option, root)
                if option.get("type") and option.get("type") != "null":
                    type_ = option["type"]
                    prop = {**option, **{k: v for k, v in prop.items() if k not in ("anyOf", "oneOf")}}
                    break
        out.append(
            ParamSpec(
                name=name,
                type=str(type_ or "object"),
                required=name in required,
                default=prop.get("default"),
                enum=enum if isinstance(enum := prop.get("enum"), list) else None,
                minimum=_float_or_none(prop.get("minimum")),
                maximum=_float_or_none(prop.get("maximum")),
                description=str(prop.get("description") or "")[:500],
            )
        )
    return out


def request_schema_of(operation: JsonObject, root: JsonObject) -> JsonObject:
    content = as_object(as_object(operation.get("requestBody")).get("content"))
    media = content.get("application/json") or next(iter(content.values()), None)
    return resolve_ref(as_object(media).get("schema") or {}, root)
