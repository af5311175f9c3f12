"""Parameters of video jobs (text-to-video "video", image-to-video "i2v").

At submit time the engine resolves everything left open (size, frame count, fps, steps, guidance,
seed) and checks it against the model's rules, so the stored job carries exactly what re-runs it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, model_validator

from hollywool.engines.image.params import LoraRef, ReferenceImage

MAX_REFERENCE_IMAGES = 5
MAX_FRAMES = 1000
Resolution = Literal["480p", "576p", "720p", "1080p"]
VideoAspect = Literal["16:9", "9:16", "1:1", "4:3", "3:4"]


class VideoParams(BaseModel):
    prompt: str = Field(min_length=1, max_length=10_000)
    model: str = Field(min_length=1, description="a video model id (GET /api/video/models)")
    negative_prompt: str | None = Field(None, max_length=10_000)
    width: int | None = Field(None, ge=16, le=4096, description="default: the model's size or the preset")
    height: int | None = Field(None, ge=16, le=4096)
    resolution: Resolution | None = Field(None, description="preset: the short side; see aspect_ratio")
    aspect_ratio: VideoAspect | None = Field(None, description="with resolution (default 16:9)")
    num_frames: int | None = Field(None, ge=1, le=MAX_FRAMES, description="must fit the model's form, e.g. 4k+1")
    duration: float | None = Field(
        None, gt=0, le=120, description="seconds; the nearest valid frame count at `fps` is used"
    )
    fps: float | None = Field(None, ge=1, le=120, description="default: the model's frame rate")
    steps: int | None = Field(None, ge=1, le=200)
    guidance_scale: float | None = Field(None, ge=0, le=50)
    seed: int | None = Field(None, ge=0, le=2**32 - 1)
    loras: list[LoraRef] = Field(
        default_factory=list[LoraRef], max_length=8, description="LoRAs of the model's family (GET /api/loras)"
    )
    lora_preset: str | None = Field(
        None,
        description="a LoRA preset of the model's family (lora_presets in the models API); sets steps and guidance",
    )
    notes: list[str] = Field(default_factory=list, description="set by the studio: what it adjusted or ignored")
    resolved_prompt: str | None = Field(
        None, description="set by the studio: the prompt after its {a|b} alternatives and __wildcards__ are resolved"
    )

    @model_validator(mode="after")
    def _frames_or_duration(self) -> VideoParams:
        if self.num_frames is not None and self.duration is not None:
            raise ValueError("give num_frames or duration, not both")
        if (self.width is None) != (self.height is None):
            raise ValueError("give both width and height, or neither")
        return self


class I2VParams(VideoParams):
    prompt: str = Field("", max_length=10_000, description="required except for models without a prompt (SVD)")
    reference_images: list[ReferenceImage] = Field(
        min_length=1,
        max_length=MAX_REFERENCE_IMAGES,
        description=(
            "1 to 5 reference images, used as each model allows: CogVideoX I2V, LTX-2 and SVD use the first "
            "as the first frame; Wan I2V uses the first as the first frame and a second as the last frame. "
            "Images beyond what the model uses are ignored (noted in `notes`). Same shape as image jobs' references."
        ),
    )
    reference_frame_indices: list[Annotated[int, Field(ge=-MAX_FRAMES, le=MAX_FRAMES - 1)]] | None = Field(
        None,
        max_length=MAX_REFERENCE_IMAGES,
        description=(
            "keyframes: the output frame (0-based; -1 is the last) each reference image is placed at, in the order "
            "of reference_images. Only models that take keyframes accept it (GET /api/video/models: `keyframes`); "
            "each frame moves to the nearest one the model can place a keyframe on (noted in `notes`)."
        ),
    )

    @model_validator(mode="after")
    def _one_frame_per_reference(self) -> I2VParams:
        indices = self.reference_frame_indices
        if indices is not None and len(indices) != len(self.reference_images):
            raise ValueError(
                f"reference_frame_indices has {len(indices)} frame(s) for {len(self.reference_images)} reference "
                "image(s); give one frame per image"
            )
        return self
