"""What the HTTP providers share: key and base URL lookup, the model cache, request mapping.

A provider subclass says how to authenticate, where its service lives and how its models are
found; mapping the studio's fields (prompt, width, steps...) onto a model's own input names is
table-driven here, checked against the schema the model publishes.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from hollywool.engines.remote.http import ServiceClient, Tuning
from hollywool.engines.remote.images import ImagePlan, data_uri, fill_placeholders, plan_images, put_placeholders
from hollywool.engines.remote.keys import ENV_KEYS, ProviderKeys
from hollywool.engines.remote.provider import Provider, ProviderError, RemoteModel
from hollywool.errors import InvalidInputError
from hollywool.json_types import JsonObject, JsonValue, as_int, as_list, as_object
from hollywool.media.files import atomic_write_bytes
from hollywool.storage.provider_configs import ProviderConfigRepository

# The studio's request fields, in the order they are mapped.
STUDIO_FIELDS = (
    "prompt",
    "negative_prompt",
    "steps",
    "guidance_scale",
    "seed",
    "num_images",
    "image_url",
    "duration",
    "strength",
)


@dataclass
class ProviderEnv:
    """What a provider needs from the studio: keys, user config, a cache folder, timings."""

    keys: ProviderKeys
    configs: ProviderConfigRepository
    cache_dir: Path
    tuning: Tuning


class HttpProvider(Provider):
    default_url: str = ""
    concurrency: int = 4
    # studio field -> candidate names in the model's input, first match wins.
    field_names: dict[str, tuple[str, ...]] = {
        "prompt": ("prompt",),
        "negative_prompt": ("negative_prompt",),
        "steps": ("num_inference_steps", "steps"),
        "guidance_scale": ("guidance_scale",),
        "seed": ("seed",),
        "num_images": ("num_images",),
        "image_url": ("image_url", "startImage", "start_image", "image"),
        "duration": ("duration",),
        "strength": ("strength",),
    }
    # How an input image travels to the service: inline as a data: URI in the model's image field,
    # or uploaded first (`upload_image`) and passed as the URL the upload gives.
    image_transport: Literal["data_uri", "upload"] = "data_uri"
    # The image field of a model whose input schema is not known (not discovered yet).
    default_image_field: str = "image_url"

    def __init__(self, env: ProviderEnv, default_url: str | None = None):
        self.env = env
        if default_url is not None:
            self.default_url = default_url
        self.client = ServiceClient(self.name, self._auth, env.tuning)

    # -- configuration -------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        configured = self.env.configs.get(self.id).api_url
        return (configured or self.default_url).rstrip("/")

    @property
    def enabled(self) -> bool:
        return self.env.configs.get(self.id).is_enabled

    def key(self) -> str | None:
        return self.env.keys.get(self.id)

    def require_key(self) -> str:
        key = self.key()
        if not key:
            env = ENV_KEYS.get(self.id)
            raise ProviderError(
                f"{self.name}: no API key is set. Add your key on the {self.name} provider page "
                f"(Providers) or set {env} in the studio's environment, then retry the job.",
                status=401,
            )
        return key

    def auth_header(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}

    def _auth(self) -> dict[str, str]:
        return self.auth_header(self.require_key())

    # -- the model cache -----------------------------------------------------------------------
    @property
    def _cache_path(self) -> Path:
        return self.env.cache_dir / f"{self.id}.models.json"

    def list_models(self) -> list[RemoteModel]:
        try:
            data: JsonValue = json.loads(self._cache_path.read_text())
        except (OSError, ValueError):
            return self.builtin_models()
        return [RemoteModel.model_validate(m) for m in as_list(as_object(data).get("models"))]

    def discovered_at(self) -> float | None:
        try:
            data: JsonValue = json.loads(self._cache_path.read_text())
        except (OSError, ValueError):
            return None
        when = as_object(data).get("discovered_at")
        return float(when) if isinstance(when, int | float) else None

    def builtin_models(self) -> list[RemoteModel]:
        return []

    def save_models(self, models: list[RemoteModel]) -> None:
        payload = {"discovered_at": time.time(), "models": [m.model_dump(mode="json") for m in models]}
        atomic_write_bytes(self._cache_path, json.dumps(payload).encode())

    # -- request mapping -----------------------------------------------------------------------
    def map_size(self, model: RemoteModel, width: int | None, height: int | None, body: JsonObject) -> None:
        if width is None or height is None:
            return
        names = {p.name for p in model.params}
        if "width" in names or not names:
            body["width"], body["height"] = width, height
        elif "image_size" in names:
            body["image_size"] = {"width": width, "height": height}
        else:
            for name in ("aspect_ratio", "aspectRatio"):
                spec = model.param(name)
                if spec is not None:
                    body[name] = nearest_aspect(width, height, spec.enum)
                    break

    def input_for(self, model: RemoteModel, studio_field: str) -> str | None:
        """The model's input a job's studio field fills (`prompt` -> "prompt" or "text"...), or None.
        A model whose inputs are unknown takes the provider's first name for it."""
        names = {p.name for p in model.params}
        return next((c for c in self.field_names.get(studio_field, ()) if not names or c in names), None)

    def studio_inputs(self, model: RemoteModel) -> dict[str, str]:
        """Which of the model's inputs the studio fills itself (input -> studio field, or "reference_images"
        for the inputs the reference images fill), the mapping `validate` makes; the UI offers the others."""
        names = {p.name for p in model.params}
        mapped: dict[str, str] = {}
        for field in STUDIO_FIELDS:
            name = self.input_for(model, field) if names else None
            if name and field != "image_url":  # a request's image_url fills the image inputs, as reference_images do
                mapped.setdefault(name, field)
        for name in plan_images(model, 5, self.default_image_field, strict=False).fields:
            if name in names:
                mapped[name] = "reference_images"
        return mapped

    def validate(self, model: RemoteModel, request: JsonObject) -> JsonObject:
        names = {p.name for p in model.params}
        body: JsonObject = {}
        for studio_field in STUDIO_FIELDS:
            value = request.get(studio_field)
            name = self.input_for(model, studio_field) if value is not None else None
            if name is not None:
                body[name] = value
        self.map_size(model, as_int(request.get("width")), as_int(request.get("height")), body)
        plan = self.image_plan(model, request)
        put_placeholders(plan, body)
        for name, value in as_object(request.get("provider_params")).items():
            if name in plan.fields:
                raise InvalidInputError(
                    f"provider_params.{name}: the reference images go in {name}; give the image once",
                    field=f"provider_params.{name}",
                )
            if names and name not in names:
                raise InvalidInputError(
                    f"provider_params.{name}: {model.name} has no input {name!r}; it accepts "
                    f"{', '.join(sorted(names))}",
                    field=f"provider_params.{name}",
                )
            body[name] = value
        for spec in model.params:
            value = body.get(spec.name)
            if value is not None:
                value = body[spec.name] = _coerce(value, spec.type)
            if value is None:
                if spec.required and spec.default is None:
                    raise InvalidInputError(f"{spec.name}: {model.name} requires {spec.name!r}", field=spec.name)
                continue
            if spec.enum and value not in spec.enum:
                raise InvalidInputError(
                    f"{spec.name}: {value!r} is not one of {', '.join(map(str, spec.enum))}", field=spec.name
                )
            if isinstance(value, int | float) and not isinstance(value, bool):
                if spec.minimum is not None and value < spec.minimum:
                    raise InvalidInputError(f"{spec.name}: must be at least {spec.minimum}", field=spec.name)
                if spec.maximum is not None and value > spec.maximum:
                    raise InvalidInputError(f"{spec.name}: must be at most {spec.maximum}", field=spec.name)
        return body

    # -- input images --------------------------------------------------------------------------
    def image_plan(self, model: RemoteModel, request: JsonObject) -> ImagePlan:
        """Which of the model's fields the request's reference images fill (422 when it has none)."""
        count = len(as_list(request.get("reference_images")))
        if count and request.get("image_url"):
            raise InvalidInputError(
                "reference_images: give reference_images or image_url, not both", field="reference_images"
            )
        return plan_images(model, count, self.default_image_field)

    def attach_images(self, body: JsonObject, image_of: Callable[[int], tuple[bytes, str]]) -> JsonObject:
        """The body to submit: each reference image placeholder replaced by what the service takes."""
        return fill_placeholders(body, lambda index: self.image_value(*image_of(index)))

    def image_value(self, data: bytes, content_type: str) -> str:
        if self.image_transport == "upload":
            return self.upload_image(data, content_type)
        return data_uri(data, content_type)

    def upload_image(self, data: bytes, content_type: str) -> str:
        """Upload an input image; return the URL the model's image field takes."""
        raise NotImplementedError(f"{self.name} takes input images inline")


def nearest_aspect(width: int, height: int, choices: list[JsonValue] | None) -> str:
    given = choices or ["1:1", "3:4", "4:3", "9:16", "16:9", "2:3", "3:2"]
    names = [c for c in given if isinstance(c, str)]

    def ratio(choice: str) -> float:
        try:
            a, b = choice.split(":")
            return float(a) / float(b)
        except (ValueError, ZeroDivisionError):
            return math.inf

    target = width / height
    return min(names, key=lambda c: abs(math.log(ratio(c) / target)) if ratio(c) != math.inf else math.inf)


def _coerce(value: JsonValue, type_: str) -> JsonValue:
    """Numbers where the schema wants a string enum ("5" seconds) and whole floats where it wants ints."""
    if isinstance(value, bool):
        return value
    if type_ == "string" and isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else str(value)
    if type_ == "integer" and isinstance(value, float) and value.is_integer():
        return int(value)
    return value
