"""A1111's answer shapes (its field names), so that /openapi.json describes the /sdapi/v1 routes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class GenerationResponse(BaseModel):
    images: list[str] = Field(description="base64 PNGs carrying A1111's `parameters` text")
    parameters: dict[str, Any] = Field(description="the request, as read")
    info: str = Field(description="JSON: seed, all_seeds, prompt, all_prompts, sampler_name, steps, ...")


class ExtrasSingleImageResponse(BaseModel):
    html_info: str
    image: str = Field(description="a base64 PNG")


class PngInfoResponse(BaseModel):
    info: str = Field(description="the A1111 `parameters` text (other dialects said in A1111's words)")
    items: dict[str, Any] = Field(description="the image's other text chunks")
    parameters: dict[str, Any] = Field(description="the parameters read: Prompt, Steps, Seed, Size-1, ...")


class ProgressState(BaseModel):
    skipped: bool
    interrupted: bool
    stopping_generation: bool
    job: str
    job_count: int
    job_timestamp: str
    job_no: int
    sampling_step: int
    sampling_steps: int


class ProgressResponse(BaseModel):
    progress: float = Field(description="0 to 1: the running GPU job (any source), or an /sdapi request's jobs")
    eta_relative: float
    state: ProgressState
    current_image: str | None = Field(description="the live preview, a base64 PNG")
    textinfo: str | None
    current_task: str | None


class SdModelItem(BaseModel):
    title: str
    model_name: str
    hash: str | None
    sha256: str | None
    filename: str
    config: str | None


class SamplerItem(BaseModel):
    name: str
    aliases: list[str]
    options: dict[str, Any]


class SchedulerItem(BaseModel):
    name: str
    label: str
    aliases: list[str] | None
    default_rho: float
    need_inner_model: bool


class LoraItem(BaseModel):
    name: str
    alias: str
    path: str
    metadata: dict[str, Any]


class UpscalerItem(BaseModel):
    name: str
    model_name: str | None
    model_path: str | None
    model_url: str | None
    scale: float | None


class SdVaeItem(BaseModel):
    model_name: str
    filename: str
