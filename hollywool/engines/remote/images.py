"""Input images for remote models: which of a model's fields take them, and how they travel.

A job's `reference_images` (checked and stored at submit time by the studio's ReferenceImages code)
fill the model's image fields in order: the image to edit or the first frame first, then an end
frame where the model has one. A list-typed field (`image_urls`) takes several. Until the job runs
the body holds placeholders (`<reference_images.0>`), which is also what the assets record; just
before the submit each placeholder becomes what the provider takes: a `data:` URI (fal, KREA) or
the public URL of an upload (Higgsfield).
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from PIL import Image

from hollywool.engines.remote.provider import RemoteModel
from hollywool.errors import InvalidInputError
from hollywool.json_types import JsonObject, JsonValue

PLACEHOLDER = re.compile(r"^<reference_images\.(\d+)>$")

# The image to edit, or a video's first frame, in the order a model's fields are looked for.
START_FIELDS = (
    "image_url",
    "image_urls",
    "input_image_url",
    "input_image_urls",
    "start_image_url",
    "first_frame_url",
    "first_frame_image",
    "startImage",
    "start_image",
    "image",
    "images",
    "input_image",
    "init_image",
)
# A video's last frame.
END_FIELDS = ("end_image_url", "tail_image_url", "last_frame_url", "last_frame_image", "endImage", "end_image")


@dataclass
class ImagePlan:
    """Which reference image goes in which field (field -> indices); `many` fields take a list."""

    fields: dict[str, list[int]] = field(default_factory=lambda: dict[str, list[int]]())
    many: set[str] = field(default_factory=lambda: set[str]())
    given: int = 0

    @property
    def used(self) -> list[int]:
        return sorted(i for indices in self.fields.values() for i in indices)

    def note(self) -> str | None:
        if not self.given:
            return None
        where = ", ".join(f"{name} <- reference_images.{','.join(map(str, idx))}" for name, idx in self.fields.items())
        unused = [i for i in range(self.given) if i not in self.used]
        text = f"reference_images: {len(self.used)} of {self.given} used ({where})"
        if unused:
            text += f"; the model takes no more, so reference_images.{','.join(map(str, unused))} were not used"
        return text


def image_capacity(model: RemoteModel, default_field: str) -> int:
    """How many input images a model takes (0: none); a list field counts as up to 5."""
    plan = plan_images(model, 5, default_field, strict=False)
    return len(plan.used)


def plan_images(model: RemoteModel, count: int, default_field: str, *, strict: bool = True) -> ImagePlan:
    plan = ImagePlan(given=count)
    if count <= 0:
        return plan
    names = {p.name for p in model.params}
    if not names:  # not discovered: the provider's usual field, one image
        plan.fields[default_field] = [0]
        return plan
    start = next((n for n in START_FIELDS if n in names), None)
    end = next((n for n in END_FIELDS if n in names), None)
    if start is None:
        if strict:
            raise InvalidInputError(
                f"reference_images: {model.name} takes no input image (its inputs are "
                f"{', '.join(sorted(names))}); pick an image-to-image or image-to-video model",
                field="reference_images",
            )
        return plan
    spec = model.param(start)
    if spec is not None and spec.type == "array":
        plan.fields[start] = list(range(count))
        plan.many.add(start)
        return plan
    plan.fields[start] = [0]
    if end is not None and count > 1:
        plan.fields[end] = [1]
    return plan


def put_placeholders(plan: ImagePlan, body: JsonObject) -> None:
    for name, indices in plan.fields.items():
        marks = [f"<reference_images.{i}>" for i in indices]
        body[name] = list[JsonValue](marks) if name in plan.many else marks[0]


def fill_placeholders(body: JsonObject, value_of: Callable[[int], str]) -> JsonObject:
    """A copy of `body` with each placeholder replaced by `value_of(index)` (called once per index)."""
    cache: dict[int, str] = {}

    def one(value: JsonValue) -> JsonValue:
        if isinstance(value, str) and (m := PLACEHOLDER.match(value)):
            index = int(m.group(1))
            if index not in cache:
                cache[index] = value_of(index)
            return cache[index]
        return value

    return {k: [one(v) for v in value] if isinstance(value, list) else one(value) for k, value in body.items()}


def png_of(image: Image.Image) -> bytes:
    """The pixels only, as PNG: no text chunks, so no prompt or parameters leave with an image."""
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def data_uri(data: bytes, content_type: str) -> str:
    return f"data:{content_type};base64,{base64.b64encode(data).decode('ascii')}"
