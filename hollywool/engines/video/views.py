"""What the video engine answers the API with: each local video model and its rules."""

from __future__ import annotations

from pydantic import BaseModel, Field

from hollywool.models.views import LoraPresetInfo


class VideoFrames(BaseModel):
    form: str = Field(description='"any count" or "<step>k+1"')
    step: int = Field(description="valid counts are step * k + 1 up to max (1: any count)")
    max: int
    default: int


class VideoModel(BaseModel):
    """A local video model with its rules (VideoEngine.describe)."""

    id: str
    name: str
    type: str
    family: str
    legacy: bool = Field(False, description="an outdated family kept working (Mochi, CogVideoX, SVD): listed last")
    variant: str | None = Field(None, description='the family\'s form this model is (e.g. Wan 2.2 "ti2v-5b")')
    text_to_video: bool
    image_to_video: bool
    audio: bool
    prompt: bool = Field(description="whether the model takes a prompt")
    negative_prompt: bool
    reference_images: int = Field(description="reference images the model uses")
    reference_images_use: str
    keyframes: bool = Field(
        False, description="whether image-to-video can place its reference images at chosen frames (keyframes)"
    )
    keyframes_use: str = Field("", description="where keyframes can go")
    frames: VideoFrames
    fps: float
    size_multiple: int
    max_width: int
    max_height: int
    fixed_size: list[int] | None
    default_width: int
    default_height: int
    default_steps: int
    default_guidance: float
    memory_gb: float
    lora_presets: list[LoraPresetInfo] = Field(
        default_factory=list[LoraPresetInfo], description="LoRA presets a job's `lora_preset` may name"
    )
