"""Parameters of a text-to-image job, with the seed's field names."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ImageParams(BaseModel):
    prompt: str = Field(min_length=1, max_length=10_000)
    model: str = Field(min_length=1)
    negative_prompt: str | None = Field(None, max_length=10_000)
    width: int = Field(1024, ge=64, le=4096)
    height: int = Field(1024, ge=64, le=4096)
    steps: int | None = Field(None, ge=1, le=200)
    guidance_scale: float | None = Field(None, ge=0, le=50)
    seed: int | None = Field(None, ge=0, le=2**32 - 1)
    num_images: int = Field(1, ge=1, le=4)
