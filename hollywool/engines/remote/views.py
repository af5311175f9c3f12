"""What the remote engine answers the API with: a provider's model beside the local ones."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, computed_field

from hollywool.engines.remote.provider import ParamSpec, Price
from hollywool.models.sizes import MAX_SIDE, MIN_SIDE
from hollywool.models.views import AspectSize, aspect_size_table

# What the UI offers for a remote model's size: about 1024x1024 in multiples of 8 (the provider maps
# width and height to its own size or aspect input).
REMOTE_BASE_SIDE, REMOTE_SIZE_MULTIPLE = 1024, 8


class RemoteModelInfo(BaseModel):
    """A provider's model, listed by `/api/models` beside the local ones."""

    id: str
    name: str
    type: Literal["remote"]
    remote: Literal[True]
    provider: str
    provider_name: str
    provider_configured: bool
    model_id: str
    category: str
    is_video: bool
    description: str
    tags: list[str]
    price: Price | None
    params: list[ParamSpec]
    max_reference_images: int = Field(description="input images the model takes (0: none)")
    size_multiple: int = Field(REMOTE_SIZE_MULTIPLE, description="the sizes offered are multiples of this")
    min_size: int = MIN_SIDE
    max_size: int = MAX_SIDE
    aspect_sizes: dict[str, AspectSize] = Field(
        default_factory=lambda: aspect_size_table(REMOTE_BASE_SIDE, REMOTE_SIZE_MULTIPLE),
        description="width and height per aspect preset",
    )
    studio_params: dict[str, str] = Field(
        default_factory=dict,
        description="the model's inputs the studio fills from a job's own fields: input name -> the field "
        '(prompt, negative_prompt, seed, duration, num_images, steps, guidance_scale, strength, or "reference_images" '
        "for the inputs that take the reference images); the model's other inputs go in provider_params",
    )
    thumbnail_url: str | None

    # The seed's ModelInfo fields, which a remote model has no value for (computed: always sent).
    @computed_field
    @property
    def default_steps(self) -> int | None:
        return None

    @computed_field
    @property
    def default_guidance(self) -> float | None:
        return None

    @computed_field
    @property
    def size_gb(self) -> float | None:
        return None

    @computed_field
    @property
    def requires_approval(self) -> bool:
        return False

    @computed_field
    @property
    def approval_url(self) -> str | None:
        return None

    @computed_field
    @property
    def is_cached(self) -> bool:
        return True

    @computed_field
    @property
    def hf_path(self) -> str | None:
        return None
