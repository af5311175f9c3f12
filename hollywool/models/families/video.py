"""What the video engine needs to know about a family, as data.

The diffusers video pipelines share one call shape, so a family is the facts that differ: which
pipeline class, the frame-count form (4k+1, 8k+1, 6k+1...), the size multiple and maxima, the default
frame rate, which reference images it uses, and how its final latents become frames (and audio).
Defaults describe the released models; `facts_from_folder` reads the real values from a local model's
configs (a distilled or tiny model may compress time differently), and a catalogue entry's `extra`
may override any of them. One type may cover forms that differ in more than numbers (Wan 2.2's TI2V-5B
starts from an image where its A14B cannot): `variants` names them and `variant_of` tells them apart
from the configs; a catalogue entry names its form in `extra.variant` before its files are downloaded.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from hollywool.models.families.base import Family, LatentRGB, Medium, Task


@dataclass(frozen=True)
class Decoded:
    frames: Any  # whatever the VAE/postprocessor gives; media.video.normalize_frames handles every shape
    audio: Any = None  # float (channels, samples) in [-1, 1], or None
    sample_rate: int | None = None


@dataclass(frozen=True)
class Rules:
    """The limits one model enforces; every invalid request is answered with the nearest valid values."""

    frame_step: int  # valid frame counts are frame_step * k + 1 (1 means any count)
    max_frames: int
    default_frames: int
    size_multiple: int
    max_width: int
    max_height: int
    fps: float
    default_size: tuple[int, int] = (768, 512)
    fixed_size: tuple[int, int] | None = None  # learned positions: only this width x height works
    # Image-to-video sizes itself: the aspect bucket (about side x side pixels) nearest the image's aspect ratio,
    # and its pipeline takes no width or height (HunyuanVideo 1.5).
    image_buckets: int | None = None

    @property
    def frame_form(self) -> str:
        return "any count" if self.frame_step == 1 else f"{self.frame_step}k+1"

    def valid_frames(self) -> list[int]:
        if self.frame_step == 1:
            return list(range(1, self.max_frames + 1))
        return list(range(1, self.max_frames + 1, self.frame_step))

    def nearest_frames(self, n: int) -> list[int]:
        valid = [v for v in self.valid_frames() if v > 1] or [1]
        best = min(abs(v - n) for v in valid)
        return [v for v in valid if abs(v - n) == best]

    def snap_frames(self, n: float) -> int:
        return self.nearest_frames(round(n))[-1]

    def image_bucket(self, width: int, height: int) -> tuple[int, int]:
        """The (width, height) an image of this size is rendered at when `image_buckets` is set; else the size."""
        if not self.image_buckets:
            return width, height
        for _ in range(4):  # the pipeline re-picks from the fitted image: settle on a size that picks itself
            picked = nearest_bucket(width, height, self.image_buckets, self.size_multiple)
            if picked == (width, height):
                break
            width, height = picked
        return width, height


def aspect_buckets(side: int, multiple: int, max_ratio: float = 4.0) -> list[tuple[int, int]]:
    """(height, width) sizes of about side x side pixels in steps of `multiple`, as diffusers' HunyuanVideo 1.5
    image processor makes them (`generate_crop_size_list`); repeated here so a submit check needs no torch."""
    patches = round((side / multiple) ** 2)
    buckets: list[tuple[int, int]] = []
    wide, high = patches, 1
    while wide > 0:
        if max(wide, high) / min(wide, high) <= max_ratio:
            buckets.append((wide * multiple, high * multiple))
        if (high + 1) * wide <= patches:
            high += 1
        else:
            wide -= 1
    return buckets


def nearest_bucket(width: int, height: int, side: int, multiple: int) -> tuple[int, int]:
    """The bucket (width, height) diffusers picks for an image of this size (`get_closest_ratio`): the nearest
    aspect ratio on the image's side of square."""
    buckets = aspect_buckets(side, multiple)
    aspect = height / width
    gaps = [(i, round(h / w, 5) - aspect) for i, (h, w) in enumerate(buckets)]
    gaps = [(i, g) for i, g in gaps if (g <= 0 if aspect >= 1 else g >= 0)]
    h, w = buckets[min(gaps, key=lambda item: abs(item[1]))[0]]
    return w, h


@dataclass(frozen=True)
class LatentPreview:
    """How the latents a step callback receives become one frame's latent channels for a live preview.

    `layout` names the axes of the (unpacked) latents: diffusers' video pipelines disagree on whether
    frames or channels come first. `unpack` turns packed token latents back into that layout. `rgb` is a
    community-fitted channels-by-3 projection; without one (or when a model's channel count differs, as
    in tiny test models) the preview falls back to a normalised mean of three channel groups.
    """

    layout: Literal["BCFHW", "BFCHW"] = "BCFHW"
    unpack: Callable[[Any, Any, dict[str, Any]], Any] | None = None  # (pipe, latents, meta) -> unpacked
    rgb: LatentRGB | None = None


@dataclass(frozen=True)
class Keyframes:
    """Reference images placed at chosen frames of the video (LTX-2's condition pipeline)."""

    pipeline: str  # the diffusers class that takes them
    doc: str  # where frames may go, shown in the API
    slots: Callable[[Rules, int], list[int]]  # (rules, num_frames) -> the frames a keyframe can sit on
    call_args: Callable[[list[Any], list[int], Rules], dict[str, Any]]  # (images, their frames, rules) -> kwargs


@dataclass(frozen=True)
class Variant:
    """One form of a family: changes to its rules (`Rules` fields) and to the family itself (`VideoFamily`
    fields, e.g. whether it can start from an image)."""

    rules: Mapping[str, Any] = field(default_factory=dict[str, Any])
    family: Mapping[str, Any] = field(default_factory=dict[str, Any])


@dataclass(frozen=True, kw_only=True)
class VideoFamily(Family):
    rules: Rules
    # The sampling a model of the family starts with where its catalogue entry sets none (a file added by hand, found
    # in a models folder or downloaded from Civitai): the model cards' recommendations, as the catalogue gives them.
    default_steps: int = 30
    default_guidance: float = 5.0
    text_to_video: bool = True
    i2v_pipeline: str | None = None  # class for image-to-video (None: the model cannot start from images)
    max_references: int = 0  # reference images the model uses
    references_doc: str = ""  # which reference images are used, and how (shown in the API docs)
    prompt: bool = True
    negative_prompt: bool = True
    audio: bool = False
    # Extra keyword arguments of the pipeline call, from the job's resolved params and its images.
    call_args: Callable[[Any, Rules, list[Any]], dict[str, Any]] = lambda _p, _r, _i: {}
    # Keyword arguments read from the loaded pipeline (e.g. the text length its transformer was built for).
    pipe_args: Callable[[Any], dict[str, Any]] = lambda _pipe: {}
    # Final latents of a run: output_type="latent" result -> {"video": tensor, "audio": tensor | None}.
    latents_of: Callable[[Any], dict[str, Any]] = lambda out: {"video": out.frames, "audio": None}
    # Saved latents -> frames (and audio); `low_memory` asks for the family's smallest decode.
    decode: Callable[[Any, dict[str, Any], dict[str, Any], bool], Decoded]
    # Facts read from a local model folder's configs (frame step, size multiple, fixed size, maxima).
    facts_from_folder: Callable[[dict[str, dict[str, Any]]], dict[str, Any]] = lambda _cfg: {}
    config_files: tuple[str, ...] = ("vae", "transformer")
    preview: LatentPreview = LatentPreview()
    keyframes: Keyframes | None = None  # reference images at chosen frames (None: the model cannot)
    # Pipelines without `callback_on_step_end` (HunyuanVideo 1.5): the engine watches the scheduler's steps.
    step_callback: bool = True
    # Pipelines that read guidance from their `guider` component, not a `guidance_scale` argument.
    guidance_by_guider: bool = False
    variants: Mapping[str, Variant] = field(default_factory=dict[str, Variant])
    # Which variant a model is, from its configs ({"model_index": ..., "vae": ..., ...}); None: the family as is.
    variant_of: Callable[[dict[str, dict[str, Any]]], str | None] = lambda _cfg: None
    # The same for a single file, from its tensors' names and shapes (a Wan 2.2 TI2V-5B diffusion-model file).
    variant_of_file: Callable[[dict[str, list[int]]], str | None] = lambda _shapes: None
    # The same from a single file's name, for variants whose files are alike (HunyuanVideo 1.5's t2v and i2v).
    variant_of_file_name: Callable[[str], str | None] = lambda _name: None
    variant: str | None = None  # set on the family `for_model` returns
    # Civitai `baseModel` name -> the variant its checkpoints are ("Wan Video 2.2 TI2V-5B" -> "ti2v-5b").
    civitai_variants: Mapping[str, str] = field(default_factory=dict[str, str])

    @property
    def medium(self) -> Medium:
        return "video"

    @property
    def tasks(self) -> dict[Task, str]:
        """What any model of this type can do (a variant may do less): the pipeline class per task."""
        tasks: dict[Task, str] = {"text-to-video": self.pipeline} if self.text_to_video else {}
        if self.i2v_pipeline:
            tasks["image-to-video"] = self.i2v_pipeline
        if self.keyframes:
            tasks["keyframes-to-video"] = self.keyframes.pipeline
        for name in self.variants:
            for task, pipeline in self.with_variant(name).tasks.items():
                tasks.setdefault(task, pipeline)
        return tasks

    def configs(self, path: str) -> dict[str, dict[str, Any]]:
        """The configs of a local model folder this family reads: its `model_index` and `config_files`."""
        folder = Path(path).expanduser()
        if not folder.is_dir():
            return {}
        files = {"model_index": folder / "model_index.json"}
        files.update({name: folder / name / "config.json" for name in self.config_files})
        configs: dict[str, dict[str, Any]] = {}
        for name, file in files.items():
            if file.is_file():
                try:
                    configs[name] = json.loads(file.read_text())
                except (OSError, ValueError):
                    continue
        return configs

    def with_variant(self, name: str) -> VideoFamily:
        variant = self.variants[name]
        changes = {"rules": replace(self.rules, **variant.rules), **variant.family}
        return replace(self, **changes, variants={}, variant=name)

    def for_model(self, path: str, extra: dict[str, Any] | None = None) -> VideoFamily:
        """This family as one model is: the variant its catalogue entry names, else the one its configs show."""
        name: str | None = (extra or {}).get("variant") or self.variant_of(self.configs(path))
        file = Path(path).expanduser()
        if name is None and file.is_file():
            name = self.variant_of_file_name(file.name) or self.variant_of_file(_file_shapes(file))
        elif name is None and file.suffix in (".safetensors", ".gguf"):  # a file in a hub repo, not downloaded yet
            name = self.variant_of_file_name(file.name)
        return self.with_variant(name) if name is not None and name in self.variants else self

    def rules_for(self, path: str, extra: dict[str, Any] | None = None) -> Rules:
        """This family's rules for one model: defaults, then its folder's configs, then catalogue extras."""
        facts: dict[str, Any] = {}
        configs = self.configs(path)
        if configs:
            facts.update(self.facts_from_folder(configs))
        known = set(Rules.__dataclass_fields__)
        facts.update({k: v for k, v in (extra or {}).items() if k in known})
        if "fixed_size" in facts and facts["fixed_size"] is not None:
            facts["fixed_size"] = tuple(facts["fixed_size"])
        rules = replace(self.rules, **facts)
        if rules.default_frames > rules.max_frames or (rules.default_frames - 1) % rules.frame_step:
            rules = replace(rules, default_frames=rules.snap_frames(min(rules.default_frames, rules.max_frames)))
        return rules


def _file_shapes(path: Path) -> dict[str, list[int]]:
    from hollywool.models.weight_files import read_weight_file

    try:
        return read_weight_file(path).shapes
    except (OSError, ValueError):
        return {}


def postprocess(pipe: Any, video: Any) -> Any:
    """VAE output [B, C, F, H, W] in [-1, 1] -> numpy [B, F, H, W, C] in [0, 1], as the pipelines do."""
    return pipe.video_processor.postprocess_video(video=video, output_type="np")
