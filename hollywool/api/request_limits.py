"""An image request's limits for the UI, read off ImageParams' own field constraints (one source: the UI
checks a form the way the API will, and keeps no copy)."""

from __future__ import annotations

from typing import Any, get_args

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from hollywool.engines.image.params import ImageParams, LoraRef, Seed
from hollywool.media.references import MAX_BYTES


class IntRange(BaseModel):
    min: int
    max: int


class NumberRange(BaseModel):
    min: float
    max: float


class RequestLimits(BaseModel):
    """What POST /api/jobs accepts for an image; each name is the request field it bounds."""

    prompt_max_length: int
    steps: IntRange
    guidance_scale: NumberRange
    seed: IntRange
    num_images: IntRange
    lora_weight: NumberRange
    reference_images: int  # at most this many
    strength: NumberRange
    reference_image_bytes: int  # one reference image's file, decoded


def _constraint(field: FieldInfo, name: str) -> Any:  # noqa: ANN401 - a bound's value (int or float)
    """The value of the field's `name` constraint (ge, le, max_length); a missing one is a programming error."""
    return next(getattr(m, name) for m in field.metadata if hasattr(m, name))


def _range(field: FieldInfo) -> dict[str, Any]:
    return {"min": _constraint(field, "ge"), "max": _constraint(field, "le")}


def request_limits() -> RequestLimits:
    fields = ImageParams.model_fields
    seed_field = get_args(Seed)[1]  # `seed` is optional: its bounds sit on the Seed type, not on the field
    return RequestLimits(
        prompt_max_length=_constraint(fields["prompt"], "max_length"),
        steps=IntRange(**_range(fields["steps"])),
        guidance_scale=NumberRange(**_range(fields["guidance_scale"])),
        seed=IntRange(**_range(seed_field)),
        num_images=IntRange(**_range(fields["num_images"])),
        lora_weight=NumberRange(**_range(LoraRef.model_fields["weight"])),
        reference_images=_constraint(fields["reference_images"], "max_length"),
        strength=NumberRange(**_range(fields["strength"])),
        reference_image_bytes=MAX_BYTES,
    )
